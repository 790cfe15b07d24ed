"""Searchable PDFs: the original pages, untouched, with an invisible text layer of the corrected
text, each corrected word drawn over the box where OCR read it.

The corrected text comes from the restorer run on the whole document, so its words are put back
on the page by aligning them with the page's OCR words (marks folded: the restorer mostly changes
marks). A word split or merged by the correction takes the span of its OCR boxes; a word the
restorer added shares its neighbour's box. The layer uses a glyph-less CID font (Tesseract's
`pdf.ttf`, as OCRmyPDF does) with an identity ToUnicode CMap, so copy, search and `pdftotext` give
the NFC text exactly. pikepdf (optional extra `pdf`) writes the file; images are never decoded.
"""
from __future__ import annotations

import difflib
import glob
import math
import os
import re
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from .errors import MissingDependencyError, OutputError
from .lexicon import fold
from .records import PageResult

TEXT_LAYER = "text-layer"
COLUMN_MARK = "|"  # lines_text's column break: no word of the page


@dataclass(frozen=True)
class Placed:
    """One corrected word and the box (pixels of the page image OCR read) it is drawn in."""
    page: int
    text: str
    box: tuple[float, float, float, float]  # x0, y0, x1, y1; (0,0,0,0) when the page has no boxes


@dataclass(frozen=True)
class _Tok:
    page: int
    text: str
    box: tuple[int, int, int, int] | None
    line: int


def _ocr_tokens(pages: Sequence[PageResult]) -> list[_Tok]:
    """The pages' words in the order `tesseract.lines_text` writes them (line, then left);
    pages without word boxes (text layers, text files) give their text's words without boxes."""
    out: list[_Tok] = []
    for p in pages:
        if p.error:
            continue
        if p.words:
            for w in sorted(p.words, key=lambda w: (w.line, w.left)):
                out.append(_Tok(p.page, w.text, (w.left, w.top, w.left + w.width, w.top + w.height), w.line))
        else:
            out.extend(_Tok(p.page, t, None, -1) for t in p.text.split())
    return out


def _key(t: str) -> str:
    return fold(t).lower()


def _anchor_sets(ocr: list[_Tok], words: list[str]) -> list[tuple[int, ...]]:
    """For each corrected word, the OCR word indices it was read from (empty: added by the restorer)."""
    a, b = [_key(t.text) for t in ocr], [_key(w) for w in words]
    sets: list[tuple[int, ...]] = [()] * len(words)
    sm = difflib.SequenceMatcher(None, a, b, autojunk=False)
    for op, i1, i2, j1, j2 in sm.get_opcodes():
        if op == "equal":
            for k in range(j2 - j1):
                sets[j1 + k] = (i1 + k,)
        elif op == "replace":
            for k, hit in enumerate(_char_anchors(a[i1:i2], b[j1:j2])):
                sets[j1 + k] = tuple(i1 + m for m in hit)
    return sets


def _char_anchors(a: list[str], b: list[str]) -> list[tuple[int, ...]]:
    """Inside a run of words that differ: each word of `b` takes the words of `a` its letters were
    matched with (a split or merged word), else those under its share of the run's length."""
    sa, sb = " ".join(a), " ".join(b)
    own_a = [i for i, w in enumerate(a) for _ in w + " "][:len(sa)]
    own_b = [j for j, w in enumerate(b) for _ in w + " "][:len(sb)]
    hits: list[set[int]] = [set() for _ in b]
    for blk in difflib.SequenceMatcher(None, sa, sb, autojunk=False).get_matching_blocks():
        for k in range(blk.size):
            if sb[blk.b + k] != " ":
                hits[own_b[blk.b + k]].add(own_a[blk.a + k])
    scale = len(sa) / max(1, len(sb))
    out = []
    for j, h in enumerate(hits):
        if not h:  # nothing in common: the OCR word under the middle of this one
            mid = (own_b.index(j) + len(b[j]) / 2) * scale
            h = {own_a[min(len(own_a) - 1, int(mid))]}
        out.append(tuple(sorted(h)))
    return out


