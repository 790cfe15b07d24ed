"""plans.xlsx (issue 13): one sheet per table, frozen header, widths, wrapped text, dates, review colour."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

openpyxl = pytest.importorskip("openpyxl")

from pipeline.export import write_all  # noqa: E402
from pipeline.records import PlanRecord, ReviewFlag, Section  # noqa: E402


@pytest.fixture()
def book(tmp_path: Path):
    recs = [
        (PlanRecord(source="a.pdf", pages=2, doc_type="Kế hoạch", date="2025-03-12", title="Tổ chức " * 20,
                    signed_at="2025-03-12T10:09:57+07:00", expected_attendees=40,
                    review=(ReviewFlag("number", "handwriting"),),
                    sections=(Section("I", "MỤC ĐÍCH", "=1+1 không phải công thức"),)), "text a"),
        (PlanRecord(source="b.pdf", date="2025-03", issuer="UBND xã"), "text b"),
    ]
    write_all(tmp_path, iter(recs), [("c.pdf", "unreadable")])
    return openpyxl.load_workbook(tmp_path / "plans.xlsx")


def test_one_sheet_per_table_with_frozen_header(book):
    assert book.sheetnames == ["plans", "assignments", "participants", "legal_basis", "sections", "errors"]
    for ws in book:
        assert ws.freeze_panes == "A2"
        assert ws.cell(1, 1).font.bold
    assert book["errors"].cell(2, 2).value == "unreadable"


def _col(ws, name):
    return [c.value for c in ws[1]].index(name) + 1


def test_values_typed(book):
    ws = book["plans"]
    assert ws.cell(2, _col(ws, "date")).value == dt.datetime(2025, 3, 12)
    assert ws.cell(2, _col(ws, "date")).number_format == "yyyy-mm-dd"
    assert ws.cell(2, _col(ws, "signed_at")).value == dt.datetime(2025, 3, 12, 10, 9, 57)
    assert ws.cell(3, _col(ws, "date")).value == "2025-03"  # a month is no date
    assert ws.cell(2, _col(ws, "expected_attendees")).value == 40
    assert ws.cell(2, _col(ws, "pages")).value == 2
    assert book["sections"].cell(2, 5).value == "=1+1 không phải công thức"
    assert book["sections"].cell(2, 5).data_type == "s"


def test_widths_and_wrapping(book):
    ws = book["plans"]
    from openpyxl.utils import get_column_letter
    title = _col(ws, "title")
    assert ws.column_dimensions[get_column_letter(title)].width == 60
    assert ws.cell(2, title).alignment.wrap_text
    assert 8 <= ws.column_dimensions[get_column_letter(_col(ws, "pages"))].width < 20


def test_review_column_coloured(book):
    ws = book["plans"]
    from openpyxl.utils import get_column_letter
    col = get_column_letter(_col(ws, "review"))
    rules = {str(r.sqref): [x.formula for x in r.rules] for r in ws.conditional_formatting}
    assert f"{col}2:{col}3" in rules
    assert any("LEN" in f[0] for f in rules[f"{col}2:{col}3"])
    assert ws.cell(2, _col(ws, "review")).value == "number (handwriting)"
