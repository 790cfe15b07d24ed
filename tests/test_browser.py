"""The report and the review app in a real headless browser (Debian chromium + chromium-driver, Selenium).

Skipped, with the reason, where no browser can be found (`make test` installs one). With
VNPLANS_SCREENSHOTS=1 the document-page screenshots are also copied to docs/ for the README.
"""
import io
import os
import shutil
import threading
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import ROOT, SAMPLES, have_tesseract
from PIL import Image

from pipeline.cli import main
from pipeline.errors import ExitCode

webdriver = pytest.importorskip("selenium.webdriver", reason="selenium not installed (pip install -e '.[test]')")
pytest.importorskip("flask_wtf")
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
DRIVER = shutil.which("chromedriver") or next((p for p in ("/usr/lib/chromium/chromedriver",) if Path(p).exists()), None)
pytestmark = pytest.mark.skipif(not (CHROMIUM and DRIVER),
                                reason="no headless browser: apt-get install chromium chromium-driver "
                                       "(`make test` does it)")

INJECT = 'Ghi chú: <script>window.__pwned=1</script> và "><img src=x onerror="window.__pwned=2"> hết.'
BAD_NAME = 'inj"><img src=x onerror=window.__pwned=3>.txt'
NEW_NAME = "Nguyễn Thị Kiểm Tra"


@pytest.fixture(scope="module")
def out(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("browser")
    inp = tmp / "in"
    inp.mkdir()
    seed = sorted((SAMPLES / "text").glob("*.txt"))[0]
    shutil.copy(seed, inp / seed.name)
    (inp / BAD_NAME).write_text(seed.read_text(encoding="utf-8") + "\n\n" + INJECT + "\n", encoding="utf-8")
    if have_tesseract():  # a scan, so that fields have page crops
        scan = min((SAMPLES / "scans" / "level3").glob("*.pdf"), key=lambda p: p.stat().st_size)
        shutil.copy(scan, inp / "scan.pdf")
    o = tmp / "out"
    assert main(["run", str(inp), "-o", str(o), "-q", "--jobs", "1"]) == ExitCode.ok
    return o


@pytest.fixture(scope="module")
def browser():
    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
              "--window-size=1280,1500", "--lang=vi", "--disable-extensions"):
        opts.add_argument(a)
    try:
        drv = webdriver.Chrome(options=opts, service=webdriver.ChromeService(executable_path=DRIVER))
    except Exception as e:
        pytest.skip(f"headless chromium did not start: {e}")
    drv.set_page_load_timeout(60)
    yield drv
    drv.quit()


def _nonblank(png: bytes) -> tuple[tuple[int, int], float]:
    """Image size and the share of pixels that are not (near) white."""
    im = Image.open(io.BytesIO(png)).convert("L")
    a = np.asarray(im)
    return im.size, float((a < 200).mean())


def _shot(drv, name: str, tmp: Path, docs: bool = True) -> bytes:
    png = drv.get_screenshot_as_png()
    (tmp / name).write_bytes(png)
    if docs and os.environ.get("VNPLANS_SCREENSHOTS") == "1":
        (ROOT / "docs").mkdir(exist_ok=True)
        (ROOT / "docs" / name).write_bytes(png)
    return png


def _source_of(out: Path, pred) -> str:
    plans = pd.read_csv(out / "plans.csv", encoding="utf-8-sig", dtype=str, keep_default_na=False)
    return next(s for s in plans["source"] if pred(s))


