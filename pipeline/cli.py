"""The `vnplans` command. The only module that prints; it owns the progress bar."""
from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import __version__
from .errors import ExitCode, MissingDependencyError, VnplansError
from .inputs import DEFAULT_EXCLUDES
from .records import EventKind

if TYPE_CHECKING:
    from .batch import Event, Summary


def _err(msg: str) -> None:
    print(f"vnplans: {msg}", file=sys.stderr)


# ---------------------------------------------------------------- doctor

def check_dependencies(load_dictionaries: bool = True) -> list[tuple[str, bool, str]]:
    """(name, ok, detail) for every external piece the pipeline uses. `doctor` loads the
    dictionaries (a damaged file shows); `run` only checks they are there and loads them once,
    when the first page needs correcting."""
    from . import poppler, tesseract
    out: list[tuple[str, bool, str]] = []
    try:
        out.append(("tesseract", True, tesseract.version()))
        if load_dictionaries:  # doctor: say how pages will be read
            out.append(("tesseract library", True, "libtesseract, in the worker processes" if tesseract.in_process()
                        else "the tesseract program, run for each page (VNPLANS_TESSERACT=cli, or no libtesseract)"))
        langs = tesseract.languages()
        out.append(("tesseract language data 'vie'", "vie" in langs,
                    "installed" if "vie" in langs else "missing: apt-get install tesseract-ocr-vie"))
        out.append(("tesseract orientation data 'osd'", "osd" in langs,
                    "installed" if "osd" in langs else "missing (rotated pages will not be fixed)"))
    except MissingDependencyError as e:
        out.append(("tesseract", False, str(e)))
    for prog in ("pdfinfo", "pdftoppm", "pdftotext", "pdfimages"):
        path = shutil.which(prog)
        detail = (poppler.version() if prog == "pdfinfo" else path) if path else "missing: apt-get install poppler-utils"
        out.append((prog, bool(path), detail))
    from .lexicon import default_dir, ident, load
    d = default_dir()
    try:
        if load_dictionaries:
            lex = load(d)  # every file present and readable
            out.append(("dictionaries", True, f"{d} ({len(lex.syllables)} syllables, {len(lex.tri)} trigrams)"))
        else:
            out.append(("dictionaries", True, f"{d} (files present: {ident(d)})"))
    except MissingDependencyError as e:
        out.append(("dictionaries", False, str(e)))
    return out


def cmd_doctor(args: argparse.Namespace) -> int:
    checks = check_dependencies()
    for name, ok, detail in checks:
        print(f"{'ok  ' if ok else 'MISSING'} {name}: {detail}")
    essential = [c for c in checks if "osd" not in c[0]]
    return ExitCode.ok if all(ok for _, ok, _ in essential) else ExitCode.missing_dependency


# ---------------------------------------------------------------- run

def _load_lexicon(args: argparse.Namespace) -> Any:
    from .lexicon import load
    return load(Path(args.dict_dir) if args.dict_dir else None)


class _Bar:
    """tqdm on stderr when it is a terminal; silent otherwise."""

    def __init__(self, enabled: bool):
        self.enabled = enabled
        self.bar: Any = None

    def __call__(self, ev: Event) -> None:
        if ev.kind in (EventKind.FAILED, EventKind.WARNING):  # warning: issue 13 (searchable PDF not written)
            if self.bar:
                self.bar.write(f"vnplans: {ev.source}: {ev.message}", file=sys.stderr)
            else:
                _err(f"{ev.source}: {ev.message}")
        if not self.enabled:
            return
        if ev.kind == EventKind.PLANNED and ev.pages_total:
            from tqdm import tqdm
            self.bar = tqdm(total=ev.pages_total, unit="page", file=sys.stderr, dynamic_ncols=True,
                            desc="OCR", smoothing=0.1)
        elif ev.kind == EventKind.PAGE and self.bar:
            self.bar.update(1)
            self.bar.set_postfix_str(ev.source[-40:], refresh=False)

    def close(self) -> None:
        if self.bar:
            self.bar.close()


def _signal_name(signum: int) -> str:
    import signal
    try:
        return signal.Signals(signum).name
    except ValueError:
        return f"signal {signum}"


