"""Search (issue 13): FTS5 in the catalog, marks optional, exact marks first, filters, snippets."""
from __future__ import annotations

from pathlib import Path

import pytest

from pipeline import search
from pipeline.records import PageResult, PlanRecord, Word
from pipeline.store import Catalog, file_row


def _doc(cat: Catalog, source: str, text: str, **fields) -> None:
    cat.upsert_file(file_row(source=source, sha256=source, status="done"), 1)
    cat.save_record(source, source, "s", PlanRecord(source=source, **fields), text)


@pytest.fixture()
def cat(tmp_path: Path):
    c = Catalog(tmp_path / "catalog.sqlite")
    _doc(c, "kh.pdf", "KẾ HOẠCH\nTổ chức Hội nghị tổng kết công tác năm 2024 tại huyện Đông Anh",
         doc_type="Kế hoạch", title="Tổ chức Hội nghị tổng kết", date="2025-01-02",
         issuer="UBND huyện Đông Anh", signer_position="Phó Chủ tịch", signer_name="Nguyễn Văn Đức")
    _doc(c, "bc.pdf", "BÁO CÁO\nvề hỏi nghĩ tong ket của xã Dong Tâm", doc_type="Báo cáo", date="2024-03-01",
         issuer="UBND xã Đồng Tâm", signer_name="Trần Thị Hoa")
    _doc(c, "cv.pdf", "Công văn về việc tập huấn phòng cháy", doc_type="Công văn", date="2025-05-05")
    yield c
    c.close()


def test_unmarked_query_finds_marked_text(cat):
    hits = cat.search("hoi nghi tong ket")
    assert {h.source for h in hits} == {"kh.pdf", "bc.pdf"}
    assert all(h.exact for h in hits)  # a query without marks takes any marks


def test_marked_query_ranks_exact_marks_first(cat):
    hits = cat.search("Hội nghị")
    assert [h.source for h in hits][:2] == ["kh.pdf", "kh.pdf"]  # its page and its fields
    assert hits[-1].source == "bc.pdf" and not hits[-1].exact  # 'hỏi nghĩ' only folded


def test_d_bar_matches_d_only_without_marks(cat):
    assert {h.source for h in cat.search("dong")} == {"kh.pdf", "bc.pdf"}
    exact = [h for h in cat.search("đông") if h.exact]
    assert {h.source for h in exact} == {"kh.pdf"}


def test_snippet_marks_the_hit_in_the_written_text(cat):
    h = cat.search("hoi nghi")[0]
    assert "«Hội» «nghị»" in h.snippet or "«hỏi» «nghĩ»" in h.snippet


def test_filters(cat):
    assert {h.source for h in cat.search("", year="2025")} == {"kh.pdf", "cv.pdf"}
    assert {h.source for h in cat.search("tong ket", doc_type="bao cao")} == {"bc.pdf"}
    assert {h.source for h in cat.search("", issuer="dong anh")} == {"kh.pdf"}
    assert {h.source for h in cat.search("", signer="Đức")} == {"kh.pdf"}
    assert cat.search("tập huấn", year="2024") == []


def test_phrase_ranks_before_scattered_words(tmp_path: Path):
    c = Catalog(tmp_path / "catalog.sqlite")
    _doc(c, "a.pdf", "tổng hợp số liệu; kết quả hội thao; nghị quyết")
    _doc(c, "b.pdf", "hội nghị tổng kết")
    hits = c.search("hoi nghi tong ket")
    assert [(h.source, h.phrase) for h in hits] == [("b.pdf", True), ("a.pdf", False)]
    assert c.search("hoi nghi tong ket thi dua") == []  # every word is needed
    c.close()


def test_record_replaced_is_reindexed(cat):
    _doc(cat, "cv.pdf", "Công văn về việc diễn tập", doc_type="Công văn", date="2025-05-05")
    assert cat.search("tap huan") == []
    assert [h.source for h in cat.search("dien tap")] == ["cv.pdf"]


def test_pages_come_from_the_ocr_words(tmp_path: Path):
    c = Catalog(tmp_path / "catalog.sqlite")
    c.upsert_file(file_row(source="x.pdf", sha256="h", status="done", pages=2), 1)
    w = lambda t, x, line: Word(t, 90.0, x, 10, 50, 20, line)
    c.save_page("h", "vie/dpi300/psm3/retry1", PageResult(1, "", (w("Ke", 0, 0), w("hoach", 60, 0)), 90.0, "t",
                                                          0, "", (), 1000, 1000))
    c.save_page("h", "vie/dpi300/psm3/retry1", PageResult(2, "", (w("hoi", 0, 0), w("nghi", 60, 0)), 90.0, "t",
                                                          0, "", (), 1000, 1000))
    c.save_record("x.pdf", "h", "vnplans 0; vie/dpi300/psm3/retry1; restore=1; lex", PlanRecord(source="x.pdf"),
                  "Kế hoạch\n\nhội nghị")
    hits = c.search("hội nghị")
    assert [(h.source, h.page) for h in hits] == [("x.pdf", 2)]
    c.close()


def test_catalog_from_before_the_index_is_indexed_on_search(tmp_path: Path):
    c = Catalog(tmp_path / "catalog.sqlite")
    _doc(c, "a.pdf", "hội nghị")
    c.db.execute("DELETE FROM search_text")
    c.db.execute("DELETE FROM search_fields")
    assert [h.source for h in c.search("hoi nghi")] == ["a.pdf"]
    c.close()


def test_fold1_keeps_length():
    s = "Đường Hội nghị TỔNG KẾT ưu tiên"
    assert search.fold1(s) == "Duong Hoi nghi TONG KET uu tien" and len(search.fold1(s)) == len(s)


def test_query_syntax_is_not_fts_syntax(cat):
    cat.search('"hoi" OR NEAR( nghi*')  # words only: no FTS5 syntax error from quotes or operators
    assert cat.search("AND") == []
