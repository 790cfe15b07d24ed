#!/usr/bin/env python3
"""Build models/digits.npz, the handwritten-digit classifier of pipeline/handwriting.py, offline.

Training data: scikit-learn's bundled handwritten digits (`load_digits`, shipped inside the
package), digits rendered from Debian handwriting fonts and from print fonts (Times-like and sans,
upright and italic) with distortions (stroke width, slant, rotation, elastic noise, crossed 7,
open 4), and real crops cut from the sample scans/pages between their printed anchors, labelled by
the gold records (cut from the page image and words the OCR worker reads: bench/handwriting_bench.py
first_page); besides, digits as cut out of two touching ones (`touching`) and shapes that are no
single digit (`junk`). Crops of HELD_ASIDE documents are written to tests/data/handwriting/ and never
trained on. Needs scikit-learn (`pip install -e .[models]`) and the fonts (apt install
fonts-bwht fonts-breip fonts-dkg-handwriting fonts-femkeklaver fonts-humor-sans) at build time only.

Usage: python scripts/build_digit_model.py [--samples DIR] [--no-real] [-o models/digits.npz]
"""
from __future__ import annotations

import argparse
import glob
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from pipeline import handwriting as hw  # noqa: E402

HAND_FONTS = ["/usr/share/fonts/opentype/bwht/*.otf", "/usr/share/fonts/truetype/breip/*.ttf",
              "/usr/share/fonts/truetype/fifthhorseman/*.ttf", "/usr/share/fonts/truetype/femkeklaver/*.ttf",
              "/usr/share/fonts/truetype/humor-sans/*.ttf", "/usr/share/fonts/truetype/*/Humor*.ttf"]
PRINT_FONTS = ["/usr/share/fonts/truetype/liberation2/LiberationSerif-*.ttf",
               "/usr/share/fonts/truetype/liberation2/LiberationSans-*.ttf",
               "/usr/share/fonts/truetype/dejavu/DejaVuSerif*.ttf", "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
               "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"]
# documents whose crops are kept for testing only (tests/data/handwriting/)
HELD_ASIDE = ("24 TTR", "2770 (08", "404.signed", "QD206")
HIDDEN = (160, 128, 192)  # the ensemble members' hidden units
REAL_COPIES = 20  # each real crop weighs as much as 20 rendered digits (itself and 19 distorted copies)


def fonts(patterns: list[str]) -> list[str]:
    return sorted({f for p in patterns for f in glob.glob(p)})


