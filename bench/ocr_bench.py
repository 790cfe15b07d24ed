#!/usr/bin/env python3
"""Pages per second of `vnplans run` on the sample scans vs bare `tesseract` on the same pages.

Both sides use the same number of processes (--jobs, default = cores) and
OMP_THREAD_LIMIT=1. Bare Tesseract gets the very page images vnplans OCRs, already extracted, and
only writes text; vnplans renders, OCRs (with word boxes), corrects, parses, writes the catalog
and exports. Also times a re-run on the finished catalog.
Usage: python bench/ocr_bench.py [--jobs N] [INPUT_DIR]
"""
from __future__ import annotations

import argparse
import os
import shutil
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


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("input", nargs="?", default=str(ROOT / "samples" / "scans"))
    ap.add_argument("--jobs", type=int, default=len(os.sched_getaffinity(0)))
    a = ap.parse_args()
    pdfs = sorted(Path(a.input).rglob("*.pdf"))
    with tempfile.TemporaryDirectory() as tmp:
        sys.path.insert(0, str(ROOT))
        from pipeline import poppler
        from pipeline.ocr import OcrSettings, PageTask, load_image
        imgs = []
        for i, pdf in enumerate(pdfs):  # the very page images vnplans OCRs, saved losslessly
            for page in range(1, poppler.page_count(pdf) + 1):
                img, dpi = load_image(PageTask(str(pdf), page, "pdf", OcrSettings()))
                path = f"{tmp}/d{i:03d}-{page:03d}.pgm"
                img.convert("L").save(path)
                imgs.append((path, dpi))
        t0 = time.perf_counter()
        with ProcessPoolExecutor(a.jobs) as ex:
            n = sum(ex.map(tess, imgs))
        bare = time.perf_counter() - t0
        out = Path(tmp) / "out"
        cmd = [sys.executable, "-m", "pipeline", "run", a.input, "-o", str(out), "--jobs", str(a.jobs), "-q"]
        t0 = time.perf_counter()
        subprocess.run(cmd, check=False, cwd=ROOT)
        full = time.perf_counter() - t0
        t0 = time.perf_counter()
        subprocess.run(cmd, check=False, cwd=ROOT)
        rerun = time.perf_counter() - t0
        ocrmypdf = shutil.which("ocrmypdf") or str(Path(sys.executable).with_name("ocrmypdf"))
        omp = None
        if Path(ocrmypdf).exists():
            env = dict(os.environ, OMP_THREAD_LIMIT="1")
            t0 = time.perf_counter()
            for i, pdf in enumerate(pdfs):  # one file at a time, its pages over the same processes
                subprocess.run([ocrmypdf, "-l", "vie", "--jobs", str(a.jobs), "--output-type", "pdf",
                                "--optimize", "0", "-q", "--sidecar", f"{tmp}/s{i}.txt", str(pdf),
                                f"{tmp}/o{i}.pdf"], check=True, env=env)
            omp = time.perf_counter() - t0
    print(f"{len(pdfs)} PDFs, {n} pages, {a.jobs} processes")
    print(f"bare tesseract (the same page images): {bare:7.1f} s  {n / bare:.3f} pages/s")
    print(f"vnplans run (render+OCR+correct+parse+export): {full:7.1f} s  {n / full:.3f} pages/s")
    print(f"ratio vnplans/bare pages per second: {bare / full:.2f}")
    print(f"re-run on the finished catalog: {rerun:.1f} s ({100 * rerun / full:.1f} % of the first run)")
    if omp is not None:
        print(f"ocrmypdf --sidecar (-l vie, --jobs {a.jobs}): {omp:7.1f} s  {n / omp:.3f} pages/s; "
              f"vnplans/ocrmypdf pages per second: {omp / full:.2f}")
    else:
        print("ocrmypdf not installed (pip install 'vnplans[bench]'): skipped")


if __name__ == "__main__":
    main()
