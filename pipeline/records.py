"""Frozen dataclasses passed between stages, and the plan record of SPEC.md."""
from __future__ import annotations

import dataclasses
import enum
import json
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Word:
    """One OCR word with its box (pixels) and Tesseract confidence (0-100)."""
    text: str
    conf: float
    left: int
    top: int
    width: int
    height: int
    line: int  # running line index on the page


@dataclass(frozen=True)
class Reading:
    """A value read from one region of a page image beside the page's OCR (a handwritten
    number or day, a header zone read again): what, where and how sure."""
    field: str  # 'number', 'day', 'zone:header-left', ...
    text: str
    confidence: float  # 0-100
    box: tuple[int, int, int, int]  # x0, y0, x1, y1 in pixels of the page image
    source: str = "ocr"  # 'ocr', 'handwriting', 'text-layer', 'digital-signature'
    alternatives: tuple[tuple[str, float], ...] = ()  # other readings with their confidence


@dataclass(frozen=True)
class PageResult:
    """What the OCR (or text-layer) stage produced for one page."""
    page: int  # 1-based
    text: str
    words: tuple[Word, ...] = ()
    confidence: float | None = None  # mean word confidence, None for text layers
    engine: str = ""  # e.g. "tesseract 5.3.0 vie psm3 300dpi"
    seconds: float = 0.0
    error: str = ""  # non-empty when the page failed; text is then ""
    warnings: tuple[str, ...] = ()
    width: int = 0  # pixels of the page image the word boxes refer to (0: no image)
    height: int = 0
    kind: str = ""  # page kind from image preparation: 'text', 'blank', 'near-blank' ('' unknown)
    readings: tuple[Reading, ...] = ()
    preview: bytes = b""  # the page as OCR read it (box space), a small JPEG for the report


class Why(enum.StrEnum):
    """Why the restorer changed a word (`Correction.why`)."""
    DIACRITICS = "diacritics"        # marks added or changed (tone placement included)
    OCR_CONFUSION = "ocr-confusion"  # letters OCR confuses ('rn' for 'm')
    OCR_DIGIT = "ocr-digit"          # 'l3' beside numbers is 13
    SPLIT = "split"                  # a number glued to a word ('26tháng')
    NAME = "name"                    # a person's name syllable OCR misread


class PageKind(enum.StrEnum):
    """Image preparation's verdict on a page before OCR (`PageResult.kind`; '' unknown)."""
    UNKNOWN = ""
    TEXT = "text"
    BLANK = "blank"            # not read
    NEAR_BLANK = "near-blank"  # read once, no retries


class InputKind(enum.StrEnum):
    """What an input file is (catalog `files.kind`)."""
    PDF = "pdf"
    IMAGE = "image"
    TEXT = "text"
    DOCX = "docx"


class FileStatus(enum.StrEnum):
    """A file's state in the catalog (`files.status`). Part B of issue 11 moves batch.py to it."""
    PENDING = "pending"
    DONE = "done"
    FAILED = "failed"


class EventKind(enum.StrEnum):
    """Kinds of progress events a run reports (batch.Event.kind). Part B moves batch/cli to it."""
    PLANNED = "planned"  # pages to OCR counted
    PAGE = "page"        # one more page read
    DOC = "doc"          # a document's record saved
    FAILED = "failed"    # a document failed (message: the reason)
    WARNING = "warning"  # something optional failed (e.g. a searchable PDF not written)


@dataclass(frozen=True)
class Correction:
    """One change made by the restorer: where, what, why and how sure."""
    line: int
    col: int
    before: str
    after: str
    why: Why
    score: float
    margin: float | None = None      # nats by which the change beat keeping the word (local context)
    confidence: float | None = None  # Tesseract's confidence in the word, when the caller gave it


@dataclass(frozen=True)
class Restored:
    """Corrected text with the account of every change."""
    text: str
    corrections: tuple[Correction, ...]
    tokens: int  # word tokens looked at
    known: int  # of those, known Vietnamese syllables after correction

    @property
    def coverage(self) -> float:
        return round(self.known / self.tokens, 4) if self.tokens else 0.0


