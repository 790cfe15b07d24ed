"""Text cleanup before correction and parsing: small pure `str -> str` fixers in a registry.

Each fixer does one thing (NFC, Markdown marks, page numbers, double spacing, hyphens,
wrapped lines). `normalize` runs them in order; `explain=True` names the ones that
changed something.
"""
from __future__ import annotations

import difflib
import statistics
import unicodedata
from collections.abc import Callable, Sequence
from typing import cast

import regex

Fixer = Callable[[str], str]
FIXERS: dict[str, Fixer] = {}


def fixer(fn: Fixer) -> Fixer:
    FIXERS[fn.__name__] = fn
    return fn


_SPACES = regex.compile(r"[\u00a0\u2000-\u200a\u202f\u205f\u3000\t]")
_ZERO_WIDTH = regex.compile(r"[\u200b-\u200d\ufeff\u00ad]")


@fixer
def unicode_nfc(text: str) -> str:
    """NFC, one kind of newline and space, no zero-width characters."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\f", "\n\n")
    text = _ZERO_WIDTH.sub("", _SPACES.sub(" ", text))
    return unicodedata.normalize("NFC", text)


_MD_HEADING = regex.compile(r"(?m)^[ \t]*#{1,6}[ \t]+")
_MD_EMPH = regex.compile(r"\*{2,3}|(?<![\p{L}\p{N}])__|__(?![\p{L}\p{N}])|(?m)^\*(?=\S)|(?<=\S)\*$")
_MD_QUOTE = regex.compile(r"(?m)^[ \t]*>[ \t]?")


_LOOKALIKES = str.maketrans({"\u00d0": "Đ", "\u0189": "Đ", "\u00d1": "Đ", "\u00f0": "đ", "\u2010": "-", "\u2011": "-",
                             "\u00ad": "", "\u00a1": "i"})


@fixer
def fix_lookalikes(text: str) -> str:
    """Characters Vietnamese never uses that OCR writes for its own: 'Ð' (eth) or 'Ñ' for 'Đ' (an eth
    beside a 'Đ' is the same letter read twice: 'QĐÐ' -> 'QĐ'), '¡' for 'i' ('điểm ¡'), odd hyphens."""
    return regex.sub(r"ĐÐ|ÐĐ", "Đ", text).translate(_LOOKALIKES)


@fixer
def strip_markdown(text: str) -> str:
    """Markdown export marks (headings, bold/italic stars, quotes) removed, text kept."""
    if not (_MD_HEADING.search(text) or "**" in text):
        return text
    text = _MD_HEADING.sub("", text)
    text = _MD_QUOTE.sub("", text)
    return _MD_EMPH.sub("", text)


@fixer
def strip_line_ends(text: str) -> str:
    """No trailing spaces; leading spaces trimmed; runs of spaces inside a line kept to one."""
    return "\n".join(regex.sub(r" {2,}", " ", ln).strip() for ln in text.split("\n"))


_PAGE_NO = regex.compile(r"(?im)^(?:[-–—]\s*)?(?:trang\s+)?\d{1,3}(?:\s*/\s*\d{1,3})?(?:\s*[-–—])?$")


_NOISE_LINE = regex.compile(r"^[^\p{L}\p{N}]{1,6}$")
_ODD_BULLET = regex.compile(r"(?m)^(?:[~•∙·–—]\s*'?|[~`'.,•·∙_]{1,2}\s*-|-\s*['`])\s*(?=\p{L})")


@fixer
def drop_noise_lines(text: str) -> str:
    """Lines of a few stray marks OCR made of specks or seals ('~', '` :'), removed."""
    return "\n".join("" if _NOISE_LINE.match(ln.strip()) and "./." not in ln else ln for ln in text.split("\n"))


@fixer
def unify_bullets(text: str) -> str:
    """List items OCR started with '~', '•', '—' or "-'" start with '- '."""
    return _ODD_BULLET.sub("- ", text)


@fixer
def drop_page_numbers(text: str) -> str:
    """Lines that are only a page number ('2', '- 2 -', 'Trang 2/3') removed."""
    return _PAGE_NO.sub("", text)


@fixer
def collapse_double_spacing(text: str) -> str:
    """Text extracted with a blank line after every wrapped line gets its lines back together.

    Only when most lines are followed by a blank line; longer blank runs stay one paragraph break.
    """
    lines = text.split("\n")
    nonblank = [i for i, ln in enumerate(lines) if ln.strip()]
    if len(nonblank) < 6:
        return text
    followed = [i for i in nonblank if i + 2 < len(lines) and not lines[i + 1].strip() and lines[i + 2].strip()]
    # in double-spaced text many of those blank lines split a sentence: the next line goes on in lowercase
    lower_next = sum(1 for i in followed if lines[i + 2].strip()[:1].islower())
    if len(followed) / len(nonblank) < 0.6 or lower_next < 0.1 * len(followed):
        return text
    text = regex.sub(r"\n[ \t]*\n(?![ \t]*\n)", "\n", text)
    return regex.sub(r"\n(?:[ \t]*\n){2,}", "\n\n", text)


_HYPHEN_END = regex.compile(r"(?<=\p{Ll})-\n(?=\p{Ll})")


@fixer
def dehyphenate(text: str) -> str:
    """A word split with a hyphen at the line end ('tổ-\\nchức' -> 'tổchức' is wrong for
    Vietnamese, so only a hyphen glued to a lowercase letter on both sides is joined, as one word)."""
    return _HYPHEN_END.sub("", text)


_BLOCK_START = regex.compile(
    r"""^(?:[-–—•+∙·]\s*\S            # bullet
        |(?:\d{1,2}|[IVXLivxl]{1,5}|[a-zđ])[.)](?:\s|$)   # 1.  II.  a)
        |\d{1,2}\.\d{1,2}\.?\s        # 1.1.
        |(?:Nơi\s+nhận|Căn\s+cứ|Thực\s+hiện|Kính\s+gửi|Số\s*:|Số\s+\d|(?:TM|KT|TL|TUQ)\.|Điều\s+\d|Chương\s|Mục\s+\d)
        )""", regex.X)
_SECTION_HEAD = regex.compile(r"^(?:[IVXL]{1,5}|\d{1,2})\s*[.)]\s+\p{Lu}")
_ENDS_PARAGRAPH = regex.compile(r"[.;:!?]$|\./\.$")


def is_caps(line: str) -> bool:
    """Mostly capital letters (a heading, a signature line)."""
    letters = [c for c in line if c.isalpha()]
    return len(letters) >= 2 and sum(c.isupper() for c in letters) / len(letters) > 0.8


@fixer
def join_wrapped_lines(text: str) -> str:
    """Lines that wrap inside a paragraph joined into one line per paragraph.

    A line continues onto the next when it does not end a sentence, the next line does not
    start a block (bullet, numbering, heading in capitals, 'Nơi nhận', signature), and either
    the next line starts in lowercase or this line is about as long as the text's wrapped lines.
    """
    lines = text.split("\n")
    lengths = [len(ln) for ln in lines if len(ln) > 20]
    if not lengths:
        return text
    full = statistics.quantiles(lengths, n=10)[-1] if len(lengths) >= 2 else lengths[0]
    out: list[str] = []
    for ln in lines:
        if out and out[-1] and ln and _continues(out[-1], ln, full):
            out[-1] = out[-1] + " " + ln
        elif ln and ln[0].islower() and not _BLOCK_START.match(ln) and _broken_by_gap(out):
            while not out[-1]:
                out.pop()  # a page break or a gap inside a sentence: 'phương' / 'hướng, nhiệm vụ'
            out[-1] = out[-1] + " " + ln
        else:
            out.append(ln)
    return "\n".join(out)


def _broken_by_gap(out: list[str]) -> bool:
    """Blank lines after a line that leaves its sentence open (no full stop, not a heading)."""
    if not out or out[-1]:
        return False
    prev = next((ln for ln in reversed(out) if ln), "")
    return bool(prev) and not _ENDS_PARAGRAPH.search(prev) and not is_caps(prev)


def _continues(prev: str, nxt: str, full: float) -> bool:
    if is_caps(prev) and is_caps(nxt) and _SECTION_HEAD.match(prev) and not _BLOCK_START.match(nxt) \
            and not _ENDS_PARAGRAPH.search(prev):
        return True  # a section heading in capitals split over two lines
    if _ENDS_PARAGRAPH.search(prev) or _BLOCK_START.match(nxt) or is_caps(nxt) or is_caps(prev):
        return False
    if nxt[0].islower():
        return True
    return len(prev) >= 0.75 * full


def roman_value(s: str) -> int:
    vals = {"I": 1, "V": 5, "X": 10, "L": 50}
    total = 0
    for i, c in enumerate(s):
        v = vals[c]
        total += -v if i + 1 < len(s) and vals[s[i + 1]] > v else v
    return total


def to_roman(n: int) -> str:
    out = ""
    for v, r in ((50, "L"), (40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I")):
        while n >= v:
            out, n = out + r, n - v
    return out


_ROMAN_HEAD = regex.compile(r"^([IVXLl1H|]{1,5})(\s*[.)]\s*|\s+)(?=\p{Lu}{2,})")


@fixer
def renumber_roman_headings(text: str) -> str:
    """Section headings 'I.', 'II.', 'III.' in capitals, numbered again in order when OCR garbled
    a numeral ('H.' or 'II.' for the second or third); only in a sequence that starts at 'I.'."""
    lines = text.split("\n")
    heads = [i for i, ln in enumerate(lines) if _ROMAN_HEAD.match(ln) and is_caps(ln)]
    if len(heads) < 2 or _ROMAN_HEAD.match(lines[heads[0]]).group(1) != "I":
        return text
    for k, i in enumerate(heads, 1):
        m = _ROMAN_HEAD.match(lines[i])
        want = to_roman(k)
        if m.group(1) != want:
            lines[i] = want + ". " + lines[i][m.end():]
    return "\n".join(lines)


@fixer
def squeeze_blank_lines(text: str) -> str:
    """At most one blank line in a row; none at the start or end."""
    return regex.sub(r"\n{3,}", "\n\n", text).strip("\n") + "\n"


ORDER = ("unicode_nfc", "fix_lookalikes", "strip_markdown", "strip_line_ends", "drop_noise_lines",
         "unify_bullets", "drop_page_numbers",
         "collapse_double_spacing", "dehyphenate", "join_wrapped_lines", "renumber_roman_headings", "squeeze_blank_lines")


def normalize(text: str, explain: bool = False) -> str | tuple[str, list[str]]:
    """Run every fixer in ORDER; with explain, also the names of those that changed the text."""
    applied = []
    for name in ORDER:
        new = FIXERS[name](text)
        if new != text:
            applied.append(name)
        text = new
    return (text, applied) if explain else text


# ---------------------------------------------------------------- OCR confidences through normalising

UNKNOWN_CONF = -1.0  # a token no OCR word stands for (a column mark, a bullet normalising made)
_GAP = 8  # tokens or words skipped at most where normalising dropped or changed some


def word_confidences(text: str, words: Sequence[tuple[str, float]]) -> list[list[float]]:
    """Per line of a normalised text, the OCR confidence of each whitespace token: its tokens
    aligned in order with the OCR words (text, confidence) it was made from. A token joined
    from words ('tổ-' 'chức') takes the lowest; one no word matches gets UNKNOWN_CONF."""
    lines = [ln.split() for ln in text.split("\n")]
    toks = [t for ln in lines for t in ln]
    seen = [fix_lookalikes(unicode_nfc(w)).strip() for w, _ in words]
    confs = [c for _, c in words]
    out = [UNKNOWN_CONF] * len(toks)
    i = j = 0
    while i < len(toks) and j < len(seen):
        if toks[i] == seen[j]:
            out[i] = confs[j]
            i, j = i + 1, j + 1
            continue
        di, dj = _resync(toks, seen, i, j)
        if di and dj:
            out[i:i + di] = _gap_confidences(toks[i:i + di], seen[j:j + dj], confs[j:j + dj])
        i, j = i + di, j + dj
    res, k = [], 0
    for ln in lines:
        res.append(out[k:k + len(ln)])
        k += len(ln)
    return res


def _gap_confidences(toks: list[str], seen: list[str], confs: list[float]) -> list[float]:
    """Tokens that normalising made of some words ('tổchức' of 'tổ-' 'chức', '- Nội' of '~Nội'):
    each takes the lowest confidence of the words it shares letters with."""
    a, b = " ".join(toks), " ".join(seen)
    word_at = [k for k, w in enumerate(seen) for _ in w + " "]  # the word of each character of b
    tok_at = [k for k, t in enumerate(toks) for _ in t + " "]
    found: list[set[int]] = [set() for _ in toks]
    for m in difflib.SequenceMatcher(None, a, b, autojunk=False).get_matching_blocks():
        for x in range(m.size):
            if not a[m.a + x].isspace():
                found[tok_at[m.a + x]].add(word_at[m.b + x])
    return [min(confs[k] for k in ks) if ks else UNKNOWN_CONF for ks in found]


def _resync(toks: list[str], seen: list[str], i: int, j: int) -> tuple[int, int]:
    """The nearest (tokens, words) to skip after which both go on alike for two tokens (or to
    their ends); else the words up to where the next three tokens follow (a block of words
    normalising dropped); else one token."""
    def same(a: int, b: int) -> bool:
        return toks[a] == seen[b] and (a + 1 >= len(toks) or b + 1 >= len(seen) or toks[a + 1] == seen[b + 1])
    for total in range(1, 2 * _GAP + 1):
        for di in range(max(0, total - _GAP), min(total, _GAP) + 1):
            dj = total - di
            if i + di < len(toks) and j + dj < len(seen) and same(i + di, j + dj):
                return di, dj
    if i + 3 <= len(toks):
        for b in range(j + 1, min(len(seen) - 2, j + 50 * _GAP)):
            if seen[b:b + 3] == toks[i:i + 3]:
                return 0, b - j
    return 1, 0


def tsv_words(tsv: str) -> list[tuple[str, float]]:
    """The words of Tesseract's TSV output (`tesseract IMAGE - tsv`) in order, with their
    confidences."""
    out = []
    for row in tsv.splitlines()[1:]:
        f = row.split("\t")
        if len(f) >= 12 and f[0] == "5" and f[11].strip():
            out.append((f[11].strip(), float(f[10])))
    return out


def ocr_tsv(tsv: str) -> tuple[str, list[list[float]]]:
    """Tesseract's TSV output as a run reads it: one line per OCR line, normalised, with the
    confidence of each token of each line (`word_confidences`)."""
    lines: dict[tuple[str, ...], list[str]] = {}
    for row in tsv.splitlines()[1:]:
        f = row.split("\t")
        if len(f) >= 12 and f[0] == "5" and f[11].strip():
            lines.setdefault(tuple(f[1:5]), []).append(f[11].strip())
    text = cast(str, normalize("\n".join(" ".join(ws) for ws in lines.values())))
    return text, word_confidences(text, tsv_words(tsv))