@contextlib.contextmanager
def _run_log(verbose: int, log_file: str | None, quiet: bool = False) -> Iterator[None]:
    """The batch's log while the block runs (retries and why, pages given up, worker restarts,
    stops): warnings on stderr (errors only with -q), `-v` info, `-vv` debug; `--log-file`
    appends info and up (debug with -vv). The handlers are removed afterwards."""
    log = logging.getLogger("pipeline")
    saved = log.level, log.propagate
    log.setLevel(logging.DEBUG if verbose >= 2 else logging.INFO)
    log.propagate = False
    err = logging.StreamHandler(sys.stderr)
    err.setLevel(logging.DEBUG if verbose >= 2 else logging.INFO if verbose else
                 logging.ERROR if quiet else logging.WARNING)
    err.setFormatter(logging.Formatter("vnplans: %(message)s"))
    handlers: list[logging.Handler] = [err]
    if log_file:
        f = logging.FileHandler(log_file, encoding="utf-8")
        f.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        handlers.append(f)
    for h in handlers:
        log.addHandler(h)
    try:
        yield
    finally:
        for h in handlers:
            log.removeHandler(h)
            h.close()
        log.setLevel(saved[0])
        log.propagate = saved[1]


def cmd_run(args: argparse.Namespace) -> int:
    from .batch import Runner, RunOptions, stop_on_signals
    from .ocr import OcrSettings
    if args.jobs is not None and args.jobs < 1:
        _err("--jobs must be at least 1")
        return ExitCode.bad_args
    inp = Path(args.input)
    if not inp.is_dir():
        _err(f"input folder not found: {inp}")
        return ExitCode.bad_args
    missing = [c for c in check_dependencies(load_dictionaries=False) if not c[1] and ("osd" not in c[0])
               and (c[0] != "dictionaries" or not args.no_restore)]
    if missing:
        for name, _, detail in missing:
            _err(f"{name}: {detail}")
        _err("run `vnplans doctor` for the full check")
        return ExitCode.missing_dependency
    ocr = OcrSettings(lang=args.lang, dpi=args.dpi, psm=args.psm, timeout=args.page_timeout,
                      retry=not args.no_retry)
    opts = RunOptions(jobs=args.jobs or 0, ocr=ocr, excludes=tuple(args.exclude), restore=not args.no_restore,
                      executor=args.executor, scheduler=args.scheduler or "", reprocess=args.reprocess,
                      file_timeout=args.file_timeout, pdf=args.pdf)
    if args.pdf:  # issue 13: searchable PDFs need pikepdf (optional extra)
        try:
            import pikepdf  # noqa: F401
        except ImportError:
            _err("--pdf needs pikepdf: pip install 'vnplans[pdf]'")
            return ExitCode.missing_dependency
    if opts.executor == "dask" and not opts.scheduler:
        _err("--executor dask needs --scheduler tcp://HOST:PORT")
        return ExitCode.bad_args
    if args.log_file:
        try:
            Path(args.log_file).open("a", encoding="utf-8").close()
        except OSError as e:
            _err(f"cannot write the log file {args.log_file}: {e.strerror or e}")
            return ExitCode.bad_args
    from .lexicon import LazyLexicon
    lexicon = None if args.no_restore else LazyLexicon(Path(args.dict_dir) if args.dict_dir else None)
    bar = _Bar(enabled=not args.quiet and sys.stderr.isatty())
    user_dict = Path(args.user_dict) if args.user_dict else None  # issue 12: default OUT/user_dict.tsv if present
    if user_dict is None and (Path(args.output) / "user_dict.tsv").is_file():
        user_dict = Path(args.output) / "user_dict.tsv"
    elif user_dict is not None and not user_dict.is_file():
        _err(f"user dictionary not found: {user_dict}")
        return ExitCode.bad_args
    runner = Runner(inp, Path(args.output), opts, lexicon, bar, user_dict=user_dict, report=not args.no_report)
    try:
        with _run_log(args.verbose, args.log_file, args.quiet), stop_on_signals(runner):
            s = runner.run()
    except KeyboardInterrupt:  # a second signal: stopped at once, exports not rewritten
        bar.close()
        _err("interrupted; finished pages are kept in the catalog, run again to resume")
        return ExitCode.for_signal(runner.stop_signal) if runner.stop_signal else ExitCode.interrupted
    finally:
        bar.close()
    if not args.quiet:
        print(summary_table(s, args.output), file=sys.stderr)
    if s.stopped_by:
        _err(f"stopped by {_signal_name(s.stopped_by)}: the exports hold the documents finished so far; "
             "run the same command again to resume")
        return ExitCode.for_signal(s.stopped_by)
    return ExitCode.some_inputs_failed if s.failed else ExitCode.ok


