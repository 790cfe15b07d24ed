"""One document's header and signature fields: the zone reading (fields.py over layout.py)
merged into the record parsed from the flattened text, with evidence and review flags."""
from __future__ import annotations

from dataclasses import replace
from typing import Callable

from . import fields, layout
from .gazetteer import Gazetteer
from .records import Evidence, PageResult, PlanRecord, Reason, ReviewFlag, Source

HEADER_FIELDS = ("issuer", "doc_type", "number", "symbol", "place", "date", "title",
                 "signer_authority", "signer_position", "signer_name", "recipients")


def apply_layout(rec: PlanRecord, pages: list[PageResult], fix: Callable[[str], str] | None,
                 gaz: Gazetteer | None, known: Callable[[str], bool], text_source: str) -> PlanRecord:
    """The record with header and signature fields read from the page zones where the pages
    carry word boxes; every field gets evidence, doubtful ones a review flag."""
    lay = layout.analyse(pages) if gaz is not None else None
    if lay is None or gaz is None:
        return _text_evidence(rec, text_source)
    vals = fields.read_fields(lay, fix or (lambda t: t), gaz, known)
    if not any(v.value for v in vals.values()):
        return _text_evidence(rec, text_source)  # no zone found: the page is not laid out as Decree 30
    updates: dict[str, object] = {}
    evidence: list[Evidence] = []
    review: list[ReviewFlag] = []
    for f in HEADER_FIELDS + ("admin_unit_level", "admin_unit_name"):
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
    if "signer_name" in vals and not vals["signer_name"].value and rec.signer_name:
        pass  # the flattened text's guess is not kept: a seal or scribble is over the name
    return replace(rec, **updates, evidence=tuple(evidence), review=tuple(review))


def _text_evidence(rec: PlanRecord, text_source: str) -> PlanRecord:
    """Text and text-layer inputs: the values stand as parsed; evidence says where from."""
    src = Source.TEXT.value if text_source == "text" else (
        Source.TEXT_LAYER.value if text_source == "text-layer" else Source.OCR.value)
    ev = tuple(Evidence(f, 1, None, None, src) for f in HEADER_FIELDS if getattr(rec, f))
    review = tuple(ReviewFlag(f, Reason.MISSING.value) for f in ("issuer", "doc_type", "title")
                   if not getattr(rec, f))
    return replace(rec, evidence=ev, review=review)
