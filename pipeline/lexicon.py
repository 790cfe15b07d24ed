"""The dictionaries, loaded once into an immutable object that is passed explicitly.

Syllables with counts, the syllable language model (its bigram and trigram rows read where
first needed), acronyms, place names and the learned OCR confusion costs. Nothing loads at
import time.
"""
from __future__ import annotations

import hashlib
import os
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import regex

from .errors import MissingDependencyError
from .resources import data_dir

_MARKS = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}  # the five tone marks
_ONSET = r"(?:ngh|ng|nh|ch|gh|gi|kh|ph|qu|th|tr|[bcdghklmnprstvx])?"
_SHAPE = regex.compile(rf"^{_ONSET}(?:[aeiouy]{{1,3}})(?:ng|nh|ch|[cmnpt])?$")
SHIFT = 20  # bits per token id in packed n-gram keys
RUN_BREAK = ".,;:!?()[]{}\"“”‘’'…|«»*=+<>"  # punctuation that ends a language-model run


def fold(s: str) -> str:
    """Letters without any diacritics: 'Đường' -> 'Duong'."""
    s = unicodedata.normalize("NFD", s.replace("đ", "d").replace("Đ", "D"))
    return "".join(c for c in s if not unicodedata.combining(c))


_OLD_TO_NEW = {"oà": "òa", "oá": "óa", "oả": "ỏa", "oã": "õa", "oạ": "ọa", "oè": "òe", "oé": "óe",
               "oẻ": "ỏe", "oẽ": "õe", "oẹ": "ọe", "uỳ": "ùy", "uý": "úy", "uỷ": "ủy", "uỹ": "ũy", "uỵ": "ụy"}
_NEW_TO_OLD = {v: k for k, v in _OLD_TO_NEW.items()}
_OLD_RX = regex.compile(r"(?<![qQ])(" + "|".join(_OLD_TO_NEW) + r")(?!\p{L})", regex.I)  # 'quý' is one way only
_NEW_RX = regex.compile(r"(?<![qQ])(" + "|".join(_NEW_TO_OLD) + r")(?!\p{L})", regex.I)


def _swap(m: regex.Match, table: dict[str, str]) -> str:
    s = m.group(1)
    out = table[s.lower()]
    return "".join(o.upper() if c.isupper() else o for c, o in zip(s, out))


def tone_style(s: str) -> str:
    """'old' if the text places a tone mark the traditional way ('hoà'), 'new' ('hòa'), else ''."""
    old, new = len(_OLD_RX.findall(s)), len(_NEW_RX.findall(s))
    return "old" if old > new else "new" if new else ""


def tone_new(s: str) -> str:
    """Tone mark on the main vowel ('hoà' -> 'hòa', 'uỷ' -> 'ủy'): the form the dictionaries use."""
    return _OLD_RX.sub(lambda m: _swap(m, _OLD_TO_NEW), s)


def tone_old(s: str) -> str:
    """Traditional placement ('hòa' -> 'hoà', 'ủy' -> 'uỷ'); 'quý' keeps its mark."""
    return _NEW_RX.sub(lambda m: _swap(m, _NEW_TO_OLD), s)


_TONE_NAMES = (("\u0300", "grave"), ("\u0301", "acute"), ("\u0309", "hook"), ("\u0303", "tilde"), ("\u0323", "dot"))


def tone_name(s: str) -> str:
    d = unicodedata.normalize("NFD", s)
    return next((name for ch, name in _TONE_NAMES if ch in d), "none")


def shape(s: str) -> str:
    """The letters with their vowel shapes (ă â ê ô ơ ư đ) but no tone mark."""
    d = unicodedata.normalize("NFD", s)
    return unicodedata.normalize("NFC", "".join(c for c in d if c not in _MARKS))


def tone_count(s: str) -> int:
    return sum(c in _MARKS for c in unicodedata.normalize("NFD", s))


