#!/usr/bin/env python3
"""Learn dictionaries/confusions.tsv: what Tesseract writes for each Vietnamese letter.

Renders paragraphs of the legal corpus (not the sample plans) as page images with the
project's own simple renderer, OCRs them with `-l eng` (no Vietnamese data: '6' for 'ổ',
'ir' for 'ứ') and `-l vie`, aligns the output with the text word by word and letter by
letter, and writes the cost -log P(observed | true base letter) of every observed pair.
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
    env = dict(os.environ, OMP_THREAD_LIMIT="1")
    out = subprocess.run(["tesseract", path, "-", "-l", lang, "--psm", "6"], capture_output=True, env=env)
    return out.stdout.decode("utf-8", "replace")


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
    a = ap.parse_args()
    font = next(f for f in FONTS if Path(f).exists())
    texts = []
    with gzip.open(Path(a.corpus) / "legal_texts_vi.jsonl.gz", "rt", encoding="utf-8") as f:
        step = max(1, 720 // a.pages)
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
    with ProcessPoolExecutor(os.cpu_count() or 2) as ex:
        outs = list(ex.map(ocr, jobs))
    pairs = collections.Counter()
    truth_chars = collections.Counter()
    tones = collections.Counter()
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
    print(f"{len(pages)} pages, {sum(truth_chars.values())} letters aligned: {len(rows)} confusions -> {a.out}")


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