def render(font: str, d: str, size: int = 64) -> np.ndarray:
    """One digit drawn in a font as a boolean mask (tight box)."""
    from PIL import Image, ImageDraw, ImageFont
    f = ImageFont.truetype(font, size)
    im = Image.new("L", (size * 2, size * 2), 0)
    ImageDraw.Draw(im).text((size // 2, size // 4), d, fill=255, font=f)
    a = np.asarray(im) > 127
    ys, xs = np.nonzero(a)
    return a[ys.min():ys.max() + 1, xs.min():xs.max() + 1] if len(ys) else a


def distort(m: np.ndarray, rng: np.random.Generator, digit: int, light: bool = False) -> np.ndarray:
    """Stroke width, slant, rotation, scale, elastic noise; 7s crossed, 4s opened, 1s given a
    lead-in stroke at random
    (`light`: a real crop, moved less, its shape kept)."""
    import cv2
    m = np.pad(m.astype(np.uint8) * 255, 12)
    h, w = m.shape
    if digit == 7 and rng.random() < 0.4:  # the Vietnamese crossed 7
        y = int(h * rng.uniform(0.45, 0.6))
        cv2.line(m, (int(w * 0.3), y), (int(w * 0.75), y), 255, max(2, h // 18))
    if digit == 1 and rng.random() < 0.5:  # the 1 with a long lead-in stroke from its top, down to the left
        ys, xs = np.nonzero(m)
        top = ys.min()
        xt = int(xs[ys == top].mean())
        ln, ang = (ys.max() - top) * rng.uniform(0.25, 0.6), np.deg2rad(rng.uniform(15, 60))
        stroke = max(2, int(m.sum() / 255 / max(ys.max() - top, 1)))
        cv2.line(m, (xt, top), (int(xt - ln * np.cos(ang)), int(top + ln * np.sin(ang))), 255, stroke)
    if digit == 4 and rng.random() < 0.4:  # open 4: cut the top of the closed triangle
        ys, xs = np.nonzero(m)
        top = ys.min()
        m[top:top + int((ys.max() - top) * 0.35), xs.min() + int((xs.max() - xs.min()) * 0.55):] = 0
    f = 0.4 if light else 1.0
    shear = rng.uniform(-0.35, 0.35) * f
    ang = np.deg2rad(rng.uniform(-10, 10) * f)
    sx, sy = rng.uniform(0.75, 1.2), rng.uniform(0.85, 1.15)
    A = np.array([[np.cos(ang) * sx, -np.sin(ang) + shear, 0], [np.sin(ang), np.cos(ang) * sy, 0]])
    A[:, 2] = np.array([w / 2, h / 2]) - A[:, :2] @ np.array([w / 2, h / 2])
    m = cv2.warpAffine(m, A, (w, h), flags=cv2.INTER_LINEAR)
    if rng.random() < 0.6 * f:  # elastic noise
        dx = cv2.GaussianBlur((rng.random((h, w)) * 2 - 1).astype(np.float32), (0, 0), 6) * rng.uniform(20, 60)
        dy = cv2.GaussianBlur((rng.random((h, w)) * 2 - 1).astype(np.float32), (0, 0), 6) * rng.uniform(20, 60)
        gx, gy = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
        m = cv2.remap(m, gx + dx, gy + dy, cv2.INTER_LINEAR)
    k = int(rng.integers(-1, 2)) if light else int(rng.integers(-2, 4))
    if k > 0:
        m = cv2.dilate(m, np.ones((k + 1, k + 1), np.uint8))
    elif k < 0:
        m = cv2.erode(m, np.ones((2, 2), np.uint8))
    b = m > 100
    if rng.random() < 0.3:  # speckle and small breaks as in a scan
        b ^= rng.random(b.shape) < 0.01
    if not light and rng.random() < GAP_P:
        b = stroke_gap(b, rng)
    return b


GAP_P = 0.0  # share of rendered digits given a pen gap (0.2 tried: a --no-real build then read a wrong number at 99 %)


def stroke_gap(b: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A gap of about a stroke's width at a random point of the ink (a pen lifted, a loop left
    open at its top, a faint scan): loops are evidence, not proof."""
    import cv2
    ys, xs = np.nonzero(b)
    if len(ys) < 20:
        return b
    h = ys.max() - ys.min() + 1
    stroke = max(1.0, float(b.sum()) / max(h, 1) / 2)
    i = int(rng.integers(len(ys)))
    m = b.astype(np.uint8)
    cv2.circle(m, (int(xs[i]), int(ys[i])), max(1, round(stroke * rng.uniform(0.6, 1.1))), 0, -1)
    return m > 0


TOUCHING_SHARE = 8  # one row in 8 of the single digits again as cut out of a touching pair
JUNK = 10  # the eleventh class: no single digit (two touching, a piece of one, a stroke)


def sklearn_digits() -> tuple[np.ndarray, np.ndarray, list[np.ndarray]]:
    import cv2
    from sklearn.datasets import load_digits
    d = load_digits()
    M = [cv2.resize(im.astype(np.float32), (32, 32), interpolation=cv2.INTER_LINEAR) > 5 for im in d.images]
    X = np.stack([hw.features(m) for m in M])
    X[:, -5:] = np.nan  # 8x8 scans blur the loops away (half their 8s show none): their loop features unknown
    return X, d.target.astype(np.int64), M


def font_digits(rng: np.random.Generator, per_font: int) -> tuple[np.ndarray, np.ndarray, list[np.ndarray]]:
    M, y = [], []
    for fonts_, n in ((fonts(HAND_FONTS), per_font), (fonts(PRINT_FONTS), max(1, per_font // 3))):
        for f in fonts_:
            for d in range(10):
                try:
                    base = render(f, str(d))
                except OSError:
                    continue
                if base.sum() < 10:
                    continue
                for _ in range(n):
                    M.append(distort(base, rng, d))
                    y.append(d)
    return np.stack([hw.features(m) for m in M]), np.array(y), M


def _tight(m: np.ndarray) -> np.ndarray:
    ys, xs = np.nonzero(m)
    return m[ys.min():ys.max() + 1, xs.min():xs.max() + 1] if len(ys) else m


def _height(m: np.ndarray, h: int) -> np.ndarray:
    import cv2
    m = _tight(m)
    w = max(2, round(m.shape[1] * h / max(m.shape[0], 1)))
    return cv2.resize(m.astype(np.uint8) * 255, (w, h), interpolation=cv2.INTER_LINEAR) > 100


def _pair(rng: np.random.Generator, a: np.ndarray, b: np.ndarray, overlap: tuple[float, float]) -> tuple[np.ndarray, int, int]:
    """Two digits side by side at a line's height, the second moved up or down a little and
    overlapping the first by a random share of the narrower one's width: the canvas, where the
    second starts and where the first ends."""
    a = _height(a, 40)
    b = _height(b, int(40 * rng.uniform(0.85, 1.15)))
    dy = int(rng.integers(-5, 6))
    ov = int(min(a.shape[1], b.shape[1]) * rng.uniform(*overlap))
    x = a.shape[1] - ov
    c = np.zeros((60, max(x + b.shape[1], a.shape[1]) + 2), bool)
    c[10:10 + a.shape[0], :a.shape[1]] |= a
    c[10 + dy:10 + dy + b.shape[0], x:x + b.shape[1]] |= b
    return c, x, a.shape[1]


def touching(rng: np.random.Generator, pools: list[tuple[list[np.ndarray], np.ndarray]], n: int) -> tuple[np.ndarray, np.ndarray]:
    """Digits as the reader cuts them out of two touching ones: a pair drawn touching or
    overlapping a little, cut at the thinnest column where they meet (a stub of the neighbour
    kept, or a bit of the digit lost), each piece labelled with its digit when it holds most
    of that digit's ink and little of the other's."""
    X, y = [], []
    while len(X) < n:
        pa, pb = pools[int(rng.integers(len(pools)))], pools[int(rng.integers(len(pools)))]
        ia, ib = int(rng.integers(len(pa[0]))), int(rng.integers(len(pb[0])))
        da, db = int(pa[1][ia]), int(pb[1][ib])
        if not pa[0][ia].any() or not pb[0][ib].any():
            continue
        c, x, aend = _pair(rng, pa[0][ia], pb[0][ib], (0.0, 0.25))
        lo, hi = max(1, min(x, aend) - 3), min(c.shape[1] - 1, max(x, aend) + 3)
        col = c.sum(axis=0)
        if hi <= lo:
            continue
        cut = lo + int(np.argmin(col[lo:hi]))
        for piece, d, own in ((c[:, :cut], da, c[:, :aend].sum()), (c[:, cut:], db, c[:, x:].sum())):
            if piece.sum() >= 0.8 * own and piece.any():
                X.append(hw.features(_tight(piece)))
                y.append(d)
    return np.stack(X), np.array(y)


def junk(rng: np.random.Generator, pools: list[list[np.ndarray]], n: int) -> np.ndarray:
    """Feature rows of shapes that are no single digit, as the segmenter may cut them: two
    digits touching or overlapping (the commonest), a digit's left or right part, a stroke."""
    import cv2
    X = []
    while len(X) < n:
        r = rng.random()
        if r < 0.6:
            pa, pb = pools[int(rng.integers(len(pools)))], pools[int(rng.integers(len(pools)))]
            m = _pair(rng, pa[int(rng.integers(len(pa)))], pb[int(rng.integers(len(pb)))], (-0.02, 0.3))[0]
        elif r < 0.9:
            p = pools[int(rng.integers(len(pools)))]
            m = _tight(p[int(rng.integers(len(p)))])
            h, w = m.shape
            if w < 0.5 * h:
                continue
            cut = int(w * rng.uniform(0.3, 0.7))
            m = _tight(m[:, :cut] if rng.random() < 0.5 else m[:, cut:])
            if m.size == 0 or m.shape[1] < 0.35 * m.shape[0] or m.shape[0] < 0.5 * h:
                continue  # a thin stroke is a '1' as much as a fragment
        else:
            c = np.zeros((60, 80), np.uint8)
            ang = np.deg2rad(rng.uniform(-15, 15))
            ln = rng.uniform(25, 60)
            p0 = (40 - int(ln / 2 * np.cos(ang)), 30 - int(ln / 2 * np.sin(ang)))
            p1 = (40 + int(ln / 2 * np.cos(ang)), 30 + int(ln / 2 * np.sin(ang)))
            cv2.line(c, p0, p1, 255, int(rng.integers(2, 6)))
            m = c > 0
        if m.any():
            X.append(hw.features(m))
    return np.stack(X)


def real_crops(samples: Path, out_dir: Path | None) -> tuple[list[np.ndarray], np.ndarray, list[np.ndarray], list[str]]:
    """Digit crops from the sample pages where the glyph count matches the gold's digits; the
    HELD_ASIDE documents' crops are returned apart (for tests), not as training data."""
    from handwriting_bench import documents, first_page
    X, y, held, names = [], [], [], []
    for _name, p, kind, gold in documents(samples):
        seen = first_page(p, kind, reuse=True)[1]  # the image and words the OCR worker reads
        if seen is None:
            continue
        img, _, words = seen
        gray = np.asarray(img.convert("L"))
        date = gold.get("date", "")
        want = {"number": gold.get("number", ""), "day": date[8:10], "month": date[5:7]}
        for r in hw.locate(words, img.width, img.height):
            gs = hw.glyphs(gray, r)
            w = want.get(r.field, "")
            if len(gs) != len(w):
                w = w.lstrip("0")
            if not w or len(gs) != len(w) or not w.isdigit():
                continue
            for i, (g, d) in enumerate(zip(gs, w)):
                if any(p.name.startswith(h) for h in HELD_ASIDE):
                    held.append(g.mask)
                    names.append(f"{d}_{p.stem[:12].replace(' ', '_')}_{r.field}_{i}.png")
                else:
                    X.append(g.mask)
                    y.append(int(d))
    if out_dir is not None:
        from PIL import Image
        out_dir.mkdir(parents=True, exist_ok=True)
        for m, n in zip(held, names):
            Image.fromarray((~m).astype(np.uint8) * 255).save(out_dir / n)
    return X, np.array(y), held, names


def fit_temperature(logits: np.ndarray, y: np.ndarray) -> float:
    """The softmax temperature of least negative log-likelihood on held-out rows (`logits`:
    members x rows x classes; the members' probabilities are averaged)."""
    best, best_t = 1e9, 1.0
    for t in np.arange(0.5, 4.01, 0.05):
        z = logits / t
        z = z - z.max(axis=2, keepdims=True)
        p = (np.exp(z) / np.exp(z).sum(axis=2, keepdims=True)).mean(axis=0)
        nll = -np.log(np.maximum(p[np.arange(len(y)), y], 1e-12)).mean()
        if nll < best:
            best, best_t = nll, float(t)
    return best_t


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--samples", default="/work/shared/samples")
    ap.add_argument("--no-real", action="store_true", help="train without the real crops (honest bench)")
    ap.add_argument("--per-font", type=int, default=60)
    ap.add_argument("--iters", type=int, default=40, help="training epochs of each network")
    ap.add_argument("-o", "--out", default=str(ROOT / "models" / "digits.npz"))
    a = ap.parse_args()
    from sklearn.neural_network import MLPClassifier
    rng = np.random.default_rng(0)
    sk, fo = sklearn_digits(), font_digits(rng, a.per_font)
    parts = [sk[:2], fo[:2]]
    pools = [sk[2], fo[2]]
    Mr, yr, _, names = real_crops(Path(a.samples), ROOT / "tests" / "data" / "handwriting")
    print(f"real crops: {len(yr)} for training, {len(names)} held aside", file=sys.stderr)
    if not a.no_real and len(yr):  # few, so weighed up: each crop and distorted copies of it
        Ma = list(Mr) + [distort(m, rng, -1, light=True) for m in Mr for _ in range(REAL_COPIES - 1)]
        parts.append((np.stack([hw.features(m) for m in Ma]), np.array(list(yr) + [d for d in yr for _ in range(REAL_COPIES - 1)])))
        pools.append(Ma)
    Xj = junk(rng, pools, (len(sk[1]) + len(fo[1])) // 8)
    parts.append((Xj, np.full(len(Xj), JUNK)))
    labelled = [(fo[2], fo[1])] + ([(pools[2], parts[2][1])] if len(pools) > 2 else [])
    parts.append(touching(rng, labelled, (len(sk[1]) + len(fo[1])) // TOUCHING_SHARE))  # print and pen fonts only: 8x8 scans have no loops
    X = np.concatenate([p[0] for p in parts])
    y = np.concatenate([p[1] for p in parts])
    print(f"training rows: {len(y)} ({', '.join(str(len(p[1])) for p in parts)})", file=sys.stderr)
    idx = rng.permutation(len(y))
    nval = len(y) // 10
    val, tr = idx[:nval], idx[nval:]
    mean = np.nanmean(X[tr], axis=0)
    scale = np.nanstd(X[tr], axis=0) + 0.1
    X = np.where(np.isnan(X), mean, X)  # unknown features: the mean, 0 once standardised
    members = []
    for seed, hidden in enumerate(HIDDEN):  # an ensemble: members disagree where the data gave no evidence
        clf = MLPClassifier(hidden_layer_sizes=(hidden,), alpha=1e-3, batch_size=256, max_iter=a.iters,
                            early_stopping=False, random_state=seed)
        clf.fit((X[tr] - mean) / scale, y[tr])
        members.append((clf.coefs_[0], clf.intercepts_[0], clf.coefs_[1], clf.intercepts_[1]))
    f32 = np.float32
    model = hw.DigitModel(tuple(m[0].astype(f32) for m in members), tuple(m[1].astype(f32) for m in members),
                          tuple(m[2].astype(f32) for m in members), tuple(m[3].astype(f32) for m in members),
                          mean.astype(f32), scale.astype(f32), 1.0)
    logits = model.member_logits(X[val])
    t = fit_temperature(logits, y[val])
    acc = float((model.scores_all(X[val], t).argmax(axis=1) == y[val]).mean())
    print(f"validation accuracy {acc:.4f}, temperature {t:.2f}", file=sys.stderr)
    out = {"mean": model.mean, "scale": model.scale, "temperature": np.array(t, f32)}
    for i, m in enumerate(members):
        out.update({f"w1_{i}": m[0].astype(f32), f"b1_{i}": m[1].astype(f32), f"w2_{i}": m[2].astype(f32),
                    f"b2_{i}": m[3].astype(f32)})
    np.savez_compressed(a.out, **out)


if __name__ == "__main__":
    main()
