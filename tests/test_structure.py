import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.evaluate import score_record
from pipeline.normalize import normalize
from pipeline.structure import (
    parse,
    rule_assignment_unit,
    rule_event_month,
    rule_number_symbol,
    rule_place_date,
    rule_roman_heading,
    rule_signer,
    sentence_case,
)

ROOT = Path(__file__).resolve().parent.parent
TEXT = ROOT / "samples" / "text"
GOLDEN = Path(__file__).resolve().parent / "data" / "golden"
SHARED_GOLD = ROOT.parent / "shared" / "samples" / "gold"


def seed(stem: str) -> str:
    return next(TEXT.glob(stem + ".*")).read_text(encoding="utf-8")


def _record(stem: str) -> dict:
    return parse(normalize(seed(stem)), source=stem).to_dict()


@pytest.mark.parametrize("golden", sorted(GOLDEN.glob("*.json")), ids=lambda p: p.stem)
def test_golden_records(golden):
    """The whole record of each seed text, hand-checked once (scripts/update_golden.py)."""
    assert _record(golden.stem) == json.loads(golden.read_text(encoding="utf-8"))


@pytest.mark.skipif(not SHARED_GOLD.is_dir(), reason="../shared gold records not present")
@pytest.mark.parametrize("stem", ["000_e6dfd4b9c1bcb2e4", "001_404d41a3b845fa82", "003_8bbb748eb2a26e53",
                                  "004_63baf3d53428361f"])
def test_seed_records_match_shared_gold(stem):
    gold = json.loads((SHARED_GOLD / f"{stem}.json").read_text(encoding="utf-8"))
    wrong = {f: v for f, v in score_record(gold, _record(stem)).items() if v < 1}
    assert not wrong


def test_number_symbol():
    assert rule_number_symbol(["Số: 129/KH-UBND Đại Sơn, ngày 28 tháng 11 năm 2025"]) == ("129", "KH-UBND")
    assert rule_number_symbol(["Số: /KH-UBND"]) == ("", "KH-UBND")
    assert rule_number_symbol(["Số: 12/2025/QĐ-UBND"]) == ("12", "2025/QĐ-UBND")


def test_place_date_two_column_row():
    assert rule_place_date(["Số:129 /KH-UBND Đại Sơn, ngày 28 tháng 11 năm 2025"]) == ("Đại Sơn", "2025-11-28")
    assert rule_place_date(["P. Lê Thanh Nghị, ngày tháng 3 năm 2026"]) == ("P. Lê Thanh Nghị", "2026-03")
    assert rule_place_date(["Dương Kinh, ngày tháng năm 2025"]) == ("Dương Kinh", "2025")


def test_roman_heading_ocr_misreads():
    assert rule_roman_heading("I11. TỔ CHỨC THỰC HIỆN", 3) == ("III", "TỔ CHỨC THỰC HIỆN")
    assert rule_roman_heading("H. NỘI DUNG", 2) == ("II", "NỘI DUNG")
    assert rule_roman_heading("II. TỔ CHỨC THỰC HIỆN", 3) == ("III", "TỔ CHỨC THỰC HIỆN")
    assert rule_roman_heading("II. Nội dung thường", 3) is None


def test_event_month():
    assert rule_event_month("Dự kiến tổ chức trong tháng 12/2025.") == "2025-12"
    assert rule_event_month("ngày 05/12/2025") == "2025-12"
    assert rule_event_month("tháng 6 năm 2026") == "2026-06"
    assert rule_event_month("Dự kiến cuối năm") == ""


def test_assignment_unit_from_sentence():
    assert rule_assignment_unit("Giao phòng Văn hóa - Xã hội phường chủ trì, phối hợp")[0] == "Phòng Văn hóa - Xã hội phường"
    assert rule_assignment_unit("Căn cứ Kế hoạch này, Thủ trưởng các cơ quan, đơn vị tổ chức thực hiện")[0] == \
        "Thủ trưởng các cơ quan, đơn vị"


def test_signer_block():
    assert rule_signer(["KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH", "Vũ Mạnh Huy"]) == ("KT.", "Phó Chủ tịch", "Vũ Mạnh Huy")
    assert rule_signer(["TM. ỦY BAN NHÂN DÂN", "CHỦ TỊCH", "Phạm Văn Diện"]) == ("TM.", "Chủ tịch", "Phạm Văn Diện")


