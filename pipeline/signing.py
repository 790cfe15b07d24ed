"""When a document was digitally signed, from the stamp text ("Thời gian ký: 07/01/2025 10:09:57",
"ttcbth@… 07.01.2025 10:44:25 +07:00", "Thời gian ký: 2025-02-18T08:31:36+07:00") in a PDF's own
text layer (poppler's `pdftotext`) or in a page's OCR. ISO 8601 out; the earliest stamp is the
issuer's signature (later ones certify copies)."""
from __future__ import annotations

import re
import subprocess
from datetime import datetime
from pathlib import Path

_TZ = r"(?:\s*([+-])\s?(\d{2}):?(\d{2}))?"
_DMY = re.compile(r"(?<!\d)(\d{1,2})\s?[./-]\s?(\d{1,2})\s?[./-]\s?((?:19|20)\d{2})[ ,T]+(\d{1,2})[:h](\d{2})(?:[:m](\d{2}))?" + _TZ)
_ISO = re.compile(r"((?:19|20)\d{2})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2}))?" + _TZ)


def _iso(y: str, mo: str, d: str, h: str, mi: str, s: str | None, sign: str | None, tzh: str | None,
         tzm: str | None) -> str:
    try:
        dt = datetime(int(y), int(mo), int(d), int(h), int(mi), int(s or 0))
    except ValueError:
        return ""
    out = dt.isoformat()
    return out + f"{sign}{tzh}:{tzm}" if sign else out


def stamps(text: str) -> list[str]:
    """Every date-with-time in the text as ISO 8601 (seconds; the zone when written).

    >>> stamps("Thời gian ký: 07/01/2025 10:09:57")
    ['2025-01-07T10:09:57']
    >>> stamps("ttcbth@quangngai.gov.vn 07.01.2025 10:44:25 +07:00")
    ['2025-01-07T10:44:25+07:00']
    >>> stamps("Thời gian ký: 2025-02-18T08:31:36+07:00")
    ['2025-02-18T08:31:36+07:00']
    """
    out = [_iso(m[3], m[2], m[1], m[4], m[5], m[6], m[7], m[8], m[9]) for m in _DMY.finditer(text)]
    out += [_iso(m[1], m[2], m[3], m[4], m[5], m[6], m[7], m[8], m[9]) for m in _ISO.finditer(text)]
    return [s for s in out if s]


def signed_at_from_text(text: str) -> str:
    """The earliest signing time written in a stamp's text, '' when there is none.

    >>> signed_at_from_text("Thời gian ký: 08/02/2025 14:42:41 … 10.02.2025 07:35:42 +07:00")
    '2025-02-08T14:42:41+07:00'
    >>> signed_at_from_text("Giờ ký: 20/02/2025 11:25:13")
    '2025-02-20T11:25:13'
    >>> signed_at_from_text("ngày 06 tháng 01 năm 2025")
    ''
    """
    found = stamps(text.replace("\n", " "))
    if not found:
        return ""
    first = min(found, key=lambda s: s[:19])
    zones = [s[19:] for s in found if len(s) > 19]
    return first + zones[0] if len(first) == 19 and zones else first  # the stamp's zone, written once


def signed_at_from_pdf(path: str | Path, timeout: float = 60) -> str:
    """The earliest signing time in a PDF's own text layer (the stamps' text), '' when none
    or when poppler cannot read the file."""
    try:
        out = subprocess.run(["pdftotext", "-q", "-enc", "UTF-8", str(path), "-"], capture_output=True,
                             timeout=timeout)
    except (OSError, subprocess.SubprocessError):
        return ""
    return signed_at_from_text(out.stdout.decode("utf-8", "replace"))