def align(pages: Sequence[PageResult], corrected: str) -> list[Placed]:
    """Every word of `corrected` (split on white space) with its page and box, in text order.
    Column marks the OCR did not read are left out; nothing else is."""
    ocr = _ocr_tokens(pages)
    words = corrected.split()
    if not ocr:
        first = next((p.page for p in pages if not p.error), 1)
        return [Placed(first, w, (0, 0, 0, 0)) for w in words if w != COLUMN_MARK]
    sets = _anchor_sets(ocr, words)
    keep = [j for j in range(len(words))
            if words[j] != COLUMN_MARK or any(ocr[i].text == COLUMN_MARK for i in sets[j])]
    words, sets = [words[j] for j in keep], [sets[j] for j in keep]
    # words the restorer added share the box of the word before them (or after, at the start)
    last: tuple[int, ...] = ()
    for j, s in enumerate(sets):
        if s:
            last = s
        elif last:
            sets[j] = last
    nxt: tuple[int, ...] = ()
    for j in range(len(sets) - 1, -1, -1):
        if sets[j]:
            nxt = sets[j]
        else:
            sets[j] = nxt
    # groups of consecutive words reading overlapping OCR words share the span of those words
    out: list[Placed] = []
    j = 0
    while j < len(words):
        span = set(sets[j])
        k = j + 1
        while k < len(words) and span & set(sets[k]):
            span |= set(sets[k])
            k += 1
        out.extend(_split(ocr, sorted(span), words[j:k]))
        j = k
    return out


def _split(ocr: list[_Tok], idx: list[int], words: list[str]) -> list[Placed]:
    """Words over the span of OCR words `idx` (those on the first one's page and line), side by side."""
    first = ocr[idx[0]]
    if first.box is None:
        return [Placed(first.page, w, (0, 0, 0, 0)) for w in words]
    boxes = [b for b in (ocr[i].box for i in idx if ocr[i].page == first.page and ocr[i].line == first.line) if b]
    x0, y0 = min(b[0] for b in boxes), min(b[1] for b in boxes)
    x1, y1 = max(b[2] for b in boxes), max(b[3] for b in boxes)
    if len(words) == 1:
        return [Placed(first.page, words[0], (x0, y0, x1, y1))]
    total = sum(len(w) + 1 for w in words) - 1  # one character's share between words
    pos, out = 0, []
    for w in words:
        out.append(Placed(first.page, w, (x0 + (x1 - x0) * pos / total, y0,
                                          x0 + (x1 - x0) * (pos + len(w)) / total, y1)))
        pos += len(w) + 1
    return out


# ------------------------------------------------------------------ geometry

_SKEW = re.compile(r"deskewed([+-]?\d+(?:\.\d+)?)")
_ROT = re.compile(r"rotated(\d+)")


def _to_page(p: PageResult) -> Callable[[float, float], tuple[float, float]]:
    """Pixel (x, y) of the image the page's boxes refer to -> share (0..1) of the page as
    displayed, from its top left: undoes the OCR worker's quarter turn and deskew."""
    w, h = float(p.width), float(p.height)
    m = _ROT.search(p.engine)
    rot = int(m.group(1)) % 360 if m else 0
    if rot in (90, 270):
        w, h = h, w  # the size before the quarter turn
    m = _SKEW.search(p.engine)
    skew = float(m.group(1)) if m else 0.0
    ca, sa = math.cos(math.radians(skew)), math.sin(math.radians(skew))
    cx, cy = w / 2, h / 2

    def f(x: float, y: float) -> tuple[float, float]:
        if rot == 90:
            x, y = y, h - x
        elif rot == 180:
            x, y = w - x, h - y
        elif rot == 270:
            x, y = w - y, x
        if skew:  # the deskewed image is the page turned counter-clockwise by `skew` about its centre
            dx, dy = x - cx, y - cy
            x, y = cx + ca * dx - sa * dy, cy + sa * dx + ca * dy
        return x / w, y / h
    return f


# ------------------------------------------------------------------ PDF writing

FONT = "/VnpT"
GAP = 0.3  # least gap between two words of a line, in line heights (pdftotext breaks words at 0.1)


def glyphless_font() -> bytes:
    """Tesseract's glyph-less TrueType font (`pdf.ttf` beside its language data)."""
    dirs = [os.environ.get("TESSDATA_PREFIX", "")] + sorted(glob.glob("/usr/share/tesseract-ocr/*/tessdata")) + \
        ["/usr/share/tessdata", "/usr/local/share/tessdata", "/opt/homebrew/share/tessdata"]
    for d in dirs:
        if d and (Path(d) / "pdf.ttf").is_file():
            return (Path(d) / "pdf.ttf").read_bytes()
    raise MissingDependencyError("Tesseract's pdf.ttf not found (set TESSDATA_PREFIX to its tessdata folder)")


