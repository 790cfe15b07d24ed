"""CSV tables (export._Table): the same bytes pandas' to_csv wrote before the tables were written
without it (readers and diffs of earlier runs keep working)."""
import io

import pandas as pd

from pipeline import export


def _pandas(rows, columns, ints):
    df = pd.DataFrame(rows, columns=columns)
    for c in ints:
        df[c] = df[c].astype("Int64")
    buf = io.StringIO()
    df.to_csv(buf, index=False, lineterminator="\n")
    return buf.getvalue()


def test_tables_are_written_as_pandas_wrote_them(tmp_path):
    columns = ["source", "pages", "expected_attendees", "ocr_confidence", "dictionary_coverage", "n_tasks", "text"]
    rows = [{"source": "a.pdf", "pages": 3, "expected_attendees": None, "ocr_confidence": 85.5,
             "dictionary_coverage": None, "n_tasks": 0, "text": 'Đắk Lắk, "quoted"\nsecond line'},
            {"source": "b c.pdf", "pages": 1, "expected_attendees": 40, "ocr_confidence": 90.0,
             "dictionary_coverage": 0.1 + 0.2, "n_tasks": 12, "text": ""},
            {"source": "d.pdf", "pages": 2, "expected_attendees": None, "ocr_confidence": None, "n_tasks": 1}]
    ints = ("pages", "expected_attendees", "n_tasks")
    path = tmp_path / "t.csv"
    t = export._Table(path, columns, ints=ints)
    for r in rows:
        t.add(r)
    t.close()
    assert path.read_text(encoding="utf-8-sig") == _pandas(rows, columns, ints)
    assert "85.5" in path.read_text(encoding="utf-8-sig") and ",40," in path.read_text(encoding="utf-8-sig")


def test_an_int_column_with_gaps_outside_ints_is_written_as_floats_as_before(tmp_path):
    rows = [{"n": 3}, {"n": None}, {"n": 7}]
    path = tmp_path / "t.csv"
    t = export._Table(path, ["n"])
    for r in rows:
        t.add(r)
    t.close()
    assert path.read_text(encoding="utf-8-sig") == _pandas(rows, ["n"], ()) == "n\n3.0\n\"\"\n7.0\n"  # a lone empty cell is quoted


def test_chunks_write_one_header(tmp_path, monkeypatch):
    monkeypatch.setattr(export._Table, "CHUNK", 2)
    rows = [{"a": i, "b": f"x{i}"} for i in range(5)]
    path = tmp_path / "t.csv"
    t = export._Table(path, ["a", "b"])
    for r in rows:
        t.add(r)
    t.close()
    assert path.read_text(encoding="utf-8-sig") == _pandas(rows, ["a", "b"], ())
