"""The document number and date decided from the printed OCR text and the page-image readings
(pageread: handwriting or re-read print), checked against the calendar and the signing time.
A wrong number or day is worse than an empty one: below the thresholds the value is left empty
(the date at year-month) with a review reason.

API (all pure functions, no I/O):
    decide_number(printed: str, reading: Reading | None) -> tuple[str, str]
        printed: the number Tesseract's text gave ('' if none); reading: the page's 'number'
        Reading. Returns (number or '', review reason or '').
    decide_date(printed_year, printed_month, printed_day, reading, signed_at, month_reading=None)
        -> tuple[str, str]
        printed_*: ints or digit strings from the text ('' / None / 0 when unread); reading: the
        page's 'day' Reading; signed_at: ISO 8601 signing time or ''; month_reading: the page's
        'month' Reading (used only when no valid month is printed). Returns (ISO date, or
        'YYYY-MM' / 'YYYY' / '' when not sure, review reason or '').
    Review reasons: 'handwriting', 'low-confidence', 'conflict'.
"""
from __future__ import annotations

import calendar
import re
from datetime import date, datetime

from .records import Reading, Reason

# review reasons (records.Reason) as the plain strings these functions return
HANDWRITING, LOW_CONFIDENCE, CONFLICT = Reason.HANDWRITING.value, Reason.LOW_CONFIDENCE.value, Reason.CONFLICT.value
# thresholds on Reading.confidence (0-100), chosen on the sample pages' measurements
# (bench/handwriting_bench.py): below them the readings were wrong too often to keep
NUMBER_MIN_CONF = 98.0
DAY_MIN_CONF = 85.0
DAY_MIN_CONF_SIGNED = 35.0  # when the signing time confirms the day (0-3 days before it)
MONTH_MIN_CONF = 90.0
SIGN_LAG_USUAL = 3  # days from the date to the signature, usually
SIGN_LAG_MAX = 10  # beyond this the stamp is not about the date (a later copy): not used

_LOOKALIKE = str.maketrans({"I": "1", "l": "1", "|": "1", "O": "0", "o": "0", "Ø": "0"})


def clean_number(text: str) -> str:
    """A printed number as its digits when it is one (1-5 digits, leading zero kept), else ''.

    >>> clean_number("I57"), clean_number("l57"), clean_number("01"), clean_number("047/"), clean_number("8#")
    ('157', '157', '01', '047', '')
    >>> clean_number("123456")
    ''
    """
    t = text.strip().rstrip("/:.,_").translate(_LOOKALIKE)
    return t if re.fullmatch(r"\d{1,5}", t) else ""


def printed_fits(printed: str, read: str) -> bool | None:
    """Whether a reader's digits fit what Tesseract made of the same ink: its digits (and
    lookalikes) where it read some among other marks, anything where it read none. None when it
    read no digit, or only digits (a whole misread: no evidence either way).

    >>> printed_fits("Øf", "11"), printed_fits("Øf", "01"), printed_fits("#", "06"), printed_fits("2#", "26")
    (False, True, None, True)
    >>> printed_fits("22", "02")
    """
    t = "".join(c for c in printed.translate(_LOOKALIKE) if not c.isspace()).strip(".,:;_")
    if not any(c.isdigit() for c in t) or t.isdigit():
        return None  # no digit read, or a whole number the caller already found impossible ('22')
    if len(t) != len(read):
        return None if abs(len(t) - len(read)) > 1 else False
    return all(a == b or not a.isdigit() for a, b in zip(t, read))


def _valid(text: str) -> bool:
    return bool(re.fullmatch(r"\d{1,5}", text or ""))


def decide_number(printed: str, reading: Reading | None) -> tuple[str, str]:
    """The number from Tesseract's text and the page-image reading.

    >>> decide_number("120", None)
    ('120', '')
    >>> decide_number("84", Reading("number", "24", 99.0, (0, 0, 1, 1), "handwriting"))
    ('24', '')
    >>> decide_number("04", Reading("number", "01", 60.0, (0, 0, 1, 1), "handwriting"))
    ('', 'handwriting')
    >>> decide_number("I57", Reading("number", "157", 70.0, (0, 0, 1, 1), "ocr"))
    ('157', '')
    """
    p = clean_number(printed)
    if reading is None or not _valid(reading.text):
        return (p, "") if p or reading is None else ("", LOW_CONFIDENCE)
    r = reading.text
    if p == r or (reading.source == "ocr" and not p):
        return r, ""  # two readers agree (or Tesseract's printed digits, re-read)
    if reading.confidence >= NUMBER_MIN_CONF:
        return r, ""
    if p and any(a == p and c >= NUMBER_MIN_CONF / 3 for a, c in reading.alternatives) and reading.source == "ocr":
        return p, ""
    return "", HANDWRITING if reading.source == "handwriting" else (CONFLICT if p else LOW_CONFIDENCE)


