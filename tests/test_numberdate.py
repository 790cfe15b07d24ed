"""Number and date decisions: printed values kept, handwriting trusted only when sure."""
import doctest

import pipeline.numberdate as nd
from pipeline.records import Reading


def R(field, text, conf, source="handwriting", alts=()):
    return Reading(field, text, conf, (0, 0, 1, 1), source, alts)


def test_doctests():
    assert doctest.testmod(nd).failed == 0


def test_number_keeps_leading_zero_and_typed_lookalikes():
    assert nd.decide_number("", R("number", "01", 99.5)) == ("01", "")
    assert nd.decide_number("I57", None) == ("157", "")
    assert nd.decide_number("047", R("number", "01", 60.0)) == ("", "handwriting")


def test_number_agreement_beats_threshold():
    assert nd.decide_number("364", R("number", "364", 40.0)) == ("364", "")


def test_number_never_more_than_five_digits():
    assert nd.decide_number("", R("number", "123456", 99.9))[0] == ""


def test_day_must_exist():
    assert nd.decide_date(2025, 2, "", R("day", "30", 99.9), "") == ("2025-02", "handwriting")


def test_printed_month_wins_over_handwritten():
    assert nd.decide_date(2025, 2, "", R("day", "18", 99.0), "", R("month", "03", 99.0))[0] == "2025-02-18"


def test_handwritten_month_when_none_printed():
    assert nd.decide_date(2021, "Ø†", "", R("day", "04", 99.0), "", R("month", "01", 99.0))[0] == "2021-01-04"


def test_signature_chooses_between_candidates():
    r = R("day", "26", 60.0, alts=(("20", 38.0),))
    assert nd.decide_date(2018, 3, "", r, "2018-03-21T16:41:00+07:00") == ("2018-03-20", "")


def test_day_after_signature_is_a_conflict():
    assert nd.decide_date(2021, 5, "", R("day", "18", 99.0), "2021-05-11T11:26:39") == ("2021-05", "conflict")


def test_unrelated_later_stamp_is_ignored():
    assert nd.decide_date(2018, 4, "", R("day", "03", 99.0), "2025-02-20T10:24:37") == ("2018-04-03", "")


def test_typed_day_read_by_tesseract_and_reader():
    assert nd.decide_date("2025", "02", "19", R("day", "19", 50.0, "ocr"), "") == ("2025-02-19", "")
    assert nd.decide_date("2025", "02", "9", R("day", "19", 99.5, "handwriting"), "") == ("2025-02-19", "")


def test_doubtful_year_taken_from_the_signature_only_when_the_day_fits():
    day = R("day", "03", 99.0)
    assert nd.decide_date("", "4", "", day, "2018-04-04T14:21:14+07:00") == ("2018-04-03", "")
    assert nd.decide_date("", "12", "", R("day", "31", 99.0), "2019-01-02T08:00:00") == ("2018-12-31", "")
    assert nd.decide_date("", "4", "", R("day", "20", 99.0), "2018-04-04T14:21:14") == ("", "low-confidence")
    assert nd.decide_date("", "4", "", day, "") == ("", "")


def test_reader_one_digit_off_from_doubtful_print_keeps_the_print():
    """At 100 dpi the reader took the slash for a digit ('3001' for a typed '300' Tesseract read
    at confidence 9) or cut the first digit off with 'Số:' ('76' for '176'); a turned page's
    '31' at confidence 10 beside a reader's right '311'. A fair print stands, flagged; a print
    read with almost no confidence and a reader one digit off: neither, a conflict."""
    from pipeline.document import _number_and_date
    from pipeline.fields import Value
    box = (10, 10, 60, 30)
    for printed, raw, conf, read, expected in (("", "300", 9.0, "3001", ""), ("176", "", 41.0, "76", "176"),
                                                ("", "31", 10.0, "311", ""), ("86", "", 41.0, "8", "86")):
        vals = {"number": Value("number", printed, 1, box, conf, "ocr", "low-confidence" if not printed else "")}
        if raw == "31":
            vals["number"] = Value("number", raw, 1, box, conf, "ocr")  # clean digits: not blanked, only doubtful
        if raw:
            vals["_number_raw"] = Value("_number_raw", raw)
        out = _number_and_date(vals, {"number": Reading("number", read, 100.0, box, "handwriting")}, "")
        assert (out["number"].value, out["number"].reason) == (expected, "low-confidence" if expected else "conflict")


def test_reader_shorter_than_a_garbled_print_is_not_overruled():
    """'26l1' (Tesseract put a letter in '261', confidence 37) beside a sure reader's '261': the reader stands."""
    from pipeline.document import _number_and_date
    from pipeline.fields import Value
    box = (10, 10, 60, 30)
    vals = {"number": Value("number", "2611", 1, box, 37.0, "ocr")}
    out = _number_and_date(vals, {"number": Reading("number", "261", 100.0, box, "handwriting")}, "")
    assert out["number"].value == "261"
