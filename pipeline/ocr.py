"""The unit of OCR work: one page of a PDF or image file in, one PageResult out.

Runs in worker processes (local pool or Dask workers); never raises, a failure is the
page's `error`. The page is prepared first (imageprep: kind, deskew, seals); blank pages are
not read, near-blank pages are read once. A poor text page gets at most one second try
(turned upright by OSD, or another page segmentation mode); the better result is kept and
the engine string says which was used.
"""
from __future__ import annotations

import io
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from PIL import Image

from . import pageread, poppler, tesseract
from .errors import PageError, VnplansError

if TYPE_CHECKING:  # OpenCV is loaded by the workers that prepare pages, not by a parent that only schedules
    from . import imageprep
from .records import InputKind, PageKind, PageResult, Reading, Word

Image.MAX_IMAGE_PIXELS = 100_000_000  # pages of more than twice this are refused as decompression bombs
MAX_SIDE = 12_000  # pixels; larger pages are scaled down before OCR
LOW_DPI = 150  # scans below this are scaled up to the settings' dpi


@dataclass(frozen=True)
class OcrSettings:
    lang: str = "vie"
    dpi: int = 300
    psm: int = 3
    timeout: float = 180.0  # seconds per Tesseract call
    retry: bool = True      # second try on poor pages

    def key(self) -> str:
        return f"{self.lang}/dpi{self.dpi}/psm{self.psm}/retry{int(self.retry)}"


@dataclass(frozen=True)
class PageTask:
    path: str
    page: int  # 1-based
    kind: str  # InputKind.PDF or InputKind.IMAGE (a StrEnum: report/images.py passes the catalog's text)
    settings: OcrSettings


def load_image(task: PageTask) -> tuple[Image.Image, int]:
    """The page image ('L' or 'RGB') and its resolution: a scanned PDF page's own image when it
    is the whole page (brought up to the settings' dpi when it is a low-resolution scan), else
    the page rendered at the settings' dpi; image files as they are."""
    dpi = task.settings.dpi
    if task.kind == InputKind.PDF:
        own = poppler.embedded_page_image(Path(task.path), task.page, task.settings.timeout)
        if own is not None:
            img, dpi = own
            if dpi < LOW_DPI:  # as a render would: Tesseract reads 100-dpi print badly
                scale = task.settings.dpi / dpi
                img = img.resize((round(img.width * scale), round(img.height * scale)), Image.Resampling.BICUBIC)
                dpi = task.settings.dpi
        else:
            img = poppler.render_page(Path(task.path), task.page, task.settings.dpi, task.settings.timeout)
    else:
        try:
            img = Image.open(task.path)
            img.seek(task.page - 1)
            img.load()
        except Image.DecompressionBombError as e:
            raise VnplansError(f"image too large ({e})") from e
        except (OSError, EOFError, ValueError) as e:
            raise VnplansError(f"unreadable image: {e}") from e
    if img.mode not in ("L", "RGB"):
        img = img.convert("RGB") if img.mode in ("RGBA", "P", "CMYK") else img.convert("L")
    if task.kind == InputKind.IMAGE:
        xdpi = img.info.get("dpi", (0, 0))[0]
        dpi = int(xdpi) if xdpi and 70 <= xdpi <= 1200 else dpi
    if max(img.size) > MAX_SIDE:
        scale = MAX_SIDE / max(img.size)
        img = img.resize((int(img.width * scale), int(img.height * scale)))
        dpi = max(70, int(dpi * scale))
    return img, dpi


def prepare_page(task: PageTask) -> tuple[imageprep.Prepared, int]:
    """The page as the OCR worker reads it (kind, deskewed, seals whitened) and its resolution."""
    raw, dpi = load_image(task)
    from . import imageprep
    return imageprep.prepare(raw, dpi), dpi


def _score(words: tuple[Word, ...]) -> float:
    """Better OCR: more confident words; a page of few words scores low."""
    if not words:
        return 0.0
    conf = sum(max(w.conf, 0) for w in words) / len(words)
    return conf * min(1.0, len(words) / 30)


def _mean_conf(words: tuple[Word, ...]) -> float | None:
    vals = [w.conf for w in words if w.conf >= 0]
    return round(sum(vals) / len(vals), 2) if vals else None


