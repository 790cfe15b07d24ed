#!/usr/bin/env python3
"""Peak memory of `vnplans run` on 20 vs 200 documents (target: within 10 %).

Documents: the seed texts (each copy made distinct by a line of its own) and copies of the
searchable PDF sample (text layer, through poppler), half and half. The peak resident
memory of the vnplans process is read from the kernel after it exits.
Usage: python bench/memory_bench.py [N_SMALL N_LARGE]
"""
from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

MEASURE = ("import resource, subprocess, sys; subprocess.run(sys.argv[1:], check=False); "
           "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")


def make_inputs(folder: Path, n: int) -> None:
    texts = sorted((ROOT / "samples" / "text").glob("*.*"))
    pdf = ROOT / "samples" / "textlayer" / "004_63baf3d53428361f.pdf"
    for i in range(n):
        if i % 2 == 0:
            src = texts[i // 2 % len(texts)]
            body = src.read_text(encoding="utf-8") + f"\n(bản sao {i})\n"
            (folder / f"doc{i:04d}{src.suffix}").write_text(body, encoding="utf-8")
        else:
            shutil.copy(pdf, folder / f"doc{i:04d}.pdf")


def peak_mb(n: int) -> tuple[float, float]:
    with tempfile.TemporaryDirectory() as tmp:
        inp = Path(tmp) / "in"
        inp.mkdir()
        make_inputs(inp, n)
        cmd = [sys.executable, "-c", MEASURE, sys.executable, "-m", "pipeline", "run", str(inp),
               "-o", str(Path(tmp) / "out"), "-q", "--jobs", "2"]
        import time
        t0 = time.perf_counter()
        out = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, check=True)
        return int(out.stdout.strip().splitlines()[-1]) / 1024, time.perf_counter() - t0


def main() -> None:
    small, large = (int(sys.argv[1]), int(sys.argv[2])) if len(sys.argv) == 3 else (20, 200)
    a, ta = peak_mb(small)
    b, tb = peak_mb(large)
    print(f"{small:4d} documents: peak {a:6.1f} MB ({ta:.1f} s)")
    print(f"{large:4d} documents: peak {b:6.1f} MB ({tb:.1f} s)")
    print(f"difference: {100 * (b - a) / a:+.1f} %")


if __name__ == "__main__":
    main()
