"""Diacritic restoration and OCR correction.

For each word: candidates from the lexicon with the same letters (any marks), from the OCR
confusion channel and from a rapidfuzz search of nearby syllables; each with a channel cost.
A trigram beam search over each punctuation-free run picks the sequence the language model
and the channel agree on; a second pass mixes the document's own word frequencies into the
model where they disagree with the first (a cache model). Numbers, dates, document symbols,
acronyms, e-mails and URLs are never touched; case and punctuation are kept. Every change
is reported.
"""
from __future__ import annotations

import enum
import functools
import gc
import math
import operator
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar, TypeAlias

import regex
from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

from .lexicon import RUN_BREAK, SHIFT, Lexicon, edit_runs, fold, shape, tone_name, tone_new, tone_old
from .lexicon import tone_style as tone_style_of
from .records import Correction, Restored, Why

# a chunk is a whitespace-free run; words inside it are letter/digit runs
_CHUNK = regex.compile(r"\S+")
_WORD = regex.compile(r"[\p{L}\p{M}\p{N}€¢©]+")
# OCR without Vietnamese data writes a horn as an apostrophe and ơ, ờ as '@' ("thu'c", "ngu@i"):
# one word, its apostrophes dropped as the confusion learner drops them
_WORD_NOISY = regex.compile(r"[\p{L}\p{M}\p{N}€¢©@]+(?:['’][\p{L}\p{M}@]+)*")
_APOSTROPHE = regex.compile(r"['’]")
_PROTECT_CHUNK = regex.compile(
    r"""^[("\[]*(?:
        \S+@\S+\.\S+                                   # e-mail
      | (?:https?://|www\.)\S+                         # URL
      | \S*\p{N}\S*/\S*                                # 129/KH-UBND, 30/2020/NĐ-CP, 28/11/2025
      | \S*/\S*\p{N}\S*
      | [\p{Lu}Đ\d]+(?:[-–&][\p{Lu}Đ\d]+)+              # KH-UBND, HĐND&UBND
    )[)"\].,;:]*$""", regex.X)
_NUMBER = regex.compile(r"^\p{N}+(?:[.,]\p{N}+)*$")
_VIET_MARKED = regex.compile(r"[ăâđêôơưàáảãạằắẳẵặầấẩẫậèéẻẽẹềếểễệìíỉĩịòóỏõọồốổỗộờớởỡợùúủũụừứửữựỳýỷỹỵ]", regex.I)
_ROMAN = regex.compile(r"^[IVXL]+$")
_CAPS_RUN = regex.compile(r"(?<![\p{L}\p{N}])[\p{Lu}]{2,8}(?![\p{L}\p{N}])")
_ENDS_IN_PUNCT = regex.compile(r"[^\p{L}\p{M}\p{N}€¢©]$")
_VOWEL = regex.compile(r"[AEIOUYĂÂÊÔƠƯ]")
_RUN_BREAK = regex.compile("[" + regex.escape(RUN_BREAK) + "]")  # where the language model's runs end
_DIGIT = regex.compile(r"\p{N}")
_PLAIN = regex.compile(r"[\p{L}\p{M}]+")
_OCR_DIGIT_WORD = regex.compile(r"^(?:\p{L}{1,3}[0-9]\p{L}{0,3}|[0-9]\p{L}{1,3})$")  # one digit among letters: 'T6', '1a'

# a run of 2-4 capitalised words, not inside a longer one: perhaps a person's name
_NAME_SPAN = regex.compile(r"(?<![\p{L}\p{M}\p{N}]|\p{Lu}[\p{Ll}\p{M}]*[ ]+)\p{Lu}[\p{Ll}\p{M}]*(?:[ ]+\p{Lu}[\p{Ll}\p{M}]*){1,3}"
                           r"(?![\p{L}\p{M}\p{N}]|[ ]+\p{Lu})")
_PERSON_TITLE = regex.compile(r"(?:\b(?:[Ôô]ng|[Bb]à|[Đđ]ồng chí|[Aa]nh|[Cc]hị)\s+|^\s*(?:[-–+•]\s*)?)$")
_TITLE_WORDS = ("ông", "bà", "anh", "chị")
_NAME_END = regex.compile(r"^\s*(?:$|[,;:.()\-–])")
_LIST_MARKER = regex.compile(r"^\(?\p{Ll}[).]$")  # 'a)', 'b.'
# a point's marker OCR read as a sign or a letter Vietnamese lists skip ('©)', 'ø)', 'j)' for 'g)')
_ODD_MARKER = regex.compile(r"^\(?([^\s\p{N}\p{Lu}()])\)$")
LIST_LETTERS = "abcdđeghiklmnopqrstuvxy"  # the points of a Decree 30/2020 list: a) b) ... đ) e) g)
MARKER_WINDOW = 12  # lines within which the next point of a list follows the last one
_MIXED_CASE = regex.compile(r"^\p{Lu}{2,}\p{Ll}+$")  # 'TTg'
_CASE_SLIP = regex.compile(r"^\p{L}\p{Ll}+\p{Lu}")  # a capital after small letters: 'giỜ', 'ViỆt' (OCR)
_CODE = regex.compile(r"^\p{N}{2,}\p{L}{1,2}$")  # '42a', '15bis' would need 3 letters
# a number OCR glued to the next or previous word ('26tháng', 'năm2025'): split, never deleted
_GLUED_NUM_FIRST = regex.compile(r"^([0-9]{1,4})(\p{L}{2,})$")
_GLUED_NUM_LAST = regex.compile(r"^(\p{Ll}?\p{L}\p{Ll}+)([0-9]{1,4})$")
_L_FOR_ONE = regex.compile(r"^(?:l[0-9]{1,3}|[0-9]{1,3}l[0-9]{0,3})$")  # 'l3', '2l': a one read as 'l'

