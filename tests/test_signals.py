"""Stopping a run: SIGTERM and Ctrl-C stop it cleanly, and no process of a run outlives it,
however the parent dies (real runs on scans, processes checked with psutil)."""
import ctypes
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
import psutil
import pytest
from conftest import ROOT, SAMPLES, needs_tesseract

from pipeline.batch import Runner, RunOptions
from pipeline.errors import ExitCode
from pipeline.pool import LocalPool


def _session(sid: int) -> list[psutil.Process]:
    """Live processes of the run's session: the parent, its workers, their tesseract/poppler runs
    (a session survives re-parenting to init, so orphans are found too)."""
    out = []
    for p in psutil.process_iter(["status"]):
        try:
            if os.getsid(p.pid) == sid and p.info["status"] != psutil.STATUS_ZOMBIE:
                out.append(p)
        except (ProcessLookupError, PermissionError, psutil.Error):
            pass
    return out


def _start(inp: Path, out: Path, quiet: bool = True) -> subprocess.Popen:
    cmd = [sys.executable, "-m", "pipeline", "run", str(inp), "-o", str(out), "--jobs", "2", "--no-retry"]
    env = dict(os.environ, OMP_THREAD_LIMIT="1")
    return subprocess.Popen(cmd + (["-q"] if quiet else []), cwd=ROOT, env=env, start_new_session=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _wait_for(pred, timeout: float, what: str) -> None:
    end = time.monotonic() + timeout
    while not pred():
        if time.monotonic() > end:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


def _pages_done(out: Path) -> int:
    import sqlite3
    if not (out / "catalog.sqlite").exists():
        return 0
    try:
        db = sqlite3.connect(f"file:{out / 'catalog.sqlite'}?mode=ro", uri=True, timeout=5)
        try:
            return db.execute("SELECT count(*) FROM pages WHERE error=''").fetchone()[0]
        finally:
            db.close()
    except sqlite3.Error:
        return 0


PAGES = 4  # two short scans of two pages each (the smallest renders): enough to stop a run halfway


@pytest.fixture
def scans(tmp_path):
    import shutil
    inp = tmp_path / "in"
    inp.mkdir()
    for name in ("003_8bbb748eb2a26e53.pdf", "004_63baf3d53428361f.pdf"):
        shutil.copy(SAMPLES / "scans" / "level3" / name, inp / name)
    return inp


STOPS = [("SIGTERM to the parent", signal.SIGTERM, False, ExitCode.terminated),
         ("Ctrl-C at a terminal (SIGINT to the process group)", signal.SIGINT, True, ExitCode.interrupted),
         ("systemd or pkill (SIGTERM to every process)", signal.SIGTERM, True, ExitCode.terminated),
         ("SIGKILL of the parent", signal.SIGKILL, False, -signal.SIGKILL)]


@needs_tesseract
@pytest.mark.parametrize("how,sig,group,code", STOPS, ids=["term", "int", "term-all", "kill"])
def test_stopped_run_leaves_no_process_and_resumes(scans, tmp_path, how, sig, group, code):
    out = tmp_path / "out"
    proc = _start(scans, out)
    sid = proc.pid
    try:
        # stop while pages are done and the workers (Tesseract runs in them) are reading others
        _wait_for(lambda: _pages_done(out) >= 1 and len(_session(sid)) >= 3,
                  180, "a finished page and two workers reading")
        (os.killpg if group else os.kill)(proc.pid, sig)
        t0 = time.monotonic()
        _, err = proc.communicate(timeout=30)
        assert proc.returncode == code, err
        _wait_for(lambda: not _session(sid), 5 - (time.monotonic() - t0), f"every process of the run to end ({how})")
    finally:
        for p in _session(sid):
            try:
                p.kill()
            except psutil.Error:
                pass
    if sig != signal.SIGKILL:  # a clean stop: exports of what is done, no temporary files left
        assert "stopped by" in err and "Traceback" not in err
        assert not list(Path(tempfile.gettempdir()).glob(f"{LocalPool.TMP_PREFIX}{proc.pid}-*"))
        plans = pd.read_csv(out / "plans.csv", encoding="utf-8-sig", dtype=str, keep_default_na=False)
        assert len(set(plans["source"])) == len(plans) < 2
    before = _pages_done(out)
    assert 1 <= before < PAGES

    res = _start(scans, out, quiet=False)
    _, err = res.communicate(timeout=600)
    assert res.returncode == ExitCode.ok, err
    # nothing finished is read again; every document exactly once
    assert f"{PAGES} ({PAGES - before} OCR'd this run)" in err
    plans = pd.read_csv(out / "plans.csv", encoding="utf-8-sig", dtype=str, keep_default_na=False)
    assert sorted(plans["source"]) == sorted(p.name for p in scans.glob("*.pdf"))
    lines = (out / "plans.jsonl").read_text(encoding="utf-8").splitlines()
    assert sorted(json.loads(ln)["source"] for ln in lines) == sorted(plans["source"])
    assert not list(Path(tempfile.gettempdir()).glob(f"{LocalPool.TMP_PREFIX}{proc.pid}-*"))  # swept


def _pdeathsig_of_a_program() -> tuple[int, int]:
    """In a worker: the parent-death signal of the worker itself and of a program it starts."""
    libc = ctypes.CDLL(None, use_errno=True)
    sig = ctypes.c_int(0)
    libc.prctl(2, ctypes.byref(sig), 0, 0, 0)  # PR_GET_PDEATHSIG
    code = ("import ctypes; s = ctypes.c_int(0); "
            "ctypes.CDLL(None).prctl(2, ctypes.byref(s), 0, 0, 0); print(s.value)")
    child = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    return sig.value, int(child.stdout)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="prctl is Linux")
def test_workers_and_their_programs_get_a_parent_death_signal():
    pool = LocalPool(1)
    try:
        worker, program = pool.pool.submit(_pdeathsig_of_a_program).result(timeout=60)
    finally:
        pool.close()
    assert worker == signal.SIGKILL and program == signal.SIGKILL
    assert not Path(pool.tmp).exists()
    # the parent's own programs are untouched
    assert subprocess.Popen.__name__ == "Popen"


def test_stop_request_writes_exports_of_what_is_done_and_resumes(tmp_path):
    out = tmp_path / "out"
    seen = []

    def progress(ev):
        if ev.kind == "doc":
            seen.append(ev.source)
            if len(seen) == 2:
                runner.request_stop(signal.SIGTERM)

    runner = Runner(SAMPLES / "text", out, RunOptions(restore=False), progress=progress)
    s = runner.run()
    assert s.stopped_by == signal.SIGTERM and s.ok == 2 and s.records_written == 2
    plans = pd.read_csv(out / "plans.csv", encoding="utf-8-sig", dtype=str, keep_default_na=False)
    assert sorted(plans["source"]) == sorted(seen)
    s2 = Runner(SAMPLES / "text", out, RunOptions(restore=False)).run()
    assert s2.stopped_by == 0 and s2.skipped == 2 and s2.ok == 3 and s2.records_written == 5


def test_exit_codes_follow_the_shell_convention():
    assert ExitCode.for_signal(signal.SIGTERM) == ExitCode.terminated == 143
    assert ExitCode.for_signal(signal.SIGINT) == ExitCode.interrupted == 130
