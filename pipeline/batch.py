"""The batch engine: inputs in, catalog filled page by page, records out. Resumable.

The runner only schedules: it triages each input (document.prepare), hands the pages left to
OCR to a pool of workers (pool.py: local processes or a Dask cluster), finishes each document
when its last page is in (document.finish), keeps the catalog, and reports progress through a
callback (only the CLI prints). A stop request (SIGINT/SIGTERM through `stop_on_signals`) ends
the run cleanly: no more pages are handed out, the workers are killed, and the exports are
written for what is done. What was retried and why, pages given up, worker restarts and stops
are logged (`logging`, configured by the CLI).
"""
from __future__ import annotations

import contextlib
import hashlib
import itertools
import logging
import signal
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any

from . import __version__, inputs
from .corrector import Corrector
from .errors import InputFileError, PageError, VnplansError
from .export import write_all
from .gazetteer import Gazetteer
from .lexicon import LazyLexicon
from .ocr import OcrSettings, PageTask
from .pool import Pool, open_pool
from .records import EventKind, FileStatus, InputKind, PageResult, Source
from .store import Catalog, FileRow, existing_catalog, file_row

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RunOptions:
    jobs: int = 0  # 0 = one per core
    ocr: OcrSettings = field(default_factory=OcrSettings)
    excludes: tuple[str, ...] = inputs.DEFAULT_EXCLUDES
    restore: bool = True
    executor: str = "local"  # local | dask
    scheduler: str = ""      # tcp://host:port for dask
    max_retries: int = 2     # re-runs of a page whose worker died
    reprocess: bool = False  # re-derive records of finished files from their cached pages
    file_timeout: float = 3600.0  # seconds of OCR per file; pages not done by then are given up
    pdf: bool = False  # issue 13: OUT/pdf/NAME.pdf, the scan with an invisible layer of the corrected text

    def record_key(self, lexicon_id: str) -> str:
        return f"vnplans {__version__} rules {rules_digest()}; {self.ocr.key()}; restore={int(self.restore)}; {lexicon_id}"


RULES = ("normalize", "restore", "structure", "layout", "occlusion", "fields", "numberdate", "signing",
         "gazetteer", "lexicon", "corrector", "document", "records", "userdict")  # the modules that make a record from pages


def rules_digest() -> str:
    """A digest of the code that makes records from pages: records a catalog holds from other
    rules are derived again on the next run (their OCR is kept), without waiting for a release."""
    h = hashlib.sha256()
    for name in RULES:
        h.update((Path(__file__).with_name(f"{name}.py")).read_bytes())
    return h.hexdigest()[:12]


@dataclass(frozen=True)
class Event:
    """Progress of a run (EventKind says which)."""
    kind: EventKind
    source: str = ""
    pages_done: int = 0
    pages_total: int = 0
    message: str = ""


@dataclass(frozen=True)
class Summary:
    files: int
    ok: int
    failed: int
    skipped: int
    pages: int
    ocr_pages: int
    seconds: float
    mean_confidence: float | None
    corrections: int
    records_written: int
    stopped_by: int = 0  # the signal that stopped the run before all its work was done, else 0


@dataclass
class _Doc:
    file: inputs.InputFile
    row: FileRow
    todo: set[int]  # pages still to OCR
    started: float = 0.0  # when its first page went to a worker
    expired: bool = False  # over the per-file time limit: no more pages are sent


Progress = Callable[[Event], None]
_Item = tuple[_Doc, PageTask]


