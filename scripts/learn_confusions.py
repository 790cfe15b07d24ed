#!/usr/bin/env python3
"""Learn the OCR channel: what Tesseract writes for each Vietnamese letter and mark.

Two sources, both from the legal corpus and never from the sample plans or dev documents:
  - paragraphs rendered clean with the project's own simple renderer, OCR'd with `-l eng`
    (no Vietnamese data: '6' for 'ổ', 'ir' for 'ứ') and `-l vie` (outputs cached in
    build/ocr_training/own/);
  - the degraded training scans of scripts/ocr_training.py (`--scans`, default
    build/ocr_training/train: render_scan.py levels 2-4, `-l vie`), which carry the mark
    confusions of real scans (ê for ế, ằ for ầ).
The OCR text is aligned with the truth word by word and letter by letter. Writes
  confusions.tsv       observed, truth base letters, count, cost -log P(observed | truth)
  tone_confusions.tsv  case, observed tone, true tone, count, cost (vie)
  mark_confusions.tsv  case, observed vowel, true vowel (with marks), count, cost (vie)
  ocr_confidence.tsv   Tesseract word confidence bucket: words, wrong, share wrong (vie scans)
Needs tesseract with eng and vie, and fonts-liberation2 (or DejaVu).
"""
from __future__ import annotations

import argparse
import collections
import gzip
import json
import math
import os
import random
import subprocess
import sys
import tempfile
import unicodedata
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import regex
from PIL import Image, ImageDraw, ImageFilter, ImageFont
from rapidfuzz.distance import Levenshtein

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from pipeline.lexicon import edit_runs, fold, tone_name  # noqa: E402

FONTS = ["/usr/share/fonts/truetype/liberation2/LiberationSerif-Regular.ttf",
         "/usr/share/fonts/truetype/liberation/LiberationSerif-Regular.ttf",
         "/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf"]


def render(lines: list[str], font_path: str, size: int, blur: float, seed: int) -> Image.Image:
    font = ImageFont.truetype(font_path, size)
    lh = int(size * 1.5)
    img = Image.new("L", (2480, 120 + lh * len(lines) + 120), 255)
    d = ImageDraw.Draw(img)
    for i, ln in enumerate(lines):
        d.text((200, 120 + i * lh), ln, font=font, fill=0)
    rng = random.Random(seed)
    if blur:
        img = img.filter(ImageFilter.GaussianBlur(blur))
    px = img.load()
    for _ in range(2000):
        x, y = rng.randrange(img.width), rng.randrange(img.height)
        px[x, y] = rng.randrange(0, 140)
    return img


def ocr(args: tuple[str, str]) -> str:
    path, lang = args
    cached = OWN_CACHE / f"{Path(path).stem}.{CACHE_KEY}.{lang}.txt"
    if cached.exists():
        return cached.read_text(encoding="utf-8")
    env = dict(os.environ, OMP_THREAD_LIMIT="1")
    out = subprocess.run(["tesseract", path, "-", "-l", lang, "--psm", "6"], capture_output=True, env=env)
    text = out.stdout.decode("utf-8", "replace")
    OWN_CACHE.mkdir(parents=True, exist_ok=True)
    cached.write_text(text, encoding="utf-8")
    return text


OWN_CACHE = ROOT / "build" / "ocr_training" / "own"
CACHE_KEY = "v1"
VOWELS = set("aăâeêioôơuưyd")  # base letters whose marks OCR confuses (and đ)
CONF_EDGES = (0, 50, 70, 80, 90, 95, 101)


def scan_pages(d: Path) -> list[tuple[str, str, list[tuple[str, float]]]]:
    """(truth, OCR text after cleanup, OCR words with confidence) of each training scan."""
    from pipeline.normalize import normalize
    out = []
    for gt in sorted(d.glob("*.gt.txt")):
        stem = gt.name[:-len(".gt.txt")]
        tsv = d / f"{stem}.vie.tsv"
        txt = d / f"{stem}.vie.txt"
        if not (tsv.exists() and txt.exists()):
            continue
        words = []
        for row in tsv.read_text(encoding="utf-8").splitlines()[1:]:
            f = row.split("\t")
            if len(f) >= 12 and f[0] == "5" and f[11].strip():
                words.append((unicodedata.normalize("NFC", f[11]), float(f[10])))
        out.append((unicodedata.normalize("NFC", gt.read_text(encoding="utf-8")),
                    normalize(txt.read_text(encoding="utf-8")), words))
    return out


