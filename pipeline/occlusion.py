"""Lines a seal's ring runs through: which letters it hid, and the one known value that fits.

An opaque or black seal (grayscale and bilevel scans, level-4 renders) leaves letters under its
rings unreadable; whitening the seal cannot bring them back, so OCR reads 'CHU TI:H' and
'£M. ỦY BAN'. Here each letter of the line is placed on the page (its word's box shared out
evenly), and the ones the ring band covers become wildcards. A hidden run may also start or end
the line when the band passes its edge ('PHÓ ' under the ring leaves 'CHỦ TỊCH'). A line is
repaired only when exactly one value of a closed list (positions, authority words, surnames,
given names) fits every letter the seal left visible; else nothing, and the field stays empty.
"""
from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import regex

from .lexicon import fold, shape
from .records import Word

RING_IN, RING_OUT = 0.80, 1.02  # the band of a seal's rings and lettering, as parts of its radius
HIDDEN = 0.25  # a letter is hidden when the band covers this share of its cell
LIKELY_SHARE = 0.9  # a hidden name syllable is filled when one candidate holds this share of the prior
# Each letter a candidate differs from what OCR read under a ring makes it this much less likely.
# On 47 hidden given-name syllables of level-4 renders of the kinds markup (3 seeds) OCR's reading
# was the name itself in 22, one mark off in 7, one letter off in 11: one specific wrong letter
# among ~80 possible edits is far rarer than 1 in 20; 0.05 is on the cautious side (0 wrong there
# at 0.2-0.02; right 22-29 of 47, 14 without the reading).
READ_ODDS = 0.05
_VI = set("abcdefghijklmnopqrstuvwxyzđàáảãạăằắẳẵặâầấẩẫậèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵ")
_KEEP = set(".,-() ")  # signature lines hold no digits, slashes or colons: those are the seal's marks

ANY, NEAR, SEEN = 0, 1, 2  # a hidden letter; one next to it (compared without marks); one read clearly


@dataclass(frozen=True)
class Glyph:
    ch: str
    kind: int  # ANY, NEAR or SEEN


@dataclass(frozen=True)
class Sealed:
    """A line as the seal left it: its letters and how far a hidden run may go past each end."""
    glyphs: tuple[Glyph, ...]
    head: int  # letters that may be hidden before the first one read
    tail: int  # ... and after the last

    @property
    def hidden(self) -> bool:
        return self.head > 0 or self.tail > 0 or any(g.kind == ANY for g in self.glyphs)


def split_words(line: Sealed) -> list[Sealed]:
    """The line's words, each as a sealed line of its own: a hidden run before the line belongs to
    its first word, one after it to its last; between words the space stands.

    >>> s = Sealed((Glyph("A", 2), Glyph(" ", 2), Glyph("B", 0)), 2, 1)
    >>> [(len(w.glyphs), w.head, w.tail) for w in split_words(s)]
    [(1, 2, 0), (1, 0, 1)]
    """
    words: list[list[Glyph]] = [[]]
    for g in line.glyphs:
        if g.ch == " " and g.kind != ANY:
            words.append([])
        else:
            words[-1].append(g)
    n = len(words)
    return [Sealed(tuple(w), line.head if i == 0 else 0, line.tail if i == n - 1 else 0) for i, w in enumerate(words)]


def _in_band(x: float, y: float, seal: tuple[float, float, float]) -> bool:
    cx, cy, r = seal
    d = math.hypot(x - cx, y - cy)
    return RING_IN * r <= d <= RING_OUT * r


def _circles(seals: Iterable[tuple[int, int, int, int]]) -> list[tuple[float, float, float]]:
    return [((b[0] + b[2]) / 2, (b[1] + b[3]) / 2, max(b[2] - b[0], b[3] - b[1]) / 2) for b in seals]


def _covered(x0: float, x1: float, y0: float, y1: float, circles: list[tuple[float, float, float]],
             disks: Sequence[tuple[float, float, float]] = ()) -> bool:
    """The ring band of a seal in `circles`, or the whole disk of one in `disks`, covers at least
    HIDDEN of the box [x0, x1] x [y0, y1] (a 5 x 5 sample)."""
    pts = [(x0 + (x1 - x0) * (i + 0.5) / 5, y0 + (y1 - y0) * (j + 0.5) / 5) for i in range(5) for j in range(5)]
    return any(sum(_in_band(x, y, c) for x, y in pts) >= HIDDEN * len(pts) for c in circles) or any(
        sum(math.hypot(x - cx, y - cy) <= RING_OUT * r for x, y in pts) >= HIDDEN * len(pts) for cx, cy, r in disks)


