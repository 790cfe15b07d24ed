"""Bad inputs: each gets a clear one-line reason (or the right result), never a traceback or a
hang, and the rest of the batch completes. Large or odd files are generated here; the
encrypted and rotated PDFs are in tests/data/bad (scripts/make_bad_inputs.py)."""
from __future__ import annotations

import json
import os
import shutil
import signal
import unicodedata
from pathlib import Path

import pandas as pd
import pytest
from conftest import DATA, SAMPLES, needs_tesseract
from PIL import Image

from pipeline.cli import main
from pipeline.errors import ExitCode
from pipeline.poppler import MAX_RENDER_SIDE

GOOD = SAMPLES / "text" / "003_8bbb748eb2a26e53.txt"
SCAN = SAMPLES / "scans" / "level1" / "004_63baf3d53428361f.pdf"


def minimal_pdf(content: bytes = b"", count: int = 1, font: bool = False) -> bytes:
    """A hand-made PDF (no xref table: poppler rebuilds it)."""
    res = b"/Resources<</Font<</F1 4 0 R>>>>" if font else b""
    kids = b"[3 0 R]" if count else b"[]"
    return (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
            b"2 0 obj<</Type/Pages/Kids" + kids + b"/Count " + str(count).encode() + b">>endobj\n"
            b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]" + res + b"/Contents 5 0 R>>endobj\n"
            b"4 0 obj<</Type/Font/Subtype/Type1/BaseFont/Helvetica>>endobj\n"
            b"5 0 obj<</Length " + str(len(content)).encode() + b">>stream\n" + content +
            b"\nendstream endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n")


def cp1258(text: str) -> bytes:
    """Windows-1258 bytes: letters with their vowel marks precomposed, tone marks combining."""
    out: list[str] = []
    base = -1  # index of the last letter in out
    for ch in unicodedata.normalize("NFD", text):
        if unicodedata.combining(ch) and ch not in "\u0300\u0301\u0303\u0309\u0323" and base >= 0:
            out[base] = unicodedata.normalize("NFC", out[base] + ch)  # vowel mark: into the letter
        else:
            out.append(ch)
            if not unicodedata.combining(ch):
                base = len(out) - 1
    return "".join(out).encode("cp1258")


def run_one(tmp_path: Path, name: str, data: bytes | None = None, src: Path | None = None,
            seconds: int = 120) -> tuple[int, pd.DataFrame, pd.DataFrame, str]:
    """Run the CLI on the bad input plus one good text; return code, plans, errors, stderr."""
    inp = tmp_path / "in"
    inp.mkdir(exist_ok=True)
    shutil.copy(GOOD, inp / "good.txt")
    if src is not None:
        shutil.copy(src, inp / name)
    elif data is not None:
        (inp / name).write_bytes(data)
    out = tmp_path / "out"

    def hang(*_):
        raise TimeoutError(f"run on {name} took more than {seconds} s")

    old = signal.signal(signal.SIGALRM, hang)
    signal.alarm(seconds)
    try:
        code = main(["run", str(inp), "-o", str(out), "-q", "--jobs", "2"])
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)
    plans = pd.read_csv(out / "plans.csv", encoding="utf-8-sig", dtype=str, keep_default_na=False)
    errors = pd.read_csv(out / "errors.csv", encoding="utf-8-sig", dtype=str, keep_default_na=False)
    assert "good.txt" in set(plans["source"]), "the rest of the batch must complete"
    for reason in errors["reason"]:
        assert "\n" not in reason and "Traceback" not in reason and len(reason) < 300
    return code, plans, errors, ""


def reason(errors: pd.DataFrame, name: str) -> str:
    rows = errors[errors["source"] == name]["reason"].tolist()
    assert rows, f"{name} not in errors.csv"
    return rows[0]


