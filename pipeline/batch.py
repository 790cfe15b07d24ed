"""The batch engine: inputs in, catalog filled page by page, records out. Resumable.

Pages are the unit of work and go to a pool of worker processes (or a Dask cluster);
the parent owns the catalog and reports progress through a callback (only the CLI prints).
A stop request (SIGINT/SIGTERM through `stop_on_signals`) ends the run cleanly: no more pages
are handed out, the workers are killed, and the exports are written for what is done. Workers,
and the programs they start, die with the parent however it dies (Linux parent-death signal).
"""
from __future__ import annotations

import contextlib
import ctypes
import itertools
import multiprocessing
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable, Iterator

from . import __version__, inputs, legacy, poppler, tesseract, textlayer
from .errors import InputFileError, MissingDependencyError, OutputError, VnplansError
from .export import write_all
from .normalize import normalize
from .ocr import OcrSettings, PageTask, ocr_page
from .records import PageResult, PlanRecord, Quality
from .store import Catalog, FileRow, file_row
from .structure import parse

TEXT_LAYER = "text-layer"


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
        return f"vnplans {__version__}; {self.ocr.key()}; restore={int(self.restore)}; {lexicon_id}"


@dataclass(frozen=True)
class Event:
    """Progress: kind is 'planned', 'page', 'doc', 'failed' or 'warning'."""
    kind: str
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


def _cpu_count() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


_PR_SET_PDEATHSIG = 1  # linux/prctl.h
_prctl = None  # libc prctl, bound in a worker at start


def _bind_prctl():
    try:
        f = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):  # not Linux
        return None
    f.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong]
    return f


def _dies_with_worker() -> None:
    """preexec_fn of every program a worker starts (tesseract, pdftoppm): SIGKILL when the worker dies."""
    if _prctl is not None:
        _prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


class _ChildPopen(subprocess.Popen):
    """subprocess.Popen inside a worker: the started program gets a parent-death signal, so a
    Tesseract run does not outlive the worker that waits for it (pytesseract takes no preexec_fn)."""

    def __init__(self, *args, **kwargs):
        if kwargs.get("preexec_fn") is None:
            kwargs["preexec_fn"] = _dies_with_worker
        super().__init__(*args, **kwargs)


def _watch_parent(parent: int) -> None:
    """Where there is no prctl: a thread that ends the worker once its parent is gone."""
    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(1)
    threading.Thread(target=watch, daemon=True, name="vnplans-parent-watch").start()


def _init_worker(parent: int = 0, tmp: str = "") -> None:
    """Worker setup: one Tesseract thread; temporary files in the run's own folder (removed by
    the parent even when workers are killed); Ctrl-C, SIGTERM and SIGHUP are ignored here and in
    the programs started (a terminal, systemd or pkill signals them all at once: the parent
    decides, and kills the workers); the worker and its programs die with the parent however it dies."""
    global _prctl
    os.environ["OMP_THREAD_LIMIT"] = "1"
    if tmp:
        os.environ["TMPDIR"] = tmp
        tempfile.tempdir = tmp
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, signal.SIG_IGN)
    if not parent:
        return
    _prctl = _bind_prctl()
    if _prctl is None or _prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
        _prctl = None
        _watch_parent(parent)
    elif os.getppid() != parent:  # the parent died before the signal was armed
        os._exit(1)
    subprocess.Popen = _ChildPopen  # this worker process only: pytesseract, pdf2image, poppler.py


