#!/usr/bin/env python3
"""Makes the image-preparation fixture (run once; the PNG is committed): seal.png, a signature
block at 300 dpi with a dark ring seal (rings, lettering, star) stamped over the position line."""
import math
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

HERE = Path(__file__).resolve().parent
FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSerif{}.ttf"


def seal_page() -> Image.Image:
    img = Image.new("L", (1400, 760), 240)
    d = ImageDraw.Draw(img)
    bold = ImageFont.truetype(FONT.format("-Bold"), 46)
    for y, s in ((60, "KT. CHỦ TỊCH"), (130, "PHÓ CHỦ TỊCH"), (560, "Nguyễn Văn Bình")):
        w = d.textlength(s, font=bold)
        d.text((760 - w / 2, y), s, font=bold, fill=15)
    cx, cy, r = 560, 330, 215  # 36 mm across at 300 dpi
    for k, wid in ((0, 12), (22, 5), (70, 5)):
        d.ellipse((cx - r + k, cy - r + k, cx + r - k, cy + r - k), outline=35, width=wid)
    small = ImageFont.truetype(FONT.format("-Bold"), 30)
    text = "ỦY BAN NHÂN DÂN TỈNH QUẢNG NAM"
    for i, ch in enumerate(text):  # lettering round the band
        a = math.radians(200 + i * (140 / len(text)) * 2.4)
        x, y = cx + (r - 48) * math.cos(a), cy + (r - 48) * math.sin(a)
        g = Image.new("L", (40, 40), 0)
        ImageDraw.Draw(g).text((8, 2), ch, font=small, fill=255)
        g = g.rotate(-math.degrees(a) - 90, resample=Image.BICUBIC)
        img.paste(35, (int(x) - 20, int(y) - 20), g)
    star = [(cx + 80 * math.cos(math.radians(-90 + 36 * k)) * (1 if k % 2 == 0 else 0.4),
             cy + 80 * math.sin(math.radians(-90 + 36 * k)) * (1 if k % 2 == 0 else 0.4)) for k in range(10)]
    d.polygon(star, fill=35)
    return img


if __name__ == "__main__":
    seal_page().save(HERE / "seal.png", optimize=True)