@pytest.mark.parametrize("name,data,expect", [
    ("zero.pdf", b"", "empty file"),
    ("zero.txt", b"", "empty file"),
    ("photo.pdf", b"\xff\xd8\xff\xe0" + b"\x00" * 200, "not a PDF: the file is a JPEG image"),
    ("page.pdf", b"<!DOCTYPE html><html><body>404</body></html>", "not a PDF: the file is an HTML page"),
    ("nopages.pdf", minimal_pdf(count=0), "PDF has no pages"),
    ("binary.txt", b"\x00\x01\x02\x03" * 100 + b"\xff" * 50, "binary data, not text"),
], ids=lambda x: x if isinstance(x, str) and "." in x else "")
def test_rejected_with_reason(tmp_path, name, data, expect):
    code, plans, errors, _ = run_one(tmp_path, name, data)
    assert code == ExitCode.some_inputs_failed
    assert reason(errors, name) == expect
    assert name not in set(plans["source"])


def test_truncated_pdf(tmp_path):
    data = SCAN.read_bytes()
    code, plans, errors, _ = run_one(tmp_path, "cut.pdf", data[: len(data) // 3])
    assert code == ExitCode.some_inputs_failed
    assert reason(errors, "cut.pdf") == "PDF is damaged (no trailer)"


def test_broken_xref_is_repaired(tmp_path):
    """A PDF without a valid xref table: poppler rebuilds it and the text layer is read."""
    body = b"BT /F1 12 Tf 72 760 Td (Ke hoach to chuc Hoi nghi tong ket cong tac cai cach hanh chinh) Tj ET"
    lines = b"\n".join(b"BT /F1 11 Tf 72 %d Td (Thuc hien nhiem vu cong tac nam 2025 cua Uy ban nhan dan xa) Tj ET"
                       % y for y in range(740, 300, -16))
    data = minimal_pdf(body + b"\n" + lines, font=True).replace(b"trailer", b"xref\n0 6\n0000000000 65535 f \ntrailer")
    code, plans, errors, _ = run_one(tmp_path, "xref.pdf", data)
    assert code == ExitCode.ok
    row = plans[plans["source"] == "xref.pdf"].iloc[0]
    assert row["text_source"] == "text-layer"


def test_encrypted_with_user_password(tmp_path):
    code, plans, errors, _ = run_one(tmp_path, "locked.pdf", src=DATA / "bad" / "encrypted_user.pdf")
    assert code == ExitCode.some_inputs_failed
    assert reason(errors, "locked.pdf") == "PDF is encrypted (needs a password)"


@needs_tesseract
def test_encrypted_without_user_password_is_read(tmp_path):
    code, plans, errors, _ = run_one(tmp_path, "owner.pdf", src=DATA / "bad" / "encrypted_owner.pdf")
    assert code == ExitCode.ok and "owner.pdf" in set(plans["source"])


@needs_tesseract
def test_rotated_page_is_turned_upright(tmp_path):
    code, plans, errors, _ = run_one(tmp_path, "sideways.pdf", src=DATA / "bad" / "rotated90.pdf")
    assert code == ExitCode.ok
    row = plans[plans["source"] == "sideways.pdf"].iloc[0]
    assert row["doc_type"] == "Kế hoạch" and row["issuer"] == "Ủy ban nhân dân xã Đại Sơn"
    text = (tmp_path / "out" / "text" / "sideways.pdf.txt").read_text(encoding="utf-8")
    assert "Tổ chức Hội nghị tổng kết" in text


@needs_tesseract
def test_rotated_180(tmp_path):
    from pipeline.ocr import OcrSettings, PageTask, load_image
    page, _ = load_image(PageTask(str(DATA / "bad" / "rotated90.pdf"), 1, "pdf", OcrSettings()))
    inp_img = tmp_path / "upside.png"
    page.rotate(-90, expand=True).rotate(180).save(inp_img)
    code, plans, errors, _ = run_one(tmp_path, "upside.png", src=inp_img)
    assert code == ExitCode.ok
    row = plans[plans["source"] == "upside.png"].iloc[0]
    assert row["doc_type"] == "Kế hoạch"


@needs_tesseract
def test_blank_page(tmp_path):
    blank = tmp_path / "blank.png"
    Image.new("L", (1240, 1754), 255).save(blank)
    code, plans, errors, _ = run_one(tmp_path, "blank.png", src=blank)
    assert code == ExitCode.some_inputs_failed
    assert reason(errors, "blank.png") == "no text found on any page"


def test_decompression_bomb_image(tmp_path):
    bomb = tmp_path / "bomb.png"
    Image.new("1", (20000, 20000), 1).save(bomb, optimize=True)
    assert bomb.stat().st_size < 2_000_000
    code, plans, errors, _ = run_one(tmp_path, "bomb.png", src=bomb)
    assert code == ExitCode.some_inputs_failed
    assert reason(errors, "bomb.png").startswith("image too large: Image size (400000000 pixels) exceeds limit")


@needs_tesseract
def test_huge_pdf_page_is_rendered_smaller(tmp_path):
    """A 20000 x 20000 pt page would be 83,000 px wide at 300 dpi: it is rendered at a lower dpi."""
    data = minimal_pdf(b"BT /F1 400 Tf 1000 10000 Td (KE HOACH) Tj ET", font=True).replace(
        b"[0 0 595 842]", b"[0 0 20000 20000]")
    code, plans, errors, _ = run_one(tmp_path, "huge.pdf", data, seconds=300)
    # rendered (12,000 px wide, not 83,000) and read: two words on a square metre of paper are too
    # few for a page of text, so the document fails for that reason and not for its size
    assert reason(errors, "huge.pdf") == "no text found on any page"
    import sqlite3
    con = sqlite3.connect(tmp_path / "out" / "catalog.sqlite")
    (error, extra), = con.execute("SELECT error, extra FROM pages").fetchall()
    con.close()
    assert error == "" and 0.9 * MAX_RENDER_SIDE < json.loads(extra)["width"] <= MAX_RENDER_SIDE


@needs_tesseract
def test_garbage_text_layer_is_not_trusted(tmp_path):
    garbage = b"\n".join(b"BT /F1 11 Tf 72 %d Td (\xff\xfe\xfd\xfc\xfb\xfa \xf9\xf8\xf7 \xde\xdd\xdc\xdb) Tj ET" % y
                         for y in range(780, 100, -14))
    code, plans, errors, _ = run_one(tmp_path, "glyphs.pdf", minimal_pdf(garbage, font=True))
    from pipeline import textlayer
    layer = textlayer.read(tmp_path / "in" / "glyphs.pdf")[0]
    assert layer.letters > 100 and not layer.is_real
    row = plans[plans["source"] == "glyphs.pdf"]
    assert code == ExitCode.ok and len(row) == 1 and row.iloc[0]["text_source"] == "ocr"


@pytest.mark.parametrize("encoding", ["cp1258", "utf-16", "utf-8-sig"])
def test_text_encodings(tmp_path, encoding):
    text = GOOD.read_text(encoding="utf-8")
    data = cp1258(text) if encoding == "cp1258" else text.encode(encoding)
    code, plans, errors, _ = run_one(tmp_path, f"plan_{encoding}.txt", data)
    assert code == ExitCode.ok
    rec = [json.loads(ln) for ln in (tmp_path / "out" / "plans.jsonl").read_text(encoding="utf-8").splitlines()]
    got = next(r for r in rec if r["source"] == f"plan_{encoding}.txt")
    assert got["issuer"] == "Ủy ban nhân dân phường Phù Liễn" and got["signer_name"] == "Phạm Văn Diện"


def test_vietnamese_name_with_spaces_and_quotes(tmp_path):
    name = "Kế hoạch \"số 1\" của 'xã' Đại Sơn.txt"
    code, plans, errors, _ = run_one(tmp_path, name, GOOD.read_bytes())
    assert code == ExitCode.ok and name in set(plans["source"])
    assert (tmp_path / "out" / "text" / (name + ".txt")).exists()


def test_symlink_loop_and_broken_link(tmp_path):
    inp = tmp_path / "in"
    (inp / "sub").mkdir(parents=True)
    os.symlink("..", inp / "sub" / "loop")
    os.symlink(tmp_path / "nowhere.pdf", inp / "dead.pdf")
    code, plans, errors, _ = run_one(tmp_path, "x.txt", GOOD.read_bytes())
    assert code == ExitCode.some_inputs_failed
    assert "broken symlink" in reason(errors, "dead.pdf")
    assert any("symlink loop" in r for r in errors["reason"])
    assert len(plans) == 2  # good.txt and x.txt, each once despite the loop


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their mode")
def test_unreadable_file(tmp_path):
    inp = tmp_path / "in"
    inp.mkdir()
    p = inp / "secret.txt"
    p.write_bytes(GOOD.read_bytes())
    p.chmod(0)
    code, plans, errors, _ = run_one(tmp_path, "other.txt", GOOD.read_bytes())
    assert code == ExitCode.some_inputs_failed
    assert "cannot read" in reason(errors, "secret.txt")


def test_output_folder_not_writable(tmp_path):
    (tmp_path / "in").mkdir()
    shutil.copy(GOOD, tmp_path / "in" / "a.txt")
    (tmp_path / "afile").write_text("x")
    assert main(["run", str(tmp_path / "in"), "-o", str(tmp_path / "afile" / "out"), "-q"]) == \
        ExitCode.output_unwritable


def test_fifo_named_like_a_text_is_not_read(tmp_path):
    inp = tmp_path / "in"
    inp.mkdir()
    os.mkfifo(inp / "pipe.txt")
    code, plans, errors, _ = run_one(tmp_path, "other.txt", GOOD.read_bytes(), seconds=60)
    assert code == ExitCode.some_inputs_failed
    assert "not a regular file" in reason(errors, "pipe.txt")


@needs_tesseract
def test_multipage_tiff(tmp_path):
    from pipeline.ocr import OcrSettings, PageTask, load_image
    scan = SAMPLES / "scans" / "level3" / SCAN.name  # the smallest render: less to read
    pages = [load_image(PageTask(str(scan), n, "pdf", OcrSettings()))[0] for n in (1, 2)]
    tif = tmp_path / "scan.tif"
    pages[0].save(tif, save_all=True, append_images=pages[1:], compression="tiff_lzw", dpi=(300, 300))
    code, plans, errors, _ = run_one(tmp_path, "scan.tif", src=tif)
    row = plans[plans["source"] == "scan.tif"].iloc[0]
    assert code == ExitCode.ok and row["pages"] == "2" and row["signer_name"] == "Nguyễn Hữu Phúc"


@needs_tesseract
def test_file_time_limit_gives_up_the_rest(tmp_path):
    """A file over --file-timeout: the pages no worker has started are given up; the record keeps
    what was read, with a warning per page; the rest of the batch completes."""
    inp = tmp_path / "in"
    inp.mkdir()
    shutil.copy(SAMPLES / "scans" / "level3" / "000_e6dfd4b9c1bcb2e4.pdf", inp / "long.pdf")  # 3 pages
    shutil.copy(GOOD, inp / "good.txt")
    out = tmp_path / "out"
    log = tmp_path / "run.log"
    code = main(["run", str(inp), "-o", str(out), "-q", "--jobs", "1", "--file-timeout", "1", "--log-file", str(log)])
    assert code == ExitCode.ok
    assert "long.pdf: file time limit (1 s) reached: " in log.read_text(encoding="utf-8")
    rec = next(json.loads(ln) for ln in (out / "plans.jsonl").read_text(encoding="utf-8").splitlines()
               if json.loads(ln)["source"] == "long.pdf")
    assert any("file time limit" in w for w in rec["warnings"])
    assert rec["issuer"] == "Ủy ban nhân dân phường Dương Kinh"  # page 1 was read
