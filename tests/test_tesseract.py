"""The Tesseract wrapper: the library in process reads what the program reads."""
import subprocess
import sys

from conftest import SAMPLES, needs_tesseract

from pipeline import tesseract
from pipeline.ocr import OcrSettings, PageTask, load_image


@needs_tesseract
def test_library_and_program_give_the_same_words(monkeypatch):
    if tesseract._lib() is None:
        import pytest
        pytest.skip("libtesseract cannot be loaded here: the program is used")
    img, dpi = load_image(PageTask(str(SAMPLES / "scans" / "level2" / "003_8bbb748eb2a26e53.pdf"), 1, "pdf",
                                   OcrSettings()))
    img = img.convert("L").crop((0, 0, img.width, img.height // 3))  # the header: a third of the time
    in_process = tesseract.words(img, dpi=dpi)
    monkeypatch.setenv("VNPLANS_TESSERACT", "cli")
    tesseract._lib.cache_clear()
    try:
        assert tesseract._lib() is None
        program = tesseract.words(img, dpi=dpi)
    finally:
        tesseract._lib.cache_clear()
    assert len(in_process) > 20 and in_process == program


@needs_tesseract
def test_digits_only_reading_with_a_whitelist():
    from PIL import Image, ImageDraw, ImageFont
    img = Image.new("L", (400, 80), 255)
    font = ImageFont.truetype("DejaVuSans.ttf", 48) if _has_dejavu() else ImageFont.load_default()
    ImageDraw.Draw(img).text((10, 10), "2O25", fill=0, font=font)  # a letter O: digits only reads 0
    assert tesseract.read(img, "eng" if "eng" in tesseract.languages() else "vie", 7,
                          whitelist="0123456789").strip() == "2025"


def _has_dejavu() -> bool:
    try:
        from PIL import ImageFont
        ImageFont.truetype("DejaVuSans.ttf", 10)
        return True
    except OSError:
        return False


@needs_tesseract
def test_library_writes_nothing_on_stderr():
    """Tesseract's and Leptonica's debug lines went to the program's captured stderr; in process
    they would reach the archivist's terminal."""
    page = SAMPLES / "scans" / "level2" / "000_e6dfd4b9c1bcb2e4.pdf"  # Tesseract says 'Detected 105 diacritics'
    code = ("from pipeline import tesseract; from pipeline.ocr import OcrSettings, PageTask, load_image\n"
            f"img, dpi = load_image(PageTask({str(page)!r}, 1, 'pdf', OcrSettings()))\n"
            "img = img.convert('L'); tesseract.words(img, dpi=dpi)\n"
            "tesseract.read(img.crop((img.width - 50, 0, img.width + 900, 40)), psm=7)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=SAMPLES.parent)
    assert out.returncode == 0 and out.stderr == ""
