from pathlib import Path

import pytest

from pipeline.normalize import FIXERS, normalize

SEEDS = Path(__file__).resolve().parent.parent / "samples" / "text"


def test_nfc_and_spaces():
    assert FIXERS["unicode_nfc"]("To\u0302\u0309 ch\u1ee9c\u00a0x") == "Tổ chức x"


def test_markdown_marks_removed():
    assert normalize("## KẾ HOẠCH\n\n**1. Thời gian:** Dự kiến") == "KẾ HOẠCH\n\n1. Thời gian: Dự kiến\n"


def test_page_numbers_dropped_not_numbered_items():
    out = normalize("Dòng một.\n2\n- 3 -\n1. Mục đích\n")
    assert "\n2\n" not in out and "- 3 -" not in out and "1. Mục đích" in out


def test_double_spacing_collapsed_and_wrapped_lines_joined():
    text = "\n\n".join(["Thực hiện Quyết định số 133/QĐ-UBND ngày 30/7/2025 của Ủy ban nhân",
                        "dân phường về việc ban hành Kế hoạch Cải cách hành chính nhà nước phường",
                        "Dương Kinh 6 tháng cuối năm 2025.", "I. MỤC ĐÍCH, YÊU CẦU", "1. Mục đích",
                        "- Tổng kết, phân tích, đánh giá những kết quả đạt được và những tồn tại hạn",
                        "chế trong công tác cải cách hành chính.", "- Quán triệt mục tiêu."])
    lines = normalize(text).splitlines()
    assert lines[0].endswith("6 tháng cuối năm 2025.")
    assert lines[1] == "I. MỤC ĐÍCH, YÊU CẦU"
    assert lines[3].startswith("- Tổng kết") and lines[3].endswith("hành chính.")
    assert lines[4] == "- Quán triệt mục tiêu."


def test_sentence_across_a_page_break_joined():
    text = "2. Báo cáo kết quả năm 2026; phương\n\f\nhướng, nhiệm vụ năm 2027.\n\nI. MỤC ĐÍCH\n\nnăm"
    assert normalize(text).splitlines() == ["2. Báo cáo kết quả năm 2026; phương hướng, nhiệm vụ năm 2027.", "",
                                            "I. MỤC ĐÍCH", "", "năm"]


def test_headings_and_signature_not_joined():
    text = "TM. ỦY BAN NHÂN DÂN\nCHỦ TỊCH\nĐặng Xuân Điện\n"
    assert normalize(text).splitlines() == ["TM. ỦY BAN NHÂN DÂN", "CHỦ TỊCH", "Đặng Xuân Điện"]


@pytest.mark.parametrize("path", sorted(SEEDS.glob("*.*")), ids=lambda p: p.name)
def test_idempotent_on_seeds(path):
    once = normalize(path.read_text(encoding="utf-8"))
    assert normalize(once) == once


def test_explain_names_fixers():
    _, applied = normalize("**A**\n", explain=True)
    assert "strip_markdown" in applied


def test_heading_split_over_two_lines_is_joined():
    assert normalize("III. THỜI GIAN, ĐỊA ĐIỂM,\nTHÀNH PHẦN\n1. Thời gian: x.\n").splitlines()[0] == \
        "III. THỜI GIAN, ĐỊA ĐIỂM, THÀNH PHẦN"


def test_stray_marks_and_odd_bullets():
    out = normalize("- Bộ Tài chính;\n~Các sở ban ngành;\n-'Cơ quan TW;\n` :\n~- Thường trực;\n- Lưu: VT.\n./.\n")
    assert out.splitlines() == ["- Bộ Tài chính;", "- Các sở ban ngành;", "- Cơ quan TW;", "", "- Thường trực;",
                                "- Lưu: VT.", "./."]


@pytest.mark.parametrize("text", [
    "TM. ỦY BAN NHÂN DÂN\nCHỦ TỊCH\n",
    "Số: 129/KH-UBND\n",
    "1. Thời gian: Dự kiến tổ chức trong tháng 12/2025.\n2. Địa điểm: Hội trường.\n",
    "- Lưu: VT, VHXH.\n",
])
def test_clean_text_does_not_change(text):
    assert normalize(text) == text


def test_lookalike_eth():
    assert normalize("Quyết định số 36/QĐÐ-UBND; ÐẢNG ỦY; UBÑND\n") == "Quyết định số 36/QĐ-UBND; ĐẢNG ỦY; UBĐND\n"
    assert normalize("theo điểm ¡ khoản 1\n") == "theo điểm i khoản 1\n"


def test_word_confidences_follow_the_words_through_normalising():
    """Each token of the normalised text gets the confidence of the OCR word it came from: a
    dropped page number and noise line shift nothing, a word split at a line end takes the
    lower of its halves, a bullet normalising made and a column mark get none (-1)."""
    from pipeline.normalize import UNKNOWN_CONF, word_confidences
    words = [("Kế", 91), ("hoạch", 95), ("tổ-", 60), ("chức", 80), ("2", 97), ("~", 30), ("~Nội", 70),
             ("dung", 96), ("|", 50), ("QÐ", 40), ("rõ", 93)]
    raw = "Kế hoạch tổ-\nchức\n2\n~\n~Nội dung | QÐ rõ"
    text = normalize(raw)
    assert text == "Kế hoạch tổchức\n\n- Nội dung | QĐ rõ\n"
    confs = word_confidences(text, [(w, float(c)) for w, c in words])
    assert confs == [[91, 95, 60], [], [UNKNOWN_CONF, 70, 96, 50, 40, 93], []]
    assert [len(c) for c in confs] == [len(ln.split()) for ln in text.split("\n")]


def test_word_confidences_resync_after_a_dropped_block():
    """Words normalising dropped (more than a few) are skipped; the rest still line up."""
    from pipeline.normalize import word_confidences
    kept = [f"từ{i}" for i in range(30)]
    words = [(w, 90.0) for w in kept[:10]] + [("x", 10.0)] * 20 + [(w, 80.0) for w in kept[10:]]
    confs = word_confidences(" ".join(kept), words)
    assert confs == [[90.0] * 10 + [80.0] * 20]