BEAM = 10  # beam width and candidates per word: tuned on training text (bench: restore_bench.py)
MAX_CANDIDATES = 12
CAND_GAP = 3.0    # nats of 0.3 x log prior (i.e. 10 nats of prior) behind the likeliest reading
PRUNE = 9.0       # nats behind the best state at which a beam state is dropped
NAME_BONUS = 3.0  # nats for a capitalised pair found in place or person names
FIXED = "\x00"   # prefix of a context-only token in a run
# Real scans' headers in capitals lose their marks far more often than clean renders show
# ('TINH QUANG NGAI' in all nine real scans): a lost mark on a capital costs at most this
UPPER_MARK_LOST = 7.0
MARK_UNSEEN = 11.0    # a mark confusion never seen in the training renders
MARK_WEIGHT = 1.0     # weight of the learned mark channel against the language model
NAME_MAX_COST = 14.0  # a name syllable further than this from what OCR wrote is not its reading


class Mode(enum.StrEnum):
    """How the text was written, which sets the channel costs (`mode_costs`)."""
    MARKED = "marked"              # Tesseract vie or typed Vietnamese: marks mostly right
    MARKED_UPPER = "marked_upper"  # a run of capitals in marked text: marks lost more often
    BARE = "bare"                  # typed without diacritics: every mark must be restored
    NOISY = "noisy"                # OCR without Vietnamese data: marks and letters unreliable


class ToneStyle(enum.StrEnum):
    """Where the tone mark goes in 'oa', 'oe', 'uy': as the text does, 'hoà', or 'hòa'."""
    KEEP = "keep"
    OLD = "old"
    NEW = "new"


class Tag(enum.StrEnum):
    """Where a candidate reading of a word came from."""
    AS_WRITTEN = ""    # the word itself, a known syllable (its tone placement may still change)
    KEEP = "keep"      # the word itself, no known syllable: left as it is
    DIACRITICS = "diacritics"
    OCR_CONFUSION = "ocr-confusion"


class Kind(enum.StrEnum):
    """What a letter/digit run is to the restorer (`Restorer.kind`)."""
    NUMBER = "number"
    PROTECT = "protect"      # acronyms, roman numerals, codes, foreign words: context only
    WORD = "word"
    CAPS_NEAR = "caps_near"  # capitals one OCR slip from a syllable: a word only in noisy text


_MARKED = (Mode.MARKED, Mode.MARKED_UPPER)


@dataclass(frozen=True)
class Costs:
    """Channel costs (nats) of one reading of the text; see `mode_costs`."""
    mark_change: float   # the word carries marks and the candidate has others
    mark_add: float      # the word has no marks; the candidate has some
    keep_unknown: float  # leave a word that is no known syllable as it is
    edit_scale: float    # multiplies learned letter-confusion costs
    default_edit: float  # cost of a letter edit never seen in training


def mode_costs(mode: Mode) -> Costs:
    if mode in _MARKED:  # Tesseract vie or typed Vietnamese: marks are mostly right
        return Costs(5.0, 3.0, 7.0, 1.0, 6.0)
    if mode == Mode.BARE:    # typed without diacritics: every mark must be restored
        return Costs(1.0, 0.0, 9.0, 1.0, 6.0)
    return Costs(0.8, 0.0, 8.0, 0.6, 10.0)  # OCR without Vietnamese data: marks unreliable;
    # an edit never seen in training costs about what the rarest seen one does (10.9 nats)


def detect_mode(text: str) -> Mode:
    """The share of words with Vietnamese marks tells typed, bare and OCR-without-vie text apart."""
    words = [w for w in _WORD.findall(text) if w.isalpha()]
    if not words:
        return Mode.MARKED
    marked = sum(1 for w in words if _VIET_MARKED.search(w))
    if len(words) < 12 and marked:  # a line or a field: too short to tell OCR without Vietnamese data
        return Mode.MARKED
    share = marked / len(words)
    if share >= 0.45:
        return Mode.MARKED
    return Mode.BARE if share < 0.04 else Mode.NOISY


def case_like(model: str, word: str) -> str:
    """Give `word` the case pattern of `model` (UPPER, Title or lower)."""
    if model.islower():
        return word
    letters = [c for c in model if c.isalpha()]
    if len(letters) > 1 and all(c.isupper() for c in letters):
        return word.upper()
    if model[:1].isupper() or (model[:1].isdigit() and len(letters) and letters[0].isupper()):
        return word[:1].upper() + word[1:]
    return word