class LocalPool:
    """Pages over a process pool; a pool broken by a dying worker is rebuilt."""

    TMP_PREFIX = "vnplans-run-"

    def __init__(self, jobs: int):
        self.jobs = jobs
        self._sweep_tmp()
        self.tmp = tempfile.mkdtemp(prefix=f"{self.TMP_PREFIX}{os.getpid()}-")
        self.pool = self._new()

    def _new(self) -> ProcessPoolExecutor:
        # fork: the workers' parent is this process, whose death they are tied to
        ctx = multiprocessing.get_context("fork") if sys.platform.startswith("linux") else None
        return ProcessPoolExecutor(max_workers=self.jobs, mp_context=ctx, initializer=_init_worker,
                                   initargs=(os.getpid(), self.tmp))

    @classmethod
    def _sweep_tmp(cls) -> None:
        """Remove the temporary folders of earlier runs that were killed (their process is gone)."""
        for d in Path(tempfile.gettempdir()).glob(cls.TMP_PREFIX + "*-*"):
            try:
                pid = int(d.name[len(cls.TMP_PREFIX):].split("-")[0])
                if d.stat().st_uid != os.getuid() or pid == os.getpid():
                    continue
                os.kill(pid, 0)
            except ProcessLookupError:
                shutil.rmtree(d, ignore_errors=True)
            except (ValueError, OSError):
                continue

    def submit(self, task: PageTask) -> Future:
        try:
            return self.pool.submit(ocr_page, task)
        except BrokenProcessPool:
            self.rebuild()
            return self.pool.submit(ocr_page, task)

    def rebuild(self) -> None:
        self.pool.shutdown(wait=False, cancel_futures=True)
        self.pool = self._new()

    def wait_any(self, futures, timeout: float | None = None):
        return wait(futures, timeout=timeout, return_when=FIRST_COMPLETED)

    def close(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)
        shutil.rmtree(self.tmp, ignore_errors=True)

    def terminate(self, futures=()) -> None:
        """Stop now: pages being read are abandoned, the workers (and their Tesseract runs) killed."""
        procs = list((getattr(self.pool, "_processes", None) or {}).values())
        self.pool.shutdown(wait=False, cancel_futures=True)
        for p in procs:
            with contextlib.suppress(OSError, ValueError):
                p.kill()
        for p in procs:
            with contextlib.suppress(OSError, ValueError, AssertionError):
                p.join(5)
        self.pool.shutdown(wait=True)
        shutil.rmtree(self.tmp, ignore_errors=True)


class DaskPool:
    """Pages on an existing Dask distributed cluster; results come back to this process."""

    def __init__(self, scheduler: str):
        try:
            from distributed import Client
        except ImportError as e:
            raise VnplansError("--executor dask needs the 'distributed' package: pip install 'vnplans[dask]'") from e
        try:
            self.client = Client(scheduler, timeout=15)
        except (OSError, TimeoutError) as e:
            raise MissingDependencyError(f"cannot reach Dask scheduler {scheduler}: {e}") from e
        self.jobs = max(1, sum(self.client.nthreads().values()))

    def submit(self, task: PageTask):
        return self.client.submit(ocr_page, task, pure=False, retries=1)

    def rebuild(self) -> None:
        pass

    def wait_any(self, futures, timeout: float | None = None):
        from distributed import wait as dwait
        try:
            res = dwait(list(futures), timeout=timeout, return_when="FIRST_COMPLETED")
        except TimeoutError:  # distributed raises where concurrent.futures returns nothing done
            return set(), set(futures)
        return set(res.done), set(res.not_done)

    def close(self) -> None:
        self.client.close()

    def terminate(self, futures=()) -> None:
        with contextlib.suppress(Exception):
            self.client.cancel(list(futures))
        self.client.close()


