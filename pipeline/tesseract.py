"""The one wrapper around the `tesseract` program (through pytesseract)."""
from __future__ import annotations

import os
import shutil
import subprocess
from functools import lru_cache

import pytesseract
from PIL import Image

from .errors import InputFileError, MissingDependencyError
from .records import Word


def _single_thread() -> None:
    # Tesseract's OpenMP threads make it ~4x slower when every core already runs a page.
    os.environ["OMP_THREAD_LIMIT"] = "1"


@lru_cache(maxsize=1)
def version() -> str:
    if not shutil.which("tesseract"):
        raise MissingDependencyError("tesseract not found: install the Debian package tesseract-ocr")
    return str(pytesseract.get_tesseract_version())


def languages() -> list[str]:
    out = subprocess.run(["tesseract", "--list-langs"], capture_output=True, text=True, timeout=30)
    return [l.strip() for l in out.stdout.splitlines()[1:] if l.strip()]


def words(image: Image.Image, lang: str = "vie", psm: int = 3, timeout: float = 120,
          dpi: int = 300) -> tuple[Word, ...]:
    """OCR one page image; words in reading order with boxes, confidences and line indices."""
    _single_thread()
    try:
        d = pytesseract.image_to_data(image, lang=lang, config=f"--psm {psm} --dpi {dpi}",
                                      output_type=pytesseract.Output.DICT, timeout=timeout)
    except RuntimeError as e:  # pytesseract raises RuntimeError on its timeout
        raise InputFileError(f"tesseract timed out after {timeout:.0f} s") from e
    except pytesseract.TesseractError as e:
        raise InputFileError(f"tesseract failed: {str(e.message).strip().splitlines()[-1:] or e.status}") from e
    out: list[Word] = []
    line_ids: dict[tuple[int, int, int], int] = {}
    for i, txt in enumerate(d["text"]):
        txt = (txt or "").strip()
        if not txt:
            continue
        key = (d["block_num"][i], d["par_num"][i], d["line_num"][i])
        ln = line_ids.setdefault(key, len(line_ids))
        out.append(Word(txt, float(d["conf"][i]), d["left"][i], d["top"][i], d["width"][i],
                        d["height"][i], ln))
    return tuple(out)


def osd_rotation(image: Image.Image, timeout: float = 60) -> int:
    """Degrees to rotate the page clockwise so text is upright (Tesseract OSD); 0 if unsure."""
    _single_thread()
    try:
        info = pytesseract.image_to_osd(image, config="--psm 0 -c min_characters_to_try=20",
                                        output_type=pytesseract.Output.DICT, timeout=timeout)
    except (pytesseract.TesseractError, RuntimeError):
        return 0
    if float(info.get("orientation_conf", 0)) < 2.0:
        return 0
    return int(info.get("rotate", 0)) % 360


COLUMN_GAP = 0.08  # a gap wider than this share of the page width separates two columns


def lines_text(ws: tuple[Word, ...]) -> str:
    """The page text: one line per OCR line, words separated by single spaces. Where one line
    spans two columns (a header or signature row read across), ' | ' marks the column break."""
    if not ws:
        return ""
    width = max(w.left + w.width for w in ws) - min(w.left for w in ws)
    lines: dict[int, list[Word]] = {}
    for w in ws:
        lines.setdefault(w.line, []).append(w)
    out = []
    for _, line in sorted(lines.items()):
        line.sort(key=lambda w: w.left)
        parts = [line[0].text]
        for prev, w in zip(line, line[1:]):
            gap = w.left - (prev.left + prev.width)
            parts.append((" | " if width and gap > COLUMN_GAP * width else " ") + w.text)
        out.append("".join(parts))
    return "\n".join(out)
