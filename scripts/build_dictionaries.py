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
  syllables.tsv  syllable, count           acronyms.tsv  acronym, count
  unigrams.tsv   token, count, logp, backoff
  bigrams.tsv    w1, w2, count, logp, backoff   (count >= 2)
  trigrams.tsv   w1, w2, w3, count, logp        (count >= 2, or logp >= 1 nat above the back-off)
  places.tsv     level, name, province     words.tsv     word, count (multi-syllable words)
The language model is interpolated modified Kneser-Ney (Chen & Goodman 1998) estimated on the
full counts, written in back-off form: logp of a seen n-gram, backoff = log weight of the
lower order after that context. Natural logarithms.
--hold-out K leaves every K-th corpus document out (bench/heldout_bench.py restores those).
"""
from __future__ import annotations

import argparse
import collections
import gzip
import json
import math
import sys
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import regex

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from pipeline.lexicon import RUN_BREAK, is_syllable_shape, tone_new  # noqa: E402

_NOT_BREAK = r"[^\s" + regex.escape(RUN_BREAK) + "]+"
SEGMENT = regex.compile(_NOT_BREAK + r"(?:\s+" + _NOT_BREAK + ")*")
TOKEN_NUM = regex.compile(r"\p{N}")
LETTERS = regex.compile(r"^\p{L}+$")
LEVEL_WORDS = ("xã", "phường", "đặc khu", "tỉnh", "thành phố")
PHRASE_WEIGHT = 40  # a phrase of local-government wording counts as 40 corpus sentences
ACRONYM = regex.compile(r"^[\p{Lu}Đ]{2,8}$")
MIN_BIGRAM, MIN_TRIGRAM = 2, 2  # n-grams seen fewer times are left to the back-off ...
PRUNE_GAIN = 1.0                # ... unless their log-probability is this much (nats) above it


def corpus_texts(corpus: Path):
    with gzip.open(corpus / "legal_texts_vi.jsonl.gz", "rt", encoding="utf-8") as f:
        for line in f:
            yield json.loads(line)["text"]


@dataclass(frozen=True)
class KneserNey:
    """Natural-log probabilities of an interpolated modified Kneser-Ney trigram model, in
    back-off form: p3/p2/p1 for seen n-grams, bo3/bo2 the weight of the lower order."""
    p1: dict
    p2: dict
    p3: dict
    bo2: dict
    bo3: dict


def _discounts(counts) -> tuple[float, float, float]:
    """Modified Kneser-Ney discounts D1, D2, D3+ from the counts of counts (Chen & Goodman)."""
    n = collections.Counter(c for c in counts if c <= 4)
    n1, n2, n3, n4 = (max(n[k], 1) for k in (1, 2, 3, 4))
    y = n1 / (n1 + 2 * n2)
    return 1 - 2 * y * n2 / n1, 2 - 3 * y * n3 / n2, 3 - 4 * y * n4 / n3


def _level(counts: dict, ctx_of) -> tuple[dict, dict]:
    """Discounted share of each n-gram in its context, and each context's back-off weight."""
    d = _discounts(counts.values())
    total: collections.Counter = collections.Counter()
    mass: collections.Counter = collections.Counter()
    for g, c in counts.items():
        k = ctx_of(g)
        total[k] += c
        mass[k] += d[min(c, 3) - 1]
    share = {g: max(c - d[min(c, 3) - 1], 0.0) / total[ctx_of(g)] for g, c in counts.items()}
    return share, {k: mass[k] / total[k] for k in total}


def kneser_ney(uni: dict, bi: dict, tri: dict) -> KneserNey:
    """Interpolated modified Kneser-Ney over the full counts (pruning happens after, on output).
    Lower orders use continuation counts (how many words precede), except after <s>."""
    cont2: collections.Counter = collections.Counter()
    for (_, b, c) in tri:
        cont2[(b, c)] += 1
    for (b, c), n in bi.items():
        if b == "<s>":
            cont2[(b, c)] = n
    cont1: collections.Counter = collections.Counter(c for (_, c) in bi)
    vocab = [t for t in uni if t != "<s>"]
    tot1 = sum(cont1.values()) + 0.5 * len(vocab)
    p1 = {t: (cont1[t] + 0.5) / tot1 for t in vocab}
    share2, w2 = _level(cont2, lambda g: g[0])
    p2 = {g: s + w2[g[0]] * p1[g[1]] for g, s in share2.items()}
    share3, w3 = _level(tri, lambda g: g[:2])
    p3 = {g: s + w3[g[:2]] * p2[g[1:]] for g, s in share3.items()}
    log = math.log
    return KneserNey({t: log(v) for t, v in p1.items()} | {"<s>": 0.0}, {g: log(v) for g, v in p2.items()},
                     {g: log(v) for g, v in p3.items()}, {k: log(v) for k, v in w2.items()},
                     {k: log(v) for k, v in w3.items()})


