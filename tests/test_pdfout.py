"""Searchable PDFs (issue 13): pdftotext of the output gives the corrected text word for word
(NFC, marks included), images are copied byte for byte, text-layer pages stay as they were."""
from __future__ import annotations

import difflib
import json
import os
import shutil
import subprocess
import unicodedata
from dataclasses import replace
from pathlib import Path

import pytest

pikepdf = pytest.importorskip("pikepdf")

from pipeline import pdfout, tesseract  # noqa: E402
from pipeline.normalize import normalize  # noqa: E402
from pipeline.records import PageResult, Word  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
KINDS = ROOT / "tests" / "data" / "kinds"
needs_poppler = pytest.mark.skipif(not shutil.which("pdftotext"), reason="poppler-utils not installed")


def _words(pdf: Path, page: int) -> list[str]:
    out = subprocess.run(["pdftotext", "-raw", "-enc", "UTF-8", "-f", str(page), "-l", str(page), str(pdf), "-"],
                         capture_output=True, check=True).stdout.decode("utf-8")
    return out.split()


def check_pdf(src: Path, out: Path, corrected: str, pages: list[PageResult]) -> list[str]:
    """Problems of a searchable PDF: its text (pdftotext -raw, page by page, less what the original
    page already had) must be the corrected text's words in order, NFC, but for those over the
    page's own text (pdfout.layer_words); images byte for byte."""
    problems, got = [], []
    with pikepdf.open(out) as o:
        n = len(o.pages)
    for p in range(1, n + 1):
        before, after = (_words(src, p) if src.suffix.lower() == ".pdf" else []), _words(out, p)
        # the page's own words (content first, annotations such as a signature stamp last) stay
        # as they were; what is added is the layer
        for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, before, after, autojunk=False).get_opcodes():
            if op in ("insert", "replace"):
                got += after[j1:j2]
            if op in ("delete", "replace"):
                problems.append(f"page {p}: the page's own text changed: {before[i1:i2]}")
    want = [w.text for w in pdfout.layer_words(src, pages, corrected) if w.text != pdfout.COLUMN_MARK]
    dropped = len([w for w in corrected.split() if w != pdfout.COLUMN_MARK]) - len(want)
    if dropped > 0.1 * len(want):
        problems.append(f"{dropped} words left out")
    got = [w for w in got if w != pdfout.COLUMN_MARK]
    if not all(unicodedata.is_normalized("NFC", w) for w in got):
        problems.append("text not NFC")
    if got != want:
        ops = [op for op in difflib.SequenceMatcher(None, want, got, autojunk=False).get_opcodes() if op[0] != "equal"]
        problems.append(f"{len(ops)} differences, first: {ops[0]} {want[ops[0][1]:ops[0][2]]} -> {got[ops[0][3]:ops[0][4]]}")
    if src.suffix.lower() == ".pdf":
        with pikepdf.open(src) as a, pikepdf.open(out) as b:
            imgs_a = sorted(bytes(x.read_raw_bytes()) for x in a.objects
                            if isinstance(x, pikepdf.Stream) and x.get("/Subtype") == "/Image")
            imgs_b = sorted(bytes(x.read_raw_bytes()) for x in b.objects
                            if isinstance(x, pikepdf.Stream) and x.get("/Subtype") == "/Image")
            if imgs_a != imgs_b:
                problems.append("images changed")
    return problems


def _recorded(path: Path) -> list[PageResult]:
    d = json.loads(path.read_text(encoding="utf-8"))
    pages = []
    for p in d["pages"]:
        ws = tuple(Word(*w) for w in p["words"])
        pages.append(PageResult(p["page"], tesseract.lines_text(ws), ws, 90.0, "tesseract test", 0, "", (),
                                p["width"], p["height"], p["kind"]))
    return pages


@pytest.fixture(scope="module")
def lexicon():
    from pipeline.lexicon import load
    return load(None)


RECORDED = sorted((KINDS / "recorded").glob("level*/*.json"))


