"""The one wrapper around the `tesseract` program (called directly; pytesseract only for OSD,
imported when a page needs it: it pulls in pandas, 0.3-0.8 s that a re-run should not pay)."""
from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from functools import lru_cache

from PIL import Image

from .errors import InputFileError, MissingDependencyError
from .records import Word


def _single_thread() -> None:
    # Tesseract's OpenMP threads make it ~4x slower when every core already runs a page.
    os.environ["OMP_THREAD_LIMIT"] = "1"


@lru_cache(maxsize=1)
def version() -> str:
    if not shutil.which("tesseract"):
        raise MissingDependencyError("tesseract not found: install the Debian package tesseract-ocr")
    out = subprocess.run(["tesseract", "--version"], capture_output=True, text=True, timeout=30)
    first = (out.stdout or out.stderr).splitlines()[:1]
    return first[0].split()[-1] if first else "unknown"


def languages() -> list[str]:
    out = subprocess.run(["tesseract", "--list-langs"], capture_output=True, text=True, timeout=30)
    return [ln.strip() for ln in out.stdout.splitlines()[1:] if ln.strip()]


def words(image: Image.Image, lang: str = "vie", psm: int = 3, timeout: float = 120,
          dpi: int = 300) -> tuple[Word, ...]:
    """OCR one page image; words in reading order with boxes, confidences and line indices.
    The image goes to `tesseract` as an uncompressed PGM/PPM (pytesseract's PNG encoding cost
    a fifth of Tesseract's own time on a page)."""
    _single_thread()
    if image.mode not in ("L", "RGB"):
        image = image.convert("L")
    with tempfile.TemporaryDirectory(prefix="vnplans-ocr-") as tmp:
        src = os.path.join(tmp, "page.pgm" if image.mode == "L" else "page.ppm")
        image.save(src)
        try:
            out = subprocess.run(["tesseract", src, "stdout", "-l", lang, "--psm", str(psm), "--dpi", str(dpi),
                                  "tsv"], capture_output=True, timeout=timeout)
        except subprocess.TimeoutExpired as e:
            raise InputFileError(f"tesseract timed out after {timeout:.0f} s") from e
        except OSError as e:
            raise MissingDependencyError(f"tesseract could not be run: {e}") from e
    if out.returncode != 0:
        err = out.stderr.decode("utf-8", "replace").strip().splitlines()
        raise InputFileError(f"tesseract failed: {err[-1] if err else out.returncode}")
    res: list[Word] = []
    line_ids: dict[tuple[str, str, str], int] = {}
    for row in out.stdout.decode("utf-8", "replace").splitlines()[1:]:
        f = row.split("\t")
        if len(f) < 12 or f[0] != "5":
            continue
        txt = "\t".join(f[11:]).strip()
        if not txt:
            continue
        ln = line_ids.setdefault((f[2], f[3], f[4]), len(line_ids))
        res.append(Word(txt, float(int(float(f[10]))), int(f[6]), int(f[7]), int(f[8]), int(f[9]), ln))
    return tuple(res)


def osd_rotation(image: Image.Image, timeout: float = 60) -> int:
    """Degrees to rotate the page clockwise so text is upright (Tesseract OSD); 0 if unsure."""
    _single_thread()
    import pytesseract
    try:
        info = pytesseract.image_to_osd(image, config="--psm 0 -c min_characters_to_try=20",
                                        output_type=pytesseract.Output.DICT, timeout=timeout)
    except (pytesseract.TesseractError, RuntimeError):
        return 0
    if float(info.get("orientation_conf", 0)) < 2.0:
        return 0
    return int(info.get("rotate", 0)) % 360


COLUMN_GAP = 0.08  # a gap wider than this share of the page width separates two columns


def lines_text(ws: tuple[Word, ...]) -> str:
    """The page text: one line per OCR line, words separated by single spaces. Where one line
    spans two columns (a header or signature row read across), ' | ' marks the column break."""
    if not ws:
        return ""
    width = max(w.left + w.width for w in ws) - min(w.left for w in ws)
    lines: dict[int, list[Word]] = {}
    for w in ws:
        lines.setdefault(w.line, []).append(w)
    out = []
    for _, line in sorted(lines.items()):
        line.sort(key=lambda w: w.left)
        parts = [line[0].text]
        for prev, w in zip(line, line[1:]):
            gap = w.left - (prev.left + prev.width)
            parts.append((" | " if width and gap > COLUMN_GAP * width else " ") + w.text)
        out.append("".join(parts))
    return "\n".join(out)
