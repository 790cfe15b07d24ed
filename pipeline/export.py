"""Writing a run's output files (SPEC.md) from records; every file is replaced atomically."""
from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Iterable

import pandas as pd

from .errors import OutputError
from .records import PlanRecord, Section

SCALARS = ["source", "pages", "text_source", "issuer", "admin_unit_level", "admin_unit_name", "doc_type",
           "number", "symbol", "place", "date", "title", "event_time", "event_month", "event_location",
           "expected_attendees", "funding", "signer_authority", "signer_position", "signer_name"]
LISTS = ["purposes", "requirements", "participants", "recipients", "warnings"]
SEP = " | "


def plans_row(r: PlanRecord) -> dict:
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
    return row


def text_name(source: str) -> str:
    """text/ path for a source: its relative path with '.txt' added (unique, mirrors the input tree)."""
    return source + ".txt"


def _sections(source: str, secs: tuple[Section, ...], prefix: str = "") -> Iterable[dict]:
    for s in secs:
        path = f"{prefix}/{s.number}" if prefix else s.number
        yield {"source": source, "path": path, "number": s.number, "heading": s.heading, "text": s.text}
        yield from _sections(source, s.children, path)


def _atomic_write(path: Path, write) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix="." + path.name, suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8-sig" if path.suffix == ".csv" else "utf-8", newline="") as f:
            write(f)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def write_all(out_dir: Path, records: Iterable[tuple[PlanRecord, str]], errors: list[tuple[str, str]]) -> int:
    """plans.csv, plans.jsonl, the long tables, text/*.txt and errors.csv; returns the record count."""
    out_dir = Path(out_dir)
    plans, jsonl, assign, parts, legal, secs = [], [], [], [], [], []
    try:
        for rec, text in records:
            plans.append(plans_row(rec))
            jsonl.append(rec.to_json())
            for a in rec.assignments:
                for t in a.tasks or ("",):
                    assign.append({"source": rec.source, "unit": a.unit, "task": t})
            parts += [{"source": rec.source, "participant": p} for p in rec.participants]
            legal += [{"source": rec.source, "type": x.type, "number": x.number, "date": x.date, "issuer": x.issuer}
                      for x in rec.legal_basis]
            secs += list(_sections(rec.source, rec.sections))
            _atomic_write(out_dir / "text" / text_name(rec.source), lambda f, t=text: f.write(t))
        tables = {
            "plans.csv": pd.DataFrame(plans, columns=list(plans_row(PlanRecord(source="")).keys())),
            "assignments.csv": pd.DataFrame(assign, columns=["source", "unit", "task"]),
            "participants.csv": pd.DataFrame(parts, columns=["source", "participant"]),
            "legal_basis.csv": pd.DataFrame(legal, columns=["source", "type", "number", "date", "issuer"]),
            "sections.csv": pd.DataFrame(secs, columns=["source", "path", "number", "heading", "text"]),
            "errors.csv": pd.DataFrame(errors, columns=["source", "reason"]),
        }
        for name, df in tables.items():
            _atomic_write(out_dir / name, lambda f, df=df: df.to_csv(f, index=False, lineterminator="\n"))
        _atomic_write(out_dir / "plans.jsonl", lambda f: f.write("".join(j + "\n" for j in jsonl)))
    except OSError as e:
        raise OutputError(f"cannot write output in {out_dir}: {e.strerror or e}") from e
    return len(plans)