def summary_table(s: Summary, output: str) -> str:
    """The end-of-run summary: documents, pages, time, confidence, corrections."""
    rate = f" ({s.ocr_pages / s.seconds:.2f} OCR pages/s)" if s.ocr_pages and s.seconds else ""
    rows = [("documents", f"{s.files}: {s.ok} done, {s.skipped} already done, {s.failed} failed"),
            ("pages", f"{s.pages} ({s.ocr_pages} OCR'd this run)"),
            ("time", f"{s.seconds:.1f} s{rate}"),
            ("confidence", f"{s.mean_confidence:.1f} mean OCR word confidence" if s.mean_confidence is not None else "-"),
            ("corrections", str(s.corrections)),
            ("output", f"{output} ({s.records_written} records)")]
    return "\n".join(f"{k:12s} {v}" for k, v in rows)


def cmd_export(args: argparse.Namespace) -> int:
    from .batch import export
    n = export(Path(args.output))
    print(f"{n} records exported to {args.output}", file=sys.stderr)
    return ExitCode.ok


# ---------------------------------------------------------------- report and review (issue 12)

def _catalog(out: Path) -> Path | None:
    """OUT's catalog of an earlier run; None, said in one line, when there is none."""
    from .store import existing_catalog
    try:
        return existing_catalog(out)
    except VnplansError as e:
        _err(str(e))
        return None


def cmd_report(args: argparse.Namespace) -> int:
    from .report import write_report
    out = Path(args.output)
    if _catalog(out) is None:
        return ExitCode.bad_args
    s = write_report(out, input_dir=args.input, images=not args.no_images)
    print(f"report: {out / 'report' / 'index.html'} ({s.documents} documents, {s.failed} failed; "
          f"{s.pages_written} pages and {s.images_written} images written in {s.seconds:.1f} s)", file=sys.stderr)
    for p in s.problems:
        _err(f"report: no page for {p}")
    return ExitCode.ok


def cmd_review(args: argparse.Namespace) -> int:
    from .review import serve
    out = Path(args.output)
    if _catalog(out) is None:
        return ExitCode.bad_args
    if not 0 <= args.port < 65536:
        _err("--port must be 0-65535")
        return ExitCode.bad_args

    def ready(url: str) -> None:
        print(f"review: {url}  (Ctrl-C to stop)", file=sys.stderr, flush=True)
        if "token=" in url:
            print("access token required on every request: share this address only with reviewers",
                  file=sys.stderr, flush=True)
    try:
        serve(out, args.host, args.port, args.allow_remote, args.user, ready)
    except PermissionError as e:
        _err(str(e))
        return ExitCode.bad_args
    except OSError as e:
        _err(f"cannot serve on {args.host}:{args.port}: {e.strerror or e}")
        return ExitCode.bad_args
    except KeyboardInterrupt:
        pass
    return ExitCode.ok


# ---------------------------------------------------------------- restore

def cmd_restore(args: argparse.Namespace) -> int:
    from .restore import restore
    if args.file == "-":
        text = sys.stdin.read()
    else:
        p = Path(args.file)
        if not p.is_file():
            _err(f"file not found: {p}")
            return ExitCode.bad_args
        from .inputs import read_text
        text = read_text(p)
    confs = None
    if args.file.lower().endswith(".tsv"):  # Tesseract's TSV: read as a run reads OCR, with word confidences
        from .normalize import ocr_tsv
        text, confs = ocr_tsv(text)
    lex = _load_lexicon(args)
    res = restore(text, lex, tone_style=args.tone_style, confidences=confs)
    sys.stdout.write(res.text)
    if args.explain:
        for c in res.corrections:
            extra = (f"\tmargin {c.margin:.2f}" if c.margin is not None else "") + (
                f"\tconf {c.confidence:.0f}" if c.confidence is not None else "")
            print(f"{c.line}:{c.col}\t{c.before} -> {c.after}\t{c.why}\t{c.score:.2f}{extra}", file=sys.stderr)
        print(f"{len(res.corrections)} corrections; dictionary coverage {res.coverage:.1%}", file=sys.stderr)
    return ExitCode.ok


# ---------------------------------------------------------------- eval

