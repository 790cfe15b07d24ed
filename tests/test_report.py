"""The static report: written by every run, escaped, incremental; text marks; page images; user dictionary."""
import json
import re
import shutil
from pathlib import Path

import numpy as np
import pytest
from conftest import SAMPLES
from PIL import Image, ImageDraw

from pipeline.cli import main
from pipeline.errors import ExitCode

INJECT = ('Ghi chú: <script>window.__pwned=1</script> và "><img src=x onerror="window.__pwned=2"> '
          "kết thúc.")
BAD_NAME = 'inj"><img src=x onerror=window.__pwned=3>.txt'


@pytest.fixture
def batch(tmp_path):
    inp = tmp_path / "in"
    inp.mkdir()
    for f in sorted((SAMPLES / "text").iterdir())[:2]:
        shutil.copy(f, inp / f.name)
    seed = sorted((SAMPLES / "text").glob("*.txt"))[0].read_text(encoding="utf-8")
    (inp / BAD_NAME).write_text(seed + "\n\n" + INJECT + "\n", encoding="utf-8")
    (inp / "empty.txt").write_text("", encoding="utf-8")  # a failed input is listed too
    return inp


def _run(inp, out, *extra):
    return main(["run", str(inp), "-o", str(out), "-q", "--no-restore", *extra])


def test_every_run_writes_the_report(batch, tmp_path):
    out = tmp_path / "out"
    assert _run(batch, out) == ExitCode.some_inputs_failed  # empty.txt
    index = (out / "report" / "index.html").read_text(encoding="utf-8")
    docs = sorted((out / "report" / "doc").glob("*.html"))
    assert len(docs) == 3
    assert "empty.txt" in index and "failed" in index
    data = (out / "report" / "docs.js").read_text(encoding="utf-8")
    rows = json.loads(data[len("window.VNP_DOCS="):].rstrip().rstrip(";"))
    assert {r["source"] for r in rows} == {p.name for p in batch.iterdir()}
    assert all(r["href"] == f"doc/{r['id']}.html" for r in rows if r["status"] == "done")
    for asset in ("report.css", "report.js"):
        assert (out / "report" / "assets" / asset).is_file()
    assert "http://" not in index and "https://" not in index  # nothing from the network


def test_document_text_and_names_are_escaped(batch, tmp_path):
    out = tmp_path / "out"
    _run(batch, out)
    index = (out / "report" / "index.html").read_text(encoding="utf-8")
    data = (out / "report" / "docs.js").read_text(encoding="utf-8")
    pages = [p.read_text(encoding="utf-8") for p in (out / "report" / "doc").glob("*.html")]
    page = next(p for p in pages if "__pwned=1" in p)
    for html in [index, page]:
        assert "<script>window" not in html and "<img src=x" not in html
        assert not re.search(r"<img[^>]*onerror", html)
    assert "&lt;script&gt;window.__pwned=1&lt;/script&gt;" in page
    assert "&#34;&gt;&lt;img src=x onerror=" in page or "&quot;&gt;&lt;img src=x onerror=" in page
    assert "<" not in data[len("window.VNP_DOCS="):] and ">" not in data  # JSON for a script file
    assert "&#34;&gt;&lt;img" in index or "&quot;&gt;&lt;img" in index  # the file name, as text


def test_report_is_incremental(batch, tmp_path):
    from pipeline.report import write_report
    out = tmp_path / "out"
    _run(batch, out)
    page = next((out / "report" / "doc").glob("*.html"))
    mtime = page.stat().st_mtime_ns
    s = write_report(out)
    assert s.documents == 3 and s.failed == 1 and s.pages_written == 0 and s.images_written == 0
    assert page.stat().st_mtime_ns == mtime
    assert main(["report", str(out)]) == ExitCode.ok


def test_report_command_needs_a_catalog(tmp_path):
    assert main(["report", str(tmp_path)]) == ExitCode.bad_args


def test_segments_mark_changes_and_doubtful_words():
    from pipeline.report.textmarks import segments
    raw = "Ke hoach to chuc\nHoi nghi tong ket"
    fixed = "Kế hoạch tổ chức\nHội nghị tổng kết"
    segs = segments(raw, fixed, [("Ke", 95), ("hoach", 30), ("to", 90), ("chuc", 90), ("Hoi", 90),
                                 ("nghi", 90), ("tong", 90), ("ket", 90)])
    assert "".join(s.text for s in segs) == fixed
    fixes = [s for s in segs if "fix" in s.kind]
    assert [(s.before, s.text) for s in fixes][:2] == [("Ke", "Kế"), ("hoach", "hoạch")]
    assert all(s.why == "diacritics" for s in fixes)
    low = [s.text for s in segs if "low" in s.kind]
    assert low == ["hoạch"]
    same = segments("a b  c\n", "a b  c\n")
    assert "".join(s.text for s in same) == "a b  c\n" and not any(s.kind for s in same)
    letters = segments("UBND xa Dai Son", "UBND xã Đại Sơn")
    assert [s.why for s in letters if s.kind] == ["diacritics"] * 3
    ocr = segments("Thực hiên Kế hoach l3", "Thực hiện Kế hoạch 13")
    assert [s.before for s in ocr if s.kind] == ["hiên", "hoach", "l3"]
    assert [s.why for s in ocr if s.kind] == ["diacritics", "diacritics", "letters"]


