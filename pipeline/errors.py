"""Exit codes, the exceptions that carry a one-line reason for the user, and the reasons a
page or an input is given up with (written to the catalog, errors.csv and record warnings)."""
from __future__ import annotations

import enum
from dataclasses import dataclass


class ExitCode(enum.IntEnum):
    ok = 0
    some_inputs_failed = 1
    bad_args = 2
    missing_dependency = 3
    output_unwritable = 4
    interrupted = 130  # Ctrl-C (SIGINT): 128 + 2
    terminated = 143   # SIGTERM (kill, timeout, systemd, docker stop): 128 + 15

    @classmethod
    def for_signal(cls, signum: int) -> int:
        """The shell's convention, 128 + the signal number (130 for SIGINT, 143 for SIGTERM)."""
        return 128 + int(signum)


class VnplansError(Exception):
    """Base: the message is one line a user can act on."""
    exit_code = ExitCode.some_inputs_failed


class InputFileError(VnplansError):
    """One input cannot be read; the batch goes on and the file goes to errors.csv."""


class MissingDependencyError(VnplansError):
    exit_code = ExitCode.missing_dependency


class OutputError(VnplansError):
    exit_code = ExitCode.output_unwritable


class BadArgumentsError(VnplansError):
    exit_code = ExitCode.bad_args


@dataclass(frozen=True)
class PageError:
    """Why one page has no text, or a warning about it: written 'page N: reason' in
    `PageResult.error`/`warnings`, so a document's warnings say which page."""
    page: int
    reason: str

    def __str__(self) -> str:
        return f"page {self.page}: {self.reason}"


class DocReason(enum.StrEnum):
    """Why a whole input failed when no exception said it (errors.csv `error`)."""
    NO_PAGES = "no pages"
    NO_TEXT = "no text found on any page"
    PAGE_MISSING = "missing from the catalog"  # a page the catalog should hold but does not (page N: …)