def test_report_shows_documents_fields_and_crops(out, browser, tmp_path):
    from pipeline.report import doc_id
    browser.get((out / "report" / "index.html").as_uri())
    rows = browser.find_elements(By.CSS_SELECTOR, "#docs tbody tr")
    assert len(rows) == len(list((out / "text").rglob("*.txt")))
    assert browser.find_element(By.ID, "count").text.endswith("shown")  # the script ran
    # sorting by a column and filtering by flag work
    browser.find_element(By.CSS_SELECTOR, 'th[data-key="source"]').click()
    first = browser.find_element(By.CSS_SELECTOR, "#docs tbody tr td").text
    assert first == max(r.find_element(By.TAG_NAME, "td").text for r in
                        browser.find_elements(By.CSS_SELECTOR, "#docs tbody tr"))
    size, ink = _nonblank(_shot(browser, "report-index.png", tmp_path, docs=False))
    assert size[0] >= 1000 and ink > 0.01
    assert browser.execute_script("return window.__pwned") is None
    assert BAD_NAME in browser.find_element(By.ID, "docs").text  # shown as text

    scan = [s for s in ["scan.pdf"] if (out / "text" / f"{s}.txt").exists()]
    src = scan[0] if scan else _source_of(out, lambda s: not s.startswith("inj"))
    browser.get((out / "report" / "doc" / f"{doc_id(src)}.html").as_uri())
    fields = browser.find_element(By.ID, "fields")
    assert fields.is_displayed() and "issuer" in fields.text and "doc_type" in fields.text
    issuer = browser.find_element(By.CSS_SELECTOR, "#field-issuer td.value").text
    assert issuer.startswith("Ủy ban nhân dân")
    if scan:
        crops = browser.find_elements(By.CSS_SELECTOR, "td.crop img")
        assert len(crops) >= 3
        for img in crops[:3]:
            browser.execute_script("arguments[0].scrollIntoView()", img)
            assert browser.execute_script("return arguments[0].complete && arguments[0].naturalWidth", img) > 20
            size, ink = _nonblank(img.screenshot_as_png)
            assert size[0] > 20 and size[1] > 10 and ink > 0.02, "a crop shows print, not blank paper"
        browser.execute_script("window.scrollTo(0, 0)")
    size, ink = _nonblank(_shot(browser, "report.png", tmp_path))
    assert size[0] >= 1000 and ink > 0.02


def test_injected_text_stays_inert(out, browser):
    from pipeline.report import doc_id
    browser.get((out / "report" / "doc" / f"{doc_id(BAD_NAME)}.html").as_uri())
    text = browser.find_element(By.ID, "fulltext").text
    assert "<script>window.__pwned=1</script>" in text and 'onerror="window.__pwned=2"' in text
    assert browser.find_element(By.TAG_NAME, "h1").text == BAD_NAME
    assert browser.execute_script("return window.__pwned") is None
    assert not browser.find_elements(By.CSS_SELECTOR, "#fulltext script, #fulltext img, h1 img")


@pytest.fixture
def server(out):
    from werkzeug.serving import make_server

    from pipeline.review import create_app
    srv = make_server("127.0.0.1", 0, create_app(out, who="browser-test"), threaded=True)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    yield f"http://127.0.0.1:{srv.server_port}"
    srv.shutdown()
    t.join(10)


def test_review_edit_save_export(out, browser, server, tmp_path):
    from pipeline.report import doc_id
    src = "scan.pdf" if (out / "text" / "scan.pdf.txt").exists() else _source_of(out, lambda s: not s.startswith("inj"))
    browser.get(f"{server}/doc/{doc_id(src)}")
    box = browser.find_element(By.CSS_SELECTOR, 'input[name="signer_name"]')
    machine = box.get_attribute("value")
    box.clear()
    box.send_keys(NEW_NAME)
    for c in browser.find_elements(By.CSS_SELECTOR, 'input[name="confirm"]')[:1]:
        c.click()
    browser.find_element(By.ID, "save").click()
    # the save posts, redirects and loads the page again: wait for the new page, not the old one
    saved = WebDriverWait(browser, 15).until(lambda b: b.find_elements(By.ID, "saved"))
    assert saved[0].is_displayed()
    assert browser.find_element(By.CSS_SELECTOR, 'input[name="signer_name"]').get_attribute("value") == NEW_NAME
    size, ink = _nonblank(_shot(browser, "review.png", tmp_path))
    assert size[0] >= 1000 and ink > 0.02
    assert main(["export", str(out)]) == ExitCode.ok
    plans = pd.read_csv(out / "plans.csv", encoding="utf-8-sig", dtype=str, keep_default_na=False).set_index("source")
    mach = pd.read_csv(out / "plans_machine.csv", encoding="utf-8-sig", dtype=str,
                       keep_default_na=False).set_index("source")
    assert plans.loc[src, "signer_name"] == NEW_NAME and plans.loc[src, "reviewed_at"]
    assert mach.loc[src, "signer_name"] == machine
    # the review index is the same table, with the document marked reviewed
    browser.get(server + "/")
    assert browser.execute_script("return window.__pwned") is None
    sel = browser.find_element(By.ID, "flag")
    sel.find_element(By.CSS_SELECTOR, 'option[value="reviewed"]').click()
    rows = browser.find_elements(By.CSS_SELECTOR, "#docs tbody tr")
    assert [r.find_element(By.TAG_NAME, "td").text for r in rows] == [src]
