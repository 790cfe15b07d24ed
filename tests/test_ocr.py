"""The page work unit: image loading, skew estimate, text from word boxes."""
import pytest
from PIL import Image

from conftest import DATA, SAMPLES, needs_tesseract
from pipeline.ocr import OcrSettings, PageTask, load_image, ocr_page, skew_angle
from pipeline.records import Word
from pipeline.tesseract import lines_text


def _page():
    img, dpi = load_image(PageTask(str(DATA / "bad" / "rotated90.pdf"), 1, "pdf", OcrSettings()))
    return img.rotate(-90, expand=True), dpi


def test_scanned_page_uses_its_own_image_and_resolution():
    img, dpi = load_image(PageTask(str(SAMPLES / "scans" / "level2" / "003_8bbb748eb2a26e53.pdf"), 1, "pdf",
                                   OcrSettings()))
    assert dpi == 240 and img.size == (1984, 2806)


@pytest.mark.parametrize("angle", [3.0, -2.0, 0.0])
def test_skew_angle(angle):
    page, _ = _page()
    tilted = page.rotate(angle, resample=Image.BICUBIC, expand=True, fillcolor=255)
    assert abs(skew_angle(tilted) + angle) <= 0.5


def test_column_gap_marks_two_columns():
    ws = (Word("ỦY", 90, 100, 10, 40, 20, 0), Word("BAN", 90, 150, 10, 60, 20, 0),
          Word("CỘNG", 90, 1200, 10, 80, 20, 0), Word("HÒA", 90, 1290, 10, 60, 20, 0),
          Word("Số:", 90, 100, 50, 40, 20, 1), Word("12/KH", 90, 145, 50, 90, 20, 1))
    assert lines_text(ws) == "ỦY BAN | CỘNG HÒA\nSố: 12/KH"


@needs_tesseract
def test_ocr_page_never_raises_on_a_missing_file(tmp_path):
    res = ocr_page(PageTask(str(tmp_path / "gone.pdf"), 1, "pdf", OcrSettings()))
    assert res.error and res.text == ""


def test_colour_page_drops_red_seal_keeps_black_and_blue(tmp_path):
    img = Image.new("RGB", (300, 100), (255, 255, 255))
    img.paste((0, 0, 0), (10, 10, 60, 60))       # black print
    img.paste((200, 30, 40), (110, 10, 160, 60))  # red seal
    img.paste((20, 40, 160), (210, 10, 260, 60))  # blue ink
    img.save(tmp_path / "p.png")
    gray, _ = load_image(PageTask(str(tmp_path / "p.png"), 1, "image", OcrSettings()))
    assert gray.mode == "L"
    assert gray.getpixel((30, 30)) < 60 and gray.getpixel((230, 30)) < 60 and gray.getpixel((130, 30)) > 180
