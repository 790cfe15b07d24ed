"""The catalog: an SQLite database in the output folder that makes batches resumable.

It records every input (hash, status, error), every page's OCR result (keyed by the file's
content hash, page and OCR settings, so a finished page is never OCR'd again) and every
record. Exports are regenerated from it.
"""
from __future__ import annotations

import hashlib
import json
import sqlite3
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from .errors import OutputError
from .records import FileStatus, InputKind, PageResult, PlanRecord, Reading, Word


def existing_catalog(out_dir: Path) -> Path:
    """OUT_DIR/catalog.sqlite of an earlier run; OutputError saying what to do when there is none."""
    path = Path(out_dir) / "catalog.sqlite"
    if not path.is_file():
        raise OutputError(f"no catalog in {out_dir}: run `vnplans run` first")
    return path


SCHEMA = """
CREATE TABLE IF NOT EXISTS files (
    source   TEXT PRIMARY KEY,   -- path relative to the input folder
    size     INTEGER,
    mtime    REAL,
    sha256   TEXT,
    kind     TEXT,               -- pdf | image | text | docx
    pages    INTEGER,
    status   TEXT NOT NULL,      -- pending | done | failed
    error    TEXT DEFAULT '',
    settings TEXT DEFAULT '',    -- record settings key the status refers to
    seen     INTEGER DEFAULT 0,  -- run id that last saw the file in the input folder
    updated  REAL
);
CREATE TABLE IF NOT EXISTS pages (
    sha256     TEXT NOT NULL,
    page       INTEGER NOT NULL,
    settings   TEXT NOT NULL,    -- OCR settings key
    text       TEXT,
    words      TEXT,             -- JSON list of [text, conf, left, top, width, height, line]
    confidence REAL,
    engine     TEXT,
    seconds    REAL,
    error      TEXT,
    warnings   TEXT,
    extra      TEXT,             -- JSON: width, height, kind, readings
    preview    BLOB,             -- the page as OCR read it, a small JPEG (report images)
    PRIMARY KEY (sha256, page, settings)
);
CREATE TABLE IF NOT EXISTS records (
    source   TEXT PRIMARY KEY,
    sha256   TEXT,
    settings TEXT,
    record   TEXT,               -- the PlanRecord as JSON
    text     TEXT                -- the corrected full text
);
CREATE TABLE IF NOT EXISTS meta (
    key      TEXT PRIMARY KEY,   -- e.g. 'exports': the digest the last exports were made from
    value    TEXT
);
CREATE TABLE IF NOT EXISTS runs (
    id       INTEGER PRIMARY KEY AUTOINCREMENT,
    started  REAL,
    finished REAL,
    input    TEXT
);
"""


@dataclass(frozen=True)
class FileRow:
    source: str
    size: int
    mtime: float
    sha256: str
    kind: InputKind | str  # '' for an entry that could not be visited
    pages: int
    status: FileStatus
    error: str
    settings: str


