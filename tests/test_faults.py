"""Faults: the run killed with SIGKILL halfway, a worker process killed mid-page."""
from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
from conftest import ROOT, SAMPLES, needs_tesseract

from pipeline.batch import Runner, RunOptions
from pipeline.lexicon import LazyLexicon


def _inputs(tmp_path: Path) -> Path:
    """Two short scans (2 + 2 pages, the smallest renders): enough to be killed halfway."""
    inp = tmp_path / "in"
    inp.mkdir()
    for name in ("003_8bbb748eb2a26e53.pdf", "004_63baf3d53428361f.pdf"):
        shutil.copy(SAMPLES / "scans" / "level3" / name, inp / name)
    return inp


def _start(inp: Path, out: Path, *extra: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "pipeline", "run", str(inp), "-o", str(out), "-q", "--jobs", "2",
                             *extra], cwd=ROOT, start_new_session=True, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)


def _pages_done(out: Path) -> set[tuple[str, int]]:
    db = out / "catalog.sqlite"
    if not db.exists():
        return set()
    try:
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
        rows = con.execute("SELECT sha256, page FROM pages WHERE error=''").fetchall()
        con.close()
        return set(rows)
    except sqlite3.Error:
        return set()


def _children(pid: int) -> list[int]:
    kids = []
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                stat = (d / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                kids.append(int(d.name))
    return kids


def _cpu_seconds(pid: int) -> float:
    """CPU time a process has used so far (0 when it is gone)."""
    try:
        fields = (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@needs_tesseract
def test_kill_9_then_rerun_loses_nothing_and_redoes_nothing(tmp_path):
    inp, out = _inputs(tmp_path), tmp_path / "out"
    proc = _start(inp, out)
    deadline = time.time() + 120
    while not _pages_done(out) and time.time() < deadline and proc.poll() is None:
        time.sleep(0.2)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    done = _pages_done(out)
    from pipeline.poppler import page_count
    total = sum(page_count(p) for p in inp.iterdir())
    assert 1 <= len(done) < total, "the kill must land halfway"
    summary = Runner(inp, out, RunOptions(jobs=2), LazyLexicon()).run()
    assert summary.ocr_pages == total - len(done)  # finished pages are not OCR'd again
    plans = pd.read_csv(out / "plans.csv", encoding="utf-8-sig")
    assert sorted(plans["source"]) == sorted(p.name for p in inp.iterdir())  # each exactly once
    assert pd.read_csv(out / "errors.csv").empty


@needs_tesseract
def test_worker_killed_mid_page_is_retried(tmp_path):
    inp, out = _inputs(tmp_path), tmp_path / "out"
    log = tmp_path / "run.log"
    proc = _start(inp, out, "--log-file", str(log))
    deadline = time.time() + 60
    workers: list[int] = []
    while time.time() < deadline and proc.poll() is None:
        workers = [k for k in _children(proc.pid) if _cpu_seconds(k) > 1.5]  # reading a page (Tesseract runs in it)
        if workers:
            break
        time.sleep(0.2)
    assert workers, "no worker seen at work"
    os.kill(workers[0], signal.SIGKILL)
    assert proc.wait(timeout=300) == 0
    plans = pd.read_csv(out / "plans.csv", encoding="utf-8-sig")
    assert len(plans) == 2 and pd.read_csv(out / "errors.csv").empty
    logged = log.read_text(encoding="utf-8")
    assert "worker died (BrokenProcessPool); retry 1 of 2" in logged, logged  # the log says what and why
    assert "a worker process died: starting new workers" in logged


def _mount_tiny(path: Path, size: str) -> bool:
    if os.geteuid() != 0 or not shutil.which("mount"):
        return False
    path.mkdir()
    return subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)],
                          capture_output=True).returncode == 0


def test_disk_full_is_a_clear_error_and_the_catalog_survives(tmp_path, capsys):
    import pytest

    from pipeline.cli import main
    from pipeline.errors import ExitCode
    disk = tmp_path / "disk"
    if not _mount_tiny(disk, "160k"):
        pytest.skip("needs root to mount a small tmpfs")
    try:
        inp = tmp_path / "in"
        inp.mkdir()
        for i in range(40):
            shutil.copy(SAMPLES / "text" / "000_e6dfd4b9c1bcb2e4.txt", inp / f"plan{i:02d}.txt")
        code = main(["run", str(inp), "-o", str(disk / "out"), "-q"])
        err = capsys.readouterr().err
        assert code == ExitCode.output_unwritable
        assert "Traceback" not in err and err.count("\n") <= 2 and ("full" in err or "No space" in err)
        con = sqlite3.connect(disk / "out" / "catalog.sqlite")
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        con.close()
    finally:
        subprocess.run(["umount", str(disk)], capture_output=True)
