"""The user dictionary: names, places and offices people corrected in review, kept in their spelling.

`OUT/user_dict.tsv` (header `phrase	field	added`, NFC, sorted) grows when a reviewer saves a
corrected name, place or office. On the next run the restored text is passed through `apply`:
where the text holds a phrase of two or more words that differs from a dictionary phrase only
in its marks and case, the dictionary's spelling is put back (in capitals where the text has
capitals). One-word phrases are kept in the file but never applied: a lone syllable ('Tuấn')
folds to too many ordinary words ('tuần').
"""
from __future__ import annotations

import csv
import datetime as _dt
import functools
import os
import tempfile
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import regex

FILE_NAME = "user_dict.tsv"
HEADER = ("phrase", "field", "added")
# fields whose corrected values are names, places or offices
FIELDS = ("issuer", "admin_unit_name", "place", "signer_position", "signer_name", "event_location")


@dataclass(frozen=True)
class Entry:
    phrase: str
    field: str
    added: str  # ISO date


@functools.lru_cache(maxsize=4096)
def _fold_char(c: str) -> str:
    if c in "đĐ":
        return "d"
    base = "".join(x for x in unicodedata.normalize("NFD", c) if not unicodedata.combining(x))
    return (base[:1] or c).lower()


def fold(s: str) -> str:
    """Lower-case letters without marks, one character for each character of `s` (NFC input)."""
    return "".join(_fold_char(c) for c in s)


def load(path: Path | None) -> tuple[Entry, ...]:
    """The entries of a user dictionary file; () when there is none."""
    if path is None or not Path(path).is_file():
        return ()
    with open(path, encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f, delimiter="\t"))
    out = []
    for row in rows[1:] if rows and tuple(rows[0][:1]) == ("phrase",) else rows:
        if row and row[0].strip():
            out.append(Entry(unicodedata.normalize("NFC", " ".join(row[0].split())),
                             row[1] if len(row) > 1 else "", row[2] if len(row) > 2 else ""))
    return tuple(out)


def add(path: Path, phrases: dict[str, str]) -> int:
    """Add {phrase: field} to the file (created when missing); returns how many were new.
    The file stays NFC, sorted and free of duplicates; it is replaced atomically."""
    path = Path(path)
    have = {e.phrase: e for e in load(path)}
    today = _dt.date.today().isoformat()
    new = 0
    for phrase, fld in phrases.items():
        p = unicodedata.normalize("NFC", " ".join(phrase.split()))
        if p and p not in have:
            have[p] = Entry(p, fld, today)
            new += 1
    if not new:
        return 0
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix="." + path.name, suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, delimiter="\t", lineterminator="\n")
        w.writerow(HEADER)
        for e in sorted(have.values(), key=lambda e: (e.phrase, e.field)):
            w.writerow((e.phrase, e.field, e.added))
    os.replace(tmp, path)
    return new


class Protector:
    """Puts dictionary spellings back into a text (see the module docstring)."""

    def __init__(self, entries: tuple[Entry, ...] | list[Entry]):
        phrases = {e.phrase for e in entries if len(e.phrase.split()) >= 2}
        self.by_fold: dict[str, str] = {}
        for p in sorted(phrases):  # two spellings folding alike: the first in order wins, stably
            self.by_fold.setdefault(" ".join(fold(p).split()), p)
        keys = sorted(self.by_fold, key=len, reverse=True)
        self.rx = regex.compile(r"(?<![\p{L}\p{N}])(?:" + "|".join(
            r"\s+".join(regex.escape(w) for w in k.split()) for k in keys) + r")(?![\p{L}\p{N}])") if keys else None

    def __bool__(self) -> bool:
        return self.rx is not None

    def apply(self, text: str) -> str:
        if self.rx is None or not text:
            return text
        folded = fold(text)
        if len(folded) != len(text):  # cannot happen for NFC text; never risk a misaligned edit
            return text
        out, last = [], 0
        for m in self.rx.finditer(folded):
            seen = text[m.start():m.end()]
            want = self.by_fold[" ".join(m.group().split())]
            if seen.isupper():
                want = want.upper()
            # keep the text's own spacing (a line break inside a name stays)
            words, gaps = want.split(), regex.findall(r"\s+", seen)
            want = "".join(w + (gaps[i] if i < len(gaps) else "") for i, w in enumerate(words))
            out.append(text[last:m.start()])
            out.append(want if seen != want else seen)
            last = m.end()
        out.append(text[last:])
        return "".join(out)


def default_path(out_dir: Path) -> Path:
    return Path(out_dir) / FILE_NAME