def aligned_words(truth_words: list[str], hyp_words: list[str]):
    """(truth index, hyp index) of words whose letters agree once marks are dropped."""
    for op in Levenshtein.opcodes([fold(x).lower() for x in truth_words], [fold(x).lower() for x in hyp_words]):
        if op.tag == "equal":
            yield from zip(range(op.src_start, op.src_end), range(op.dest_start, op.dest_end))


def page_lines(text: str, width: int = 80) -> list[str]:
    words, lines, cur = text.split(), [], ""
    for w in words:
        if len(cur) + len(w) + 1 > width:
            lines.append(cur)
            cur = w
        else:
            cur = f"{cur} {w}".strip()
    if cur:
        lines.append(cur)
    return lines


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", default=str(ROOT.parent / "shared" / "corpus"))
    ap.add_argument("--pages", type=int, default=36)
    ap.add_argument("--out", default=str(ROOT / "dictionaries" / "confusions.tsv"))
    ap.add_argument("--scans", default=str(ROOT / "build" / "ocr_training" / "train"),
                    help="training scans of scripts/ocr_training.py (dev pages must not be here)")
    ap.add_argument("--max-scans", type=int, default=60,
                    help="the first N training scans (t0000 ...): 110 measured no better than 60")
    ap.add_argument("--reuse-own", action="store_true",
                    help="take the own renders' counts from the tables in --out's folder instead of rendering "
                         "and OCRing them again (their letter counts are recovered from count and cost)")
    a = ap.parse_args()
    if Path(a.scans).name == "dev":
        sys.exit("refusing to learn from the dev split")
    if a.reuse_own:
        a.pages = 0
    font = next(f for f in FONTS if Path(f).exists())
    texts = []
    with gzip.open(Path(a.corpus) / "legal_texts_vi.jsonl.gz", "rt", encoding="utf-8") as f:
        step = max(1, 720 // max(1, a.pages))
        for i, line in enumerate(f):
            if i % step == 7 % step:  # a spread of documents
                t = unicodedata.normalize("NFC", json.loads(line)["text"])
                texts.append(" ".join(t.split())[2000:8400])  # 80 lines: 40 as written, 40 in capitals
    # and half as many pages again in capitals: headings and signature blocks are, and
    # Tesseract reads their marks worse
    pages = [page_lines(t)[:40] for t in texts[:a.pages]]
    pages += [[ln.upper() for ln in page_lines(t)[40:80]] for t in texts[:a.pages // 2]]
    tmp = Path(tempfile.mkdtemp())
    jobs = []
    for n, lines in enumerate(pages):
        p = tmp / f"p{n}.png"
        if n < a.pages:
            render(lines, font, 46 + 4 * (n % 3), 0.6 + 0.3 * (n % 3), n).save(p)
        else:  # capitals as headers come in scans: smaller and blurrier than body text
            render(lines, font, 24 + 3 * (n % 3), 0.9 + 0.3 * (n % 3), n).save(p)
        jobs += [(str(p), "eng"), (str(p), "vie")]
    with ProcessPoolExecutor(1) as ex:  # one process: the machine is shared (run niced)
        outs = list(ex.map(ocr, jobs))
    pairs = collections.Counter()
    truth_chars = collections.Counter()
    tones = collections.Counter()
    if a.reuse_own:
        _reuse(Path(a.out), pairs, truth_chars, tones)
    for n, lines in enumerate(pages):
        raw_truth = " ".join(lines).split()
        truth = [w.lower() for w in raw_truth]
        vie = [w.lower() for w in outs[2 * n + 1].split()]
        for op in Levenshtein.opcodes([fold(x) for x in truth], [fold(x) for x in vie]):
            if op.tag == "equal":
                for i, h in zip(range(op.src_start, op.src_end), vie[op.dest_start:op.dest_end]):
                    case = "upper" if raw_truth[i].isupper() else "lower"
                    tones[(case, tone_name(h), tone_name(truth[i]))] += 1
        for hyp_text in outs[2 * n: 2 * n + 2]:
            hyp = [w.lower() for w in hyp_text.split()]
            for op in Levenshtein.opcodes([fold(x) for x in truth], [fold(x) for x in hyp]):
                if op.tag not in ("equal", "replace") or (op.src_end - op.src_start) != (op.dest_end - op.dest_start):
                    continue
                for t, h in zip(truth[op.src_start:op.src_end], hyp[op.dest_start:op.dest_end]):
                    t = regex.sub(r"[^\p{L}\p{N}]", "", t)
                    h = regex.sub(r"[^\p{L}\p{N}&€¢©®$@]", "", h)
                    if not t or not h:
                        continue
                    ft = fold(t)
                    # observed characters are compared as written ('ổ' vs '6'), truth as base letters
                    hh = h
                    for c in ft:
                        truth_chars[c] += 1
                    for e in _pairs(hh, ft):
                        pairs[e] += 1
    marks = collections.Counter()
    for n, lines in enumerate(pages):  # the own renders' vie output: mark confusions too
        raw_truth = " ".join(lines).split()
        vie = outs[2 * n + 1].split()
        _count_marks(raw_truth, vie, marks)
    scans = scan_pages(Path(a.scans))[:a.max_scans] if Path(a.scans).is_dir() else []
    conf = collections.Counter()
    for truth_text, hyp_text, words in scans:
        raw_truth = truth_text.split()
        hyp = hyp_text.split()
        for i, j in aligned_words(raw_truth, hyp):
            case = "upper" if raw_truth[i].isupper() else "lower"
            tones[(case, tone_name(hyp[j].lower()), tone_name(raw_truth[i].lower()))] += 1
        _count_marks(raw_truth, hyp, marks)
        truth = [regex.sub(r"[^\p{L}\p{N}]", "", w.lower()) for w in raw_truth]
        hw = [regex.sub(r"[^\p{L}\p{N}&€¢©®$@]", "", w.lower()) for w in hyp]
        for op in Levenshtein.opcodes([fold(x) for x in truth], [fold(x) for x in hw]):
            if op.tag == "replace" and op.src_end - op.src_start == op.dest_end - op.dest_start:
                for t, h in zip(truth[op.src_start:op.src_end], hw[op.dest_start:op.dest_end]):
                    if t and h:
                        for c in fold(t):
                            truth_chars[c] += 1
                        for e in _pairs(h, fold(t)):
                            pairs[e] += 1
            elif op.tag == "equal":
                for t in truth[op.src_start:op.src_end]:
                    for c in fold(t):
                        truth_chars[c] += 1
        # word confidence against correctness: Tesseract's own words, aligned to the truth
        tw = [w for w, _ in words]
        right = {j for i, j in aligned_words(raw_truth, tw) if tw[j].strip(".,;:()") == raw_truth[i].strip(".,;:()")}
        for j, (_, c) in enumerate(words):
            b = next(k for k in range(len(CONF_EDGES) - 1) if c < CONF_EDGES[k + 1])
            conf[(b, j in right)] += 1
    rows = []
    for (o, t), c in pairs.items():
        if c < 2 or o == t:
            continue
        p = c / max(1, truth_chars[t[0]] if t else sum(truth_chars.values()))
        rows.append((o, t, c, round(-math.log(p), 3)))
    rows.sort()
    Path(a.out).parent.mkdir(parents=True, exist_ok=True)
    with open(a.out, "w", encoding="utf-8", newline="\n") as f:
        f.write("observed\ttruth\tcount\tcost\n")
        for r in rows:
            f.write("\t".join(str(x) for x in r) + "\n")
    names = ["none", "grave", "acute", "hook", "tilde", "dot"]
    with open(Path(a.out).with_name("tone_confusions.tsv"), "w", encoding="utf-8", newline="\n") as f:
        f.write("case\tobserved\ttruth\tcount\tcost\n")
        for case in ("lower", "upper"):
            for o in names:
                for t in names:
                    c = tones[(case, o, t)]
                    tot = sum(tones[(case, x, t)] for x in names)
                    f.write(f"{case}\t{o}\t{t}\t{c}\t{-math.log((c + 0.01) / (tot + 0.06)):.3f}\n")
    with open(Path(a.out).with_name("mark_confusions.tsv"), "w", encoding="utf-8", newline="\n") as f:
        f.write("case\tobserved\ttruth\tcount\tcost\n")
        totals = collections.Counter()
        for (case, _o, t), c in marks.items():
            totals[(case, t)] += c
        for (case, o, t), c in sorted(marks.items()):
            # add-one over the ~12 spellings a vowel has: a pair seen once is not certain
            f.write(f"{case}\t{o}\t{t}\t{c}\t{-math.log((c + 0.5) / (totals[(case, t)] + 6)):.3f}\n")
    with open(Path(a.out).with_name("ocr_confidence.tsv"), "w", encoding="utf-8", newline="\n") as f:
        f.write("low\thigh\twords\twrong\tshare_wrong\n")
        for b in range(len(CONF_EDGES) - 1):
            n, bad = conf[(b, True)] + conf[(b, False)], conf[(b, False)]
            f.write(f"{CONF_EDGES[b]}\t{CONF_EDGES[b + 1]}\t{n}\t{bad}\t{(bad + 1) / (n + 2):.4f}\n")
    print(f"{len(pages)} own pages + {len(scans)} training scans, {sum(truth_chars.values())} letters aligned: "
          f"{len(rows)} confusions, {len(marks)} mark pairs -> {Path(a.out).parent}")


def _reuse(out: Path, pairs: collections.Counter, truth_chars: collections.Counter, tones: collections.Counter) -> None:
    """The counts of the committed tables, where they came from the own renders alone."""
    with open(out, encoding="utf-8") as f:
        next(f)
        for ln in f:
            o, t, c, cost = ln.rstrip("\n").split("\t")
            pairs[(o, t)] += int(c)
            key = t[0] if t else ""
            if key and key not in truth_chars:
                truth_chars[key] = round(int(c) / math.exp(-float(cost)))
    with open(out.with_name("tone_confusions.tsv"), encoding="utf-8") as f:
        next(f)
        for ln in f:
            case, o, t, c, _ = ln.rstrip("\n").split("\t")
            tones[(case, o, t)] += int(c)


def _count_marks(raw_truth: list[str], hyp: list[str], marks: collections.Counter) -> None:
    """(case, observed, true) letters of words OCR read with the right letters: the marks it
    puts on vowels (and đ), identity included, lowercase; capitals counted apart."""
    for i, j in aligned_words(raw_truth, hyp):
        t = regex.sub(r"[^\p{L}]", "", raw_truth[i])
        h = regex.sub(r"[^\p{L}]", "", hyp[j])
        if not t or len(t) != len(h) or fold(t).lower() != fold(h).lower():
            continue
        case = "upper" if t.isupper() and len(t) > 1 else "lower"
        for ct, ch in zip(t.lower(), h.lower()):
            if fold(ct) in VOWELS:
                marks[(case, ch, ct)] += 1


def _pairs(obs: str, truth: str):
    """Letter pairs (observed, truth) of the alignment; '' stands for nothing. Next to the
    single letters, a run of edits that touch each other is also counted whole ('ir' for 'u',
    as in 'chirc' for 'chức'). An observed letter carrying marks counts as its base letter."""
    fo = fold(obs)
    if len(fo) != len(obs):  # characters that fold to more or less than one letter
        fo = obs
    for run in edit_runs(Levenshtein.opcodes(fo, truth)):
        for op in run:
            if op.tag == "replace" and op.src_end - op.src_start == op.dest_end - op.dest_start:
                for i, j in zip(range(op.src_start, op.src_end), range(op.dest_start, op.dest_end)):
                    yield obs[i], truth[j]
            elif op.tag == "replace":
                yield obs[op.src_start:op.src_end], truth[op.dest_start:op.dest_end]
            elif op.tag == "delete":  # OCR added letters
                yield obs[op.src_start:op.src_end], ""
            elif op.tag == "insert":  # OCR lost letters
                yield "", truth[op.dest_start:op.dest_end]
        yield from _group(obs, truth, run)


def _group(obs: str, truth: str, ops: list):
    """A run of two or more adjacent edits as one pair, when it has letters on both sides."""
    if len(ops) < 2:
        return
    o, t = obs[ops[0].src_start:ops[-1].src_end], truth[ops[0].dest_start:ops[-1].dest_end]
    if o and t:
        yield o, t


if __name__ == "__main__":
    main()
