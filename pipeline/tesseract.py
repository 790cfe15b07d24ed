"""The one wrapper around Tesseract: its library (libtesseract's C API through ctypes, one loaded
model per worker thread) where it can be loaded, else the `tesseract` program; pytesseract only for
OSD, imported when a page needs it (it pulls in pandas, 0.3-0.8 s that a re-run should not pay).

In-process reading gives the same words as the program (tests/test_tesseract.py) and saves what a
`tesseract` process spends on each call before reading: starting, loading its model (~0.1 s),
decoding the page file. `VNPLANS_TESSERACT=cli` forces the program."""
from __future__ import annotations

import atexit
import ctypes
import ctypes.util
import os
import shutil
import subprocess
import tempfile
import threading
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


# ---------------------------------------------------------------- the library

_P = ctypes.c_void_p


@lru_cache(maxsize=1)
def _lib() -> ctypes.CDLL | None:
    """libtesseract with the C API's signatures declared; None where it cannot be loaded."""
    if os.environ.get("VNPLANS_TESSERACT", "").lower() == "cli":
        return None
    _single_thread()  # before the library (and its OpenMP runtime) is loaded
    for name in ("libtesseract.so.5", ctypes.util.find_library("tesseract")):
        if not name:
            continue
        try:
            lib = ctypes.CDLL(name)
        except OSError:
            continue
        try:
            sigs: dict[str, tuple[list[type], type | None]] = {
                "TessBaseAPICreate": ([], _P),
                "TessBaseAPIInit3": ([_P, ctypes.c_char_p, ctypes.c_char_p], ctypes.c_int),
                "TessBaseAPISetVariable": ([_P, ctypes.c_char_p, ctypes.c_char_p], ctypes.c_int),
                "TessBaseAPISetPageSegMode": ([_P, ctypes.c_int], None),
                "TessBaseAPISetImage": ([_P, ctypes.c_char_p] + [ctypes.c_int] * 4, None),
                "TessBaseAPISetSourceResolution": ([_P, ctypes.c_int], None),
                "TessBaseAPIRecognize": ([_P, _P], ctypes.c_int),
                "TessBaseAPIGetTsvText": ([_P, ctypes.c_int], _P),
                "TessBaseAPIGetUTF8Text": ([_P], _P),
                "TessDeleteText": ([_P], None),
                "TessBaseAPIClear": ([_P], None),
                "TessBaseAPIEnd": ([_P], None),
                "TessBaseAPIDelete": ([_P], None),
                "TessMonitorCreate": ([], _P),
                "TessMonitorSetDeadlineMSecs": ([_P, ctypes.c_int], None),
                "TessMonitorDelete": ([_P], None),
            }
            for fn, (args, res) in sigs.items():
                f = getattr(lib, fn)
                f.argtypes, f.restype = args, res
        except AttributeError:  # an older library without the calls used here
            continue
        _quiet_leptonica()
        return lib
    return None


def _quiet_leptonica() -> None:
    """Leptonica's messages ('Error in boxClipToRectangle') went to the program's captured stderr;
    in process they would reach the terminal. Severity 6 is L_SEVERITY_NONE."""
    for name in ("liblept.so.5", ctypes.util.find_library("lept"), ctypes.util.find_library("leptonica")):
        if name:
            try:
                ctypes.CDLL(name).setMsgSeverity(6)
                return
            except (OSError, AttributeError):
                continue


class _Engine:
    """One Tesseract model loaded in this process for one thread (the C API is not thread-safe)."""

    def __init__(self, lib: ctypes.CDLL, lang: str, whitelist: str) -> None:
        self.lib = lib
        self.handle = lib.TessBaseAPICreate()
        if lib.TessBaseAPIInit3(self.handle, None, lang.encode()) != 0:
            lib.TessBaseAPIDelete(self.handle)
            raise MissingDependencyError(f"Tesseract has no '{lang}' language data: install tesseract-ocr-{lang}")
        # Its debug lines ('Detected 339 diacritics') would land on the worker's stderr.
        lib.TessBaseAPISetVariable(self.handle, b"debug_file", os.devnull.encode())
        if whitelist:
            lib.TessBaseAPISetVariable(self.handle, b"tessedit_char_whitelist", whitelist.encode())

    def read(self, image: Image.Image, psm: int, dpi: int, timeout: float, tsv: bool) -> str:
        lib, h = self.lib, self.handle
        bpp = 1 if image.mode == "L" else 3
        data = image.tobytes()
        lib.TessBaseAPISetPageSegMode(h, psm)
        lib.TessBaseAPISetImage(h, data, image.width, image.height, bpp, image.width * bpp)
        lib.TessBaseAPISetSourceResolution(h, dpi)
        monitor = lib.TessMonitorCreate()
        try:
            lib.TessMonitorSetDeadlineMSecs(monitor, int(timeout * 1000))
            if lib.TessBaseAPIRecognize(h, monitor) != 0:
                raise InputFileError(f"tesseract failed or timed out after {timeout:.0f} s")
            ptr = lib.TessBaseAPIGetTsvText(h, 0) if tsv else lib.TessBaseAPIGetUTF8Text(h)
            try:
                return ctypes.string_at(ptr).decode("utf-8", "replace") if ptr else ""
            finally:
                if ptr:
                    lib.TessDeleteText(ptr)
        finally:
            lib.TessMonitorDelete(monitor)
            lib.TessBaseAPIClear(h)

    def close(self) -> None:
        self.lib.TessBaseAPIEnd(self.handle)
        self.lib.TessBaseAPIDelete(self.handle)


