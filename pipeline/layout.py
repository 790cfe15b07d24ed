"""Zones of a Decree 30/2020 document found from OCR word boxes: the two-column header of
page 1, the centred kind and title, the signature block and "Nơi nhận" on the last page of
the document proper, and stamps that must not feed any field.

Pure functions over frozen records; no OCR, no dictionaries. Text is read as OCR gave it;
the field rules correct and interpret it.
"""
from __future__ import annotations

import enum
import statistics
from dataclasses import dataclass

import regex

from .lexicon import fold
from .records import PageResult, Word


class Zone(enum.Enum):
    """What a region of a page is (closed set, defined once)."""
    STAMP = "stamp"                # digital-signature box, incoming-document stamp
    HEADER_LEFT = "header-left"    # issuer, "Số: …/…", a công văn's "V/v …"
    HEADER_RIGHT = "header-right"  # motto, "place, ngày … tháng … năm …"
    TITLE = "title"                # the kind line and the summary under it
    SIGNATURE = "signature"        # authority, position, (seal), name
    RECIPIENTS = "recipients"      # "Nơi nhận:" and its items
    TITLE_CUT = "title-cut"        # (empty) the title block looks cut short: words lost under a stamp


@dataclass(frozen=True)
class Segment:
    """A run of words on one text line with no column gap inside: one line of one zone."""
    page: int
    text: str
    box: tuple[int, int, int, int]  # x0, y0, x1, y1 in page pixels
    conf: float  # mean word confidence, 0-100
    words: tuple[Word, ...]

    @property
    def cx(self) -> float:
        return (self.box[0] + self.box[2]) / 2

    @property
    def height(self) -> int:
        return self.box[3] - self.box[1]


@dataclass(frozen=True)
class DocLayout:
    """The zones of one document: each a tuple of segments top to bottom."""
    first_page: int
    sign_page: int  # 0 when no signature page was found
    zones: tuple[tuple[Zone, tuple[Segment, ...]], ...]
    seals: tuple[tuple[int, tuple[int, int, int, int]], ...] = ()  # (page, box) of seals found on the image
    opaque: tuple[tuple[int, tuple[int, int, int, int]], ...] = ()  # those as dark as the print

    def get(self, zone: Zone) -> tuple[Segment, ...]:
        return next((s for z, s in self.zones if z is zone), ())

    def seals_on(self, page: int) -> list[tuple[int, int, int, int]]:
        """Boxes of the seals found on one page."""
        return [b for p, b in self.seals if p == page]

    def opaque_on(self, page: int) -> list[tuple[int, int, int, int]]:
        """Boxes of the seals as dark as the print on one page."""
        return [b for p, b in self.opaque if p == page]


def box_union(segs: tuple[Segment, ...] | list[Segment]) -> tuple[int, int, int, int]:
    """The smallest box holding all segments; (0, 0, 0, 0) for none."""
    if not segs:
        return (0, 0, 0, 0)
    return (min(s.box[0] for s in segs), min(s.box[1] for s in segs),
            max(s.box[2] for s in segs), max(s.box[3] for s in segs))


def mean_conf(segs: tuple[Segment, ...] | list[Segment]) -> float:
    ws = [w.conf for s in segs for w in s.words if w.conf >= 0]
    return round(sum(ws) / len(ws), 1) if ws else 0.0


def _segment(page: int, words: list[Word]) -> Segment:
    x0 = min(w.left for w in words)
    y0 = min(w.top for w in words)
    x1 = max(w.left + w.width for w in words)
    y1 = max(w.top + w.height for w in words)
    confs = [w.conf for w in words if w.conf >= 0]
    return Segment(page, " ".join(w.text for w in words), (x0, y0, x1, y1),
                   round(sum(confs) / len(confs), 1) if confs else 0.0, tuple(words))