def sealed_line(words: Sequence[Word], seals: Iterable[tuple[int, int, int, int]],
                opaque: Iterable[tuple[int, int, int, int]] = ()) -> Sealed:
    """The line's letters, each marked hidden (ANY), next to a hidden one (NEAR) or read (SEEN).
    Under a seal as dark as the print (`opaque`) whole words before or after the line may be
    lost anywhere in its disk, not only under its rings: clearing it can take the print with it.
    A word read in lower case where a name or title has a capital lost its first letter.

    >>> w = [Word("CHU", 40.0, 100, 0, 60, 20, 0), Word("TI:H", 40.0, 170, 0, 80, 20, 0)]
    >>> s = sealed_line(w, [(200, -90, 400, 110)])  # a ring through the second word's middle
    >>> "".join("_" if g.kind == 0 else g.ch for g in s.glyphs)
    'CHU T__H'
    """
    disks = _circles(opaque)
    rings = _circles(seals)
    circles = rings + [c for c in disks if c not in rings]
    glyphs: list[Glyph] = []
    if not words:
        return Sealed((), 0, 0)
    for wi, w in enumerate(words):
        if wi:
            glyphs.append(Glyph(" ", SEEN))
        n = max(len(w.text), 1)
        cw = w.width / n
        for i, ch in enumerate(w.text):
            a = w.left + i * cw
            hid = _covered(a, a + cw, w.top, w.top + w.height, circles) or (
                ch.lower() not in _VI and ch not in _KEEP) or (i == 0 and ch.islower())
            glyphs.append(Glyph(ch, ANY if hid else SEEN))
    first, last = words[0], words[-1]
    cw = max(sum(w.width for w in words) / max(sum(len(w.text) for w in words), 1), 1.0)
    top, bottom = min(w.top for w in words), max(w.top + w.height for w in words)
    ends = []
    for edge, step in ((first.left, -cw), (last.left + last.width, cw)):
        # letter slots beyond the line's end that the band covers: a word there may be lost whole
        slots = [_covered(min(edge + k * step, edge + (k + 1) * step), max(edge + k * step, edge + (k + 1) * step),
                          top, bottom, circles, disks) for k in range(14)]
        ends.append(sum(slots) + 1 if any(slots[:3]) else 0)
    head, tail = ends
    out = list(glyphs)
    for i, g in enumerate(glyphs):  # the neighbours of a hidden letter lost their marks, if not more
        if g.kind == SEEN and g.ch != " " and any(
                0 <= j < len(glyphs) and glyphs[j].kind == ANY for j in (i - 1, i + 1)):
            out[i] = Glyph(g.ch, NEAR)
    return Sealed(tuple(out), head, tail)


_SAME: dict[str, str] = {}  # base letter -> every letter on it ('a' -> 'aàá…ăằ…âầ…')
_TONES: dict[str, str] = {}  # letter shape -> the same with any tone mark ('â' -> 'âầấẩẫậ')
for _c in sorted(_VI):
    _SAME[fold(_c)] = _SAME.get(fold(_c), "") + _c
    _TONES[shape(_c)] = _TONES.get(shape(_c), "") + _c


def _letter(ch: str, kind: int, folded: bool, tones: bool = False) -> str:
    """One read letter as a regex: itself (with any tone mark when `tones`), or (near a hidden
    one) any letter with its base."""
    low = ch.lower()
    if folded:
        return regex.escape(fold(low))
    if kind == SEEN or fold(low) not in _SAME:
        return "[" + _TONES[shape(low)] + "]" if tones and shape(low) in _TONES else regex.escape(low)
    return "[" + _SAME[fold(low)] + "]"


def pattern(line: Sealed, folded: bool = False, tones: bool = False) -> regex.Pattern[str]:
    """A regex on lower-case text that every value the seal's leftovers allow matches in full.
    `folded`: compare every letter without its marks (for lists whose marks OCR often misreads);
    `tones`: without their tone marks only (a surname's grave lost: 'rân' is the end of 'Trần')."""
    parts = [f".{{0,{line.head}}}"] if line.head else []
    run = 0
    for g in line.glyphs + (Glyph("", SEEN),):
        if g.kind == ANY:
            run += 1
            continue
        if run:
            parts.append(f".{{{max(0, run - 1)},{run + 1}}}")
            run = 0
        if not g.ch:
            break
        if g.ch == " ":
            parts.append(" ?")
        else:
            parts.append(_letter(g.ch, g.kind, folded, tones))
    if line.tail:
        parts.append(f".{{0,{line.tail}}}")
    return regex.compile("".join(parts))