def _tounicode(highs: set[int]) -> bytes:
    """Identity ToUnicode CMap over the 256-code blocks the layer uses (a smaller file than all 65,536)."""
    ranges = [f"<{hi:02X}00> <{hi:02X}FF> <{hi:02X}00>" for hi in sorted(highs) if not 0xD8 <= hi <= 0xDF]
    body = "".join(f"{len(ranges[i:i + 100])} beginbfrange\n" + "\n".join(ranges[i:i + 100]) + "\nendbfrange\n"
                   for i in range(0, len(ranges), 100))
    return ("/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n"
            "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n"
            "/CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n"
            "1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n" + body +
            "endcmap\nCMapName currentdict /CMapName defineresource pop\nend\nend\n").encode("ascii")


def _font(pdf, highs: set[int]):
    """The Type 0 font of the text layer: one glyph-less glyph of half an em for every code,
    code = UTF-16 unit of the character (Identity-H), ToUnicode the identity."""
    import pikepdf
    from pikepdf import Array, Dictionary, Name
    ttf = pikepdf.Stream(pdf, zlib.compress(glyphless_font()))
    ttf.Filter = Name.FlateDecode
    cid2gid = pikepdf.Stream(pdf, zlib.compress(b"\x00\x01" * 65536))
    cid2gid.Filter = Name.FlateDecode
    desc = Dictionary(Type=Name.FontDescriptor, FontName=Name.GlyphLessFont, Flags=5,
                      FontBBox=Array([0, 0, 500, 1000]), ItalicAngle=0, Ascent=1000, Descent=0,
                      CapHeight=1000, StemV=80, FontFile2=ttf)
    cid = Dictionary(Type=Name.Font, Subtype=Name.CIDFontType2, BaseFont=Name.GlyphLessFont,
                     CIDSystemInfo=Dictionary(Registry=pikepdf.String("Adobe"),
                                              Ordering=pikepdf.String("Identity"), Supplement=0),
                     FontDescriptor=pdf.make_indirect(desc), DW=500, CIDToGIDMap=cid2gid)
    tu = pikepdf.Stream(pdf, zlib.compress(_tounicode(highs)))
    tu.Filter = Name.FlateDecode
    return pdf.make_indirect(Dictionary(Type=Name.Font, Subtype=Name.Type0, BaseFont=Name.GlyphLessFont,
                                        Encoding=Name("/Identity-H"), DescendantFonts=Array([pdf.make_indirect(cid)]),
                                        ToUnicode=tu))


def _hex_chars(s: str) -> str:
    """The characters as drawn: one UTF-16 unit each (characters beyond it become U+FFFD)."""
    return "".join(c if ord(c) <= 0xFFFF and not 0xD800 <= ord(c) <= 0xDFFF else "\ufffd" for c in s)


def _hex(s: str) -> str:
    return "".join(f"{ord(c):04X}" for c in _hex_chars(s))


def _geometry(page) -> tuple[list[float], float, float]:
    """The matrix from the displayed page (points, origin bottom left) to user space, and the
    displayed width and height."""
    x0, y0, x1, y1 = (float(v) for v in (page.obj.get("/CropBox") or page.mediabox))
    x0, x1, y0, y1 = min(x0, x1), max(x0, x1), min(y0, y1), max(y0, y1)
    rot = int(page.obj.get("/Rotate", 0)) % 360
    w, h = x1 - x0, y1 - y0
    if rot == 90:
        return [0, 1, -1, 0, x1, y0], h, w
    if rot == 180:
        return [-1, 0, 0, -1, x1, y1], w, h
    if rot == 270:
        return [0, -1, 1, 0, x0, y1], h, w
    return [1, 0, 0, 1, x0, y0], w, h


def _num(v: float, digits: int = 2) -> str:
    return f"{v:.{digits}f}".rstrip("0").rstrip(".") or "0"


