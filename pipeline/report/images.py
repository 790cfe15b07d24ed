"""Page thumbnails, page views and field crops for the report: small JPEG files, each written once.

A page image is loaded as the OCR worker loads it (ocr.load_image) and turned as the worker
turned it (the engine string's 'deskewed±X' and 'rotatedN'), so the word and evidence boxes
(pixels of the image OCR read) fall on the right place. Files are named by the input's
content hash, page and box: an unchanged document's images are never made again.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from ..export import atomic_write

THUMB_W = 220  # px, page thumbnails in the document page
VIEW_W = 1000  # px, the page view with the evidence boxes drawn over it
CROP_MAX_W, CROP_MAX_H = 760, 260  # px, a field crop is scaled down to fit
CROP_PAD = 10  # px of the page image around a field's box
QUALITY = 72
TEXT_LAYER_DPI = 100  # a page read from its text layer is rendered this coarse for its view (no boxes)
WORK_W = 1400  # px: pages are brought down to this width before turning (crops stay legible, ~140 dpi)


@dataclass(frozen=True)
class PageImages:
    """Relative names (under the image root) of one page's images; '' when not made."""
    thumb: str
    view: str


def _parse_turns(engine: str) -> tuple[float, int]:
    m = re.search(r"deskewed([+-]?\d+(?:\.\d+)?)", engine or "")
    r = re.search(r"rotated(\d+)", engine or "")
    return (float(m.group(1)) if m else 0.0), (int(r.group(1)) if r else 0)


def _ocr_settings(settings: str):
    from ..ocr import OcrSettings
    m = re.search(r"dpi(\d+)", settings or "")
    return OcrSettings(dpi=int(m.group(1)) if m else 300)


class ImageStore:
    """Images under ROOT/img/, made on demand from the input files (None when an input is gone)."""

    def __init__(self, report_dir: Path):
        self.root = Path(report_dir) / "img"
        self._cache: tuple[tuple, Image.Image | None, float] | None = None
        self.made = 0  # files written by this store
        self.scale = 1.0  # the last page image's pixels per box pixel

    # ------------------------------------------------------------ names
    @staticmethod
    def page_names(sha: str, page: int) -> PageImages:
        d = sha[:16]
        return PageImages(f"{d}/p{page}-t.jpg", f"{d}/p{page}-v.jpg")

    @staticmethod
    def crop_name(sha: str, page: int, box: tuple[int, int, int, int]) -> str:
        return f"{sha[:16]}/p{page}-c{box[0]}-{box[1]}-{box[2]}-{box[3]}.jpg"

    def has(self, name: str) -> bool:
        return (self.root / name).is_file()

    # ------------------------------------------------------------ the page image
    def page_image(self, path: Path, kind: str, page: int, settings: str, engine: str,
                   size: tuple[int, int]) -> Image.Image | None:
        """The page as OCR saw it, in the boxes' pixel space (`size`) scaled by `self.scale`
        (at most WORK_W wide: turning a full 300-dpi page costs more than the report needs)."""
        key = (str(path), page, engine, size)
        if self._cache and self._cache[0] == key:
            self.scale = self._cache[2]
            return self._cache[1]
        img = None
        if path.is_file() and kind in ("pdf", "image"):
            from ..ocr import PageTask, load_image
            try:
                ocr_settings = _ocr_settings(settings)
                if not (size[0] and size[1]):  # a text-layer page: no boxes to place, a view is enough
                    from dataclasses import replace
                    ocr_settings = replace(ocr_settings, dpi=TEXT_LAYER_DPI)
                img, _ = load_image(PageTask(str(path), page, kind, ocr_settings))
                skew, rot = _parse_turns(engine)
                if rot in (90, 270):  # the size OCR read is that of the turned page
                    size = (size[1], size[0])
                w, h = size if size[0] and size[1] else img.size
                f = min(1.0, WORK_W / w)
                target = (max(1, round(w * f)), max(1, round(h * f)))
                if img.size != target:
                    img = img.resize(target, Image.Resampling.BILINEAR)
                if skew:
                    import numpy as np

                    from ..imageprep import rotate
                    img = Image.fromarray(rotate(np.asarray(img), skew))
                if rot:
                    img = img.rotate(-rot, expand=True)
                self.scale = f
                if img.mode not in ("RGB", "L"):
                    img = img.convert("RGB")
            except Exception:
                img = None
        self._cache = (key, img, self.scale)
        return img

    def from_preview(self, data: bytes, size: tuple[int, int]) -> Image.Image | None:
        """The OCR worker's preview of the page (already in the boxes' space, turned as OCR read
        it); `self.scale` becomes its pixels per box pixel. None when it cannot be read."""
        import io
        try:
            img = Image.open(io.BytesIO(data))
            img.load()
        except (OSError, ValueError):
            return None
        self.scale = img.width / size[0] if size[0] else 1.0
        return img if img.mode in ("RGB", "L") else img.convert("RGB")

    # ------------------------------------------------------------ writing
    def _save(self, img: Image.Image, name: str) -> None:
        atomic_write(self.root / name, lambda f: img.save(f, "JPEG", quality=QUALITY, optimize=True), binary=True)
        self.made += 1

    def write_page(self, img: Image.Image, sha: str, page: int) -> PageImages:
        names = self.page_names(sha, page)
        for name, width in ((names.thumb, THUMB_W), (names.view, VIEW_W)):
            if not self.has(name):
                small = img.copy()
                small.thumbnail((width, width * 4), Image.Resampling.BILINEAR if width > THUMB_W else Image.Resampling.BOX)
                self._save(small, name)
        return names

    def write_crop(self, img: Image.Image, sha: str, page: int, box: tuple[int, int, int, int]) -> str:
        name = self.crop_name(sha, page, box)
        if not self.has(name):
            x0, y0, x1, y1 = (round(v * self.scale) for v in box)
            x0, y0 = max(0, x0 - CROP_PAD), max(0, y0 - CROP_PAD)
            x1, y1 = min(img.width, x1 + CROP_PAD), min(img.height, y1 + CROP_PAD)
            if x1 <= x0 or y1 <= y0:
                return ""
            crop = img.crop((x0, y0, x1, y1))
            crop.thumbnail((CROP_MAX_W, CROP_MAX_H), Image.Resampling.BILINEAR)
            self._save(crop, name)
        return name
