#!/usr/bin/env python3
"""Soak bench: one run over many generated text documents and scanned pages, then the same
run killed with SIGKILL at a random point and resumed.

Reports peak memory (the whole run: parent, workers and their Tesseract runs), time per
document at the start and at the end of the run (it must stay flat), catalog size, whether
any process outlived the kill, and whether every document is in plans.csv exactly once.

Inputs: text documents are the sample texts with their numbers changed at random (each one
distinct, so none is a cache hit); scanned pages are copies of the sample scans
(samples/scans/level1-3, 2-3 pages each) made distinct by a trailing PDF comment.
Usage: nice -n 10 python bench/soak_bench.py [--docs 5000] [--pages 200] [--jobs 1] [--seed 1]
       python bench/soak_bench.py --small       # 200 documents, 20 pages: for development
"""
from __future__ import annotations

import argparse
import os
import random
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


# ---------------------------------------------------------------- inputs

def make_inputs(folder: Path, docs: int, pages: int, rng: random.Random) -> tuple[int, int]:
    """DOCS text documents under text/ (500 a folder) and PDFs of PAGES scanned pages in all
    under scans/. Returns (documents, pages) made."""
    texts = [p.read_text(encoding="utf-8") for p in sorted((ROOT / "samples" / "text").glob("*.*"))]

    def digits(m: re.Match) -> str:
        s = m.group(0)
        if len(s) == 4 and s.startswith("20"):
            return s  # years stay years
        return "".join(rng.choice("0123456789") for _ in s)

    for i in range(docs):
        d = folder / "text" / f"{i // 500:03d}"
        d.mkdir(parents=True, exist_ok=True)
        (d / f"doc{i:05d}.txt").write_text(re.sub(r"\d+", digits, texts[i % len(texts)]), encoding="utf-8")
    from pipeline.poppler import page_count
    scans = sorted((ROOT / "samples" / "scans").glob("level*/*.pdf"))
    counts = {p: page_count(p) for p in scans}
    made, n = 0, 0
    (folder / "scans").mkdir(parents=True, exist_ok=True)
    while made < pages:
        src = scans[n % len(scans)]
        if made + counts[src] > pages:  # the last one: a scan short enough to land on PAGES exactly
            fits = [p for p in scans if counts[p] <= pages - made]
            if not fits:
                break
            src = fits[0]
        dst = folder / "scans" / f"scan{n:04d}.pdf"
        shutil.copy(src, dst)
        with open(dst, "ab") as f:
            f.write(f"%soak copy {n}\n".encode())
        made += counts[src]
        n += 1
    return docs + n, made


# ---------------------------------------------------------------- one run, in a child process

def child(inp: str, out: str, log: str, jobs: int) -> None:
    """The run itself: the library's Runner, every progress event logged with its time."""
    from pipeline.batch import Runner, RunOptions
    from pipeline.lexicon import LazyLexicon
    with open(log, "a", encoding="utf-8", buffering=1) as f:
        def progress(ev) -> None:
            if ev.kind in ("doc", "page", "failed"):  # wall time, and this process's CPU time
                f.write(f"{time.monotonic():.4f}\t{time.process_time():.4f}\t{ev.kind}\t{ev.source}\n")

        s = Runner(Path(inp), Path(out), RunOptions(jobs=jobs), LazyLexicon(), progress).run()
        f.write(f"# summary\t{s.ok}\t{s.skipped}\t{s.failed}\t{s.ocr_pages}\t{s.records_written}\n")


def session(sid: int) -> list:
    import psutil
    procs = []
    for p in psutil.process_iter(["status"]):
        try:
            if os.getsid(p.pid) == sid and p.info["status"] != psutil.STATUS_ZOMBIE:
                procs.append(p)
        except (OSError, psutil.Error):
            pass
    return procs


