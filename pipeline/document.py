"""One document's header and signature fields: the zone reading (fields.py over layout.py)
merged into the record parsed from the flattened text, with evidence and review flags."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any, cast

from . import fields, layout, numberdate
from .gazetteer import Gazetteer
from .records import Evidence, PageResult, PlanRecord, Reading, Reason, ReviewFlag, Source

SEAL_DOUBT = 85.0  # a value read under a seal with less confidence than this is flagged 'seal'
TYPED_CONF = 90.0  # Tesseract's confidence in a number's digits above which they are taken as typed
HEADER_FIELDS = ("issuer", "doc_type", "number", "symbol", "place", "date", "title",
                 "signer_authority", "signer_position", "signer_name", "recipients")


def apply_layout(rec: PlanRecord, pages: list[PageResult], fix: Callable[[str], str] | None,
                 gaz: Gazetteer | None, known: Callable[[str], bool], text_source: str,
                 signed_at: str = "", given: dict[str, int] | None = None) -> PlanRecord:
    """The record with header and signature fields read from the page zones where the pages
    carry word boxes; every field gets evidence, doubtful ones a review flag. `signed_at` is the
    PDF's own signing time ('' to take it from a stamp read on page 1)."""
    first = next((p for p in pages if not p.error), None)
    by = {r.field: r for r in first.readings} if first is not None else {}
    if not signed_at and "signed_at" in by:
        signed_at = by["signed_at"].text
    rec = replace(rec, signed_at=signed_at)
    lay = layout.analyse(pages) if gaz is not None else None
    if lay is None or gaz is None:
        return _text_evidence(rec, text_source)
    vals = fields.read_fields(lay, fix or (lambda t: t), gaz, known, given)
    if not any(v.value for v in vals.values()):
        return _text_evidence(rec, text_source)  # no zone found: the page is not laid out as Decree 30
    vals = _number_and_date(vals, by, signed_at)
    updates: dict[str, Any] = {}
    evidence: list[Evidence] = []
    review: list[ReviewFlag] = []
    for f in HEADER_FIELDS + ("admin_unit_level", "admin_unit_name"):  # '_date_parts' is internal
        v = vals.get(f)
        if v is None:  # its zone was not found: the flattened text's value stands, to be checked
            if getattr(rec, f) and f in HEADER_FIELDS:
                review.append(ReviewFlag(f, Reason.LOW_CONFIDENCE.value))
                evidence.append(Evidence(f, pages[0].page if pages else 1, None, None, Source.OCR.value))
            continue
        updates[f] = tuple(v.value) if isinstance(v.value, list) else v.value
        if f in HEADER_FIELDS:
            evidence.append(Evidence(f, v.page, v.box, v.confidence, v.source))
            if v.reason:
                review.append(ReviewFlag(f, v.reason))
            elif v.value and (v.confidence or 0) < SEAL_DOUBT and _under_seal(v, lay.seals):
                review.append(ReviewFlag(f, Reason.SEAL.value))
    if "signer_name" in vals and not vals["signer_name"].value and rec.signer_name:
        pass  # the flattened text's guess is not kept: a seal or scribble is over the name
    return replace(rec, **updates, evidence=tuple(evidence), review=tuple(review))


def _number_and_date(vals: dict[str, fields.Value], by: dict[str, Reading], signed_at: str) -> dict[str, fields.Value]:
    """Number and date decided with the page-image readings (handwriting, re-read print) and the
    signing time (numberdate.py); the evidence box becomes the reading's where one decided."""
    out = dict(vals)
    if "number" in vals:
        v = vals["number"]
        r = _on_row(by.get("number"), v.box)
        if v.value and (v.confidence or 0) >= TYPED_CONF:
            number, why = str(v.value), ""  # typed digits Tesseract is sure of: the digit reader does not overrule them
        elif v.value and (v.confidence or 0) >= 60 and r is not None and r.text != v.value:
            number, why = "", Reason.CONFLICT.value  # two fair readings disagree: a person decides
        else:
            number, why = numberdate.decide_number(str(v.value), r)
        src = r.source if r is not None and number and number == r.text else v.source
        out["number"] = replace(v, value=number, reason=why or ("" if number else v.reason),
                                source=Source.HANDWRITING.value if src == "handwriting" else src,
                                box=r.box if r is not None and src == "handwriting" else v.box)
    if "_date_parts" in vals and "date" in vals:
        year, month, day = cast(tuple[str, str, str], vals["_date_parts"].value)
        v = vals["date"]
        r = _on_row(by.get("day"), v.box)
        date, why = numberdate.decide_date(year, month, day, r, signed_at, _on_row(by.get("month"), v.box))
        hand = r is not None and r.source == "handwriting" and len(date) == 10 and not day
        out["date"] = replace(v, value=date, reason=why,
                              source=Source.HANDWRITING.value if hand else v.source)
    return out


def _under_seal(v: fields.Value, seals: tuple[tuple[int, tuple[int, int, int, int]], ...]) -> bool:
    """A seal found on the page image overlaps the box the value was read from."""
    if v.box is None:
        return False
    x0, y0, x1, y1 = v.box
    return any(p == v.page and min(x1, b[2]) > max(x0, b[0]) and min(y1, b[3]) > max(y0, b[1]) for p, b in seals)


def _on_row(r: Reading | None, box: tuple[int, int, int, int] | None) -> Reading | None:
    """The reading when it lies on the row of the line the field was read from ('Số: …',
    'place, ngày …'); a reading from elsewhere on the page is not about this field."""
    if r is None or box is None:
        return None
    overlap = min(r.box[3], box[3]) - max(r.box[1], box[1])
    return r if overlap > 0.3 * max(1, min(r.box[3] - r.box[1], box[3] - box[1])) else None


def _text_evidence(rec: PlanRecord, text_source: str) -> PlanRecord:
    """Text and text-layer inputs: the values stand as parsed; evidence says where from."""
    src = Source.TEXT.value if text_source == "text" else (
        Source.TEXT_LAYER.value if text_source == "text-layer" else Source.OCR.value)
    ev = tuple(Evidence(f, 1, None, None, src) for f in HEADER_FIELDS if getattr(rec, f))
    review = tuple(ReviewFlag(f, Reason.MISSING.value) for f in ("issuer", "doc_type", "title")
                   if not getattr(rec, f))
    return replace(rec, evidence=ev, review=review)
