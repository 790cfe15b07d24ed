"""Header and signature fields of the document-kinds set (tests/data/kinds: decisions,
directives, official letters, reports, submissions, notices, plans, a resolution) from recorded
OCR of its level-2 and level-4 renders, against hand-made gold: no wrong values, and a floor
under the share of values read, so the parser is not tuned to the sample plans alone."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipeline import gazetteer, lexicon
from pipeline.document import apply_layout
from pipeline.records import PageResult, PlanRecord, Reading, Word
from pipeline.restore import restore

KINDS = Path(__file__).parent / "data" / "kinds"
FIELDS = ("issuer", "doc_type", "number", "symbol", "place", "date", "title",
          "signer_authority", "signer_position", "signer_name")
# share of documents whose value must be right, per level (measured: see README)
FLOOR = {"level2": 0.75, "level4": 0.70}


@pytest.fixture(scope="module")
def env():
    lex = lexicon.load()
    return lex, gazetteer.load()


def pages_of(path: Path) -> tuple[str, list[PageResult]]:
    d = json.loads(path.read_text(encoding="utf-8"))
    pages = [PageResult(p["page"], "", tuple(Word(*w) for w in p["words"]), None, "recorded",
                        width=p["width"], height=p["height"], kind=p.get("kind", ""),
                        readings=tuple(Reading(r["field"], r["text"], r["confidence"], tuple(r["box"]),
                                               r["source"], tuple(tuple(a) for a in r["alternatives"]))
                                       for r in p.get("readings", ())))
             for p in d["pages"]]
    return d["source"], pages


def norm(field: str, v: object) -> str:
    """As the shared scorer compares: case-folded, tone placement unified, spaces squeezed."""
    s = " ".join(str(v).split()).casefold().replace("uỷ", "ủy").replace("oà", "òa").replace("oá", "óa")
    if field in ("number", "symbol"):
        s = s.replace(" ", "").lstrip("0")
    return s.strip(" .;,:-")


def same(field: str, got: str, want: str) -> bool:
    from rapidfuzz import fuzz
    return got == want or (field == "title" and bool(got) and fuzz.ratio(got, want) >= 90)


@pytest.mark.parametrize("level", sorted(FLOOR))
def test_kinds_no_wrong_values(env, level):
    lex, gaz = env
    folder = KINDS / "recorded" / level
    right = dict.fromkeys(FIELDS, 0)
    wrong: list[str] = []
    docs = sorted(folder.glob("*.json"))
    assert len(docs) >= 15
    for path in docs:
        gold = json.loads((KINDS / "gold" / path.name).read_text(encoding="utf-8"))
        source, pages = pages_of(path)
        rec = apply_layout(PlanRecord(source=source), pages, lambda t, c=None: restore(t, lex, confidences=c).text, gaz,
                           lambda w: w in lex.syllables, "ocr", "", lex.persons.get("given", {}))
        for f in FIELDS:
            got, want = norm(f, getattr(rec, f)), norm(f, gold.get(f, ""))
            if same(f, got, want):
                right[f] += 1
            elif got:
                wrong.append(f"{path.stem} {f}: {got!r} (gold {want!r})")
    assert not wrong, wrong
    for f in FIELDS:
        if f in ("signer_name",) and level == "level4":
            assert right[f] >= 8, right[f]  # render_scan's level-4 seal lies on every name: 9 of 19 read
            continue
        assert right[f] / len(docs) >= FLOOR[level] - (0.2 if f in ("number", "signer_position") else 0), (f, right[f])


def test_signature_block_broken_over_a_page_break(env):
    """'TM. ỦY BAN NHÂN DÂN / KT. CHỦ TỊCH' at the foot of page 1, 'PHÓ CHỦ TỊCH' and the name
    (under the seal) at the top of page 2: the block is read on, the deputy's position found."""
    from pipeline.layout import Zone, analyse
    _, pages = pages_of(KINDS / "recorded" / "level4" / "qd_tinh_daklak.json")
    lay = analyse(pages)
    assert lay is not None
    sig = lay.get(Zone.SIGNATURE)
    assert [s.page for s in sig if "PHÓ CHỦ TỊCH" in s.text] == [2]
    lex, gaz = env
    rec = apply_layout(PlanRecord(source="d.pdf"), pages, lambda t, c=None: restore(t, lex, confidences=c).text, gaz,
                       lambda w: w in lex.syllables, "ocr", "", lex.persons.get("given", {}))
    assert (rec.signer_authority, rec.signer_position) == ("TM. KT.", "Phó Chủ tịch")
