"""Quality measures a user can run on a hand-checked sample of their own archive.

Text: word error rate, character error rate and diacritic accuracy (of the words whose
letters are right, the share whose marks are right too). Fields: per-field accuracy of
records against gold records (scalars exact after normalisation, long texts fuzzy, lists
by F1 of a one-to-one fuzzy matching, legal basis by F1 over (number, date)).
"""
from __future__ import annotations

import json
import unicodedata
from pathlib import Path

import regex
from rapidfuzz import fuzz
from rapidfuzz.distance import Levenshtein

from .lexicon import fold, tone_new

_TOKEN = regex.compile(r"[\p{L}\p{N}]+")


strip_marks = fold  # letters without diacritics ('Đường' -> 'Duong')


def words(text: str) -> list[str]:
    return _TOKEN.findall(unicodedata.normalize("NFC", text).lower())


def text_scores(gold: str, hyp: str) -> dict:
    g, h = words(gold), words(hyp)
    wer = Levenshtein.distance(g, h) / max(1, len(g))
    gs, hs = " ".join(g), " ".join(h)
    cer = Levenshtein.distance(gs, hs) / max(1, len(gs))
    # diacritics: align on mark-free words, then compare the aligned words in full
    aligned = right = 0
    for op in Levenshtein.opcodes([strip_marks(x) for x in g], [strip_marks(x) for x in h]):
        if op.tag == "equal":
            for i, j in zip(range(op.src_start, op.src_end), range(op.dest_start, op.dest_end)):
                aligned += 1
                right += g[i] == h[j]
    return {"wer": round(wer, 4), "cer": round(cer, 4), "diacritic_acc": round(right / max(1, aligned), 4),
            "gold_tokens": len(g)}


# ---------------------------------------------------------------- fields

SCALAR = ["issuer", "admin_unit_level", "admin_unit_name", "doc_type", "number", "symbol", "place", "date",
          "event_month", "expected_attendees", "signer_authority", "signer_position", "signer_name"]
LONG = ["title", "event_location", "funding"]
LISTS = ["purposes", "requirements", "participants", "assignment_units", "recipients"]


def canon(v) -> str:
    """Case, spacing, outer punctuation and tone-mark placement do not count."""
    if v is None:
        return ""
    s = unicodedata.normalize("NFC", str(v)).casefold()
    s = tone_new(s)
    return regex.sub(r"\s+", " ", s).strip(" \t.;,:-–")


def _list_f1(gold: list | None, pred: list | None, cutoff: float = 85) -> float:
    g, p = [canon(x) for x in gold or []], [canon(x) for x in pred or []]
    if not g and not p:
        return 1.0
    if not g or not p:
        return 0.0
    free = set(range(len(p)))
    hits = 0
    for x in g:
        best = max(free, key=lambda j: fuzz.ratio(x, p[j]), default=None)
        if best is not None and fuzz.ratio(x, p[best]) >= cutoff:
            free.discard(best)
            hits += 1
    return 0.0 if not hits else 2 * hits / (len(g) + len(p))


def _refs(lst) -> set:
    return {(canon(r.get("number")).replace(" ", ""), canon(r.get("date"))) for r in lst or [] if isinstance(r, dict)}


def score_record(gold: dict, pred: dict) -> dict[str, float]:
    res = {f: float(canon(gold.get(f)) == canon(pred.get(f))) for f in SCALAR}
    for f in LONG:
        g, p = canon(gold.get(f)), canon(pred.get(f))
        res[f] = float(g == p or (bool(g) and bool(p) and fuzz.ratio(g, p) >= 90))
    for f in LISTS:
        res[f] = _list_f1(gold.get(f), pred.get(f))
    gr, pr = _refs(gold.get("legal_basis")), _refs(pred.get("legal_basis"))
    res["legal_basis"] = 1.0 if not gr and not pr else (2 * len(gr & pr) / (len(gr) + len(pr)))
    return res


def _stem(path: str) -> str:
    return Path(str(path)).name.split(".")[0]


def field_scores(gold_dir: Path, plans_jsonl: Path) -> dict:
    preds = {}
    for line in plans_jsonl.read_text(encoding="utf-8").splitlines():
        if line.strip():
            rec = json.loads(line)
            preds[_stem(rec.get("source", ""))] = rec
    per: dict[str, list[float]] = {}
    misses = []
    golds = sorted(gold_dir.glob("*.json"))
    for gp in golds:
        gold = json.loads(gp.read_text(encoding="utf-8"))
        pred = preds.get(_stem(gp.name))
        res = score_record(gold, pred) if pred else dict.fromkeys(SCALAR + LONG + LISTS + ["legal_basis"], 0.0)
        for f, v in res.items():
            per.setdefault(f, []).append(v)
            if v < 1:
                misses.append(f"{_stem(gp.name)} {f}: gold={gold.get(f)!r} got={(pred or {}).get(f)!r}")
    fields = {f: round(sum(v) / len(v), 4) for f, v in per.items()}
    macro = round(sum(fields.values()) / max(1, len(fields)), 4)
    return {"fields": fields, "macro": macro, "documents": len(golds), "misses": misses}