def likely_fit(line: Sealed, ranks: Mapping[str, int], share: float = LIKELY_SHARE) -> str:
    """The value that fits what the seal left and is far commoner than all others that fit
    (weights 1 / (rank + 1), Zipf's law for name syllables): 'T__' for a middle name is 'thị'
    (rank 1) before 'thi', 'thu', 'thao'; '' when none holds `share` of the weight ('Hậu' and
    'Hữu', ranks 57 and 58, are a coin toss). Only for closed lists of ranked names.

    >>> s = Sealed((Glyph("T", 2), Glyph("h", 0), Glyph("i", 0)), 0, 0)
    >>> likely_fit(s, {"thị": 1, "thi": 218, "thu": 29, "văn": 0})
    'thị'
    >>> likely_fit(s, {"thị": 40, "thu": 41})
    ''
    """
    return read_fit(line, "", ranks, share, odds=1.0)  # no reading counted: the prior alone


def unique_fit(line: Sealed, values: Iterable[str], folded: bool = False, edits: int = 0,
               tones: bool = False) -> str:
    """The one value that fits what the seal left of the line, or '' (none, or several).

    >>> s = Sealed((Glyph("C", 2), Glyph("H", 2), Glyph("U", 2), Glyph(" ", 2), Glyph("T", 2),
    ...             Glyph("I", 1), Glyph(":", 0), Glyph("H", 1)), 0, 0)
    >>> unique_fit(s, ["Chủ tịch", "Phó Chủ tịch", "Chánh Văn phòng"], folded=True)
    'Chủ tịch'
    >>> unique_fit(Sealed(s.glyphs, 4, 0), ["Chủ tịch", "Phó Chủ tịch"], folded=True)
    ''
    >>> t = Sealed((Glyph("C", 2), Glyph("H", 2), Glyph("L", 2), Glyph(" ", 2), Glyph("T", 2), Glyph("I", 0),
    ...             Glyph("?", 0), Glyph("H", 1)), 0, 0)
    >>> unique_fit(t, ["Chủ tịch", "Phó Chủ tịch"], folded=True), unique_fit(t, ["Chủ tịch"], folded=True, edits=1)
    ('', 'Chủ tịch')
    >>> r = Sealed((Glyph("r", 1), Glyph("â", 2), Glyph("n", 2)), 2, 0)  # '¡rân': the T hidden, the grave lost
    >>> unique_fit(r, ["Trần", "Phan", "Trương"]), unique_fit(r, ["Trần", "Phan", "Trương"], tones=True)
    ('', 'Trần')
    """
    rx = pattern(line, folded, tones)
    if edits:  # a letter the seal left but OCR misread ('CHL' for 'CHỦ'): one edit allowed, still only one value
        rx = regex.compile(f"(?:{rx.pattern}){{e<={edits}}}", regex.BESTMATCH)
    hits = {v for v in values if rx.fullmatch(fold(v.lower()) if folded else v.lower())}
    return hits.pop() if len(hits) == 1 else ""


def read_distance(read: str, value: str) -> float:
    """Edits from what OCR read to a value, a letter differing only by its marks counting half
    (under a ring marks go first) and a sign read where a letter was ('&', '?') none: it is the
    ring's mark over some letter. 'xuzn' -> 'xuân' 1, 'văn' -> 'vân' 0.5, 'mạn&' -> 'mạnh' 0.

    >>> read_distance("xuzn", "xuân"), read_distance("văn", "vân"), read_distance("mạn&", "mạnh")
    (1.0, 0.5, 0.0)
    """
    prev = [float(j) for j in range(len(value) + 1)]
    for i, a in enumerate(read, 1):
        cur = [float(i)]
        for j, b in enumerate(value, 1):
            sub = 0.0 if a == b or a not in _VI else 0.5 if fold(a) == fold(b) else 1.0
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + sub))
        prev = cur
    return prev[-1]


def read_fit(line: Sealed, read: str, ranks: Mapping[str, int], share: float = LIKELY_SHARE,
             odds: float = READ_ODDS) -> str:
    """The name syllable that fits what the seal left and is far likelier than all others once
    what OCR read under the ring counts as evidence: prior 1 / (rank + 1) times `odds` per edit
    from the reading. A thin ring blurs letters more often than it changes them: 'Xuzn' is Xuân
    (Xuyên is two edits away), 'V_ă_n' read 'Văn' is văn; '' when no candidate holds `share`.

    >>> s = Sealed((Glyph("X", 1), Glyph("u", 0), Glyph("z", 0), Glyph("n", 1)), 0, 0)
    >>> read_fit(s, "Xuzn", {"xuân": 20, "xuyên": 90, "văn": 0})
    'xuân'
    >>> read_fit(s, "Xuzn", {"xuân": 60, "xuyên": 1})
    ''
    """
    rx = pattern(line)
    low = read.lower()
    w = {v: odds ** read_distance(low, v.lower()) / (r + 1) for v, r in ranks.items() if rx.fullmatch(v.lower())}
    total = sum(w.values())
    best = max(w, key=lambda v: w[v], default="")
    return best if best and w[best] >= share * total else ""
