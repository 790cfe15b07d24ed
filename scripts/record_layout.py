#!/usr/bin/env python3
"""Record the OCR of a finished run (word boxes, page size, page readings) as JSON files, one per
document, so that layout and field tests run without Tesseract.

Usage: python scripts/record_layout.py OUT_DIR DEST_DIR [--only NAME ...]
"""
from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from pipeline.store import Catalog


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out_dir", type=Path)
    ap.add_argument("dest", type=Path)
    ap.add_argument("--only", nargs="*", default=[])
    a = ap.parse_args()
    cat = Catalog(a.out_dir / "catalog.sqlite")
    a.dest.mkdir(parents=True, exist_ok=True)
    key = cat.db.execute("SELECT settings FROM pages LIMIT 1").fetchone()[0]
    for source, sha, n in cat.db.execute("SELECT source, sha256, pages FROM files WHERE status='done' ORDER BY source"):
        stem = source.rsplit(".", 1)[0]
        if a.only and stem not in a.only:
            continue
        pages = [cat.page(sha, p, key) for p in range(1, n + 1)]
        doc = {"source": source, "pages": [
            {"page": p.page, "width": p.width, "height": p.height, "kind": p.kind,
             "words": [[w.text, w.conf, w.left, w.top, w.width, w.height, w.line] for w in p.words],
             "readings": [asdict(r) for r in p.readings]} for p in pages if p is not None]}
        (a.dest / f"{stem}.json").write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
