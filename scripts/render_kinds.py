#!/usr/bin/env python3
"""Render the document-kinds test set (tests/data/kinds) as degraded scans at levels 2, 3, 4.

Each markup in tests/data/kinds/markup is rendered with the shared render_scan.py (run as a
subprocess), then some pages get the marks of real archive paper that render_scan does not
draw: an incoming-document stamp beside the title, a digital-signature box at the top of
page 1, a black seal ring over the signer's position on a bilevel page, 100-dpi resampling
and a 1-2 degree skew (which document gets what, at which level: EXTRAS below).

Usage: scripts/render_kinds.py [--levels 2 3 4] [--only NAME ...] [--check-only]
Writes tests/data/kinds/scans/levelN/NAME.pdf and NAME.gt.txt, and tests/data/kinds/extras.tsv.
Before rendering it checks every gold file against its markup (values present in the text).
"""
from __future__ import annotations

import argparse
import datetime as dt
import glob
import json
import math
import os
import re
import subprocess
import sys
import tempfile
import unicodedata

import numpy as np
from PIL import Image, ImageDraw, ImageFont

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
KINDS = os.path.join(ROOT, "tests", "data", "kinds")
RENDER = "/work/shared/tools/render_scan.py"
W300 = 2480  # render_scan's A4 width in pixels at 300 dpi
FONTS = "/usr/share/fonts/truetype/"
HAND_FONT = FONTS + "fifthhorseman/dkg.ttf"
SANS = FONTS + "liberation2/LiberationSans-Regular.ttf"
SANS_B = FONTS + "liberation2/LiberationSans-Bold.ttf"

# name -> {level: extras}; extras: stamp (incoming "CV ĐẾN" box), ds (digital-signature box),
# bw (bilevel page), bw_seal (bilevel page and a black seal ring over the position), dpi100, skew
EXTRAS: dict[str, dict[int, tuple[str, ...]]] = {
    "qd_tinh_daklak": {2: ("ds",), 4: ("ds", "stamp")},
    "cv_huyen_phuvang": {2: ("stamp",), 3: ("dpi100",)},
    "ttr_so_taichinh_quangnam": {2: ("dpi100",)},
    "kh_tp_buonmathuot": {2: ("stamp", "ds")},
    "ct_huyen_krongno": {2: ("bw_seal",)},
    "cv_tinh_camau": {2: ("skew",)},
    "ct_tinh_quangtri": {3: ("stamp", "bw_seal", "skew"), 4: ("stamp", "bw")},
    "cv_so_yte_brvt": {3: ("ds", "skew")},
    "tb_vp_hdnd_nghean": {3: ("ds",)},
    "ttr_tinh_hoabinh_draft": {3: ("stamp",)},
    "qd_bo_nnmt": {3: ("ds", "dpi100")},
    "tb_xa_batxat": {3: ("bw_seal",)},
    "tb_tinh_hue": {4: ("stamp", "skew")},
    "cv_tinh_thanhhoa_tuq": {4: ("dpi100", "skew")},
    "qd_so_tuphap_binhdinh": {4: ("bw",)},
    "kh_so_gddt_lamdong": {4: ("skew",)},
    "nq_hdnd_xa_eayong": {4: ("stamp", "dpi100")},
}
JPEG_QUALITY = 45


# ---------------------------------------------------------------- markup and gold

def read_markup(path: str) -> list[str]:
    """The markup's lines, NFC, as render_scan reads them."""
    with open(path, encoding="utf-8") as f:
        return [unicodedata.normalize("NFC", x.rstrip("\n")) for x in f]


def _squash(s: str) -> str:
    return re.sub(r"\s+", " ", s).strip()


def streams(lines: list[str]) -> tuple[str, str]:
    """(left, right): the text of the left column and body, and of the right column, one line each."""
    left, right = [], []
    for ln in lines:
        if ln.startswith("@H"):
            a, _, b = ln[2:].partition("|")
            left.append(a.strip())
            right.append(b.strip())
        elif ln.startswith("@"):
            tag, _, rest = ln.partition(" ")
            if tag != "@GAP":
                left.append(rest.strip())
        else:
            left.append(ln.strip())
    return _squash(" ".join(left)), _squash(" ".join(right))