_local = threading.local()
_engines: list[_Engine] = []  # every engine of this process, ended at exit (else Tesseract warns of leaks)
_engines_lock = threading.Lock()


def _engine(lang: str, whitelist: str = "") -> _Engine | None:
    lib = _lib()
    if lib is None:
        return None
    mine = getattr(_local, "engines", None)
    if mine is None or getattr(_local, "pid", None) != os.getpid():  # a forked child loads its own
        mine = _local.engines = {}
        _local.pid = os.getpid()
    key = (lang, whitelist)
    if key not in mine:
        mine[key] = _Engine(lib, lang, whitelist)
        with _engines_lock:
            if not _engines:
                atexit.register(_close_all)
            _engines.append(mine[key])
    return mine[key]


def _close_all() -> None:
    with _engines_lock:
        for e in _engines:
            e.close()
        _engines.clear()


def _run_cli(image: Image.Image, lang: str, psm: int, dpi: int, timeout: float, tsv: bool,
             whitelist: str) -> str:
    with tempfile.TemporaryDirectory(prefix="vnplans-ocr-") as tmp:
        src = os.path.join(tmp, "page.pgm" if image.mode == "L" else "page.ppm")
        image.save(src)  # uncompressed: pytesseract's PNG encoding cost a fifth of Tesseract's time
        cmd = ["tesseract", src, "stdout", "-l", lang, "--psm", str(psm), "--dpi", str(dpi)]
        cmd += ["-c", f"tessedit_char_whitelist={whitelist}"] if whitelist else []
        try:
            out = subprocess.run(cmd + (["tsv"] if tsv else []), capture_output=True, timeout=timeout)
        except subprocess.TimeoutExpired as e:
            raise InputFileError(f"tesseract timed out after {timeout:.0f} s") from e
        except OSError as e:
            raise MissingDependencyError(f"tesseract could not be run: {e}") from e
    if out.returncode != 0:
        err = out.stderr.decode("utf-8", "replace").strip().splitlines()
        raise InputFileError(f"tesseract failed: {err[-1] if err else out.returncode}")
    text = out.stdout.decode("utf-8", "replace")
    return text.split("\n", 1)[1] if tsv and "\n" in text else text  # the program's TSV has a header


def in_process() -> bool:
    """Whether pages are read through the library (else the program is run for each)."""
    return _lib() is not None


def warm(lang: str = "vie") -> None:
    """Load the language's model in this process now (in process only; the program loads per call)."""
    _engine(lang)


def read(image: Image.Image, lang: str = "vie", psm: int = 3, dpi: int = 300, timeout: float = 120,
         tsv: bool = False, whitelist: str = "") -> str:
    """Tesseract's text of an image (its TSV rows, without a header, when `tsv`)."""
    _single_thread()
    if image.mode not in ("L", "RGB"):
        image = image.convert("L")
    eng = _engine(lang, whitelist)
    if eng is None:
        return _run_cli(image, lang, psm, dpi, timeout, tsv, whitelist)
    return eng.read(image, psm, dpi, timeout, tsv)


def words(image: Image.Image, lang: str = "vie", psm: int = 3, timeout: float = 120,
          dpi: int = 300) -> tuple[Word, ...]:
    """OCR one page image; words in reading order with boxes, confidences and line indices."""
    res: list[Word] = []
    line_ids: dict[tuple[str, str, str], int] = {}
    for row in read(image, lang, psm, dpi, timeout, tsv=True).splitlines():
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