class Runner:
    """One run of the batch over an input folder into an output folder: scheduling, the
    catalog, progress events. `lexicon`: the dictionaries, loaded when the first text needs
    correcting (None: no restoration)."""

    def __init__(self, input_dir: Path, out_dir: Path, options: RunOptions, lexicon: LazyLexicon | None = None,
                 progress: Progress | None = None, user_dict: Path | None = None, report: bool = True):
        self.input_dir = Path(input_dir)
        self.out_dir = Path(out_dir)
        self.opt = options
        protect = None
        if user_dict:  # human review (issue 12): spellings people corrected, kept after restoration
            from . import userdict
            protect = userdict.Protector(userdict.load(user_dict))
        self.corrector = Corrector(lexicon, protect) if lexicon is not None and options.restore else None
        self.progress: Progress = progress or (lambda e: None)
        self.ocr_key = options.ocr.key()
        self.rec_key = options.record_key(self.corrector.ident if self.corrector else "no-lexicon")
        self.report = report
        self.stats = {"ok": 0, "failed": 0, "skipped": 0, "pages": 0, "ocr_pages": 0, "corrections": 0}
        self.confs: list[float] = []
        self._pool: Pool | None = None  # opened when the first file needing OCR is found
        self.stop_signal = 0  # set by request_stop: the run winds down
        self.stopped = False  # work was left undone because of it
        self._gaz: Gazetteer | None = None

    def request_stop(self, signum: int = signal.SIGINT) -> None:
        """Ask the run to stop cleanly (safe from a signal handler): no more inputs or pages are
        started, the workers are stopped, and the exports are written for what is done."""
        self.stop_signal = self.stop_signal or int(signum)

    def _stopping(self) -> bool:
        """A stop was requested: the run winds down (logged once)."""
        if self.stop_signal and not self.stopped:
            self.stopped = True
            log.info("stop requested (%s): no more pages are started", _signal_name(self.stop_signal))
        return bool(self.stop_signal)

    def gazetteer(self) -> Gazetteer:
        """The gazetteer, loaded when the first document is finished."""
        if self._gaz is None:
            from . import gazetteer
            self._gaz = gazetteer.load()
        return self._gaz

    # ------------------------------------------------------------ triage
    def _prepare(self, f: inputs.InputFile, cat: Catalog, run_id: int) -> _Doc | None:
        """Hash and triage one input; finish it at once when no OCR is needed.
        Returns the document when pages remain to OCR."""
        st = f.path.stat()
        old = cat.file(f.source)
        if old and old.size == st.st_size and old.mtime == st.st_mtime and old.sha256:
            sha = old.sha256
        else:
            sha = inputs.sha256(f.path)
        if old and self._current(old, sha, f, cat):
            cat.mark_seen(f.source, run_id)
            self.stats["skipped"] += 1
            self.stats["pages"] += old.pages or 0
            return None
        from . import document  # here, not at the top: a run with nothing to do never loads the field rules
        prep = document.prepare(f, frozenset(cat.done_pages(sha, self.ocr_key)))
        row = file_row(source=f.source, size=st.st_size, mtime=st.st_mtime, sha256=sha, kind=f.kind,
                       pages=prep.pages)
        cat.upsert_file(row, run_id)
        if f.kind in (InputKind.TEXT, InputKind.DOCX):  # read whole: not kept as pages
            self._finish(cat, row, prep.read, Source.TEXT)
            return None
        for p in prep.read:
            cat.save_page(sha, self.ocr_key, p)
        doc = _Doc(f, row, set(prep.ocr))
        if not doc.todo:
            self._finish_from_catalog(cat, doc)
            return None
        return doc

    def _current(self, old: FileRow, sha: str, f: inputs.InputFile, cat: Catalog) -> bool:
        """The input's record is up to date: same content, same settings, nothing missing."""
        return (not self.opt.reprocess and old.sha256 == sha and old.status == FileStatus.DONE
                and old.settings == self.rec_key and cat.has_record(f.source, sha, self.rec_key)
                and not self._pdf_missing(f))

    # ------------------------------------------------------------ finishing
    def _finish_from_catalog(self, cat: Catalog, doc: _Doc) -> None:
        from . import document
        pages, text_source = document.stored_pages(
            [cat.page(doc.row.sha256, p, self.ocr_key) for p in range(1, doc.row.pages + 1)])
        self._finish(cat, doc.row, pages, text_source)

    def _fail(self, cat: Catalog, source: str, reason: str) -> None:
        """One input failed: its reason goes to the catalog (errors.csv) and to the progress callback."""
        cat.set_status(source, FileStatus.FAILED, reason, self.rec_key)
        self.stats["failed"] += 1
        log.info("%s failed: %s", source, reason)
        self.progress(Event(EventKind.FAILED, source, message=reason))

    def _finish(self, cat: Catalog, row: FileRow, pages: tuple[PageResult, ...], text_source: Source) -> None:
        pdf = self.input_dir / row.source if row.source.lower().endswith(".pdf") else None
        from . import document
        out = document.finish(row.source, pages, text_source, self.corrector, self.gazetteer, pdf)
        if isinstance(out, document.Failed):
            self._fail(cat, row.source, out.reason)
            return
        self.stats["corrections"] += out.corrections
        if out.confidence is not None:
            self.confs.append(out.confidence)
        cat.save_record(row.source, row.sha256, self.rec_key, out.record, out.text)
        cat.set_status(row.source, FileStatus.DONE, "", self.rec_key)
        if self.opt.pdf and row.kind in (InputKind.PDF, InputKind.IMAGE):  # issue 13
            self._write_pdf(row.source, list(out.good), out.text)
        self.stats["ok"] += 1
        self.stats["pages"] += len(pages)
        self.progress(Event(EventKind.DOC, row.source))

    # ---- searchable PDF (issue 13)
    def _pdf_missing(self, f: inputs.InputFile) -> bool:
        from .pdfout import pdf_name
        return self.opt.pdf and f.kind in (InputKind.PDF, InputKind.IMAGE) \
            and not (self.out_dir / "pdf" / pdf_name(f.source)).exists()

    def _write_pdf(self, source: str, pages: list[PageResult], text: str) -> None:
        """OUT/pdf/NAME.pdf (pdfout.write); a failure is a warning, the record stands."""
        from . import pdfout
        try:
            pdfout.write(self.input_dir / source, pages, text, self.out_dir / "pdf" / pdfout.pdf_name(source))
        except VnplansError as e:
            log.warning("%s: searchable PDF not written: %s", source, e)
            self.progress(Event(EventKind.WARNING, source, message=f"searchable PDF not written: {e}"))
    # ---- end searchable PDF

    # ------------------------------------------------------------ the run
    def run(self) -> Summary:
        t0 = time.monotonic()
        if not self.input_dir.is_dir():
            raise InputFileError(f"input folder not found: {self.input_dir}")
        inputs.check_root(self.input_dir, self.out_dir)
        cat = Catalog(self.out_dir / inputs.OUTPUT_MARKER)
        run_id = cat.start_run(str(self.input_dir))
        try:
            files, problems = inputs.discover(self.input_dir, self.opt.excludes, skip=(self.out_dir,))
            log.info("%d inputs in %s (%d cannot be visited)", len(files), self.input_dir, len(problems))
            for source, reason in problems:
                cat.upsert_file(file_row(source=source), run_id)
                self._fail(cat, source, reason)
            docs: list[_Doc] = []
            for f in files:
                if self._stopping():
                    break
                try:
                    doc = self._prepare(f, cat, run_id)
                    if doc:
                        docs.append(doc)
                        if self._pool is None:  # workers start loading while the other files are triaged
                            self._pool = open_pool(self.opt.executor, self.opt.jobs, self.opt.scheduler)
                            self._pool.warm(self.opt.ocr)
                except InputFileError as e:
                    cat.upsert_file(file_row(source=f.source, kind=f.kind), run_id)
                    self._fail(cat, f.source, str(e))
            if not self.stopped:
                self._ocr(cat, docs)
            sources = {f.source for f in files} | {s for s, _ in problems}
            digest = cat.exports_fingerprint(sources) + f"; report={int(self.report)}"
            if digest == cat.meta("exports") and (self.out_dir / "plans.csv").exists() \
                    and (not self.report or (self.out_dir / "report" / "index.html").exists()):
                n = self.stats["ok"] + self.stats["skipped"]  # nothing changed: the exports are still right
                log.info("nothing changed since the last exports: not rewritten")
            else:
                n = write_all(self.out_dir, cat.records(sources), cat.errors(sources), cat.latest_versions())
                if self.report and not self.stopped:  # issue 12: the static report, after the exports
                    from .report import write_report
                    write_report(self.out_dir, cat, self.input_dir, sources=sources)
                if not self.stopped:
                    cat.set_meta("exports", digest)
            if not self.stopped:  # a stopped run stays unfinished in the catalog's runs table
                cat.finish_run(run_id)
        finally:
            if self._pool is not None:  # stopped while files were triaged: the warm workers go
                self._pool.terminate()
                self._pool = None
            cat.close()
        log.info("run %s: %d done, %d already done, %d failed; %d pages OCR'd in %.1f s",
                 "stopped" if self.stopped else "finished", self.stats["ok"], self.stats["skipped"],
                 self.stats["failed"], self.stats["ocr_pages"], time.monotonic() - t0)
        confs = self.confs
        return Summary(len(files) + len(problems), self.stats["ok"], self.stats["failed"], self.stats["skipped"],
                       self.stats["pages"], self.stats["ocr_pages"], round(time.monotonic() - t0, 2),
                       round(sum(confs) / len(confs), 2) if confs else None, self.stats["corrections"], n,
                       self.stop_signal if self.stopped else 0)

    # ------------------------------------------------------------ scheduling
    def _tasks(self, docs: list[_Doc], lanes: int) -> Iterator[_Item]:
        """Pages of up to `lanes` documents at a time, in turn: a huge PDF shares the pool with
        the documents after it instead of holding them back, and documents still finish one by one."""
        def pages(d: _Doc) -> Iterator[_Item]:
            kind = InputKind.PDF if d.row.kind == InputKind.PDF else InputKind.IMAGE
            for p in sorted(d.todo):
                if d.expired:
                    return
                yield d, PageTask(str(d.file.path), p, kind, self.opt.ocr)

        waiting = iter(docs)
        active = [pages(d) for d in itertools.islice(waiting, lanes)]
        i = 0
        while active:
            i %= len(active)
            item = next(active[i], None)
            if item is None:  # this document is all submitted: the next one takes its lane
                nxt = next(waiting, None)
                if nxt is None:
                    active.pop(i)
                else:
                    active[i] = pages(nxt)
                continue
            yield item
            i += 1

    def _preload_exports(self) -> None:
        """Load what the exports and the report need (pandas, Jinja2: ~0.5 s) on the core the
        last pages leave idle, instead of after them."""
        try:
            import pandas  # noqa: F401
            if self.report:
                from . import report
                report.environment()
        except ImportError:  # the exports report it themselves
            pass

    def _expire(self, cat: Catalog, pending: dict[Any, _Item], retry: list[_Item], done_pages: int,
                total: int) -> int:
        """Give up the pages of files over the per-file time limit that no worker has started;
        the file finishes with what it has and a warning. Returns the pages given up."""
        now, given_up = time.monotonic(), 0
        docs = {id(d): d for d, _ in list(pending.values()) + retry}
        for d in docs.values():
            if d.expired or not d.started or now - d.started <= self.opt.file_timeout:
                continue
            d.expired = True
            running = set()
            for fut, (dd, task) in list(pending.items()):
                if dd is d and not fut.cancel():
                    running.add(task.page)
                elif dd is d:
                    del pending[fut]
            retry[:] = [(dd, t) for dd, t in retry if dd is not d]
            left = sorted(d.todo - running)
            if left:
                log.warning("%s: file time limit (%.0f s) reached: %d pages given up (%s)", d.row.source,
                            self.opt.file_timeout, len(left), ", ".join(map(str, left)))
            for page in left:
                reason = f"file time limit ({self.opt.file_timeout:.0f} s) reached"
                cat.save_page(d.row.sha256, self.ocr_key, PageResult(page, "", error=str(PageError(page, reason))))
                d.todo.discard(page)
                given_up += 1
                self.progress(Event(EventKind.PAGE, d.row.source, done_pages + given_up, total))
            if not d.todo:
                self._finish_from_catalog(cat, d)
        return given_up

    def _ocr(self, cat: Catalog, docs: list[_Doc]) -> None:
        total = sum(len(d.todo) for d in docs)
        self.progress(Event(EventKind.PLANNED, pages_total=total))
        if not total:
            return
        pool = self._pool or open_pool(self.opt.executor, self.opt.jobs, self.opt.scheduler)
        self._pool = None
        log.info("%d pages of %d documents to OCR on %d workers (%s)", total, len(docs), pool.jobs,
                 self.opt.executor)
        pending: dict[Any, _Item] = {}
        try:
            self._schedule(cat, pool, docs, pending, total)
        except BaseException:  # a second Ctrl-C, a catalog that cannot be written: do not wait for pages
            pool.terminate(set(pending))
            raise
        if self.stopped:  # pages being read are abandoned: the next run reads them
            pool.terminate(set(pending))
        else:
            pool.close()

    def _schedule(self, cat: Catalog, pool: Pool, docs: list[_Doc], pending: dict[Any, _Item], total: int) -> None:
        """Keep the pool busy until every page is in, or a stop is requested."""
        window = 2 * pool.jobs
        attempts: dict[tuple[str, int], int] = {}
        queue = self._tasks(docs, lanes=max(2, pool.jobs))
        retry: list[_Item] = []
        done_pages = 0
        preloaded = False
        while not self._stopping():
            while len(pending) < window:
                item = retry.pop() if retry else next(queue, None)
                if item is None:
                    break
                item[0].started = item[0].started or time.monotonic()
                pending[pool.submit(item[1])] = item
            if not pending:
                return
            if not preloaded and not retry and len(pending) < pool.jobs:  # the last pages: a core is idle
                preloaded = True
                self._preload_exports()
            finished, _ = pool.wait_any(set(pending), timeout=0.5)  # wakes to see a stop request
            broken = False
            for fut in finished:
                doc, task = pending.pop(fut)
                try:
                    res: PageResult = fut.result()
                    if self.stop_signal and res.error:  # may be the stop itself: the next run reads it
                        continue
                except Exception as e:  # worker died or cluster failure
                    if self.stop_signal:
                        continue
                    key = (doc.row.source, task.page)
                    attempts[key] = attempts.get(key, 0) + 1
                    broken = broken or pool.crashed(e)
                    if attempts[key] <= self.opt.max_retries:
                        log.warning("%s page %d: %s (%s); retry %d of %d", doc.row.source, task.page,
                                    "worker died" if pool.crashed(e) else "failed", type(e).__name__,
                                    attempts[key], self.opt.max_retries)
                        retry.append((doc, task))
                        continue
                    log.error("%s page %d: given up after %d tries (%s)", doc.row.source, task.page,
                              attempts[key], type(e).__name__)
                    res = PageResult(task.page, "", error=str(PageError(task.page,
                                                                        f"worker crashed ({type(e).__name__})")))
                cat.save_page(doc.row.sha256, self.ocr_key, res)
                done_pages += 1
                self.stats["ocr_pages"] += 1
                self.progress(Event(EventKind.PAGE, doc.row.source, done_pages, total))
                doc.todo.discard(task.page)
                if not doc.todo:
                    self._finish_from_catalog(cat, doc)
            if broken and not self.stop_signal:
                if pending:
                    log.warning("%d pages in flight are sent again to the new workers", len(pending))
                retry.extend(pending.values())
                pending.clear()
                pool.rebuild()
            done_pages += self._expire(cat, pending, retry, done_pages, total)


