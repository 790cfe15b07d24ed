#!/usr/bin/env python3
"""Restorer targets in one run, side by side with pyvi's ViUtils.add_accents as the peer.

Test texts (never used to learn anything): the ground truth of the four sample plans
(samples/scans/level1/*.gt.txt) and their recorded Tesseract outputs
(tests/data/ocr/levelN/NAME.{eng,vie}.txt; scripts/record_ocr.py).
Dev texts: held-out corpus documents (every 10th), rendered and OCR'd by
scripts/ocr_training.py (build/ocr_training/dev), restored with dictionaries built without them.
  1. diacritic-free text (sample ground truth folded)      target WER <= 1.5 %
  2. OCR without Vietnamese data (-l eng, level 1)         target WER <= 4 %
  3. Tesseract vie of the sample scans (levels 1-3)        level 3 reduced >= 80 %, never worse
  4. dev split: Tesseract vie, levels 3 and 4              reduced >= 60 %, no document worse
     (and again with Tesseract's word confidences from its TSV, as a run passes them)
  5. diacritic-free held-out corpus documents              WER <= 0.8 %
  6. harm: 20,000 words of correct held-out text and tests/data/restore/must_not_change.tsv
                                                            words changed <= 0.05 %
  7. speed on one core after loading, load time, peak memory
Usage: python bench/restore_bench.py [--no-pyvi] [--no-heldout]
"""
from __future__ import annotations

import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipeline.evaluate import strip_marks, text_scores  # noqa: E402
from pipeline.normalize import normalize, tsv_words, word_confidences  # noqa: E402


def pyvi_restore():
    try:
        from pyvi import ViUtils
    except ImportError:
        return None

    def line(ln: str) -> str:  # pyvi raises on some OCR characters: then give it the folded line
        for attempt in (ln, strip_marks(ln)):
            try:
                return ViUtils.add_accents(attempt) if attempt.strip() else attempt
            except (KeyError, ValueError, IndexError):
                continue
        return ln
    return lambda t: "\n".join(line(ln) for ln in t.split("\n"))


def fmt(x: float) -> str:
    return f"{100 * x:6.2f} %"


