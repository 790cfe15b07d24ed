"""The one wrapper around poppler (pdfinfo, pdftoppm through pdf2image, pdftotext)."""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from pdf2image import convert_from_path, pdfinfo_from_path
from pdf2image.exceptions import PDFInfoNotInstalledError, PDFPageCountError, PDFSyntaxError
from PIL import Image

from .errors import InputFileError, MissingDependencyError


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
                      ("Couldn't find trailer", "PDF is damaged (no trailer)"),
                      ("May not be a PDF", "not a PDF file"),
                      ("Couldn't read xref", "PDF is damaged (broken xref)")):
        if hint.lower() in text.lower():
            return msg
    return f"unreadable PDF ({text[:160]})" if text else "unreadable PDF"


def page_count(path: Path, timeout: float = 60) -> int:
    _require()
    try:
        info = pdfinfo_from_path(str(path), timeout=timeout)
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


def render_page(path: Path, page: int, dpi: int = 300, timeout: float = 120) -> Image.Image:
    """One page as a grayscale image at `dpi`."""
    _require()
    try:
        imgs = convert_from_path(str(path), dpi=dpi, first_page=page, last_page=page,
                                 grayscale=True, timeout=timeout)
    except subprocess.TimeoutExpired as e:
        raise InputFileError(f"rendering page {page} timed out after {timeout:.0f} s") from e
    except Exception as e:  # pdf2image raises a variety of errors for damaged files
        raise InputFileError(_reason(e)) from e
    if not imgs:
        raise InputFileError(f"page {page} could not be rendered")
    return imgs[0]


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
