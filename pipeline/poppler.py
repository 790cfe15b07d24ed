"""The one wrapper around poppler (pdfinfo, pdftoppm through pdf2image, pdftotext)."""
from __future__ import annotations

import functools
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from pdf2image import convert_from_path, pdfinfo_from_path
from pdf2image.exceptions import PDFInfoNotInstalledError, PDFPageCountError, PDFSyntaxError
from PIL import Image

from .errors import InputFileError, MissingDependencyError


def _page_size(path: Path, page: int, timeout: float) -> tuple[float, float] | None:
    """Width and height of one page in points, from pdfinfo (asked once for all the pages of a
    file: a worker reads several pages of a file, and each question is a process); None when it
    cannot tell."""
    try:
        st = path.stat()
        return _page_sizes(str(path), st.st_size, st.st_mtime_ns, timeout).get(page)
    except (subprocess.TimeoutExpired, OSError):  # not kept: the next page asks again
        return None


_PAGE_SIZES = re.compile(r"Page\s+(\d+)\s+size:\s+([\d.]+)\s+x\s+([\d.]+)\s+pts")


@functools.lru_cache(maxsize=8)
def _page_sizes(path: str, size: int, mtime_ns: int, timeout: float) -> dict[int, tuple[float, float]]:
    """Page number -> (width, height) in points of the file as it is (its size and time are in
    the key: a changed file is asked again)."""
    info = subprocess.run(["pdfinfo", "-f", "1", "-l", str(10 ** 9), path],
                          capture_output=True, text=True, timeout=timeout)
    return {int(m.group(1)): (float(m.group(2)), float(m.group(3))) for m in _PAGE_SIZES.finditer(info.stdout)}


def _require() -> None:
    if not shutil.which("pdftoppm") or not shutil.which("pdfinfo"):
        raise MissingDependencyError("poppler not found: install the Debian package poppler-utils")


def version() -> str:
    _require()
    out = subprocess.run(["pdfinfo", "-v"], capture_output=True, text=True, timeout=30)
    return (out.stderr or out.stdout).splitlines()[0].strip()


def _reason(e: Exception) -> str:
    text = " ".join(str(e).split())
    for hint, msg in (("Incorrect password", "PDF is encrypted (needs a password)"),
                      ("Invalid page count 0", "PDF has no pages"), ("Wrong page range", "PDF has no pages"),
                      ("Couldn't find trailer", "PDF is damaged (no trailer)"),
                      ("May not be a PDF", "not a PDF file"),
                      ("Couldn't read xref", "PDF is damaged (broken xref)")):
        if hint.lower() in text.lower():
            return msg
    m = re.search(r"(?:Syntax )?Error[^:]*:\s*([^.]+)", text)
    detail = m.group(1).strip() if m else text
    return f"unreadable PDF ({detail[:120]})" if detail else "unreadable PDF"


def page_count(path: Path, timeout: float = 60) -> int:
    _require()
    try:
        info = pdfinfo_from_path(str(path), timeout=timeout)  # type: ignore[arg-type]  # seconds, as subprocess takes
    except PDFInfoNotInstalledError as e:
        raise MissingDependencyError("pdfinfo not found: install poppler-utils") from e
    except (PDFPageCountError, PDFSyntaxError, ValueError) as e:
        raise InputFileError(_reason(e)) from e
    except subprocess.TimeoutExpired as e:
        raise InputFileError(f"pdfinfo timed out after {timeout:.0f} s") from e
    pages = int(info.get("Pages", 0) or 0)
    if info.get("Encrypted", "no").startswith("yes") and pages == 0:
        raise InputFileError("PDF is encrypted (needs a password)")
    if pages <= 0:
        raise InputFileError("PDF has no pages")
    return pages


MAX_RENDER_SIDE = 12_000  # pixels: a huge page is rendered at a lower resolution, not at any size