class Restorer:
    """A lexicon plus the caches of candidates, word kinds and trigram scores; build once,
    use for many texts."""

    _BY_LEXICON: ClassVar[dict[str, Restorer]] = {}  # lexicon ident -> its restorer (`of`)

    @classmethod
    def of(cls, lex: Lexicon) -> Restorer:
        """The restorer of a lexicon, built on first use (for callers that pass a Lexicon)."""
        r = cls._BY_LEXICON.get(lex.ident)
        if r is None:
            if len(cls._BY_LEXICON) >= 4:
                cls._BY_LEXICON.clear()
            r = cls._BY_LEXICON[lex.ident] = cls(lex)
        return r

    def __init__(self, lex: Lexicon):
        self.lex = lex
        self.fold_keys = list(lex.by_fold)
        self.sub = lex.confusions  # (observed, true base letters) -> cost
        self.syl_logp = {s: math.log((lex.count(s) + 1) / lex.total) for s in lex.syllables}
        self.memo: dict[int, float] = {}
        # acronyms written with Đ whose plain-D form is not in use: restored in text typed without marks
        plain = {a for a in lex.acronyms if "Đ" not in a}
        self.acronym_marks = {fold(a): a for a in lex.acronyms if "Đ" in a and fold(a) not in plain}
        # digits OCR writes for a letter, with the likeliest letter ('6' -> 'o'), as learned
        best: dict[str, tuple[float, str]] = {}
        for (o, t), c in lex.confusions.items():
            if len(o) == 1 and o.isdigit() and len(t) == 1 and c < best.get(o, (99.0, ""))[0]:
                best[o] = (c, t)
        self.digit_letter = {o: t for o, (_, t) in best.items()}
        self.id_cache: dict[tuple[str, Mode], tuple[tuple[int, float, tuple[str, float, Tag]], ...]] = {}
        self.kinds: dict[str, Kind] = {}  # word -> its Kind (`kind`)

    def kind(self, w: str) -> Kind:
        """The Kind of a letter/digit run (cached)."""
        k = self.kinds.get(w)
        if k is None:
            if len(self.kinds) > 500_000:
                self.kinds.clear()
            k = self.kinds[w] = _kind(w, self)
        return k

    def near_syllable(self, f: str) -> bool:
        """Is this folded lowercase word one OCR slip away from a syllable (HQI -> HỘI)?"""
        return process.extractOne(f, self.fold_keys, scorer=Levenshtein.distance, score_cutoff=1) is not None

    def digit_for_letter(self, w: str) -> bool:
        """Is this code-like token ('T6', 'S6') a word whose vowel OCR wrote as a digit? Only
        when the learned letter for the digit makes a syllable: 'A1' stays a code."""
        if not _OCR_DIGIT_WORD.match(w) or w in self.lex.acronyms:
            return False
        d = next(c for c in w if c.isdigit())
        letter = self.digit_letter.get(d)
        return letter is not None and fold(w.lower().replace(d, letter)) in self.lex.by_fold

    # ------------------------------------------------------------ names
    def person_names(self, line: str) -> dict[int, str]:
        """Start offset -> the word to write, for the words of persons' names in a line.
        A run of capitalised words that starts with a surname is a name: its syllables that
        are valid names stay as written ('Lê Vân' is not 'Lê Văn'). Where the run is surely a
        name (a line of its own, or after 'Ông', 'Bà', 'đồng chí') and 3-4 words long, a
        syllable that is no name becomes the name OCR most likely misread ('Nguyên Hoằng
        Giang' -> 'Nguyễn Hoằng Giang'); the surname too. Syllables of place names count as valid
        names ('Điện', 'Hoằng' stay)."""
        out: dict[int, str] = {}
        sur, given = self.lex.persons.get("surname", {}), self.lex.persons.get("given", {})
        valid = self.lex.persons.get("place", {})  # not names to change to, but valid as written
        for m in _NAME_SPAN.finditer(line):
            words = [(wm.start() + m.start(), wm.group(0)) for wm in regex.finditer(r"\S+", m.group(0))]
            lows = [tone_new(w.lower()) for _, w in words]
            titled = _PERSON_TITLE.search(line[:m.start()]) is not None
            if len(words) >= 3 and lows[0] in _TITLE_WORDS:  # 'Ông Trần Hoàng Tuấn'
                words, lows, titled = words[1:], lows[1:], True
            sure = titled and len(words) >= 3 and _NAME_END.match(line[m.end():]) is not None
            if lows[0] not in sur and not sure:
                continue
            span = {words[0][0]: words[0][1] if lows[0] in sur else self._nearest_name(words[0][1], sur)}
            for (at, w), low in zip(words[1:], lows[1:]):
                span[at] = w if low in given or low in valid else self._nearest_name(w, given) if sure else None
            if None in span.values():
                continue  # not every word is (one misread away from) a name: 'Đường Bạch Đằng', 'Tống Bí thư'
            out.update((at, w) for at, w in span.items() if w is not None)
        return out

    def _nearest_name(self, w: str, names: dict[str, int]) -> str | None:
        """The name syllable with w's letters (other marks) that OCR most likely misread as w."""
        low = tone_new(w.lower())
        best = None
        for c in self.lex.by_fold.get(fold(low), ()):
            rank = names.get(c)
            if rank is None or c == low:
                continue
            cost = self.mark_cost(low, c, "lower") + math.log(rank + 1)  # commoner names likelier
            if best is None or cost < best[0]:
                best = (cost, c)
        return case_like(w, best[1]) if best and best[0] <= NAME_MAX_COST else None

    def mark_cost(self, obs: str, cand: str, case: str) -> float:
        """Channel cost of OCR writing `obs` for `cand`, two spellings of the same letters
        with other marks: learned per vowel (ê for ế) where the table has it."""
        marks = self.lex.marks
        if marks:
            total = 0.0
            for o, t in zip(obs, cand):
                if o != t:
                    total += marks.get((case, o, t), MARK_UNSEEN)
            return total
        seen = tone_name(obs)
        cost = self.lex.tones.get((case, seen, tone_name(cand)), 5.0)
        if case == "upper" and seen == "none":
            cost = min(cost, UPPER_MARK_LOST)
        return cost + (5.0 if shape(cand) != shape(obs) else 0.0)

    # ------------------------------------------------------------ confidence
    def doubt_cost(self, conf: float) -> float:
        """Extra nats for changing a word Tesseract gave this confidence: log of the share of
        wrong words over all against that share at this confidence (learned), within [-2, 4]."""
        doubt = self.lex.doubt
        share = next((sh for hi, sh, _ in doubt if conf < hi), doubt[-1][1])
        return max(-2.0, min(4.0, math.log(self.mean_doubt / share)))

    @functools.cached_property
    def mean_doubt(self) -> float:
        """The share of wrong words over all training words."""
        n = sum(w for _, _, w in self.lex.doubt)
        return sum(sh * w for _, sh, w in self.lex.doubt) / n if n else 1.0

    def margin(self, run: Run, best: Decoded, i: int, mode: Mode, extra: float = 0.0,
               ids: list[int] | None = None) -> float:
        """Nats by which the chosen reading of word i beat keeping it as written, in the
        trigrams that include it, channel costs included: how sure the change is. `ids`: the
        run's token ids as `run_ids` gives them (computed here if not given)."""
        lex = self.lex
        if ids is None:
            ids = self.run_ids(best)
        j = i + 2
        word = run[i][2]
        assert word is not None  # a slot with a word to decode
        w = word.lower()
        keep = tone_new(w)
        cands = {item[0]: cost for _, cost, item in self.scored(w, mode)}
        keep_cost = cands.get(keep, mode_costs(mode).keep_unknown if keep not in lex.syllables else 0.0)
        n, logp = len(ids), lex.logp

        def local(tok: int) -> float:
            total = logp(ids[j - 2], ids[j - 1], tok)
            if j + 1 < n:
                total += logp(ids[j - 1], tok, ids[j + 1])
                if j + 2 < n:
                    total += logp(tok, ids[j + 1], ids[j + 2])
            return total
        return (local(ids[j]) - best[i][1] - extra) - (local(lex.id(keep)) - keep_cost)

    def run_ids(self, best: Decoded) -> list[int]:
        """Token ids of a decoded run between its sentence marks (for `margin`)."""
        lex = self.lex
        return [lex.ids["<s>"], lex.ids["<s>"]] + [lex.id(item[0]) for item in best] + [lex.ids["</s>"]]

    # ------------------------------------------------------------ channel
    def edit_cost(self, obs: str, cand_fold: str, costs: Costs) -> float:
        """Weighted edit distance from what OCR wrote to a candidate's base letters; edits that
        touch each other are priced whole when the table knows them ('ir' for 'u')."""
        fo = fold(obs)
        o = fo if len(fo) == len(obs) else obs
        total = 0.0
        for run in edit_runs(Levenshtein.opcodes(o, cand_fold)):
            if len(run) > 1:
                whole = self.sub.get((obs[run[0].src_start:run[-1].src_end],
                                      cand_fold[run[0].dest_start:run[-1].dest_end]))
                if whole is not None:
                    total += whole * costs.edit_scale
                    continue
            for op in run:
                total += self._op_cost(obs, cand_fold, op, costs)
        return total

    def _op_cost(self, obs: str, cand_fold: str, op, costs: Costs) -> float:
        so, st = obs[op.src_start:op.src_end], cand_fold[op.dest_start:op.dest_end]
        if op.tag == "replace" and len(so) == len(st):
            total = 0.0
            for a, b in zip(so, st):
                total += self.sub.get((a, b), self.sub.get((fold(a), b), costs.default_edit)) * costs.edit_scale
            return total
        c = self.sub.get((so, st))
        return (c * costs.edit_scale) if c is not None else costs.default_edit * max(len(so), len(st))

    def candidates(self, word: str, mode: Mode) -> tuple[tuple[str, float, Tag], ...]:
        """(candidate, channel cost, why) for a lowercase word, cheapest first (cached by `scored`)."""
        costs = mode_costs(mode)
        lex = self.lex
        norm = tone_new(word)
        out: dict[str, tuple[float, Tag]] = {}
        known = norm in lex.syllables
        if known:
            out[norm] = (0.0, Tag.AS_WRITTEN)
        fw = fold(norm)
        marked = bool(_VIET_MARKED.search(norm))
        for c in lex.by_fold.get(fw, ()):
            if c == norm:
                continue
            if mode in _MARKED:
                # learned: how often Tesseract vie writes this tone for that one (capitals apart:
                # their marks are read worse); a changed vowel shape (ô for o) costs on top
                case = "upper" if mode == Mode.MARKED_UPPER else "lower"
                seen = tone_name(norm)
                if case == "upper" and seen == "none":  # capped; a changed vowel shape on top
                    cost = min(lex.tones.get((case, seen, tone_name(c)), costs.mark_change), UPPER_MARK_LOST)
                    if shape(c) != shape(norm):
                        cost += costs.mark_change
                elif lex.marks:  # learned per vowel from degraded training scans: ê for ế, ằ for ầ
                    cost = MARK_WEIGHT * self.mark_cost(norm, c, case)
                else:
                    cost = lex.tones.get((case, seen, tone_name(c)), costs.mark_change)
                    if shape(c) != shape(norm):
                        cost += costs.mark_change
            else:
                cost = costs.mark_change if marked else costs.mark_add
            out.setdefault(c, (cost, Tag.DIACRITICS))
        has_fold = fw in lex.by_fold
        if not has_fold or mode == Mode.NOISY:
            # letters changed only where marks alone give no syllable, or where OCR had no Vietnamese data
            self._channel(norm, fw, costs, out, strong=not has_fold)
        if not known:
            out[word] = (costs.keep_unknown, Tag.KEEP)
        rank = {c: cost - 0.3 * self.syl_logp.get(c, -20.0) for c, (cost, _) in out.items()}
        ranked = sorted(out.items(), key=lambda kv: rank[kv[0]])
        # in typed text (no channel evidence), readings far rarer than the likeliest never win
        worst = rank[ranked[0][0]] + (CAND_GAP if mode == Mode.BARE else math.inf)
        res = tuple((c, cost, why) for c, (cost, why) in ranked[:MAX_CANDIDATES] if rank[c] <= worst)
        if known and norm not in {c for c, _, _ in res}:
            res = res[:-1] + ((norm, 0.0, Tag.AS_WRITTEN),)
        return res

    def _channel(self, word: str, fw: str, costs: Costs, out: dict[str, tuple[float, Tag]], strong: bool) -> None:
        if len(fw) > 9 or len(fw) < 1:
            return
        maxd = 2 if len(fw) >= 3 else 1
        for key, _dist, _ in process.extract(fw, self.fold_keys, scorer=Levenshtein.distance,
                                            score_cutoff=maxd, limit=25):
            base = self.edit_cost(word, key, costs)
            if not strong:
                base += 2.0
            for c in self.lex.by_fold[key]:
                prev = out.get(c)
                if prev is None or prev[0] > base:
                    out[c] = (base, Tag.OCR_CONFUSION)

    # ------------------------------------------------------------ decoding
    def decode(self, words: list[str], mode: Mode | list[Mode], caps: list[bool] | None = None,
               cache: list[dict[str, float] | None] | None = None,
               extra: list[float] | None = None) -> Decoded:
        """Best candidate for each lowercase word of one run, by trigram beam search.
        A word starting with FIXED is context only (a number, an acronym); `caps` marks
        capitalised words, whose pairs found in place or person names get a bonus; `cache`
        gives per position the document's own word frequencies to mix into the model."""
        lex = self.lex
        memo = self.memo
        if len(memo) > 2_000_000:
            memo.clear()
        mget = memo.get
        name_bi = lex.name_bi
        logp = lex.logp
        s_id = lex.ids["<s>"]
        caps = caps or [False] * len(words)
        modes = mode if isinstance(mode, list) else [mode] * len(words)
        # a beam entry: (score, a, b, backpointer) with backpointer = (item, previous backpointer)
        beams: list[tuple[float, int, int, _Back]] = [(0.0, s_id, s_id, None)]
        for i, w in enumerate(words):
            if w.startswith(FIXED):
                tok = w[1:]
                cands: tuple[tuple[int, float, tuple[str, float, Tag]], ...] = (
                    (lex.id(tok), 0.0, (tok, 0.0, Tag.AS_WRITTEN)),)
            else:
                cands = self.scored(w, modes[i])
                if extra and extra[i]:  # OCR's own confidence in the word: changing it costs more or less
                    keep, ex = tone_new(w), extra[i]
                    cands = tuple((cid, cost + (ex if item[0] != keep else 0.0), item) for cid, cost, item in cands)
            doc = cache[i] if cache else None
            name_pair = i > 0 and caps[i] and caps[i - 1]
            nxt: dict[int, tuple[float, int, int, _Back]] = {}
            nget = nxt.get
            for score, a, b, back in beams:
                base = ((a << SHIFT) | b) << SHIFT
                bk = b << SHIFT
                for cid, cost, item in cands:
                    k3 = base | cid
                    lp = mget(k3)
                    if lp is None:
                        lp = memo[k3] = logp(a, b, cid)
                    if doc is not None:  # the document's own usage mixed in (a cache model)
                        lp = math.log((1 - DOC_WEIGHT) * math.exp(lp) + DOC_WEIGHT * doc.get(item[0], 0.0))
                    sc = score + lp - cost
                    k = bk | cid
                    if name_pair and k in name_bi:
                        sc += NAME_BONUS
                    old = nget(k)
                    if old is None or sc > old[0]:
                        nxt[k] = (sc, b, cid, (item, back))
            beams = sorted(nxt.values(), key=_first, reverse=True)[:BEAM] if len(nxt) > 1 else list(nxt.values())
            floor = beams[0][0] - PRUNE
            if beams[-1][0] < floor:  # states far behind the best one cannot win: drop them
                beams = [x for x in beams if x[0] >= floor]
        e_id = lex.ids["</s>"]
        best = max(beams, key=lambda x: x[0] + logp(x[1], x[2], e_id))
        out = []
        back = best[3]
        while back is not None:
            out.append(back[0])
            back = back[1]
        return out[::-1]

    def scored(self, word: str, mode: Mode) -> tuple[tuple[int, float, tuple[str, float, Tag]], ...]:
        """`candidates` with their token ids, cached per (word, mode)."""
        key = (word, mode)
        hit = self.id_cache.get(key)
        if hit is None:
            hit = self.id_cache[key] = tuple((self.lex.id(c), cost, (c, cost, why))
                                             for c, cost, why in self.candidates(word, mode))
        return hit


