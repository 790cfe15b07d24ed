#!/usr/bin/env python3
"""Handwritten numbers and days: digit accuracy on the held-aside real crops, and the number and
full date right/wrong/empty on the real scans and real first pages when the reader and the decision
rules run on each first page's Tesseract words (OCR cached in /tmp/vnplans_hw_ocr).

Usage: python bench/handwriting_bench.py [--samples DIR] [-v]
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipeline import tesseract  # noqa: E402
from pipeline.ocr import OcrSettings, PageTask, load_image  # noqa: E402
from pipeline.records import Word  # noqa: E402

CACHE = Path("/tmp/vnplans_hw_ocr")


def page_words(path: Path, kind: str):
    """The first page's image (as the OCR worker prepares it), dpi and Tesseract words (cached)."""
    task = PageTask(str(path), 1, kind, OcrSettings())
    img, dpi = load_image(task)
    CACHE.mkdir(exist_ok=True)
    f = CACHE / (path.name + ".json")
    if f.exists():
        words = tuple(Word(*w) for w in json.loads(f.read_text()))
    else:
        words = tesseract.words(img, "vie", 3, 300, dpi)
        f.write_text(json.dumps([list(w.__dict__.values()) for w in words], ensure_ascii=False))
    return img, dpi, words


def documents(samples: Path):
    """(set name, path, kind, gold dict) for every real scan and real page with gold."""
    for name, pattern, kind in (("real_scans", "*.pdf", "pdf"), ("real_pages", "*.jpg", "image")):
        for p in sorted((samples / name).glob(pattern)):
            g = samples / name / "gold" / (p.stem + ".json")
            if g.exists():
                yield name, p, kind, json.loads(g.read_text())


def printed_fields(img, words) -> dict[str, str]:
    """What Tesseract's words say in the anchored regions (the field parser's view, simplified)."""
    from pipeline import handwriting as hw
    out = {r.field: r.ocr_text for r in hw.locate(words, img.width, img.height)}
    dl = hw._date_line(words, img.height)
    out["year"] = next((w.text[:4] for w in dl or () if hw._YEAR.match(w.text)), "")
    return out


def digit_accuracy(model) -> tuple[int, int]:
    """Right and total on the held-aside real crops (tests/data/handwriting/D_*.png)."""
    import numpy as np
    from PIL import Image

    from pipeline import handwriting as hw
    right = total = 0
    for f in sorted((ROOT / "tests" / "data" / "handwriting").glob("*.png")):
        mask = np.asarray(Image.open(f).convert("L")) < 128
        right += int(model.probs(hw.features(mask)).argmax()) == int(f.name[0])
        total += 1
    return right, total


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--samples", default="/work/shared/samples")
    ap.add_argument("--model", default=None, help="another digits.npz (e.g. one built --no-real)")
    ap.add_argument("-v", "--verbose", action="store_true")
    a = ap.parse_args()
    from pipeline import handwriting as hw
    from pipeline import numberdate as nd
    from pipeline import pageread, signing
    m = hw.DigitModel.load(a.model) if a.model else hw.DigitModel.load()
    pageread._MODEL = m
    r, t = digit_accuracy(m)
    print(f"digits, held-aside real crops: {r}/{t} = {r / max(t, 1):.3f}")
    score: dict[tuple[str, str], dict[str, int]] = {}
    ms = []
    for name, p, kind, gold in documents(Path(a.samples)):
        img, dpi, words = page_words(p, kind)
        t0 = time.perf_counter()
        rs = pageread.read(img, dpi, words, 1)
        ms.append(1000 * (time.perf_counter() - t0))
        by = {x.field: x for x in rs}
        pr = printed_fields(img, words)
        signed = signing.signed_at_from_pdf(p) if kind == "pdf" else ""
        signed = signed or (by["signed_at"].text if "signed_at" in by else "")
        num, why_n = nd.decide_number(pr.get("number", ""), by.get("number"))
        dt, why_d = nd.decide_date(pr.get("year", ""), pr.get("month", ""), pr.get("day", ""), by.get("day"),
                                   signed, by.get("month"))
        for field, got, want in (("number", num, gold["number"]), ("date", dt, gold["date"])):
            c = score.setdefault((name, field), {"right": 0, "wrong": 0, "empty": 0})
            ok = got.lstrip("0") == want.lstrip("0") if field == "number" else got == want
            empty = (not got) if field == "number" else len(got) < 10
            c["right" if ok else "empty" if empty else "wrong"] += 1
            if a.verbose and not ok:
                rd = by.get("number" if field == "number" else "day")
                print(f"  {'EMPTY' if empty else 'WRONG'} {name} {p.name[:30]} {field}: {got!r} want {want!r} "
                      f"({why_n if field == 'number' else why_d}; read {rd.text if rd else None} "
                      f"{rd.confidence if rd else ''} {rd.source if rd else ''} {rd.alternatives[:2] if rd else ''}; "
                      f"printed {pr.get(field if field == 'number' else 'day')!r}; signed {signed})")
        if a.verbose and "signed_at" in gold and gold["signed_at"] != (by["signed_at"].text if "signed_at" in by else ""):
            print(f"  signed_at {p.name[:30]}: {by['signed_at'].text if 'signed_at' in by else ''!r} want {gold['signed_at']!r}")
    for (name, field), c in sorted(score.items()):
        n = sum(c.values())
        print(f"{name:10} {field:6} right {c['right']}/{n} = {c['right'] / n:.2f}  wrong {c['wrong']}  empty {c['empty']}")
    ms.sort()
    print(f"pageread.read per page: median {ms[len(ms) // 2]:.0f} ms, max {ms[-1]:.0f} ms")


if __name__ == "__main__" and "--cache-only" not in sys.argv:
    main()

if __name__ == "__main__" and "--cache-only" in sys.argv:
    for name, p, kind, _gold in documents(Path("/work/shared/samples")):
        t = time.time()
        page_words(p, kind)
        print(name, p.name, round(time.time() - t, 1), flush=True)
    sys.exit(0)