def cmd_eval(args: argparse.Namespace) -> int:
    from . import evaluate
    if args.text:
        gold, hyp = args.text
        r = evaluate.text_scores(Path(gold).read_text(encoding="utf-8"), Path(hyp).read_text(encoding="utf-8"))
        if args.json:
            print(json.dumps(r))
        else:
            print(f"WER {r['wer']:.2%}  CER {r['cer']:.2%}  diacritics {r['diacritic_acc']:.2%}  ({r['gold_tokens']} tokens)")
        return ExitCode.ok
    if not args.gold or not args.output:
        _err("eval needs --gold GOLD_DIR OUT_DIR, or --text GOLD.txt HYP.txt")
        return ExitCode.bad_args
    out = Path(args.output)
    pred = out / "plans.jsonl" if out.is_dir() else out
    res = evaluate.field_scores(Path(args.gold), pred)
    if args.json:
        print(json.dumps(res, ensure_ascii=False))
        return ExitCode.ok
    for miss in res["misses"] if args.verbose else []:
        print(miss)
    for f, v in res["fields"].items():
        print(f"{f:20s} {v:.3f}")
    print(f"macro field accuracy {res['macro']:.3f} over {res['documents']} documents")
    return ExitCode.ok


# ---------------------------------------------------------------- main

# ---------------------------------------------------------------- search (issue 13)

