import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"
DATA = Path(__file__).resolve().parent / "data"


@pytest.fixture(scope="session")
def lexicon():
    from pipeline.lexicon import load
    return load()


def have_tesseract() -> bool:
    import subprocess
    if not shutil.which("tesseract"):
        return False
    out = subprocess.run(["tesseract", "--list-langs"], capture_output=True, text=True)
    return "vie" in out.stdout.split()


_skip_without_tesseract = pytest.mark.skipif(not have_tesseract(), reason="tesseract with vie data not installed")


def needs_tesseract(test):
    """A test that runs real Tesseract: marked `ocr` (`pytest -m "not ocr"` leaves them out) and
    skipped where Tesseract with its Vietnamese data is not installed."""
    return pytest.mark.ocr(_skip_without_tesseract(test))
