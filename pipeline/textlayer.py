"""Decide whether a PDF's own text layer is real page text, and read it as lines.

A scanned page often carries a small text layer that is not its content (a digital
signature stamp in a corner); such a page is OCR'd instead.
"""
from __future__ import annotations

import html
from dataclasses import dataclass
from pathlib import Path

import regex

from . import legacy, poppler
from .lexicon import is_syllable_shape

_PAGE = regex.compile(r'<page width="([\d.]+)" height="([\d.]+)">(.*?)</page>', regex.S)
_BLOCK = regex.compile(r"<block [^>]*>(.*?)</block>", regex.S)
_LINE = regex.compile(r'<line xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">(.*?)</line>', regex.S)
_WORD = regex.compile(r"<word [^>]*>(.*?)</word>", regex.S)
_LETTER = regex.compile(r"\p{L}")
_PUNCT = regex.compile(r"^[\p{P}\p{S}]+|[\p{P}\p{S}]+$")
_ASCII_WORD = regex.compile(r"^[A-Za-z0-9][A-Za-z0-9./\-–&@]*$")

MIN_LETTERS = 40        # fewer letters than this is no page text
MIN_COVERAGE = 0.30     # text lines must span this share of the page height ...
MIN_LATIN_SHARE = 0.6   # ... and be mostly plausible words: syllables, ASCII words, numbers, codes


@dataclass(frozen=True)
class LayerPage:
    page: int
    text: str
    letters: int
    coverage: float  # share of the page height spanned by text lines
    latin_share: float  # share of plausible words (Vietnamese syllables, ASCII words, numbers, codes)
    legacy: str = ""  # 'tcvn3' or 'vni' when the layer was in a legacy font encoding

    @property
    def is_real(self) -> bool:
        return (self.letters >= MIN_LETTERS and self.coverage >= MIN_COVERAGE
                and self.latin_share >= MIN_LATIN_SHARE)


def read(path: Path, timeout: float = 60) -> list[LayerPage]:
    """Every page's text layer with the measures used to judge it."""
    pages = []
    for n, m in enumerate(_PAGE.finditer(poppler.text_layout(path, timeout)), 1):
        height = float(m.group(2)) or 1.0
        blocks, y0, y1 = [], height, 0.0
        for b in _BLOCK.finditer(m.group(3)):
            lines = []
            for ln in _LINE.finditer(b.group(1)):
                words = [html.unescape(w) for w in _WORD.findall(ln.group(5))]
                if words:
                    lines.append(" ".join(words))
                    y0, y1 = min(y0, float(ln.group(2))), max(y1, float(ln.group(4)))
            if lines:
                blocks.append("\n".join(lines))
        text, enc = legacy.fix("\n\n".join(blocks))
        tokens = text.split()
        latin = sum(_plausible(t) for t in tokens) / len(tokens) if tokens else 0.0
        pages.append(LayerPage(n, text, len(_LETTER.findall(text)),
                               max(0.0, y1 - y0) / height if y1 > y0 else 0.0, round(latin, 3), enc))
    return pages


def _plausible(token: str) -> bool:
    """A word a real text layer has; garbage glyphs ('ÿþýü', '') are not."""
    t = _PUNCT.sub("", token)
    if not t:
        return True
    return bool(_ASCII_WORD.match(t)) or is_syllable_shape(t.lower())