def run(inp: Path, out: Path, log: Path, jobs: int, kill_after: int | None = None) -> dict:
    """One child run; samples the resident memory of all its processes every 0.5 s; with
    kill_after, SIGKILL once that many documents and pages are logged done."""
    import psutil
    cmd = [sys.executable, __file__, "--child", str(inp), str(out), str(log), "--jobs", str(jobs)]
    t0 = time.monotonic()
    proc = subprocess.Popen(cmd, cwd=ROOT, start_new_session=True, env=dict(os.environ, OMP_THREAD_LIMIT="1"))
    peak_total = peak_parent = 0
    parent_rss: list[tuple[float, int]] = []
    killed = False
    while proc.poll() is None:
        total = 0
        for p in session(proc.pid):
            try:
                rss = p.memory_info().rss
            except psutil.Error:
                continue
            total += rss
            if p.pid == proc.pid:
                peak_parent = max(peak_parent, rss)
                parent_rss.append((time.monotonic() - t0, rss))
        peak_total = max(peak_total, total)
        if kill_after is not None and not killed and log.exists() \
                and len(log.read_text(encoding="utf-8").splitlines()) >= kill_after:
            os.kill(proc.pid, signal.SIGKILL)
            killed = True
        time.sleep(0.5)
    left = None
    if killed:
        end = time.monotonic() + 5
        while session(proc.pid) and time.monotonic() < end:
            time.sleep(0.1)
        left = len(session(proc.pid))
        for p in session(proc.pid):
            p.kill()
    k = max(1, len(parent_rss) // 10)
    trend = [statistics.mean(r for _, r in parent_rss[i * k:(i + 1) * k]) / 2**20 for i in range(10)
             if parent_rss[i * k:(i + 1) * k]]
    return {"seconds": time.monotonic() - t0, "peak_total_mb": peak_total / 2**20,
            "peak_parent_mb": peak_parent / 2**20, "code": proc.returncode, "left_after_kill": left,
            "parent_trend_mb": trend}


def rates(log: Path, since: float = 0.0) -> dict:
    """Seconds per text document (wall and CPU) and per OCR page (wall), over the first and
    the last tenth of each, and the mean of each tenth."""
    text_t, text_cpu, page_t = [], [], []
    summary = None
    for line in log.read_text(encoding="utf-8").splitlines():
        if line.startswith("# summary"):
            summary = [int(x) for x in line.split("\t")[1:]]
            continue
        t, cpu, kind, source = line.split("\t")
        if float(t) < since:
            continue
        if kind == "doc" and source.startswith("text/"):
            text_t.append(float(t))
            text_cpu.append(float(cpu))
        elif kind == "page":
            page_t.append(float(t))

    def ends(ts: list[float]) -> tuple[float, float, int, list[float]]:
        gaps = [b - a for a, b in zip(ts, ts[1:])]
        if len(gaps) < 10:
            return float("nan"), float("nan"), len(ts), []
        k = len(gaps) // 10
        tenths = [statistics.mean(gaps[i * k:(i + 1) * k]) for i in range(10)]
        return tenths[0], tenths[-1], len(ts), tenths

    return {"text": ends(text_t), "text_cpu": ends(text_cpu), "page": ends(page_t), "summary": summary}


def catalog_mb(out: Path) -> float:
    return sum(p.stat().st_size for p in out.glob("catalog.sqlite*")) / 2**20


def plans_check(out: Path, want: int) -> str:
    import pandas as pd
    plans = pd.read_csv(out / "plans.csv", encoding="utf-8-sig", dtype=str, keep_default_na=False)
    errors = pd.read_csv(out / "errors.csv", encoding="utf-8-sig", dtype=str, keep_default_na=False)
    rows = len(plans) + len(errors)
    dup = len(plans) - plans["source"].nunique()
    return f"{len(plans)} in plans.csv + {len(errors)} in errors.csv = {rows} of {want}, {dup} duplicates"


def compare(a: Path, b: Path) -> str:
    """Same bytes, or which rows and columns differ (the code under test may change between runs)."""
    import pandas as pd
    if (a / "plans.csv").read_bytes() == (b / "plans.csv").read_bytes():
        return "identical"
    x, y = (pd.read_csv(d / "plans.csv", encoding="utf-8-sig", dtype=str, keep_default_na=False).set_index("source")
            for d in (a, b))
    if set(x.index) != set(y.index):
        return f"DIFFERENT documents ({len(set(x.index) ^ set(y.index))} in one only)"
    common = [c for c in x.columns if c in y.columns]
    note = f" (columns in one only: {', '.join(sorted(set(x.columns) ^ set(y.columns)))})" \
        if set(x.columns) != set(y.columns) else ""
    diff = x[common] != y.loc[x.index, common]
    cols = [c for c in common if diff[c].any()]
    return f"{int(diff.any(axis=1).sum())} of {len(x)} rows differ, in columns {', '.join(cols) or '-'}{note}"


def report(name: str, r: dict, rt: dict, out: Path, want: int) -> None:
    (t0, t1, nt, tt), (c0, c1, _, ct), (p0, p1, np_, pt) = rt["text"], rt["text_cpu"], rt["page"]
    print(f"{name}: {r['seconds']:.0f} s, peak memory {r['peak_total_mb']:.0f} MB for the whole run "
          f"(parent {r['peak_parent_mb']:.0f} MB), catalog {catalog_mb(out):.1f} MB")
    print(f"  parent memory by tenth of the run (MB): {' '.join(f'{m:.0f}' for m in r['parent_trend_mb'])}")
    print(f"  per text document: {1000 * t0:.0f} ms at the start, {1000 * t1:.0f} ms at the end ({nt} documents); "
          f"CPU {1000 * c0:.0f} ms at the start, {1000 * c1:.0f} ms at the end")
    print(f"    by tenth, wall (ms): {' '.join(f'{1000 * x:.0f}' for x in tt)}; CPU (ms): "
          f"{' '.join(f'{1000 * x:.0f}' for x in ct)}")
    print(f"  per OCR page: {p0:.2f} s at the start, {p1:.2f} s at the end ({np_} pages); "
          f"by tenth (s): {' '.join(f'{x:.2f}' for x in pt)}")
    print(f"  {plans_check(out, want)}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--docs", type=int, default=5000)
    ap.add_argument("--pages", type=int, default=200)
    ap.add_argument("--jobs", type=int, default=1)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--small", action="store_true", help="200 documents and 20 pages")
    ap.add_argument("--child", nargs=3, metavar=("IN", "OUT", "LOG"), help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.child:
        child(*a.child, a.jobs)
        return
    if a.small:
        a.docs, a.pages = 200, 20
    rng = random.Random(a.seed)
    with tempfile.TemporaryDirectory(prefix="vnplans-soak-") as tmp:
        tmp = Path(tmp)
        t = time.monotonic()
        n_docs, n_pages = make_inputs(tmp / "in", a.docs, a.pages, rng)
        print(f"inputs: {a.docs} text documents and {n_docs - a.docs} scanned PDFs of {n_pages} pages "
              f"({time.monotonic() - t:.0f} s to make); jobs {a.jobs}")
        r = run(tmp / "in", tmp / "out1", tmp / "log1", a.jobs)
        report("one run", r, rates(tmp / "log1"), tmp / "out1", n_docs)

        kill_at = int(rng.uniform(0.1, 0.9) * (n_docs + n_pages))  # a random point in the run's progress
        k = run(tmp / "in", tmp / "out2", tmp / "log2", a.jobs, kill_after=kill_at)
        done_before = sum(1 for ln in (tmp / "log2").read_text(encoding="utf-8").splitlines() if "\tdoc\t" in ln)
        pages_before = sum(1 for ln in (tmp / "log2").read_text(encoding="utf-8").splitlines() if "\tpage\t" in ln)
        left = "the run ended first" if k["left_after_kill"] is None else \
            f"{k['left_after_kill']} processes of the run left 5 s later"
        print(f"kill -9 after {k['seconds']:.0f} s ({done_before} documents and {pages_before} OCR pages done): "
              f"{left}, catalog {catalog_mb(tmp / 'out2'):.1f} MB")
        (tmp / "log3").write_text("", encoding="utf-8")
        r2 = run(tmp / "in", tmp / "out2", tmp / "log3", a.jobs)
        rt = rates(tmp / "log3", since=0)
        report("resumed run", r2, rt, tmp / "out2", n_docs)
        s = rt["summary"]
        if s:
            print(f"  resume: {s[0]} documents done, {s[1]} already done, {s[3]} pages OCR'd "
                  f"({pages_before + s[3] - n_pages} pages read twice)")
        print(f"plans.csv of the killed-and-resumed run against the one-run plans.csv: {compare(tmp / 'out1', tmp / 'out2')}")


if __name__ == "__main__":
    main()