class Runner:
    """One run of the batch over an input folder into an output folder."""

    def __init__(self, input_dir: Path, out_dir: Path, options: RunOptions, lexicon=None,
                 progress: Progress | None = None, user_dict: Path | None = None, report: bool = True):
        self.input_dir = Path(input_dir)
        self.out_dir = Path(out_dir)
        self.opt = options
        self.lexicon = lexicon if options.restore else None
        self.progress = progress or (lambda e: None)
        self.ocr_key = options.ocr.key()
        self.rec_key = options.record_key(getattr(self.lexicon, "ident", "no-lexicon"))
        self.stats = {"ok": 0, "failed": 0, "skipped": 0, "pages": 0, "ocr_pages": 0, "corrections": 0}
        self.confs: list[float] = []
        self.stop_signal = 0  # set by request_stop: the run winds down
        self.stopped = False  # work was left undone because of it
        # ---- human review (issue 12): spellings people corrected, kept after restoration; the report
        from . import userdict
        self.protect = userdict.Protector(userdict.load(user_dict)) if user_dict else None
        self.report = report
        # ---- end human review

    def request_stop(self, signum: int = signal.SIGINT) -> None:
        """Ask the run to stop cleanly (safe from a signal handler): no more inputs or pages are
        started, the workers are stopped, and the exports are written for what is done."""
        self.stop_signal = self.stop_signal or int(signum)

    # ------------------------------------------------------------ preparation
    def _prepare(self, f: inputs.InputFile, cat: Catalog, run_id: int) -> _Doc | None:
        """Hash and classify one input; finish it at once when no OCR is needed.
        Returns the document when pages remain to OCR."""
        st = f.path.stat()
        old = cat.file(f.source)
        if old and old.size == st.st_size and old.mtime == st.st_mtime and old.sha256:
            sha = old.sha256
        else:
            sha = inputs.sha256(f.path)
        if not self.opt.reprocess and old and old.sha256 == sha and old.status == "done" and old.settings == self.rec_key \
                and cat.has_record(f.source, sha, self.rec_key) and not self._pdf_missing(f):
            cat.mark_seen(f.source, run_id)
            self.stats["skipped"] += 1
            self.stats["pages"] += old.pages or 0
            return None
        row = file_row(source=f.source, size=st.st_size, mtime=st.st_mtime, sha256=sha, kind=f.kind)
        if f.kind in ("text", "docx"):
            text = inputs.read_text(f.path) if f.kind == "text" else inputs.read_docx(f.path)
            text, enc = legacy.fix(text)
            warn = (f"text in the legacy {enc.upper()} encoding, converted to Unicode",) if enc else ()
            row = replace(row, pages=1)
            cat.upsert_file(row, run_id)
            self._finish(cat, row, [PageResult(1, text, engine="text", warnings=warn)], "text")
            return None
        if f.kind == "pdf":
            inputs.check_pdf_magic(f.path)
            n = poppler.page_count(f.path)
            row = replace(row, pages=n)
            cat.upsert_file(row, run_id)
            done = cat.done_pages(sha, self.ocr_key)
            missing = set(range(1, n + 1)) - done
            if missing:
                for lp in textlayer.read(f.path):
                    if lp.page in missing and lp.is_real:
                        warn = (f"page {lp.page}: text layer in the legacy {lp.legacy.upper()} encoding, "
                                "converted to Unicode",) if lp.legacy else ()
                        cat.save_page(sha, self.ocr_key, PageResult(lp.page, lp.text, engine=TEXT_LAYER, warnings=warn))
                        missing.discard(lp.page)
        else:
            n = _image_frames(f.path)
            row = replace(row, pages=n)
            cat.upsert_file(row, run_id)
            missing = set(range(1, n + 1)) - cat.done_pages(sha, self.ocr_key)
        doc = _Doc(f, row, missing)
        if not missing:
            self._finish_from_catalog(cat, doc)
            return None
        return doc

    # ------------------------------------------------------------ finishing
    def _finish_from_catalog(self, cat: Catalog, doc: _Doc) -> None:
        pages = [cat.page(doc.row.sha256, p, self.ocr_key) for p in range(1, doc.row.pages + 1)]
        pages = [p if p is not None else PageResult(i + 1, "", error="page missing")
                 for i, p in enumerate(pages)]
        # the page text is rebuilt from the stored word boxes, so layout rules apply on --reprocess
        pages = [replace(p, text=tesseract.lines_text(p.words)) if p.words else p for p in pages]
        layer = all(p.engine == TEXT_LAYER for p in pages if not p.error)
        self._finish(cat, doc.row, pages, TEXT_LAYER if layer else "ocr")

    def _fail(self, cat: Catalog, source: str, reason: str) -> None:
        """One input failed: its reason goes to the catalog (errors.csv) and to the progress callback."""
        cat.set_status(source, "failed", reason, self.rec_key)
        self.stats["failed"] += 1
        self.progress(Event("failed", source, message=reason))

    def _finish(self, cat: Catalog, row: FileRow, pages: list[PageResult], text_source: str) -> None:
        good = [p for p in pages if not p.error]
        if not good:
            self._fail(cat, row.source, pages[0].error if pages else "no pages")
            return
        warnings = [p.error for p in pages if p.error] + [w for p in pages for w in p.warnings]
        raw = "\n\n".join(p.text for p in good)
        text = normalize(raw)
        words = [w for p in good for w in p.words if w.conf >= 0]
        conf = round(sum(w.conf for w in words) / len(words), 2) if words else None
        lexicon = self.lexicon.get() if hasattr(self.lexicon, "get") else self.lexicon  # LazyLexicon
        if lexicon is not None and text_source in ("ocr", "text"):
            from .restore import restore
            res = restore(text, lexicon)
            text = self.protect.apply(res.text) if self.protect else res.text  # user dictionary (issue 12)
            quality = Quality(conf, res.coverage, len(res.corrections))
            self.stats["corrections"] += len(res.corrections)
        elif lexicon is not None:
            from .restore import coverage
            quality = Quality(conf, coverage(text, lexicon), 0)
        else:
            quality = Quality(conf, None, 0)
        if not text.strip():
            self._fail(cat, row.source, "no text found on any page")
            return
        if conf is not None:
            self.confs.append(conf)
        rec = parse(text, source=row.source, pages=len(pages), text_source=text_source)
        rec = replace(rec, quality=quality, warnings=tuple(warnings) + rec.warnings)
        rec = self._zones(rec, good, lexicon, text_source)
        cat.save_record(row.source, row.sha256, self.rec_key, rec, text)
        cat.set_status(row.source, "done", "", self.rec_key)
        if self.opt.pdf and row.kind in ("pdf", "image"):  # issue 13
            self._write_pdf(row.source, good, text)
        self.stats["ok"] += 1
        self.stats["pages"] += len(pages)
        self.progress(Event("doc", row.source))

    # ---- searchable PDF (issue 13)
    def _pdf_missing(self, f: inputs.InputFile) -> bool:
        from .pdfout import pdf_name
        return self.opt.pdf and f.kind in ("pdf", "image") and not (self.out_dir / "pdf" / pdf_name(f.source)).exists()

    def _write_pdf(self, source: str, pages: list[PageResult], text: str) -> None:
        """OUT/pdf/NAME.pdf (pdfout.write); a failure is a warning, the record stands."""
        from . import pdfout
        try:
            pdfout.write(self.input_dir / source, pages, text, self.out_dir / "pdf" / pdfout.pdf_name(source))
        except VnplansError as e:
            self.progress(Event("warning", source, message=f"searchable PDF not written: {e}"))
    # ---- end searchable PDF

    def _zones(self, rec: PlanRecord, pages: list[PageResult], lexicon, text_source: str) -> PlanRecord:
        """Header and signature fields from the page zones (document.apply_layout)."""
        from . import document, gazetteer
        if getattr(self, "_gaz", None) is None:
            self._gaz = gazetteer.load()
        signed = ""
        if rec.source.lower().endswith(".pdf"):
            from .signing import signed_at_from_pdf
            signed = signed_at_from_pdf(self.input_dir / rec.source)
        if lexicon is not None and text_source == "ocr":
            from .restore import restore

            def fix(t: str) -> str:
                out = restore(t, lexicon).text
                return self.protect.apply(out) if self.protect else out  # user dictionary (issue 12)
            syl = lexicon.syllables
            return document.apply_layout(rec, pages, fix, self._gaz, lambda w: w in syl, text_source, signed,
                                         lexicon.persons.get("given", {}))
        return document.apply_layout(rec, pages, None, self._gaz, lambda w: True, text_source, signed)

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
            for source, reason in problems:
                cat.upsert_file(file_row(source=source), run_id)
                self._fail(cat, source, reason)
            docs: list[_Doc] = []
            for f in files:
                if self.stop_signal:
                    self.stopped = True
                    break
                try:
                    doc = self._prepare(f, cat, run_id)
                    if doc:
                        docs.append(doc)
                except InputFileError as e:
                    cat.upsert_file(file_row(source=f.source, kind=f.kind), run_id)
                    self._fail(cat, f.source, str(e))
            if not self.stopped:
                self._ocr(cat, docs)
            sources = {f.source for f in files} | {s for s, _ in problems}
            n = write_all(self.out_dir, cat.records(sources), cat.errors(sources), cat.latest_versions())
            if self.report and not self.stopped:  # issue 12: the static report, after the exports
                from .report import write_report
                write_report(self.out_dir, cat, self.input_dir, sources=sources)
            if not self.stopped:  # a stopped run stays unfinished in the catalog's runs table
                cat.finish_run(run_id)
        finally:
            cat.close()
        confs = self.confs
        return Summary(len(files) + len(problems), self.stats["ok"], self.stats["failed"], self.stats["skipped"],
                       self.stats["pages"], self.stats["ocr_pages"], round(time.monotonic() - t0, 2),
                       round(sum(confs) / len(confs), 2) if confs else None, self.stats["corrections"], n,
                       self.stop_signal if self.stopped else 0)

    def _tasks(self, docs: list[_Doc], lanes: int) -> Iterator[tuple[_Doc, PageTask]]:
        """Pages of up to `lanes` documents at a time, in turn: a huge PDF shares the pool with
        the documents after it instead of holding them back, and documents still finish one by one."""
        def pages(d: _Doc) -> Iterator[tuple[_Doc, PageTask]]:
            kind = "pdf" if d.row.kind == "pdf" else "image"
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

    def _expire(self, cat: Catalog, pending: dict, retry: list, done_pages: int, total: int) -> int:
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
            for page in sorted(d.todo - running):
                cat.save_page(d.row.sha256, self.ocr_key, PageResult(
                    page, "", error=f"page {page}: file time limit ({self.opt.file_timeout:.0f} s) reached"))
                d.todo.discard(page)
                given_up += 1
                self.progress(Event("page", d.row.source, done_pages + given_up, total))
            if not d.todo:
                self._finish_from_catalog(cat, d)
        return given_up

    def _ocr(self, cat: Catalog, docs: list[_Doc]) -> None:
        total = sum(len(d.todo) for d in docs)
        self.progress(Event("planned", pages_total=total))
        if not total:
            return
        jobs = self.opt.jobs or _cpu_count()
        pool = DaskPool(self.opt.scheduler) if self.opt.executor == "dask" else LocalPool(jobs)
        window = 2 * pool.jobs
        pending: dict = {}
        attempts: dict[tuple[str, int], int] = {}
        queue = self._tasks(docs, lanes=max(2, pool.jobs))
        retry: list[tuple[_Doc, PageTask]] = []
        done_pages = 0
        try:
            while True:
                if self.stop_signal:  # pages being read are abandoned: the next run reads them
                    self.stopped = True
                    pool.terminate(set(pending))
                    return
                while len(pending) < window:
                    item = retry.pop() if retry else next(queue, None)
                    if item is None:
                        break
                    item[0].started = item[0].started or time.monotonic()
                    pending[pool.submit(item[1])] = item
                if not pending:
                    break
                finished, _ = pool.wait_any(set(pending), timeout=0.5)  # wakes to see a stop request
                broken = False
                for fut in finished:
                    doc, task = pending.pop(fut)
                    try:
                        res = fut.result()
                        if self.stop_signal and res.error:  # may be the stop itself: the next run reads it
                            continue
                    except (BrokenProcessPool, Exception) as e:  # worker died or cluster failure
                        if self.stop_signal:
                            continue
                        key = (doc.row.source, task.page)
                        attempts[key] = attempts.get(key, 0) + 1
                        broken = broken or isinstance(e, BrokenProcessPool)
                        if attempts[key] <= self.opt.max_retries:
                            retry.append((doc, task))
                            continue
                        res = PageResult(task.page, "", error=f"page {task.page}: worker crashed ({type(e).__name__})")
                    if res.error and not res.error.startswith("page "):
                        res = replace(res, error=f"page {task.page}: {res.error}")
                    cat.save_page(doc.row.sha256, self.ocr_key, res)
                    done_pages += 1
                    self.stats["ocr_pages"] += 1
                    self.progress(Event("page", doc.row.source, done_pages, total))
                    doc.todo.discard(task.page)
                    if not doc.todo:
                        self._finish_from_catalog(cat, doc)
                if broken and not self.stop_signal:
                    for fut, item in list(pending.items()):
                        retry.append(item)
                    pending.clear()
                    pool.rebuild()
                done_pages += self._expire(cat, pending, retry, done_pages, total)
        except BaseException:  # a second Ctrl-C, a catalog that cannot be written: do not wait for pages
            pool.terminate(set(pending))
            raise
        pool.close()


STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


@contextlib.contextmanager
def stop_on_signals(runner: Runner, signals: tuple[int, ...] = STOP_SIGNALS) -> Iterator[None]:
    """While the block runs, SIGINT (Ctrl-C), SIGTERM (kill, timeout, systemd, docker stop) and
    SIGHUP ask the runner to stop cleanly; a second signal stops at once (KeyboardInterrupt).
    Signals already ignored (nohup, background jobs) stay ignored. Main thread only."""
    def handler(signum, frame) -> None:
        if runner.stop_signal:
            raise KeyboardInterrupt
        runner.request_stop(signum)

    old = {}
    if threading.current_thread() is threading.main_thread():
        for sig in signals:
            if signal.getsignal(sig) is not signal.SIG_IGN:
                old[sig] = signal.signal(sig, handler)
    try:
        yield
    finally:
        for sig, h in old.items():
            signal.signal(sig, h if h is not None else signal.SIG_DFL)


def _image_frames(path: Path) -> int:
    from PIL import Image
    try:
        with Image.open(path) as im:
            return max(1, getattr(im, "n_frames", 1))
    except Image.DecompressionBombError as e:
        raise InputFileError(f"image too large: {e}") from e
    except (OSError, ValueError) as e:
        raise InputFileError(f"unreadable image: {e}") from e


def export(out_dir: Path) -> int:
    """Regenerate the output files of OUT_DIR from its catalog alone."""
    path = Path(out_dir) / "catalog.sqlite"
    if not path.exists():
        raise OutputError(f"no catalog in {out_dir}: run `vnplans run` first")
    cat = Catalog(path)
    try:
        return write_all(Path(out_dir), cat.records(), cat.errors(), cat.latest_versions())
    finally:
        cat.close()
