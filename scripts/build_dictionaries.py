#!/usr/bin/env python3
"""Build dictionaries/ from named, licensed sources (see dictionaries/README.md).

Sources (default ../shared/corpus, or --corpus DIR):
  legal_texts_vi.jsonl.gz          731 Vietnamese legal documents (vbpl.vn; official texts)
  admin_units/units_2025.json      provinces and communes after 1 July 2025 (MIT)
  admin_units/merger_mapping.json  the units merged into each new one (MIT)
  dictionaries/offices.txt         offices and titles of local government (written for this project)
  dictionaries/phrases.txt         standard wording of local government documents (written for this project)
  dictionaries/names.txt           Vietnamese family names and common name syllables (written for this project)

Writes NFC, sorted, TSV files with a header:
  syllables.tsv  syllable, count          bigrams.tsv  w1, w2, count (count >= 2)
  trigrams.tsv   w1, w2, w3, count (>= 3)  acronyms.tsv  acronym, count
  places.tsv     level, name, province    words.tsv    word, count (multi-syllable words)
"""
from __future__ import annotations

import argparse
import collections
import gzip
import json
import math
import sys
import unicodedata
from pathlib import Path

import regex

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from pipeline.lexicon import fold, is_syllable_shape, tone_new  # noqa: E402

SEGMENT = regex.compile(r"[^\s.,;:!?()\[\]{}\"“”‘’'…|«»*=+<>]+(?:\s+[^\s.,;:!?()\[\]{}\"“”‘’'…|«»*=+<>]+)*")
TOKEN_NUM = regex.compile(r"\p{N}")
LETTERS = regex.compile(r"^\p{L}+$")
LEVEL_WORDS = ("xã", "phường", "đặc khu", "tỉnh", "thành phố")
PHRASE_WEIGHT = 40  # a phrase of local-government wording counts as 40 corpus sentences
ACRONYM = regex.compile(r"^[\p{Lu}Đ]{2,8}$")


def lm_tokens(segment: str) -> list[str]:
    """A punctuation-free run of text as LM tokens: lowercase words, <num> for anything with a digit."""
    out = []
    for tok in segment.split():
        if TOKEN_NUM.search(tok):
            out.append("<num>")
        elif LETTERS.match(tok):
            out.append(tok.lower())
        else:
            out.append("<unk>")
    return out


def segments(text: str):
    for line in tone_new(unicodedata.normalize("NFC", text)).split("\n"):
        for m in SEGMENT.finditer(line):
            toks = lm_tokens(m.group(0))
            if toks:
                yield toks


def place_rows(corpus: Path) -> list[tuple[str, str, str]]:
    rows = set()
    units = json.loads((corpus / "admin_units" / "units_2025.json").read_text(encoding="utf-8"))
    for prov in units:
        pname = prov["FullName"]
        for lv in ("Thành phố ", "Tỉnh "):
            if pname.startswith(lv):
                rows.add((lv.strip().lower(), pname[len(lv):], pname[len(lv):]))
        for w in prov.get("Wards", []):
            full = w["FullName"]
            for lv in ("Phường ", "Xã ", "xã ", "Đặc khu ", "Thị trấn "):
                if full.startswith(lv):
                    rows.add((lv.strip().lower(), full[len(lv):], prov["FullName"]))
    merged = json.loads((corpus / "admin_units" / "merger_mapping.json").read_text(encoding="utf-8"))
    old_rx = regex.compile(r"(xã|phường|thị trấn|thị xã|huyện|quận|tỉnh|thành phố)\s+([\p{Lu}][^,]*)")
    for m in merged:
        for part in regex.split(r",|\bvà\b", m.get("truocsapnhap", "") or ""):
            mm = old_rx.search(part.strip())
            if mm:
                rows.add((mm.group(1), mm.group(2).strip(" )."), ""))
    return sorted(rows)