def segments(page: PageResult) -> list[Segment]:
    """The page's words cut into segments: Tesseract's lines, split where the gap between two
    words is wider than a column gap (3 line heights or 6 % of the page width)."""
    width = page.width or (max((w.left + w.width for w in page.words), default=0))
    lines: dict[int, list[Word]] = {}
    for w in page.words:
        if w.text.strip():
            lines.setdefault(w.line, []).append(w)
    out: list[Segment] = []
    for ws in lines.values():
        ws.sort(key=lambda w: w.left)
        h = statistics.median(w.height for w in ws)
        gap_max = max(3.0 * h, 0.06 * width) if width else 3.0 * h
        cur = [ws[0]]
        for prev, w in zip(ws, ws[1:]):
            if w.left - (prev.left + prev.width) > gap_max:
                out.append(_segment(page.page, cur))
                cur = []
            cur.append(w)
        out.append(_segment(page.page, cur))
    out.sort(key=lambda s: (s.box[1], s.box[0]))
    return out


# ---------------------------------------------------------------- anchors (on folded OCR text)

_MOTTO = regex.compile(r"cong\s*hoa\s*xa\s*hoi|doc\s*lap\s*[-–—.,]?\s*tu\s*do|xa\s*hoi\s*chu\s*nghia|tu\s*do\s*[-–—]\s*hanh")
_SO = regex.compile(r"^s[o06][:;.,]?(?:\s|$|\d|:)")
_DATE = regex.compile(r"ngay.{0,12}thang.{0,12}nam\s*\d{4}|,\s*ngay\b")
_RECIP = regex.compile(r"^[*_\s]*n[o0]i\s*nh[a-z]{1,3}\b\s*[:;.]?\s*$|^[*_\s]*n[o0]i\s*nhan\b")
_SIGNED_STAMP = regex.compile(r"ky\s*boi|thoi\s*gian\s*ky|co\s*quan\s*:|@|\+07|\d{2}[.:]\d{2}[.:]\d{2}")
_AUTH_OR_TITLE = regex.compile(r"\b(?:TM|KT|TL|TUQ)\s*\.|CH[ỦU]\s*T[ỊI]CH|GI[ÁA]M\s*Đ[ỐO]C|TR[ƯU][ỞO]NG|TH[ỨU]\s*TR|CH[ÁA]NH\s*V")
_ATTACHED = regex.compile(r"^du\s*thao$|^du\s*thao\b")


def split_motto(s: Segment) -> list[Segment]:
    """The motto is a column of its own: 'ỦY BAN NHÂN DÂN CỘNG HÒA XÃ HỘI …' read as one line
    is cut before 'CỘNG'."""
    for i, w in enumerate(s.words):
        if i and regex.match(r"c[o0]ng$", folded(w.text)) and i + 1 < len(s.words) \
                and regex.match(r"h[o0]a$", folded(s.words[i + 1].text)):
            return [_segment(s.page, list(s.words[:i])), _segment(s.page, list(s.words[i:]))]
    return [s]


def folded(s: str) -> str:
    """Lower case without marks (đ -> d): anchors match however OCR read the marks."""
    return fold(s.lower())


