"""Text in the legacy Vietnamese font encodings TCVN3 (ABC) and VNI, detected and converted.

Older archives were typed with .VnTime (TCVN3) or VNI-Times fonts: their PDF text layers and
.docx files carry Latin-1 code points that only those fonts draw as Vietnamese letters
('ViÖt Nam', 'Vieät Nam'). `fix` converts such text to Unicode when the conversion turns
clearly more words into Vietnamese syllables; other text is returned as it is.
"""
from __future__ import annotations

import unicodedata

import regex

from .lexicon import is_syllable_shape

# TCVN3 (ABC): one byte per letter. Lowercase letters (the 'H' fonts draw the same codes as capitals).
_TCVN3_PAIRS = ("µà ¸á ¶ả ·ã ¹ạ ¨ă »ằ ¾ắ ¼ẳ ½ẵ Æặ ©â Çầ Êấ Èẩ Éẫ Ëậ ®đ Ìè Ðé Îẻ Ïẽ Ñẹ "
                "ªê Òề Õế Óể Ôễ Öệ ×ì Ýí Øỉ Üĩ Þị ßò ãó áỏ âõ äọ «ô åồ èố æổ çỗ éộ "
                "¬ơ êờ íớ ëở ìỡ îợ ïù óú ñủ òũ ôụ \u00adư õừ øứ öử ÷ữ ùự úỳ ýý ûỷ üỹ þỵ")
TCVN3 = {pair[0]: pair[1] for pair in _TCVN3_PAIRS.split(" ")}
TCVN3.update({"¡": "Ă", "¢": "Â", "§": "Đ", "£": "Ê", "¤": "Ô", "¥": "Ơ", "¦": "Ư"})

# VNI: a base letter followed by mark characters. Built from the scheme, capitals first.
_TONES_U = {"Ù": "\u0301", "Ø": "\u0300", "Û": "\u0309", "Õ": "\u0303", "Ï": "\u0323"}
_HAT_TONES_U = {"Á": "\u0301", "À": "\u0300", "Å": "\u0309", "Ã": "\u0303", "Ä": "\u0323"}  # after Â/Ê/Ô
_BREVE_TONES_U = {"É": "\u0301", "È": "\u0300", "Ú": "\u0309", "Ü": "\u0303", "Ë": "\u0323"}  # after Ă


def _vni_table() -> dict[str, str]:
    t: dict[str, str] = {}

    def add(code: str, text: str) -> None:
        t[code] = unicodedata.normalize("NFC", text)
        t[code.lower()] = unicodedata.normalize("NFC", text.lower())

    for base in "AEOUY":
        for mark, comb in _TONES_U.items():
            add(base + mark, base + comb)
    for base, hat in (("A", "Â"), ("E", "Ê"), ("O", "Ô")):
        add(base + "Â", hat)
        for mark, comb in _HAT_TONES_U.items():
            add(base + mark, hat + comb)
    add("AÊ", "Ă")
    for mark, comb in _BREVE_TONES_U.items():
        add("A" + mark, "Ă" + comb)
    for code, letter in (("Ô", "Ơ"), ("Ö", "Ư")):
        add(code, letter)
        for mark, comb in _TONES_U.items():
            add(code + mark, letter + comb)
    for code, text in (("Í", "Í"), ("Ì", "Ì"), ("Æ", "Ỉ"), ("Ó", "Ĩ"), ("Ò", "Ị"), ("Î", "Ỵ"), ("Ñ", "Đ")):
        add(code, text)
    return t


VNI = _vni_table()
_VNI_RX = regex.compile("|".join(sorted(map(regex.escape, VNI), key=len, reverse=True)))
_WORD = regex.compile(r"\S+")


def tcvn3_to_unicode(text: str) -> str:
    return "".join(TCVN3.get(c, c) for c in text)


def vni_to_unicode(text: str) -> str:
    return _VNI_RX.sub(lambda m: VNI[m.group(0)], text)


def _syllables(text: str) -> int:
    n = 0
    for w in _WORD.findall(text):
        w = regex.sub(r"[^\p{L}]", "", w).lower()
        n += bool(w) and is_syllable_shape(w)
    return n


def detect(text: str) -> str:
    """'tcvn3', 'vni' or '' (Unicode or unknown): the conversion that makes most syllables."""
    if not regex.search(r"[\u00a0-\u00ff]", text):
        return ""
    base = _syllables(text)
    best, best_n = "", base
    for name, conv in (("tcvn3", tcvn3_to_unicode), ("vni", vni_to_unicode)):
        n = _syllables(conv(text))
        if n > best_n:
            best, best_n = name, n
    words = max(1, len(_WORD.findall(text)))
    return best if (best_n - base) >= max(3, 0.1 * words) else ""


def fix(text: str) -> tuple[str, str]:
    """(Unicode text, encoding found or '')."""
    enc = detect(text)
    if enc == "tcvn3":
        return unicodedata.normalize("NFC", tcvn3_to_unicode(text)), enc
    if enc == "vni":
        return unicodedata.normalize("NFC", vni_to_unicode(text)), enc
    return text, ""