def write_tsv(path: Path, header: list[str], rows) -> int:
    n = 0
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write("\t".join(header) + "\n")
        for r in rows:
            f.write("\t".join(unicodedata.normalize("NFC", str(x)) for x in r) + "\n")
            n += 1
    return n


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", default=str(ROOT.parent / "shared" / "corpus"))
    ap.add_argument("--out", default=str(ROOT / "dictionaries"))
    a = ap.parse_args()
    corpus, out = Path(a.corpus), Path(a.out)
    uni, bi, tri = collections.Counter(), collections.Counter(), collections.Counter()
    acr = collections.Counter()
    docs = 0

    def add(toks: list[str], weight: int = 1) -> None:
        seq = ["<s>"] + toks + ["</s>"]
        for i, t in enumerate(seq):
            uni[t] += weight
            if i >= 1:
                bi[(seq[i - 1], t)] += weight
            if i >= 2:
                tri[(seq[i - 2], seq[i - 1], t)] += weight

    with gzip.open(corpus / "legal_texts_vi.jsonl.gz", "rt", encoding="utf-8") as f:
        for line in f:
            doc = json.loads(line)
            docs += 1
            text = doc["text"]
            for tok in regex.findall(r"\b[\p{Lu}Đ]{2,8}\b", text):
                acr[tok] += 1
            for toks in segments(text):
                add(toks)
    places = place_rows(corpus)
    extra = []
    for level, name, _ in places:
        extra.append(f"{level} {name}")
        extra.append(f"Ủy ban nhân dân {level} {name}")
    offices = (out / "offices.txt")
    if offices.exists():
        extra += [ln.strip() for ln in offices.read_text(encoding="utf-8").splitlines()
                  if ln.strip() and not ln.startswith("#")]
    for phrase in extra:
        for toks in segments(phrase):
            add(toks, weight=3)  # curated phrases survive the count cut-offs below
    phrases = out / "phrases.txt"
    if phrases.exists():
        for ln in phrases.read_text(encoding="utf-8").splitlines():
            if not ln.strip() or ln.startswith("#"):
                continue
            for level in (LEVEL_WORDS if "{level}" in ln else ("",)):
                for toks in segments(ln.replace("{level}", level)):
                    add(toks, weight=PHRASE_WEIGHT)
    names = out / "names.txt"
    if names.exists():
        for ln in names.read_text(encoding="utf-8").splitlines():
            if ln.strip() and not ln.startswith("#"):
                for toks in segments(ln):
                    add(toks, weight=3)

    syl = {t: c for t, c in uni.items() if not t.startswith("<") and c >= 2 and is_syllable_shape(t)}
    n_syl = write_tsv(out / "syllables.tsv", ["syllable", "count"], sorted(syl.items()))
    keep = set(syl) | {"<s>", "</s>", "<num>", "<unk>"}
    keep |= {t for t, c in uni.items() if c >= 20 and not t.startswith("<")}  # frequent acronyms as context
    n_bi = write_tsv(out / "bigrams.tsv", ["w1", "w2", "count"],
                     sorted((a1, b1, c) for (a1, b1), c in bi.items() if c >= 2 and a1 in keep and b1 in keep))
    n_tri = write_tsv(out / "trigrams.tsv", ["w1", "w2", "w3", "count"],
                      sorted((a1, b1, c1, c) for (a1, b1, c1), c in tri.items()
                             if c >= 3 and a1 in keep and b1 in keep and c1 in keep))
    unigram_rows = sorted((t, c) for t, c in uni.items() if t in keep)
    write_tsv(out / "unigrams.tsv", ["token", "count"], unigram_rows)
    acronyms = sorted((t, c) for t, c in acr.items() if c >= 5 and not is_syllable_shape(t.lower()))
    n_acr = write_tsv(out / "acronyms.tsv", ["acronym", "count"], acronyms)
    n_pl = write_tsv(out / "places.tsv", ["level", "name", "province"], places)
    # multi-syllable words: adjacent syllable pairs that occur far more often than chance
    total = sum(uni.values())
    words = []
    for (w1, w2), c in bi.items():
        if c >= 30 and w1 in syl and w2 in syl:
            pmi = math.log(c * total / (uni[w1] * uni[w2]))
            if pmi >= 4.0:
                words.append((f"{w1} {w2}", c))
    name_pairs = collections.Counter()
    name_lines = [name for _, name, _ in places]
    if names.exists():
        name_lines += [ln for ln in names.read_text(encoding="utf-8").splitlines() if ln.strip() and not ln.startswith("#")]
    for name in name_lines:
        toks = [t.lower() for t in tone_new(unicodedata.normalize("NFC", name)).split() if LETTERS.match(t)]
        for a1, b1 in zip(toks, toks[1:]):
            name_pairs[(a1, b1)] += 1
    write_tsv(out / "name_bigrams.tsv", ["w1", "w2", "count"], sorted((a1, b1, c) for (a1, b1), c in name_pairs.items()))
    n_w = write_tsv(out / "words.tsv", ["word", "count"], sorted(words))
    print(f"{docs} documents: {n_syl} syllables, {n_bi} bigrams, {n_tri} trigrams, {n_acr} acronyms, "
          f"{n_pl} places, {n_w} words -> {out}")


if __name__ == "__main__":
    main()