def test_two_column_header_rows():
    text = ("ỦY BAN NHÂN DÂN CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\nXÃ ĐẠI SƠN Độc lập - Tự do - Hạnh phúc\n"
            "Số: 129/KH-UBND Đại Sơn, ngày 28 tháng 11 năm 2025\nKẾ HOẠCH\nTổ chức Hội nghị tổng kết\n"
            "Thực hiện Kế hoạch số 16/KH-UBND ngày 31/7/2025 của Ủy ban nhân dân xã.\n"
            "I. MỤC ĐÍCH\n- Tổng kết.\nNơi nhận: KT. CHỦ TỊCH\n- UBND thành phố (để b/c); PHÓ CHỦ TỊCH\n"
            "- Lưu: VT.\nTrần Thị Minh Nguyệt\n")
    r = parse(text)
    assert (r.issuer, r.admin_unit_level, r.admin_unit_name) == ("Ủy ban nhân dân xã Đại Sơn", "xã", "Đại Sơn")
    assert (r.number, r.symbol, r.place, r.date) == ("129", "KH-UBND", "Đại Sơn", "2025-11-28")
    assert r.legal_basis[0].number == "16/KH-UBND" and r.legal_basis[0].date == "2025-07-31"
    assert r.recipients == ("UBND thành phố (để b/c)", "Lưu: VT.")
    assert (r.signer_authority, r.signer_position, r.signer_name) == ("KT.", "Phó Chủ tịch", "Trần Thị Minh Nguyệt")


def test_other_document_type():
    r = parse("UBND TỈNH QUẢNG NGÃI\nSố: 05/CT-UBND Quảng Ngãi, ngày 16 tháng 4 năm 2020\nCHỈ THỊ\nVề việc tăng cường\n")
    assert r.doc_type == "Chỉ thị" and r.symbol == "CT-UBND" and r.date == "2020-04-16"


def test_sentence_case():
    assert sentence_case("PHÓ CHỦ TỊCH") == "Phó Chủ tịch"
    assert sentence_case("KẾ HOẠCH") == "Kế hoạch"


@settings(max_examples=150, deadline=2000)
@given(st.text(max_size=400))
def test_parser_never_raises_on_arbitrary_text(text):
    parse(text)


@settings(max_examples=60, deadline=3000)
@given(st.data())
def test_parser_survives_mutated_seeds(data):
    lines = normalize(seed("000_e6dfd4b9c1bcb2e4")).splitlines()
    perm = data.draw(st.permutations(lines))
    drop = data.draw(st.sets(st.integers(0, len(perm) - 1), max_size=10))
    parse("\n".join(ln for i, ln in enumerate(perm) if i not in drop))


def test_garbled_handwritten_number_keeps_symbol():
    assert rule_number_symbol(["Số: Ø2 /CT-UBND | Quảng Ngãi, ngày 2# tháng? năm 2021"]) == ("", "CT-UBND")


def test_column_break_in_recipient_row_goes_to_signature():
    text = ("KẾ HOẠCH\nTổ chức\nI. MỤC ĐÍCH\n- Một.\nNơi nhận: | KT. CHỦ TỊCH\n- Sở Nội vụ; | PHÓ CHỦ TỊCH\n"
            "- Lưu: VT. | Bùi Thị Quỳnh Vân\n")
    r = parse(text)
    assert r.recipients == ("Sở Nội vụ", "Lưu: VT.")
    assert (r.signer_authority, r.signer_position, r.signer_name) == ("KT.", "Phó Chủ tịch", "Bùi Thị Quỳnh Vân")


def test_handwritten_day_and_month_give_partial_date():
    assert rule_place_date(["Số: Ø2 /CT-UBND | Quảng Ngãi, ngày 2# tháng? năm 2021"]) == ("Quảng Ngãi", "2021")


def test_signer_position_is_never_the_principal_or_the_body():
    assert rule_signer(["KT. CHỦ TỊCH", "Nguyễn Văn An"]) == ("KT.", "", "Nguyễn Văn An")
    assert rule_signer(["TM.", "ỦY BAN NHÂN DÂN", "CHỦ TỊCH", "Lê Văn B"]) == ("TM.", "Chủ tịch", "Lê Văn B")
    assert rule_signer(["TM. ỦY BAN NHÂN DÂN", "MH.", "Lê Văn B"])[1] == ""
