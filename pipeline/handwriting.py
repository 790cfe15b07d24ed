"""Handwritten (or oddly typed) digits of the document number and the date line, read from the
page image between their printed anchors ("Số:" … "/SYMBOL"; "ngày" … "tháng" … "năm").

The digits are the ink components between the anchors' boxes; each is normalised to 28x28 and
classified by a small two-layer network (weights in `models/digits.npz`, built offline by
`scripts/build_digit_model.py`; inference here is numpy + OpenCV only). The model is an explicit
object: `DigitModel.load()` once per process, never at import.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .records import Word
from .resources import data_dir

MODEL_PATH = data_dir("models") / "digits.npz"  # the wheel's pipeline/models, or the checkout's models/
SIDE = 28  # the classifier's input: a digit scaled into 20x20, centred in 28x28 (MNIST layout)


# ---------------------------------------------------------------- features and the model

def normalise(mask: np.ndarray) -> np.ndarray:
    """A binary digit image (ink > 0) as a float 28x28 array: tight box, longer side scaled to
    20 px keeping the aspect, centred by its centre of mass."""
    import cv2
    ys, xs = np.nonzero(mask)
    out = np.zeros((SIDE, SIDE), np.float32)
    if len(ys) == 0:
        return out
    m: np.ndarray = mask[ys.min():ys.max() + 1, xs.min():xs.max() + 1].astype(np.float32)
    h, w = m.shape
    s = 20.0 / max(h, w)
    nh, nw = max(1, round(h * s)), max(1, round(w * s))
    m = cv2.resize(m, (nw, nh), interpolation=cv2.INTER_AREA)
    m = np.clip(m / max(float(m.max()), 1e-6), 0, 1)
    cy, cx = np.array(np.nonzero(m > 0.2)).mean(axis=1) if (m > 0.2).any() else (nh / 2, nw / 2)
    oy = min(max(round(SIDE / 2 - cy), 0), SIDE - nh)
    ox = min(max(round(SIDE / 2 - cx), 0), SIDE - nw)
    out[oy:oy + nh, ox:ox + nw] = m
    return out


def holes(img: np.ndarray) -> list[float]:
    """The loops of a normalised digit (an '8' has two, a '3' none, a '6' one low, a '9' one
    high): 1/0 for no, one, two or more closed holes, and whether one lies in the upper and one
    in the lower half. Pixel classifiers trained on few hands confuse 8 and 3 without it."""
    import cv2
    bg = np.pad((img < 0.3).astype(np.uint8), 1, constant_values=1)
    n, lab, stats, cent = cv2.connectedComponentsWithStats(bg, connectivity=4)
    ys = [cent[i][1] - 1 for i in range(1, n) if stats[i][4] >= 3 and lab[0, 0] != i]
    k = len(ys)
    return [float(k == 0), float(k == 1), float(k >= 2), float(any(y < SIDE / 2 for y in ys)),
            float(any(y >= SIDE / 2 for y in ys))]


N_FEATURES = SIDE * SIDE + 6
NO_LOOPS = np.array([1, 3, 5, 7])  # digits written without two loops (a 2 may loop at its foot and curl at its head)


def deslant(mask: np.ndarray) -> np.ndarray:
    """The digit sheared upright by its second moments (a hand's slant is not the digit's)."""
    import cv2
    ys, xs = np.nonzero(mask)
    if len(ys) < 4:
        return mask
    cy = ys.mean()
    mu02 = float(((ys - cy) ** 2).mean())
    if mu02 <= 0:
        return mask
    alpha = float(np.clip(((xs - xs.mean()) * (ys - cy)).mean() / mu02, -1.0, 1.0))
    h, w = mask.shape
    pad = int(abs(alpha) * h) + 2
    A = np.array([[1.0, -alpha, alpha * cy + pad], [0.0, 1.0, 0.0]], np.float32)
    out = cv2.warpAffine(mask.astype(np.uint8) * 255, A, (w + 2 * pad, h), flags=cv2.INTER_LINEAR) > 100
    return out if out.any() else mask


def features(mask: np.ndarray, aspect: float | None = None) -> np.ndarray:
    """Classifier input of one digit, deslanted: the 28x28 image, the box's width/height (a '1'
    is thin) and its loops (`holes`)."""
    mask = deslant(mask)
    if aspect is None:
        ys, xs = np.nonzero(mask)
        aspect = (np.ptp(xs) + 1) / (np.ptp(ys) + 1) if len(ys) else 0.0
    img = normalise(mask)
    return np.concatenate([img.ravel(), [min(aspect, 2.0)], holes(img)]).astype(np.float32)


@dataclass(frozen=True)
class DigitModel:
    """An ensemble of two-layer networks over `features` (their probabilities averaged),
    calibrated by one temperature; 10 digit classes and an optional 'no single digit' class."""
    w1: tuple[np.ndarray, ...]
    b1: tuple[np.ndarray, ...]
    w2: tuple[np.ndarray, ...]
    b2: tuple[np.ndarray, ...]
    mean: np.ndarray
    scale: np.ndarray
    temperature: float

    @classmethod
    def load(cls, path: Path | str = MODEL_PATH) -> DigitModel:
        with np.load(path, allow_pickle=False) as z:
            n = sum(1 for k in z.files if k.startswith("w1_"))
            keys = [f"_{i}" for i in range(n)] if n else [""]
            w1, b1, w2, b2 = (tuple(z[f"{w}{k}"] for k in keys) for w in ("w1", "b1", "w2", "b2"))
            return cls(w1, b1, w2, b2, z["mean"], z["scale"], float(z["temperature"]))

    def member_logits(self, x: np.ndarray) -> np.ndarray:
        """(members, n, classes) raw outputs."""
        xs = (np.atleast_2d(x) - self.mean) / self.scale
        return np.stack([np.maximum(xs @ w1 + b1, 0) @ w2 + b2
                         for w1, b1, w2, b2 in zip(self.w1, self.b1, self.w2, self.b2)])

    def scores_all(self, x: np.ndarray, temperature: float | None = None) -> np.ndarray:
        """(n, classes) probabilities: the members' softmax at the temperature, averaged."""
        z = self.member_logits(x) / (temperature or self.temperature)
        z = z - z.max(axis=2, keepdims=True)
        e = np.exp(z)
        return (e / e.sum(axis=2, keepdims=True)).mean(axis=0)

    def scores(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(n, 10) probabilities of the digits 0-9 for n feature rows, and (n,) the probability
        that a row is no single digit (two touching, a piece of one, a stroke; 0 for a model
        without that eleventh class). The digits' probabilities sum to 1 - that."""
        x = np.atleast_2d(x)
        p = self.scores_all(x)
        if x.shape[1] == N_FEATURES:  # two closed loops: an 8 (or a 0, 4, 6, 9 closed twice), never 1, 3, 5, 7
            loops2 = x[:, -3] > 0.5
            p[np.ix_(loops2, NO_LOOPS)] *= 0.05
            p /= p.sum(axis=1, keepdims=True)
        junk = p[:, 10] if p.shape[1] > 10 else np.zeros(len(p))
        return p[:, :10], junk

    def probs(self, x: np.ndarray) -> np.ndarray:
        """(n, 10) probabilities of the digits 0-9 for n feature rows (given it is one digit)."""
        p = self.scores(x)[0]
        return p / np.maximum(p.sum(axis=1, keepdims=True), 1e-12)


# ---------------------------------------------------------------- locating the fields

@dataclass(frozen=True)
class Region:
    """Where one field's digits are: a box between anchors, and the printed digits' metrics."""
    field: str  # 'number', 'day', 'month'
    box: tuple[int, int, int, int]  # x0, y0, x1, y1 (band to search)
    baseline: int
    digit_height: int
    ocr_text: str  # what Tesseract read there ('' if nothing)
    ocr_conf: float


_SO = re.compile(r"(?i)^s[ốoôổồộ6ó][:;.]?")
_SO_ONLY = re.compile(r"(?i)^s[ốoôổồộ6ó][:;.]?$")
_NGAY = re.compile(r"(?i)^ng[àa][yW]?")
_THANG = re.compile(r"(?i)^th[áa]ng")
_NAM = re.compile(r"(?i)^n[ăa]m$")
_YEAR = re.compile(r"^(19|20)\d\d[.,]?$")


def _lines(words: tuple[Word, ...]) -> dict[int, list[Word]]:
    out: dict[int, list[Word]] = {}
    for w in words:
        out.setdefault(w.line, []).append(w)
    for ws in out.values():
        ws.sort(key=lambda w: w.left)
    return out


def _date_line(words: tuple[Word, ...], height: int) -> list[Word] | None:
    """The first date line in the top third: 'ngày … tháng … năm YYYY'."""
    for _, ws in sorted(_lines(words).items(), key=lambda kv: kv[1][0].top):
        if ws[0].top > height * 0.3:
            break
        texts = [w.text for w in ws]
        if any(_NGAY.match(t) for t in texts) and any(_NAM.match(t) or _YEAR.match(t) for t in texts) \
                and any(_THANG.match(t) or "tháng" in t.lower() for t in texts):
            return ws
    return None


def _number_line(words: tuple[Word, ...], height: int) -> list[Word] | None:
    """The first line in the top third that starts (in some column) with 'Số' and holds a '/'."""
    for _, ws in sorted(_lines(words).items(), key=lambda kv: kv[1][0].top):
        if ws[0].top > height * 0.4:
            break
        for i, w in enumerate(ws):
            if _SO.match(w.text) and any("/" in x.text for x in ws[i:i + 4]) and not re.search(r"(?i)ngày|năm", w.text):
                return ws[i:]
    return None


def _ocr_between(ws: list[Word], x0: int, x1: int) -> tuple[str, float]:
    """Tesseract's text (and lowest confidence) of the words centred strictly between x0 and x1."""
    inside = [w for w in ws if x0 < w.left + w.width // 2 < x1]
    if not inside:
        return "", 0.0
    return "".join(w.text for w in inside), min(w.conf for w in inside)


# widths of the printed anchors in digit heights (Times-like fonts, upright or italic, measured)
NGAY_W, THANG_W, SO_W, SO_BARE_W = 3.0, 3.45, 1.85, 1.45


def _anchor_span(w: Word, rx: re.Pattern, width: float) -> tuple[int, int]:
    """The anchor's own ink span inside a word box that may also hold digits glued before or
    after it ('19tháng', 'ngày06', 'Số:271'): the box when the text is just the anchor."""
    t = w.text
    m = rx.search(t)
    if m is None:
        return w.left, w.left + w.width
    if m.start() == 0 and m.end() >= len(t) - 1:
        return w.left, w.left + min(w.width, int(width))
    if m.start() == 0:
        return w.left, w.left + int(width)
    if m.end() >= len(t) - 1:
        return w.left + w.width - int(width), w.left + w.width
    a = w.left + int(w.width * m.start() / len(t))  # in the middle ('18tháng02'): by letters
    return a, a + int(width)


_NGAY_IN = re.compile(r"(?i)ng[àa][yW]?")
_THANG_IN = re.compile(r"(?i)th[áa]ng")
_SO_IN = re.compile(r"(?i)^s[ốoôổồộ6ó]:?")


def locate(words: tuple[Word, ...], width: int, height: int) -> list[Region]:
    """The number, day and month regions found by their anchors (empty when there are none)."""
    out: list[Region] = []
    year = None
    dl = _date_line(words, height)
    if dl:
        year = next((w for w in dl if _YEAR.match(w.text)), None)
        ngay = next(w for w in dl if _NGAY.match(w.text))
        hd = year.height if year else int(ngay.height * 0.62)
        base = year.top + year.height if year else ngay.top + int(ngay.height * 0.8)
        thang = next((w for w in dl if w.left > ngay.left and _THANG_IN.search(w.text)), None)
        nam = next((w for w in dl if w.left > ngay.left + ngay.width // 2 and (_NAM.match(w.text) or _YEAR.match(w.text))), None)
        y0, y1 = base - int(2.0 * hd), base + int(0.8 * hd)
        if thang:
            x0 = _anchor_span(ngay, _NGAY_IN, NGAY_W * hd)[1]
            tx0, tx1 = _anchor_span(thang, _THANG_IN, THANG_W * hd)
            if _THANG.fullmatch(thang.text) and thang.width > 1.2 * THANG_W * hd:
                tx0 = thang.left + thang.width - int(THANG_W * hd)  # a pen stroke of the day in its box
            t, c = _ocr_between(dl, ngay.left + ngay.width // 2, thang.left + thang.width // 2)
            glued = ngay.text[4:] + t + _THANG_IN.split(thang.text)[0]
            out.append(Region("day", (x0, y0, max(tx0, x0 + 1), y1), base, hd, glued, c))
            if nam:
                t, c = _ocr_between(dl, thang.left + thang.width // 2, nam.left)
                out.append(Region("month", (tx1, y0, max(nam.left, tx1 + 1), y1), base, hd,
                                  _THANG_IN.split(thang.text)[-1] + t, c))
    nl = _number_line(words, height)
    if nl:
        so = nl[0]
        sym = next(w for w in nl[:4] if "/" in w.text)
        hd = year.height if year else int(so.height * 0.75)
        base = (sym.top + sym.height) if sym.text.startswith("/") else so.top + so.height
        x0 = _anchor_span(so, _SO_IN, (SO_W if ":" in so.text else SO_BARE_W) * hd)[1]
        if sym.text.startswith("/"):
            x1 = sym.left
        else:
            i = sym.text.index("/")
            x1 = sym.left + int(sym.width * (i + 0.5) / max(len(sym.text), 1))
        t, c = _ocr_between(nl, so.left + so.width // 2, x1)
        t = _SO_IN.sub("", so.text) + t if so is not sym else so.text
        y0, y1 = base - int(2.0 * hd), base + int(0.8 * hd)
        out.append(Region("number", (x0, y0, max(x1, x0 + 1), y1), base, hd, t, c))
    return [r for r in out if r.box[2] > r.box[0] and 0 < r.digit_height < height / 10]


def _slash_like(m: np.ndarray, hd: int) -> bool:
    """A '/' stroke: tall, narrow, and its top row's ink right of its bottom row's."""
    h, w = m.shape
    if h < 0.95 * hd or not 0.15 * h <= w <= 0.7 * h:
        return False
    k = max(1, h // 6)
    top = np.nonzero(m[:k].any(axis=0))[0]
    bot = np.nonzero(m[-k:].any(axis=0))[0]
    return len(top) > 0 and len(bot) > 0 and top.mean() - bot.mean() > 0.45 * w


# ---------------------------------------------------------------- segmenting and reading

@dataclass(frozen=True)
class Glyph:
    """One digit's ink: its mask and box in page pixels."""
    mask: np.ndarray
    box: tuple[int, int, int, int]


def ink_mask(gray: np.ndarray) -> np.ndarray:
    """Dark ink of a band of the page (pen or print) as a boolean mask: Otsu's threshold, kept
    below 200 so a blank band stays blank. Ink is at or below the threshold: on a normalised
    page of saturated black and white Otsu returns 0."""
    import cv2
    t, _ = cv2.threshold(gray, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    t = min(float(t), 200.0)
    if int(gray.max()) - int(gray.min()) < 60:
        return np.zeros(gray.shape, bool)
    return gray <= t


def _cut(m: np.ndarray, k: int) -> list[tuple[int, int]]:
    """Column spans cutting a blob into k pieces at its thinnest columns near the equal parts."""
    w = m.shape[1]
    cuts = [0]
    if k > 1:
        col = m.sum(axis=0).astype(float)
        for j in range(1, k):
            c = int(w * j / k)
            lo, hi = max(cuts[-1] + 2, c - w // (3 * k)), min(w - 2, c + w // (3 * k))
            cuts.append(lo + int(np.argmin(col[lo:hi])) if hi > lo else c)
    cuts.append(w)
    return list(zip(cuts, cuts[1:]))


def _pieces(m: np.ndarray, gx0: int, top: int, k: int, hd: int) -> list[Glyph] | None:
    """A blob cut into k glyphs; None when a piece is no digit's size (a flat stroke, a sliver)."""
    out = []
    for c0, c1 in _cut(m, k):
        piece = m[:, c0:c1]
        ys = np.nonzero(piece.any(axis=1))[0]
        if len(ys) == 0 or c1 - c0 < 2:
            if k > 1:
                return None
            continue
        if k > 1 and (ys[-1] + 1 - ys[0] < 0.5 * hd or c1 - c0 < 0.12 * m.shape[0]):
            return None
        out.append(Glyph(piece[ys[0]:ys[-1] + 1], (gx0 + c0, top + ys[0], gx0 + c1, top + ys[-1] + 1)))
    return out


def _best_split(model: DigitModel, m: np.ndarray, gx0: int, top: int, hd: int) -> list[Glyph]:
    """A blob as one glyph, or cut into 2-3 where its pieces read better: only a blob that is
    no confident single digit (the model's 'no digit' class, a wide '1', a very wide blob) is
    cut, at the thin columns of its middle half (touching digits, a long crossed 7)."""
    h, w = m.shape
    whole = _pieces(m, gx0, top, 1, hd)
    if not whole:
        return []
    p, junk = model.scores(features(whole[0].mask))
    d = int(p[0].argmax())
    if junk[0] < 0.5 and w < 1.2 * h and not (d == 1 and w >= 0.6 * h):
        return whole
    best = (float(np.log(max(float(p.max()), 1e-6))), whole)
    col = m.sum(axis=0)
    cuts = {c for c in range(w // 4, 3 * w // 4 + 1) if 0 < c < w - 1 and col[c] <= col[c - 1] and col[c] <= col[c + 1]}
    cands = [_split_at(m, gx0, top, c, hd) for c in sorted(cuts)] + [_pieces(m, gx0, top, 2, hd)]
    if w >= 1.2 * h:
        cands.append(_pieces(m, gx0, top, 3, hd))
    for gs in cands:
        if not gs:
            continue
        q, j = model.scores(np.stack([features(g.mask) for g in gs]))
        if j.max() >= 0.3:
            continue
        score = float(np.log(np.maximum(q.max(axis=1), 1e-6)).sum())
        if score > best[0] + 0.05:
            best = (score, gs)
    return best[1]


def _split_at(m: np.ndarray, gx0: int, top: int, c: int, hd: int) -> list[Glyph] | None:
    """A blob cut in two at column c; None when a piece is no digit's size."""
    out = []
    for c0, c1 in ((0, c), (c, m.shape[1])):
        piece = m[:, c0:c1]
        ys = np.nonzero(piece.any(axis=1))[0]
        if len(ys) == 0 or c1 - c0 < 0.12 * m.shape[0] or ys[-1] + 1 - ys[0] < 0.5 * hd:
            return None
        out.append(Glyph(piece[ys[0]:ys[-1] + 1], (gx0 + c0, top + ys[0], gx0 + c1, top + ys[-1] + 1)))
    return out


def _touching_anchor(comp: np.ndarray, at: int, base: int, hd: int, model: DigitModel | None) -> tuple[int, int, int] | None:
    """Where a component that runs from the anchor's last letter into the field is cut (column
    near `at`, the anchor's end), with the top and height of the part right of it; None when
    that part is no digit (not tall enough, or only a letter's descender)."""
    col = comp.sum(axis=0)
    w = comp.shape[1]
    lo, hi = max(1, at - int(0.8 * hd)), min(w - 2, at + int(0.2 * hd))
    if hi <= lo:
        return None
    cands = []
    for c in range(lo, hi):
        ys = np.nonzero(comp[:, c:].any(axis=1))[0]
        if len(ys) and ys[-1] + 1 - ys[0] >= 0.85 * hd and ys[0] <= base - 0.8 * hd:  # not a 'g' or 'y'
            cands.append((c, int(ys[0]), int(ys[-1] + 1 - ys[0])))
    if not cands:
        return None
    if model is None:
        return min(cands, key=lambda t: (col[t[0]], -t[0]))
    p, junk = model.scores(np.stack([features(comp[y:y + h, c:]) for c, y, h in cands]))
    return cands[int(np.argmax(p.max(axis=1)))]


def glyphs(gray: np.ndarray, region: Region, model: DigitModel | None = None) -> list[Glyph]:
    """The digit components of a region, left to right: components centred between the anchors
    and tall enough (dots, colons, accents dropped); for the number, nothing from a '/' on;
    pieces stacked in one column merged; blobs cut into digits: with a model where its pieces
    read best (touching digits, a long crossed 7), else too wide blobs at their thinnest columns."""
    import cv2
    H, W = gray.shape
    x0, y0, x1, y1 = region.box
    hd = region.digit_height
    y0, y1 = max(0, y0), min(H, y1)
    bx0, bx1 = max(0, x0 - 3 * hd), min(W, x1 + 3 * hd)
    if x1 - x0 < 3 or y1 - y0 < 3 or bx1 - bx0 < 3:
        return []
    band = gray[y0:y1, bx0:bx1]
    mask = ink_mask(band).astype(np.uint8)
    n, lab, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    base = region.baseline - y0
    boxes = []
    for i in range(1, n):
        x, y, w, h, a = stats[i]
        cx, cy = bx0 + x + w / 2, y + h / 2
        if bx0 + x < x0 - 0.25 * hd and bx0 + x + w - x0 >= 0.3 * hd:  # a digit touching the anchor's last letter
            cut = _touching_anchor(lab[:, x:x + w] == i, x0 - bx0 - x, base, hd, model)
            if cut is not None:
                c, y, h = cut
                x, w = x + c, w - c
                cx, cy = max(x0, bx0 + x + w / 2), y + h / 2  # kept even when the cut part leans left
        inside = x0 <= cx <= x1 or (x0 - 0.5 * hd <= cx < x0 and bx0 + x + w - x0 >= 0.3 * w)  # a '1' leaning on 'ngày'
        if not inside or h < 0.5 * hd or a < 0.02 * hd * hd:
            continue
        if cy < base - 1.9 * hd or cy > base + 0.6 * hd or h > 3.5 * hd or w > 6 * hd:
            continue
        if y == 0 and y + h < base - 1.2 * hd:  # hanging from the line above
            continue
        boxes.append([bx0 + x, y, bx0 + x + w, y + h, [i]])
    boxes.sort(key=lambda b: b[0])
    if region.field == "number":
        for j, b in enumerate(boxes):
            if j and _slash_like(np.isin(lab[b[1]:b[3], b[0] - bx0:b[2] - bx0], b[4]), hd):
                boxes = boxes[:j]
                break
    merged: list[list] = []
    for b in boxes:
        if merged:
            p = merged[-1]
            ov = min(p[2], b[2]) - max(p[0], b[0])
            if ov > 0.5 * min(p[2] - p[0], b[2] - b[0]):
                merged[-1] = [min(p[0], b[0]), min(p[1], b[1]), max(p[2], b[2]), max(p[3], b[3]), p[4] + b[4]]
                continue
        merged.append(b)
    out: list[Glyph] = []
    for gx0, by, gx1, by2, ids in merged:
        m = np.isin(lab[by:by2, gx0 - bx0:gx1 - bx0], ids)
        w, h = gx1 - gx0, by2 - by
        if model is not None:
            out.extend(_best_split(model, m, gx0, y0 + by, hd))
            continue
        k = max(1, round(w / (0.75 * h))) if w > 1.05 * h else 1
        out.extend(_pieces(m, gx0, y0 + by, k, hd) or _pieces(m, gx0, y0 + by, 1, hd) or [])
    return out


@dataclass(frozen=True)
class FieldRead:
    """The digits read in one region: best string, its probability, the next best strings."""
    field: str
    text: str
    prob: float  # 0-1, product of the digits' probabilities
    alternatives: tuple[tuple[str, float], ...]
    box: tuple[int, int, int, int]
    digit_probs: tuple[float, ...]
    heights: tuple[int, ...]


def read_glyphs(model: DigitModel, field: str, gs: list[Glyph], k: int = 5) -> FieldRead | None:
    """The k most probable digit strings for a run of glyphs (independent digits)."""
    if not gs or len(gs) > 6:
        return None
    p = model.probs(np.stack([features(g.mask) for g in gs]))
    beams: list[tuple[str, float]] = [("", 1.0)]
    for row in p:
        top = np.argsort(row)[::-1][:3]
        beams = sorted(((s + str(d), q * float(row[d])) for s, q in beams for d in top), key=lambda t: -t[1])[:k]
    box = (min(g.box[0] for g in gs), min(g.box[1] for g in gs), max(g.box[2] for g in gs), max(g.box[3] for g in gs))
    return FieldRead(field, beams[0][0], beams[0][1], tuple(beams[1:]), box,
                     tuple(float(r.max()) for r in p), tuple(g.box[3] - g.box[1] for g in gs))


def read_page(model: DigitModel, gray: np.ndarray, words: tuple[Word, ...]) -> list[tuple[Region, FieldRead | None]]:
    """Every anchored field of a page image (uint8 array) with what its digits read."""
    H, W = gray.shape
    return [(r, read_glyphs(model, r.field, glyphs(gray, r, model))) for r in locate(words, W, H)]


def looks_printed(region: Region, fr: FieldRead) -> bool:
    """Printed digits: Tesseract read digits there with confidence, and every glyph is as tall
    as the printed year on the line (a pen writes taller, shorter or unevenly)."""
    digits = re.sub(r"[^0-9]", "", region.ocr_text)
    if digits != fr.text or region.ocr_conf < 80:
        return False
    return all(abs(h - region.digit_height) <= 0.15 * region.digit_height for h in fr.heights)


def entropy_conf(p: float) -> float:
    """A probability as a 0-100 confidence, rounded."""
    return round(100.0 * min(max(p, 0.0), 1.0), 1)


__all__ = [
    "MODEL_PATH",
    "N_FEATURES",
    "DigitModel",
    "FieldRead",
    "Glyph",
    "Region",
    "features",
    "glyphs",
    "locate",
    "looks_printed",
    "normalise",
    "read_glyphs",
    "read_page",
]
