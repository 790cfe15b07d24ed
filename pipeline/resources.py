"""Where the package's data folders are: inside the installed package (a wheel carries
`dictionaries/` and `models/` as `pipeline/dictionaries`, `pipeline/models`), else the
repository's top-level folders (a checkout, an editable install)."""
from __future__ import annotations

from importlib import resources
from pathlib import Path

__all__ = ["data_dir"]


def data_dir(name: str) -> Path:
    """The folder `name` ('dictionaries', 'models'): the installed copy when there is one,
    else the checkout's top-level folder of that name."""
    installed = resources.files("pipeline").joinpath(name)
    if isinstance(installed, Path) and installed.is_dir():
        return installed
    return Path(__file__).resolve().parent.parent / name
