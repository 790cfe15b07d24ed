"""The static review report: OUT/report/index.html and one page per document, from the catalog.

The site opens from disk (no server, no network): a table of all documents (sortable and
filterable by a small script over `docs.js`), and per document its page thumbnails, each field
beside the crop of the page region it came from, and the corrected text with every change and
every doubtful OCR word marked. Images are small JPEG files written once; a document's page is
rewritten only when its record, text or human version changed. Jinja2 autoescapes everything.
"""
from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from ..errors import OutputError
from ..export import write_text as _write
from ..records import PlanRecord
from ..store import Catalog, HumanVersion
from .images import ImageStore, PageImages
from .textmarks import Segment, segments

ASSETS = Path(__file__).parent / "static"
TEMPLATES = Path(__file__).parent / "templates"
STAMP = "vnplans-report 1"  # bump when templates change: every document page is rewritten
PAGE_ROWS = 500  # rows of the index rendered into the HTML itself (the script pages the rest)
STATE = ".state.json"
DISPLAY = ("doc_type", "number", "symbol", "date", "place", "issuer", "admin_unit_level", "admin_unit_name",
           "title", "signer_authority", "signer_position", "signer_name", "signed_at", "event_time",
           "event_month", "event_location", "expected_attendees", "funding")

__all__ = ["ImageStore", "ReportStats", "doc_id", "document_view", "environment", "index_rows", "write_report"]


@dataclass(frozen=True)
class ReportStats:
    documents: int  # records in the report
    failed: int  # inputs that failed (listed in the table)
    pages_written: int  # document pages written this time (others were up to date)
    images_written: int
    seconds: float
    problems: tuple[str, ...] = ()  # documents whose page could not be made ('source: reason')


@dataclass(frozen=True)
class FieldView:
    name: str
    value: str
    machine: str  # the machine's value ('' when the same as value)
    human: bool  # the value is a person's
    flags: tuple[str, ...]  # open review reasons
    confirmed: bool
    crop: str  # image name under img/, '' when none
    page: int
    confidence: float | None
    source: str


@dataclass(frozen=True)
class PageView:
    page: int
    images: PageImages | None
    width: int
    height: int
    boxes: tuple[tuple[str, int, int, int, int], ...]  # (field, x0, y0, x1, y1)
    engine: str
    confidence: float | None
    error: str


@dataclass(frozen=True)
class DocView:
    id: str
    source: str
    record: PlanRecord  # with the human values applied
    version: HumanVersion | None
    reviewed_at: str
    history: tuple[HumanVersion, ...]
    fields: tuple[FieldView, ...]
    lists: tuple[tuple[str, tuple[str, ...]], ...]
    pages: tuple[PageView, ...]
    text: tuple[Segment, ...]
    fixes: int
    low: int
    image_note: str  # why there are no images, '' when there are
    extra: dict[str, Any] = field(default_factory=dict)


def doc_id(source: str) -> str:
    """A short, file-name-safe id of a source."""
    return hashlib.sha1(source.encode("utf-8")).hexdigest()[:16]


def environment():
    """The Jinja2 environment of the report and the review app (autoescape on for every template)."""
    import jinja2
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES)), autoescape=True,
                             trim_blocks=True, lstrip_blocks=True, undefined=jinja2.StrictUndefined)
    env.filters["conf"] = lambda v: "" if v is None else f"{float(v):.0f}"
    env.filters["iso"] = lambda t: time.strftime("%Y-%m-%d %H:%M", time.localtime(t))
    return env


# ------------------------------------------------------------------------------ the table

def _summary(rec: PlanRecord) -> dict:
    """The index fields of a record, as Catalog.summaries gives them."""
    return {"source": rec.source, "doc_type": rec.doc_type, "number": rec.number, "symbol": rec.symbol,
            "date": rec.date, "issuer": rec.issuer, "title": rec.title, "signer_name": rec.signer_name,
            "pages": rec.pages, "text_source": rec.text_source, "ocr_confidence": rec.quality.ocr_confidence,
            "review": [{"field": f.field, "reason": f.reason} for f in rec.review], "warnings": len(rec.warnings)}


def _index_row(d: dict, v: HumanVersion | None) -> dict:
    """A table row: the summary with a person's values in place and their flags cleared."""
    from ..review import _value, reviewed_at
    if v is not None:
        d = {**d, **{k: _value(k, t) for k, t in v.fields.items() if k in d}}
        done = set(v.fields) | set(v.confirmed)
        d["review"] = [f for f in d["review"] if f["field"] not in done]
    number, symbol = d["number"] or "", d["symbol"] or ""
    return {"id": doc_id(d["source"]), "source": d["source"], "doc_type": d["doc_type"] or "",
            "number": f"{number}/{symbol}" if number and symbol else (number or symbol),
            "date": d["date"] or "", "issuer": d["issuer"] or "", "title": (d["title"] or "")[:160],
            "signer": d["signer_name"] or "", "pages": d["pages"], "conf": d["ocr_confidence"],
            "text_source": d["text_source"] or "", "flags": [f"{f['field']} ({f['reason']})" for f in d["review"]],
            "reasons": sorted({f["reason"] for f in d["review"]}), "reviewed": reviewed_at(v),
            "warnings": d["warnings"], "status": "done", "error": ""}


