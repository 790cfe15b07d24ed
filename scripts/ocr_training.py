#!/usr/bin/env python3
"""Make OCR training and dev pages from the legal corpus: render, degrade, OCR with `vie`.

The split is fixed by document index: every 10th corpus document (index % 10 == 0, the ones
`build_dictionaries.py --hold-out 10` leaves out) is *dev*, never rendered for training;
training pages come from the other documents. The four sample plans are used by neither.
Each page: an optional two-column header and a title in capitals (corpus lines, as the
Decree 30/2020 layout puts them), then body paragraphs of the document, rendered with
../shared/tools/render_scan.py (training: levels 2-4, font sizes 44-60, varied seeds, and
for some pages an extra bilevel / 100 dpi / strong-JPEG degradation; dev: levels 3 and 4),
OCR'd with `tesseract -l vie` (TSV: words with confidence).

Writes DIR/{train,dev}/NAME.gt.txt, NAME.vie.tsv (Tesseract's TSV) and NAME.vie.txt (its
text); images are deleted. Pages already made are skipped, so --train-pages 200 adds to a
run of 60. Run it niced, it is one process: `nice -n 10 python scripts/ocr_training.py`.
"""
from __future__ import annotations

import argparse
import gzip
import io
import json
import os
import random
import subprocess
import sys
import tempfile
import unicodedata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RENDER = ROOT.parent / "shared" / "tools" / "render_scan.py"
DEV_EVERY = 10  # corpus documents with index % DEV_EVERY == 0 are the dev split
DEFAULT_DIR = ROOT / "build" / "ocr_training"


def corpus_docs(corpus: Path) -> list[str]:
    with gzip.open(corpus / "legal_texts_vi.jsonl.gz", "rt", encoding="utf-8") as f:
        return [unicodedata.normalize("NFC", json.loads(line)["text"]) for line in f]


def is_dev(index: int) -> bool:
    return index % DEV_EVERY == 0


def page_markup(text: str, rng: random.Random, words: int, header: bool) -> str:
    """Render markup for one page: lines of the document from a random start, about `words` words."""
    lines = [" ".join(ln.split()) for ln in text.split("\n") if len(ln.split()) >= 2]
    if not lines:
        return ""
    start = rng.randrange(max(1, len(lines) - 10))
    body, n = [], 0
    for ln in lines[start:]:
        if n >= words:
            break
        body.append(ln)
        n += len(ln.split())
    out = []
    if header:
        short = [ln for ln in lines if 2 <= len(ln.split()) <= 6]
        if len(short) >= 3:
            a, b, c = rng.sample(short, 3)
            out.append(f"@H {a.upper()} | {b.upper()}")
            out.append(f"@CB {c.upper()}")
            out.append("")
    for ln in body:
        out += [ln, ""]
    return "\n".join(out)


