"""Signing time from stamp text and from a PDF's text layer."""
import doctest
import shutil

import pytest

import pipeline.signing as signing


def test_doctests():
    assert doctest.testmod(signing).failed == 0


def test_earliest_stamp_and_no_false_times():
    t = "ttcbth@quangngai.gov.vn 10.02.2025 07:35:42 +07:00\nThời gian ký: 08/02/2025 14:42:41"
    assert signing.signed_at_from_text(t) == "2025-02-08T14:42:41+07:00"
    assert signing.signed_at_from_text("Số: 01/TTr-UBND ngày 06/01/2025") == ""
    assert signing.signed_at_from_text("31/02/2025 10:00:00") == ""


def test_pdf_without_file_is_empty(tmp_path):
    assert signing.signed_at_from_pdf(tmp_path / "missing.pdf") == ""


@pytest.mark.skipif(not shutil.which("pdftotext"), reason="poppler not installed")
def test_pdf_text_layer(tmp_path):
    from PIL import Image
    pdf = tmp_path / "blank.pdf"
    Image.new("L", (100, 100), 255).save(pdf)
    assert signing.signed_at_from_pdf(pdf) == ""
