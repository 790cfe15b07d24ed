"""Finding inputs: output folders are never read back, --exclude matches names and relative paths."""
import shutil

import pandas as pd
import pytest
from conftest import SAMPLES

from pipeline.cli import main
from pipeline.errors import BadArgumentsError, ExitCode
from pipeline.inputs import check_root, discover, excluded


def _tree(root, files):
    for f in files:
        p = root / f
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text("Kế hoạch", encoding="utf-8")


def test_output_folders_are_never_input(tmp_path):
    _tree(tmp_path, ["a.txt", "out/text/a.txt.txt", "old/catalog.sqlite", "old/text/a.txt.txt",
                     "old/deeper/b.txt", "keep/catalog.txt", "keep/c.txt"])
    found, problems = discover(tmp_path, skip=(tmp_path / "out",))
    assert [f.source for f in found] == ["a.txt", "keep/c.txt", "keep/catalog.txt"] and not problems
    # without the skip, 'out' is an ordinary folder until it holds a catalog
    assert "out/text/a.txt.txt" in [f.source for f in discover(tmp_path)[0]]
    (tmp_path / "out" / "catalog.sqlite").write_bytes(b"")
    assert [f.source for f in discover(tmp_path)[0]] == ["a.txt", "keep/c.txt", "keep/catalog.txt"]


def test_input_folder_that_is_an_output_folder_is_refused(tmp_path):
    with pytest.raises(BadArgumentsError, match="output folder is the input folder"):
        check_root(tmp_path, tmp_path / "." / "")
    (tmp_path / "catalog.sqlite").write_bytes(b"")
    with pytest.raises(BadArgumentsError, match=r"holds catalog\.sqlite"):
        check_root(tmp_path, tmp_path / "elsewhere")
    assert main(["run", str(tmp_path), "-o", str(tmp_path / "o"), "-q"]) == ExitCode.bad_args
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize("rel,patterns,want", [
    ("notes.gt.txt", ("*.gt.txt",), True),
    ("sub/notes.gt.txt", ("*.gt.txt",), True),          # a name pattern matches at any depth
    ("out/text/a.txt.txt", ("out/*",), True),           # a relative path
    ("sub/out/a.txt", ("out/*",), False),               # ... from the input folder, not any 'out'
    ("sub/out/a.txt", ("*/out/*",), True),
    ("drafts", ("drafts",), True),                      # a folder by name
    ("a/drafts", ("drafts",), True),
    ("drafts.txt", ("drafts",), False),
    ("out", ("./out/",), True),                         # './' and a trailing '/' are ignored
    ("2024/Kế hoạch.txt", ("2024/Ke*",), False),
    ("2024/Kế hoạch.txt", ("2024/Kế*",), True),
    ("a.txt", (), False),
])
def test_exclude_patterns(rel, patterns, want):
    assert excluded(rel, patterns) is want


def test_excluded_folder_is_not_entered(tmp_path):
    _tree(tmp_path, ["a.txt", "drafts/b.txt", "drafts/deep/c.txt", "x/drafts.txt", "x/y/d.txt"])
    found, _ = discover(tmp_path, ("drafts", "x/y/*"))
    assert [f.source for f in found] == ["a.txt", "x/drafts.txt"]


def test_three_runs_inside_the_input_folder_give_the_same_plans(tmp_path, monkeypatch):
    """`vnplans run . -o out`: the output's own text/ files are not read back as new documents."""
    shutil.copytree(SAMPLES / "text", tmp_path / "archive")
    monkeypatch.chdir(tmp_path / "archive")
    outputs = []
    for _ in range(3):
        assert main(["run", ".", "-o", "out", "-q", "--no-restore"]) == ExitCode.ok
        outputs.append((tmp_path / "archive" / "out" / "plans.csv").read_bytes())
    assert outputs[0] == outputs[1] == outputs[2]
    plans = pd.read_csv(tmp_path / "archive" / "out" / "plans.csv", encoding="utf-8-sig", dtype=str)
    assert sorted(plans["source"]) == sorted(p.name for p in (SAMPLES / "text").iterdir())
    assert not (tmp_path / "archive" / "out" / "text" / "out").exists()
    # another output folder of an earlier run, also inside: skipped by its catalog
    assert main(["run", ".", "-o", "out2", "-q", "--no-restore"]) == ExitCode.ok
    assert (tmp_path / "archive" / "out2" / "plans.csv").read_bytes() == outputs[0]


def test_exclude_relative_path_from_the_command_line(tmp_path):
    inp = tmp_path / "in"
    (inp / "old").mkdir(parents=True)
    shutil.copy(SAMPLES / "text" / "003_8bbb748eb2a26e53.txt", inp / "a.txt")
    shutil.copy(SAMPLES / "text" / "003_8bbb748eb2a26e53.txt", inp / "old" / "a.txt")
    out = tmp_path / "out"
    assert main(["run", str(inp), "-o", str(out), "-q", "--no-restore", "--exclude", "old/*"]) == ExitCode.ok
    plans = pd.read_csv(out / "plans.csv", encoding="utf-8-sig", dtype=str)
    assert list(plans["source"]) == ["a.txt"]
