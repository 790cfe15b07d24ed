"""plans.xlsx beside plans.csv: the run's tables as one workbook (openpyxl, optional extra `xlsx`).

One sheet per CSV table, header row frozen and bold, column widths from the content, long text
wrapped, dates as Excel dates, numbers as numbers, and the `review` column coloured where a
person should check a field. Rows stream from the CSV files just written (write-only workbook):
memory does not grow with the number of documents.
"""
from __future__ import annotations

import csv
import datetime as dt
import os
import re
import tempfile
from pathlib import Path

from .errors import OutputError

TABLES = [("plans", "plans.csv"), ("assignments", "assignments.csv"), ("participants", "participants.csv"),
          ("legal_basis", "legal_basis.csv"), ("sections", "sections.csv"), ("errors", "errors.csv")]
DATES = {"date", "signed_at", "reviewed_at"}
INTS = {"pages", "expected_attendees", "n_assignments", "n_tasks", "corrections"}
FLOATS = {"ocr_confidence", "dictionary_coverage"}
WIDE = 60  # characters: wider text wraps
SAMPLE = 200  # rows looked at to size the columns
CELL_MAX = 32_767  # Excel's limit on one cell
_ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_ISO_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2})?")


def available() -> bool:
    try:
        import openpyxl  # noqa: F401
    except ImportError:
        return False
    return True


def _value(col: str, v: str):
    """A CSV cell as Excel should hold it: dates as dates (partial dates like '2025-03' stay text),
    counts and scores as numbers, the rest as text."""
    if v == "":
        return None
    if col in DATES:
        try:
            if _ISO_DAY.match(v):
                return dt.date.fromisoformat(v)
            if _ISO_TIME.match(v):
                t = dt.datetime.fromisoformat(v)
                return t.replace(tzinfo=None)  # Excel has no time zones: the local time as printed
        except ValueError:
            return v
        return v
    if col in INTS:
        try:
            return int(float(v))
        except ValueError:
            return v
    if col in FLOATS:
        try:
            return float(v)
        except ValueError:
            return v
    if len(v) > CELL_MAX:
        return v[:CELL_MAX - 1] + "…"
    return v


def _widths(path: Path) -> tuple[list[str], list[float]]:
    with open(path, encoding="utf-8-sig", newline="") as f:
        r = csv.reader(f)
        header = next(r, [])
        widths = [max(8.0, len(h) + 2.0) for h in header]
        for i, row in enumerate(r):
            if i >= SAMPLE:
                break
            for j, v in enumerate(row[:len(widths)]):
                widths[j] = max(widths[j], min(len(v) + 2.0, WIDE))
    for j, h in enumerate(header):
        if h in DATES:
            widths[j] = max(widths[j], 12.0 if h == "date" else 20.0)
    return header, widths


def write(out_dir: Path) -> Path:
    """OUT/plans.xlsx from the CSV tables in `out_dir` (replaced atomically)."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.formatting.rule import FormulaRule
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    out_dir = Path(out_dir)
    dest = out_dir / "plans.xlsx"
    wb = Workbook(write_only=True)
    bold, wrap, top = Font(bold=True), Alignment(wrap_text=True, vertical="top"), Alignment(vertical="top")
    for name, csv_name in TABLES:
        path = out_dir / csv_name
        if not path.exists():
            continue
        header, widths = _widths(path)
        ws = wb.create_sheet(name)
        ws.freeze_panes = "A2"
        for j, w in enumerate(widths, start=1):
            ws.column_dimensions[get_column_letter(j)].width = w
        wide = {j for j, w in enumerate(widths) if w >= WIDE}
        head = []
        for h in header:
            c = WriteOnlyCell(ws, value=h)
            c.font = bold
            head.append(c)
        ws.append(head)
        n = 1
        with open(path, encoding="utf-8-sig", newline="") as f:
            r = csv.reader(f)
            next(r, None)
            for row in r:
                cells = []
                for j, (h, v) in enumerate(zip(header, row)):
                    c = WriteOnlyCell(ws, value=_value(h, v))
                    if isinstance(c.value, str) and c.value.startswith("="):
                        c.data_type = "s"  # a text, never a formula
                    c.alignment = wrap if j in wide else top
                    if h == "date" and isinstance(c.value, dt.date):
                        c.number_format = "yyyy-mm-dd"
                    elif h in DATES and isinstance(c.value, dt.datetime):
                        c.number_format = "yyyy-mm-dd hh:mm:ss"
                    cells.append(c)
                ws.append(cells)
                n += 1
        ws.auto_filter.ref = f"A1:{get_column_letter(max(1, len(header)))}{n}"
        if "review" in header and n > 1:
            col = get_column_letter(header.index("review") + 1)
            rng = f"{col}2:{col}{n}"
            # a missing or conflicting value in red, any other flag in amber
            ws.conditional_formatting.add(rng, FormulaRule(
                formula=[f'OR(ISNUMBER(SEARCH("conflict",{col}2)),ISNUMBER(SEARCH("missing",{col}2)))'],
                fill=PatternFill("solid", start_color="F8CBAD", end_color="F8CBAD"), stopIfTrue=True))
            ws.conditional_formatting.add(rng, FormulaRule(
                formula=[f"LEN({col}2)>0"], fill=PatternFill("solid", start_color="FFE699", end_color="FFE699")))
    if not wb.worksheets:
        wb.create_sheet("plans")
    fd, tmp = tempfile.mkstemp(dir=out_dir, prefix=".plans.xlsx", suffix=".tmp")
    os.close(fd)
    try:
        wb.save(tmp)
        os.replace(tmp, dest)
    except OSError as e:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise OutputError(f"cannot write {dest}: {e.strerror or e}") from e
    return dest
