"""One document through the pipeline, as plain functions over frozen records: an input
triaged (`prepare`: what needs OCR, what is read already), and the pages of a document made into
its record (`finish`: normalise, restore, parse, zones, quality). The header and signature fields
come from the zone reading (fields.py over layout.py) merged into the record parsed from the
flattened text, with evidence and review flags (`apply_layout`). No catalog, no processes here."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, cast

from . import fields, inputs, layout, legacy, numberdate, poppler, tesseract, textlayer
from .corrector import Corrector
from .errors import DocReason, InputFileError, PageError
from .gazetteer import Gazetteer
from .normalize import normalize, word_confidences
from .records import Evidence, InputKind, PageResult, PlanRecord, Quality, Reading, Reason, ReviewFlag, Source
from .structure import parse

SEAL_DOUBT = 85.0  # a value read under a seal with less confidence than this is flagged 'seal'
TYPED_CONF = 90.0  # Tesseract's confidence in a number's digits above which they are taken as typed
FAIR_CONF = 40.0  # ... below which a typed number one digit off a reader's is no evidence either way
HEADER_FIELDS = ("issuer", "doc_type", "number", "symbol", "place", "date", "title",
                 "signer_authority", "signer_position", "signer_name", "recipients")


def apply_layout(rec: PlanRecord, pages: list[PageResult], fix: fields.Fix | None,
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
    vals = fields.read_fields(lay, fix or fields.keep, gaz, known, given)
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
    return replace(rec, **updates, evidence=tuple(evidence), review=tuple(review))


def _number_and_date(vals: dict[str, fields.Value], by: dict[str, Reading], signed_at: str) -> dict[str, fields.Value]:
    """Number and date decided with the page-image readings (handwriting, re-read print) and the
    signing time (numberdate.py); the evidence box becomes the reading's where one decided."""
    out = dict(vals)
    if "number" in vals:
        v = vals["number"]
        r = _on_row(by.get("number"), v.box)
        printed = str(v.value)
        raw = printed or (str(vals["_number_raw"].value) if "_number_raw" in vals else "")
        conf = v.confidence or 0
        fair = bool(printed) and conf >= FAIR_CONF
        if "_number_blank" in vals:
            number, why, r = "", "", None  # a draft's blank slot: whatever a reader saw there is not a number
        elif printed and conf >= TYPED_CONF:
            number, why = printed, ""  # typed digits Tesseract is sure of: the digit reader does not overrule them
        elif raw and r is not None and _one_off(r.text, raw) and (len(r.text) > len(raw) or fair):
            # one digit more (the slash or a speck read as one) or fewer (one cut off with 'Số:' or the
            # slash): the print stands when Tesseract read it fairly; read with little confidence, a
            # reader's longer number is a conflict ('300' at 9 beside '3001', '31' at 10 beside a right
            # '311') and a shorter one goes to the usual rules ('26l1' at 37 beside a right '261')
            number, why = (raw, Reason.LOW_CONFIDENCE.value) if fair else ("", Reason.CONFLICT.value)
        elif printed and conf >= 60 and r is not None and r.text != printed:
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
        seen = str(vals["_day_raw"].value) if "_day_raw" in vals else ""  # a day not taken as printed
        doubt = seen if seen.isdecimal() and len(seen) <= 2 else ""  # a day Tesseract read with doubt: a reader must agree
        date, why = numberdate.decide_date(year, month, day, r, signed_at, _on_row(by.get("month"), v.box), doubt)
        if len(date) == 7 and not why and seen:  # a day was there, unreadable: say so
            why = Reason.LOW_CONFIDENCE.value
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


def _one_off(read: str, printed: str) -> bool:
    """'15871' read where Tesseract printed '1587' (one character more at either end: a speck or
    the slash taken for a digit; two more after it: the slash and a letter), or '587' / '158' (a
    digit cut off with 'Số:' or the slash beside it).

    >>> _one_off("15871", "1587"), _one_off("587", "1587"), _one_off("158", "1587"), _one_off("04", "01")
    (True, True, True, False)
    >>> _one_off("1514", "15"), _one_off("3151", "15")
    (True, False)
    """
    if len(read) == len(printed) + 1:
        return read.startswith(printed) or read.endswith(printed)
    if len(read) == len(printed) + 2 and read.startswith(printed):
        return True  # the reader ran on over the slash and the symbol's first letter ('1514' for '15/N')
    return bool(read) and len(printed) == len(read) + 1 and (printed.endswith(read) or printed.startswith(read))


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


# ---------------------------------------------------------------- triage of an input

@dataclass(frozen=True)
class Prepared:
    """An input triaged: its page count, the pages read without OCR (a text file's text, a
    PDF's real text layers) and the pages left to OCR."""
    pages: int
    read: tuple[PageResult, ...]
    ocr: frozenset[int]


