"""End-to-end runs of the CLI on real inputs (real Tesseract and poppler where marked)."""
import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
import regex
from conftest import SAMPLES, needs_tesseract

from pipeline.cli import main
from pipeline.errors import ExitCode


def _records(out: Path) -> dict:
    return {json.loads(ln)["source"]: json.loads(ln) for ln in (out / "plans.jsonl").read_text(encoding="utf-8").splitlines()}


@pytest.fixture
def text_batch(tmp_path):
    inp = tmp_path / "in"
    shutil.copytree(SAMPLES / "text", inp)
    (inp / "broken.pdf").write_bytes(b"%PDF-1.4\n1 0 obj <<>> endobj\n")  # no xref, no trailer
    (inp / "empty.txt").write_bytes(b"")
    (inp / "notes.gt.txt").write_text("ground truth, excluded", encoding="utf-8")
    (inp / "README.md").write_text("# Scans of 2025, box 3\nnotes about the folder, excluded", encoding="utf-8")
    return inp


def test_text_batch_with_bad_files(text_batch, tmp_path):
    out = tmp_path / "out"
    code = main(["run", str(text_batch), "-o", str(out), "-q"])
    assert code == ExitCode.some_inputs_failed
    plans = pd.read_csv(out / "plans.csv", encoding="utf-8-sig", dtype=str, keep_default_na=False)
    errors = pd.read_csv(out / "errors.csv", encoding="utf-8-sig", dtype=str, keep_default_na=False)
    assert sorted(errors["source"]) == ["broken.pdf", "empty.txt"]
    assert all(errors["reason"].str.len() > 0) and not any("Traceback" in r for r in errors["reason"])
    assert len(plans) == 5 and "notes.gt.txt" not in set(plans["source"])
    assert (out / "plans.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    rec = _records(out)["002_e777a33ef4b3c884.txt"]
    assert rec["issuer"] == "Ủy ban nhân dân xã Đại Sơn" and rec["number"] == "129" and rec["date"] == "2025-11-28"
    assert rec["quality"]["corrections"] > 100  # OCR without Vietnamese data, restored
    # typed text untouched but for the plan's own typo (tests/data/restore/gold_typos.tsv)
    assert _records(out)["001_404d41a3b845fa82.md"]["quality"]["corrections"] <= 1  # typed text: its own typo kept
    assert regex.search(r"C[ổô]ng thông tin điện tử", (out / "text" / "001_404d41a3b845fa82.md.txt").read_text(encoding="utf-8"))
    assert _records(out)["003_8bbb748eb2a26e53.txt"]["quality"]["corrections"] <= 1  # its 'khen thường' typo
    for name in ("assignments.csv", "participants.csv", "legal_basis.csv", "sections.csv"):
        assert (out / name).exists()
    assert (out / "text" / "000_e6dfd4b9c1bcb2e4.txt.txt").read_text(encoding="utf-8").startswith("Dương Kinh")


def test_rerun_skips_finished_and_export_regenerates(text_batch, tmp_path, capsys):
    out = tmp_path / "out"
    main(["run", str(text_batch), "-o", str(out), "-q"])
    first = (out / "plans.csv").read_bytes()
    capsys.readouterr()
    main(["run", str(text_batch), "-o", str(out)])
    assert "0 done, 5 already done, 2 failed" in capsys.readouterr().err  # the failed two are tried again
    assert (out / "plans.csv").read_bytes() == first
    (out / "plans.csv").unlink()
    assert main(["export", str(out)]) == ExitCode.ok
    assert (out / "plans.csv").read_bytes() == first


def test_changed_rules_derive_the_records_again(text_batch, tmp_path, capsys, monkeypatch):
    """Records made by other field rules are derived again on the next run (no release needed)."""
    from pipeline import batch
    out = tmp_path / "out"
    main(["run", str(text_batch), "-o", str(out), "-q"])
    capsys.readouterr()
    monkeypatch.setattr(batch, "rules_digest", lambda: "other-rules")
    main(["run", str(text_batch), "-o", str(out)])
    assert "5 done, 0 already done" in capsys.readouterr().err


def test_bad_arguments(tmp_path):
    assert main(["run", str(tmp_path / "nope"), "-o", str(tmp_path / "o")]) == ExitCode.bad_args
    assert main(["run", str(tmp_path), "--jobs", "0"]) == ExitCode.bad_args
    assert main(["frobnicate"]) == ExitCode.bad_args


def test_empty_input_folder(tmp_path):
    (tmp_path / "in").mkdir()
    assert main(["run", str(tmp_path / "in"), "-o", str(tmp_path / "out"), "-q"]) == ExitCode.ok
    assert pd.read_csv(tmp_path / "out" / "plans.csv").empty


@needs_tesseract
def test_scanned_pdf_end_to_end(tmp_path):
    """Real poppler + Tesseract vie on a degraded two-page scan, then correction and parsing."""
    inp = tmp_path / "in"
    inp.mkdir()
    shutil.copy(SAMPLES / "scans" / "level2" / "003_8bbb748eb2a26e53.pdf", inp / "scan.pdf")
    out = tmp_path / "out"
    assert main(["run", str(inp), "-o", str(out), "-q", "--jobs", "2"]) == ExitCode.ok
    rec = _records(out)["scan.pdf"]
    assert rec["text_source"] == "ocr" and rec["pages"] == 2
    assert rec["issuer"] == "Ủy ban nhân dân phường Phù Liễn"
    assert rec["legal_basis"][0]["number"] == "116/QĐ-UBND" and rec["legal_basis"][0]["date"] == "2025-07-11"
    assert rec["signer_authority"] == "TM." and rec["signer_name"] == "Phạm Văn Diện"
    assert len(rec["recipients"]) == 4 and rec["quality"]["ocr_confidence"] > 70


@needs_tesseract
def test_text_layer_pdf_skips_ocr(tmp_path, capsys):
    inp = tmp_path / "in"
    inp.mkdir()
    shutil.copy(SAMPLES / "textlayer" / "004_63baf3d53428361f.pdf", inp / "searchable.pdf")
    out = tmp_path / "out"
    # no report: its page views of a text-layer PDF are rendered (8 s here); tests/test_report.py covers it
    assert main(["run", str(inp), "-o", str(out), "-q", "--no-report", "-v"]) == ExitCode.ok
    assert "run finished: 1 done, 0 already done, 0 failed; 0 pages OCR'd" in capsys.readouterr().err
    rec = _records(out)["searchable.pdf"]
    assert rec["text_source"] == "text-layer" and rec["signer_name"] == "Nguyễn Hữu Phúc"


@needs_tesseract
def test_doctor_passes():
    assert main(["doctor"]) == ExitCode.ok


def test_plans_csv_round_trips_through_pandas(text_batch, tmp_path):
    from pipeline.export import plans_row
    from pipeline.records import PlanRecord
    out = tmp_path / "out"
    main(["run", str(text_batch), "-o", str(out), "-q"])
    csv = pd.read_csv(out / "plans.csv", encoding="utf-8-sig", dtype=str, keep_default_na=False)
    for line in (out / "plans.jsonl").read_text(encoding="utf-8").splitlines():
        want = plans_row(PlanRecord.from_dict(json.loads(line)))
        got = csv[csv["source"] == want["source"]].iloc[0].to_dict()
        assert got == {k: "" if v is None else str(v) for k, v in want.items()}


def test_pages_of_several_documents_interleave():
    from pipeline.batch import Runner, RunOptions, _Doc
    from pipeline.inputs import InputFile
    from pipeline.store import file_row
    docs = [_Doc(InputFile(Path(f"{n}.pdf"), f"{n}.pdf", "pdf"), file_row(source=f"{n}.pdf", kind="pdf"), set(range(1, k + 1)))
            for n, k in (("huge", 6), ("a", 2), ("b", 1))]
    r = Runner(Path("."), Path("."), RunOptions())
    order = [(d.row.source, t.page) for d, t in r._tasks(docs, lanes=2)]
    assert order[:4] == [("huge.pdf", 1), ("a.pdf", 1), ("huge.pdf", 2), ("a.pdf", 2)]
    assert ("b.pdf", 1) in order[:6] and len(order) == 9


def test_damaged_dictionaries_stop_the_run_with_one_line(tmp_path, capsys):
    from pipeline.lexicon import default_dir
    d = tmp_path / "dict"
    shutil.copytree(default_dir(), d)
    with open(d / "trigrams.tsv", "a", encoding="utf-8") as f:
        f.write("only\ttwo\n")
    code = main(["run", str(SAMPLES / "text"), "-o", str(tmp_path / "out"), "-q", "--dict-dir", str(d)])
    err = capsys.readouterr().err
    assert code == ExitCode.missing_dependency
    assert "damaged" in err and "Traceback" not in err and err.count("\n") <= 1


def test_verbose_and_log_file_say_what_the_run_did(text_batch, tmp_path, capsys):
    """-v logs the run on stderr, --log-file appends it to a file; without them stderr stays as it was."""
    out, log = tmp_path / "out", tmp_path / "logs" / "run.log"
    log.parent.mkdir()
    assert main(["run", str(text_batch), "-o", str(out), "-q"]) == ExitCode.some_inputs_failed
    assert "inputs in" not in capsys.readouterr().err
    (out / "catalog.sqlite").unlink()
    assert main(["run", str(text_batch), "-o", str(out), "-q", "-v", "--log-file", str(log)]) == \
        ExitCode.some_inputs_failed
    err = capsys.readouterr().err
    logged = log.read_text(encoding="utf-8")
    for text in ("7 inputs in", "empty.txt failed: empty file", "run finished: 5 done, 0 already done, 2 failed"):
        assert text in err and text in logged
    assert " INFO pipeline.batch: " in logged
    assert main(["run", str(text_batch), "-o", str(out), "-q", "--log-file", str(tmp_path / "no" / "x.log")]) == \
        ExitCode.bad_args
    assert "cannot write the log file" in capsys.readouterr().err


def test_rerun_with_nothing_changed_keeps_the_exports(tmp_path):
    """A re-run that changes nothing does not rewrite the exports or the report; a human
    correction or a new input does."""
    inp = tmp_path / "in"
    inp.mkdir()
    shutil.copy(SAMPLES / "text" / "000_e6dfd4b9c1bcb2e4.txt", inp)
    out = tmp_path / "out"
    assert main(["run", str(inp), "-o", str(out), "-q"]) == 0
    first = (out / "plans.csv").stat().st_mtime_ns
    assert main(["run", str(inp), "-o", str(out), "-q"]) == 0
    assert (out / "plans.csv").stat().st_mtime_ns == first
    shutil.copy(SAMPLES / "text" / "001_404d41a3b845fa82.md", inp)
    assert main(["run", str(inp), "-o", str(out), "-q"]) == 0
    assert (out / "plans.csv").stat().st_mtime_ns != first
    assert len(pd.read_csv(out / "plans.csv")) == 2