def extra_degrade(png: Path, kind: str) -> None:
    """Degradations render_scan does not make: bilevel, 100 dpi, strong JPEG."""
    from PIL import Image
    img = Image.open(png).convert("L")
    if kind == "bilevel":
        img = img.point(lambda v: 255 if v > 150 else 0)
    elif kind == "lowres":
        w, h = img.size
        img = img.resize((w // 2, h // 2), Image.BILINEAR).resize((w, h), Image.BILINEAR)
    elif kind == "jpeg":
        buf = io.BytesIO()
        img.save(buf, "JPEG", quality=20)
        buf.seek(0)
        img = Image.open(buf).convert("L")
    img.save(png)


def tsv_text(tsv: str) -> str:
    """Tesseract TSV as text: words of a line joined by spaces, blocks/paragraphs by blank lines."""
    lines: list[str] = []
    key_prev = None
    cur: list[str] = []
    for row in tsv.splitlines()[1:]:
        f = row.split("\t")
        if len(f) < 12 or f[0] != "5" or not f[11].strip():
            continue
        key = (f[1], f[2], f[3], f[4])
        if key != key_prev and cur:
            lines.append(" ".join(cur))
            if key_prev and key[:3] != key_prev[:3]:
                lines.append("")
            cur = []
        key_prev = key
        cur.append(f[11])
    if cur:
        lines.append(" ".join(cur))
    return "\n".join(lines) + "\n"


def make_page(out: Path, name: str, markup: str, level: int, size: int, seed: int, extra: str) -> None:
    env = dict(os.environ, OMP_THREAD_LIMIT="1")
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "page.txt"
        src.write_text(markup, encoding="utf-8")
        base = Path(tmp) / "scan"
        subprocess.run([sys.executable, str(RENDER), str(src), str(base), "--level", str(level),
                        "--size", str(size), "--seed", str(seed)], check=True, capture_output=True, env=env)
        subprocess.run(["pdfimages", "-png", str(base) + ".pdf", str(Path(tmp) / "img")], check=True)
        tsvs = []
        for png in sorted(Path(tmp).glob("img-*.png")):
            if extra:
                extra_degrade(png, extra)
            r = subprocess.run(["tesseract", str(png), "-", "-l", "vie", "tsv"], capture_output=True, env=env, check=True)
            tsvs.append(r.stdout.decode("utf-8", "replace"))
        gt = (Path(str(base) + ".gt.txt")).read_text(encoding="utf-8")
    head = tsvs[0].splitlines()[0] if tsvs else ""
    tsv = "\n".join([head] + [ln for t in tsvs for ln in t.splitlines()[1:]]) + "\n"
    (out / f"{name}.gt.txt").write_text(gt, encoding="utf-8")
    (out / f"{name}.vie.tsv").write_text(tsv, encoding="utf-8")
    (out / f"{name}.vie.txt").write_text("\n\n".join(tsv_text(t) for t in tsvs), encoding="utf-8")


def plan(docs: list[str], train_pages: int, dev_pages: int) -> list[tuple[str, str, int, str, int, int, str]]:
    """(split, name, doc index, markup, level, size, seed, extra) of every page, deterministic."""
    rng = random.Random(2025)
    train_ids = [i for i in range(len(docs)) if not is_dev(i) and len(docs[i]) > 3000]
    dev_ids = [i for i in range(len(docs)) if is_dev(i) and len(docs[i]) > 3000]
    rng.shuffle(train_ids)
    rng.shuffle(dev_ids)
    jobs = []
    for k in range(train_pages):
        i = train_ids[k % len(train_ids)]
        prng = random.Random(1000 + k)
        level = 2 + k % 3
        size = prng.choice([44, 48, 50, 54, 58, 60])
        extra = {5: "bilevel", 11: "lowres", 17: "jpeg"}.get(k % 18, "")
        markup = page_markup(docs[i], prng, words=int(330 * (54 / size) ** 2), header=k % 2 == 0)
        jobs.append(("train", f"t{k:04d}_d{i:03d}_l{level}_s{size}{'_' + extra if extra else ''}", i, markup,
                     level, size, 1000 + k, extra))
    for k in range(dev_pages):
        i = dev_ids[k % len(dev_ids)]
        prng = random.Random(5000 + k)
        markup = page_markup(docs[i], prng, words=330, header=True)
        for level in (3, 4):  # the same page at both levels
            jobs.append(("dev", f"d{k:04d}_d{i:03d}_l{level}", i, markup, level, 54, 5000 + k, ""))
    return jobs


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", default=str(ROOT.parent / "shared" / "corpus"))
    ap.add_argument("--out", default=str(DEFAULT_DIR))
    ap.add_argument("--train-pages", type=int, default=60)
    ap.add_argument("--dev-pages", type=int, default=10, help="dev pages, each rendered at levels 3 and 4")
    ap.add_argument("--only", choices=["train", "dev"])
    a = ap.parse_args()
    docs = corpus_docs(Path(a.corpus))
    jobs = plan(docs, a.train_pages, a.dev_pages)
    if a.only:
        jobs = [j for j in jobs if j[0] == a.only]
    # dev first and train interleaved would be fairer to a killed run; train first is what learning needs
    for split, name, _i, markup, level, size, seed, extra in sorted(jobs, key=lambda j: j[0] != "train"):
        out = Path(a.out) / split
        out.mkdir(parents=True, exist_ok=True)
        if (out / f"{name}.vie.txt").exists() or not markup:
            continue
        make_page(out, name, markup, level, size, seed, extra)
        print(f"{split}/{name}", flush=True)


if __name__ == "__main__":
    main()
