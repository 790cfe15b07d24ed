"""Where pages are read: a `Pool` of workers, local processes (`LocalPool`) or a Dask cluster
(`DaskPool`). Both run `ocr.ocr_page` on a `PageTask` and hand back futures of `PageResult`s.

Local workers ignore stop signals (the parent decides and kills them), keep their temporary
files in the run's own folder, and die, with the programs they start, when the parent dies
however it dies (Linux parent-death signal, else a watching thread).
"""
from __future__ import annotations

import contextlib
import ctypes
import logging
import multiprocessing
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any, Protocol

from .errors import MissingDependencyError, VnplansError
from .ocr import OcrSettings, PageTask, ocr_page, warm_up

log = logging.getLogger(__name__)


class Pool(Protocol):
    """Runs pages somewhere and hands back futures of their PageResults."""

    jobs: int  # pages read at once

    def submit(self, task: PageTask) -> Any:
        """A future of `ocr_page(task)` (concurrent.futures.Future or distributed.Future)."""
        ...

    def warm(self, settings: OcrSettings) -> None:
        """Start the workers loading what pages need while the parent still triages files."""
        ...

    def wait_any(self, futures: Iterable[Any], timeout: float | None = None) -> tuple[set[Any], set[Any]]:
        """(done, not done) once one is done or the timeout passed."""
        ...

    def crashed(self, error: BaseException) -> bool:
        """Whether a future's error means the pool lost its workers (then `rebuild`)."""
        ...

    def rebuild(self) -> None:
        """New workers after a crash; pages that were pending must be submitted again."""
        ...

    def close(self) -> None:
        """Wait for the workers to end and clean up."""
        ...

    def terminate(self, futures: Iterable[Any] = ()) -> None:
        """Stop now: pages being read are abandoned, the workers killed."""
        ...


def cpu_count() -> int:
    """Cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


# ---------------------------------------------------------------- the worker initializer

_PR_SET_PDEATHSIG = 1  # linux/prctl.h
_prctl: Callable[..., int] | None = None  # libc prctl, bound in a worker at start


def _bind_prctl() -> Callable[..., int] | None:
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
    poppler (or Tesseract OSD) run does not outlive the worker that waits for it."""

    def __init__(self, *args: Any, **kwargs: Any):
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


def init_worker(parent: int = 0, tmp: str = "") -> None:
    """Worker setup: one Tesseract thread; temporary files in the run's own folder (removed by
    the parent even when workers are killed); SIGINT, SIGTERM and SIGHUP ignored here and in the
    programs started (a terminal, systemd or pkill signals them all at once: the parent decides,
    and kills the workers); the worker and its programs die with the parent however it dies."""
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
    subprocess.Popen = _ChildPopen  # type: ignore[misc]  # this worker only: tesseract.py, poppler.py


# ---------------------------------------------------------------- the two pools