@functools.lru_cache(maxsize=65536)
def _fold_lower(word: str) -> str:
    return fold(word.lower())


@functools.lru_cache(maxsize=65536)
def _tone_old(word: str) -> str:
    return tone_old(word)


_first = operator.itemgetter(0)
_Back: TypeAlias = "tuple[tuple[str, float, Tag], _Back] | None"  # a beam state's path: (its last item, the path before)


def restore(text: str, lex: Lexicon | Restorer, tone_style: str = "keep", mode: str | None = None,
            confidences: Sequence[Sequence[float]] | None = None) -> Restored:
    """Corrected text and the account of every change. tone_style: keep | old | new.
    `confidences`, when given: per line of the text, Tesseract's confidence (0-100) of each
    whitespace-separated word, negative where not known (a line whose count differs is taken
    without; `normalize.word_confidences` makes them for normalised OCR text): a word OCR was
    sure of needs stronger evidence to change, a doubtful one less (learned shares of wrong
    words per confidence, dictionaries/ocr_confidence.tsv)."""
    # the beam search allocates many small tuples and makes no reference cycles: the cyclic
    # garbage collector would only scan them (~10 % of the time), so it pauses meanwhile
    paused = gc.isenabled()
    gc.disable()
    try:
        r = lex if isinstance(lex, Restorer) else Restorer.of(lex)
        return _restore(r, text, ToneStyle(tone_style), Mode(mode) if mode else None, confidences)
    finally:
        if paused:
            gc.enable()


