#!/usr/bin/env python3
"""Handwritten numbers and days as the pipeline reads them: digit accuracy on the held-aside real
crops, and the number and full date right/wrong/empty on the real scans and real first pages.

Each first page goes through the OCR worker itself (`ocr.ocr_page`: the prepared image, its
Tesseract words, `pageread.read` on them) and the document's record is made by
`document.finish` from that page, so the figures are those of `vnplans run` + fieldscore.
Tesseract's words are cached in /tmp/vnplans_hw_ocr2 keyed by the image they were read from (a
change in image preparation reads again); `--reuse` also keeps the prepared images (fast reruns
while tuning the reader; drop it after touching imageprep).

Usage: python bench/handwriting_bench.py [--samples DIR] [--model NPZ] [--reuse] [-v]
"""
from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from PIL import Image  # noqa: E402

from pipeline import ocr, pageread, tesseract  # noqa: E402
from pipeline.records import PageResult, Reading, Word  # noqa: E402

CACHE = Path("/tmp/vnplans_hw_ocr2")
_words = tesseract.words
_osd = tesseract.osd_rotation


def _key(img: Image.Image, *args: object) -> str:
    h = hashlib.sha1(f"{img.mode}{img.size}{args}".encode())
    h.update(img.tobytes())
    return h.hexdigest()


def cached_words(img: Image.Image, lang: str, psm: int, timeout: float, dpi: int) -> tuple[Word, ...]:
    """tesseract.words, remembered by the image's pixels and the settings."""
    f = CACHE / f"w_{_key(img, lang, psm, dpi)}.json"
    if f.exists():
        return tuple(Word(*w) for w in json.loads(f.read_text()))
    words = _words(img, lang, psm, timeout, dpi)
    f.write_text(json.dumps([list(w.__dict__.values()) for w in words], ensure_ascii=False))
    return words


def cached_osd(img: Image.Image, timeout: float) -> int:
    f = CACHE / f"o_{_key(img)}.json"
    if f.exists():
        return int(json.loads(f.read_text()))
    r = _osd(img, timeout)
    f.write_text(json.dumps(r))
    return r


def first_page(path: Path, kind: str, reuse: bool):
    """The worker's PageResult of page 1 and the (image, dpi, words) it gave pageread.read."""
    CACHE.mkdir(exist_ok=True)
    stem = hashlib.sha1(str(path).encode()).hexdigest()[:16]
    fi, fw = CACHE / f"p_{stem}.png", CACHE / f"p_{stem}.json"
    if reuse and fi.exists() and fw.exists():
        d = json.loads(fw.read_text())
        img = Image.open(fi)
        img.load()
        words = tuple(Word(*w) for w in d["words"])
        marks = tuple(Reading(r[0], r[1], r[2], tuple(r[3]), r[4]) for r in d["marks"])
        res = PageResult(1, tesseract.lines_text(words), words, d["conf"], d["engine"], 0.0, "", (),
                             img.width, img.height, d["kind"], marks)
        return res, (img, d["dpi"], words)
    seen: dict[str, object] = {}
    read = pageread.read

    def spy(img, dpi, words, page):
        seen.update(img=img, dpi=dpi, words=words)
        return read(img, dpi, words, page)

    tesseract.words, tesseract.osd_rotation, pageread.read = cached_words, cached_osd, spy  # type: ignore[assignment]
    try:
        res = ocr.ocr_page(ocr.PageTask(str(path), 1, kind, ocr.OcrSettings()))
    finally:
        tesseract.words, tesseract.osd_rotation, pageread.read = _words, _osd, read  # type: ignore[assignment]
    if "img" not in seen:
        return res, None
    img, dpi, words = seen["img"], seen["dpi"], seen["words"]
    img.save(fi)  # type: ignore[attr-defined]
    marks = [[r.field, r.text, r.confidence, list(r.box), r.source] for r in res.readings
             if r.field in ("seal", "stamp", "signature-box")]
    fw.write_text(json.dumps({"dpi": dpi, "words": [list(w.__dict__.values()) for w in words],  # type: ignore[attr-defined]
                              "marks": marks, "conf": res.confidence, "engine": res.engine,
                              "kind": str(res.kind)}, ensure_ascii=False))
    return res, (img, dpi, words)