def _failed_row(source: str, reason: str) -> dict:
    return {"id": "", "source": source, "doc_type": "", "number": "", "date": "", "issuer": "", "title": "",
            "signer": "", "pages": None, "conf": None, "text_source": "", "flags": [], "reasons": [],
            "reviewed": "", "warnings": 0, "status": "failed", "error": reason}


def index_rows(cat: Catalog, sources: set[str] | None = None) -> list[dict]:
    """One row per document (records and failed inputs), in source order."""
    versions = cat.latest_versions()
    rows = [_index_row(d, versions.get(d["source"])) for d in cat.summaries(sources)]
    rows += [_failed_row(s, r) for s, r in cat.errors(sources)]
    rows.sort(key=lambda r: r["source"])
    return rows


# ------------------------------------------------------------------------------ a document

def _ocr_key(settings: str) -> str:
    parts = settings.split("; ")
    return parts[1] if len(parts) > 1 else ""


def document_view(cat: Catalog, source: str, images: ImageStore | None, input_dir: str | Path | None = None,
                  row: tuple[PlanRecord, str] | None = None, version: HumanVersion | Literal[False] | None = False,
                  make_images: bool = True) -> DocView | None:
    """Everything the document page shows; page images and crops are written when missing."""
    from ..normalize import normalize
    from ..review import apply_version, field_text, reviewed_at
    from ..tesseract import lines_text
    frow = cat.file(source)
    if row is not None and frow is not None:  # the report's loop: the record is at hand
        (machine, text), sha, settings = row, frow.sha256, frow.settings
    else:
        full = cat.record_row(source)
        if full is None:
            return None
        machine, text, sha, settings = full
    v = cat.latest_version(source) if version is False else version
    rec = apply_version(machine, v)
    kind = frow.kind if frow else ""
    key = _ocr_key(settings)
    pages = [cat.page(sha, n, key) for n in range(1, max(rec.pages, 1) + 1)] if key else []
    good = [p for p in pages if p is not None and not p.error]
    # the text before correction, as the batch made it (nothing to align when the restorer changed nothing)
    raw = normalize("\n\n".join(lines_text(p.words) if p.words else p.text for p in good)) \
        if good and machine.quality.corrections else text
    segs = segments(str(raw), text, [(w.text, w.conf) for p in good for w in p.words])

    ev = {e.field: e for e in rec.evidence}
    input_dir = Path(input_dir) if input_dir else Path(cat.last_input() or ".")
    path = input_dir / source
    note = ""
    if kind not in ("pdf", "image"):
        note = "no page images: the input is text"
    elif not path.is_file():
        note = f"no page images: the input file is not at {path}"
    elif images is None or not make_images:
        note = "page images not made"
    page_views: list[PageView] = []
    crops: dict[str, str] = {}
    for n in range(1, rec.pages + 1):
        p = pages[n - 1] if n - 1 < len(pages) else None
        boxes = tuple((f, *e.box) for f, e in ev.items() if e.page == n and e.box)
        imgs = None
        if not note and p is not None and images is not None:
            names = images.page_names(sha, n)
            wanted = [images.crop_name(sha, n, (b[1], b[2], b[3], b[4])) for b in boxes] if p.width else []
            if images.has(names.thumb) and images.has(names.view) and all(images.has(c) for c in wanted):
                imgs = names
            else:
                pv = cat.page_preview(sha, n, key) if key else b""
                img = images.from_preview(pv, (p.width, p.height)) if pv else None
                if img is None:  # an older catalog: load the page as the worker did
                    img = images.page_image(path, kind, n, settings, p.engine, (p.width, p.height))
                if img is not None:
                    imgs = images.write_page(img, sha, n)
                    for b in boxes if p.width else ():
                        images.write_crop(img, sha, n, (b[1], b[2], b[3], b[4]))
            if imgs is not None and p.width:
                for f, x0, y0, x1, y1 in boxes:
                    name = images.crop_name(sha, n, (x0, y0, x1, y1))
                    if images.has(name):
                        crops[f] = name
        page_views.append(PageView(n, imgs, p.width if p else 0, p.height if p else 0, boxes if p and p.width else (),
                                   p.engine if p else "", p.confidence if p else None, p.error if p else "page missing"))

    flagged: dict[str, list[str]] = {}
    for flag in rec.review:
        flagged.setdefault(flag.field, []).append(flag.reason)
    confirmed = set(v.confirmed) if v else set()
    human = set(v.fields) if v else set()
    shown_fields = list(DISPLAY) + [f for f in flagged if f not in DISPLAY]
    fields = []
    for f in shown_fields:
        if not hasattr(rec, f):
            continue
        val = getattr(rec, f)
        shown = " | ".join(val) if isinstance(val, tuple) and all(isinstance(x, str) for x in val) else \
            ("" if val is None else str(val) if not isinstance(val, tuple) else f"{len(val)} items")
        mval = field_text(machine, f) if not isinstance(getattr(machine, f), tuple) else ""
        e = ev.get(f)
        fields.append(FieldView(f, shown, mval if f in human and mval != shown else "", f in human,
                                tuple(flagged.get(f, ())), f in confirmed, crops.get(f, ""), e.page if e else 0,
                                e.confidence if e else None, e.source if e else ""))
    lists = tuple((k, getattr(rec, k)) for k in ("recipients", "participants", "purposes", "requirements",
                                                 "assignment_units", "warnings") if getattr(rec, k))
    return DocView(doc_id(source), source, rec, v, reviewed_at(v), tuple(cat.version_history(source)) if v else (),
                   tuple(fields), lists, tuple(page_views), tuple(segs),
                   sum(1 for s in segs if "fix" in s.kind), sum(1 for s in segs if "low" in s.kind), note)