def prepare(f: inputs.InputFile, done: frozenset[int]) -> Prepared:
    """What one input needs, given the pages the catalog already holds (`done`). Raises
    InputFileError for an input that cannot be read."""
    if f.kind in (InputKind.TEXT, InputKind.DOCX):
        text = inputs.read_text(f.path) if f.kind == InputKind.TEXT else inputs.read_docx(f.path)
        text, enc = legacy.fix(text)
        warn = (f"text in the legacy {enc.upper()} encoding, converted to Unicode",) if enc else ()
        return Prepared(1, (PageResult(1, text, engine=Source.TEXT, warnings=warn),), frozenset())
    if f.kind == InputKind.PDF:
        inputs.check_pdf_magic(f.path)
        n = poppler.page_count(f.path)
        missing = set(range(1, n + 1)) - done
        read: list[PageResult] = []
        if missing:
            for lp in textlayer.read(f.path):
                if lp.page in missing and lp.is_real:
                    warn = (str(PageError(lp.page, f"text layer in the legacy {lp.legacy.upper()} encoding, "
                                                   "converted to Unicode")),) if lp.legacy else ()
                    read.append(PageResult(lp.page, lp.text, engine=Source.TEXT_LAYER, warnings=warn))
                    missing.discard(lp.page)
        return Prepared(n, tuple(read), frozenset(missing))
    n = image_frames(f.path)
    return Prepared(n, (), frozenset(set(range(1, n + 1)) - done))


def image_frames(path: Path) -> int:
    """Pages (frames) of an image file; an unreadable or oversized image is an InputFileError."""
    from PIL import Image
    try:
        with Image.open(path) as im:
            return max(1, getattr(im, "n_frames", 1))
    except Image.DecompressionBombError as e:
        raise InputFileError(f"image too large: {e}") from e
    except (OSError, ValueError) as e:
        raise InputFileError(f"unreadable image: {e}") from e


def stored_pages(pages: list[PageResult | None]) -> tuple[tuple[PageResult, ...], Source]:
    """A document's pages as the catalog holds them (None: missing), their text rebuilt from the
    word boxes (so layout rules apply on --reprocess), and the text source they make."""
    out = tuple(PageResult(i + 1, "", error=str(PageError(i + 1, DocReason.PAGE_MISSING))) if p is None
                else replace(p, text=tesseract.lines_text(p.words)) if p.words else p
                for i, p in enumerate(pages))
    layer = all(p.engine == Source.TEXT_LAYER for p in out if not p.error)
    return out, Source.TEXT_LAYER if layer else Source.OCR


# ---------------------------------------------------------------- finishing a document

@dataclass(frozen=True)
class Finished:
    """A document's record and corrected text, with what the run counts."""
    record: PlanRecord
    text: str
    good: tuple[PageResult, ...]  # the pages that were read (a searchable PDF is made of them)
    corrections: int
    confidence: float | None  # mean OCR word confidence, None without OCR words


@dataclass(frozen=True)
class Failed:
    """A document that gave no record, and why (errors.csv)."""
    reason: str


def finish(source: str, pages: tuple[PageResult, ...], text_source: Source, corrector: Corrector | None,
           gaz: Callable[[], Gazetteer], pdf_path: Path | None = None) -> Finished | Failed:
    """A document's pages made into its record: normalised, restored (OCR and text inputs; a
    text layer is only measured), parsed, header and signature fields from the page zones, and
    quality. `pdf_path`: the input PDF, whose own signing time is read; `gaz` loads the gazetteer."""
    good = tuple(p for p in pages if not p.error)
    if not good:
        return Failed(pages[0].error if pages else DocReason.NO_PAGES)
    warnings = [p.error for p in pages if p.error] + [w for p in pages for w in p.warnings]
    text = cast(str, normalize("\n\n".join(p.text for p in good)))  # without explain: the text
    words = [w for p in good for w in p.words if w.conf >= 0]
    conf = round(sum(w.conf for w in words) / len(words), 2) if words else None
    corrections = 0
    if corrector is not None and text_source in (Source.OCR, Source.TEXT):
        res = corrector.correct(text, body_confidences(text, good) if text_source == Source.OCR else None)
        text, corrections = res.text, len(res.corrections)
        quality = Quality(conf, res.coverage, corrections)
    elif corrector is not None:
        quality = Quality(conf, corrector.coverage(text), 0)
    else:
        quality = Quality(conf, None, 0)
    if not text.strip():
        return Failed(DocReason.NO_TEXT)
    rec = parse(text, source=source, pages=len(pages), text_source=text_source)
    rec = replace(rec, quality=quality, warnings=tuple(warnings) + rec.warnings)
    rec = zones(rec, list(good), corrector, gaz(), text_source, pdf_path)
    return Finished(rec, text, good, corrections, conf)


def body_confidences(text: str, pages: tuple[PageResult, ...]) -> list[list[float]] | None:
    """Tesseract's confidence of each token of the normalised body text, its pages' OCR words
    taken in the order their text has them (issue 17); None without OCR words."""
    words = [(w.text, w.conf) for p in pages for w in sorted(p.words, key=lambda w: (w.line, w.left))]
    return word_confidences(text, words) if words else None


def zones(rec: PlanRecord, pages: list[PageResult], corrector: Corrector | None, gaz: Gazetteer,
          text_source: Source, pdf_path: Path | None = None) -> PlanRecord:
    """Header and signature fields from the page zones (`apply_layout`); OCR text read zone by
    zone is corrected like the document's."""
    from .signing import signed_at_from_pdf
    signed = signed_at_from_pdf(pdf_path) if pdf_path is not None else ""
    if corrector is not None and text_source == Source.OCR:
        return apply_layout(rec, pages, corrector.fix, gaz, corrector.known, text_source, signed,
                            corrector.given_names())
    return apply_layout(rec, pages, None, gaz, lambda w: True, text_source, signed)
