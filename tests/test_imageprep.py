"""Page image preparation: page kind, deskew, seal suppression, stamp boxes (imageprep)."""
import numpy as np
import pytest
from conftest import DATA, SAMPLES, needs_tesseract
from PIL import Image, ImageDraw

from pipeline import imageprep, tesseract
from pipeline.ocr import OcrSettings, PageTask, load_image

SEAL = DATA / "imageprep" / "seal.png"  # made by tests/data/imageprep/make_fixtures.py


def _text_page():
    img, dpi = load_image(PageTask(str(SAMPLES / "scans" / "level2" / "003_8bbb748eb2a26e53.pdf"), 1, "pdf",
                                   OcrSettings()))
    return img.convert("L"), dpi


def _noise_page(dpi=150, seed=0):
    """An A4 page of gray paper with speckle noise and no text."""
    rng = np.random.default_rng(seed)
    a = np.clip(rng.normal(222, 12, (int(11.69 * dpi), int(8.27 * dpi))), 0, 255).astype(np.uint8)
    ys, xs = rng.integers(0, a.shape[0], 300), rng.integers(0, a.shape[1], 300)
    a[ys, xs] = 60
    return Image.fromarray(a)


def test_blank_pages_are_blank():
    assert imageprep.prepare(Image.new("L", (1240, 1754), 255), 150).kind == "blank"
    assert imageprep.prepare(_noise_page(), 150).kind == "blank"
    assert imageprep.prepare(_noise_page(300, 1), 300).kind == "blank"


def test_two_lines_on_noise_are_near_blank_and_a_page_of_text_is_text():
    page = _noise_page(300)
    lines = Image.open(SEAL).crop((480, 540, 1050, 630))  # the signer's name
    page.paste(lines, (300, 700))
    page.paste(Image.open(SEAL).crop((540, 40, 980, 110)), (300, 800))
    prep = imageprep.prepare(page, 300)
    assert prep.kind == "near-blank" and prep.components > imageprep.BLANK_MAX
    text, dpi = _text_page()
    assert imageprep.prepare(text, dpi).kind == "text"


def _lean(img, dpi):
    gray, _ = imageprep.to_gray(img)
    small, f = imageprep._small(gray, dpi)
    return imageprep.skew_angle(imageprep.ink_mask(small, dpi * f))


@pytest.mark.parametrize("angle", [3.0, -3.5])
def test_skewed_page_is_deskewed(angle):
    page, dpi = _text_page()
    own = _lean(page, dpi)  # the render already leans a little
    tilted = page.rotate(angle, resample=Image.BICUBIC, fillcolor=235)
    prep = imageprep.prepare(tilted, dpi)
    assert abs(prep.skew - (own - angle)) <= 0.2
    assert abs(_lean(prep.image, dpi)) <= 0.2  # level now


def test_slight_skew_is_left_to_tesseract():
    page, dpi = _text_page()
    tilted = page.rotate(1.0, resample=Image.BICUBIC, fillcolor=235)
    assert abs(_lean(tilted, dpi)) >= 0.5
    assert imageprep.prepare(tilted, dpi).skew == 0.0


@pytest.mark.parametrize("angle", [0.0, 1.0, -1.7, 2.2, -3.5])
def test_skew_search_stops_early_only_when_the_page_would_not_be_turned(angle):
    page, dpi = _text_page()
    gray, _ = imageprep.to_gray(page.rotate(angle, resample=Image.BICUBIC, fillcolor=235))
    small, f = imageprep._small(gray, dpi)
    ink = imageprep.ink_mask(small, dpi * f)
    full, short = imageprep.skew_angle(ink), imageprep.skew_angle(ink, least=imageprep.DESKEW_MIN)
    if abs(full) >= imageprep.DESKEW_MIN:
        assert short == full
    else:
        assert abs(short) < imageprep.DESKEW_MIN