def layer_content(words: Sequence[Placed], result: PageResult, matrix: list[float], dw: float, dh: float) -> bytes:
    """The content stream drawing `words` invisibly (render mode 3), each stretched to its box."""
    to_page = _to_page(result)
    sx, sy = dw / (result.width or 1), dh / (result.height or 1)
    m = _ROT.search(result.engine)
    if m and int(m.group(1)) % 180 == 90:
        sx, sy = dw / (result.height or 1), dh / (result.width or 1)
    ops = ["q", " ".join(_num(v) for v in matrix) + " cm", "BT", "3 Tr"]
    words = [w for w in words if w.text]

    def same_line(a, b) -> bool:
        return min(a[3], b[3]) - max(a[1], b[1]) > 0.5 * min(a[3] - a[1], b[3] - b[1])

    prev: tuple[float, float, float, float] | None = None  # the previous word as drawn
    for k, wd in enumerate(words):
        x0, y0, x1, y1 = wd.box
        gap = GAP * (y1 - y0)
        if prev and same_line(prev, wd.box) and prev[0] <= x0 < prev[2] + gap:
            # overlapping OCR boxes: start after the previous word, or a reader joins the two
            x0 = prev[2] + gap
            x1 = max(x1, x0 + 0.25 * (y1 - y0) * len(wd.text))
        nxt = words[k + 1].box if k + 1 < len(words) else None
        if nxt and nxt[0] >= x0 and same_line(nxt, wd.box):
            # the next word on this line: leave a gap a PDF reader takes for a space
            x1 = max(min(x1, nxt[0] - gap), x0 + 0.3 * (x1 - x0))
        prev = (x0, y0, x1, y1)
        fx, fy = to_page((x0 + x1) / 2, (y0 + y1) / 2)
        bw, bh = max((x1 - x0) * sx, 0.5), max((y1 - y0) * sy, 1.0)
        size = bh
        tz = 100 * bw / (len(wd.text) * 0.5 * size)
        x, y = fx * dw - bw / 2, (1 - fy) * dh - bh / 2 + 0.2 * bh
        ops.append(f"{FONT} {_num(size, 1)} Tf {_num(tz, 1)} Tz 1 0 0 1 {_num(x, 1)} {_num(y, 1)} Tm <{_hex(wd.text + ' ')}> Tj")
    ops += ["ET", "Q", ""]
    return "\n".join(ops).encode("ascii")


_BLOCK = re.compile(r'<block xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">')
_PAGE = re.compile(r'<page width="([\d.]+)" height="([\d.]+)">(.*?)</page>', re.S)


def own_text_blocks(source: Path) -> dict[int, list[tuple[float, float, float, float]]]:
    """The blocks of a PDF's own text (a digital-signature stamp on a scan) per page, as shares of
    the displayed page (x0, y0, x1, y1 from the top left)."""
    from . import poppler
    out: dict[int, list[tuple[float, float, float, float]]] = {}
    for n, m in enumerate(_PAGE.finditer(poppler.text_layout(Path(source))), start=1):
        w, h = float(m.group(1)) or 1.0, float(m.group(2)) or 1.0
        out[n] = [(float(a) / w, float(b) / h, float(c) / w, float(d) / h) for a, b, c, d in _BLOCK.findall(m.group(3))]
    return out


def layer_words(source: Path, pages: Sequence[PageResult], corrected: str) -> list[Placed]:
    """The words the text layer draws: every aligned word of a page that gets a layer, except
    those over the page's own text (a stamp's text the page already carries, which a reader would
    otherwise see twice and merge with ours)."""
    results = {p.page: p for p in pages}
    placed = [w for w in align(pages, corrected) if w.page in results and _needs_layer(results[w.page])]
    blocks = own_text_blocks(source) if _is_pdf(Path(source)) and placed else {}
    if not any(blocks.values()):
        return placed
    maps = {n: _to_page(results[n]) for n in {w.page for w in placed}}
    out = []
    for w in placed:
        fx, fy = maps[w.page]((w.box[0] + w.box[2]) / 2, (w.box[1] + w.box[3]) / 2)
        pad = 0.01
        if not any(x0 - pad <= fx <= x1 + pad and y0 - pad <= fy <= y1 + pad for x0, y0, x1, y1 in blocks.get(w.page, ())):
            out.append(w)
    return out


def _needs_layer(p: PageResult) -> bool:
    return not p.error and p.engine != TEXT_LAYER and p.width > 0 and p.height > 0