def main() -> None:
    from pipeline.lexicon import load
    from pipeline.restore import Restorer, restore
    lex = load()
    r = Restorer(lex)
    peer = None if "--no-pyvi" in sys.argv else pyvi_restore()
    gts = sorted((ROOT / "samples" / "scans" / "level1").glob("*.gt.txt"))
    ocr_dir = ROOT / "tests" / "data" / "ocr"

    def corr(t: str) -> str:
        return restore(t, r).text

    print(f"{'task':44s} {'doc':6s} {'raw WER':>9s} {'vnplans':>9s} {'pyvi':>9s}")
    totals: dict[str, list[float]] = {}

    def row(task, name, gold, raw, do_peer=True) -> str:
        """Score one document, print its row and return the corrected text."""
        fixed = corr(raw)
        a = text_scores(gold, raw)["wer"]
        b = text_scores(gold, fixed)["wer"]
        c = text_scores(gold, peer(strip_marks(raw) if task.startswith("1") else raw))["wer"] if peer and do_peer else None
        totals.setdefault(task, []).append((a, b, c, len(gold.split())))
        print(f"{task:44s} {name[:6]:6s} {fmt(a)} {fmt(b)} {fmt(c) if c is not None else '      -':>9s}")
        return fixed

    for gt in gts:
        gold = gt.read_text(encoding="utf-8")
        row("1 diacritic-free text", gt.name, gold, strip_marks(gold))
    for gt in gts:
        gold = gt.read_text(encoding="utf-8")
        f = ocr_dir / "level1" / gt.name.replace(".gt.txt", ".eng.txt")
        if f.exists():
            row("2 tesseract -l eng (no Vietnamese data), lv1", gt.name, gold, normalize(f.read_text(encoding="utf-8")))
    vie = []  # (gold, raw, corrected) of task 3, for the count against the typo-fixed gold below
    for level in (1, 2, 3):
        for gt in gts:
            gold = (ROOT / "samples" / "scans" / f"level{level}" / gt.name).read_text(encoding="utf-8")
            f = ocr_dir / f"level{level}" / gt.name.replace(".gt.txt", ".vie.txt")
            if f.exists():
                raw = normalize(f.read_text(encoding="utf-8"))
                vie.append((gold, raw, row(f"3 tesseract -l vie, level {level}", gt.name, gold, raw, do_peer=False)))
    print()
    print("summary (token-weighted WER):")
    worse = 0
    for task, rows in totals.items():
        n = sum(x[3] for x in rows)
        a = sum(x[0] * x[3] for x in rows) / n
        b = sum(x[1] * x[3] for x in rows) / n
        cs = [x for x in rows if x[2] is not None]
        c = sum(x[2] * x[3] for x in cs) / sum(x[3] for x in cs) if cs else None
        if task.startswith("3"):
            worse += sum(1 for x in rows if x[1] > x[0])
        print(f"  {task:44s} raw {fmt(a)}  vnplans {fmt(b)}  pyvi {fmt(c) if c is not None else '-'}")
    print(f"  documents made worse by correction (task 3): {worse}")
    typos = ROOT / "tests" / "data" / "restore" / "gold_typos.tsv"
    if worse and typos.exists():  # the plans' own typos that the restorer fixes count against it
        rows = [ln.split("\t") for ln in typos.read_text(encoding="utf-8").splitlines()[1:] if ln.strip()]
        fixed = 0
        for gold, raw, corrected in vie:
            for wrong, right, *_ in rows:
                gold = gold.replace(wrong, right)
            fixed += text_scores(gold, corrected)["wer"] > text_scores(gold, raw)["wer"]
        print(f"  ... against the ground truth with the plans' own typos fixed ({typos.name}): {fixed}")
    if "--no-heldout" not in sys.argv:
        held_out(totals)
    # speed, load time and memory in a fresh process of its own (no pyvi in memory)
    import subprocess
    subprocess.run([sys.executable, __file__, "--speed-only"], check=True)


