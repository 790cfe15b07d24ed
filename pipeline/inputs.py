"""Finding inputs under a folder and reading the ones that need no OCR (.txt, .md, .docx)."""
from __future__ import annotations

import fnmatch
import hashlib
import os
import unicodedata
import zipfile
from dataclasses import dataclass
from pathlib import Path

import regex

from .errors import InputFileError
from .records import InputKind

KINDS = {".pdf": InputKind.PDF, ".png": InputKind.IMAGE, ".jpg": InputKind.IMAGE, ".jpeg": InputKind.IMAGE,
         ".tif": InputKind.IMAGE, ".tiff": InputKind.IMAGE, ".txt": InputKind.TEXT, ".md": InputKind.TEXT,
         ".docx": InputKind.DOCX}
# ground-truth transcriptions that sit beside scans; notes about a folder (README.md, readme.txt)
DEFAULT_EXCLUDES = ("*.gt.txt", "README*", "readme*")


@dataclass(frozen=True)
class InputFile:
    path: Path
    source: str  # relative to the input folder, '/'-separated
    kind: InputKind


OUTPUT_MARKER = "catalog.sqlite"  # a folder holding this is a vnplans output folder, never input


def check_root(root: Path, out_dir: Path | None = None) -> None:
    """Refuse an input folder that is the output folder or is itself a vnplans output folder."""
    from .errors import BadArgumentsError
    if out_dir is not None and _same(root, out_dir):
        raise BadArgumentsError(f"the output folder is the input folder ({root}): choose another -o")
    if (Path(root) / OUTPUT_MARKER).exists():
        raise BadArgumentsError(f"{root} is a vnplans output folder (it holds {OUTPUT_MARKER}), not an input folder")