def write(source: Path, pages: Sequence[PageResult], corrected: str, dest: Path) -> int:
    """Write the searchable copy of `source` (a PDF or an image file) to `dest`; returns the number
    of words placed. Pages read from a real text layer, or not read, are copied as they are."""
    try:
        import pikepdf
    except ImportError as e:
        raise MissingDependencyError("--pdf needs pikepdf: pip install 'vnplans[pdf]'") from e
    placed = layer_words(source, pages, corrected)
    by_page: dict[int, list[Placed]] = {}
    for w in placed:
        by_page.setdefault(w.page, []).append(w)
    results = {p.page: p for p in pages}
    dest = Path(dest)
    tmp = dest.with_name("." + dest.name + ".tmp")
    n = 0
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
        pdf = pikepdf.open(source) if _is_pdf(source) else _image_pdf(source)
        with pdf:
            font = None
            for i, page in enumerate(pdf.pages, start=1):
                res = results.get(i)
                if res is None or not _needs_layer(res) or not by_page.get(i):
                    continue
                font = font or _font(pdf, {ord(c) >> 8 for w in placed for c in _hex_chars(w.text + ' ')})
                matrix, dw, dh = _geometry(page)
                page.add_resource(font, pikepdf.Name.Font, FONT, replace_existing=True)
                # the page's own content is wrapped in q/Q (its graphics state cannot leak into the layer)
                page.contents_add(pikepdf.Stream(pdf, b"q\n"), prepend=True)
                layer = pikepdf.Stream(pdf, zlib.compress(b"\nQ\n" + layer_content(by_page[i], res, matrix, dw, dh)))
                layer.Filter = pikepdf.Name.FlateDecode
                page.contents_add(layer)
                n += len(by_page[i])
            # every stream of the original is written as it was read (no decoding, no recompression)
            pdf.save(tmp, compress_streams=False, stream_decode_level=pikepdf.StreamDecodeLevel.none,
                     object_stream_mode=pikepdf.ObjectStreamMode.preserve)
        os.replace(tmp, dest)
    except pikepdf.PdfError as e:
        _unlink(tmp)
        raise OutputError(f"cannot write searchable PDF {dest}: {e}") from e
    except OSError as e:
        _unlink(tmp)
        raise OutputError(f"cannot write searchable PDF {dest}: {e.strerror or e}") from e
    return n


def _unlink(p: Path) -> None:
    try:
        p.unlink()
    except OSError:
        pass


def _is_pdf(path: Path) -> bool:
    with open(path, "rb") as f:
        return b"%PDF" in f.read(1024)


def _image_pdf(path: Path):
    """A PDF of an image file's frames at their resolution: JPEG data as it is (DCTDecode),
    other images losslessly as Flate (their pixels unchanged)."""
    import pikepdf
    from pikepdf import Array, Dictionary, Name
    from PIL import Image, ImageSequence
    pdf = pikepdf.new()
    with Image.open(path) as im:
        for frame in ImageSequence.Iterator(im):
            dpi = frame.info.get("dpi", (0, 0))[0] or 300
            dpi = dpi if 70 <= dpi <= 1200 else 300
            w, h = frame.size
            if im.format == "JPEG" and frame.mode in ("L", "RGB", "CMYK"):
                data, filt = Path(path).read_bytes(), Name.DCTDecode
                mode = frame.mode
            else:
                f = frame if frame.mode in ("1", "L", "RGB") else frame.convert("RGB")
                mode, data, filt = f.mode, zlib.compress(f.tobytes()), Name.FlateDecode
            cs = {"1": Name.DeviceGray, "L": Name.DeviceGray, "RGB": Name.DeviceRGB, "CMYK": Name.DeviceCMYK}[mode]
            img = pikepdf.Stream(pdf, data)
            img.stream_dict.update(Dictionary(Type=Name.XObject, Subtype=Name.Image, Width=w, Height=h,
                                              ColorSpace=cs, BitsPerComponent=1 if mode == "1" else 8, Filter=filt))
            if mode == "CMYK" and filt == Name.DCTDecode and "adobe" in frame.info:
                img.stream_dict.Decode = Array([1, 0, 1, 0, 1, 0, 1, 0])
            pw, ph = w * 72 / dpi, h * 72 / dpi
            page = pdf.add_blank_page(page_size=(pw, ph))
            page.add_resource(img, Name.XObject, Name("/Im0"))
            page.contents_add(pikepdf.Stream(pdf, f"q {_num(pw)} 0 0 {_num(ph)} 0 0 cm /Im0 Do Q\n".encode()))
    return pdf


def pdf_name(source: str) -> str:
    """pdf/ path for a source: the PDF's own relative path, or an image's with '.pdf' added."""
    return source if source.lower().endswith(".pdf") else source + ".pdf"