@needs_poppler
@pytest.mark.parametrize("rec", RECORDED, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_recorded_renders_copy_out_as_corrected(rec: Path, lexicon, tmp_path: Path):
    from pipeline.restore import restore
    pages = _recorded(rec)
    corrected = restore(normalize("\n\n".join(p.text for p in pages)), lexicon).text
    src = KINDS / "scans" / rec.parent.name / (rec.stem + ".pdf")
    out = tmp_path / "out.pdf"
    n = pdfout.write(src, pages, corrected, out)
    bars = sum(w.text == "|" for p in pages for w in p.words)  # a '|' OCR read on the page is a word of it
    assert n == len([w for w in corrected.split() if w != "|"]) + bars
    assert check_pdf(src, out, corrected, pages) == []
    growth = out.stat().st_size - src.stat().st_size
    # the layer costs ~15 bytes a word: within 10 % for a JPEG scan, more for a tiny bilevel one
    assert growth <= max(0.10 * src.stat().st_size, 4096 + 20 * n)


# ------------------------------------------------------------------ a finished run's PDFs

RUN_OUT = os.environ.get("VNPLANS_PDF_OUT", "")


@needs_poppler
@pytest.mark.skipif(not RUN_OUT, reason="set VNPLANS_PDF_OUT=OUT_DIR[:OUT_DIR...] of runs made with --pdf")
def test_run_outputs():
    from pipeline.store import Catalog
    checked, failures = 0, {}
    for out_dir in map(Path, RUN_OUT.split(":")):
        cat = Catalog(out_dir / "catalog.sqlite")
        inp = Path(cat.last_input())
        if not inp.is_absolute():
            inp = ROOT / inp
        for rec, text in cat.records():
            pdf = out_dir / "pdf" / pdfout.pdf_name(rec.source)
            if not pdf.exists():
                continue
            checked += 1
            row = cat.record_row(rec.source)
            pages = cat._index_pages(row[2], row[3])
            problems = check_pdf(inp / rec.source, pdf, text, [p if not p.words else
                                                              replace(p, text=tesseract.lines_text(p.words))
                                                              for p in pages])
            size_in, size_out = (inp / rec.source).stat().st_size, pdf.stat().st_size
            print(f"{rec.source}: {size_out / size_in - 1:+.1%} {problems if problems else 'ok'}")
            if problems:
                failures[rec.source] = problems
        cat.close()
    assert checked and not failures


# ------------------------------------------------------------------ alignment and geometry

def _page(words: list[tuple[str, int, int]], n: int = 1, engine: str = "tesseract") -> PageResult:
    ws = tuple(Word(t, 90.0, x, 100 + 40 * line, 10 * len(t), 30, line) for t, x, line in words)
    return PageResult(n, tesseract.lines_text(ws), ws, 90.0, engine, 0, "", (), 1000, 1000)


def test_align_split_merge_and_added_words():
    page = _page([("Kehoach", 0, 0), ("to", 100, 0), ("chuc", 130, 0), ("hoi", 0, 1), ("nghi", 40, 1)])
    placed = pdfout.align([page], "Kế hoạch tổ-chức hội nghị ./.")
    assert [w.text for w in placed] == ["Kế", "hoạch", "tổ-chức", "hội", "nghị", "./."]
    ke, hoach, tochuc = placed[0].box, placed[1].box, placed[2].box
    assert ke[0] == 0 and hoach[2] == 70 and ke[2] < hoach[0]  # one OCR word split: its box shared, in order
    assert tochuc[0] == 100 and tochuc[2] == 170  # two OCR words merged: their span
    assert placed[5].page == 1  # a word the restorer added shares a neighbour's box


def test_align_keeps_pages_and_drops_unread_column_marks():
    p1, p2 = _page([("UBND", 0, 0), ("CONG", 600, 0)]), _page([("Noi", 0, 0), ("nhan", 50, 0)], n=2)
    placed = pdfout.align([p1, p2], "UBND | CỘNG\n\nNơi nhận")
    assert [(w.page, w.text) for w in placed] == [(1, "UBND"), (1, "CỘNG"), (2, "Nơi"), (2, "nhận")]


def test_geometry_undoes_deskew_and_quarter_turn():
    assert pdfout._to_page(_page([]))(500, 250) == (0.5, 0.25)
    f = pdfout._to_page(_page([], engine="tesseract vie psm3 300dpi deskewed+2.00"))
    x, y = f(500, 500)
    assert abs(x - 0.5) < 1e-9 and abs(y - 0.5) < 1e-9  # the centre stays
    x, y = f(900, 500)  # the page was turned counter-clockwise to level it: on paper, right is lower
    assert y > 0.5 and abs(x - 0.9) < 0.01
    p = PageResult(1, "", (), None, "tesseract rotated90 (retry)", 0, "", (), 2000, 1000)  # OCR'd turned 90°
    x, y = pdfout._to_page(p)(1990, 10)  # top right of the turned image = top left of the page
    assert x < 0.02 and y < 0.02


@needs_poppler
def test_text_layer_pages_and_failed_pages_are_copied_as_they_are(tmp_path: Path):
    src = next((KINDS / "scans" / "level2").glob("*.pdf"))
    with pikepdf.open(src) as pdf:
        n = len(pdf.pages)
        contents = [pg.obj.Contents.read_raw_bytes() if isinstance(pg.obj.Contents, pikepdf.Stream) else None
                    for pg in pdf.pages]
    pages = [PageResult(i, "chữ", (), None, "text-layer") for i in range(1, n + 1)]
    out = tmp_path / "o.pdf"
    assert pdfout.write(src, pages, "chữ", out) == 0
    with pikepdf.open(out) as pdf:
        assert [pg.obj.Contents.read_raw_bytes() if isinstance(pg.obj.Contents, pikepdf.Stream) else None
                for pg in pdf.pages] == contents
        assert all("/VnpT" not in pg.obj.Resources.get("/Font", {}) for pg in pdf.pages)


@needs_poppler
def test_jpeg_image_input_is_embedded_as_it_is(tmp_path: Path):
    from PIL import Image
    img = tmp_path / "p.jpg"
    Image.new("L", (600, 400), 255).save(img, quality=80, dpi=(150, 150))
    page = PageResult(1, "", (Word("Hội", 90, 50, 50, 80, 30, 0), Word("nghị", 90, 150, 50, 90, 30, 0)), 90.0,
                      "tesseract", 0, "", (), 600, 400)
    out = tmp_path / "p.pdf"
    pdfout.write(img, [page], "Hội nghị", out)
    with pikepdf.open(out) as pdf:
        im = next(x for x in pdf.objects if isinstance(x, pikepdf.Stream) and x.get("/Subtype") == "/Image")
        assert bytes(im.read_raw_bytes()) == img.read_bytes()
        assert float(pdf.pages[0].mediabox[2]) == pytest.approx(600 * 72 / 150)
    assert _words(out, 1) == ["Hội", "nghị"]
