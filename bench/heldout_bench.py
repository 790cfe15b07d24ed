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
    from pipeline.restore import Restorer
    tmp = None
    d = Path(a.dict) if a.dict else None
    if d is None:
        tmp = tempfile.mkdtemp(prefix="vnplans-heldout-")
        d = Path(tmp)
        build_held_out(Path(a.corpus), a.k, d)
    try:
        r = Restorer(load(d))
        texts = held_out_texts(Path(a.corpus), a.k, a.max_words)
        wer, cer, words = diacritic_free(r, texts, a.k if a.v else 0)
        print(f"{len(texts)} held-out documents, {words} words: WER {100 * wer:.2f} %, CER {100 * cer:.2f} %")
    finally:
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)


CHANNEL_TABLES = ("confusions.tsv", "tone_confusions.tsv", "mark_confusions.tsv")  # learned from renders


def build_held_out(corpus: Path, k: int, d: Path) -> None:
    """Dictionaries without every k-th corpus document (the dev split) in d; the channel
    tables, learned from renders of other documents, are copied."""
    for name in CHANNEL_TABLES:
        if (ROOT / "dictionaries" / name).exists():
            shutil.copy(ROOT / "dictionaries" / name, d / name)
    t0 = time.perf_counter()
    subprocess.run([sys.executable, str(ROOT / "scripts" / "build_dictionaries.py"), "--corpus", str(corpus),
                    "--out", str(d), "--hold-out", str(k)], check=True, stdout=subprocess.DEVNULL)
    print(f"dictionaries without every {k}th document built in {time.perf_counter() - t0:.0f} s")


def diacritic_free(r, texts: list[str], verbose_k: int = 0) -> tuple[float, float, int]:
    """Token-weighted WER and character-weighted CER of restoring the texts folded."""
    from pipeline.restore import restore
    words = errs = chars = cerrs = 0
    for i, gold in enumerate(texts):
        s = text_scores(gold, restore(strip_marks(gold), r, mode="bare").text)
        n = len(gold.split())
        words += n
        errs += s["wer"] * n
        chars += len(gold)
        cerrs += s["cer"] * len(gold)
        if verbose_k:
            print(f"  doc {i * verbose_k:4d}  {n:6d} words  WER {100 * s['wer']:5.2f} %")
    return errs / words, cerrs / chars, words


if __name__ == "__main__":
    main()