def edit_runs(opcodes) -> Iterator[list]:
    """The runs of adjacent edits (non-equal opcodes) of an alignment, in order: OCR errors
    that touch each other ('ir' for 'u') are learned and priced as one."""
    run: list = []
    for op in opcodes:
        if op.tag == "equal":
            if run:
                yield run
                run = []
        else:
            run.append(op)
    if run:
        yield run


def is_syllable_shape(s: str) -> bool:
    """Could this lowercase word be one Vietnamese syllable (onset, vowels, coda, <= 1 tone)?"""
    return len(s) <= 7 and tone_count(s) <= 1 and bool(_SHAPE.match(fold(s)))


def default_dir() -> Path:
    """$VNPLANS_DICT_DIR, else the installed package's dictionaries (the checkout's in a checkout)."""
    env = os.environ.get("VNPLANS_DICT_DIR")
    return Path(env) if env else data_dir("dictionaries")


def _rows(path: Path):
    with open(path, encoding="utf-8") as f:
        next(f)  # header
        for line in f:
            yield line.rstrip("\n").split("\t")


class _SortedRows:
    """A sorted TSV file kept as its bytes: the rows that start with a prefix are found by
    bisection when first asked for, so a big table costs nothing to load (UTF-8 byte order is
    code point order, and a tab sorts below every character a token has)."""

    def __init__(self, path: Path, columns: int, ids: dict[str, int], tokens: list[str]):
        data = path.read_bytes()
        if not data.endswith(b"\n"):
            data += b"\n"
        self.path, self.columns, self.ids, self.tokens = path, columns, ids, tokens
        self.data, self.start = data, data.index(b"\n") + 1  # below the header
        if data.count(b"\t") != (columns - 1) * data.count(b"\n"):  # a cheap check of the whole file
            raise ValueError(f"{path.name}: expected {columns} columns on every row")

    def __len__(self) -> int:
        return self.data.count(b"\n", self.start)

    def _first(self, key: bytes, lo: int) -> int:
        """Offset of the first row from row start lo on that is not below `key` (rows compared
        on their first len(key) bytes)."""
        data, n, hi = self.data, len(key), len(self.data)
        while lo < hi:
            mid = (lo + hi) // 2
            p = data.rfind(b"\n", lo, mid) + 1 or lo  # the row that holds mid (or lo's)
            if data[p:p + n] < key:
                lo = data.index(b"\n", p) + 1
            else:
                hi = p
        return lo

    def span(self, *context: int) -> tuple[int, int]:
        """Offsets of the first row whose first tokens are `context` (token ids) and of the row
        after the last one."""
        key = "".join(self.tokens[t] + "\t" for t in context).encode()
        lo = self._first(key, self.start)
        return lo, self._first(key[:-1] + b"\n", lo)  # a tab is the byte below a newline

    def columns_of(self, lo: int, hi: int) -> list[list[str]]:
        """The columns of the rows between two offsets."""
        if lo >= hi:
            return [[] for _ in range(self.columns)]
        flat = self.data[lo:hi - 1].decode().replace("\n", "\t").split("\t")
        if len(flat) % self.columns:
            raise MissingDependencyError(f"{self.path}: expected {self.columns} columns per row; run `make dictionaries`")
        return [flat[i::self.columns] for i in range(self.columns)]

    def id_of(self, tok: str) -> int:
        i = self.ids.get(tok)
        if i is None:  # the build writes n-grams over the unigram vocabulary only
            raise MissingDependencyError(f"{self.path}: token {tok!r} is not in unigrams.tsv; run `make dictionaries`")
        return i


class Bigrams(_SortedRows):
    """bigrams.tsv (w1 w2 count logp backoff), read per first token on first use."""

    def __init__(self, path: Path, ids: dict[str, int], tokens: list[str]):
        super().__init__(path, 5, ids, tokens)
        self.blocks: dict[int, dict[int, tuple[float, float]]] = {}  # a -> b -> (log P(b | a), back-off of (a, b))

    def block(self, a: int) -> dict[int, tuple[float, float]]:
        _, b, _, lp, bo = self.columns_of(*self.span(a))
        out = self.blocks[a] = dict(zip(map(self.id_of, b), zip(map(float, lp), map(float, bo))))
        return out


