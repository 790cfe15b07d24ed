"""The wheel works outside the checkout: built from the repository's files, installed into a
fresh venv (dependencies from this environment, no network), run from another folder."""
from __future__ import annotations

import csv
import os
import shutil
import site
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.slow


def _run(cmd: list[str], **kw) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, capture_output=True, text=True, timeout=600, **kw)


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> tuple[Path, dict[str, str]]:
    """A venv holding only the wheel; this environment's packages are visible through a .pth
    file (a .pth is not processed there, so the checkout's editable install stays out)."""
    tmp = tmp_path_factory.mktemp("wheel")
    src = tmp / "src"  # a copy: the build writes build/ and *.egg-info beside the sources
    src.mkdir()
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for name in ("pipeline", "dictionaries", "models"):
        shutil.copytree(ROOT / name, src / name, ignore=ignore)
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, src / name)
    built = _run([sys.executable, "-m", "pip", "wheel", str(src), "--no-deps", "--no-build-isolation",
                  "-q", "-w", str(tmp / "dist")])
    assert built.returncode == 0, built.stderr[-3000:]
    wheels = list((tmp / "dist").glob("vnplans-*.whl"))
    assert len(wheels) == 1
    venv = tmp / "venv"
    made = _run([sys.executable, "-m", "venv", "--without-pip", str(venv)])
    assert made.returncode == 0, made.stderr
    py = venv / "bin" / "python"
    purelib = _run([str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"]).stdout.strip()
    deps = [p for p in site.getsitepackages() + [sysconfig.get_paths()["purelib"]] if Path(p).is_dir()]
    Path(purelib, "_vnplans_test_deps.pth").write_text("\n".join(dict.fromkeys(deps)) + "\n")
    inst = _run([sys.executable, "-m", "pip", "--python", str(py), "install", "--no-deps", "-q", str(wheels[0])])
    assert inst.returncode == 0, inst.stderr[-3000:]
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VNPLANS_DICT_DIR", "VIRTUAL_ENV")}
    return venv, env


def test_wheel_carries_data_and_runs_from_another_folder(installed, tmp_path):
    venv, env = installed
    where = _run([str(venv / "bin" / "python"), "-c",
                  "import pipeline, pipeline.lexicon as l, pipeline.handwriting as h;"
                  "print(pipeline.__file__); print(l.default_dir()); print(h.MODEL_PATH)"],
                 cwd=tmp_path, env=env)
    assert where.returncode == 0, where.stderr
    pkg, dicts, model = (Path(x) for x in where.stdout.split())
    assert venv in pkg.parents, "the package must come from the wheel, not the checkout"
    assert venv in dicts.parents and (dicts / "syllables.tsv").is_file()
    assert venv in model.parents and model.is_file()

    out = tmp_path / "out"
    run = _run([str(venv / "bin" / "vnplans"), "run", str(ROOT / "samples" / "text"), "-o", str(out)],
               cwd=tmp_path, env=env)
    assert run.returncode == 0, run.stderr[-3000:]
    with open(out / "plans.csv", encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 5
    assert all(r["title"] for r in rows)
    assert (out / "report" / "index.html").is_file()  # templates and static files came along

    doctor = _run([str(venv / "bin" / "vnplans"), "doctor"], cwd=tmp_path, env=env)
    line = next(ln for ln in doctor.stdout.splitlines() if "dictionaries" in ln)
    assert line.startswith("ok") and str(venv) in line, doctor.stdout
