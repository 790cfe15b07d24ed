"""Search across the archive: an SQLite FTS5 index in the catalog over each document's corrected
text (page by page) and its fields, found with or without Vietnamese marks.

Every text is indexed twice: as written (NFC) and folded (marks dropped, 'đ' -> 'd', one character
for one, so a hit in the folded copy is at the same place in the text). A query without marks
searches the folded copy; a query with marks searches both and ranks the hits with the exact
marks first. No server, no extra file: the tables live beside the records.
"""
from __future__ import annotations

import json
import sqlite3
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache

import regex

from .lexicon import fold
from .records import PageResult, PlanRecord

SCHEMA = """
CREATE VIRTUAL TABLE IF NOT EXISTS search_text USING fts5(
    source UNINDEXED, page UNINDEXED, body, folded, tokenize = 'unicode61 remove_diacritics 0');
CREATE TABLE IF NOT EXISTS search_fields (
    source   TEXT PRIMARY KEY,
    doc_type TEXT, year TEXT, date TEXT, number TEXT, title TEXT, issuer TEXT, signer TEXT,
    filters  TEXT,              -- JSON: folded lower-case doc_type, issuer, signer for the filters
    version  INTEGER DEFAULT 0  -- the human version (review) whose values are indexed, 0 for none
);
"""

FIELDS_PAGE = 0  # the row of a document's fields (title, kind, number, issuer, signer)
_WORD = regex.compile(r"[\p{L}\p{N}]+")
OPEN, CLOSE = "«", "»"  # marks around a hit in a snippet


@lru_cache(maxsize=1)
def _fold_table() -> dict[int, str]:
    table = {}
    for cp in list(range(0xC0, 0x250)) + list(range(0x1E00, 0x1F00)):
        c = chr(cp)
        f = fold(c)
        if len(f) == 1 and f != c:
            table[cp] = f
    return table


def fold1(s: str) -> str:
    """`s` without marks, one character for one ('Đường' -> 'Duong'); s must be NFC."""
    return s.translate(_fold_table())


def _lower1(s: str) -> str:
    low = s.lower()
    return low if len(low) == len(s) else "".join(c.lower()[:1] or c for c in s)


def ensure(db: sqlite3.Connection) -> None:
    db.executescript(SCHEMA)


# ------------------------------------------------------------------ indexing

def page_texts(pages: Sequence[PageResult], corrected: str) -> list[tuple[int, str]]:
    """The corrected text cut into the document's pages (words aligned with each page's OCR words);
    the whole text as page 1 when there are no pages to align with."""
    if not pages:
        return [(1, corrected)]
    from .pdfout import align
    by_page: dict[int, list[str]] = {}
    for w in align(pages, corrected):
        by_page.setdefault(w.page, []).append(w.text)
    return [(p, " ".join(ws)) for p, ws in sorted(by_page.items())] or [(1, corrected)]


def index_document(db: sqlite3.Connection, source: str, record: PlanRecord, pages: list[tuple[int, str]],
                   version: int = 0) -> None:
    """Replace the index rows of one document: its fields and its pages' corrected text."""
    signer = " ".join(x for x in (record.signer_authority, record.signer_position, record.signer_name) if x)
    number = f"{record.number}/{record.symbol}" if record.number and record.symbol else record.number or record.symbol
    head = "\n".join(x for x in (record.doc_type, number, record.title, record.issuer, signer) if x)
    filters = {k: _lower1(fold1(unicodedata.normalize("NFC", v))) for k, v in
               (("doc_type", record.doc_type), ("issuer", record.issuer), ("signer", signer))}
    db.execute("DELETE FROM search_text WHERE source=?", (source,))
    db.execute("INSERT OR REPLACE INTO search_fields VALUES (?,?,?,?,?,?,?,?,?,?)",
               (source, record.doc_type, record.date[:4], record.date, number, record.title, record.issuer, signer,
                json.dumps(filters, ensure_ascii=False), version))
    rows = [(source, FIELDS_PAGE, head)] + [(source, p, t) for p, t in pages]
    db.executemany("INSERT INTO search_text(source, page, body, folded) VALUES (?,?,?,?)",
                   [(s, p, t, fold1(unicodedata.normalize("NFC", t))) for s, p, t in rows if t.strip()])


def remove_document(db: sqlite3.Connection, source: str) -> None:
    db.execute("DELETE FROM search_text WHERE source=?", (source,))
    db.execute("DELETE FROM search_fields WHERE source=?", (source,))


# ------------------------------------------------------------------ querying

@dataclass(frozen=True)
class Hit:
    """One page (or the fields, page 0) of one document that matches a query."""
    source: str
    page: int
    snippet: str  # the text around the first hit, hits between « and »
    exact: bool  # the query's marks match as written (always True for a query without marks)
    phrase: bool  # the query's words stand together in this order
    score: float  # FTS5 bm25 rank (lower is better)
    fields: dict = field(default_factory=dict)  # doc_type, date, number, title, issuer, signer

    def to_dict(self) -> dict:
        return {"source": self.source, "page": self.page, "snippet": self.snippet, "exact": self.exact,
                "phrase": self.phrase, "score": round(self.score, 4), **self.fields}


def _fts(terms: list[str]) -> str:
    return " ".join('"' + t.replace('"', '""') + '"' for t in terms)


