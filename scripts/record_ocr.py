#!/usr/bin/env python3
"""Record Tesseract outputs of the sample scans, so tests and benches run without Tesseract.

For every samples/scans/levelN/NAME.pdf writes tests/data/ocr/levelN/NAME.LANG.txt
(LANG = vie and eng: the latter is OCR without Vietnamese data, the motivating case)
with pages separated by form feeds. Pages rendered at 300 dpi, OMP_THREAD_LIMIT=1.
"""
import os
import subprocess
import sys
import tempfile
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def ocr(job):
    pdf, lang, out = job
    env = dict(os.environ, OMP_THREAD_LIMIT="1")
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(["pdftoppm", "-r", "300", "-gray", str(pdf), f"{tmp}/p"], check=True)
        pages = []
        for img in sorted(Path(tmp).glob("p-*.pgm")):
            r = subprocess.run(["tesseract", str(img), "-", "-l", lang], capture_output=True, env=env, check=True)
            pages.append(r.stdout.decode("utf-8"))
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\f".join(pages), encoding="utf-8")
    return str(out)


def main():
    jobs = []
    for pdf in sorted((ROOT / "samples" / "scans").glob("level*/*.pdf")):
        for lang in ("vie", "eng"):
            out = ROOT / "tests" / "data" / "ocr" / pdf.parent.name / f"{pdf.stem}.{lang}.txt"
            if not out.exists() or "--force" in sys.argv:
                jobs.append((pdf, lang, out))
    with ProcessPoolExecutor(os.cpu_count() or 2) as ex:
        for done in ex.map(ocr, jobs):
            print(done)


if __name__ == "__main__":
    main()
