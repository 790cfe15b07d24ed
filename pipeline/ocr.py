"""The unit of OCR work: one page of a PDF or image file in, one PageResult out.

Runs in worker processes (local pool or Dask workers); never raises, a failure is the
page's `error`. Poor pages get a second try: orientation fixed by OSD, another page
segmentation mode; the better result is kept and the engine string says which was used.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from . import pageread, poppler, tesseract
from .errors import VnplansError
from .records import PageResult, Word

Image.MAX_IMAGE_PIXELS = 100_000_000  # pages of more than twice this are refused as decompression bombs
MAX_SIDE = 12_000  # pixels; larger pages are scaled down before OCR


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
    kind: str  # 'pdf' or 'image'
    settings: OcrSettings


def load_image(task: PageTask) -> tuple[Image.Image, int]:
    """The page image and its resolution: a scanned PDF page's own image when it is the whole
    page, else the page rendered at the settings' dpi; image files as they are."""
    dpi = task.settings.dpi
    if task.kind == "pdf":
        own = poppler.embedded_page_image(Path(task.path), task.page, task.settings.timeout)
        if own is not None:
            img, dpi = own
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
    if img.mode == "RGB":
        img = img.getchannel("R")  # red seals fade to white; black print and blue ink stay dark
    if task.kind == "image":
        xdpi = img.info.get("dpi", (0, 0))[0]
        dpi = int(xdpi) if xdpi and 70 <= xdpi <= 1200 else dpi
    if max(img.size) > MAX_SIDE:
        scale = MAX_SIDE / max(img.size)
        img = img.resize((int(img.width * scale), int(img.height * scale)))
        dpi = max(70, int(dpi * scale))
    return img, dpi


def skew_angle(img: Image.Image, limit: float = 5.0, step: float = 0.25) -> float:
    """Degrees to rotate the page (counter-clockwise) so its text lines run level: the angle
    whose horizontal projection profile is sharpest, searched on a small copy of the page."""
    import numpy as np
    small = img.convert("L")
    small.thumbnail((900, 900))
    ink = Image.eval(small, lambda v: 255 if v < 128 else 0)
    best, best_score = 0.0, -1.0
    for k in range(int(-limit / step), int(limit / step) + 1):
        a = k * step
        rows = np.asarray(ink.rotate(a, resample=Image.NEAREST, expand=False), dtype=np.float32).sum(axis=1)
        score = float(np.square(np.diff(rows)).sum())
        if score > best_score:
            best, best_score = a, score
    return best


def _score(words: tuple[Word, ...]) -> float:
    """Better OCR: more confident words; a page of few words scores low."""
    if not words:
        return 0.0
    conf = sum(max(w.conf, 0) for w in words) / len(words)
    return conf * min(1.0, len(words) / 30)


def _mean_conf(words: tuple[Word, ...]) -> float | None:
    vals = [w.conf for w in words if w.conf >= 0]
    return round(sum(vals) / len(vals), 2) if vals else None


def ocr_page(task: PageTask) -> PageResult:
    t0 = time.monotonic()
    s = task.settings
    try:
        img, dpi = load_image(task)
        version = tesseract.version()
        words = tesseract.words(img, s.lang, s.psm, s.timeout, dpi)
        used = img  # the image the kept words' boxes refer to
        engine = f"tesseract {version} {s.lang} psm{s.psm} {dpi}dpi"
        warnings: list[str] = []
        if s.retry and ((_mean_conf(words) or 0) < 60 or len(words) < 15):
            rot = tesseract.osd_rotation(img, s.timeout)
            tries = []
            if rot:
                rimg = img.rotate(-rot, expand=True)
                tries.append((rimg, s.psm, f" rotated{rot}"))
                img_for_psm = rimg
            else:
                img_for_psm = img
            skew = skew_angle(img_for_psm)
            if abs(skew) >= 0.5:
                img_for_psm = img_for_psm.rotate(skew, resample=Image.BICUBIC, expand=True, fillcolor=255)
                tries.append((img_for_psm, s.psm, (f" rotated{rot}" if rot else "") + f" deskewed{skew:+.2f}"))
            tries.append((img_for_psm, 6 if s.psm != 6 else 4, " rotated%d" % rot if rot else ""))
            best = _score(words)
            for im, psm, note in tries:
                w2 = tesseract.words(im, s.lang, psm, s.timeout, dpi)
                if _score(w2) > best * 1.05:
                    best, words, used = _score(w2), w2, im
                    engine = f"tesseract {version} {s.lang} psm{psm} {dpi}dpi{note} (retry)"
        if not words:
            warnings.append(f"page {task.page}: no text found")
        readings = pageread.read(used, dpi, words, task.page)  # handwriting and zones: page-image readings
        return PageResult(task.page, tesseract.lines_text(words), words, _mean_conf(words), engine,
                          round(time.monotonic() - t0, 3), "", tuple(warnings), used.width, used.height,
                          "", readings)
    except VnplansError as e:
        return PageResult(task.page, "", (), None, "", round(time.monotonic() - t0, 3), str(e))
    except Exception as e:  # a worker must report, not die: the batch goes on
        return PageResult(task.page, "", (), None, "", round(time.monotonic() - t0, 3),
                          f"page {task.page}: {type(e).__name__}: {e}")
