#!/usr/bin/env python3
"""Report and review speed on a synthetic catalog.

Usage: python bench/report_bench.py [--docs 1000] [--image-docs 50] [--out /tmp/report_bench]

Builds a catalog of --docs text records (the seed plans parsed for real, every record with
evidence and review flags, the text before correction differing by folded words so every page
has marks) plus --image-docs one-page scans (synthetic 2480x3508 PNG pages with evidence boxes),
then times:
  * write_report, first time (every page, thumbnail and crop written) and again (incremental);
  * the review app's document page and index (Flask test client, median of 50 / 5 requests).
Prints the figures; the issue-12 targets are 1,000 records in <= 10 s and a page in <= 200 ms.
"""
from __future__ import annotations

import argparse
import hashlib
import shutil
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from PIL import Image, ImageDraw  # noqa: E402

from pipeline.lexicon import fold  # noqa: E402
from pipeline.normalize import normalize  # noqa: E402
from pipeline.records import Evidence, PageResult, Quality, ReviewFlag, Word  # noqa: E402
from pipeline.store import Catalog, file_row  # noqa: E402
from pipeline.structure import parse  # noqa: E402

OCR_KEY = "vie/dpi300/psm3/retry1"
REC_KEY = f"vnplans bench; {OCR_KEY}; restore=1; bench"


def _raw(text: str) -> str:
    """The text as if before correction: every 9th word without its marks."""
    out = []
    for i, line in enumerate(text.split("\n")):
        words = line.split(" ")
        out.append(" ".join(fold(w) if (i + k) % 9 == 4 else w for k, w in enumerate(words)))
    return "\n".join(out)


def build(out: Path, n_docs: int, n_images: int) -> None:
    if out.exists():
        shutil.rmtree(out)
    inp = out / "input"
    inp.mkdir(parents=True)
    cat = Catalog(out / "catalog.sqlite")
    run = cat.start_run(str(inp))
    seeds = [p.read_text(encoding="utf-8") for p in sorted((ROOT / "samples" / "text").iterdir())]
    parsed = [parse(t, source="x") for t in seeds]
    box_fields = ("issuer", "number", "symbol", "date", "place", "doc_type", "title", "signer_position", "signer_name")
    for i in range(n_docs + n_images):
        k = i % len(seeds)
        image = i >= n_docs
        source = f"{'scans' if image else 'texts'}/doc_{i:05d}.{'png' if image else 'txt'}"
        text = normalize(seeds[k] + f"\n\nSố thứ tự {i}.")  # as the batch keeps it: normalised, then corrected
        sha = hashlib.sha256(f"{source}{i}".encode()).hexdigest()
        ev = tuple(Evidence(f, 1, (200 + j * 10, 200 + j * 180, 1200 + j * 40, 330 + j * 180) if image else None,
                            80.0 + j, "ocr" if image else "text") for j, f in enumerate(box_fields))
        q = Quality(90.0 if image else None, 0.95, sum(1 for a, b in zip(_raw(text).split(), text.split()) if a != b))
        rec = parsed[k].__class__(**{**parsed[k].__dict__, "source": source, "pages": 1, "quality": q,
                                     "evidence": ev, "review": (ReviewFlag("number", "handwriting"),) if i % 3 else ()})
        words: tuple[Word, ...] = ()
        w = h = 0
        if image:
            w, h = 2480, 3508
            im = Image.new("L", (w, h), 245)
            d = ImageDraw.Draw(im)
            for j in range(40):
                d.rectangle((200, 200 + j * 80, 200 + 1800 - (j * 37) % 900, 240 + j * 80), fill=30)
            (inp / source).parent.mkdir(parents=True, exist_ok=True)
            im.save(inp / source)
            words = tuple(Word(t, 40.0 if j % 17 == 0 else 92.0, 0, 0, 1, 1, 0)
                          for j, t in enumerate(_raw(text).split()))
        cat.upsert_file(file_row(source=source, size=1, mtime=1.0, sha256=sha, kind="image" if image else "text",
                                 pages=1, status="done", settings=REC_KEY), run)
        cat.save_page(sha, OCR_KEY, PageResult(1, _raw(text), words, 90.0 if image else None,
                                              "tesseract bench" if image else "text", width=w, height=h,
                                              kind="text"))
        cat.save_record(source, sha, REC_KEY, rec, text)
    cat.finish_run(run)
    cat.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--docs", type=int, default=1000)
    ap.add_argument("--image-docs", type=int, default=50)
    ap.add_argument("--out", default="/tmp/report_bench")
    a = ap.parse_args()
    out = Path(a.out)
    t = time.monotonic()
    build(out, a.docs, a.image_docs)
    print(f"catalog: {a.docs} text records + {a.image_docs} one-page scans built in {time.monotonic() - t:.1f} s")

    from pipeline.report import write_report
    cat = Catalog(out / "catalog.sqlite")
    texts = {s for s in cat.sources() if s.startswith("texts/")}
    scans = {s for s in cat.sources() if s.startswith("scans/")}
    cat.close()
    cpu = time.process_time()
    s1 = write_report(out, sources=texts)
    cpu = time.process_time() - cpu
    print(f"report, {s1.documents} records (text), first write: {s1.seconds:.2f} s wall, {cpu:.2f} s CPU "
          f"({s1.pages_written} pages; {s1.seconds / max(1, s1.documents) * 1000:.1f} ms/record)  target <= 10 s")
    s2 = write_report(out, sources=texts)
    print(f"report, same records again (incremental): {s2.seconds:.2f} s ({s2.pages_written} pages rewritten)")
    if scans:
        s3 = write_report(out, sources=scans)
        print(f"report, {s3.documents} one-page scans, first write: {s3.seconds:.2f} s, {s3.images_written} images "
              f"({s3.seconds / max(1, s3.documents):.2f} s/page: load, thumbnail, view, {len(scans) and 9} crops)")
        s4 = write_report(out)
        print(f"report, all {s4.documents} records, images already there: {s4.seconds:.2f} s "
              f"({s4.pages_written} pages, {s4.images_written} images written)")

    from pipeline.report import doc_id
    from pipeline.review import create_app
    c = create_app(out, who="bench").test_client()
    for kind, group in (("text", sorted(texts)[:50]), ("scan", sorted(scans)[:50])):
        if not group:
            continue
        times = []
        for src in group:
            t = time.perf_counter()
            r = c.get(f"/doc/{doc_id(src)}")
            times.append((time.perf_counter() - t) * 1000)
            assert r.status_code == 200
        print(f"review document page ({kind}): median {statistics.median(times):.1f} ms, "
              f"max {max(times):.1f} ms over {len(times)}  target <= 200 ms")
    times = []
    for _ in range(6):
        t = time.perf_counter()
        assert c.get("/").status_code == 200
        assert c.get("/docs.js").status_code == 200
        times.append((time.perf_counter() - t) * 1000)
    print(f"review index + docs.js ({a.docs + a.image_docs} documents): first {times[0]:.0f} ms "
          f"(catalog read), then median {statistics.median(times[1:]):.0f} ms (catalog unchanged)")


if __name__ == "__main__":
    main()