def check_gold(name: str) -> list[str]:
    """Problems of one gold file: values that its markup does not contain as written."""
    lines = read_markup(os.path.join(KINDS, "markup", name + ".txt"))
    with open(os.path.join(KINDS, "gold", name + ".json"), encoding="utf-8") as f:
        gold = json.load(f)
    left, right = streams(lines)
    both = left + " " + right
    bad = []
    for r in gold["recipients"]:
        if not re.search(re.escape("- " + r) + r"\s*[;.]?", left):
            bad.append(f"recipient {r!r}")
    if gold["title"] not in left:
        bad.append("title")
    if gold["signer_name"] not in both:
        bad.append("signer_name")
    if not re.search(r"Số:\s*" + re.escape(gold["number"]) + r"\s*/" + re.escape(gold["symbol"]) + r"\b", left):
        bad.append("number/symbol")
    if gold["doc_type"] != "Công văn" and not re.search(r"@CB " + gold["doc_type"].upper() + r"$", "\n".join(lines), re.M):
        bad.append("doc_type")
    if (gold["place"] + ", ngày") not in right:
        bad.append("place")
    m = re.search(r"ngày\s*(\d*)\s*tháng\s*(\d*)\s*năm\s+(\d{4})", right)
    if not m:
        bad.append("date")
    else:
        d, mo, y = m.groups()
        want = y + (f"-{int(mo):02d}" if mo else "") + (f"-{int(d):02d}" if d and mo else "")
        if want != gold["date"]:
            bad.append(f"date {want} != {gold['date']}")
    chain = list(re.findall(r"\b(TM|KT|TL|TUQ)\.", both))
    pos = gold["signer_position"].upper().replace("CHÁNH VĂN PHÒNG", "CHÁNH VĂN PHÒNG")
    if pos not in both.upper():
        bad.append("signer_position")
    if gold["signer_authority"] and gold["signer_authority"].split()[0].rstrip(".") not in chain:
        bad.append("signer_authority")
    return bad


# ---------------------------------------------------------------- rendering

def render(src: str, out: str, level: int, seed: int) -> None:
    subprocess.run([sys.executable, RENDER, src, out, "--level", str(level), "--seed", str(seed)],
                   check=True, stdout=subprocess.DEVNULL)


def pdf_pages(pdf: str, tmp: str) -> list[Image.Image]:
    """The page images of a render_scan PDF, as stored (one image per page)."""
    prefix = os.path.join(tmp, "img")
    for f in glob.glob(prefix + "*"):
        os.remove(f)
    subprocess.run(["pdfimages", "-all", pdf, prefix], check=True)
    return [Image.open(f).convert("L") for f in sorted(glob.glob(prefix + "*"))]


def _blank_line(lines: list[str], i: int, side: str) -> list[str]:
    out = list(lines)
    if out[i].startswith("@H"):
        a, _, b = out[i][2:].partition("|")
        out[i] = f"@H {a.strip() if side == 'right' else '.'} | {b.strip() if side == 'left' else '.'}"
    else:
        tag, _, _ = out[i].partition(" ")
        out[i] = f"{tag} ."
    return out


def anchor_line(lines: list[str], gold: dict, what: str) -> tuple[int, str] | None:
    """Index and column of the markup line to locate: the kind (or V/v) line, or the signer's position."""
    if what == "kind":
        for i, ln in enumerate(lines):
            if ln.startswith("@CB "):
                return i, "line"
            if ln.startswith("@H V/v"):
                return i, "left"
        return None
    pos = gold["signer_position"].upper()
    for i, ln in enumerate(lines):
        if ln.startswith("@H") and ln.partition("|")[2].strip() == pos:
            return i, "right"
        if ln.startswith(("@RB ", "@R ")) and ln.partition(" ")[2].strip() == pos:
            return i, "line"
    return None


def locate(lines: list[str], gold: dict, what: str, tmp: str, base: list[Image.Image]) -> tuple[int, tuple[int, int, int, int]] | None:
    """(page, box at 300 dpi) of an anchor line: the pixels that change when that line is blanked."""
    a = anchor_line(lines, gold, what)
    if a is None:
        return None
    src = os.path.join(tmp, "blank.txt")
    with open(src, "w", encoding="utf-8") as f:
        f.write("\n".join(_blank_line(lines, a[0], a[1])) + "\n")
    render(src, os.path.join(tmp, "blank"), 0, 0)
    for p, (x, y) in enumerate(zip(base, pdf_pages(os.path.join(tmp, "blank.pdf"), tmp))):
        d = np.abs(np.asarray(x, np.int16) - np.asarray(y, np.int16)) > 60
        if d.any():
            ys, xs = np.nonzero(d)
            return p, (int(xs.min()), int(ys.min()), int(xs.max()), int(ys.max()))
    return None


# ---------------------------------------------------------------- extra degradations

def _font(path: str, px: float) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(path, max(8, int(px)))


