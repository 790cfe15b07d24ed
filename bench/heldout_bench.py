#!/usr/bin/env python3
"""Restoring diacritic-free text the dictionaries never saw: every K-th corpus document is
left out of a dictionary build, then folded and restored. A check against fitting the samples.

Usage: python bench/heldout_bench.py [--k 10] [--max-words 2000] [--dict DIR (skip the build)]
Prints WER and CER on the held-out documents (and each document's WER with -v).
"""
from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from build_dictionaries import corpus_texts  # noqa: E402
from pipeline.evaluate import strip_marks, text_scores  # noqa: E402


def held_out_texts(corpus: Path, k: int, max_words: int) -> list[str]:
    """The documents a --hold-out k build leaves out, each cut to about max_words words."""
    out = []
    for i, text in enumerate(corpus_texts(corpus)):
        if i % k:
            continue
        lines, n = [], 0
        for ln in text.split("\n"):
            if n >= max_words:
                break
            lines.append(ln)
            n += len(ln.split())
        out.append("\n".join(lines))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", default=str(ROOT.parent / "shared" / "corpus"))
    ap.add_argument("--k", type=int, default=10)
    ap.add_argument("--max-words", type=int, default=2000)
    ap.add_argument("--dict", help="a dictionary directory already built with --hold-out K")
    ap.add_argument("-v", action="store_true")
    a = ap.parse_args()
    from pipeline.lexicon import load
    from pipeline.restore import Restorer, restore
    tmp = None
    d = Path(a.dict) if a.dict else None
    if d is None:
        tmp = tempfile.mkdtemp(prefix="vnplans-heldout-")
        d = Path(tmp)
        for name in ("confusions.tsv", "tone_confusions.tsv"):  # learned from renders, not from counts
            shutil.copy(ROOT / "dictionaries" / name, d / name)
        t0 = time.perf_counter()
        subprocess.run([sys.executable, str(ROOT / "scripts" / "build_dictionaries.py"), "--corpus", a.corpus,
                        "--out", str(d), "--hold-out", str(a.k)], check=True)
        print(f"dictionaries without every {a.k}th document built in {time.perf_counter() - t0:.0f} s")
    try:
        r = Restorer(load(d))
        texts = held_out_texts(Path(a.corpus), a.k, a.max_words)
        words = errs = chars = cerrs = 0
        for i, gold in enumerate(texts):
            s = text_scores(gold, restore(strip_marks(gold), r, mode="bare").text)
            n = len(gold.split())
            words += n
            errs += s["wer"] * n
            nc = len(gold)
            chars += nc
            cerrs += s["cer"] * nc
            if a.v:
                print(f"  doc {i * a.k:4d}  {n:6d} words  WER {100 * s['wer']:5.2f} %")
        print(f"{len(texts)} held-out documents, {words} words: WER {100 * errs / words:.2f} %, "
              f"CER {100 * cerrs / chars:.2f} %")
    finally:
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