def query(db: sqlite3.Connection, text: str, doc_type: str = "", year: str = "", issuer: str = "",
          signer: str = "", limit: int = 20) -> list[Hit]:
    """Pages and field rows matching every word of `text` (any marks when `text` has none),
    filtered by fields (substring, marks optional; `year` exact). Best first: the exact marks as a
    phrase, the exact marks, the words as a phrase, the words; bm25 within each."""
    q = _lower1(unicodedata.normalize("NFC", text))
    terms = _WORD.findall(q)
    fterms = [fold1(t) for t in terms]
    marked = fterms != terms
    where, args = [], []
    for col, val in (("doc_type", doc_type), ("issuer", issuer), ("signer", signer)):
        if val:
            where.append(f"json_extract(filters, '$.{col}') LIKE ?")
            args.append("%" + _lower1(fold1(unicodedata.normalize("NFC", val))) + "%")
    if year:
        where.append("year = ?")
        args.append(year)
    filt = ""
    if where:
        filt = " AND source IN (SELECT source FROM search_fields WHERE " + " AND ".join(where) + ")"
    if not terms:  # filters alone: the documents' field rows
        sql = f"SELECT source, page, body, 0.0 FROM search_text WHERE page={FIELDS_PAGE}{filt} ORDER BY source LIMIT ?"
        rows = db.execute(sql, (*args, limit)).fetchall()
        return _hits(db, [(r, True, False) for r in rows], [], [])
    # tiers, best first: exact marks as a phrase, exact marks, any marks as a phrase, any marks
    sql = f"SELECT source, page, body, rank FROM search_text WHERE {{col}} MATCH ?{filt} ORDER BY rank LIMIT ?"
    plans = []
    if len(terms) > 1 and marked:
        plans.append(("body", '"' + " ".join(terms).replace('"', '""') + '"', True, True))
    if marked:
        plans.append(("body", _fts(terms), True, len(terms) == 1))
    if len(terms) > 1:
        plans.append(("folded", '"' + " ".join(fterms).replace('"', '""') + '"', not marked, True))
    plans.append(("folded", _fts(fterms), not marked, len(terms) == 1))
    found: list[tuple] = []
    seen: set[tuple[str, int]] = set()
    for col, match, exact, phrase in plans:
        for row in db.execute(sql.format(col=col), (match, *args, limit + len(seen))):
            if (row[0], row[1]) not in seen and len(found) < limit:
                seen.add((row[0], row[1]))
                found.append((row, exact, phrase))
        if len(found) >= limit:
            break
    return _hits(db, found, terms, fterms)


def _hits(db: sqlite3.Connection, found, terms: list[str], fterms: list[str]) -> list[Hit]:
    fields: dict[str, dict] = {}
    out = []
    for (source, page, body, rank), exact, phrase in found:
        if source not in fields:
            row = db.execute("SELECT doc_type, date, number, title, issuer, signer FROM search_fields WHERE source=?",
                             (source,)).fetchone() or ("",) * 6
            fields[source] = dict(zip(("doc_type", "date", "number", "title", "issuer", "signer"), row))
        low = _lower1(fold1(body))
        out.append(Hit(source, page, snippet(body, low, fterms, terms), exact, phrase, rank, fields[source]))
    return out


def snippet(body: str, low: str, fterms: list[str], terms: list[str], width: int = 80) -> str:
    """About 2 x `width` characters of `body` around the first hit, every hit marked «so»; `low` is
    body folded and lower-cased (same length). A marked query's words are marked where they match
    with their marks, else wherever they match folded."""
    text = " ".join(body.split())
    low = " ".join(low.split())
    if not fterms:
        return text[: 2 * width] + ("…" if len(text) > 2 * width else "")
    spans = []
    for ft, t in zip(fterms, terms):
        for m in regex.finditer(r"(?<![\p{L}\p{N}])" + regex.escape(ft) + r"(?![\p{L}\p{N}])", low):
            spans.append((m.start(), m.end(), _lower1(text[m.start():m.end()]) == t))
    if not spans:
        return text[: 2 * width] + ("…" if len(text) > 2 * width else "")
    if any(s[2] for s in spans) and terms != fterms:
        spans = [s for s in spans if s[2]] or spans
    spans.sort()
    a0, b0 = spans[0][0], spans[0][1]
    if len(fterms) > 1:  # centre on the words as a phrase, when they stand together
        m = regex.search(r"(?<![\p{L}\p{N}])" + r"[^\p{L}\p{N}]+".join(map(regex.escape, fterms)) +
                         r"(?![\p{L}\p{N}])", low)
        if m:
            a0, b0 = m.start(), m.end()
    start = max(0, a0 - width)
    end = min(len(text), b0 + width)
    if start:
        start = text.find(" ", start) + 1 or start
    if end < len(text):
        end = text.rfind(" ", b0, end) if text.rfind(" ", b0, end) > 0 else end
    out, pos = [], start
    for a, b, _ in spans:
        if a < pos or b > end:
            continue
        out += [text[pos:a], OPEN, text[a:b], CLOSE]
        pos = b
    out.append(text[pos:end])
    return ("…" if start else "") + "".join(out) + ("…" if end < len(text) else "")