def incoming_stamp(img: Image.Image, box: tuple[int, int, int, int], number: str, day: str,
                   rng: np.random.Generator) -> None:
    """A rectangular 'CV ĐẾN' stamp in the left margin beside the title, number and date by hand."""
    s = img.width / W300
    d = ImageDraw.Draw(img)
    x0 = int((30 + rng.integers(0, 30)) * s)
    yc = (box[1] + box[3]) / 2 * s
    w, h = 360 * s, 230 * s
    y0 = int(yc - h / 2 + rng.integers(-40, 40) * s)
    ink = int(rng.integers(60, 110))
    d.rectangle((x0, y0, x0 + w, y0 + h), outline=ink, width=max(2, int(5 * s)))
    d.text((x0 + 70 * s, y0 + 14 * s), "CV ĐẾN", font=_font(SANS_B, 40 * s), fill=ink)
    d.text((x0 + 14 * s, y0 + 80 * s), "Số:", font=_font(SANS, 32 * s), fill=ink)
    d.text((x0 + 14 * s, y0 + 150 * s), "Ngày:", font=_font(SANS, 32 * s), fill=ink)
    # the handwritten part: a script font, slanted and jittered letter by letter, in pen ink
    hand = _font(HAND_FONT, 46 * s)
    for text, x, y in ((number, x0 + 80 * s, y0 + 62 * s), (day, x0 + 110 * s, y0 + 132 * s)):
        for ch in text:
            tile = Image.new("L", (int(70 * s) + 4, int(90 * s) + 4), 0)
            ImageDraw.Draw(tile).text((2, 2), ch, font=hand, fill=255)
            tile = tile.rotate(float(rng.uniform(-12, 12)), resample=Image.BICUBIC)
            yy = int(y + rng.uniform(-6, 6) * s)
            img.paste(Image.new("L", tile.size, int(rng.integers(20, 60))), (int(x), yy), tile)
            x += hand.getlength(ch) * rng.uniform(0.9, 1.1)


def signature_box(img: Image.Image, signer: str, when: dt.datetime) -> None:
    """A digital-signature box at the top right of page 1, as signing software prints it."""
    s = img.width / W300
    d = ImageDraw.Draw(img)
    f = _font(SANS, 27 * s)
    lines = [f"Ký bởi: {signer}", f"Thời gian ký: {when:%d/%m/%Y %H:%M:%S} +07:00"]
    tw = max(d.textlength(t, font=f) for t in lines)
    x1 = W300 * s - 70 * s
    x0 = x1 - tw - 150 * s
    y0, y1 = 40 * s, 40 * s + 120 * s
    d.rectangle((x0, y0, x1, y1), outline=90, width=max(1, int(3 * s)))
    # logo: a ring with a tick
    cx, cy, r = x0 + 65 * s, (y0 + y1) / 2, 42 * s
    d.ellipse((cx - r, cy - r, cx + r, cy + r), outline=110, width=max(2, int(6 * s)))
    d.line((cx - 20 * s, cy, cx - 4 * s, cy + 18 * s, cx + 24 * s, cy - 20 * s), fill=110, width=max(2, int(7 * s)))
    for k, t in enumerate(lines):
        d.text((x0 + 125 * s, y0 + (18 + 44 * k) * s), t, font=f, fill=70)


def black_seal(img: Image.Image, box: tuple[int, int, int, int], ring_text: str, rng: np.random.Generator) -> None:
    """A black round seal over the left part of the signer's position (as on bilevel scans)."""
    s = img.width / W300
    d = ImageDraw.Draw(img)
    cx = (box[0] + rng.integers(0, 80)) * s
    cy = ((box[1] + box[3]) / 2 + rng.integers(40, 110)) * s
    r = 215 * s
    d.ellipse((cx - r, cy - r, cx + r, cy + r), outline=0, width=max(2, int(9 * s)))
    r2 = r - 70 * s
    d.ellipse((cx - r2, cy - r2, cx + r2, cy + r2), outline=0, width=max(2, int(6 * s)))
    f = _font(SANS_B, 38 * s)
    text = ring_text.upper() + " * "
    for k, ch in enumerate(text):
        a = math.pi * (0.95 + 1.1 * k / len(text))  # around the top of the ring
        tile = Image.new("L", (int(50 * s) + 2, int(50 * s) + 2), 0)
        ImageDraw.Draw(tile).text((1, 1), ch, font=f, fill=255)
        tile = tile.rotate(-math.degrees(a) - 90, resample=Image.BICUBIC)
        rr = r - 36 * s
        img.paste(0, (int(cx + rr * math.cos(a) - tile.width / 2), int(cy + rr * math.sin(a) - tile.height / 2)), tile)
    # a five-pointed star in the middle
    pts = [(cx + (60 if k % 2 == 0 else 24) * s * math.cos(-math.pi / 2 + k * math.pi / 5),
            cy + (60 if k % 2 == 0 else 24) * s * math.sin(-math.pi / 2 + k * math.pi / 5)) for k in range(10)]
    d.polygon(pts, fill=0)


def bilevel(img: Image.Image) -> Image.Image:
    """A black-and-white page, as a fax-mode office scanner makes it."""
    a = np.asarray(img)
    return Image.fromarray(((a > 150) * 255).astype(np.uint8)).convert("1")