class Catalog:
    """Open (or create) OUT/catalog.sqlite; every write is committed at once."""

    def __init__(self, path: Path):
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.db = sqlite3.connect(str(self.path), timeout=30, isolation_level=None)
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=NORMAL")
            self.db.executescript(SCHEMA)
            self._search_schema()  # issue 13: the search index
            cols = {r[1] for r in self.db.execute("PRAGMA table_info(pages)")}
            if "extra" not in cols:  # a catalog from before page extras
                self.db.execute("ALTER TABLE pages ADD COLUMN extra TEXT")
            if "preview" not in cols:  # a catalog from before page previews
                self.db.execute("ALTER TABLE pages ADD COLUMN preview BLOB")
        except (OSError, sqlite3.Error) as e:
            raise OutputError(f"cannot open catalog {self.path}: {e}") from e

    def close(self) -> None:
        self.db.close()

    def _write(self, sql: str, args: tuple) -> None:
        try:
            self.db.execute(sql, args)
        except sqlite3.OperationalError as e:  # disk full, read-only, locked
            raise OutputError(f"cannot write catalog {self.path}: {e}") from e

    # runs
    def start_run(self, input_dir: str) -> int:
        try:
            cur = self.db.execute("INSERT INTO runs(started, input) VALUES (?, ?)", (time.time(), input_dir))
        except sqlite3.OperationalError as e:
            raise OutputError(f"cannot write catalog {self.path}: {e}") from e
        return int(cur.lastrowid or 0)

    def finish_run(self, run_id: int) -> None:
        self._write("UPDATE runs SET finished=? WHERE id=?", (time.time(), run_id))

    # what the exports were made from
    def exports_fingerprint(self, sources: set[str]) -> str:
        """A digest of everything the exports and the report are made from (files, records,
        human versions): equal digests mean the last exports are still right."""
        h = hashlib.sha256()
        for row in self.db.execute("SELECT f.source, f.sha256, f.status, f.error, r.settings, length(r.record), "
                                   "length(r.text) FROM files f LEFT JOIN records r ON r.source = f.source "
                                   "ORDER BY f.source"):
            if row[0] in sources:
                h.update(repr(row).encode())
        has_versions = self.db.execute("SELECT 1 FROM sqlite_master WHERE name='versions'").fetchone()
        if has_versions:
            h.update(repr(self.db.execute("SELECT count(*), max(id) FROM versions").fetchone()).encode())
        return h.hexdigest()

    def meta(self, key: str) -> str:
        row = self.db.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return str(row[0]) if row else ""

    def set_meta(self, key: str, value: str) -> None:
        self._write("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", (key, value))

    # files
    def file(self, source: str) -> FileRow | None:
        row = self.db.execute("SELECT source,size,mtime,sha256,kind,pages,status,error,settings "
                              "FROM files WHERE source=?", (source,)).fetchone()
        if not row:
            return None
        f = FileRow(*row)
        return replace(f, status=FileStatus(f.status), kind=InputKind(f.kind) if f.kind else "")

    def upsert_file(self, row: FileRow, run_id: int) -> None:
        self._write("INSERT INTO files(source,size,mtime,sha256,kind,pages,status,error,settings,seen,updated) "
                    "VALUES (?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT(source) DO UPDATE SET size=excluded.size, "
                    "mtime=excluded.mtime, sha256=excluded.sha256, kind=excluded.kind, pages=excluded.pages, "
                    "status=excluded.status, error=excluded.error, settings=excluded.settings, "
                    "seen=excluded.seen, updated=excluded.updated",
                    (row.source, row.size, row.mtime, row.sha256, row.kind, row.pages, row.status,
                     row.error, row.settings, run_id, time.time()))

    def mark_seen(self, source: str, run_id: int) -> None:
        self._write("UPDATE files SET seen=? WHERE source=?", (run_id, source))

    def set_status(self, source: str, status: FileStatus, error: str = "", settings: str = "") -> None:
        self._write("UPDATE files SET status=?, error=?, settings=?, updated=? WHERE source=?",
                    (status, error, settings, time.time(), source))

    # pages
    def page(self, sha256: str, page: int, settings: str) -> PageResult | None:
        row = self.db.execute("SELECT text,words,confidence,engine,seconds,error,warnings,extra FROM pages "
                              "WHERE sha256=? AND page=? AND settings=?", (sha256, page, settings)).fetchone()
        if not row:
            return None
        words = tuple(Word(*w) for w in json.loads(row[1] or "[]"))
        extra = json.loads(row[7] or "{}")
        readings = tuple(Reading(r["field"], r["text"], r["confidence"], tuple(r["box"]), r.get("source", "ocr"),
                                 tuple((a, c) for a, c in r.get("alternatives", ())))
                         for r in extra.get("readings", ()))
        return PageResult(page, row[0] or "", words, row[2], row[3] or "", row[4] or 0.0, row[5] or "",
                          tuple(json.loads(row[6] or "[]")), extra.get("width", 0), extra.get("height", 0),
                          extra.get("kind", ""), readings)

    def done_pages(self, sha256: str, settings: str) -> set[int]:
        return {r[0] for r in self.db.execute("SELECT page FROM pages WHERE sha256=? AND settings=? AND error=''",
                                              (sha256, settings))}

    def save_page(self, sha256: str, settings: str, p: PageResult) -> None:
        words = json.dumps([[w.text, w.conf, w.left, w.top, w.width, w.height, w.line] for w in p.words],
                           ensure_ascii=False)
        extra = json.dumps({"width": p.width, "height": p.height, "kind": p.kind,
                            "readings": [asdict(r) for r in p.readings]}, ensure_ascii=False)
        self._write("INSERT OR REPLACE INTO pages(sha256,page,settings,text,words,confidence,engine,seconds,"
                    "error,warnings,extra,preview) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                    (sha256, p.page, settings, p.text, words, p.confidence, p.engine, p.seconds, p.error,
                     json.dumps(list(p.warnings), ensure_ascii=False), extra, p.preview or None))

    def page_preview(self, sha256: str, page: int, settings: str) -> bytes:
        """The page's preview JPEG made by the OCR worker (b'' for text pages and older catalogs)."""
        row = self.db.execute("SELECT preview FROM pages WHERE sha256=? AND page=? AND settings=?",
                              (sha256, page, settings)).fetchone()
        return bytes(row[0]) if row and row[0] else b""

    # records
    def save_record(self, source: str, sha256: str, settings: str, record: PlanRecord, text: str) -> None:
        self._write("INSERT OR REPLACE INTO records VALUES (?,?,?,?,?)",
                    (source, sha256, settings, record.to_json(), text))
        self.index_record(source)  # issue 13: the search index follows the record

    def has_record(self, source: str, sha256: str, settings: str) -> bool:
        return self.db.execute("SELECT 1 FROM records WHERE source=? AND sha256=? AND settings=?",
                               (source, sha256, settings)).fetchone() is not None

    def records(self, sources: set[str] | None = None) -> Iterator[tuple[PlanRecord, str]]:
        """Records of files whose status is done, in source order (one row at a time)."""
        cur = self.db.execute("SELECT r.source, r.record, r.text FROM records r JOIN files f "
                              "ON f.source=r.source AND f.sha256=r.sha256 AND f.status='done' "
                              "ORDER BY r.source")
        for source, rec, text in cur:
            if sources is None or source in sources:
                yield PlanRecord.from_dict(json.loads(rec)), text

    def errors(self, sources: set[str] | None = None) -> list[tuple[str, str]]:
        return [(s, e) for s, e in self.db.execute("SELECT source, error FROM files WHERE status=? "
                                                   "ORDER BY source", (FileStatus.FAILED,))
                if sources is None or s in sources]

    # ---------------------------------------------------------------- human review (issue 12)
    # Versions are rows of their own, keyed by source: replacing a record (a re-run, --reprocess)
    # never touches them, and the machine record is never overwritten.
    VERSIONS_SCHEMA = """
    CREATE TABLE IF NOT EXISTS versions (
        id        INTEGER PRIMARY KEY AUTOINCREMENT,
        source    TEXT NOT NULL,
        sha256    TEXT,          -- the file's content when the person saw it
        created   REAL NOT NULL, -- unix time
        who       TEXT,
        changed   TEXT,          -- JSON list: fields this save changed or confirmed
        confirmed TEXT,          -- JSON list: every field confirmed so far (review flag cleared)
        fields    TEXT           -- JSON {field: value}: every human value so far
    );
    CREATE INDEX IF NOT EXISTS versions_source ON versions(source, id);
    """

    def _versions_table(self) -> None:
        if not getattr(self, "_versions_ok", False):
            try:
                self.db.executescript(self.VERSIONS_SCHEMA)
            except sqlite3.OperationalError as e:
                raise OutputError(f"cannot write catalog {self.path}: {e}") from e
            self._versions_ok = True

    def add_version(self, source: str, who: str, fields: dict, confirmed: list[str],
                    changed: list[str]) -> HumanVersion:
        """A new human version of a record (cumulative values and confirmations)."""
        self._versions_table()
        row = self.db.execute("SELECT sha256 FROM records WHERE source=?", (source,)).fetchone()
        now = time.time()
        try:
            cur = self.db.execute("INSERT INTO versions(source,sha256,created,who,changed,confirmed,fields) "
                                  "VALUES (?,?,?,?,?,?,?)",
                                  (source, row[0] if row else "", now, who, json.dumps(changed, ensure_ascii=False),
                                   json.dumps(sorted(set(confirmed)), ensure_ascii=False),
                                   json.dumps(fields, ensure_ascii=False, sort_keys=True)))
        except sqlite3.OperationalError as e:
            raise OutputError(f"cannot write catalog {self.path}: {e}") from e
        return HumanVersion(int(cur.lastrowid or 0), source, row[0] if row else "", now, who, tuple(changed),
                            tuple(sorted(set(confirmed))), dict(fields))

    def _version_rows(self, sql: str, args: tuple = ()) -> list[HumanVersion]:
        self._versions_table()
        return [HumanVersion(i, s, h or "", c, w or "", tuple(json.loads(ch or "[]")), tuple(json.loads(co or "[]")),
                             json.loads(f or "{}"))
                for i, s, h, c, w, ch, co, f in self.db.execute(sql, args)]

    def latest_version(self, source: str) -> HumanVersion | None:
        rows = self._version_rows("SELECT id,source,sha256,created,who,changed,confirmed,fields FROM versions "
                                  "WHERE source=? ORDER BY id DESC LIMIT 1", (source,))
        return rows[0] if rows else None

    def latest_versions(self) -> dict[str, HumanVersion]:
        """The latest human version of every reviewed source."""
        rows = self._version_rows("SELECT v.id,v.source,v.sha256,v.created,v.who,v.changed,v.confirmed,v.fields "
                                  "FROM versions v JOIN (SELECT source, MAX(id) AS id FROM versions GROUP BY source) m "
                                  "ON m.id=v.id")
        return {v.source: v for v in rows}

    def version_history(self, source: str) -> list[HumanVersion]:
        return self._version_rows("SELECT id,source,sha256,created,who,changed,confirmed,fields FROM versions "
                                  "WHERE source=? ORDER BY id", (source,))

    def record_row(self, source: str) -> tuple[PlanRecord, str, str, str] | None:
        """(record, corrected text, sha256, settings) of one source, whatever its status."""
        row = self.db.execute("SELECT record, text, sha256, settings FROM records WHERE source=?",
                              (source,)).fetchone()
        return (PlanRecord.from_dict(json.loads(row[0])), row[1] or "", row[2] or "", row[3] or "") if row else None

    def summaries(self, sources: set[str] | None = None) -> Iterator[dict]:
        """The index fields of every done record, read in SQL without loading whole records."""
        keys = ("doc_type", "number", "symbol", "date", "issuer", "title", "signer_name", "pages", "text_source")
        cols = ", ".join(f"json_extract(r.record, '$.{k}')" for k in keys)
        cur = self.db.execute(f"SELECT r.source, {cols}, json_extract(r.record, '$.quality.ocr_confidence'), "
                              "json_extract(r.record, '$.review'), json_array_length(r.record, '$.warnings') "
                              "FROM records r JOIN files f ON f.source=r.source AND f.sha256=r.sha256 "
                              "AND f.status=? ORDER BY r.source", (FileStatus.DONE,))
        for row in cur:
            if sources is None or row[0] in sources:
                d = dict(zip(("source",) + keys, row))
                d["ocr_confidence"], d["review"], d["warnings"] = row[-3], json.loads(row[-2] or "[]"), row[-1] or 0
                yield d

    def sources(self) -> list[str]:
        """Sources that have a record."""
        return [r[0] for r in self.db.execute("SELECT source FROM records ORDER BY source")]

    def last_input(self) -> str:
        """The input folder of the latest run ('' when none)."""
        row = self.db.execute("SELECT input FROM runs ORDER BY id DESC LIMIT 1").fetchone()
        return row[0] or "" if row else ""
    # ---------------------------------------------------------------- end human review

    # ---------------------------------------------------------------- search index (issue 13)
    # FTS5 rows of each record's corrected text, page by page, and of its fields (pipeline.search);
    # written by save_record, brought up to date with people's corrections before each search.
    def _search_schema(self) -> None:
        from . import search
        search.ensure(self.db)

    def _index_pages(self, sha256: str, settings: str) -> list[PageResult]:
        """The stored pages of a file, of the OCR settings the record was made with (else the most)."""
        keys = [r[0] for r in self.db.execute("SELECT settings, COUNT(*) c FROM pages WHERE sha256=? AND error='' "
                                              "GROUP BY settings ORDER BY c DESC", (sha256,))]
        key = next((k for k in keys if f"; {k};" in settings), keys[0] if keys else None)
        if key is None:
            return []
        nums = [r[0] for r in self.db.execute("SELECT page FROM pages WHERE sha256=? AND settings=? AND error='' "
                                              "ORDER BY page", (sha256, key))]
        return [p for p in (self.page(sha256, n, key) for n in nums) if p is not None]

    def index_record(self, source: str) -> None:
        """(Re)index one document: its corrected text cut into pages, and its fields with the
        latest human corrections applied."""
        from . import search
        row = self.record_row(source)
        if row is None:
            search.remove_document(self.db, source)
            return
        rec, text, sha, settings = row
        version = 0
        try:
            latest = self.latest_version(source)
        except OutputError:
            latest = None
        if latest is not None:
            from .review import apply_version
            rec, version = apply_version(rec, latest), latest.id
        try:
            search.index_document(self.db, source, rec, search.page_texts(self._index_pages(sha, settings), text),
                                  version)
        except sqlite3.OperationalError as e:
            raise OutputError(f"cannot write catalog {self.path}: {e}") from e

    def stale_index(self) -> list[str]:
        """Records not indexed yet (a catalog from before the index) or reviewed since."""
        self._versions_table()
        return [r[0] for r in self.db.execute(
            "SELECT r.source FROM records r LEFT JOIN search_fields s ON s.source=r.source WHERE s.source IS NULL "
            "UNION SELECT v.source FROM (SELECT source, MAX(id) m FROM versions GROUP BY source) v "
            "JOIN search_fields s ON s.source=v.source WHERE s.version < v.m")]

    def search(self, text: str, **filters) -> list:
        """search.query over this catalog (`filters`: doc_type, year, issuer, signer, limit), after
        indexing what is stale."""
        from . import search
        for source in self.stale_index():
            self.index_record(source)
        return search.query(self.db, text, **filters)
    # ---------------------------------------------------------------- end search index


def file_row(**kw: Any) -> FileRow:
    """A catalog row: pending and empty but for the fields given."""
    base = asdict(FileRow("", 0, 0.0, "", "", 0, FileStatus.PENDING, "", ""))
    base.update(kw)
    return FileRow(**base)


# ---------------------------------------------------------------- human review (issue 12)
@dataclass(frozen=True)
class HumanVersion:
    """One saved review of a record: the human values and confirmations so far, who and when."""
    id: int
    source: str
    sha256: str
    created: float
    who: str
    changed: tuple[str, ...]
    confirmed: tuple[str, ...]
    fields: dict
