#!/usr/bin/env python3
"""Pages per second of `vnplans run` vs bare `tesseract -l vie` on the same pages, per folder.

Both sides use the same number of processes (--jobs, default = cores) and OMP_THREAD_LIMIT=1.
Two baselines: the issue's (the same pages rendered at 300 dpi by pdftoppm, grayscale) and a
stricter one (the very page images vnplans starts from, at their own resolution: a 180-dpi scan is
not enlarged). Bare Tesseract only writes text; vnplans renders, prepares (kind, deskew, seals), OCRs with word boxes,
corrects, parses, writes the catalog and exports. Per folder it prints the speed ratio, the
page times from the catalog (median, slowest page / median, the slowest pages and what they
went through) and a re-run on the finished catalog.
Usage: python bench/ocr_bench.py [--jobs N] [INPUT_DIR ...]   (default: samples/scans/level2)
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def tess(job: tuple[str, int]) -> int:
    img, dpi = job
    env = dict(os.environ, OMP_THREAD_LIMIT="1")
    subprocess.run(["tesseract", img, "-", "-l", "vie", "--psm", "3", "--dpi", str(dpi)],
                   capture_output=True, env=env, check=True)
    return 1


def cpu() -> float:
    """CPU seconds used so far by this process's finished children (and theirs)."""
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def page_times(out: Path) -> list[tuple[float, str, int, str, str]]:
    """(seconds, file, page, kind, engine) of every page in the catalog."""
    con = sqlite3.connect(out / "catalog.sqlite")
    names = dict(con.execute("select sha256, source from files"))
    rows = []
    for sha, page, sec, engine, extra in con.execute("select sha256, page, seconds, engine, extra from pages"):
        kind = (json.loads(extra) or {}).get("kind", "") if extra else ""
        rows.append((sec, names.get(sha, sha[:12]), page, kind, engine))
    con.close()
    return rows


def why(engine: str, kind: str) -> str:
    notes = [n for n in ("retry", "rotated", "deskewed", "seals") if n in engine]
    return ", ".join(notes + ([kind] if kind and kind != "text" else [])) or "plain OCR"


def bench(folder: Path, jobs: int, tmp: Path) -> None:
    sys.path.insert(0, str(ROOT))
    from pipeline import poppler
    from pipeline.ocr import OcrSettings, PageTask, load_image
    pdfs = sorted(folder.glob("*.pdf"))
    imgs = []
    for i, pdf in enumerate(pdfs):  # the very page images vnplans starts from, saved losslessly
        for page in range(1, poppler.page_count(pdf) + 1):
            img, dpi = load_image(PageTask(str(pdf), page, "pdf", OcrSettings()))
            path = tmp / f"d{i:03d}-{page:03d}.pgm"
            (img.getchannel("R") if img.mode == "RGB" else img.convert("L")).save(path)
            imgs.append((str(path), dpi))
    t0, c0 = time.perf_counter(), cpu()
    with ProcessPoolExecutor(jobs) as ex:
        n = sum(ex.map(tess, imgs))
    bare, bare_cpu = time.perf_counter() - t0, cpu() - c0
    for i, pdf in enumerate(pdfs):  # the same pages at 300 dpi, as the speed target is stated
        subprocess.run(["pdftoppm", "-r", "300", "-gray", str(pdf), str(tmp / f"r{i:03d}")], check=True)
    imgs300 = [(str(f), 300) for f in sorted(tmp.glob("r*.pgm"))]
    t0, c0 = time.perf_counter(), cpu()
    with ProcessPoolExecutor(jobs) as ex:
        sum(ex.map(tess, imgs300))
    bare300, bare300_cpu = time.perf_counter() - t0, cpu() - c0
    out = tmp / "out"
    cmd = [sys.executable, "-m", "pipeline", "run", str(folder), "-o", str(out), "--jobs", str(jobs), "-q"]
    t0, c0 = time.perf_counter(), cpu()
    subprocess.run(cmd, check=False, cwd=ROOT)
    full, full_cpu = time.perf_counter() - t0, cpu() - c0
    t0 = time.perf_counter()
    subprocess.run(cmd, check=False, cwd=ROOT)
    rerun = time.perf_counter() - t0
    rows = page_times(out)
    read = [r for r in rows if r[3] != "blank"]
    med = statistics.median(r[0] for r in read) if read else 0.0
    worst = max(rows, default=(0.0, "", 0, "", ""))
    print(f"== {folder}: {len(pdfs)} PDFs, {n} pages ({len(rows) - len(read)} blank), {jobs} processes")
    print(f"bare tesseract, the pages at 300 dpi: {bare300:7.1f} s  {n / bare300:.3f} pages/s")
    print(f"bare tesseract, the very page images vnplans reads (own resolution): {bare:7.1f} s  {n / bare:.3f} pages/s")
    print(f"vnplans run (render+prepare+OCR+correct+parse+export): {full:7.1f} s  {n / full:.3f} pages/s")
    print(f"ratio vnplans/bare pages per second: {bare300 / full:.2f} against 300 dpi (target >= 0.90); "
          f"{bare / full:.2f} against the same images")
    print(f"CPU seconds (steadier than wall time on a shared machine): bare at 300 dpi {bare300_cpu:.1f}, "
          f"bare on the same images {bare_cpu:.1f}, vnplans {full_cpu:.1f}; ratio bare/vnplans "
          f"{bare300_cpu / full_cpu:.2f} against 300 dpi, {bare_cpu / full_cpu:.2f} against the same images")
    print(f"page time: median {med:.2f} s, slowest {worst[0]:.2f} s = {worst[0] / med if med else 0:.2f} x median"
          f"  (target <= 3)")
    for sec, name, page, kind, engine in sorted(rows, reverse=True)[:3]:
        print(f"  slow: {sec:6.2f} s  {name[:40]} p{page}: {why(engine, kind)}")
    print(f"re-run on the finished catalog: {rerun:.1f} s ({100 * rerun / full:.1f} % of the first run; target < 5 %)")
    ocrmypdf = shutil.which("ocrmypdf") or str(Path(sys.executable).with_name("ocrmypdf"))
    if Path(ocrmypdf).exists():
        env = dict(os.environ, OMP_THREAD_LIMIT="1")
        t0 = time.perf_counter()
        for i, pdf in enumerate(pdfs):  # one file at a time, its pages over the same processes
            subprocess.run([ocrmypdf, "-l", "vie", "--jobs", str(jobs), "--output-type", "pdf", "--optimize",
                            "0", "-q", "--sidecar", str(tmp / f"s{i}.txt"), str(pdf), str(tmp / f"o{i}.pdf")],
                           check=True, env=env)
        omp = time.perf_counter() - t0
        print(f"ocrmypdf --sidecar (-l vie, --jobs {jobs}): {omp:7.1f} s  {n / omp:.3f} pages/s; "
              f"vnplans/ocrmypdf pages per second: {omp / full:.2f}")
    else:
        print("ocrmypdf not installed (pip install 'vnplans[bench]'): skipped")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("input", nargs="*", default=[str(ROOT / "samples" / "scans" / "level2")])
    ap.add_argument("--jobs", type=int, default=len(os.sched_getaffinity(0)))
    a = ap.parse_args()
    for folder in a.input:
        with tempfile.TemporaryDirectory() as tmp:
            bench(Path(folder), a.jobs, Path(tmp))


if __name__ == "__main__":
    main()
