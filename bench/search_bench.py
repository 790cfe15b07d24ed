#!/usr/bin/env python3
"""Search speed over 10,000 synthetic records, and the index build's share of a run.

Usage: python bench/search_bench.py [--docs 10000] [--run OUT_DIR ...]

Synthetic documents: 1-3 pages of ~150 words each, drawn from the dictionary's syllables and a
few administrative phrases, stored with word boxes like OCR pages (the OCR words unmarked for a
share of them, as before restoration), so indexing does the same page alignment as in a run.
Prints the index build time per document and the median / 95th-percentile query time over a mix
of queries (marked, unmarked, common, rare, with filters). With --run, re-indexes the records of
finished runs and compares with their OCR time (sum of the pages' seconds) and wall time.
"""
from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from pipeline.lexicon import fold, load
from pipeline.records import PageResult, PlanRecord, Word
from pipeline.store import Catalog, file_row

PHRASES = ["hội nghị tổng kết", "kế hoạch tổ chức", "ủy ban nhân dân", "phòng cháy chữa cháy", "đại hội thể dục thể thao",
           "chuyển đổi số", "cải cách hành chính", "an toàn giao thông", "phòng chống thiên tai", "tập huấn nghiệp vụ"]
TYPES = ["Kế hoạch", "Báo cáo", "Công văn", "Quyết định", "Thông báo", "Tờ trình"]
PLACES = ["Đông Anh", "Quảng Ngãi", "Bình Định", "Đắk Lắk", "Hà Tĩnh", "Nghệ An", "Cà Mau", "Lâm Đồng"]
NAMES = ["Nguyễn Văn Đức", "Trần Thị Hoa", "Lê Minh Tuấn", "Phạm Đình Dũng", "Võ Thị Lan", "Đặng Quốc Bảo"]
QUERIES = [("hoi nghi tong ket", {}), ("Hội nghị tổng kết", {}), ("phong chay chua chay", {}), ("chuyển đổi số", {}),
           ("dong", {}), ("đông anh", {}), ("ke hoach", {"doc_type": "ke hoach"}), ("tap huan", {"year": "2024"}),
           ("an toan giao thong", {"issuer": "quang ngai"}), ("cải cách", {"signer": "duc"}), ("uy ban nhan dan", {}),
           ("thien tai", {"doc_type": "bao cao", "year": "2025"})]


def synth(cat: Catalog, n: int, syllables: list[str], seed: int = 13, index: bool = True) -> float:
    """Write n synthetic documents (pages with boxes, record, corrected text); seconds spent indexing."""
    rnd = random.Random(seed)
    indexing = 0.0
    cat.latest_version("")  # creates the review table now: its executescript would end our transaction
    cat.db.execute("BEGIN")
    for d in range(n):
        src, sha = f"doc{d:05d}.pdf", f"sha{d:05d}"
        pages, texts = [], []
        for p in range(1, rnd.randint(1, 3) + 1):
            words = []
            for _ in range(150):
                words += rnd.choice(PHRASES).split() if rnd.random() < 0.08 else [rnd.choice(syllables)]
            ws = tuple(Word(fold(w) if rnd.random() < 0.3 else w, 90.0, 40 + 60 * (i % 12), 60 + 40 * (i // 12),
                            50, 30, i // 12) for i, w in enumerate(words))
            pages.append(PageResult(p, "", ws, 90.0, "synthetic", 0.1, "", (), 2480, 3508))
            texts.append(" ".join(words))
            cat.save_page(sha, "vie/dpi300/psm3/retry1", pages[-1])
        rec = PlanRecord(source=src, pages=len(pages), doc_type=rnd.choice(TYPES), date=f"{rnd.choice((2023, 2024, 2025))}-0"
                         f"{rnd.randint(1, 9)}-1{rnd.randint(0, 9)}", title=rnd.choice(PHRASES).capitalize(),
                         issuer=f"UBND tỉnh {rnd.choice(PLACES)}", signer_name=rnd.choice(NAMES))
        cat.upsert_file(file_row(source=src, sha256=sha, status="done", pages=len(pages)), 1)
        cat.db.execute("INSERT OR REPLACE INTO records VALUES (?,?,?,?,?)",
                       (src, sha, "vnplans; vie/dpi300/psm3/retry1; x", rec.to_json(), "\n\n".join(texts)))
        if index:
            t = time.perf_counter()
            cat.index_record(src)
            indexing += time.perf_counter() - t
    cat.db.execute("COMMIT")
    return indexing


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--docs", type=int, default=10_000)
    ap.add_argument("--run", nargs="*", default=[], metavar="OUT_DIR", help="finished runs to compare with")
    a = ap.parse_args()
    syllables = sorted(load(None).syllables)
    with tempfile.TemporaryDirectory() as tmp:
        cat = Catalog(Path(tmp) / "catalog.sqlite")
        t0 = time.perf_counter()
        indexing = synth(cat, a.docs, syllables)
        total = time.perf_counter() - t0
        pages = cat.db.execute("SELECT COUNT(*) FROM search_text WHERE page > 0").fetchone()[0]
        print(f"{a.docs} documents, {pages} pages: written in {total:.1f} s, of which indexing {indexing:.1f} s "
              f"({1000 * indexing / a.docs:.1f} ms per document)")
        times: dict[str, list[float]] = {}
        hits: dict[str, int] = {}
        for _rep in range(7):
            for q, kw in QUERIES:
                key = q + (" " + str(kw) if kw else "")
                t = time.perf_counter()
                res = cat.search(q, **kw)
                times.setdefault(key, []).append(1000 * (time.perf_counter() - t))
                hits[key] = len(res)
        allt = sorted(x for v in times.values() for x in v[1:])  # the first round warms the cache
        for key, v in times.items():
            print(f"  {statistics.median(v[1:]):7.1f} ms  {hits[key]:3d} hits  {key}")
        print(f"query median {statistics.median(allt):.1f} ms, p95 {allt[int(0.95 * len(allt))]:.1f} ms, "
              f"max {allt[-1]:.1f} ms over {len(allt)} queries")
        db_mb = sum(f.stat().st_size for f in Path(tmp).iterdir()) / 1e6
        print(f"catalog with index: {db_mb:.0f} MB")
        cat.close()
    for out in a.run:
        cat = Catalog(Path(out) / "catalog.sqlite")
        sources = cat.sources()
        t = time.perf_counter()
        for s in sources:
            cat.index_record(s)
        idx = time.perf_counter() - t
        ocr = cat.db.execute("SELECT SUM(seconds), COUNT(*) FROM pages").fetchone()
        wall = cat.db.execute("SELECT finished - started FROM runs WHERE finished IS NOT NULL ORDER BY id LIMIT 1").fetchone()
        print(f"{out}: {len(sources)} documents, {ocr[1]} pages: indexing {idx:.2f} s = "
              f"{100 * idx / (ocr[0] or 1):.2f} % of their OCR time ({ocr[0]:.0f} s, one core)"
              + (f", {100 * idx / wall[0]:.2f} % of the first run's wall time ({wall[0]:.0f} s)" if wall and wall[0] else ""))
        cat.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