def documents(samples: Path):
    """(set name, path, kind, gold dict) for every real scan and real page with gold."""
    for name, pattern, kind in (("real_scans", "*.pdf", "pdf"), ("real_pages", "*.jpg", "image")):
        for p in sorted((samples / name).glob(pattern)):
            g = samples / name / "gold" / (p.stem + ".json")
            if g.exists():
                yield name, p, kind, json.loads(g.read_text())


def digit_accuracy(model) -> tuple[int, int]:
    """Right and total on the held-aside real crops (tests/data/handwriting/D_*.png)."""
    import numpy as np

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
    ap.add_argument("--reuse", action="store_true", help="reuse the cached prepared images (imageprep unchanged)")
    ap.add_argument("--only", default="", help="only documents whose name contains this")
    ap.add_argument("-v", "--verbose", action="store_true")
    a = ap.parse_args()
    from pipeline import document, gazetteer, lexicon
    from pipeline import handwriting as hw
    from pipeline.records import Source
    m = hw.DigitModel.load(a.model) if a.model else hw.DigitModel.load()
    pageread._MODEL = m
    r, t = digit_accuracy(m)
    print(f"digits, held-aside real crops: {r}/{t} = {r / max(t, 1):.3f}")
    corrector = document.Corrector(lexicon.LazyLexicon())
    gaz = gazetteer.load()
    score: dict[tuple[str, str], dict[str, int]] = {}
    ms = []
    calib: list[tuple[float, bool, str]] = []  # (confidence, right, what) of every handwriting reading with gold
    for name, p, kind, gold in documents(Path(a.samples)):
        if a.only not in p.name:
            continue
        res, seen = first_page(p, kind, a.reuse)
        if seen is not None:
            img, dpi, words = seen
            t0 = time.perf_counter()
            rs = pageread.read(img, dpi, words, 1)
            ms.append(1000 * (time.perf_counter() - t0))
            marks = tuple(x for x in res.readings if x.field in ("seal", "stamp", "signature-box"))
            res = replace(res, readings=marks + rs)
        fin = document.finish(p.name, (res,), Source.OCR, corrector, lambda: gaz, p if kind == "pdf" else None)
        rec = getattr(fin, "record", None)
        by = {x.field: x for x in res.readings}
        date = str(gold.get("date") or "")
        for field, want in (("number", str(gold.get("number") or "")), ("day", date[8:10] if len(date) == 10 else "")):
            rd = by.get(field)
            if rd is not None and want and rd.source == "handwriting":
                calib.append((rd.confidence, rd.text.lstrip("0") == want.lstrip("0"), f"{field} {p.name[:24]} {rd.text}"))
        for field in ("number", "date"):
            got, want = str(getattr(rec, field, "") or ""), str(gold.get(field) or "")
            c = score.setdefault((name, field), {"right": 0, "wrong": 0, "empty": 0})
            ok = got.lstrip("0") == want.lstrip("0") if field == "number" else got == want
            empty = (not got) if field == "number" else len(got) < len(want)
            c["right" if ok else "empty" if empty else "wrong"] += 1
            if a.verbose and not ok:
                rd = by.get("number" if field == "number" else "day")
                why = [f.reason for f in getattr(rec, "review", ()) if f.field == field]
                print(f"  {'EMPTY' if empty else 'WRONG'} {name} {p.name[:30]} {field}: {got!r} want {want!r} "
                      f"({why}; read {rd.text if rd else None} {rd.confidence if rd else ''} "
                      f"{rd.source if rd else ''} {rd.alternatives[:2] if rd else ''}; signed {getattr(rec, 'signed_at', '')})")
    for (name, field), c in sorted(score.items()):
        n = sum(c.values())
        print(f"{name:10} {field:6} right {c['right']}/{n} = {c['right'] / n:.2f}  wrong {c['wrong']}  empty {c['empty']}")
    wrong = sorted((c for c in calib if not c[1]), reverse=True)
    if calib:
        top = wrong[0][0] if wrong else 0.0
        print(f"handwriting readings (number, day): {len(calib)}, wrong {len(wrong)}, highest wrong "
              f"{top:.1f} ({wrong[0][2] if wrong else '-'}); right above it {sum(c[1] and c[0] > top for c in calib)}")
    if ms:
        ms.sort()
        print(f"pageread.read per page: median {ms[len(ms) // 2]:.0f} ms, max {ms[-1]:.0f} ms")


if __name__ == "__main__":
    main()