# ------------------------------------------------------------------------------ writing

def script_json(data: Any) -> str:
    """JSON safe inside a script file or element (no '<', '>', '&', line separators)."""
    s = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return (s.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
            .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


def _fingerprint(rec: PlanRecord, text: str, v: HumanVersion | None, images_ok: bool) -> str:
    h = hashlib.sha1()
    for part in (STAMP, rec.to_json(), text, str(v.id if v else 0), str(images_ok)):
        h.update(part.encode("utf-8"))
        h.update(b"\0")
    return h.hexdigest()


def write_report(out_dir: Path, catalog: Catalog | None = None, input_dir: str | Path | None = None,
                 images: bool = True, sources: set[str] | None = None) -> ReportStats:
    """Write OUT/report/: index.html, docs.js, doc/ID.html per document, img/ and assets/.
    Pages and images that are up to date are left as they are. `sources`: only these inputs
    (a run's), as in the exports."""
    try:
        return _write_report(Path(out_dir), catalog, input_dir, images, sources)
    except OSError as e:
        raise OutputError(f"cannot write the report in {out_dir}: {e.strerror or e}") from e


def _write_report(out_dir: Path, catalog: Catalog | None, input_dir: str | Path | None, images: bool,
                  sources: set[str] | None) -> ReportStats:
    t0 = time.monotonic()
    own = catalog is None
    cat = catalog or Catalog(out_dir / "catalog.sqlite")
    root = out_dir / "report"
    try:
        env = environment()
        store = ImageStore(root)
        input_dir = Path(input_dir) if input_dir else Path(cat.last_input() or ".")
        versions = cat.latest_versions()
        state_path = root / STATE
        try:
            state = json.loads(state_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            state = {}
        doc_t = env.get_template("doc.html")
        rows, written, n = [], 0, 0
        problems: list[str] = []
        for rec, text in cat.records(sources):
            n += 1
            v = versions.get(rec.source)
            rows.append(_index_row(_summary(rec), v))
            sid = doc_id(rec.source)
            kind = (cat.file(rec.source) or None)
            images_ok = bool(images and kind and kind.kind in ("pdf", "image") and (input_dir / rec.source).is_file())
            fp = _fingerprint(rec, text, v, images_ok)
            page = root / "doc" / f"{sid}.html"
            if state.get(sid) == fp and page.is_file():
                continue
            try:
                view = document_view(cat, rec.source, store, input_dir, (rec, text), v, make_images=images)
                html = doc_t.render(d=view, mode="static", editable=(), saved=False,
                                    asset=lambda name: f"../assets/{name}", img_href=lambda name: f"../img/{name}",
                                    index_href="../index.html", home_href="../index.html", post_href="")
            except (ValueError, KeyError, TypeError, AttributeError, IndexError) as e:
                # one odd record costs its own page, not the run's report (the exports are written already)
                problems.append(f"{rec.source}: {type(e).__name__}: {e}")
                continue
            _write(page, html)
            state[sid] = fp
            written += 1
        rows += [_failed_row(s, r) for s, r in cat.errors(sources)]
        rows.sort(key=lambda r: r["source"])
        for r in rows:
            r["href"] = f"doc/{r['id']}.html" if r["id"] else ""
        _write(root / "docs.js", "window.VNP_DOCS=" + script_json(rows) + ";\n")
        _write(root / "index.html", env.get_template("index.html").render(
            rows=rows[:PAGE_ROWS], total=len(rows), mode="static", asset=lambda name: f"assets/{name}",
            doc_href=lambda i: f"doc/{i}.html", data_script="docs.js", home_href="index.html"))
        for a in ASSETS.iterdir():
            if a.is_file():
                _write(root / "assets" / a.name, a.read_text(encoding="utf-8"))
        _write(state_path, json.dumps(state, sort_keys=True))
        failed = sum(1 for r in rows if r["status"] == "failed")
        return ReportStats(n, failed, written, store.made, round(time.monotonic() - t0, 2), tuple(problems))
    finally:
        if own:
            cat.close()
