"""The Dask executor gives the same records as the local pool (real LocalCluster on loopback)."""
import shutil

import pytest
from conftest import SAMPLES, needs_tesseract

from pipeline.cli import main
from pipeline.errors import ExitCode

distributed = pytest.importorskip("distributed")


@needs_tesseract
def test_dask_matches_local(tmp_path):
    inp = tmp_path / "in"
    inp.mkdir()
    shutil.copy(SAMPLES / "scans" / "level3" / "004_63baf3d53428361f.pdf", inp / "scan.pdf")
    shutil.copy(SAMPLES / "text" / "003_8bbb748eb2a26e53.txt", inp / "plan.txt")
    assert main(["run", str(inp), "-o", str(tmp_path / "local"), "-q", "--jobs", "2"]) == ExitCode.ok
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, host="127.0.0.1",
                                  dashboard_address=None, processes=True) as cluster:
        code = main(["run", str(inp), "-o", str(tmp_path / "dask"), "-q", "--executor", "dask",
                     "--scheduler", cluster.scheduler_address])
    assert code == ExitCode.ok
    local = (tmp_path / "local" / "plans.jsonl").read_text(encoding="utf-8")
    assert local == (tmp_path / "dask" / "plans.jsonl").read_text(encoding="utf-8")
    assert '"text_source": "ocr"' in local


def test_unreachable_scheduler_is_a_clear_error(tmp_path, capsys):
    inp = tmp_path / "in"
    inp.mkdir()
    shutil.copy(SAMPLES / "scans" / "level3" / "004_63baf3d53428361f.pdf", inp / "scan.pdf")
    code = main(["run", str(inp), "-o", str(tmp_path / "o"), "-q", "--executor", "dask",
                 "--scheduler", "tcp://127.0.0.1:9"])
    assert code == ExitCode.missing_dependency
    assert "cannot reach Dask scheduler tcp://127.0.0.1:9" in capsys.readouterr().err