class LocalPool:
    """Pages over a process pool of this machine; a pool broken by a dying worker is rebuilt."""

    TMP_PREFIX = "vnplans-run-"

    def __init__(self, jobs: int):
        self.jobs = jobs
        self._sweep_tmp()
        self.tmp = tempfile.mkdtemp(prefix=f"{self.TMP_PREFIX}{os.getpid()}-")
        self.pool = self._new()

    def _new(self) -> ProcessPoolExecutor:
        # fork: the workers' parent is this process, whose death they are tied to
        ctx = multiprocessing.get_context("fork") if sys.platform.startswith("linux") else None
        return ProcessPoolExecutor(max_workers=self.jobs, mp_context=ctx, initializer=init_worker,
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

    def submit(self, task: PageTask) -> Future[Any]:
        try:
            return self.pool.submit(ocr_page, task)
        except BrokenProcessPool:
            self.rebuild()
            return self.pool.submit(ocr_page, task)

    def warm(self, settings: OcrSettings) -> None:
        for _ in range(self.jobs):  # one each, as a rule: an idle worker takes the next
            with contextlib.suppress(BrokenProcessPool, RuntimeError):
                self.pool.submit(warm_up, settings)

    def crashed(self, error: BaseException) -> bool:
        return isinstance(error, BrokenProcessPool)

    def rebuild(self) -> None:
        """New workers; the broken pool's survivors are killed (their pages are sent again): left
        alone, one may wait forever on a queue the dead worker held, and Python 3.11's executor
        thread spins until it is gone, holding up the interpreter's exit."""
        log.warning("a worker process died: starting new workers")
        self._kill(self.pool)
        self.pool = self._new()

    def wait_any(self, futures: Iterable[Any], timeout: float | None = None) -> tuple[set[Any], set[Any]]:
        done, not_done = wait(set(futures), timeout=timeout, return_when=FIRST_COMPLETED)
        return set(done), set(not_done)

    def close(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)
        shutil.rmtree(self.tmp, ignore_errors=True)

    def terminate(self, futures: Iterable[Any] = ()) -> None:
        self._kill(self.pool)
        shutil.rmtree(self.tmp, ignore_errors=True)

    @staticmethod
    def _kill(pool: ProcessPoolExecutor) -> None:
        """Shut a pool down now: queued pages cancelled, its workers (Tesseract runs in them) killed."""
        procs = list((getattr(pool, "_processes", None) or {}).values())
        pool.shutdown(wait=False, cancel_futures=True)
        for p in procs:
            with contextlib.suppress(OSError, ValueError):
                p.kill()
        for p in procs:
            with contextlib.suppress(OSError, ValueError, AssertionError):
                p.join(5)
        pool.shutdown(wait=True)


class DaskPool:
    """Pages on an existing Dask distributed cluster; results come back to this process."""

    def __init__(self, scheduler: str):
        try:
            from distributed import Client
        except ImportError as e:
            raise VnplansError("--executor dask needs the 'distributed' package: pip install 'vnplans[dask]'") from e
        _reachable(scheduler)
        try:
            self.client = Client(scheduler, timeout=15)
        except (OSError, TimeoutError) as e:
            raise MissingDependencyError(f"cannot reach Dask scheduler {scheduler}: {e}") from e
        self.jobs = max(1, sum(self.client.nthreads().values()))

    def submit(self, task: PageTask) -> Any:
        return self.client.submit(ocr_page, task, pure=False, retries=1)

    def warm(self, settings: OcrSettings) -> None:
        pass  # a cluster's workers outlive runs: they stay loaded

    def crashed(self, error: BaseException) -> bool:
        return False  # the scheduler replaces lost workers itself

    def rebuild(self) -> None:
        pass

    def wait_any(self, futures: Iterable[Any], timeout: float | None = None) -> tuple[set[Any], set[Any]]:
        from distributed import wait as dwait
        futures = list(futures)
        try:
            res = dwait(futures, timeout=timeout, return_when="FIRST_COMPLETED")
        except TimeoutError:  # distributed raises where concurrent.futures returns nothing done
            return set(), set(futures)
        return set(res.done), set(res.not_done)

    def close(self) -> None:
        self.client.close()

    def terminate(self, futures: Iterable[Any] = ()) -> None:
        with contextlib.suppress(Exception):
            self.client.cancel(list(futures))
        self.client.close()


def _reachable(scheduler: str, timeout: float = 5.0) -> None:
    """A tcp:// scheduler address that refuses connections fails at once (the Dask client would
    retry for its whole timeout); other addresses are left to the client."""
    from urllib.parse import urlsplit
    u = urlsplit(scheduler)
    if u.scheme != "tcp" or not u.hostname or not u.port:
        return
    try:
        socket.create_connection((u.hostname, u.port), timeout=timeout).close()
    except OSError as e:
        raise MissingDependencyError(f"cannot reach Dask scheduler {scheduler}: {e.strerror or e}") from e


def open_pool(executor: str, jobs: int, scheduler: str = "") -> Pool:
    """The pool a run asked for: 'dask' on SCHEDULER, else local processes (0 jobs: one per core)."""
    if executor == "dask":
        return DaskPool(scheduler)
    return LocalPool(jobs or cpu_count())