def _same(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return Path(a).resolve() == Path(b).resolve()


def excluded(rel: str, patterns: tuple[str, ...]) -> bool:
    """Whether a file or folder is excluded: a pattern matches its name or its path relative to
    the input folder ('/'-separated; '*' also matches '/'; a leading './' or trailing '/' is ignored)."""
    rel = unicodedata.normalize("NFC", rel)
    name = rel.rsplit("/", 1)[-1]
    for pat in patterns:
        pat = unicodedata.normalize("NFC", pat.replace(os.sep, "/")).strip()
        while pat.startswith("./"):
            pat = pat[2:]
        pat = pat.rstrip("/")
        if pat and (fnmatch.fnmatchcase(name, pat) or fnmatch.fnmatchcase(rel, pat)):
            return True
    return False


def discover(root: Path, excludes: tuple[str, ...] = DEFAULT_EXCLUDES, skip: tuple[Path, ...] = ()
             ) -> tuple[list[InputFile], list[tuple[str, str]]]:
    """Every input under root (recursively, sorted, hidden entries skipped), and the
    (source, reason) of entries that cannot be visited (symlink loops, unreadable folders).
    Folders in `skip` (the run's output folder) and vnplans output folders under root (they
    hold a catalog) are not entered, nor files and folders matched by `excludes`."""
    found: list[InputFile] = []
    problems: list[tuple[str, str]] = []
    seen_dirs: set[tuple[int, int]] = set()
    skip_ids = set()
    for d in skip:
        try:
            st = os.stat(d)
            skip_ids.add((st.st_dev, st.st_ino))
        except OSError:
            pass

    def onerror(e: OSError) -> None:
        problems.append((_rel(Path(e.filename or root), root), f"cannot read folder: {e.strerror}"))

    for dirpath, dirnames, filenames in os.walk(root, onerror=onerror, followlinks=True):
        st = os.stat(dirpath)
        if (st.st_dev, st.st_ino) in seen_dirs:
            problems.append((_rel(Path(dirpath), root), "symlink loop: folder already visited"))
            dirnames[:] = []
            continue
        seen_dirs.add((st.st_dev, st.st_ino))
        here = Path(dirpath)
        if here != Path(root) and ((st.st_dev, st.st_ino) in skip_ids or OUTPUT_MARKER in filenames):
            dirnames[:] = []  # an output folder: its text/ files are our own output, not input
            continue
        dirnames[:] = sorted(d for d in dirnames if not d.startswith(".")
                             and not excluded(_rel(here / d, root), excludes))
        for name in sorted(filenames):
            if name.startswith("."):
                continue
            p = here / name
            if excluded(_rel(p, root), excludes):
                continue
            kind = KINDS.get(p.suffix.lower())
            if kind is None:
                continue
            if not p.exists():
                problems.append((_rel(p, root), "broken symlink"))
                continue
            if not p.is_file():  # a FIFO or device would block or never end
                problems.append((_rel(p, root), "not a regular file"))
                continue
            found.append(InputFile(p, _rel(p, root), kind))
    return found, problems


def _rel(p: Path, root: Path) -> str:
    try:
        return p.relative_to(root).as_posix()
    except ValueError:
        return p.as_posix()


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    try:
        with open(path, "rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                h.update(chunk)
    except OSError as e:
        raise InputFileError(f"cannot read file: {e.strerror}") from e
    return h.hexdigest()


_MAGIC = ((b"\xff\xd8\xff", "a JPEG image"), (b"\x89PNG", "a PNG image"), (b"II*\x00", "a TIFF image"),
          (b"MM\x00*", "a TIFF image"), (b"PK\x03\x04", "a ZIP archive (.docx?)"), (b"GIF8", "a GIF image"))


def check_pdf_magic(path: Path) -> None:
    """A '.pdf' that is something else gets a reason naming what it is."""
    try:
        with open(path, "rb") as f:
            head = f.read(1024)
    except OSError as e:
        raise InputFileError(f"cannot read file: {e.strerror}") from e
    if not head:
        raise InputFileError("empty file")
    if b"%PDF" in head:
        return
    for magic, what in _MAGIC:
        if head.startswith(magic):
            raise InputFileError(f"not a PDF: the file is {what}")
    if regex.search(rb"(?i)<(?:!doctype\s+html|html|head|body)", head):
        raise InputFileError("not a PDF: the file is an HTML page")
    raise InputFileError("not a PDF: no %PDF header")


_VIET = regex.compile(r"[ăâđêôơưĂÂĐÊÔƠƯ\p{M}àáảãạèéẻẽẹìíỉĩịòóỏõọùúủũụỳýỷỹỵ]")


def decode_text(data: bytes) -> str:
    """UTF-8 (with or without BOM), UTF-16 by its BOM, else Windows-1258 (Vietnamese ANSI)."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", "replace")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", "replace")
    if len(data) >= 4 and data[1::2].count(0) > len(data) // 4:  # UTF-16 without BOM
        return data.decode("utf-16-le" if data[1] == 0 else "utf-16-be", "replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return unicodedata.normalize("NFC", data.decode("cp1258", "replace"))


def read_text(path: Path) -> str:
    try:
        data = path.read_bytes()
    except OSError as e:
        raise InputFileError(f"cannot read file: {e.strerror}") from e
    if not data.strip():
        raise InputFileError("empty file")
    if b"\x00" in data[:4096] and not data.startswith((b"\xff\xfe", b"\xfe\xff")) \
            and data[1::2].count(0) <= len(data) // 4:
        raise InputFileError("binary data, not text")
    return decode_text(data)


_W_P = regex.compile(r"<w:p[ >].*?</w:p>", regex.S)
_W_T = regex.compile(r"<w:t(?: [^>]*)?>(.*?)</w:t>|<w:tab/>|<w:br/>", regex.S)


def read_docx(path: Path) -> str:
    """Paragraph text of a .docx (body, tables in reading order), one paragraph per line."""
    import html
    try:
        with zipfile.ZipFile(path) as z:
            xml = z.read("word/document.xml").decode("utf-8", "replace")
    except (zipfile.BadZipFile, KeyError, OSError) as e:
        raise InputFileError(f"not a readable .docx ({e})") from e
    lines = []
    for p in _W_P.findall(xml):
        parts = []
        for m in _W_T.finditer(p):
            tok = m.group(0)
            parts.append(html.unescape(m.group(1)) if m.group(1) is not None else (" " if "tab" in tok else "\n"))
        lines.append("".join(parts))
    text = "\n".join(lines)
    if not text.strip():
        raise InputFileError("empty document")
    return text
