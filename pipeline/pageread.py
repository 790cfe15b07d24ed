"""Readings taken from a page image beside its OCR words (in the worker, while the image is
in memory): the document number and the day (and month) of the date line read digit by digit
between their printed anchors (handwritten after signing, or typed in a font Tesseract misreads),
and a visible digital-signature stamp's time. Never raises; returns at once on pages without
the anchors."""
from __future__ import annotations

import re
import subprocess
from typing import TYPE_CHECKING, Literal

from PIL import Image

from .errors import VnplansError
from .records import Reading, Word

if TYPE_CHECKING:
    from .handwriting import DigitModel

_MODEL: DigitModel | Literal[False] | None = None  # loaded on first use in this process (False: unusable)
_STAMP_HINT = re.compile(r"\d{1,2}[./]\d{1,2}[./](19|20)\d\d|(19|20)\d\d-\d\d-\d\dT")
_ANCHOR = re.compile(r"(?i)^(ng[àa]y|s[ốoôổó6])")


def model():
    """The digit model of this process (None when its file is missing or damaged)."""
    global _MODEL
    if _MODEL is None:
        from .handwriting import DigitModel
        try:
            _MODEL = DigitModel.load()
        except (OSError, KeyError, ValueError):
            _MODEL = False
    return _MODEL or None


def signing_reading(words: tuple[Word, ...]) -> Reading | None:
    """The earliest signing time of a stamp visible on the page (its lines' OCR text)."""
    from .signing import signed_at_from_text
    lines: dict[int, list[Word]] = {}
    for w in words:
        lines.setdefault(w.line, []).append(w)
    hits = [k for k, ws in lines.items() if any(_STAMP_HINT.search(w.text) for w in ws)
            and any(re.search(r"\d{1,2}[:h]\d\d", w.text) for w in ws)]
    best: tuple[str, list[Word]] | None = None
    for k in hits:
        ws = lines[k]
        nxt = lines.get(k + 1, [])  # the zone ('+07:00') may sit on the stamp's next line
        text = " ".join(w.text for w in sorted(ws, key=lambda w: w.left))
        if nxt and len(nxt) <= 2:
            text += " " + " ".join(w.text for w in nxt)
        t = signed_at_from_text(text)
        if t and (best is None or t[:19] < best[0][:19]):
            best = (t, ws)
    if best is None:
        return None
    ws = best[1]
    box = (min(w.left for w in ws), min(w.top for w in ws), max(w.left + w.width for w in ws),
           max(w.top + w.height for w in ws))
    return Reading("signed_at", best[0], round(min(w.conf for w in ws), 1), box, "digital-signature")


# Tesseract's digits-only reading of a handwritten field is a second reader: alone it gave the
# right digits in 11 of 33 handwritten numbers and days of the sample pages, a whole wrong string
# in 3; where it agreed with a model built without real crops (11 readings under 98 %) the
# reading was right every time. An agreement multiplies the odds of the model's reading by this
# ratio; a disagreement changes nothing (its errors follow the model's: a pen '1' read '4').
AGREE_RATIO = 25.0
_DIGIT_LANG: str | None = None


def tesseract_digits(img: Image.Image, box: tuple[int, int, int, int], dpi: int = 300) -> str:
    """The digits Tesseract reads in a box of the page (one line, digits only; '' if none)."""
    from . import tesseract
    global _DIGIT_LANG
    if _DIGIT_LANG is None:
        try:
            _DIGIT_LANG = "eng" if "eng" in tesseract.languages() else "vie"
        except (OSError, subprocess.SubprocessError):
            _DIGIT_LANG = "vie"
    x0, y0, x1, y1 = box
    pad = max(4, (y1 - y0) // 2)
    crop = img.crop((max(0, x0 - pad), max(0, y0 - pad), min(img.width, x1 + pad), min(img.height, y1 + pad)))
    text = tesseract.read(crop.convert("L"), _DIGIT_LANG, 7, dpi, 20, whitelist="0123456789")
    return re.sub(r"\D", "", text)


def agreed(p: float, text: str, second: str) -> float:
    """The model's probability of `text` after a second reader read `second` there.

    >>> round(agreed(0.85, "08", "08"), 3), agreed(0.85, "08", "03")
    (0.993, 0.85)
    """
    if not second or second.lstrip("0") != text.lstrip("0"):
        return p
    return p * AGREE_RATIO / (p * AGREE_RATIO + (1 - p))


def digit_readings(img: Image.Image, words: tuple[Word, ...], dpi: int = 300) -> tuple[Reading, ...]:
    """'number', 'day' and 'month' Readings of the page, each with its alternatives."""
    import numpy as np

    from . import handwriting as hw
    m = model()
    if m is None:
        return ()
    regions = hw.locate(words, img.width, img.height)
    if not regions:
        return ()
    gray = np.asarray(img if img.mode == "L" else img.convert("L"))
    out = []
    for region in regions:
        fr = hw.read_glyphs(m, region.field, hw.glyphs(gray, region, m))
        if fr is None:
            continue
        source = "ocr" if hw.looks_printed(region, fr) else "handwriting"
        prob = fr.prob
        if source == "handwriting" and region.field in ("number", "day") and prob < 0.98:
            try:
                prob = agreed(prob, fr.text, tesseract_digits(img, fr.box, dpi))
            except (OSError, subprocess.SubprocessError, VnplansError):
                pass
        out.append(Reading(region.field, fr.text, round(100 * prob, 1), (int(fr.box[0]), int(fr.box[1]), int(fr.box[2]), int(fr.box[3])), source,
                           tuple((t, round(100 * p, 1)) for t, p in fr.alternatives)))
    return tuple(out)


def read(img: Image.Image, dpi: int, words: tuple[Word, ...], page: int) -> tuple[Reading, ...]:
    """All readings of one page; the words' boxes are in `img` pixels."""
    try:
        out: list[Reading] = []
        s = signing_reading(words)
        if s is not None:
            out.append(s)
        if any(_ANCHOR.match(w.text) and w.top < img.height * 0.4 for w in words):
            out.extend(digit_readings(img, words, dpi))
        return tuple(out)
    except Exception:  # a reading is a bonus: never fail the page for it
        return ()