# One word slot of a language-model run: (start, end, the word to decode or None, context
# token standing for what is not decoded: '<num>', '<unk>', '<oov>' or a known token).
Slot: TypeAlias = tuple[int, int, str | None, str]
Run: TypeAlias = list[Slot]
Decoded: TypeAlias = list[tuple[str, float, Tag]]  # per slot: (reading, channel cost, where it came from)


def _restore(r: Restorer, text: str, tone_style: ToneStyle, mode: Mode | None,
             confidences: Sequence[Sequence[float]] | None) -> Restored:
    """The steps: tokenise into runs (making the edits that need no decoding), price OCR's
    confidence per word, decode each run, the document pass, then apply and account."""
    text = unicodedata.normalize("NFC", text)
    mode = mode or detect_mode(text)
    lines = text.split("\n")
    edits = _Edits(len(lines))
    tok = _Tokeniser(r, mode, edits)
    for li, line in enumerate(lines):
        tok.line(li, line, confidences[li] if confidences is not None and li < len(confidences) else None)
    runs = tok.runs
    extras, word_conf = _doubts(r, runs, tok.conf_at)
    decoded = [_decode_run(r, run, mode, extra=ex) for (_, run), ex in zip(runs, extras)]
    if mode in DOC_CACHE_MODES:
        _document_pass(r, runs, decoded, mode, extras)
    tokens, known = _account(r, runs, decoded, extras, word_conf, mode, tone_style,
                             ToneStyle(tone_style_of(text) or "new"), edits)
    return Restored(edits.apply(lines), edits.sorted_corrections(), tokens, known)