def render_page(path: Path, page: int, dpi: int = 300, timeout: float = 120) -> Image.Image:
    """One page as an RGB image at `dpi` (less for a page so large it would exceed MAX_RENDER_SIDE):
    colour is kept so that OCR can drop red seals."""
    _require()
    size = _page_size(path, page, timeout)
    if size:
        dpi = max(10, min(dpi, int(MAX_RENDER_SIDE * 72 / max(size))))
    try:
        imgs = convert_from_path(str(path), dpi=dpi, first_page=page, last_page=page,
                                 timeout=timeout)  # type: ignore[arg-type]  # seconds, as subprocess takes
    except subprocess.TimeoutExpired as e:
        raise InputFileError(f"rendering timed out after {timeout:.0f} s") from e  # ocr.py names the page
    except Exception as e:  # pdf2image raises a variety of errors for damaged files
        raise InputFileError(_reason(e)) from e
    if not imgs:
        raise InputFileError("the page could not be rendered")
    return imgs[0]


OVERLAY_SHARE = 0.1  # images covering less of the page than this are overlays (signature logos)


def embedded_page_image(path: Path, page: int, timeout: float = 60) -> tuple[Image.Image, int] | None:
    """A scanned page's own image and its resolution, when one image covers the whole page:
    no resampling, and faster than rendering. Small images drawn over it (digital-signature
    logos) and the text layer (the signature stamp's words) are left out, as they are not
    part of the paper. None when the page is anything else."""
    _require()
    try:
        lst = subprocess.run(["pdfimages", "-list", "-f", str(page), "-l", str(page), str(path)],
                             capture_output=True, text=True, timeout=timeout)
    except (subprocess.TimeoutExpired, OSError):
        return None
    rows = [ln.split() for ln in lst.stdout.splitlines()[2:] if ln.strip()]
    size = _page_size(path, page, timeout) if not lst.returncode and rows else None
    if not size:
        return None
    pw, ph = size
    main, overlays = None, 0
    for row in rows:
        try:
            num, kind, w, h, enc = int(row[1]), row[2], int(row[3]), int(row[4]), row[8]
            xppi, yppi = int(row[12]), int(row[13])
        except (ValueError, IndexError):
            return None
        if kind != "image":
            continue  # soft masks of the overlays
        if xppi > 0 and yppi > 0 and abs(w / xppi * 72 - pw) <= 0.05 * pw and abs(h / yppi * 72 - ph) <= 0.05 * ph:
            if main is not None:
                return None
            main = (num, xppi, yppi, enc)
        elif xppi <= 0 or yppi <= 0 or (w / xppi) * (h / yppi) * 72 * 72 > OVERLAY_SHARE * pw * ph:
            return None  # a picture of its own on the page: render the page
        else:
            overlays += 1
    if main is None or abs(main[1] - main[2]) > 0.02 * main[1] or main[1] < 70:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        try:
            # JPEG as it is stored; anything else (flate, CCITT, JBIG2) as PPM/PGM/PBM: writing PNG
            # costs seconds a page (3.4 s for a 150-dpi colour page), a raw bitmap nothing
            fmt = "-j"
            subprocess.run(["pdfimages", fmt, "-f", str(page), "-l", str(page), str(path), f"{tmp}/i"],
                           capture_output=True, timeout=timeout, check=True)
            files = [f for f in Path(tmp).iterdir() if f.stem == f"i-{main[0]:03d}"]
            if len(files) != 1 or files[0].suffix not in (".jpg", ".png", ".tif", ".pbm", ".pgm", ".ppm"):
                return None
            img = Image.open(files[0])
            img.load()
        except (subprocess.SubprocessError, OSError):
            return None
    return img, round((main[1] + main[2]) / 2)


def text_layout(path: Path, timeout: float = 60) -> str:
    """The PDF's own text layer as pdftotext's XHTML with page, block, line and word boxes."""
    _require()
    try:
        out = subprocess.run(["pdftotext", "-enc", "UTF-8", "-bbox-layout", str(path), "-"],
                             capture_output=True, timeout=timeout)
    except subprocess.TimeoutExpired as e:
        raise InputFileError(f"pdftotext timed out after {timeout:.0f} s") from e
    if out.returncode != 0:
        raise InputFileError(_reason(Exception(out.stderr.decode("utf-8", "replace"))))
    return out.stdout.decode("utf-8", "replace")