@dataclass(frozen=True)
class LegalRef:
    type: str
    number: str
    date: str
    issuer: str


@dataclass(frozen=True)
class Section:
    number: str
    heading: str
    text: str
    children: tuple[Section, ...] = ()


@dataclass(frozen=True)
class Assignment:
    unit: str
    tasks: tuple[str, ...]


@dataclass(frozen=True)
class Quality:
    ocr_confidence: float | None = None
    dictionary_coverage: float | None = None
    corrections: int = 0


class Source(enum.StrEnum):
    """Where a field's value came from (SPEC `evidence.source`)."""
    OCR = "ocr"
    TEXT_LAYER = "text-layer"
    TEXT = "text"
    DIGITAL_SIGNATURE = "digital-signature"
    FILENAME = "filename"
    HUMAN = "human"
    HANDWRITING = "handwriting"


class Reason(enum.StrEnum):
    """Why a person should check a field (SPEC `review.reason`)."""
    HANDWRITING = "handwriting"
    LOW_CONFIDENCE = "low-confidence"
    CONFLICT = "conflict"
    SEAL = "seal"
    MISSING = "missing"


@dataclass(frozen=True)
class Evidence:
    """Where one field's value was read: page, box in that page's pixels, confidence, source."""
    field: str
    page: int
    box: tuple[int, int, int, int] | None
    confidence: float | None
    source: str


@dataclass(frozen=True)
class ReviewFlag:
    field: str
    reason: str


@dataclass(frozen=True)
class PlanRecord:
    """One document's record; field names and meanings are those of SPEC.md."""
    source: str
    pages: int = 0
    text_source: str = ""
    issuer: str = ""
    admin_unit_level: str = ""
    admin_unit_name: str = ""
    doc_type: str = ""
    number: str = ""
    symbol: str = ""
    place: str = ""
    date: str = ""
    title: str = ""
    legal_basis: tuple[LegalRef, ...] = ()
    sections: tuple[Section, ...] = ()
    purposes: tuple[str, ...] = ()
    requirements: tuple[str, ...] = ()
    event_time: str = ""
    event_month: str = ""
    event_location: str = ""
    participants: tuple[str, ...] = ()
    expected_attendees: int | None = None
    funding: str = ""
    assignments: tuple[Assignment, ...] = ()
    assignment_units: tuple[str, ...] = ()
    recipients: tuple[str, ...] = ()
    signer_authority: str = ""
    signer_position: str = ""
    signer_name: str = ""
    quality: Quality = field(default_factory=Quality)
    warnings: tuple[str, ...] = ()
    signed_at: str = ""
    evidence: tuple[Evidence, ...] = ()
    review: tuple[ReviewFlag, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        d = _plain(dataclasses.asdict(self))
        d["evidence"] = {e["field"]: {k: v for k, v in e.items() if k != "field"} for e in d["evidence"]}
        return d

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> PlanRecord:
        d = dict(d)
        d["legal_basis"] = tuple(LegalRef(**x) for x in d.get("legal_basis", ()))
        d["sections"] = tuple(_section(x) for x in d.get("sections", ()))
        d["assignments"] = tuple(Assignment(x["unit"], tuple(x["tasks"])) for x in d.get("assignments", ()))
        d["quality"] = Quality(**d.get("quality", {}))
        ev = d.get("evidence") or {}
        d["evidence"] = tuple(Evidence(k, v.get("page", 0), tuple(v["box"]) if v.get("box") else None,
                                       v.get("confidence"), v.get("source", "")) for k, v in ev.items())
        d["review"] = tuple(ReviewFlag(x["field"], x["reason"]) for x in d.get("review", ()))
        for k in ("purposes", "requirements", "participants", "assignment_units", "recipients", "warnings"):
            d[k] = tuple(d.get(k, ()))
        known = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in d.items() if k in known})


def _section(d: dict[str, Any]) -> Section:
    return Section(d["number"], d["heading"], d["text"], tuple(_section(c) for c in d.get("children", ())))


def _plain(v: Any) -> Any:
    """Tuples to lists, recursively, so the record is plain JSON."""
    if isinstance(v, dict):
        return {k: _plain(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_plain(x) for x in v]
    return v