def lm_tokens(segment: str) -> list[str]:
    """A punctuation-free run as LM tokens: lowercase words, <num> for anything with a digit, <unk> for symbols."""
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


def person_rows(path: Path, corpus: Path, hold_out: int, also: frozenset[int] = frozenset()) -> list[tuple[str, str, int]]:
    """(role, lowercase name syllable, rank) of surnames and given/middle names: the hand-written
    list in its order, then syllables of person names in the corpus ('Ông Trần Thanh Mẫn', a
    signature line) after it, commonest first."""
    order: dict[str, dict[str, int]] = {"surname": {}, "given": {}}
    role = ""
    for ln in path.read_text(encoding="utf-8").splitlines():
        ln = ln.strip()
        if not ln or ln.startswith("#"):
            continue
        if ln.startswith("["):
            role = ln.strip("[]")
            continue
        for w in ln.split():
            order[role].setdefault(tone_new(unicodedata.normalize("NFC", w)).lower(), len(order[role]))
    sur = "|".join(sorted((w.title() for w in order["surname"]), key=len, reverse=True))
    rx = regex.compile(r"(?:(?<=\b(?:Ông|ông|Bà|bà|[Đđ]ồng chí)\s)|^\s*)((?:" + sur
                       + r")(?:\s\p{Lu}\p{Ll}+){1,3})(?=\s*$|\s*[,;.()])", regex.M)
    seen: collections.Counter = collections.Counter()
    for i, text in enumerate(corpus_texts(corpus)):
        if (hold_out and i % hold_out == 0) or i in also:
            continue
        for m in rx.finditer(tone_new(unicodedata.normalize("NFC", text))):
            words = m.group(1).lower().split()
            if words[-1] in ("nội",) or any(not is_syllable_shape(w) for w in words):
                continue
            seen[("surname", words[0])] += 1
            seen.update(("given", w) for w in words[1:])
    for (r, w), _ in seen.most_common():
        order[r].setdefault(w, len(order[r]))
    # syllables of the names of today's units: a person may bear them too ('Điện', 'Hoằng')
    order["place"] = {}
    units = json.loads((corpus / "admin_units" / "units_2025.json").read_text(encoding="utf-8"))
    for prov in units:
        for full in [prov["FullName"]] + [w["FullName"] for w in prov.get("Wards", [])]:
            for w in tone_new(unicodedata.normalize("NFC", full)).split():
                if w[:1].isupper() and is_syllable_shape(w.lower()):
                    order["place"].setdefault(w.lower(), 0)
    return sorted((r, w, k) for r, d in order.items() for w, k in d.items())


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
    ap.add_argument("--hold-out", type=int, default=0, metavar="K",
                    help="leave every K-th corpus document out (for bench/heldout_bench.py)")
    ap.add_argument("--hold-out-docs", default="", metavar="I,J,...",
                    help="corpus document indexes left out as well (to tune on training scans of them)")
    ap.add_argument("--min-trigram", type=int, default=MIN_TRIGRAM)
    ap.add_argument("--prune", type=float, default=PRUNE_GAIN)
    a = ap.parse_args()
    corpus, out = Path(a.corpus), Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    lists = ROOT / "dictionaries"  # the hand-written lists live with the code
    acr = collections.Counter()
    runs: list[tuple[list[str], int]] = []  # (tokens of one punctuation-free run, weight)
    docs = 0
    also = frozenset(int(x) for x in a.hold_out_docs.split(",") if x.strip())
    for i, text in enumerate(corpus_texts(corpus)):
        if (a.hold_out and i % a.hold_out == 0) or i in also:
            continue
        docs += 1
        for tok in regex.findall(r"\b[\p{Lu}Đ]{2,8}\b", text):
            acr[tok] += 1
        runs.extend((toks, 1) for toks in segments(text))
    places = place_rows(corpus)
    extra = []
    for level, name, _ in places:
        extra.append(f"{level} {name}")
        extra.append(f"Ủy ban nhân dân {level} {name}")
    offices = lists / "offices.txt"
    if offices.exists():
        extra += [ln.strip() for ln in offices.read_text(encoding="utf-8").splitlines()
                  if ln.strip() and not ln.startswith("#")]
    for phrase in extra:
        runs.extend((toks, 3) for toks in segments(phrase))  # curated phrases survive the count cut-offs
    phrases = lists / "phrases.txt"
    if phrases.exists():
        for ln in phrases.read_text(encoding="utf-8").splitlines():
            if not ln.strip() or ln.startswith("#"):
                continue
            for level in (LEVEL_WORDS if "{level}" in ln else ("",)):
                runs.extend((toks, PHRASE_WEIGHT) for toks in segments(ln.replace("{level}", level)))
    names = lists / "names.txt"
    if names.exists():
        for ln in names.read_text(encoding="utf-8").splitlines():
            if ln.strip() and not ln.startswith("#"):
                runs.extend((toks, 3) for toks in segments(ln))

    uni: collections.Counter = collections.Counter()
    for toks, w in runs:
        for t in toks:
            uni[t] += w
    syl = {t: c for t, c in uni.items() if not t.startswith("<") and c >= 2 and is_syllable_shape(t)}
    n_syl = write_tsv(out / "syllables.tsv", ["syllable", "count"], sorted(syl.items()))
    keep = set(syl) | {"<s>", "</s>", "<num>", "<unk>", "<oov>"}
    keep |= {t for t, c in uni.items() if c >= 20 and not t.startswith("<")}  # frequent acronyms as context
    # n-grams over the kept vocabulary, as the restorer sees text: a word outside it is <oov>
    # (<unk> is a token of symbols, '-', 'KH-UBND'; <num> anything with a digit)
    uni, bi, tri = collections.Counter(), collections.Counter(), collections.Counter()
    for toks, w in runs:
        seq = ["<s>"] + [t if t in keep else "<oov>" for t in toks] + ["</s>"]
        for j, t in enumerate(seq):
            uni[t] += w
            if j >= 1:
                bi[(seq[j - 1], t)] += w
            if j >= 2:
                tri[(seq[j - 2], seq[j - 1], t)] += w
    lm = kneser_ney(uni, bi, tri)
    n_bi = write_tsv(out / "bigrams.tsv", ["w1", "w2", "count", "logp", "backoff"],
                     sorted((a1, b1, c, f"{lm.p2[(a1, b1)]:.4f}", f"{lm.bo3.get((a1, b1), 0.0):.4f}")
                            for (a1, b1), c in bi.items() if c >= MIN_BIGRAM))
    def backed_off(g: tuple[str, str, str]) -> float:
        """What the restorer computes for a trigram left out of the table."""
        p2 = lm.p2[g[1:]] if bi[g[1:]] >= MIN_BIGRAM else lm.bo2.get(g[1], 0.0) + lm.p1[g[2]]
        return lm.bo3.get(g[:2], 0.0) + p2

    # rarer trigrams only where they say something the back-off does not
    n_tri = write_tsv(out / "trigrams.tsv", ["w1", "w2", "w3", "count", "logp"],
                      sorted((*g, c, f"{lm.p3[g]:.4f}") for g, c in tri.items()
                             if c >= a.min_trigram or lm.p3[g] - backed_off(g) > a.prune))
    write_tsv(out / "unigrams.tsv", ["token", "count", "logp", "backoff"],
              sorted((t, uni[t], f"{lm.p1[t]:.4f}", f"{lm.bo2.get(t, 0.0):.4f}") for t in keep))
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
    n_pers = write_tsv(out / "persons.tsv", ["role", "name", "rank"], person_rows(lists / "person_names.txt", corpus, a.hold_out, also))
    n_w = write_tsv(out / "words.tsv", ["word", "count"], sorted(words))
    print(f"{docs} documents: {n_syl} syllables, {n_bi} bigrams, {n_tri} trigrams, {n_acr} acronyms, "
          f"{n_pl} places, {n_w} words, {n_pers} person-name syllables -> {out}")


if __name__ == "__main__":
    main()