def _page_png(path: Path, size=(1200, 1700)) -> None:
    im = Image.new("RGB", size, "white")
    d = ImageDraw.Draw(im)
    d.rectangle((100, 100, 500, 180), fill="black")  # a 'field' the crop must show
    d.rectangle((700, 1400, 1000, 1500), fill=(200, 0, 0))
    im.save(path)


def test_page_images_and_crops_are_written_once(tmp_path):
    from pipeline.report.images import ImageStore
    src = tmp_path / "page.png"
    _page_png(src)
    store = ImageStore(tmp_path / "report")
    img = store.page_image(src, "image", 1, "vie/dpi300/psm3/retry1", "tesseract 5 vie psm3 300dpi", (1200, 1700))
    assert img is not None and img.size == (1200, 1700)
    names = store.write_page(img, "ab" * 32, 1)
    crop = store.write_crop(img, "ab" * 32, 1, (100, 100, 500, 180))
    assert store.made == 3
    thumb = Image.open(store.root / names.thumb)
    assert thumb.width <= 220
    c = np.asarray(Image.open(store.root / crop).convert("L"))
    assert c.mean() < 128  # the black box, not white paper
    store.write_page(img, "ab" * 32, 1)
    store.write_crop(img, "ab" * 32, 1, (100, 100, 500, 180))
    assert store.made == 3  # nothing written again
    # boxes are in the pixels OCR read: a page stored at another size is scaled to it
    half = store.page_image(src, "image", 1, "", "tesseract", (600, 850))
    assert half.size == (600, 850) and store.scale == 1.0
    big = store.page_image(src, "image", 1, "", "tesseract", (2800, 3966))  # boxes of a 2800-px page
    assert big.size == (1400, 1983) and store.scale == 0.5
    crop = store.write_crop(big, "cd" * 32, 1, (233, 233, 1167, 420))  # the black box, in 2800-px pixels
    c = np.asarray(Image.open(store.root / crop).convert("L"))
    assert c.mean() < 128
    # a deskewed page is turned as the OCR worker turned it
    turned = store.page_image(src, "image", 1, "", "tesseract 5 vie deskewed+2.00", (1200, 1700))
    a, b = np.asarray(turned.convert("L")), np.asarray(img.convert("L"))
    assert turned.size == img.size and np.abs(a.astype(int) - b).mean() > 1
    assert store.page_image(tmp_path / "gone.png", "image", 1, "", "", (10, 10)) is None


def test_user_dictionary_puts_corrected_spellings_back(tmp_path):
    from pipeline import userdict
    path = tmp_path / "user_dict.tsv"
    assert userdict.add(path, {"Trần Hoàng Tuấn": "signer_name", "Tuấn": "signer_name",
                               "Ủy ban nhân dân xã Đại  Sơn": "issuer"}) == 3
    assert userdict.add(path, {"Trần Hoàng Tuấn": "signer_name"}) == 0
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "phrase\tfield\tadded" and lines[1:] == sorted(lines[1:])
    p = userdict.Protector(userdict.load(path))
    text = "KT. CHỦ TỊCH\nTRẦN HOÀNG TUẦN\nông Trần Hoàng Tuần, tuần này\nỦy ban nhân dân xã Đại\nSon"
    out = p.apply(text)
    assert "TRẦN HOÀNG TUẤN" in out and "ông Trần Hoàng Tuấn," in out
    assert "tuần này" in out  # one-word entries are never applied
    assert "Ủy ban nhân dân xã Đại\nSơn" in out  # the text's own line break stays
    assert p.apply("Trần Hoàng Tuấnh") == "Trần Hoàng Tuấnh"  # whole words only
    assert userdict.Protector(()).apply("x") == "x"


def test_run_uses_the_user_dictionary(tmp_path):
    inp = tmp_path / "in"
    inp.mkdir()
    seed = sorted((SAMPLES / "text").glob("*.txt"))[0].read_text(encoding="utf-8")
    (inp / "a.txt").write_text(seed + "\n\nNgười liên hệ: ông Nguyen Van Teoo, cán bộ.\n", encoding="utf-8")
    out = tmp_path / "out"
    out.mkdir()
    (out / "user_dict.tsv").write_text("phrase\tfield\tadded\nNguyễn Văn Tèoo\tsigner_name\t2025-01-01\n",
                                       encoding="utf-8")
    assert main(["run", str(inp), "-o", str(out), "-q"]) == ExitCode.ok  # default: OUT/user_dict.tsv
    assert "ông Nguyễn Văn Tèoo," in (out / "text" / "a.txt.txt").read_text(encoding="utf-8")
    assert main(["run", str(inp), "-o", str(tmp_path / "o2"), "-q", "--user-dict", str(tmp_path / "nope.tsv")]) \
        == ExitCode.bad_args