def test_normalise_leaves_black_paper_black():
    """Where the paper's brightness is 0 the page stays 0 (OpenCV's division by zero gives 0)."""
    a = np.zeros((200, 200), np.uint8)
    a[50:150, 50:150] = 200
    a[100, 60:140] = 100  # a thin gray line on that paper
    out = imageprep.normalise(a, 100)
    assert out[0, 0] == 0 and out[60, 60] == 255 and out[100, 100] == 128  # 100 / 200 of white


def test_ring_seal_is_found_where_it_was_stamped():
    prep = imageprep.prepare(Image.open(SEAL), 300)
    assert len(prep.seals) == 1
    x0, y0, x1, y1 = prep.seals[0].box
    assert abs((x0 + x1) / 2 - 560) < 15 and abs((y0 + y1) / 2 - 330) < 15 and abs((x1 - x0) / 2 - 215) < 20
    # the seal's pixels are gone, the print around it stays
    a = np.asarray(prep.image)
    assert a[330, 560] > 200 and a[330, 560 - 213] > 200  # star, outer ring
    assert a[600, 760:980].min() < 60  # the signer's name


def test_a_page_of_text_has_no_seal():
    page, dpi = _text_page()
    prep = imageprep.prepare(page, dpi)
    assert prep.seals == () and prep.stamps == ()


@needs_tesseract
def test_words_under_the_seal_are_read_after_suppression_and_not_before():
    img = Image.open(SEAL)
    before = tesseract.lines_text(tesseract.words(img, "vie", 3, 60, 300))
    after = tesseract.lines_text(tesseract.words(imageprep.prepare(img, 300).image, "vie", 3, 60, 300))
    assert before.count("CHỦ TỊCH") == 1  # the position line under the seal is lost
    assert after.count("CHỦ TỊCH") == 2 and "Nguyễn Văn Bình" in after


def test_incoming_document_stamp_box_in_the_left_margin():
    page, dpi = _text_page()
    d = ImageDraw.Draw(page)
    d.rectangle((100, 650, 800, 1000), fill=235)  # a clear left margin beside the title
    box = (150, 700, 150 + int(50 / 25.4 * dpi), 700 + int(25 / 25.4 * dpi))  # 50 x 25 mm
    d.rectangle(box, outline=20, width=5)
    d.text((box[0] + 30, box[1] + 40), "CV DEN  So: 1234  Ngay: 12/3", fill=20)
    prep = imageprep.prepare(page, dpi, deskew=False)  # boxes in the page's own pixels
    stamps = [m for m in prep.stamps if m.kind == "stamp"]
    assert len(stamps) == 1
    assert all(abs(a - b) <= 12 for a, b in zip(stamps[0].box, box))


def test_colour_page_drops_red_seal_keeps_black_and_blue():
    img = Image.new("RGB", (300, 100), (255, 255, 255))
    img.paste((0, 0, 0), (10, 10, 60, 60))       # black print
    img.paste((200, 30, 40), (110, 10, 160, 60))  # red seal
    img.paste((20, 40, 160), (210, 10, 260, 60))  # blue ink
    gray, rgb = imageprep.to_gray(img)
    assert rgb is not None
    assert gray[30, 30] < 60 and gray[30, 230] < 60 and gray[30, 130] > 180


def test_red_seal_on_a_colour_page_is_reported():
    page, dpi = _text_page()
    rgb = page.convert("RGB")
    d = ImageDraw.Draw(rgb)
    c, r = (1400, 2300), int(18 / 25.4 * dpi)
    d.ellipse((c[0] - r, c[1] - r, c[0] + r, c[1] + r), outline=(210, 30, 40), width=8)
    d.ellipse((c[0] - r // 2, c[1] - r // 2, c[0] + r // 2, c[1] + r // 2), fill=(210, 30, 40))
    prep = imageprep.prepare(rgb, dpi, deskew=False)  # boxes in the page's own pixels
    assert [m.kind for m in prep.seals] == ["seal"]
    x0, y0, x1, y1 = prep.seals[0].box
    assert x0 - 10 <= c[0] - r and x1 + 10 >= c[0] + r and y0 - 10 <= c[1] - r