def _signal_name(signum: int) -> str:
    try:
        return signal.Signals(signum).name
    except ValueError:
        return f"signal {signum}"


STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


@contextlib.contextmanager
def stop_on_signals(runner: Runner, signals: tuple[int, ...] = STOP_SIGNALS) -> Iterator[None]:
    """While the block runs, SIGINT (Ctrl-C), SIGTERM (kill, timeout, systemd, docker stop) and
    SIGHUP ask the runner to stop cleanly; a second signal stops at once (KeyboardInterrupt).
    Signals already ignored (nohup, background jobs) stay ignored. Main thread only."""
    def handler(signum: int, frame: FrameType | None) -> None:
        if runner.stop_signal:
            raise KeyboardInterrupt
        runner.request_stop(signum)

    old: dict[int, Any] = {}
    if threading.current_thread() is threading.main_thread():
        for sig in signals:
            if signal.getsignal(sig) is not signal.SIG_IGN:
                old[sig] = signal.signal(sig, handler)
    try:
        yield
    finally:
        for sig, h in old.items():
            signal.signal(sig, h if h is not None else signal.SIG_DFL)


def export(out_dir: Path) -> int:
    """Regenerate the output files of OUT_DIR from its catalog alone."""
    cat = Catalog(existing_catalog(out_dir))
    try:
        return write_all(Path(out_dir), cat.records(), cat.errors(), cat.latest_versions())
    finally:
        cat.close()