def held_out(totals: dict) -> None:
    """Tasks 4-6 with dictionaries built without the held-out (dev) documents."""
    import csv
    import shutil
    import tempfile
    sys.path.insert(0, str(ROOT / "bench"))
    from heldout_bench import build_held_out, diacritic_free, held_out_texts

    from pipeline.lexicon import load
    from pipeline.restore import Restorer, restore
    corpus = ROOT.parent / "shared" / "corpus"
    tmp = Path(tempfile.mkdtemp(prefix="vnplans-bench-"))
    try:
        build_held_out(corpus, 10, tmp)
        if (ROOT / "dictionaries" / "ocr_confidence.tsv").exists():  # learned from training renders too
            shutil.copy(ROOT / "dictionaries" / "ocr_confidence.tsv", tmp / "ocr_confidence.tsv")
        r = Restorer(load(tmp))
        print()
        dev = ROOT / "build" / "ocr_training" / "dev"
        levels: dict[int, list] = {}
        with_conf: dict[int, list] = {}
        for gt in sorted(dev.glob("*.gt.txt")):
            vie = gt.with_name(gt.name.replace(".gt.txt", ".vie.txt"))
            if not vie.exists():
                continue
            gold, raw = gt.read_text(encoding="utf-8"), normalize(vie.read_text(encoding="utf-8"))
            a = text_scores(gold, raw)["wer"]
            b = text_scores(gold, restore(raw, r).text)["wer"]
            lv = int(gt.name.split("_l")[1][0])
            levels.setdefault(lv, []).append((a, b, len(gold.split())))
            tsv = vie.with_suffix(".tsv")
            if tsv.exists():  # the same text with Tesseract's word confidences, as a run passes them
                confs = word_confidences(raw, tsv_words(tsv.read_text(encoding="utf-8")))
                c = text_scores(gold, restore(raw, r, confidences=confs).text)["wer"]
                with_conf.setdefault(lv, []).append((a, c, len(gold.split())))
        if not levels:
            print("dev split: none (make it: nice -n 10 python scripts/ocr_training.py)")
        print("side by side, Tesseract vie (token-weighted WER, raw -> corrected, reduction):")
        for label, rows in [(f"dev split (held-out corpus), level {lv}", rows) for lv, rows in sorted(levels.items())] + [
                (f"  ... with OCR word confidences, level {lv}", rows) for lv, rows in sorted(with_conf.items())] + [
                (t.replace("3 tesseract -l vie, ", "sample plans (test), "), rows) for t, rows in totals.items() if t.startswith("3")]:
            n = sum(x[-1] for x in rows)
            a = sum(x[0] * x[-1] for x in rows) / n
            b = sum(x[1] * x[-1] for x in rows) / n
            worse = sum(1 for x in rows if x[1] > x[0])
            red = f"{100 * (1 - b / a):5.1f} %" if a else "    -"
            print(f"  {label:40s} {len(rows):3d} docs  {fmt(a)} -> {fmt(b)}  reduction {red}  worse {worse}")
        texts = held_out_texts(corpus, 10, 2000)
        wer, cer, words = diacritic_free(r, texts)
        print(f"diacritic-free held-out corpus text: {len(texts)} documents, {words} words: "
              f"WER {100 * wer:.2f} %, CER {100 * cer:.2f} %")
        # harm: correct text must come back as it is
        n = changed = 0
        examples = []
        for text in texts:  # whole documents, as the batch restores them
            if n >= 20_000:
                break
            text = "\n".join(text.split("\n")[:300])
            res = restore(text, r)
            n += len(text.split())
            changed += len(res.corrections)
            examples += [f"{c.before}->{c.after}" for c in res.corrections]
        print(f"harm, correct held-out text: {changed} changes in {n} words = {100 * changed / max(1, n):.3f} %"
              f"  ({', '.join(examples[:12])})")
        with open(ROOT / "tests" / "data" / "restore" / "must_not_change.tsv", encoding="utf-8") as f:
            rows = list(csv.DictReader(f, delimiter="\t"))
        n = changed = 0
        for row in rows:
            n += len(row["text"].split())
            changed += len(restore(row["text"], r).corrections)
        print(f"harm, {len(rows)} acronyms, names and codes (must_not_change.tsv): {changed} changes in {n} words"
              f" = {100 * changed / max(1, n):.3f} %")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def speed() -> None:
    t0 = time.perf_counter()
    from pipeline.lexicon import load
    from pipeline.restore import Restorer, restore
    lex = load()
    load_s = time.perf_counter() - t0
    warm = None
    gts = sorted((ROOT / "samples" / "scans" / "level1").glob("*.gt.txt"))
    text = "\n".join(strip_marks(gt.read_text(encoding="utf-8")) for gt in gts) * 5
    # the first text pays for the language-model rows it reads (the tables are read lazily)
    c0 = time.process_time()
    first = restore(text, Restorer(lex))
    first_s = time.process_time() - c0
    # CPU time of this process (the machine is shared: wall time varies by tens of percent)
    for label in ("cold caches", "warm caches"):
        rates = []
        for _ in range(3):
            r = Restorer(lex) if label == "cold caches" else warm
            c1 = time.process_time()
            res = restore(text, r)
            rates.append(res.tokens / (time.process_time() - c1))
            warm = r
        rates.sort()
        print(f"speed ({label}): {rates[1]:,.0f} tokens/s of one core's CPU time, median of 3 "
              f"({res.tokens} tokens)")
    print(f"first text after loading: {first.tokens / first_s:,.0f} tokens/s ({first_s:.2f} s CPU, "
          f"{len(lex.tri.blocks):,} trigram contexts read)")
    print(f"load {load_s:.2f} s (wall, imports included); peak memory {peak_mb():.0f} MB")


def peak_mb() -> float:
    """Peak resident memory of this process (VmHWM; ru_maxrss would count the parent before exec)."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


if __name__ == "__main__":
    speed() if "--speed-only" in sys.argv else main()