RETRY_CONF = 50  # a text page whose mean word confidence is below this gets one second try
PSM_RETRY_CONF = 35  # ... and when OSD finds it upright, another psm only below this


def marks(prep: imageprep.Prepared) -> tuple[Reading, ...]:
    """Seals, stamps and digital-signature boxes as readings, so that the field stage can keep
    their text out of fields and flag 'seal' for review; a seal as dark as the print reads 'opaque'."""
    return tuple(Reading(m.kind, "opaque" if m.opaque else "", m.score, m.box, "image")
                 for m in prep.seals + prep.stamps)


PREVIEW_W = 1000  # px: the report's page views and field crops are cut from this (about 100 dpi)


def preview(img: Image.Image) -> bytes:
    """The page as OCR read it (the pixels its word boxes refer to), at most PREVIEW_W wide, as
    JPEG: made here while the image is in memory, so the report never loads a page again."""
    try:
        small = img.convert("L") if img.mode not in ("L", "RGB") else img
        if small.width > PREVIEW_W:
            small = small.resize((PREVIEW_W, max(1, round(small.height * PREVIEW_W / small.width))),
                                 Image.Resampling.BILINEAR)
        buf = io.BytesIO()
        small.save(buf, "JPEG", quality=55)
        return buf.getvalue()
    except (OSError, ValueError):
        return b""


def warm_up(settings: OcrSettings) -> None:
    """Load what reading a page needs (OpenCV, the Tesseract model, the digit model): run in a new
    worker while the parent still triages files, so the first page does not wait for it."""
    try:
        from . import imageprep  # noqa: F401  (OpenCV)
        tesseract.warm(settings.lang)
        pageread.model()
    except Exception:  # a page reports its own errors; this is only a head start
        pass


def ocr_page(task: PageTask) -> PageResult:
    t0 = time.monotonic()
    s = task.settings
    try:
        prep, dpi = prepare_page(task)
        used = prep.image  # the image the kept words' boxes refer to
        found = marks(prep)
        version = tesseract.version()
        prepared = f" deskewed{prep.skew:+.2f}" if prep.skew else ""
        prepared += f" seals{len(prep.seals)}" if any(m.kind == "seal" for m in prep.seals) else ""
        if prep.kind == PageKind.BLANK:
            return PageResult(task.page, "", (), None, f"tesseract {version} (blank page: not read)",
                              round(time.monotonic() - t0, 3), "", (str(PageError(task.page, "blank page")),),
                              used.width, used.height, PageKind.BLANK, found, preview(used))
        words = tesseract.words(used, s.lang, s.psm, s.timeout, dpi)
        engine = f"tesseract {version} {s.lang} psm{s.psm} {dpi}dpi{prepared}"
        warnings: list[str] = []
        conf = _mean_conf(words) or 0
        if s.retry and prep.kind == PageKind.TEXT and (conf < RETRY_CONF or len(words) < 15):
            rot = tesseract.osd_rotation(used, min(s.timeout, 30))
            if rot:
                im, psm, note = used.rotate(-rot, expand=True), s.psm, f" rotated{rot}"
            elif conf < PSM_RETRY_CONF:
                im, psm, note = used, (6 if s.psm != 6 else 4), ""
            else:
                im = None
            if im is not None:
                w2 = tesseract.words(im, s.lang, psm, s.timeout, dpi)
                if _score(w2) > _score(words) * 1.05:
                    words, used = w2, im
                    engine = f"tesseract {version} {s.lang} psm{psm} {dpi}dpi{prepared}{note} (retry)"
                    if rot:  # the marks' boxes were found on the unrotated page
                        found = ()
        if not words:
            warnings.append(str(PageError(task.page, "no text found")))
        readings = found + pageread.read(used, dpi, words, task.page)  # handwriting and zones
        return PageResult(task.page, tesseract.lines_text(words), words, _mean_conf(words), engine,
                          round(time.monotonic() - t0, 3), "", tuple(warnings), used.width, used.height,
                          prep.kind, readings, preview(used))
    except VnplansError as e:
        return PageResult(task.page, "", (), None, "", round(time.monotonic() - t0, 3),
                          str(PageError(task.page, str(e))))
    except Exception as e:  # a worker must report, not die: the batch goes on
        return PageResult(task.page, "", (), None, "", round(time.monotonic() - t0, 3),
                          str(PageError(task.page, f"{type(e).__name__}: {e}")))