def skew(img: Image.Image, rng: np.random.Generator) -> Image.Image:
    angle = float(rng.uniform(1.0, 2.0) * rng.choice([-1, 1]))
    return img.rotate(angle, resample=Image.BICUBIC, expand=False, fillcolor=245)


# ---------------------------------------------------------------- one document

def seal_text(issuer: str) -> str:
    return issuer


def build(name: str, level: int, seed: int, out_dir: str, tmp: str) -> str:
    """Render one document at one level with its extras; returns the extras applied."""
    src = os.path.join(KINDS, "markup", name + ".txt")
    with open(os.path.join(KINDS, "gold", name + ".json"), encoding="utf-8") as f:
        gold = json.load(f)
    extras = EXTRAS.get(name, {}).get(level, ())
    rng = np.random.default_rng(seed + 7)
    raw = os.path.join(tmp, "raw")
    render(src, raw, level, seed)
    pages = pdf_pages(raw + ".pdf", tmp)
    dpi = 300 * pages[0].width / W300
    if extras:
        lines = read_markup(src)
        render(src, os.path.join(tmp, "clean"), 0, 0)
        base = pdf_pages(os.path.join(tmp, "clean.pdf"), tmp)
        if "stamp" in extras:
            where = locate(lines, gold, "kind", tmp, base)
            date = dt.date.fromisoformat(gold["date"]) if len(gold["date"]) == 10 else dt.date(2025, 3, 20)
            got = date + dt.timedelta(days=int(rng.integers(1, 4)))
            num = str(int(rng.integers(120, 4999)))
            incoming_stamp(pages[where[0]], where[1], num, f"{got.day}/{got.month}/{got:%y}", rng)
        if "ds" in extras:
            date = dt.date.fromisoformat(gold["date"])
            when = dt.datetime(date.year, date.month, date.day, int(rng.integers(7, 17)),
                               int(rng.integers(0, 60)), int(rng.integers(0, 60)))
            signature_box(pages[0], gold["issuer"], when)
        if "bw_seal" in extras:
            where = locate(lines, gold, "position", tmp, base)
            black_seal(pages[where[0]], where[1], seal_text(gold["issuer"]), rng)
    if "bw" in extras or "bw_seal" in extras:
        pages = [bilevel(p) for p in pages]
    if "skew" in extras:
        pages = [skew(p.convert("L"), rng) for p in pages]
        if "bw" in extras or "bw_seal" in extras:
            pages = [bilevel(p) for p in pages]
    if "dpi100" in extras:
        f = 100 / dpi
        pages = [p.convert("L").resize((round(p.width * f), round(p.height * f)), Image.LANCZOS) for p in pages]
        dpi = 100
    os.makedirs(out_dir, exist_ok=True)
    out = os.path.join(out_dir, name)
    if pages[0].mode != "1":  # re-encode as JPEG (bilevel pages go in as CCITT G4)
        pages = [_jpeg(p) for p in pages]
    pages[0].save(out + ".pdf", save_all=True, append_images=pages[1:], resolution=dpi)
    os.replace(raw + ".gt.txt", out + ".gt.txt")
    return ",".join(extras)


def _jpeg(img: Image.Image) -> Image.Image:
    import io
    buf = io.BytesIO()
    img.convert("L").save(buf, "JPEG", quality=JPEG_QUALITY)
    buf.seek(0)
    return Image.open(buf)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--levels", type=int, nargs="+", default=[2, 3, 4])
    ap.add_argument("--only", nargs="*", help="document names (default: all markups)")
    ap.add_argument("--check-only", action="store_true", help="check gold against markup and stop")
    a = ap.parse_args()
    names = sorted(os.path.basename(p)[:-4] for p in glob.glob(os.path.join(KINDS, "markup", "*.txt")))
    problems = {n: check_gold(n) for n in names}
    problems = {n: p for n, p in problems.items() if p}
    for n, p in problems.items():
        print(f"gold {n}: {', '.join(p)}", file=sys.stderr)
    if problems:
        sys.exit(1)
    print(f"gold: {len(names)} files agree with their markup")
    if a.check_only:
        return
    todo = a.only or names
    for level in a.levels:
        out_dir = os.path.join(KINDS, "scans", f"level{level}")
        for i, name in enumerate(names):
            if name in todo:
                with tempfile.TemporaryDirectory() as tmp:
                    ex = build(name, level, seed=100 * level + i, out_dir=out_dir, tmp=tmp)
                print(f"level {level} {name} {ex}")
    with open(os.path.join(KINDS, "extras.tsv"), "w", encoding="utf-8") as f:
        f.write("level\tname\textras\n")
        for name in names:
            for level, ex in sorted(EXTRAS.get(name, {}).items()):
                f.write(f"{level}\t{name}\t{','.join(ex)}\n")

if __name__ == "__main__":
    main()