class Trigrams(_SortedRows):
    """trigrams.tsv (w1 w2 w3 count logp), read per two-token context on first use."""

    def __init__(self, path: Path, ids: dict[str, int], tokens: list[str]):
        super().__init__(path, 5, ids, tokens)
        self.blocks: dict[int, dict[int, float]] = {}  # packed (a, b) -> c -> log P(c | a, b)

    def block(self, key: int, a: int, b: int) -> dict[int, float]:
        _, _, c, _, lp = self.columns_of(*self.span(a, b))
        out = self.blocks[key] = dict(zip(map(self.id_of, c), map(float, lp)))
        return out


@dataclass(frozen=True)
class Lexicon:
    ident: str
    ids: dict[str, int]
    tokens: tuple[str, ...]
    uni: tuple[int, ...]          # counts
    total: int
    p1: tuple[float, ...]         # log P(token), continuation unigram
    bo1: tuple[float, ...]        # log back-off weight of a one-token context
    bi: Bigrams                   # per token a: b -> (log P(b | a), log back-off weight of (a, b))
    tri: Trigrams                 # per context (a, b): c -> log P(c | a, b)
    syllables: frozenset[str]
    by_fold: dict[str, tuple[str, ...]]  # folded form -> syllables, most frequent first
    acronyms: frozenset[str]
    confusions: dict[tuple[str, str], float]  # (observed, truth base letters) -> cost
    name_bi: frozenset[int]  # packed bigrams inside place and person names
    tones: dict[tuple[str, str, str], float]  # (case, observed tone, true tone) -> cost, from vie OCR
    # optional tables (older dictionary directories lack them):
    persons: dict[str, dict[str, int]] = field(default_factory=dict)  # role -> name syllable -> rank
    marks: dict[tuple[str, str, str], float] = field(default_factory=dict)  # (case, observed, true vowel) -> cost
    doubt: tuple[tuple[float, float, int], ...] = ()  # (upper bound of a Tesseract confidence bucket, share wrong, words)

    def id(self, tok: str) -> int:
        return self.ids.get(tok, self.ids["<oov>"])

    def count(self, tok: str) -> int:
        i = self.ids.get(tok)
        return self.uni[i] if i is not None else 0

    def logp(self, a: int, b: int, c: int) -> float:
        """log P(c | a, b) under the Kneser-Ney model, backing off where the trigram is unseen."""
        k2 = (a << SHIFT) | b
        tri = self.tri.blocks.get(k2)
        if tri is None:
            tri = self.tri.block(k2, a, b)
        t = tri.get(c)
        if t is not None:
            return t
        ab = self.bi.blocks.get(a)
        if ab is None:
            ab = self.bi.block(a)
        bo = ab[b][1] if b in ab else 0.0
        bc = self.bi.blocks.get(b)
        if bc is None:
            bc = self.bi.block(b)
        p = bc.get(c)
        if p is not None:
            return bo + p[0]
        return bo + self.bo1[b] + self.p1[c]


_NEED = ("syllables.tsv", "unigrams.tsv", "bigrams.tsv", "trigrams.tsv", "acronyms.tsv", "confusions.tsv",
         "name_bigrams.tsv", "tone_confusions.tsv")
_OPTIONAL = ("persons.tsv", "mark_confusions.tsv", "ocr_confidence.tsv")


def ident(directory: Path | None = None) -> str:
    """A short fingerprint of a dictionary directory (names and sizes), without loading it;
    raises MissingDependencyError when a file is missing."""
    d = Path(directory) if directory else default_dir()
    missing = [n for n in _NEED if not (d / n).exists()]
    if missing:
        raise MissingDependencyError(f"dictionaries missing in {d}: {', '.join(missing)} (run `make dictionaries`)")
    h = hashlib.sha256()
    for n in _NEED + tuple(n for n in _OPTIONAL if (d / n).exists()):
        h.update(f"{n}:{(d / n).stat().st_size}".encode())
    return h.hexdigest()[:12]


