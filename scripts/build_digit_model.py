#!/usr/bin/env python3
"""Build models/digits.npz, the handwritten-digit classifier of pipeline/handwriting.py, offline.

Training data: scikit-learn's bundled handwritten digits (`load_digits`, shipped inside the
package), digits rendered from Debian handwriting fonts and from print fonts (Times-like and sans,
upright and italic) with distortions (stroke width, slant, rotation, elastic noise, crossed 7,
open 4), and real crops cut from the sample scans/pages between their printed anchors, labelled by
the gold records. Crops of HELD_ASIDE documents are written to tests/data/handwriting/ and never
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


def distort(m: np.ndarray, rng: np.random.Generator, digit: int) -> np.ndarray:
    """Stroke width, slant, rotation, scale, elastic noise; 7s crossed, 4s opened at random."""
    import cv2
    m = np.pad(m.astype(np.uint8) * 255, 12)
    h, w = m.shape
    if digit == 7 and rng.random() < 0.4:  # the Vietnamese crossed 7
        y = int(h * rng.uniform(0.45, 0.6))
        cv2.line(m, (int(w * 0.3), y), (int(w * 0.75), y), 255, max(2, h // 18))
    if digit == 4 and rng.random() < 0.4:  # open 4: cut the top of the closed triangle
        ys, xs = np.nonzero(m)
        top = ys.min()
        m[top:top + int((ys.max() - top) * 0.35), xs.min() + int((xs.max() - xs.min()) * 0.55):] = 0
    shear = rng.uniform(-0.35, 0.35)
    ang = np.deg2rad(rng.uniform(-10, 10))
    sx, sy = rng.uniform(0.75, 1.2), rng.uniform(0.85, 1.15)
    A = np.array([[np.cos(ang) * sx, -np.sin(ang) + shear, 0], [np.sin(ang), np.cos(ang) * sy, 0]])
    A[:, 2] = np.array([w / 2, h / 2]) - A[:, :2] @ np.array([w / 2, h / 2])
    m = cv2.warpAffine(m, A, (w, h), flags=cv2.INTER_LINEAR)
    if rng.random() < 0.6:  # elastic noise
        dx = cv2.GaussianBlur((rng.random((h, w)) * 2 - 1).astype(np.float32), (0, 0), 6) * rng.uniform(20, 60)
        dy = cv2.GaussianBlur((rng.random((h, w)) * 2 - 1).astype(np.float32), (0, 0), 6) * rng.uniform(20, 60)
        gx, gy = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
        m = cv2.remap(m, gx + dx, gy + dy, cv2.INTER_LINEAR)
    k = int(rng.integers(-2, 4))
    if k > 0:
        m = cv2.dilate(m, np.ones((k + 1, k + 1), np.uint8))
    elif k < 0:
        m = cv2.erode(m, np.ones((2, 2), np.uint8))
    b = m > 100
    if rng.random() < 0.3:  # speckle and small breaks as in a scan
        b ^= rng.random(b.shape) < 0.01
    return b


def sklearn_digits() -> tuple[np.ndarray, np.ndarray]:
    import cv2
    from sklearn.datasets import load_digits
    d = load_digits()
    X = [hw.features(cv2.resize(im.astype(np.float32), (32, 32), interpolation=cv2.INTER_LINEAR) > 5) for im in d.images]
    return np.stack(X), d.target.astype(np.int64)


def font_digits(rng: np.random.Generator, per_font: int) -> tuple[np.ndarray, np.ndarray]:
    X, y = [], []
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
                    X.append(hw.features(distort(base, rng, d)))
                    y.append(d)
    return np.stack(X), np.array(y)


def real_crops(samples: Path, out_dir: Path | None) -> tuple[np.ndarray, np.ndarray, list[np.ndarray], list[str]]:
    """Digit crops from the sample pages where the glyph count matches the gold's digits; the
    HELD_ASIDE documents' crops are returned apart (for tests), not as training data."""
    from handwriting_bench import documents, page_words
    X, y, held, names = [], [], [], []
    for _name, p, kind, gold in documents(samples):
        img, _, words = page_words(p, kind)
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
                    X.append(hw.features(g.mask))
                    y.append(int(d))
    if out_dir is not None:
        from PIL import Image
        out_dir.mkdir(parents=True, exist_ok=True)
        for m, n in zip(held, names):
            Image.fromarray((~m).astype(np.uint8) * 255).save(out_dir / n)
    return np.stack(X), np.array(y), held, names


def fit_temperature(logits: np.ndarray, y: np.ndarray) -> float:
    """The softmax temperature of least negative log-likelihood on held-out rows."""
    best, best_t = 1e9, 1.0
    for t in np.arange(0.5, 4.01, 0.05):
        z = logits / t
        z = z - z.max(axis=1, keepdims=True)
        nll = -(z[np.arange(len(y)), y] - np.log(np.exp(z).sum(axis=1))).mean()
        if nll < best:
            best, best_t = nll, float(t)
    return best_t


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--samples", default="/work/shared/samples")
    ap.add_argument("--no-real", action="store_true", help="train without the real crops (honest bench)")
    ap.add_argument("--per-font", type=int, default=60)
    ap.add_argument("-o", "--out", default=str(ROOT / "models" / "digits.npz"))
    a = ap.parse_args()
    from sklearn.neural_network import MLPClassifier
    rng = np.random.default_rng(0)
    parts = [sklearn_digits(), font_digits(rng, a.per_font)]
    Xr, yr, _, names = real_crops(Path(a.samples), ROOT / "tests" / "data" / "handwriting")
    print(f"real crops: {len(yr)} for training, {len(names)} held aside", file=sys.stderr)
    if not a.no_real and len(yr):
        parts.append((np.repeat(Xr, 20, axis=0), np.repeat(yr, 20)))  # few, so weighed up
    X = np.concatenate([p[0] for p in parts])
    y = np.concatenate([p[1] for p in parts])
    print(f"training rows: {len(y)} ({', '.join(str(len(p[1])) for p in parts)})", file=sys.stderr)
    idx = rng.permutation(len(y))
    nval = len(y) // 10
    val, tr = idx[:nval], idx[nval:]
    mean = X[tr].mean(axis=0)
    scale = X[tr].std(axis=0) + 0.1
    clf = MLPClassifier(hidden_layer_sizes=(160,), alpha=1e-3, batch_size=256, max_iter=40,
                        early_stopping=False, random_state=0)
    clf.fit((X[tr] - mean) / scale, y[tr])
    w1, w2 = clf.coefs_
    b1, b2 = clf.intercepts_
    logits = np.maximum((X[val] - mean) / scale @ w1 + b1, 0) @ w2 + b2
    t = fit_temperature(logits, y[val])
    acc = float((logits.argmax(axis=1) == y[val]).mean())
    print(f"validation accuracy {acc:.4f}, temperature {t:.2f}", file=sys.stderr)
    f32 = np.float32
    np.savez_compressed(a.out, w1=w1.astype(f32), b1=b1.astype(f32), w2=w2.astype(f32), b2=b2.astype(f32),
                        mean=mean.astype(f32), scale=scale.astype(f32), temperature=np.array(t, f32))


if __name__ == "__main__":
    main()
