import zipfile

import pytest

from pipeline import legacy
from pipeline.cli import main
from pipeline.errors import ExitCode

TEXT = ("Ủy ban nhân dân xã Đại Sơn ban hành Kế hoạch tổ chức Hội nghị tổng kết công tác cải cách "
        "hành chính năm 2025; Việt Nam, người, được, những, thuở, quyết định")


def encode(text: str, table: dict[str, str]) -> str:
    rev: dict[str, str] = {}
    for code, uni in table.items():
        rev.setdefault(uni, code)
    return "".join(rev.get(c) or rev.get(c.lower()) or c for c in text)


def test_vni_round_trip():
    vni = encode(TEXT, legacy.VNI)
    assert "Vieät" in vni
    assert legacy.fix(vni) == (TEXT, "vni")


def test_tcvn3_round_trip():
    t = encode(TEXT, legacy.TCVN3)
    assert "ViÖt" in t
    fixed, enc = legacy.fix(t)
    assert enc == "tcvn3" and fixed.lower() == TEXT.lower()  # TCVN3 capitals are a font, not a code


@pytest.mark.parametrize("text", [TEXT, "Café crème à la française, naïve façade", "Số: 129/KH-UBND", ""])
def test_unicode_and_other_latin1_text_unchanged(text):
    assert legacy.fix(text) == (text, "")


def test_tcvn3_docx_converted_in_batch(tmp_path):
    inp = tmp_path / "in"
    inp.mkdir()
    body = "".join(f"<w:p><w:r><w:t>{encode(line, legacy.TCVN3)}</w:t></w:r></w:p>" for line in [
        "KẾ HOẠCH", "Tổ chức Hội nghị tổng kết công tác cải cách hành chính năm 2025",
        "Căn cứ Quyết định số 133/QĐ-UBND ngày 30/7/2025 của Ủy ban nhân dân phường Dương Kinh.",
        "I. MỤC ĐÍCH, YÊU CẦU", "- Tổng kết, đánh giá kết quả."])
    xml = ('<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="http://schemas.openxmlformats.org/'
           f'wordprocessingml/2006/main"><w:body>{body}</w:body></w:document>')
    with zipfile.ZipFile(inp / "old.docx", "w") as z:
        z.writestr("word/document.xml", xml)
    assert main(["run", str(inp), "-o", str(tmp_path / "out"), "-q"]) == ExitCode.ok
    text = (tmp_path / "out" / "text" / "old.docx.txt").read_text(encoding="utf-8")
    assert "Tổ chức Hội nghị tổng kết" in text
    import json
    rec = json.loads((tmp_path / "out" / "plans.jsonl").read_text(encoding="utf-8"))
    assert rec["legal_basis"][0]["number"] == "133/QĐ-UBND" and any("TCVN3" in w for w in rec["warnings"])