class _Edits:
    """The changes to a text: per line (start, end, replacement) pieces, and the account."""

    def __init__(self, n_lines: int):
        self.pieces: list[list[tuple[int, int, str]]] = [[] for _ in range(n_lines)]
        self.corrections: list[Correction] = []

    def add(self, li: int, s: int, e: int, new: str, correction: Correction) -> None:
        self.pieces[li].append((s, e, new))
        self.corrections.append(correction)

    def apply(self, lines: list[str]) -> str:
        out = []
        for line, ps in zip(lines, self.pieces):
            for s, e, rep in sorted(ps, reverse=True):
                line = line[:s] + rep + line[e:]
            out.append(line)
        return "\n".join(out)

    def sorted_corrections(self) -> tuple[Correction, ...]:
        return tuple(sorted(self.corrections, key=lambda c: (c.line, c.col)))


class _Tokeniser:
    """Splits lines into the runs the language model decodes (punctuation ends a run; numbers,
    codes and names stay in it as context tokens) and makes the edits no decoding decides:
    an acronym's Đ, a list's second 'd)', 'l3' for 13, a number glued to a word, names."""

    def __init__(self, r: Restorer, mode: Mode, edits: _Edits):
        self.r, self.mode, self.edits = r, mode, edits
        self.runs: list[tuple[int, Run]] = []  # (line index, run)
        self.conf_at: dict[int, list[tuple[int, int, float]]] = {}  # line -> (chunk start, end, OCR confidence)
        self.last_marker = ""  # the letter of the last list marker ('a)', 'b.') seen
        self.marker_line = -MARKER_WINDOW  # and its line
        self.li = 0
        self.run: Run = []

    def line(self, li: int, line: str, confs: Sequence[float] | None) -> None:
        self.li, self.run = li, []
        names = self.r.person_names(line) if self.r.lex.persons else {}
        chunk_conf: dict[int, float] = {}
        if confs is not None:
            starts = [cm.start() for cm in _CHUNK.finditer(line)]
            if len(starts) == len(confs):
                chunk_conf = dict(zip(starts, confs))
        for m in _CHUNK.finditer(line):
            chunk = m.group(0)
            plain = _PLAIN.fullmatch(chunk) is not None  # most chunks: one word, nothing around it
            if not plain and _PROTECT_CHUNK.match(chunk):
                self._protected_chunk(m.start(), chunk)
                continue
            if not plain and not _WORD.search(chunk):
                if _RUN_BREAK.search(chunk):
                    self.flush()  # punctuation ends a run
                else:
                    self.run.append((m.start(), m.end(), None, "<unk>"))  # a dash, a slash: inside the run
                continue
            if chunk_conf and chunk_conf[m.start()] >= 0:  # a negative confidence: not known
                self.conf_at.setdefault(li, []).append((m.start(), m.end(), chunk_conf[m.start()]))
            if not plain and not line[:m.start()].strip() and self._odd_marker(m.start(), chunk):
                continue
            list_marker = not plain and _LIST_MARKER.match(chunk) is not None
            if list_marker:
                self._list_marker(m.start(), chunk)
            last_end = m.start()
            for wm in (_WORD_NOISY if self.mode == Mode.NOISY else _WORD).finditer(chunk):
                s, e = m.start() + wm.start(), m.start() + wm.end()
                if self.run and line[last_end:s].strip():
                    self.flush()  # punctuation ends a run
                last_end = e
                self._word(s, e, _APOSTROPHE.sub("", wm.group(0)), plain, list_marker, names)
            if not plain and _ENDS_IN_PUNCT.search(chunk):
                self.flush()
        self.flush()

    def flush(self) -> None:
        if self.run:
            self.runs.append((self.li, self.run))
            self.run = []

    def _protected_chunk(self, at: int, chunk: str) -> None:
        """An e-mail, a URL or a code ('129/KH-UBND'): never changed but an acronym's lost Đ."""
        if self.mode == Mode.BARE:  # typed without marks: '133/QD-UBND' lost its Đ too
            for am in _CAPS_RUN.finditer(chunk):
                self._acronym(at + am.start(), at + am.end(), am.group(0))
        if "@" in chunk or "://" in chunk or chunk.startswith("www."):
            self.flush()
            return
        # a code inside a sentence is one token to the language model, as in training
        if _RUN_BREAK.match(chunk):
            self.flush()
        self.run.append((at, at + len(chunk), None, "<num>" if _DIGIT.search(chunk) else "<unk>"))
        if _RUN_BREAK.search(chunk[-1]):
            self.flush()

    def _acronym(self, s: int, e: int, w: str) -> None:
        """An acronym whose marked form is the one in use ('HDND' -> 'HĐND', 'QD' -> 'QĐ')."""
        full = self.r.acronym_marks.get(w)
        if full and full != w:
            self.edits.add(self.li, s, e, full, Correction(self.li + 1, s + 1, w, full, Why.DIACRITICS, 0.0))

    def _list_marker(self, at: int, chunk: str) -> None:
        letter = chunk.strip("().")
        if self.mode == Mode.BARE and letter == "d" and self.last_marker == "d":
            # Vietnamese lists run a) b) c) d) đ) e): a second 'd)' lost its stroke
            at += chunk.index("d")
            self.edits.add(self.li, at, at + 1, "đ", Correction(self.li + 1, at + 1, "d", "đ", Why.DIACRITICS, 0.0))
            letter = "đ"
        self.last_marker, self.marker_line = letter, self.li

    def _odd_marker(self, at: int, chunk: str) -> bool:
        """A line's first chunk that stands where the next point of a list is due but is no
        list letter ('©)', 'ø)' after 'e)'): the due letter written, True. Digits stay."""
        m = _ODD_MARKER.match(chunk)
        due = LIST_LETTERS.find(self.last_marker) + 1
        if (not m or m.group(1) in LIST_LETTERS or not 0 < due < len(LIST_LETTERS)
                or self.li - self.marker_line > MARKER_WINDOW):
            return False
        letter, s = LIST_LETTERS[due], at + m.start(1)
        self.edits.add(self.li, s, s + 1, letter, Correction(self.li + 1, s + 1, m.group(1), letter, Why.OCR_CONFUSION, 0.0))
        self.flush()
        self.last_marker, self.marker_line = letter, self.li
        return True

    def _word(self, s: int, e: int, w: str, plain: bool, list_marker: bool, names: dict[int, str]) -> None:
        """One letter/digit run of a chunk: a word to decode, or context with its edit made."""
        r, mode, run, li = self.r, self.mode, self.run, self.li
        if not plain and _DIGIT.search(w) and self._digits(s, e, w):
            return
        if s in names:  # a person's name: a valid name stays, a syllable no name has may change
            name = names[s]
            if name != w:
                self.edits.add(li, s, e, name, Correction(li + 1, s + 1, w, name, Why.NAME, 0.0))
            low = tone_new(name.lower())
            run.append((s, e, None, low if low in r.lex.ids else "<oov>"))
            return
        kind = r.kind(w)
        if kind == Kind.CAPS_NEAR:  # one slip from a syllable: a word only to OCR without Vietnamese data
            kind = Kind.WORD if mode == Mode.NOISY else Kind.PROTECT
        if kind == Kind.PROTECT and mode == Mode.NOISY and r.digit_for_letter(w):
            kind = Kind.WORD  # 'T6', 'S6': Tesseract without Vietnamese data writes 'ổ', 'ố' as '6'
        if kind == Kind.WORD and (list_marker or (_MIXED_CASE.match(w) and not (
                mode == Mode.NOISY and _fold_lower(w) in r.lex.by_fold))):
            kind = Kind.PROTECT  # 'a)', and 'TTg', 'TTr': codes, not misspelt words ('HOi' is, without vie data)
        if kind == Kind.WORD and mode != Mode.NOISY and not _VOWEL.search(fold(w).upper()):
            kind = Kind.PROTECT  # 'Km', 'kg', 'Tp': no syllable is written without a vowel
        if kind == Kind.NUMBER:
            run.append((s, e, None, "<num>"))
        elif kind == Kind.PROTECT:
            low = (r.acronym_marks.get(w, w) if mode == Mode.BARE else w).lower()
            run.append((s, e, None, low if low in r.lex.ids else "<oov>"))
            if mode == Mode.BARE:
                self._acronym(s, e, w)
        else:
            run.append((s, e, w, ""))

    def _digits(self, s: int, e: int, w: str) -> bool:
        """A word with digits that is a number misread ('l3') or glued to a word ('26tháng'):
        its slots added and True; else False."""
        li, run = self.li, self.run
        if _L_FOR_ONE.match(w):  # 'l3' beside numbers is 13: a digit, never a word
            fixed = w.replace("l", "1")
            self.edits.add(li, s, e, fixed, Correction(li + 1, s + 1, w, fixed, Why.OCR_DIGIT, 0.0))
            run.append((s, e, None, "<num>"))
            return True
        k = _split_glued(w, self.r.lex, self.mode)
        if not k:
            return False
        # '26tháng' -> '26 tháng': the number stays, the word is restored
        self.edits.add(li, s + k, s + k, " ", Correction(li + 1, s + 1, w, w[:k] + " " + w[k:], Why.SPLIT, 0.0))
        if w[0].isdigit():
            run.append((s, s + k, None, "<num>"))
            run.append((s + k, e, w[k:], ""))
        else:
            run.append((s, s + k, w[:k], ""))
            run.append((s + k, e, None, "<num>"))
        return True