class LazyLexicon:
    """The dictionaries of a directory, checked now and loaded on first use: a re-run with
    nothing left to correct never pays the load."""

    def __init__(self, directory: Path | None = None):
        self.directory = Path(directory) if directory else default_dir()
        self.ident = ident(self.directory)
        self._lex: Lexicon | None = None

    def get(self) -> Lexicon:
        if self._lex is None:
            self._lex = load(self.directory)
        return self._lex


def load(directory: Path | None = None) -> Lexicon:
    """The dictionaries of a directory; a missing or damaged file is a MissingDependencyError."""
    d = Path(directory) if directory else default_dir()
    fingerprint = ident(d)
    try:
        return _load(d, fingerprint)
    except (ValueError, KeyError, IndexError, UnicodeDecodeError, StopIteration) as e:
        raise MissingDependencyError(f"dictionaries in {d} are damaged ({e}); run `make dictionaries`") from e


def _load(d: Path, fingerprint: str) -> Lexicon:
    ids: dict[str, int] = {}
    tokens: list[str] = []
    counts: list[int] = []
    p1: list[float] = []
    bo1: list[float] = []
    for tok, c, lp, bo in _rows(d / "unigrams.tsv"):
        ids[tok] = len(tokens)
        tokens.append(tok)
        counts.append(int(c))
        p1.append(float(lp))
        bo1.append(float(bo))
    for special in ("<s>", "</s>", "<num>", "<unk>", "<oov>"):
        if special not in ids:
            ids[special] = len(tokens)
            tokens.append(special)
            counts.append(1)
            p1.append(-20.0)
            bo1.append(0.0)
    bi = Bigrams(d / "bigrams.tsv", ids, tokens)  # read where the language model first needs them
    tri = Trigrams(d / "trigrams.tsv", ids, tokens)
    syl_counts = {s: int(c) for s, c in _rows(d / "syllables.tsv")}
    groups: dict[str, list[str]] = {}
    for s in syl_counts:
        groups.setdefault(fold(s), []).append(s)
    by_fold = {k: tuple(sorted(v, key=lambda s: -syl_counts[s])) for k, v in groups.items()}
    acronyms = frozenset(a for a, _ in _rows(d / "acronyms.tsv"))
    conf = {(o, t): float(c) for o, t, _, c in _rows(d / "confusions.tsv")}
    names = set()
    if (d / "name_bigrams.tsv").exists():
        for a, b, _ in _rows(d / "name_bigrams.tsv"):
            ia, ib = ids.get(a), ids.get(b)
            if ia is not None and ib is not None:
                names.add((ia << SHIFT) | ib)
    tones = {(case, o, t): float(c) for case, o, t, _, c in _rows(d / "tone_confusions.tsv")}
    persons: dict[str, dict[str, int]] = {}
    if (d / "persons.tsv").exists():
        for role, name, rank in _rows(d / "persons.tsv"):
            persons.setdefault(role, {})[name] = int(rank)
    marks = {}
    if (d / "mark_confusions.tsv").exists():
        marks = {(case, o, t): float(c) for case, o, t, _, c in _rows(d / "mark_confusions.tsv")}
    doubt: tuple[tuple[float, float, int], ...] = ()
    if (d / "ocr_confidence.tsv").exists():
        doubt = tuple((float(hi), float(share), int(n)) for _, hi, n, _, share in _rows(d / "ocr_confidence.tsv"))
    return Lexicon(fingerprint, ids, tuple(tokens), tuple(counts), sum(counts), tuple(p1), tuple(bo1),
                   bi, tri,
                   frozenset(syl_counts), by_fold, acronyms, conf, frozenset(names), tones, persons, marks, doubt)