def _int(v: object) -> int:
    s = str(v or "").strip()
    return int(s) if s.isdigit() else 0


def day_exists(year: int, month: int, day: int) -> bool:
    """The day is in its month.

    >>> day_exists(2025, 2, 29), day_exists(2024, 2, 29), day_exists(2025, 4, 31)
    (False, True, False)
    """
    return 1 <= month <= 12 and 1 <= day <= calendar.monthrange(year, month)[1] if year else False


def sign_lag(year: int, month: int, day: int, signed_at: str) -> int | None:
    """Days from the date to the signature (None without a usable signing time).

    >>> sign_lag(2025, 1, 6, "2025-01-07T10:09:57+07:00")
    1
    """
    try:
        s = datetime.fromisoformat(signed_at).date()
        return (s - date(year, month, day)).days
    except (ValueError, TypeError):
        return None


def signature_usable(year: int, month: int, signed_at: str) -> bool:
    """A signing time speaks about this date when it falls in the printed month or a few days
    after it (a copy certified weeks later says nothing about the day).

    >>> signature_usable(2025, 2, "2025-02-08T14:42:41"), signature_usable(2018, 3, "2025-02-21T09:20:46")
    (True, False)
    """
    lag = sign_lag(year, month, 1, signed_at)
    return lag is not None and 0 <= lag <= calendar.monthrange(year, month)[1] - 1 + SIGN_LAG_MAX


def day_candidates(reading: Reading | None) -> dict[int, float]:
    """Day numbers read with their confidence (alternatives spelled '06' and '6' add up).

    >>> day_candidates(Reading("day", "06", 80.0, (0, 0, 1, 1), "handwriting", (("08", 15.0),)))
    {6: 80.0, 8: 15.0}
    """
    out: dict[int, float] = {}
    if reading is None:
        return out
    for t, c in ((reading.text, reading.confidence), *reading.alternatives):
        if re.fullmatch(r"\d{1,2}", t or "") and int(t):
            out[int(t)] = out.get(int(t), 0.0) + c
    return out


def decide_month(printed_month: object, month_reading: Reading | None) -> tuple[int, str]:
    """The printed month when it is one; else a confident reading of a handwritten month.

    >>> decide_month("02", None), decide_month("22", None)
    ((2, ''), (0, 'low-confidence'))
    >>> decide_month("Øf", Reading("month", "11", 99.6, (0, 0, 1, 1), "handwriting"))
    (0, 'conflict')
    """
    m = _int(printed_month)
    if 1 <= m <= 12:
        return m, ""
    if month_reading is not None and re.fullmatch(r"\d{1,2}", month_reading.text or ""):
        if printed_fits(str(printed_month or ""), month_reading.text) is False:
            return 0, CONFLICT  # 'thángØf' and a reader's '11': the printed 0 says otherwise
        r = int(month_reading.text)
        if 1 <= r <= 12 and month_reading.confidence >= MONTH_MIN_CONF:
            return r, ""
        return 0, HANDWRITING if month_reading.source == "handwriting" else LOW_CONFIDENCE
    return 0, LOW_CONFIDENCE if m or printed_month else ""


