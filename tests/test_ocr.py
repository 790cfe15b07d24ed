"""The page work unit: image loading, blank pages, seal readings, text from word boxes."""
from conftest import DATA, SAMPLES, needs_tesseract
from PIL import Image

from pipeline.ocr import OcrSettings, PageTask, load_image, ocr_page
from pipeline.records import Word
from pipeline.tesseract import lines_text


def test_scanned_page_uses_its_own_image_and_resolution():
    img, dpi = load_image(PageTask(str(SAMPLES / "scans" / "level2" / "003_8bbb748eb2a26e53.pdf"), 1, "pdf",
                                   OcrSettings()))
    assert dpi == 240 and img.size == (1984, 2806)


def test_page_sizes_are_asked_once_per_file_and_again_when_it_changes(tmp_path, monkeypatch):
    import shutil
    import subprocess

    from pipeline import poppler
    pdf = tmp_path / "a.pdf"
    shutil.copy(SAMPLES / "scans" / "level2" / "003_8bbb748eb2a26e53.pdf", pdf)
    calls = []
    run = subprocess.run
    monkeypatch.setattr(subprocess, "run", lambda cmd, **kw: calls.append(cmd[0]) or run(cmd, **kw))
    pages = poppler.page_count(pdf)
    sizes = [poppler._page_size(pdf, p, 30) for p in range(1, pages + 1)]
    one = [run(["pdfinfo", "-f", str(p), "-l", str(p), str(pdf)], capture_output=True, text=True).stdout
           for p in range(1, pages + 1)]
    assert pages >= 2 and all(f"size:  {w:g} x {h:g} pts" in o or f"size: {w:g} x {h:g} pts" in o
                              for (w, h), o in zip(sizes, one))
    assert calls.count("pdfinfo") == 1 and poppler._page_size(pdf, pages + 1, 30) is None
    shutil.copy(SAMPLES / "scans" / "level2" / "000_e6dfd4b9c1bcb2e4.pdf", pdf)  # another file, same name
    poppler._page_size(pdf, 1, 30)
    assert calls.count("pdfinfo") == 2


def test_column_gap_marks_two_columns():
    ws = (Word("ỦY", 90, 100, 10, 40, 20, 0), Word("BAN", 90, 150, 10, 60, 20, 0),
          Word("CỘNG", 90, 1200, 10, 80, 20, 0), Word("HÒA", 90, 1290, 10, 60, 20, 0),
          Word("Số:", 90, 100, 50, 40, 20, 1), Word("12/KH", 90, 145, 50, 90, 20, 1))
    assert lines_text(ws) == "ỦY BAN | CỘNG HÒA\nSố: 12/KH"


@needs_tesseract
def test_ocr_page_never_raises_on_a_missing_file(tmp_path):
    res = ocr_page(PageTask(str(tmp_path / "gone.pdf"), 1, "pdf", OcrSettings()))
    assert res.error and res.text == ""


def test_colour_page_keeps_its_colour_for_preparation(tmp_path):
    img = Image.new("RGB", (300, 100), (255, 255, 255))
    img.paste((200, 30, 40), (110, 10, 160, 60))
    img.save(tmp_path / "p.png")
    page, _ = load_image(PageTask(str(tmp_path / "p.png"), 1, "image", OcrSettings()))
    assert page.mode == "RGB"  # imageprep takes the red channel and finds the red seals


@needs_tesseract
def test_blank_page_is_not_read(tmp_path, monkeypatch):
    Image.new("L", (1240, 1754), 250).save(tmp_path / "b.png", dpi=(150, 150))
    calls = []
    monkeypatch.setattr("pipeline.tesseract.words", lambda *a, **k: calls.append(1) or ())
    res = ocr_page(PageTask(str(tmp_path / "b.png"), 1, "image", OcrSettings()))
    assert res.kind == "blank" and not res.error and res.warnings and calls == []


@needs_tesseract
def test_seal_reaches_the_page_readings(tmp_path):
    Image.open(DATA / "imageprep" / "seal.png").save(tmp_path / "s.png", dpi=(300, 300))
    res = ocr_page(PageTask(str(tmp_path / "s.png"), 1, "image", OcrSettings()))
    seals = [r for r in res.readings if r.field == "seal"]
    assert len(seals) == 1 and seals[0].source == "image" and seals[0].text == "opaque"  # as dark as the print
    assert res.text.count("CHỦ TỊCH") == 2 and res.kind in ("text", "near-blank")
