#!/usr/bin/env python3
"""Header and signature fields on real signed paper and on degraded renders, in one run.

Usage: python bench/fields_bench.py [--shared ../shared] [--out /tmp/fields_bench] [--reprocess]
       [--only real_scans,real_pages,render3,render4,pages_low,pages_bilevel,scans_low,scans_bilevel,
              scans_c100,pages_skew]
       [--verbose]

Sets (all outside the repository, in the workplace's shared folder):
  real_scans  nine signed, sealed PDFs with hand-checked header/signature gold
  real_pages  34 first pages of 2025 decisions from across the country (header gold)
  render3/4   the four markup sample plans rendered by render_scan.py at levels 3 and 4
              (level 4: low resolution and a seal over the signature), scored on their gold;
              render4_s13, render4_s29: level 4 with other seeds (the seal falls elsewhere)
  pages_low   the real first pages scanned again worse: 100 dpi gray, tilted 1.5°, JPEG q60
  pages_bilevel  ... and as a 200-dpi bilevel (fax-mode) scan; both on real_pages' gold
  scans_low, scans_bilevel  the nine real scans the same way (150-dpi gray tilted 1.2°, 200-dpi
              bilevel; multi-page TIFF, their red seals gray or black): on real_scans' gold
  scans_c100  the nine real scans as 100-dpi colour JPEG PDFs tilted 0.8° (red seals kept)
  pages_skew  the real first pages turned 3° (the deskew path)
Prints fieldscore.py's accuracy per field, the macro, and wrong/missing counts per set, and
the time each run took. --reprocess re-derives records on the cached OCR of an earlier run.
"""
from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def vnplans() -> str:
    return shutil.which("vnplans", path=str(Path(sys.executable).parent)) or "vnplans"


def render(shared: Path, level: int, dest: Path, seed: int = 7) -> Path:
    """The four markup samples rendered at `level` (seeded, so the same pages every run)."""
    dest.mkdir(parents=True, exist_ok=True)
    for src in sorted((shared / "samples" / "markup").glob("*.txt")):
        out = dest / src.stem
        if not out.with_suffix(".pdf").exists():
            subprocess.run([sys.executable, str(shared / "tools" / "render_scan.py"), str(src), str(out),
                            "--level", str(level), "--seed", str(seed)], check=True, capture_output=True)
    for gt in dest.glob("*.gt.txt"):  # ground truth beside the scans is not input
        gt.rename(dest.parent / f"{dest.name}-{gt.name}")
    return dest


def degrade(src: Path, dest: Path, how: str) -> Path:
    """The real first pages as a worse scanner would give them (seeded: the same every run)."""
    import random

    from PIL import Image
    dest.mkdir(parents=True, exist_ok=True)
    rng = random.Random(3)
    for f in sorted(src.glob("*.jpg")):
        im = Image.open(f).convert("L")
        dpi = im.width / 8.27  # A4 width in inches
        if how == "skew":
            out = dest / f.name
            if not out.exists():
                Image.open(f).rotate(rng.choice([-3.0, 3.0]), resample=Image.Resampling.BICUBIC, expand=True,
                                     fillcolor=(250, 250, 250)).save(out, quality=85)
        elif how == "low":
            out = dest / f.name
            if not out.exists():
                s = 100 / dpi
                im = im.resize((round(im.width * s), round(im.height * s)), Image.Resampling.LANCZOS)
                im.rotate(rng.choice([-1.5, 1.5]), resample=Image.Resampling.BICUBIC, fillcolor=245).save(
                    out, quality=60, dpi=(100, 100))
        else:
            out = dest / (f.stem + ".png")
            if not out.exists():
                s = 200 / dpi
                im = im.resize((round(im.width * s), round(im.height * s)), Image.Resampling.LANCZOS)
                im.point(lambda v: 255 if v > 150 else 0).convert("1").save(out, dpi=(200, 200))
    return dest


