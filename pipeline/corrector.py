"""The run's corrections: one restorer, built from the dictionaries when the first text needs it,
and the user dictionary's spellings put back after it. Its own module so that a run whose
documents are all finished does not import the field rules."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

from .records import Restored

if TYPE_CHECKING:
    from .lexicon import LazyLexicon
    from .restore import Restorer
    from .userdict import Protector


class Corrector:
    """The run's corrections: one restorer, built from the dictionaries when the first text
    needs it, and the user dictionary's spellings put back after it (issue 12)."""

    def __init__(self, lexicon: LazyLexicon, protect: Protector | None = None):
        self.lexicon = lexicon
        self.protect = protect
        self._restorer: Restorer | None = None

    @property
    def ident(self) -> str:
        """The dictionaries' fingerprint (part of the record settings key)."""
        return self.lexicon.ident

    @property
    def restorer(self) -> Restorer:
        if self._restorer is None:
            from .restore import Restorer
            self._restorer = Restorer.of(self.lexicon.get())
        return self._restorer

    def correct(self, text: str, confidences: Sequence[Sequence[float]] | None = None) -> Restored:
        """The text restored, the user dictionary's spellings kept; `confidences` (per line, per
        word: Tesseract's) make a confident word harder to change."""
        from .restore import restore
        res = restore(text, self.restorer, confidences=confidences)
        return replace(res, text=self.protect.apply(res.text)) if self.protect else res

    def fix(self, text: str, confidences: Sequence[Sequence[float]] | None = None) -> str:
        return self.correct(text, confidences).text

    def coverage(self, text: str) -> float:
        from .restore import coverage
        return coverage(text, self.restorer)

    def known(self, word: str) -> bool:
        return word in self.restorer.lex.syllables

    def given_names(self) -> dict[str, int]:
        return self.restorer.lex.persons.get("given", {})
