"""Names the field rules check values against: administrative units, surnames, position titles
and the kinds of issuing bodies. Loaded once from `dictionaries/` into an immutable object."""
from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from .lexicon import default_dir, fold


@dataclass(frozen=True)
class Gazetteer:
    places: dict[str, tuple[str, ...]]  # folded name -> the names it may be ("thanh hoa" -> ("Thanh Hoá", "Thanh Hoà"))
    provinces: frozenset[str]  # province and city names as written
    surnames: frozenset[str]
    positions: tuple[str, ...]  # sentence case, longest first
    bodies: tuple[str, ...]  # kinds of issuing body, longest first



def key(text: str) -> str:
    """Comparison key: lower case, no marks, single spaces, no punctuation but '-'."""
    t = fold(text.lower())
    t = "".join(c if c.isalnum() or c in " -" else " " for c in t)
    return " ".join(t.replace(" - ", "-").replace("-", " - ").split())


def _column(path: Path) -> list[list[str]]:
    with open(path, encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f, delimiter="\t"))
    return rows[1:]


def load(directory: Path | None = None) -> Gazetteer:
    d = Path(directory) if directory else default_dir()
    places: dict[str, tuple[str, ...]] = {}
    provinces = set()
    for row in _column(d / "places.tsv"):
        level, name = row[0], row[1]
        k = key(name)
        if name not in places.get(k, ()):
            places[k] = places.get(k, ()) + (name,)
        if level in ("tỉnh", "thành phố") and (len(row) < 3 or not row[2]):
            provinces.add(name)
    places.setdefault(key("Hà Nội"), ("Hà Nội",))
    surnames = frozenset(r[0] for r in _column(d / "surnames.tsv"))
    positions = tuple(sorted((r[0] for r in _column(d / "positions.tsv")), key=len, reverse=True))
    bodies = tuple(sorted((r[0] for r in _column(d / "bodies.tsv")), key=len, reverse=True))
    return Gazetteer(places, frozenset(provinces), surnames, positions, bodies)
