#!/usr/bin/env python3
"""Rewrite tests/data/golden/NAME.json from the parser's output on samples/text (review the diff!)."""
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from pipeline.normalize import normalize  # noqa: E402
from pipeline.structure import parse  # noqa: E402

out = ROOT / "tests" / "data" / "golden"
out.mkdir(parents=True, exist_ok=True)
for p in sorted((ROOT / "samples" / "text").glob("*.*")):
    rec = parse(normalize(p.read_text(encoding="utf-8")), source=p.stem).to_dict()
    (out / f"{p.stem}.json").write_text(json.dumps(rec, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(out / f"{p.stem}.json")