def decide_date(printed_year: object, printed_month: object, printed_day: object, reading: Reading | None,
                signed_at: str, month_reading: Reading | None = None, doubtful_day: str = "") -> tuple[str, str]:
    """The ISO date, or the date cut to year-month with a review reason when the day is unsure.
    `doubtful_day`: a day Tesseract read with doubt; a reader's other day is then a conflict,
    unless the signing time confirms it.

    >>> r = Reading("day", "06", 93.0, (0, 0, 1, 1), "handwriting")
    >>> decide_date(2025, 1, "", r, "2025-01-07T10:09:57")
    ('2025-01-06', '')
    >>> r = Reading("day", "26", 55.0, (0, 0, 1, 1), "handwriting", (("20", 40.0),))
    >>> decide_date(2018, 3, "80", r, "2018-03-21T16:41:00+07:00")
    ('2018-03-20', '')
    >>> decide_date(2025, 2, "", Reading("day", "18", 60.0, (0, 0, 1, 1), "handwriting"), "")
    ('2025-02', 'handwriting')
    >>> decide_date(2025, 2, "30", None, "")
    ('2025-02', 'low-confidence')
    >>> decide_date(2025, 2, "19", None, "")
    ('2025-02-19', '')
    >>> decide_date(2025, 2, "", Reading("day", "10", 90.0, (0, 0, 1, 1), "handwriting"), "", None, "20")
    ('2025-02', 'conflict')
    >>> decide_date(2025, 2, "", Reading("day", "1", 100.0, (0, 0, 1, 1), "handwriting"), "", None, "18")
    ('2025-02', 'conflict')
    >>> decide_date(2025, 2, "", Reading("day", "06", 99.5, (0, 0, 1, 1), "handwriting"), "", None, "08")
    ('2025-02-06', '')
    """
    y = _int(printed_year)
    if not 1900 <= y <= 2100:
        if not printed_year and signed_at:
            return _year_from_signature(printed_month, printed_day, reading, signed_at, month_reading)
        return "", LOW_CONFIDENCE if printed_year else ""
    m, why = decide_month(printed_month, month_reading)
    if not m:
        return f"{y:04d}", why
    ym = f"{y:04d}-{m:02d}"
    p = _int(printed_day)
    cands = {d: c for d, c in day_candidates(reading).items() if day_exists(y, m, d)}
    signed = signature_usable(y, m, signed_at)

    def _lag(d: int) -> int:
        lag = sign_lag(y, m, d, signed_at)
        return -1 if lag is None else lag

    def lag_ok(d: int) -> bool:
        lag = sign_lag(y, m, d, signed_at)
        return not signed or (lag is not None and 0 <= lag <= SIGN_LAG_MAX)

    if reading is None or not cands:
        if day_exists(y, m, p) and lag_ok(p) and (reading is None or reading.source == "ocr"):
            return f"{ym}-{p:02d}", ""
        if reading is None and not p and not printed_day:
            return ym, ""  # no day on the page at all
        return ym, HANDWRITING if reading is not None and reading.source == "handwriting" else LOW_CONFIDENCE
    best = max(cands, key=lambda d: cands[d])
    if day_exists(y, m, p) and p == best and lag_ok(p):
        return f"{ym}-{p:02d}", ""  # Tesseract and the reader agree
    if reading.source == "ocr" and best == int(reading.text or 0) and lag_ok(best):
        return f"{ym}-{best:02d}", ""
    if signed:
        usual = {d: c for d, c in cands.items() if 0 <= _lag(d) <= SIGN_LAG_USUAL}
        if usual:
            b = max(usual, key=lambda d: usual[d])
            rest = max([c for d, c in usual.items() if d != b], default=0.0)
            if usual[b] >= DAY_MIN_CONF_SIGNED and usual[b] >= 2 * rest:
                return f"{ym}-{b:02d}", ""
        if not 0 <= _lag(best) <= SIGN_LAG_USUAL:
            return ym, CONFLICT  # the likeliest day does not fit the signing time
    lost = bool(doubtful_day) and len(reading.text) < len(doubtful_day) and (
        doubtful_day.endswith(reading.text) or doubtful_day.startswith(reading.text))  # '1' for '18tháng': a digit lost
    if doubtful_day and _int(doubtful_day) != best and (cands[best] < 99 or lost):
        return ym, CONFLICT  # Tesseract's doubtful day and the reader's differ: a person decides
    if cands[best] >= DAY_MIN_CONF:
        if day_exists(y, m, p) and p != best and reading.source != "handwriting" and cands[best] < 97:
            return ym, CONFLICT
        return f"{ym}-{best:02d}", ""
    return ym, HANDWRITING if reading.source == "handwriting" else LOW_CONFIDENCE


def _year_from_signature(printed_month: object, printed_day: object, reading: Reading | None, signed_at: str,
                         month_reading: Reading | None) -> tuple[str, str]:
    """A date whose year was not read (or read with doubt): the signing stamp's year (the year
    before for a December date signed in January) when month and day put the date 0-3 days
    before the signature; else no date.

    >>> _year_from_signature("4", "", Reading("day", "03", 99.0, (0, 0, 1, 1), "handwriting"), "2018-04-04T14:21:14", None)
    ('2018-04-03', '')
    >>> _year_from_signature("4", "", Reading("day", "23", 99.0, (0, 0, 1, 1), "handwriting"), "2018-04-04T14:21:14", None)
    ('', 'low-confidence')
    """
    try:
        s = datetime.fromisoformat(signed_at).date()
    except ValueError:
        return "", LOW_CONFIDENCE
    m = _int(printed_month)
    y = s.year - 1 if m > s.month else s.year
    d, why = decide_date(y, printed_month, printed_day, reading, signed_at, month_reading)
    if len(d) == 10 and not why and 0 <= (s - date.fromisoformat(d)).days <= SIGN_LAG_USUAL:
        return d, ""
    return "", LOW_CONFIDENCE