def text_column(segs: list[Segment], width: int) -> tuple[float, float] | None:
    """Left and right edges of the body text: the edge most long lines start at (first lines of
    paragraphs are indented, so a low quantile, not the median) and the justified right edge."""
    longs = [s for s in segs if s.box[2] - s.box[0] > 0.6 * width]
    if len(longs) < 3:
        return None
    xs = sorted(s.box[0] for s in longs)
    return float(xs[len(xs) // 5]), float(statistics.median(s.box[2] for s in longs))


def _centre(segs: list[Segment], width: int) -> float:
    """The text column's centre, else the page's."""
    col = text_column(segs, width)
    return (col[0] + col[1]) / 2 if col else width / 2


def _line_h(segs: list[Segment]) -> float:
    return statistics.median(s.height for s in segs) if segs else 30.0


def _in_box(s: Segment, box: tuple[int, int, int, int], pad: int = 0) -> bool:
    """Most of the segment lies inside the box."""
    x0, y0, x1, y1 = box
    ix = max(0, min(s.box[2], x1 + pad) - max(s.box[0], x0 - pad))
    iy = max(0, min(s.box[3], y1 + pad) - max(s.box[1], y0 - pad))
    area = max(1, (s.box[2] - s.box[0]) * (s.box[3] - s.box[1]))
    return ix * iy > 0.5 * area


def header_zones(page: PageResult) -> dict[Zone, tuple[Segment, ...]]:
    """Page 1: stamps above the header row, the left and right header columns, the centred
    kind and title below them. Columns are split at the page's text centre."""
    segs = segments(page)
    if not segs:
        return {}
    width = page.width or max(s.box[2] for s in segs)
    height = page.height or max(s.box[3] for s in segs)
    stamps = [r.box for r in page.readings if r.field in ("stamp", "signature-box")]
    segs = [s for s in segs if not any(_in_box(s, b, 10) for b in stamps)]
    segs = [part for s in segs for part in split_motto(s)]
    lh = _line_h(segs)
    centre = _centre(segs, width)
    top = [s for s in segs if s.box[1] < 0.5 * height]
    motto = [s for s in top if _MOTTO.search(folded(s.text)) and s.box[2] > centre]
    # the header row starts at the motto's first line (issuer and motto share it)
    row_top: float | None = min((s.box[1] for s in motto), default=None)
    if row_top is None:
        so0 = next((s for s in top if _SO.match(folded(s.text)) and "/" in s.text and s.cx < centre), None)
        d0 = next((s for s in top if _DATE.search(folded(s.text)) and s.box[2] > centre), None)
        if so0 is None and d0 is None:  # no header row: the kind and title may still be there
            title, cut = title_segments(segs, width, centre, lh)
            return {Zone.TITLE: tuple(title)} | ({Zone.TITLE_CUT: ()} if cut else {})
        row_top = min(s.box[1] for s in (so0, d0) if s is not None) - 4 * lh
    near = [s for s in top if row_top - 0.5 * lh <= s.box[1] <= row_top + 9 * lh]
    so = next((s for s in near if _SO.match(folded(s.text)) and "/" in s.text and s.cx < centre), None)
    date = next((s for s in near if _DATE.search(folded(s.text)) and s.box[2] > centre), None)
    anchors = [s for s in (so, date) if s is not None]
    if not anchors and not motto:
        return {}
    row_bottom = max((s.box[3] for s in anchors), default=max((s.box[3] for s in motto), default=row_top) + 2 * lh)
    col = text_column(segs, width)
    margin = col[0] - 0.03 * width if col else 0
    left, right = [], []
    for s in segs:
        if s.box[1] < row_top - 0.5 * lh or s.box[1] > row_bottom - 0.3 * lh or s.box[0] < margin:
            continue
        if s.box[2] <= centre + 0.05 * width and s.cx < centre:
            left.append(s)
        elif s.box[0] >= centre - 0.12 * width:
            right.append(s)
    # the issuer may start a line above the motto's first line read (its 'CỘNG HÒA' line lost)
    while True:
        top_y = min((s.box[1] for s in left), default=row_top)
        up = [s for s in segs if s not in left and s.cx < centre and s.box[2] <= centre + 0.05 * width
              and 0 <= top_y - s.box[3] < 0.8 * lh and not _SIGNED_STAMP.search(folded(s.text))]
        if not up:
            break
        left.extend(up)
    left.sort(key=lambda s: s.box[1])
    stamp_segs = [s for s in segs if s.box[3] < min([row_top] + [s.box[1] for s in left]) - 0.3 * lh]
    # a công văn's "V/v …" summary sits in the left column under the number
    below = [s for s in segs if s.box[1] > row_bottom - 0.3 * lh]
    cut_vv = False
    if so is not None:
        vv: list[Segment] = []
        for s in below:
            if s.box[1] > (vv[-1].box[3] if vv else so.box[3]) + 1.6 * lh:
                break
            if s.box[0] < margin:  # a margin stamp's words run into the line: keep the column's part
                inner = [w for w in s.words if w.left >= margin]
                if not inner or s.cx >= centre:
                    continue
                s = _segment(s.page, inner)
                cut_vv = True
            if s.cx < centre and s.box[2] <= centre + 0.05 * width and (vv or regex.match(r"^[il|]?v\s*[/|l1]\s*v", folded(s.text))):
                vv.append(s)
        left.extend(vv)
    title, cut = title_segments(below, width, centre, lh)
    zones = {Zone.STAMP: tuple(stamp_segs), Zone.HEADER_LEFT: tuple(left), Zone.HEADER_RIGHT: tuple(right),
             Zone.TITLE: tuple(title)}
    if cut or (cut_vv and not title):
        zones[Zone.TITLE_CUT] = ()
    return zones


def is_centred(s: Segment, centre: float, width: int, body: tuple[float, float] | None = None) -> bool:
    """A centred line: its middle near the text centre, clear of both margins of the body text."""
    if abs(s.cx - centre) > 0.04 * width:
        return False
    if body is not None:
        return s.box[0] > body[0] + 0.03 * width and s.box[2] < body[1] - 0.03 * width
    return (s.box[2] - s.box[0]) < 0.85 * width


def title_segments(below: list[Segment], width: int, centre: float, lh: float) -> tuple[list[Segment], bool]:
    """The centred block under the header: the kind line (if any) and the summary lines, each
    centred on the first one's middle; it ends at a gap of two line heights or a line that is
    not centred. Words a stamp in the margin adds on the left of a line are cut off. Returns the
    lines and whether the block looks cut (a next line nearly centred: words lost under a stamp)."""
    out: list[Segment] = []
    body = text_column(below, width)
    tol = max(0.025 * width, 0.9 * lh)
    rest = [s for s in below if not _speck(s, lh)]
    i = 0
    while i < len(rest):
        s = rest[i]
        i += 1
        if not out:
            if is_centred(s, centre, width, body) and s.box[1] < (below[0].box[1] + 12 * lh):
                out.append(s)
            continue
        mid = out[0].cx
        if abs(s.cx - mid) > tol and i < len(rest) and _same_row(s, rest[i]):
            joined = _segment(s.page, sorted(s.words + rest[i].words, key=lambda w: w.left))
            if abs(joined.cx - mid) <= tol:  # one title line OCR cut in two at a lost word
                s = joined
                i += 1
        gap = vgap(out[-1], s)
        gaps = [vgap(a, b) for a, b in zip(out, out[1:])]
        if gap > 1.8 * lh or (len(out) >= 2 and gap > 2 * max(max(gaps), 0.25 * lh) + 0.3 * lh):
            break
        if _caps(s.text) and any(not _caps(t.text) for t in out):
            break  # the authority line of a decision ('CHỦ TỊCH ỦY BAN NHÂN DÂN …') starts the body
        if abs(s.cx - mid) <= tol:
            out.append(s)
            continue
        trimmed = _trim_left(s, mid, tol, lh)
        if trimmed is not None:
            out.append(trimmed)
            continue
        if s.box[2] - s.box[0] < 0.25 * width and s.box[2] < centre:  # stamp or noise in the margin
            continue
        cut = gap < 0.35 * lh and abs(s.cx - mid) < 0.06 * width and not _caps(s.text)
        return out, cut
    return out, False


def _speck(s: Segment, lh: float) -> bool:
    """Dirt OCR read as a segment: flatter than half a line, or one sign, or read with almost no
    confidence ('—— SƯ U' at 15 where a seal's edge crosses the page)."""
    return s.height < 0.45 * lh or sum(c.isalnum() for c in s.text) < 2 or s.conf < 30


def _same_row(a: Segment, b: Segment) -> bool:
    """`b` continues `a` on the same text line (their heights overlap by most of the smaller)."""
    return b.box[0] > a.box[2] and min(a.box[3], b.box[3]) - max(a.box[1], b.box[1]) > 0.5 * min(a.height, b.height)


def vgap(a: Segment, b: Segment) -> int:
    """White space between line `a` and the line `b` under it, measured between words one above
    the other (a page tilted 1.5° makes the boxes of whole lines overlap)."""
    pairs = [v.top - (u.top + u.height) for u in a.words for v in b.words
             if min(u.left + u.width, v.left + v.width) > max(u.left, v.left)]
    return min(pairs) if pairs else b.box[1] - a.box[3]


def _caps(text: str) -> bool:
    letters = [c for c in text if c.isalpha()]
    return len(letters) >= 4 and sum(c.isupper() for c in letters) >= 0.8 * len(letters)


def _trim_left(s: Segment, mid: float, tol: float, lh: float) -> Segment | None:
    """The segment without the words on its left that a margin stamp added, when what remains
    is centred on `mid` and stands clear of them by a wide gap; else None."""
    ws = s.words
    gaps = [b.left - (a.left + a.width) for a, b in zip(ws, ws[1:])]
    for k in range(1, len(ws) - 1):
        inner = sorted(gaps[k:])
        if gaps[k - 1] < max(0.3 * lh, 1.4 * inner[len(inner) // 2]):
            continue
        rest = _segment(s.page, list(ws[k:]))
        if abs(rest.cx - mid) <= tol:
            return rest
    return None


def sign_zones(page: PageResult, from_top: bool = False) -> dict[Zone, tuple[Segment, ...]]:
    """The last page of the document proper: 'Nơi nhận' and its items on the left, the
    signature block on the right, from the closing line or 'Nơi nhận' down to the page end
    or an attached document's header."""
    segs = segments(page)
    if not segs:
        return {}
    width = page.width or max(s.box[2] for s in segs)
    lh = _line_h(segs)
    centre = _centre(segs, width)
    recip = next((s for s in segs if _RECIP.match(folded(s.text)) and s.cx < centre), None)
    end_y = None
    start: float | None = recip.box[1] if recip else None
    if start is None:
        close = [s for s in segs if regex.search(r"\./\.\s*$", s.text)]
        start = close[-1].box[3] if close else None
    if start is None and from_top:
        start = segs[0].box[1] + 3 * lh
    if start is None:
        return {}
    for s in segs:
        f = folded(s.text)
        if s.box[1] > start + 2 * lh and (_MOTTO.search(f) or _ATTACHED.match(f)):
            end_y = s.box[1]
            break
    zone = [s for s in segs if s.box[1] >= start - 3 * lh and (end_y is None or s.box[1] < end_y)]
    left = [s for s in zone if recip is not None and s.box[1] >= recip.box[1] - 0.3 * lh
            and s.box[0] < centre - 0.1 * width and s.cx < centre]
    right = [s for s in zone if s.box[0] > centre - 0.15 * width and s.cx > centre]
    # the signature block starts at the closing line's level or below it
    right = [s for s in right if not regex.search(r"\./\.\s*$", s.text)]
    return {Zone.RECIPIENTS: tuple(left), Zone.SIGNATURE: tuple(right)}


def find_sign_page(pages: list[PageResult]) -> int:
    """Index of the page with the document's own 'Nơi nhận' (else its closing './.') — the
    first one, so an attached draft after the signature does not count; -1 if none."""
    closing = -1
    for i, p in enumerate(pages):
        for s in segments(p):
            if _RECIP.match(folded(s.text)):
                return i
            if closing < 0 and regex.search(r"\./\.\s*$", s.text):
                closing = i
    return closing


def seal_boxes(page: PageResult) -> list[tuple[int, int, int, int]]:
    return [r.box for r in page.readings if r.field == "seal"]


def analyse(pages: list[PageResult]) -> DocLayout | None:
    """The zones of a document whose pages carry word boxes; None when they don't."""
    ocr = [p for p in pages if p.words and not p.error]
    if not ocr:
        return None
    first = ocr[0]
    zones: dict[Zone, tuple[Segment, ...]] = dict(header_zones(first))
    si = find_sign_page(ocr)
    sign_page = 0
    if si >= 0:
        sz = sign_zones(ocr[si])
        if not any(_AUTH_OR_TITLE.search(s.text) for s in sz.get(Zone.SIGNATURE, ())) and si + 1 < len(ocr):
            # the signature block ran on to the next page (recipients and block laid out one after the other)
            nz = sign_zones(ocr[si + 1], from_top=True)
            top = [s for s in nz.get(Zone.SIGNATURE, ()) if s.box[1] < nz[Zone.SIGNATURE][0].box[1] + 8 * _line_h(list(nz[Zone.SIGNATURE]))] \
                if nz.get(Zone.SIGNATURE) else []
            if any(_AUTH_OR_TITLE.search(s.text) for s in top):
                sz[Zone.SIGNATURE] = tuple(top)
        if sz.get(Zone.SIGNATURE) or sz.get(Zone.RECIPIENTS):
            if si + 1 < len(ocr) and not _has_name(sz.get(Zone.SIGNATURE, ())):
                sz = _continued(sz, ocr[si + 1])
            zones.update(sz)
            sign_page = ocr[si].page
    seals = tuple((p.page, b) for p in ocr for b in seal_boxes(p))
    opaque = tuple((p.page, r.box) for p in ocr for r in p.readings if r.field == "seal" and r.text == "opaque")
    return DocLayout(first.page, sign_page, tuple(zones.items()), seals, opaque)


def _has_name(sig: tuple[Segment, ...]) -> bool:
    """A line that may be a person's name: two to five words, each capitalised, not all caps."""
    return any(regex.match(r"^\W*(?:\p{Lu}\p{Ll}+\s+){1,4}\p{Lu}\p{Ll}+\W*$", s.text) for s in sig)


def _continued(sz: dict[Zone, tuple[Segment, ...]], nxt: PageResult) -> dict[Zone, tuple[Segment, ...]]:
    """The recipients and signature block carried on to the top of the next page: its lines up
    to the first body line (one that fills the text width) or a new document's header."""
    segs = segments(nxt)
    if not segs:
        return sz
    width = nxt.width or max(s.box[2] for s in segs)
    centre = _centre(segs, width)
    lh = _line_h(segs)
    top: list[Segment] = []
    for s in segs:
        f = folded(s.text)
        if s.box[2] - s.box[0] > 0.6 * width or _MOTTO.search(f) or _ATTACHED.match(f) or _SO.match(f):
            break
        if top and s.box[1] - top[-1].box[3] > 6 * lh:
            break
        top.append(s)
    left = tuple(s for s in top if s.cx < centre and s.box[0] < centre - 0.1 * width)
    right = tuple(s for s in top if s.cx > centre and s.box[0] > centre - 0.15 * width)
    out = dict(sz)
    if (sz.get(Zone.RECIPIENTS) and left and _ITEM_START.match(left[0].text)) or (left and not right):
        out[Zone.RECIPIENTS] = sz.get(Zone.RECIPIENTS, ()) + left
    if right and (_has_name(right) or _AUTH_OR_TITLE.search(right[0].text)):
        # the block broken at the page's foot: its position line ('PHÓ CHỦ TỊCH') heads the next page
        out[Zone.SIGNATURE] = sz.get(Zone.SIGNATURE, ()) + right
    return out


_ITEM_START = regex.compile(r"^\s*[-–—•+*]|^\p{Ll}")
