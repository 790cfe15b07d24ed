"""Writing a run's output files (SPEC.md) from records; every file is replaced atomically."""
from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import IO, Any

from .errors import OutputError
from .records import PlanRecord, Section

SCALARS = ["source", "pages", "text_source", "issuer", "admin_unit_level", "admin_unit_name", "doc_type",
           "number", "symbol", "place", "date", "title", "event_time", "event_month", "event_location",
           "expected_attendees", "funding", "signer_authority", "signer_position", "signer_name", "signed_at"]
LISTS = ["purposes", "requirements", "participants", "recipients", "warnings"]
SEP = " | "


def plans_row(r: PlanRecord, reviewed_at: str = "") -> dict:
    d = r.to_dict()
    row = {k: d[k] for k in SCALARS}
    row["legal_basis"] = SEP.join(f"{x['number']} ({x['date']})" if x["date"] else x["number"] for x in d["legal_basis"])
    for k in LISTS:
        row[k] = SEP.join(d[k])
    row["assignment_units"] = SEP.join(d["assignment_units"])
    row["n_assignments"] = len(r.assignments)
    row["n_tasks"] = sum(len(a.tasks) for a in r.assignments)
    row["ocr_confidence"] = r.quality.ocr_confidence
    row["dictionary_coverage"] = r.quality.dictionary_coverage
    row["corrections"] = r.quality.corrections
    row["review"] = SEP.join(f"{f.field} ({f.reason})" for f in r.review)
    row["reviewed_at"] = reviewed_at  # when a person last saved this record ('' never): issue 12
    return row


def text_name(source: str) -> str:
    """text/ path for a source: its relative path with '.txt' added (unique, mirrors the input tree)."""
    return source + ".txt"


def _sections(source: str, secs: tuple[Section, ...], prefix: str = "") -> Iterable[dict]:
    for s in secs:
        path = f"{prefix}/{s.number}" if prefix else s.number
        yield {"source": source, "path": path, "number": s.number, "heading": s.heading, "text": s.text}
        yield from _sections(source, s.children, path)


def _umask() -> int:
    """The process's umask (read by setting it, then putting it back)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


class _Table:
    """A CSV written in chunks through pandas, into a temporary file renamed when complete."""

    CHUNK = 500

    def __init__(self, path: Path, columns: list[str], ints: tuple[str, ...] = ()):
        self.path, self.columns, self.header = path, columns, True
        self.rows: list[dict] = []
        self.ints = ints  # integer columns that may be empty: written as 40, not 40.0
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, self.tmp = tempfile.mkstemp(dir=path.parent, prefix="." + path.name, suffix=".tmp")
        self.f = os.fdopen(fd, "w", encoding="utf-8-sig" if path.suffix == ".csv" else "utf-8", newline="")

    def add(self, row: dict) -> None:
        self.rows.append(row)
        if len(self.rows) >= self.CHUNK:
            self.flush()

    def flush(self) -> None:
        if self.rows or self.header:
            import pandas as pd  # imported when a table is written: a re-run with nothing to write skips it
            df = pd.DataFrame(self.rows, columns=self.columns)
            for c in self.ints:
                df[c] = df[c].astype("Int64")
            df.to_csv(self.f, index=False, header=self.header, lineterminator="\n")
            self.rows, self.header = [], False

    def close(self) -> None:
        self.flush()
        self.f.close()
        os.chmod(self.tmp, 0o666 & ~_umask())  # mkstemp makes 0600: a shared archive folder must be readable
        os.replace(self.tmp, self.path)

    def discard(self) -> None:
        self.f.close()
        try:
            os.unlink(self.tmp)
        except OSError:
            pass


def atomic_write(path: Path, write: Callable[[IO[Any]], object], binary: bool = False) -> None:
    """Write a file through `write(f)` into a temporary file renamed when complete, with the
    umask's permissions (mkstemp's own are 0600): a reader never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix="." + path.name, suffix=".tmp")
    try:
        with (os.fdopen(fd, "wb") if binary else os.fdopen(fd, "w", encoding="utf-8", newline="")) as f:
            write(f)
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def write_text(path: Path, text: str) -> None:
    """A UTF-8 text file, written atomically."""
    atomic_write(path, lambda f: f.write(text))


def write_all(out_dir: Path, records: Iterable[tuple[PlanRecord, str]], errors: list[tuple[str, str]],
              versions: dict | None = None) -> int:
    """plans.csv, plans.jsonl, the long tables, text/*.txt and errors.csv; returns the record count.
    Records stream through: memory does not grow with the number of documents.
    `versions` ({source: store.HumanVersion}): people's corrections, applied over the machine
    records in every file but plans_machine.csv, which keeps the machine's values."""
    out_dir = Path(out_dir)
    tables: dict[str, _Table] = {}
    n = 0
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        tables = {
            "plans": _Table(out_dir / "plans.csv", list(plans_row(PlanRecord(source="")).keys()),
                            ints=("pages", "expected_attendees", "n_assignments", "n_tasks", "corrections")),
            "assignments": _Table(out_dir / "assignments.csv", ["source", "unit", "task"]),
            "participants": _Table(out_dir / "participants.csv", ["source", "participant"]),
            "legal": _Table(out_dir / "legal_basis.csv", ["source", "type", "number", "date", "issuer"]),
            "sections": _Table(out_dir / "sections.csv", ["source", "path", "number", "heading", "text"]),
            "errors": _Table(out_dir / "errors.csv", ["source", "reason"]),
            "machine": _Table(out_dir / "plans_machine.csv", list(plans_row(PlanRecord(source="")).keys()),
                              ints=("pages", "expected_attendees", "n_assignments", "n_tasks", "corrections")),
        }
        fd, jtmp = tempfile.mkstemp(dir=out_dir, prefix=".plans.jsonl", suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as jf:
            for rec, text in records:
                n += 1
                # ---- human review (issue 12): the machine's row apart, the person's values in the rest
                tables["machine"].add(plans_row(rec))
                version = (versions or {}).get(rec.source)
                if version is not None:
                    from .review import apply_version, reviewed_at
                    rec = apply_version(rec, version)
                tables["plans"].add(plans_row(rec, reviewed_at(version) if version is not None else ""))
                # ---- end human review
                jf.write(rec.to_json() + "\n")
                for a in rec.assignments:
                    for t in a.tasks or ("",):
                        tables["assignments"].add({"source": rec.source, "unit": a.unit, "task": t})
                for p in rec.participants:
                    tables["participants"].add({"source": rec.source, "participant": p})
                for x in rec.legal_basis:
                    tables["legal"].add({"source": rec.source, "type": x.type, "number": x.number, "date": x.date,
                                         "issuer": x.issuer})
                for row in _sections(rec.source, rec.sections):
                    tables["sections"].add(row)
                write_text(out_dir / "text" / text_name(rec.source), text)
        os.chmod(jtmp, 0o666 & ~_umask())
        os.replace(jtmp, out_dir / "plans.jsonl")
        for source, reason in errors:
            tables["errors"].add({"source": source, "reason": reason})
        for table in tables.values():
            table.close()
    except OSError as e:
        for table in tables.values():
            table.discard()
        raise OutputError(f"cannot write output in {out_dir}: {e.strerror or e}") from e
    # ---- Excel (issue 13): plans.xlsx beside plans.csv, from the tables just written (needs vnplans[xlsx])
    from . import xlsx
    if xlsx.available():
        xlsx.write(out_dir)
    # ---- end Excel
    return n
