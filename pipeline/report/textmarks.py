"""The corrected text cut into segments that mark each restorer change and each doubtful OCR word.

The changes are found by aligning the text before correction (the pages' OCR text, normalised
as the batch does) with the corrected text word by word, so the report needs neither the
dictionaries nor a second restorer run; a name put back by the user dictionary shows as a change too.
"""
from __future__ import annotations

from dataclasses import dataclass
from difflib import SequenceMatcher

import regex

from ..userdict import fold

LOW_CONF = 60  # an OCR word below this Tesseract confidence is marked
_TOKENS = regex.compile(r"\S+|\s+")


@dataclass(frozen=True)
class Segment:
    text: str
    kind: str = ""  # '', 'fix', 'low', 'fix low'
    before: str = ""  # for a fix: the text before correction
    why: str = ""  # 'diacritics' (only marks changed) or 'letters'


def _words(text: str) -> tuple[list[str], list[str]]:
    """Non-space tokens and the separators before each of them (plus the trailing one)."""
    words, seps, pending = [], [], ""
    for t in _TOKENS.findall(text):
        if t.isspace():
            pending += t
        else:
            words.append(t)
            seps.append(pending)
            pending = ""
    seps.append(pending)
    return words, seps


def _low_flags(raw_words: list[str], ocr: list[tuple[str, float]]) -> list[bool]:
    """Which raw words come from OCR words below LOW_CONF (aligned by text)."""
    flags = [False] * len(raw_words)
    if not ocr:
        return flags
    sm = SequenceMatcher(None, [t for t, _ in ocr], raw_words, autojunk=False)
    for a, b, n in sm.get_matching_blocks():
        for k in range(n):
            if 0 <= ocr[a + k][1] < LOW_CONF:
                flags[b + k] = True
    return flags


def segments(raw: str, corrected: str, ocr_words: list[tuple[str, float]] | None = None) -> list[Segment]:
    """The corrected text as segments; concatenating their text gives `corrected` back."""
    a, _ = _words(raw)
    b, seps = _words(corrected)
    low_a = _low_flags(a, ocr_words or [])
    kinds: list[tuple[str, str, str]] = [("", "", "")] * len(b)
    low_b = [False] * len(b)
    if a != b:
        sm = SequenceMatcher(None, a, b, autojunk=len(b) > 4000)
        for op, i1, i2, j1, j2 in sm.get_opcodes():
            if op == "equal":
                for k in range(j2 - j1):
                    low_b[j1 + k] = low_a[i1 + k]
            elif op in ("replace", "insert"):
                for k in range(j1, j2):
                    if op == "replace" and i2 - i1 == j2 - j1:
                        before = a[i1 + k - j1]
                        low_b[k] = low_a[i1 + k - j1]
                    else:
                        before = " ".join(a[i1:i2])
                        low_b[k] = any(low_a[i1:i2])
                    why = "diacritics" if fold(before) == fold(b[k]) else "letters"
                    kinds[k] = ("fix", before, why)
    else:
        low_b = low_a
    out: list[Segment] = []
    plain: list[str] = []
    for k, w in enumerate(b):
        kind, before, why = kinds[k]
        plain.append(seps[k])
        if kind or low_b[k]:
            if plain:
                out.append(Segment("".join(plain)))
                plain = []
            out.append(Segment(w, " ".join(x for x in (kind, "low" if low_b[k] else "") if x), before, why))
        else:
            plain.append(w)
    plain.append(seps[-1])
    if "".join(plain):
        out.append(Segment("".join(plain)))
    return out