def _doubts(r: Restorer, runs: list[tuple[int, Run]], conf_at: dict[int, list[tuple[int, int, float]]],
            ) -> tuple[list[list[float] | None], dict[tuple[int, int], float]]:
    """Per run, the extra cost of changing each word given OCR's confidence in it (None: no
    confidences), and each word's confidence by (line index, start)."""
    extras: list[list[float] | None] = [None] * len(runs)
    word_conf: dict[tuple[int, int], float] = {}
    if conf_at and r.lex.doubt:
        for k, (li, run) in enumerate(runs):
            ex = []
            for i, (s, _, w, _) in enumerate(run):
                c = _chunk_conf(conf_at, li, s)
                if c is not None and w is not None:
                    word_conf[(li, s)] = c
                x = r.doubt_cost(c) if c is not None and w is not None else 0.0
                if x < 0 and not (_known_at(r, run, i - 1) and _known_at(r, run, i + 1)):
                    x = 0.0  # doubt lowers the bar for evidence from context, and there is none
                ex.append(x)
            extras[k] = ex if any(ex) else None
    return extras, word_conf


def _known_at(r: Restorer, run: Run, i: int) -> bool:
    """Does slot i of a run give the language model context: a token it knows, or the run's
    start or end?"""
    if i < 0 or i >= len(run):
        return True
    _, _, w, ctx = run[i]
    tok = tone_new(w.lower()) if w is not None else ctx
    return tok in r.lex.ids and tok not in ("<oov>", "<unk>")


def _account(r: Restorer, runs: list[tuple[int, Run]], decoded: list[Decoded], extras: list[list[float] | None],
             word_conf: dict[tuple[int, int], float], mode: Mode, tone_style: ToneStyle, doc_style: ToneStyle,
             edits: _Edits) -> tuple[int, int]:
    """Each decoded reading that differs from the text becomes an edit with its correction
    (tone placement as asked); returns (word tokens, known syllables after correction)."""
    syllables = r.lex.syllables
    tokens = known = 0
    keep_style = tone_style == ToneStyle.KEEP
    for (li, run), best, ex in zip(runs, decoded, extras):
        ids: list[int] | None = None  # the run's token ids, made for its first change
        for i, ((s, e, orig, _), (cand, cost, tag)) in enumerate(zip(run, best)):
            if orig is None:
                continue
            tokens += 1
            if cand in syllables:
                known += 1
            if tag == Tag.KEEP or (keep_style and cand == orig.lower() and not _CASE_SLIP.match(orig)):
                continue
            new = case_like(orig, cand)
            old = _tone_old(new)
            if old != new and (tone_style == ToneStyle.OLD or (
                    keep_style and (tone_style_of(orig) or doc_style) == ToneStyle.OLD)):
                new = old
            if keep_style and old == _tone_old(orig):
                continue  # only the tone placement differs: keep it as written
            if new != orig:
                ids = ids or r.run_ids(best)
                margin = r.margin(run, best, i, mode, ex[i] if ex else 0.0, ids)
                why = Why(tag) if tag else Why.DIACRITICS  # the word as written, its tone moved
                edits.add(li, s, e, new, Correction(li + 1, s + 1, orig, new, why, round(cost, 2),
                                                    round(margin, 2), word_conf.get((li, s))))
    return tokens, known


