"""vnplans: OCR cleanup and structured extraction for Vietnamese administrative documents."""
from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("vnplans")  # one source of truth: pyproject.toml
except PackageNotFoundError:  # running from a checkout that was never installed
    __version__ = "0.0.0+checkout"
