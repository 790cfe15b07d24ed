"""The corrected text cut into segments that mark each restorer change and each doubtful OCR word.

The changes are found by aligning the text before correction (the pages' OCR text, normalised
as the batch does) with the corrected text word by word, so the report needs neither the
dictionaries nor a second restorer run; a name put back by the user dictionary shows as a change too.
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher

from ..userdict import fold

LOW_CONF = 60  # an OCR word below this Tesseract confidence is marked
_SPACE = re.compile(r"(\s+)")


@dataclass(frozen=True)
class Segment:
    text: str
    kind: str = ""  # '', 'fix', 'low', 'fix low'
    before: str = ""  # for a fix: the text before correction
    why: str = ""  # 'diacritics' (only marks changed) or 'letters'


def _words(text: str) -> tuple[list[str], list[str], list[int]]:
    """Non-space tokens, the separators before each of them (plus the trailing one) and the
    line each token is on."""
    parts = _SPACE.split(text)  # word, space, word, ..., word ('' at the ends)
    words, seps, lines, line = parts[0::2], parts[1::2], [], 0
    seps = [""] + seps
    if words and words[0] == "":  # text starts with space
        words.pop(0)
        seps.pop(0)
    if words and words[-1] == "":  # text ends with space
        words.pop()
        trailing = seps.pop()
    else:
        trailing = ""
    for sep in seps:
        line += sep.count("\n")
        lines.append(line)
    return words, seps + [trailing], lines


def _spans(lines: list[int], n_lines: int) -> list[tuple[int, int]]:
    """[start, end) of each line's tokens."""
    spans, k = [], 0
    for ln in range(n_lines):
        s = k
        while k < len(lines) and lines[k] == ln:
            k += 1
        spans.append((s, k))
    return spans


def _opcodes(a: list[str], la: list[int], na: int, b: list[str], lb: list[int],
             nb: int) -> Sequence[tuple[str, int, int, int, int]]:
    """difflib's opcodes, made line by line where both texts have as many lines (the restorer
    keeps the lines: the alignment then stays linear in the text's length)."""
    if a == b:
        return [("equal", 0, len(a), 0, len(b))]
    if na != nb:
        return SequenceMatcher(None, a, b, autojunk=len(b) > 4000).get_opcodes()
    out = []
    for (i0, i1), (j0, j1) in zip(_spans(la, na), _spans(lb, nb)):
        xa, xb = a[i0:i1], b[j0:j1]
        if xa == xb:
            out.append(("equal", i0, i1, j0, j1))
        elif len(xa) == len(xb):
            out.extend(("equal" if x == y else "replace", i0 + k, i0 + k + 1, j0 + k, j0 + k + 1)
                       for k, (x, y) in enumerate(zip(xa, xb)))
        else:
            out.extend((op, i0 + p, i0 + q, j0 + r, j0 + t)
                       for op, p, q, r, t in SequenceMatcher(None, xa, xb, autojunk=False).get_opcodes())
    return out


def _low_flags(raw_words: list[str], ocr: list[tuple[str, float]]) -> list[bool]:
    """Which raw words come from OCR words below LOW_CONF (aligned by text)."""
    flags = [False] * len(raw_words)
    if not ocr or all(c >= LOW_CONF or c < 0 for _, c in ocr):
        return flags
    if [t for t, _ in ocr] == raw_words:
        return [0 <= c < LOW_CONF for _, c in ocr]
    sm = SequenceMatcher(None, [t for t, _ in ocr], raw_words, autojunk=len(raw_words) > 4000)
    for a, b, n in sm.get_matching_blocks():
        for k in range(n):
            if 0 <= ocr[a + k][1] < LOW_CONF:
                flags[b + k] = True
    return flags


def segments(raw: str, corrected: str, ocr_words: list[tuple[str, float]] | None = None) -> list[Segment]:
    """The corrected text as segments; concatenating their text gives `corrected` back."""
    a, _, la = _words(raw)
    b, seps, lb = _words(corrected)
    low_a = _low_flags(a, ocr_words or [])
    kinds: list[tuple[str, str, str]] = [("", "", "")] * len(b)
    low_b = [False] * len(b)
    if a != b:
        for op, i1, i2, j1, j2 in _opcodes(a, la, raw.count("\n") + 1, b, lb, corrected.count("\n") + 1):
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