def degrade_scans(src: Path, dest: Path, how: str) -> Path:
    """The real scans as a worse scanner would give them, one multi-page TIFF each (seeded)."""
    import random

    from PIL import Image
    sys.path.insert(0, str(ROOT))
    from pipeline import poppler
    from pipeline.ocr import OcrSettings, PageTask, load_image
    dest.mkdir(parents=True, exist_ok=True)
    rng = random.Random(5)
    for pdf in sorted(src.glob("*.pdf")):
        out = dest / (pdf.stem + ".tif")
        if out.exists() or out.with_suffix(".pdf").exists():
            continue
        pages = []
        for p in range(1, poppler.page_count(pdf) + 1):
            img, dpi = load_image(PageTask(str(pdf), p, "pdf", OcrSettings()))
            g = img.convert("L")
            s = (150 if how == "low" else 200) / dpi
            g = g.resize((round(g.width * s), round(g.height * s)), Image.Resampling.LANCZOS)
            if how == "c100":
                c = img.convert("RGB")
                c = c.resize((round(c.width * 100 / dpi), round(c.height * 100 / dpi)), Image.Resampling.LANCZOS)
                pages.append(c.rotate(rng.choice([-0.8, 0.8]), resample=Image.Resampling.BICUBIC, fillcolor=(245, 245, 240)))
            elif how == "low":
                pages.append(g.rotate(rng.choice([-1.2, 1.2]), resample=Image.Resampling.BICUBIC, fillcolor=245))
            else:
                pages.append(g.point(lambda v: 255 if v > 140 else 0).convert("1"))
        if how == "c100":
            pages[0].save(out.with_suffix(".pdf"), save_all=True, append_images=pages[1:], resolution=100, quality=70)
            continue
        pages[0].save(out, save_all=True, append_images=pages[1:], dpi=(150, 150) if how == "low" else (200, 200),
                      compression="tiff_lzw" if how == "low" else "group4")
    return dest


def score(shared: Path, gold: Path, out: Path) -> dict:
    r = subprocess.run([sys.executable, str(shared / "tools" / "fieldscore.py"), str(gold),
                        str(out / "plans.jsonl"), "--json"], capture_output=True, text=True)
    try:
        return json.loads(r.stdout.strip().splitlines()[-1])
    except (json.JSONDecodeError, IndexError):
        print(r.stdout, r.stderr, file=sys.stderr)
        return {}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    ap.add_argument("--out", type=Path, default=Path("/tmp/fields_bench"))
    ap.add_argument("--reprocess", action="store_true")
    ap.add_argument("--only", default="real_scans,real_pages,render3,render4,render4_s13,render4_s29,"
                                      "pages_low,pages_bilevel,"
                                      "scans_low,scans_bilevel,scans_c100,pages_skew")
    ap.add_argument("--verbose", action="store_true")
    a = ap.parse_args()
    sh = a.shared.resolve()
    sets = {
        "real_scans": (sh / "samples" / "real_scans", sh / "samples" / "real_scans" / "gold"),
        "real_pages": (sh / "samples" / "real_pages", sh / "samples" / "real_pages" / "gold"),
        "render3": (None, sh / "samples" / "gold"),
        "render4": (None, sh / "samples" / "gold"),
        "render4_s13": (None, sh / "samples" / "gold"),
        "render4_s29": (None, sh / "samples" / "gold"),
        "pages_low": (None, sh / "samples" / "real_pages" / "gold"),
        "pages_bilevel": (None, sh / "samples" / "real_pages" / "gold"),
        "scans_low": (None, sh / "samples" / "real_scans" / "gold"),
        "scans_bilevel": (None, sh / "samples" / "real_scans" / "gold"),
        "scans_c100": (None, sh / "samples" / "real_scans" / "gold"),
        "pages_skew": (None, sh / "samples" / "real_pages" / "gold"),
    }
    rows = []
    for name in a.only.split(","):
        inp, gold = sets[name]
        if inp is None and name.startswith("scans_"):
            inp = degrade_scans(sh / "samples" / "real_scans", a.out / "renders" / name, name[6:])
        elif inp is None and name.startswith("pages_"):
            inp = degrade(sh / "samples" / "real_pages", a.out / "renders" / name, name[6:])
        elif inp is None:
            level, _, seed = name.removeprefix("render").partition("_s")
            inp = render(sh, int(level), a.out / "renders" / name, int(seed or 7))
        out = a.out / name
        cmd = [vnplans(), "run", str(inp), "-o", str(out), "-q"] + (["--reprocess"] if a.reprocess else [])
        t0 = time.perf_counter()
        subprocess.run(cmd)
        secs = time.perf_counter() - t0
        res = score(sh, gold, out)
        rows.append((name, secs, res))
        if a.verbose:
            subprocess.run([sys.executable, str(sh / "tools" / "fieldscore.py"), str(gold),
                            str(out / "plans.jsonl"), "--verbose"])
    for name, secs, res in rows:
        fields = res.get("fields", {})
        print(f"\n{name}: macro {res.get('macro', 0):.3f}, wrong {res.get('wrong')}, missing {res.get('missing')}, "
              f"{secs:.0f} s")
        print("  " + "  ".join(f"{k} {v:.2f}" for k, v in fields.items()))
        if res.get("wrong_by_field"):
            print("  wrong by field: " + ", ".join(f"{k} {v}" for k, v in res["wrong_by_field"].items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