def _chunk_conf(conf_at: dict[int, list[tuple[int, int, float]]], li: int, s: int) -> float | None:
    """The confidence of the chunk that holds the word starting at s (a chunk may hold several)."""
    return next((c for start, end, c in conf_at.get(li, ()) if start <= s < end), None)


def _decode_run(r: Restorer, run: Run, mode: Mode, cache: list[dict[str, float] | None] | None = None,
                extra: list[float] | None = None) -> Decoded:
    """One run decoded: its words lower-cased (context tokens FIXED), capitalised words marked."""
    lowers = [w.lower() if w is not None else FIXED + ctx for _, _, w, ctx in run]
    caps = [w is not None and w[:1].isupper() and not w.isupper() for _, _, w, _ in run]
    # capitals read by Tesseract vie lose marks more often, but only in a line of capitals
    # (a heading, a header column): a lone capital word in a sentence is likely an acronym
    upper = [w is not None and len(w) > 1 and w.isupper() for _, _, w, _ in run]
    modes = [Mode.MARKED_UPPER if mode == Mode.MARKED and u and (
        (i > 0 and upper[i - 1]) or (i + 1 < len(upper) and upper[i + 1])) else mode
        for i, u in enumerate(upper)]
    return r.decode(lowers, modes, caps, cache, extra)


DOC_CACHE_MODES: tuple[Mode, ...] = (Mode.BARE, Mode.NOISY, Mode.MARKED)
DOC_WEIGHT = 0.03  # weight of the document's own word frequencies mixed into the language model
REDO_RATIO = 2     # a run is decoded again where a reading the document uses twice as often exists


def _document_pass(r: Restorer, runs: list[tuple[int, Run]], decoded: list[Decoded], mode: Mode,
                   extras: list[list[float] | None] | None = None) -> None:
    """A word written the same way is usually the same word within one document ('phuong' is
    'phường' all through a ward's plan): runs where another reading of a word is the one the
    document mostly chose are decoded again with the document's word frequencies mixed into
    the language model (a cache model, Kuhn & De Mori 1990)."""
    usage: dict[str, dict[str, int]] = {}
    total = 0
    for (_, run), best in zip(runs, decoded):
        for (_, _, orig, _), (cand, _, _) in zip(run, best):
            if orig is not None:
                d = usage.setdefault(_fold_lower(orig), {})
                d[cand] = d.get(cand, 0) + 1
                total += 1
    # only words the document reads more than one way: (their frequencies, the commonest count)
    shares = {f: ({c: n / total for c, n in d.items()}, max(d.values())) for f, d in usage.items() if len(d) > 1}
    for k, ((_, run), best) in enumerate(zip(runs, decoded)):
        freqs: list[dict[str, float] | None] = []
        redo = False
        for (_, _, orig, _), (cand, _, _) in zip(run, best):
            hit = shares.get(_fold_lower(orig)) if orig is not None else None
            freqs.append(hit[0] if hit else None)
            if hit:
                assert orig is not None
                redo = redo or usage[_fold_lower(orig)].get(cand, 0) * REDO_RATIO < hit[1]
        if redo:
            decoded[k] = _decode_run(r, run, mode, freqs, extras[k] if extras else None)


# words of other languages that administrative documents use as they are
_FOREIGN = frozenset("email mail website web fax hotline internet online offline zalo facebook google wifi "
                     "video camera app covid".split())


def _kind(w: str, r: Restorer) -> Kind:
    """A digit is never turned into a letter (only OCR without Vietnamese data may have written
    one for a vowel: see `digit_for_letter`); capitals that are no syllable are an acronym."""
    lex = r.lex
    if _NUMBER.match(w):
        return Kind.NUMBER
    if _DIGIT.search(w):  # 'Điều 42a', 'A1', '3G'
        return Kind.PROTECT
    if w.lower() in _FOREIGN:
        return Kind.PROTECT
    if len(w) == 1:  # initials, list markers; but 'o' -> 'ở', 'y' -> 'ý' in running text
        return Kind.WORD if w.islower() and w in lex.by_fold else Kind.PROTECT
    if w.isupper():
        if w in lex.acronyms or not _VOWEL.search(fold(w).upper()):
            return Kind.PROTECT
        f = fold(w.lower())
        if f not in lex.by_fold:  # PCI, VCCI, SYT: not a Vietnamese word in capitals
            return Kind.CAPS_NEAR if len(f) >= 3 and r.near_syllable(f) else Kind.PROTECT
    if _ROMAN.match(w) and len(w) <= 4 and w not in ("I",) and w.lower() not in lex.syllables:
        return Kind.PROTECT
    return Kind.WORD


def _split_glued(w: str, lex: Lexicon, mode: Mode) -> int:
    """Where a number glued to a word ('26tháng', 'năm2025') splits, or 0: the letters must be a
    syllable of 3+ letters or carry a Vietnamese mark ('42a', 'A1', 'T6' are codes)."""
    m = _GLUED_NUM_FIRST.match(w)
    if m:
        letters, k = m.group(2), len(m.group(1))
    else:
        m = _GLUED_NUM_LAST.match(w) if mode != Mode.NOISY else None
        if not m:
            return 0
        letters, k = m.group(1), len(m.group(1))
    if (len(letters) >= 3 or _VIET_MARKED.search(letters)) and fold(letters.lower()) in lex.by_fold:
        return k
    return 0


def coverage(text: str, lex: Lexicon | Restorer) -> float:
    """Share of the text's Vietnamese words (not codes, acronyms) that are known syllables."""
    r = lex if isinstance(lex, Restorer) else Restorer.of(lex)
    words = [w for w in _WORD.findall(text) if w.isalpha() and r.kind(w) == Kind.WORD]
    if not words:
        return 0.0
    return round(sum(tone_new(w.lower()) in r.lex.syllables for w in words) / len(words), 4)
