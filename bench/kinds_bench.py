#!/usr/bin/env python3
"""Header and signature fields on the document-kinds set (tests/data/kinds): decisions, directives,
official letters, reports, submissions, notices, plans and resolutions rendered at levels 2-4.

Usage: python bench/kinds_bench.py [--levels 2 3 4] [--out /tmp/kinds] [--scorer PATH] [--fresh]
       [--no-run] [--verbose]
Runs `vnplans run tests/data/kinds/scans/levelN -o OUT/levelN` for each level (with --reprocess,
so a changed parser is re-measured on the cached OCR; --fresh starts from an empty folder), then
prints fieldscore.py's accuracy per field and level, and the wrong/missing counts per field.
Build the scans first with scripts/render_kinds.py.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
KINDS = ROOT / "tests" / "data" / "kinds"
FIELDS = ["issuer", "doc_type", "number", "symbol", "place", "date", "title",
          "signer_authority", "signer_position", "signer_name", "recipients"]


def run_level(level: int, out: Path, jobs: int, fresh: bool) -> float:
    """vnplans run on one level's scans; returns the wall time in seconds."""
    src = KINDS / "scans" / f"level{level}"
    if fresh and out.exists():
        shutil.rmtree(out)
    vnplans = shutil.which("vnplans", path=str(Path(sys.executable).parent)) or "vnplans"
    env = dict(os.environ, OMP_THREAD_LIMIT="1")
    t0 = time.perf_counter()
    subprocess.run([vnplans, "run", str(src), "-o", str(out), "-j", str(jobs), "-q", "--reprocess"],
                   check=True, env=env)
    return time.perf_counter() - t0


def score(scorer: str, out: Path, verbose: bool) -> dict:
    """fieldscore.py's JSON summary for one level (and its per-document misses with verbose)."""
    cmd = [sys.executable, scorer, str(KINDS / "gold"), str(out / "plans.jsonl")]
    res = json.loads(subprocess.run(cmd + ["--json"], check=True, capture_output=True, text=True).stdout)
    if verbose:
        text = subprocess.run(cmd + ["--verbose"], check=True, capture_output=True, text=True).stdout
        res["misses"] = [ln for ln in text.splitlines() if " gold=" in ln]
    return res


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--levels", type=int, nargs="+", default=[2, 3, 4])
    ap.add_argument("--out", default="/tmp/kinds", help="output folder (one levelN per level)")
    ap.add_argument("--scorer", default="/work/shared/tools/fieldscore.py")
    ap.add_argument("--jobs", type=int, default=1)
    ap.add_argument("--fresh", action="store_true", help="delete earlier output first (OCR again)")
    ap.add_argument("--no-run", action="store_true", help="only score the output already there")
    ap.add_argument("--verbose", action="store_true", help="print every wrong or missing value")
    a = ap.parse_args()
    results, times = {}, {}
    for level in a.levels:
        out = Path(a.out) / f"level{level}"
        if not a.no_run:
            times[level] = run_level(level, out, a.jobs, a.fresh)
        results[level] = score(a.scorer, out, a.verbose)
    ndocs = len(list((KINDS / "gold").glob("*.json")))
    head = "".join(f"  level{lv}" for lv in a.levels)
    print(f"kinds set: {ndocs} documents per level; fieldscore accuracy (recipients: F1)")
    print(f"{'field':18s}{head}   wrong values per level")
    for f in FIELDS:
        accs = "".join(f"  {results[lv]['fields'].get(f, float('nan')):6.3f}" for lv in a.levels)
        wm = "  ".join(f"{results[lv]['wrong_by_field'].get(f, 0)}" for lv in a.levels)
        print(f"{f:18s}{accs}   wrong {wm}")
    print(f"{'macro':18s}" + "".join(f"  {results[lv]['macro']:6.3f}" for lv in a.levels))
    print(f"{'wrong values':18s}" + "".join(f"  {results[lv]['wrong']:6d}" for lv in a.levels))
    print(f"{'missing values':18s}" + "".join(f"  {results[lv]['missing']:6d}" for lv in a.levels))
    if times:
        print("run time (s)      " + "".join(f"  {times.get(lv, 0):6.0f}" for lv in a.levels))
    if a.verbose:
        for lv in a.levels:
            print(f"\n# level {lv}")
            print("\n".join(results[lv]["misses"]))


if __name__ == "__main__":
    main()