def cmd_search(args: argparse.Namespace) -> int:
    from .store import Catalog
    path = _catalog(Path(args.output))
    if path is None:
        return ExitCode.bad_args
    if not (args.query.strip() or args.type or args.year or args.issuer or args.signer):
        _err("give words to find or a filter (--type, --year, --issuer, --signer)")
        return ExitCode.bad_args
    cat = Catalog(path)
    try:
        hits = cat.search(args.query, doc_type=args.type, year=args.year, issuer=args.issuer,
                          signer=args.signer, limit=max(1, args.limit))
    finally:
        cat.close()
    if args.json:
        print(json.dumps([h.to_dict() for h in hits], ensure_ascii=False, indent=1))
        return ExitCode.ok
    for h in hits:
        where = "fields" if h.page == 0 else f"page {h.page}"
        head = " · ".join(x for x in (h.fields.get("doc_type"), h.fields.get("number"), h.fields.get("date")) if x)
        print(f"{h.source}  [{where}]{'  ' + head if head else ''}")
        print(f"    {h.snippet}")
    if not hits:
        _err("no match")
    return ExitCode.ok


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="vnplans", description="OCR cleanup and structured extraction "
                                 "for Vietnamese administrative plans.")
    ap.add_argument("--version", action="version", version=f"vnplans {__version__}")
    sub = ap.add_subparsers(dest="command", required=True)

    r = sub.add_parser("run", help="process a folder of scans/texts into OUT_DIR")
    r.add_argument("input", metavar="INPUT_DIR")
    r.add_argument("-o", "--output", metavar="OUT_DIR", default="out")
    r.add_argument("-j", "--jobs", type=int, default=None, help="worker processes (default: one per core)")
    r.add_argument("--lang", default="vie", help="Tesseract language(s), default vie")
    r.add_argument("--dpi", type=int, default=300, help="PDF rendering resolution (default 300)")
    r.add_argument("--psm", type=int, default=3, help="Tesseract page segmentation mode (default 3)")
    r.add_argument("--page-timeout", type=float, default=180.0, help="seconds per Tesseract call (default 180)")
    r.add_argument("--file-timeout", type=float, default=3600.0,
                   help="seconds of OCR per file; pages not started by then are given up (default 3600)")
    r.add_argument("--no-retry", action="store_true", help="no second OCR try on poor pages")
    r.add_argument("--no-restore", action="store_true", help="skip diacritic restoration / OCR correction")
    r.add_argument("--reprocess", action="store_true",
                   help="re-derive records of finished files (cached OCR pages are reused, not redone)")
    r.add_argument("--exclude", action="append", default=list(DEFAULT_EXCLUDES), metavar="GLOB",
                   help="skip files and folders whose name or path relative to INPUT_DIR matches "
                        "(e.g. 'drafts', 'old/*'; default: *.gt.txt ground-truth files and README* notes). "
                        "The output folder and any folder holding a vnplans catalog are always skipped")
    r.add_argument("--executor", choices=["local", "dask"], default="local")
    r.add_argument("--scheduler", metavar="tcp://HOST:PORT", help="Dask scheduler for --executor dask")
    r.add_argument("--dict-dir", help="dictionaries folder (default: the project's dictionaries/)")
    r.add_argument("-q", "--quiet", action="store_true", help="no progress bar or summary")
    r.add_argument("-v", "--verbose", action="count", default=0,
                   help="log the run on stderr: what was retried and why, pages given up, worker restarts, "
                        "stops (-vv: debug)")
    r.add_argument("--log-file", metavar="PATH", help="append the run's log to PATH (info and up; debug with -vv)")
    r.add_argument("--user-dict", metavar="PATH", help="names/places/offices kept in their spelling after "
                   "correction (default: OUT_DIR/user_dict.tsv when present, written by `vnplans review`)")
    r.add_argument("--no-report", action="store_true", help="do not write OUT_DIR/report/")
    r.add_argument("--pdf", action="store_true", help="also write OUT_DIR/pdf/NAME.pdf: each scan with an "
                   "invisible layer of the corrected text (needs vnplans[pdf])")
    r.set_defaults(func=cmd_run)

    rp = sub.add_parser("report", help="write OUT_DIR/report/ (static HTML review report) from the catalog")
    rp.add_argument("output", metavar="OUT_DIR")
    rp.add_argument("--input", metavar="INPUT_DIR", help="where the inputs are now (default: the last run's folder)")
    rp.add_argument("--no-images", action="store_true", help="no page thumbnails or field crops")
    rp.set_defaults(func=cmd_report)

    rv = sub.add_parser("review", help="serve the report with editable fields on 127.0.0.1")
    rv.add_argument("output", metavar="OUT_DIR")
    rv.add_argument("--port", type=int, default=8765, help="port (default 8765; 0: any free port)")
    rv.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    rv.add_argument("--allow-remote", action="store_true",
                    help="allow a --host other than this machine; a random access token is then printed and "
                         "required on every request")
    rv.add_argument("--user", help="reviewer name stored with each saved version (default: the login name)")
    rv.set_defaults(func=cmd_review)

    e = sub.add_parser("export", help="rewrite OUT_DIR's CSV/JSONL files from its catalog")
    e.add_argument("output", metavar="OUT_DIR")
    e.set_defaults(func=cmd_export)

    s = sub.add_parser("restore", help="restore diacritics and fix OCR errors in a text file")
    s.add_argument("file", metavar="FILE", help="text file, Tesseract TSV (NAME.tsv: its word confidences used), "
                                                "or - for stdin")
    s.add_argument("--explain", action="store_true", help="list every change on stderr")
    s.add_argument("--tone-style", choices=["keep", "old", "new"], default="keep",
                   help="tone mark placement: keep as written (default), old 'hoà', new 'hòa'")
    s.add_argument("--dict-dir", help="dictionaries folder")
    s.set_defaults(func=cmd_restore)

    v = sub.add_parser("eval", help="score output against hand-checked gold records or texts")
    v.add_argument("output", nargs="?", metavar="OUT_DIR")
    v.add_argument("--gold", metavar="GOLD_DIR", help="folder of NAME.json gold records")
    v.add_argument("--text", nargs=2, metavar=("GOLD.txt", "HYP.txt"), help="score a text: WER, CER, diacritics")
    v.add_argument("--json", action="store_true")
    v.add_argument("--verbose", action="store_true", help="list every field that differs")
    v.set_defaults(func=cmd_eval)

    d = sub.add_parser("doctor", help="check Tesseract, its Vietnamese data, poppler, dictionaries")
    d.set_defaults(func=cmd_doctor)

    f = sub.add_parser("search", help="find documents and pages by their corrected text and fields "
                       "(marks optional: 'hoi nghi' finds 'Hội nghị')")  # issue 13
    f.add_argument("output", metavar="OUT_DIR")
    f.add_argument("query", nargs="?", default="", help="words to find (all of them); empty: filters only")
    f.add_argument("--type", default="", help="document kind contains this (e.g. 'ke hoach')")
    f.add_argument("--year", default="", help="year of the document's date")
    f.add_argument("--issuer", default="", help="issuer contains this")
    f.add_argument("--signer", default="", help="signer (authority, position, name) contains this")
    f.add_argument("-n", "--limit", type=int, default=20, help="hits to show (default 20)")
    f.add_argument("--json", action="store_true", help="hits as a JSON list")
    f.set_defaults(func=cmd_search)
    return ap


def main(argv: list[str] | None = None) -> int:
    ap = build_parser()
    try:
        args = ap.parse_args(argv)
    except SystemExit as e:
        return ExitCode.bad_args if e.code else ExitCode.ok
    try:
        return int(args.func(args))
    except VnplansError as e:
        _err(str(e))
        return int(e.exit_code)
    except KeyboardInterrupt:
        _err("interrupted")
        return ExitCode.interrupted
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return ExitCode.ok
