"""Header and signature fields read zone by zone from a document's layout, each value with its
evidence (page, box, confidence, source) and, where a person should look, a review reason.

A value that fails its check (an issuer that is no known kind of body, a place no gazetteer
knows, a name whose first word is no surname) is left empty and flagged: a wrong value costs a
lost document, an empty one a look. Each rule is a small function with a docstring example.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Protocol, cast

import regex
from rapidfuzz import fuzz
from rapidfuzz.distance import Levenshtein

from .gazetteer import Gazetteer, key
from .layout import DocLayout, Segment, Zone, box_union, folded, mean_conf
from .lexicon import fold, is_syllable_shape, shape, tone_count, tone_new
from .occlusion import likely_fit, read_fit, sealed_line, split_words, unique_fit
from .records import Reason, Word


class Fix(Protocol):
    """A text corrector (the restorer) that keeps lines; `confidences` are Tesseract's, per line
    and word, so a confident word needs stronger evidence to change."""

    def __call__(self, text: str, confidences: Sequence[Sequence[float]] | None = None) -> str: ...


def keep(text: str, confidences: Sequence[Sequence[float]] | None = None) -> str:
    """The corrector that corrects nothing (text inputs, tests)."""
    return text

DOC_TYPES = ("Kế hoạch", "Quyết định", "Báo cáo", "Công văn", "Tờ trình", "Chỉ thị", "Thông báo",
             "Nghị quyết", "Hướng dẫn", "Chương trình", "Giấy mời", "Thông tư", "Nghị định", "Đề án",
             "Phương án", "Quy chế", "Quy định", "Biên bản", "Công điện", "Kết luận", "Đề án",
             "Thông cáo", "Hợp đồng", "Giấy ủy quyền", "Giấy giới thiệu", "Phiếu gửi", "Thư công")
SYMBOL_TYPES = {"KH": "Kế hoạch", "QĐ": "Quyết định", "BC": "Báo cáo", "TTr": "Tờ trình",
                "CT": "Chỉ thị", "TB": "Thông báo", "NQ": "Nghị quyết", "HD": "Hướng dẫn",
                "CTr": "Chương trình", "GM": "Giấy mời", "ĐA": "Đề án", "PA": "Phương án",
                "QC": "Quy chế", "BB": "Biên bản", "CĐ": "Công điện", "KL": "Kết luận"}
LEVELS = ("đặc khu", "thành phố", "thị trấn", "thị xã", "phường", "xã", "tỉnh", "quận", "huyện")
MIN_CONF = 60.0  # mean word confidence under which a value is flagged low-confidence
PRINTED_CONF = 88.0  # a number or day read with less than this may be handwriting
MONTH_CONF = 40.0  # a month read with less is not taken, the year is (dev pages: a wrong '09' at 16, right ones >= 48)


@dataclass(frozen=True)
class Value:
    """One field's value and where it came from; `reason` non-empty asks for review."""
    field: str
    value: object
    page: int = 0
    box: tuple[int, int, int, int] | None = None
    confidence: float | None = None
    source: str = "ocr"
    reason: str = ""


def _val(field: str, value: object, segs: list[Segment] | tuple[Segment, ...], reason: str = "") -> Value:
    if not segs:
        return Value(field, value, reason=reason)
    conf = mean_conf(segs)
    if not reason and value and conf < MIN_CONF:
        reason = Reason.LOW_CONFIDENCE.value
    return Value(field, value, segs[0].page, box_union(segs), conf, "ocr", reason)


# ---------------------------------------------------------------- small text rules

def strip_noise(s: str) -> str:
    """'__ ——.. CHỦ TỊCH' -> 'CHỦ TỊCH'; 'ỦY BAN ˆ' -> 'ỦY BAN': marks of rules, seals and
    scribbles at either end go, and tokens with no letter or digit."""
    s = " ".join(t for t in s.split() if regex.search(r"[\p{Lu}\p{Ll}\d]", t) or t in ("-", "–"))
    s = regex.sub(r"^[^\p{L}\d(]+", "", s)
    return regex.sub(r"[^\p{L}\d.)]+$", "", s).strip()


def is_caps_line(s: str) -> bool:
    """'TỈNH QUẢNG NGÃI' yes; 'Quảng Ngãi' no: at least four letters, 80 % of them capitals."""
    letters = [c for c in s if c.isalpha()]
    return len(letters) >= 4 and sum(c.isupper() for c in letters) >= 0.8 * len(letters)


def cap_first(s: str) -> str:
    return s[:1].upper() + s[1:]


def title_words(s: str) -> str:
    """'QUẢNG NGÃI' -> 'Quảng Ngãi'; 'BÀ RỊA - VŨNG TÀU' -> 'Bà Rịa - Vũng Tàu'."""
    return " ".join(cap_first(w.lower()) for w in s.split())


def org_case(s: str, kind: str = "") -> str:
    """'SỞ TÀI NGUYÊN VÀ MÔI TRƯỜNG' -> 'Sở Tài nguyên và Môi trường': the kind of body (as the
    gazetteer writes it) and the first word of each part of its name (parts split by 'và', '-',
    ',') take a capital."""
    low = " ".join(s.lower().split())
    if kind and key(low).startswith(key(kind)):
        n = len(kind.split())
        rest = " ".join(low.split()[n:])
        return kind + (" " + org_case(rest) if rest else "")
    parts = regex.split(r"(\s+và\s+|\s*-\s*|,\s*)", low)
    out = [cap_first(p) if i % 2 == 0 else p for i, p in enumerate(parts)]
    return "".join(out)


def pick_spelling(written: str, known: tuple[str, ...]) -> str:
    """Which of the unit names sharing a folded form the document means: its own spelling when
    that is one of them up to where the tone mark sits ('Thanh Hóa' for 'Thanh Hoá'), else the
    only one there is; '' when the marks leave it open ('Thanh Hoà' or 'Thanh Hoá'?)."""
    w = title_words(written) if is_caps_line(written) else " ".join(written.split())
    for k in known:
        if tone_new(w) == tone_new(k):
            return w
    forms = {tone_new(k) for k in known}
    return known[0] if len(forms) == 1 else ""


SURE_CONF = 88.0  # mean word confidence of a line read cleanly (typed, no stamp or seal over it)


def plain_name(name: str, known: Callable[[str], bool]) -> str:
    """'EA YÔNG' -> 'Ea Yông'; a name of one to four known syllables, capitalised; else ''."""
    words = strip_noise(name).split()
    if not 1 <= len(words) <= 4 or not all(w.isalpha() and (known(w.lower()) or is_syllable_shape(w.lower()))
                                           for w in words):
        return ""
    return " ".join(cap_first(w.lower()) for w in words)


def match_place(name: str, gaz: Gazetteer) -> str:
    """'QUẢNG NGÃI', 'Quang Ngai', 'QUANG NGAÀI' -> 'Quảng Ngãi' (the gazetteer's spelling, or the
    document's where they differ only in tone placement); a name one letter from exactly one unit
    is that unit; anything else ('Ea Yông' is not 'Ea Drông') ''."""
    k = key(name)
    if not k:
        return ""
    if k in gaz.places:
        return pick_spelling(name, gaz.places[k])
    if len(k) < 8:  # 'Đã Lập' is one letter from 'Đà Lạt': short names get no benefit of the doubt
        return ""
    near = [pv for pk, pv in gaz.places.items() if abs(len(pk) - len(k)) <= 1 and Levenshtein.distance(k, pk) <= 1]
    return pick_spelling(near[0][0], near[0]) if len(near) == 1 else ""  # one letter off, and only one unit


# ---------------------------------------------------------------- issuer

LOCAL_BODIES = ("Sở", "Phòng", "Chi cục", "Văn phòng", "Ban", "Trung tâm", "Đảng ủy", "Công an")
# bodies that belong to a province, district or commune: named without one, the issuer is unknown

_UBND = regex.compile(r"^(?:ỦY|UỶ|UY|ÚY|ỦỶ)\s*BAN\s*NH[ÂA]N\s*D[ÂAẪ]N\b\s*(.*)$")
_HDND_FULL = regex.compile(r"^H[ỘO]I\s*Đ[ỒO]NG\s*NH[ÂA]N\s*D[ÂA]N\b\s*(.*)$")
_HDND = regex.compile(r"^(?:HỘI\s+ĐỒNG\s+NHÂN\s+DÂN|HĐND|UBND)\s+(.*)$")


def split_level(rest: str) -> tuple[str, str]:
    """'TỈNH QUẢNG NGÃI' -> ('tỉnh', 'QUẢNG NGÃI'); 'THÀNH PHỐ HÀ NỘI' -> ('thành phố', 'HÀ NỘI')."""
    f = folded(rest)
    for lv in LEVELS:
        fl = folded(lv)
        if f.startswith(fl + " "):
            n = len(lv.split())
            return lv, " ".join(rest.split()[n:])
    return "", rest


def rule_issuer(lines: list[str], gaz: Gazetteer, unit: Callable[[str], str] | None = None) -> tuple[str, str, str]:
    """Left header lines -> (issuer, level, unit name):
    ['ỦY BAN NHÂN DÂN', 'TỈNH QUẢNG NGÃI'] -> ('Ủy ban nhân dân tỉnh Quảng Ngãi', 'tỉnh', 'Quảng Ngãi');
    ['UBND TỈNH LÀO CAI', 'SỞ Y TẾ'] -> ('Sở Y tế tỉnh Lào Cai', 'tỉnh', 'Lào Cai');
    ['HĐND TỈNH HƯNG YÊN', 'VĂN PHÒNG'] -> ('Văn phòng HĐND tỉnh Hưng Yên', 'tỉnh', 'Hưng Yên');
    ['BỘ TƯ PHÁP'] -> ('Bộ Tư pháp', '', ''). Anything else -> ('', '', '').
    A unit's name must be one the gazetteer knows, or one `unit` vouches for (a name of a unit
    that no longer exists, read with confidence)."""
    find = unit or (lambda name: match_place(name, gaz))
    lines = [regex.sub(r"\s+", " ", strip_noise(ln)) for ln in lines]
    lines = [ln for ln in lines if is_caps_line(ln)]
    if not lines:
        return "", "", ""
    joined = " ".join(lines)
    m = _UBND.match(joined)
    hd = _HDND_FULL.match(joined)
    if hd:
        level, name = split_level(hd.group(1))
        place = find(name) if level else ""
        if place:
            return f"Hội đồng nhân dân {level} {place}", level, place
    if m:
        level, name = split_level(m.group(1))
        place = find(name) if level else ""
        if place:
            return f"Ủy ban nhân dân {level} {place}", level, place
    # a parent body over the issuer: 'UBND TỈNH X' / 'SỞ Y TẾ'
    for i in range(1, len(lines)):
        parent, lower = " ".join(lines[:i]), " ".join(lines[i:])
        pm = _HDND.match(parent) or _UBND.match(parent)
        if not pm:
            continue
        level, name = split_level(pm.group(1))
        place = find(name) if level else ""
        body = body_kind(lower, gaz)
        if not place or not body:
            continue
        if folded(lower) == "van phong":
            head = "HĐND" if regex.match(r"^(?:HỘI|HĐND)", parent) else "UBND"
            return f"Văn phòng {head} {level} {place}", level, place
        return f"{org_case(lower, body)} {level} {place}", level, place
    body = body_kind(joined, gaz)
    if body and not (m or _HDND.match(joined)) and body not in LOCAL_BODIES:
        return org_case(joined, body), "", ""  # a council, committee or department names its unit
    return "", "", ""


def body_kind(text: str, gaz: Gazetteer) -> str:
    """The kind of body a name starts with: 'SỞ Y TẾ' -> 'Sở'; 'BỘ TƯ PHÁP' -> 'Bộ'; else ''."""
    f = key(text)
    for b in gaz.bodies:
        kb = key(b)
        if f == kb or f.startswith(kb + " "):
            return b
    return ""


# ---------------------------------------------------------------- number, symbol, place, date

_SO = regex.compile(r"^\W*[Ss][oóòỏõọôốồổỗộơớờởỡợOÓÒỎÕỌÔỐỒỔỖỘƠỚỜỞỠỢ06]?\s*[:;.,]?\s*(?P<num>[^/]*?)\s*/\s*(?P<sym>\S.*)$")
_SYMBOL = regex.compile(r"^((?:\d{4}/)?[\p{Lu}Đ][\p{L}\d]*(?:\s*[-–.]\s*[\p{Lu}Đ\d][\p{L}\d]*)*)")


_BARE_SYMBOL = regex.compile(r"^\W*[Ss]\S{0,2}\s*[:;.,]\s*(?P<sym>[\p{Lu}Đ][\p{L}]{0,4}\s*-\s*[\p{Lu}Đ][\p{L}\d]*)")


def is_blank_slot(text: str) -> bool:
    """'Số: /QĐ-UBND', 'Số: ……/QĐ-UBND', 'Số: _/QĐ-UBND' yes (a draft's blank); 'Số: 12/…',
    'Số: # /…' (ink OCR could not read) no."""
    m = _SO.match(text.strip())
    return bool(m) and not regex.sub(r"[\s_.…·:,-]", "", m.group("num"))


def rule_number_symbol(text: str) -> tuple[str, str, bool]:
    """'Số: 129/KH-UBND' -> ('129', 'KH-UBND', True); 'Số: 84 /TTr -UBND' -> ('84', 'TTr-UBND', True);
    'Số: # /CT-UBND' -> ('', 'CT-UBND', False): the number is not plain digits (ink?);
    'Số: l76/QĐ-UBND' -> ('176', 'QĐ-UBND', False): typed 'l' for '1', read but less sure."""
    m = _SO.match(text.strip())
    if not m:
        b = _BARE_SYMBOL.match(text.strip())  # 'Số: KH-UBND': a draft's blank number, the slash lost
        return ("", regex.sub(r"\s+", "", b.group("sym")), True) if b else ("", "", False)
    sm = _SYMBOL.match(m.group("sym").strip())
    symbol = regex.sub(r"\s+", "", sm.group(1)).replace("–", "-").strip(".-") if sm else ""
    symbol = regex.sub(r"Đ{2,}", "Đ", symbol.replace("Ð", "Đ"))  # OCR doubles the bar letter: 'QĐÐ'
    num = m.group("num").replace(" ", "").strip("_.,:;")  # specks beside the digits: 'Số:.300
    mapped = False
    if regex.fullmatch(r"[0-9IlO|]{1,5}", num) and regex.search(r"\d", num) and not regex.fullmatch(r"\d+", num):
        num, mapped = num.translate(str.maketrans("IlO|", "1101")), True
    clean = bool(regex.fullmatch(r"\d{1,5}", num)) or num == ""
    return (num if clean else ""), symbol, (clean and not mapped) if num else clean


def symbol_parts_ok(symbol: str) -> bool:
    """'TTr-UBND', 'QĐ-BLĐTBXH', 'UBND-KGVX' yes; 'TTIr-UBND' no: a code part with small letters
    is a known kind ('TTr', 'CTr'), the others are capitals and digits."""
    return all(part in SYMBOL_TYPES or not regex.search(r"\p{Ll}", part)
               for part in regex.split(r"[-.]", symbol.split("/")[-1]))


_A = "[aàáảãạăằắẳẵặâầấẩẫậ]"  # 'tháng' read 'thắng', 'ngày' read 'ngảy': the anchor words' marks vary
_DATE = regex.compile(rf"^(?P<place>.*?)\s*[,.]\s*ng{_A}y?\s*(?P<day>\S*?)\s*th{_A}ng\s*(?P<month>\S*?)\s*n{_A}m\s*(?P<year>\d{{4}})")


_SPECKS = "_.,:;'`"  # dirt OCR reads beside digits


def rule_place_date(text: str) -> tuple[str, str, str, str]:
    """'Quảng Ngãi, ngày 06 tháng 01 năm 2025' -> ('Quảng Ngãi', '06', '01', '2025'): the parts as
    written (day or month may be ink that OCR garbled: the caller judges them). Ink over 'ngày'
    ('ngàW/† tháng 5 năm 2021') leaves the rest: ('Quảng Ngãi', 'W/†', '5', '2021'). A speck
    beside a day or month is not part of it ('ngày 19. thắng 02' at 100 dpi).

    >>> rule_place_date("Ninh Thuận, ngày 19. thắng 02 năm 2025")
    ('Ninh Thuận', '19', '02', '2025')
    """
    m = _DATE.search(text)
    if not m:
        return "", "", "", ""
    return (strip_noise(m.group("place")), m.group("day").strip(_SPECKS), m.group("month").strip(_SPECKS),
            m.group("year"))



def iso_date(year: str, month: str, day: str) -> str:
    """('2025', '01', '06') -> '2025-01-06'; an unreadable day gives '2025-01'; a bad month '2025'."""
    if not regex.fullmatch(r"(19|20)\d\d", year):
        return ""
    if not regex.fullmatch(r"\d{1,2}", month) or not 1 <= int(month) <= 12:
        return year
    out = f"{year}-{int(month):02d}"
    if regex.fullmatch(r"\d{1,2}", day):
        import calendar
        if 1 <= int(day) <= calendar.monthrange(int(year), int(month))[1]:
            out += f"-{int(day):02d}"
    return out


# ---------------------------------------------------------------- kind and title

def rule_kind(line: str) -> str:
    """'CHỈ THỊ' -> 'Chỉ thị'; 'CHÍ THỊ' (OCR) -> 'Chỉ thị'; 'QUYẾT ĐỊNH:' -> 'Quyết định'; else ''."""
    t = strip_noise(line).rstrip(":").strip()
    if not is_caps_line(t) or len(t.split()) > 4:
        return ""
    k = key(t)
    best, score = "", 0.0
    for d in DOC_TYPES:
        sc = fuzz.ratio(k, key(d))
        if sc > score:
            best, score = d, sc
    return best if score >= 85 else ""


_VE_VIEC = regex.compile(r"^[^\p{L}]*(?:v[eêềếể]|và)\s*vi[eệê]c\b\s*", regex.I)
_VV = regex.compile(r"^[^\p{L}]*[Il|]?V\s*[/|l1]\s*[vV]\b\.?\s*")
_TITLE_STOP = regex.compile(r"^(?:kinh\s*gui|can\s*cu|dieu\s*\d|thuc\s*hien|xet\s)")


def rule_title_start(title: str) -> str:
    """',Vêviệc triển khai' -> 'Về việc triển khai'; 'và việc miễn nhiệm' -> 'Về việc miễn nhiệm'
    (a summary that starts with 'Về việc' as OCR misread it); 'V/V ...' -> 'V/v ...'."""
    if _VV.match(title):
        return "V/v " + _VV.sub("", title, count=1)
    if _VE_VIEC.match(title):
        return "Về việc " + _VE_VIEC.sub("", title, count=1)
    return title


def _starts_body(line: str) -> bool:
    """A line that opens the body, not one that continues the title: 'Căn cứ …', 'Thực hiện …',
    'Kính gửi: …', 'Điều 1.', capitalised ('… thực hiện dự án …' on a title's second line is not)."""
    first = next((c for c in line if c.isalpha()), "")
    return first.isupper() and bool(_TITLE_STOP.match(folded(line.lstrip(" -–•*'\""))))


def title_opens(title: str) -> bool:
    """A summary opens with a capital ('Về việc …', 'V/v …', 'Ban hành …'); one that opens in
    lower case ('trình nội bộ giải quyết …') is the end of a title whose first lines OCR lost.
    An empty title is no evidence either way."""
    first = next((c for c in title if c.isalpha()), "")
    return not first or first.isupper()


# ---------------------------------------------------------------- signature

AUTH_WORDS = ("TM.", "KT.", "TL.", "TUQ.", "Q.")  # thay mặt, ký thay, thừa lệnh, thừa ủy quyền, quyền
_AUTH = regex.compile(r"^(" + "|".join(a.rstrip(".").lower() for a in AUTH_WORDS) + r")\s*[.,]\s*(.*)$")


def rule_signature(lines: list[str], gaz: Gazetteer, raw: list[str] | None = None,
                   blocked: frozenset[int] = frozenset()) -> tuple[str, str, int, int]:
    """Signature lines top to bottom -> (authority, position, index of the position line,
    index of the first line after the block's titles). ['TM. ỦY BAN NHÂN DÂN', 'KT. CHỦ TỊCH',
    'PHÓ CHỦ TỊCH'] -> ('TM. KT.', 'Phó Chủ tịch', 2, 3); ['CHỦ TỊCH'] -> ('', 'Chủ tịch', 0, 1).
    `raw`, the lines as OCR read them, are tried first: a corrector may take 'THỨ' for 'THỦ'.
    A `blocked` line (a seal hid letters that more than one position could fill) gives none."""
    auth: list[str] = []
    principal = ""
    i = 0
    while i < len(lines):
        f = folded(strip_noise(lines[i]))
        m = _AUTH.match(f)
        if not m or m.group(1).upper() + "." in auth:  # each authority word once: 'TM. TM.' is a misread
            break
        auth.append(m.group(1).upper() + ".")
        principal = m.group(2)
        i += 1
    for j in range(i, min(i + 3, len(lines))):
        pos = ""
        if j in blocked:
            break
        for text in ((raw[j],) if raw else ()) + (lines[j],):
            pos = match_position(strip_noise(text), gaz, principal)
            if pos:
                break
        if pos:
            return " ".join(auth), pos, j, j + 1
    return " ".join(auth), "", -1, i


def match_position(line: str, gaz: Gazetteer, principal: str = "") -> str:
    """'PHÓ CHỦ TỊCH' -> 'Phó Chủ tịch'; 'PHO CHU TỊCH' -> 'Phó Chủ tịch'; 'THỨ TRƯỞNG' ->
    'Thứ trưởng' (not 'Thủ trưởng': marks count where they were read). Under 'KT. X' the
    signer is X's deputy: '?? CHỦ TỊCH' under 'KT. CHỦ TỊCH' -> 'Phó Chủ tịch'."""
    if not line or not is_caps_line(line):
        return ""
    low = tone_new(" ".join(line.lower().split()))
    k = key(line)
    for p in gaz.positions:  # 'GIÁM ĐỐC SỞ NỘI VỤ' -> 'Giám đốc Sở Nội vụ'
        kp = key(p)
        if k.startswith(kp + " ") and body_kind(line[len(p):].strip(), gaz):
            rest = " ".join(line.split()[len(p.split()):])
            return f"{p} {org_case(rest, body_kind(rest, gaz))}"
    marked = {tone_new(p.lower()): p for p in gaz.positions}
    if low in marked:
        return marked[low]
    if principal:
        deputy = "thứ trưởng" if principal.startswith("bo truong") else "phó " + principal
        cands = [p for p in gaz.positions if key(p) == key(deputy)]
        exact = [p for p in cands if tone_new(p.lower()) == tone_new(deputy)]
        if (exact or len(cands) == 1) and fuzz.ratio(k, key(deputy)) >= 75:
            return (exact or cands)[0]
    scored = sorted(((fuzz.ratio(low, m), p) for m, p in marked.items()), reverse=True)
    if scored and scored[0][0] >= 88 and (len(scored) < 2 or scored[1][0] < scored[0][0]):
        return scored[0][1]
    folded_hits = sorted(((fuzz.ratio(k, key(p)), p) for p in gaz.positions), reverse=True)
    if folded_hits and folded_hits[0][0] >= 88 and (len(folded_hits) < 2 or folded_hits[1][0] < folded_hits[0][0]):
        return folded_hits[0][1]
    return ""


SEAL_NAME_CONF = 95.0  # a name read under a seal with less confidence must be as read, all known given names


def _doubtful_under_opaque(seg: Segment, position: str, lay: DocLayout, gaz: Gazetteer) -> bool:
    """A position read with doubt from a line whose letters a seal as dark as the print hid,
    where what is left fits another position too: 'CHỦ TỊCH' with room under the ring before it."""
    seals = lay.opaque_on(seg.page)
    if not seals or seg.conf >= SURE_CONF:
        return False
    line = sealed_line(seg.words, seals, seals)
    return line.hidden and unique_fit(line, gaz.positions, folded=True) != position


def _doubtful_authority(sig: list[Segment], authority: str, lay: DocLayout) -> bool:
    """An authority word read from letters a seal's ring hid, which another authority word fits
    as well ('TL,' where the seal left '___': 'TUQ.' too)."""
    for seg, word in zip(sig, authority.split()):
        seals = lay.seals_on(seg.page)
        if not seals or seg.conf >= SURE_CONF or not _under(seg, lay.seals):
            continue
        first = [w for w in seg.words if strip_noise(w.text)][:1]
        if not first:
            continue
        w = first[0]
        bare = Word(w.text.rstrip(".,:;"), w.conf, w.left, w.top,
                    max(1, round(w.width * len(w.text.rstrip(".,:;")) / max(len(w.text), 1))), w.height, w.line)
        line = sealed_line([bare], seals, lay.opaque_on(seg.page))
        if line.hidden and unique_fit(line, [a.rstrip(".") for a in AUTH_WORDS], folded=True) != word.rstrip("."):
            return True
    return False


def _caps_seen(text: str) -> bool:
    """Most letters read are capitals (a title line with some letters a seal garbled: 'CHU TIf?H')."""
    letters = [c for c in text if c.isalpha()]
    return len(letters) >= 3 and sum(c.isupper() for c in letters) >= 0.75 * len(letters)


def sealed_caps(seg: Segment, seals: list[tuple[int, int, int, int]], gaz: Gazetteer,
                opaque: Sequence[tuple[int, int, int, int]] = ()) -> tuple[str, bool]:
    """A signature title line whose letters a seal's ring hid -> (the line repaired, whether a
    position may be read from it). The position is the one that fits what is left ('CHU TI:H'
    -> 'CHỦ TỊCH'); the authority word too ('£M. ỦY BAN' -> 'TM. ỦY BAN'). When letters are hidden
    and several positions fit ('CHU TICH' with a word's room under the ring before it: 'PHÓ CHỦ
    TỊCH' too, or 'TL. CHỦ TỊCH'), none may be read. A line the seal left whole is returned as read."""
    line = sealed_line(seg.words, seals, opaque)
    if not line.hidden:
        return seg.text, True
    # 'KT. CHỦ TỊCH' is a line too ('TM.' is followed by a body, not a position)
    chains = [f"{a} {p}" for a in AUTH_WORDS if a != "TM." for p in gaz.positions]
    lines = list(gaz.positions) + chains
    pos = unique_fit(line, lines, folded=True) or unique_fit(line, lines, folded=True, edits=1)
    if pos:
        return pos.upper(), pos not in chains
    first = sealed_line(seg.words[:1], seals, opaque)
    auth = unique_fit(first, AUTH_WORDS, folded=True) if first.hidden else ""
    if auth and len(seg.words) > 1:
        return " ".join([auth] + [w.text for w in seg.words[1:]]), False
    return seg.text, False


def _changed_hidden(seg: Segment, name: str, seals: list[tuple[int, int, int, int]],
                    opaque: Sequence[tuple[int, int, int, int]] = ()) -> bool:
    """A given name of `name` differs from what was read in a word whose letters a seal's ring hid:
    a grave read for an acute is OCR's slip on a visible word, on a hidden one it is no evidence."""
    words = [w for w in seg.words if strip_noise(w.text)]
    out = name.split()
    parts = split_words(sealed_line(words, seals, opaque)) if words else []
    if len(words) != len(out) or len(parts) != len(words):
        return True
    return any(i and strip_noise(w.text) != o and p.hidden for i, (w, o, p) in enumerate(zip(words, out, parts)))


# Tesseract's words read at this confidence or above were wrong in 2 % (lexicon's ocr_confidence.tsv,
# held-out corpus renders): a syllable read so surely stands against two or more names that differ
# from it by a tone mark (each of those would need that rare slip, and one tone of several).
CLEAR_CONF = 95.0


def _visible_given(w: Word, given: Mapping[str, int]) -> str:
    """A given name the seal left whole: as read when people have it; the one given name it
    differs from by a tone mark ('Tuần' -> 'Tuấn'); as read when no given name has its letters
    and OCR was sure of it, or several differ from it by a tone and OCR was surer ('Điện',
    not 'Điền' or 'Điển'); else ''."""
    lw = w.text.lower()
    if lw in given:
        return w.text
    alts = [g for g in given if shape(g) == shape(lw) and len(g) == len(lw)]
    if len(alts) == 1 and tone_count(alts[0]) and tone_count(lw):
        return cap_first(alts[0])
    sure = w.conf >= (CLEAR_CONF if alts else SURE_CONF)
    return w.text if sure and _NAME_WORD.match(w.text) and is_syllable_shape(lw) else ""


TONE_PRIOR = 10  # a doubtful name syllable is left to a person when a tone variant is this much commoner


def doubtful_tone(seg: Segment, name: str, given: Mapping[str, int]) -> bool:
    """A given-name syllable read with doubt (< CLEAR_CONF) that a far commoner name differs from
    by a tone mark only: 'Tuân' read at 93 on a 100-dpi scan where 'Tuấn' (rank 7, Tuân 161) was
    written; 'Thi' for 'Thị'. OCR drops and swaps tone marks on poor scans even in words it is
    fairly sure of, and a name is not a word the language model can check."""
    confs = {strip_noise(w.text).lower(): w.conf for w in seg.words}
    for syl in name.lower().split()[1:]:
        if syl not in given or confs.get(syl, 100.0) >= CLEAR_CONF:
            continue
        if any(v != syl and len(v) == len(syl) and shape(v) == shape(syl)
               and given[syl] + 1 >= TONE_PRIOR * (given[v] + 1) for v in given):
            return True
    return False


_INNER_SIGN = regex.compile(r"(?<=\p{L})[^\p{L}\s](?=\p{L})")  # 'L.ưu': no name has a sign inside a word


def sealed_name(seg: Segment, seals: list[tuple[int, int, int, int]], gaz: Gazetteer,
                given: Mapping[str, int], opaque: Sequence[tuple[int, int, int, int]] = ()) -> str:
    """A signer's name whose letters a seal's ring hid: each word the one surname (first) or
    given name (after) that fits what is left, else ''. A word the seal left whole must be one as
    read. 'Đặng Xu+a Điện' -> 'Đặng Xuân Điện' when Xuân is the only given name that fits. A
    sign between two letters of a name ('L.ưu') is a mark of the seal over a letter."""
    words = [replace(w, text=_INNER_SIGN.sub("?", w.text)) for w in seg.words if strip_noise(w.text)]
    if not 2 <= len(words) <= 5:
        return ""
    parts = split_words(sealed_line(words, seals, opaque))
    if len(parts) != len(words):
        return ""
    out = []
    for i, (w, line) in enumerate(zip(words, parts)):
        known: Iterable[str] = gaz.surnames if i == 0 else given
        if not line.hidden:
            word = w.text if i == 0 else _visible_given(w, given)
            if not word or (i == 0 and word not in gaz.surnames):
                return ""
            out.append(word)
            continue
        fit = unique_fit(line, known) or (likely_fit(line, given) or read_fit(line, w.text, given) if i
                                          else unique_fit(line, known, tones=True))
        if not fit:
            return ""
        out.append(cap_first(fit))
    return " ".join(out)


def _under(seg: Segment, seals: tuple[tuple[int, tuple[int, int, int, int]], ...]) -> bool:
    """The segment overlaps a seal found on its page."""
    x0, y0, x1, y1 = seg.box
    return any(p == seg.page and min(x1, b[2]) > max(x0, b[0]) and min(y1, b[3]) > max(y0, b[1]) for p, b in seals)


def sealed_surname(word: str, gaz: Gazetteer) -> str:
    """A surname whose first letter a seal took: 'rhạm' -> 'Phạm', '¡rân' -> 'Trần', 'ạm' -> ''
    (too little left). What is left must be the end of exactly one surname, one letter short."""
    w = regex.sub(r"^[^\p{L}]+", "", word)
    if not w or (w[0].isupper() and w in gaz.surnames):
        return w if w in gaz.surnames else ""
    tails = {w[1:], w} if w[0].islower() else {w}
    found = {s for s in gaz.surnames for t in tails
             if len(t) >= 3 and len(s) == len(t) + 1 and fold(s[1:].lower()) == fold(t.lower())}
    return found.pop() if len(found) == 1 else ""


_NAME_WORD = regex.compile(r"^[\p{Lu}][\p{Ll}\p{M}]+$")


def rule_name(line: str, gaz: Gazetteer, known: Callable[[str], bool], given: Mapping[str, int] | None = None) -> str:
    """'Trần Hoàng Tuấn' -> itself; 'ạm Trường Thọ' (a seal over the first letters) -> '':
    two to five capitalised syllables, the first a Vietnamese surname. With a list of given
    names, a syllable that is none but differs by its marks from exactly one that is, is that
    one: 'Trần Hoàng Tuần' -> 'Trần Hoàng Tuấn' (Tesseract swaps grave and acute on scans)."""
    words = strip_noise(line).split()
    if not 2 <= len(words) <= 5:
        return ""
    if words[0] not in gaz.surnames:
        words[0] = sealed_surname(words[0], gaz) or words[0]
    if not all(_NAME_WORD.match(w) and (known(w.lower()) or is_syllable_shape(w.lower())) for w in words):
        return ""  # names hold syllables a legal corpus never saw ('Diễm'): the shape must be one
    if words[0] not in gaz.surnames:
        return ""
    if given:
        for i, w in enumerate(words[1:], 1):
            lw = w.lower()
            if lw in given:
                continue
            # only a tone mark swapped for another (OCR rarely invents one, or changes â to a)
            alts = [g for g in given if g != lw and fold(g) == fold(lw) and len(g) == len(lw)
                    and shape(g) == shape(lw) and bool(tone_count(g)) == bool(tone_count(lw))]
            if len(alts) == 1:
                words[i] = cap_first(alts[0])
    return " ".join(words)


# ---------------------------------------------------------------- recipients

_ITEM = regex.compile(r"^\s*[~'\"`´.,:;]{0,2}\s*[-–—•+*~]\s+(.*)$|^\s*[~'\"`´.,:;]{0,2}\s*[-–—•+*]\s*(.*)$")
# a speck OCR read before the dash ("~- CT, PCT …"), or the dash read as a tilde ("~ Thường trực …")


def _item_text(line: str) -> str:
    m = _ITEM.match(line)
    return (m.group(1) if m.group(1) is not None else m.group(2)) if m else line


def rule_recipients(segs: list[Segment]) -> list[tuple[str, list[Segment]]]:
    """'Nơi nhận:' then '- Như trên;' / '- Sở Nội vụ;' ... -> items with their segments; a line
    without a dash, aligned under the item text, continues the item above it."""
    items: list[tuple[str, list[Segment]]] = []
    if not segs:
        return items
    head = regex.sub(r"^[*_\s]*\S+\s+\S+?\s*[:;.]?\s*", "", segs[0].text, count=1) if len(segs[0].text.split()) > 2 else ""
    rest = list(segs[1:])
    if head and _ITEM.match(head):
        items.append((_item_text(head), [segs[0]]))
    lh = sorted(s.height for s in segs)[len(segs) // 2]
    for s in rest:
        if _ITEM.match(s.text):
            items.append((_item_text(s.text), [s]))
            continue
        if not items:
            continue
        prev = items[-1][1][-1]
        first = items[-1][1][0]
        if items[-1][0].rstrip().endswith(";") and abs(s.box[0] - first.box[0]) < 0.4 * lh and s.conf >= 50:
            # the item above ended with ';' and this line starts where its dash was: a new item whose
            # dash OCR lost or read as something else
            items.append((regex.sub(r"^[^\p{L}\d(]+", "", s.text), [s]))
            continue
        new_page = s.page != prev.page
        aligned = first.box[0] - lh <= s.box[0] < first.box[2] and abs(s.box[0] - prev.box[0]) < 5 * lh
        if (new_page or s.box[1] - prev.box[3] < 0.8 * lh) and aligned and s.conf >= 50:
            items[-1] = (items[-1][0] + " " + s.text, items[-1][1] + [s])
    return items


def clean_recipient(s: str) -> str:
    """'Sở Nội vụ;' -> 'Sở Nội vụ'; 'Lưu: VT, NC(Vi16).' -> 'Lưu: VT, NC(Vi16)'."""
    s = regex.sub(r"\s+", " ", s).strip()
    return regex.sub(r"\s*[;.,]+\s*$", "", s).strip(" -")


# ---------------------------------------------------------------- the document

def _lines(segs: tuple[Segment, ...] | list[Segment], fix: Fix) -> list[str]:
    """The segments' text corrected as one block; the line count is kept (else uncorrected)."""
    raw = [s.text for s in segs]
    if not raw:
        return []
    confs = [[w.conf for w in s.words] for s in segs]
    fixed = fix("\n".join(raw), confs if all(len(c) == len(t.split()) for c, t in zip(confs, raw)) else None)
    lines = fixed.split("\n")
    return lines if len(lines) == len(raw) else raw


def read_fields(lay: DocLayout, fix: Fix, gaz: Gazetteer, known: Callable[[str], bool],
                given: Mapping[str, int] | None = None) -> dict[str, Value]:
    """Every header and signature field the zones give, by field name; `given` ranks given-name
    syllables (lexicon.persons['given']) for the signer's name."""
    out: dict[str, Value] = {}
    left = list(lay.get(Zone.HEADER_LEFT))
    right = list(lay.get(Zone.HEADER_RIGHT))
    so_i = next((i for i, s in enumerate(left) if ("/" in s.text or _BARE_SYMBOL.search(s.text)) and (
        regex.match(r"^\W*s[o06]\S{0,2}\s*[:;.,]?", folded(s.text)) or regex.search(r"/\s*[\p{Lu}Đ]{1,6}\s*-", s.text))), -1)
    issuer_segs = left[:so_i] if so_i >= 0 else [s for s in left if is_caps_line(s.text)
                                                 and not regex.match(r"^\W*s[o06]\S?\s*[:;.,]", folded(s.text))]
    issuer, level, unit = rule_issuer(_lines(issuer_segs, fix), gaz)
    issuer_reason = ""
    if not issuer and issuer_segs and mean_conf(issuer_segs) >= SURE_CONF:
        # a unit that is no longer in the gazetteer (merged in 2025), read with confidence: as OCR read it
        issuer, level, unit = rule_issuer([s.text for s in issuer_segs], gaz, lambda n: plain_name(n, known))
        issuer_reason = Reason.LOW_CONFIDENCE.value if issuer else ""
    if issuer_segs:  # without issuer lines the flattened text's values stand (document.py)
        out["issuer"] = _val("issuer", issuer, issuer_segs, issuer_reason or ("" if issuer else Reason.MISSING.value))
        out["admin_unit_level"] = Value("admin_unit_level", level)
        out["admin_unit_name"] = Value("admin_unit_name", unit)
    if so_i >= 0:
        so = left[so_i]
        number, symbol, sure = rule_number_symbol(so.text)
        reason = ""
        if number and not sure and so.conf < 40:
            out["_number_raw"] = Value("_number_raw", number)  # too doubtful alone; a reader may confirm it
            number, reason = "", Reason.LOW_CONFIDENCE.value
        elif not number and not sure:
            reason = Reason.HANDWRITING.value
        digits = [w.conf for w in so.words if regex.search(r"\d", w.text)]
        out["number"] = replace(_val("number", number, [so], reason),
                                confidence=min(digits) if number and digits else so.conf)
        if is_blank_slot(so.text):  # a draft's 'Số: ……/QĐ-UBND': nothing to read, nothing to review
            out["_number_blank"] = Value("_number_blank", True)
        sym_reason = "" if symbol else Reason.MISSING.value
        if symbol and not symbol_parts_ok(str(symbol)):
            symbol, sym_reason = "", Reason.LOW_CONFIDENCE.value
        sym_words = [w.conf for w in so.words if "/" in w.text or regex.search(r"\p{Lu}{2}", w.text)]
        out["symbol"] = replace(_val("symbol", symbol, [so], sym_reason),
                                confidence=min(sym_words) if sym_words else so.conf)
        if symbol and not sym_reason and sym_words and min(sym_words) >= MIN_CONF:
            out["symbol"] = replace(out["symbol"], reason="")
        vv = left[so_i + 1:]
    elif left:
        out["number"] = Value("number", "", reason=Reason.MISSING.value)
        out["symbol"] = Value("symbol", "", reason=Reason.MISSING.value)
        vv = []
    else:
        vv = []
    date_seg = next((s for s in right if _DATE.search(s.text)), None)
    if date_seg is not None:
        place_raw, day, month, year = rule_place_date(date_seg.text)
        place_fixed = rule_place_date(_lines([date_seg], fix)[0])[0] or place_raw
        prefix = regex.match(r"^(?:TP|TX|TT|P|X|Q|H)\.\s*", place_fixed)  # 'P. Lê Thanh Nghị' as written
        if prefix:
            place_fixed, place_raw = place_fixed[prefix.end():], regex.sub(r"^\S+\.\s*", "", place_raw)
        place = match_place(place_fixed, gaz) or match_place(place_raw, gaz)
        if not place and unit and fuzz.ratio(key(place_raw), key(unit)) >= 80:
            place = unit
        elif not place and date_seg.conf >= SURE_CONF:
            place = plain_name(place_raw, known)
        if place and prefix:
            place = prefix.group(0).strip() + " " + place
        out["place"] = _val("place", place, [date_seg], "" if place else Reason.LOW_CONFIDENCE.value)
        year_conf = max((w.conf for w in date_seg.words if year and year in w.text), default=0.0)
        if year and year_conf < PRINTED_CONF:
            year = ""  # a printed year read with doubt ('2016' for 2018 on a bilevel scan): no date at all
        month_conf = min((w.conf for w in date_seg.words if month and month in w.text), default=100.0)
        if month.isdigit() and month_conf < MONTH_CONF:
            month = ""  # a month read with little confidence ('09' at 16 for 02 on a 100-dpi scan): year only
        date = iso_date(year, month, day)
        day_conf = min((w.conf for w in date_seg.words if day and regex.search(rf"(?<!\d){regex.escape(day)}(?!\d)", w.text)),
                       default=0.0)  # '18tháng': the day glued to the next word is still its word
        reason = "" if year else Reason.LOW_CONFIDENCE.value
        if len(date) == 10 and day_conf < PRINTED_CONF:
            date, reason = date[:7], Reason.HANDWRITING.value
        elif len(date) < 10:
            reason = Reason.HANDWRITING.value if len(date) == 7 else Reason.LOW_CONFIDENCE.value
        out["date"] = _val("date", date, [date_seg], reason)
        printed_day = day if regex.fullmatch(r"\d{1,2}", day) and day_conf >= PRINTED_CONF else ""
        out["_date_parts"] = Value("_date_parts", (year, month, printed_day))
        if day and not printed_day:  # something stands where the day goes: a day read with doubt (a reader
            out["_day_raw"] = Value("_day_raw", day)  # must agree) or ink; not a page without a day
    elif right:  # the header's right column was read, its date line not: no value from elsewhere
        out["place"] = Value("place", "", reason=Reason.MISSING.value)
        out["date"] = Value("date", "", reason=Reason.MISSING.value)
    title_segs = list(lay.get(Zone.TITLE))
    if not title_segs and not left:
        return out | _signature_fields(lay, fix, gaz, known, given)
    kind = rule_kind(title_segs[0].text) if title_segs else ""
    symbol = cast(str, out["symbol"].value) if "symbol" in out else ""
    if kind:
        out["doc_type"] = _val("doc_type", kind, title_segs[:1])
        body = title_segs[1:]
    else:
        head = str(symbol).split("-")[0] if symbol else ""
        dt = SYMBOL_TYPES.get(head, "Công văn" if symbol else "")
        out["doc_type"] = Value("doc_type", dt, reason="" if dt else Reason.MISSING.value)
        body = [s for s in vv if s.box[1] >= left[so_i].box[3]] if so_i >= 0 else []
    kept: list[Segment] = []
    for s in body[:5]:
        if _starts_body(s.text) or (kept and rule_kind(s.text)):
            break
        kept.append(s)
    title = " ".join(_lines(kept, fix))
    title = rule_title_start(regex.sub(r"\s+", " ", title).strip())
    title = regex.sub(r"(\p{L})\s*-\s*(\p{L})", r"\1 - \2", title) if regex.search(r"\s-\S|\S-\s", title) else title
    if any(z is Zone.TITLE_CUT for z, _ in lay.zones):
        title, reason = "", Reason.SEAL.value
    elif not title_opens(title):
        title, reason = "", Reason.LOW_CONFIDENCE.value  # its first lines were lost: not a title
    else:
        reason = "" if title else Reason.MISSING.value
    out["title"] = _val("title", title, kept, reason)
    return out | _signature_fields(lay, fix, gaz, known, given)


def _signature_fields(lay: DocLayout, fix: Fix, gaz: Gazetteer, known: Callable[[str], bool],
                      given: Mapping[str, int] | None = None) -> dict[str, Value]:
    """Authority, position, name and recipients from the signature page's zones."""
    out: dict[str, Value] = {}
    if not lay.get(Zone.SIGNATURE) and not lay.get(Zone.RECIPIENTS):
        return out
    # a seal's marks read as a line ('=ượn' at 12, '` s.c..U..' at 2) are not lines of the block, nor
    # dirt read as capitals at 0 away from any seal; a title line a seal garbled ('CHU TIf?H') is
    sig = [s for s in lay.get(Zone.SIGNATURE) if strip_noise(s.text)
           and (s.conf >= 20 or (_caps_seen(s.text) and _under(s, lay.seals)))]
    sig_lines = [strip_noise(x) for x in _lines(sig, fix)]
    authority, position, pi, after = rule_signature(sig_lines, gaz, [s.text for s in sig])
    if not position or not authority:  # letters a seal hid: the one value that fits fills the gap
        raw = [s.text for s in sig]
        for j, seg in enumerate(sig):
            seals = lay.seals_on(seg.page)
            doubt = min((w.conf for w in seg.words), default=seg.conf)  # '#M.' in a line read at 88
            if seals and doubt < SURE_CONF and _under(seg, lay.seals) and _caps_seen(seg.text):
                raw[j], _ = sealed_caps(seg, seals, gaz, lay.opaque_on(seg.page))
                if raw[j] != seg.text:
                    sig_lines[j] = raw[j]
        a2, p2, pi2, after2 = rule_signature(sig_lines, gaz, raw)
        if (a2 or p2) and (not authority or a2.startswith(authority)) and (not position or p2 == position):
            authority, position, pi, after = a2, p2 or position, pi2 if p2 else pi, after2 if p2 else after
    if position and pi >= 0 and _doubtful_under_opaque(sig[pi], position, lay, gaz):
        position = ""  # a seal as dark as the print may hide a word before it ('PHÓ CHỦ TỊCH')
    seal_pages = {p for p, _ in lay.seals}
    auth_reason = ""
    if authority and _doubtful_authority(sig, authority, lay):
        authority, auth_reason = "", Reason.SEAL.value
    out["signer_authority"] = _val("signer_authority", authority, sig[:max(pi, 0)] if authority else [], auth_reason)
    out["signer_position"] = _val("signer_position", position, [sig[pi]] if pi >= 0 else [],
                                  "" if position else (Reason.SEAL.value if lay.sign_page in seal_pages else Reason.MISSING.value))
    name, name_seg, repaired = "", None, False
    for j in range(len(sig) - 1, max(after, 0) - 1, -1):
        cand = rule_name(sig_lines[j], gaz, known, given)
        sealed = sig[j].conf < SEAL_NAME_CONF and _under(sig[j], lay.seals)
        if cand or (sealed and not is_caps_line(sig_lines[j])):
            name, name_seg = cand, sig[j]
            repaired = bool(cand) and cand.split()[0] not in strip_noise(sig_lines[j]).split()[:1]
            if sealed:
                given = given or {}
                # a seal over a doubtful name: only what was read stands (no corrector's guess, 'Hàu' is
                # not 'Hậu') when every given name is one people have as read; else the letters the
                # ring hid are filled only where one surname or given name fits
                seals, opaque = lay.seals_on(name_seg.page), lay.opaque_on(name_seg.page)
                read = rule_name(name_seg.text, gaz, known, given)
                name = read if read and all(w.lower() in given for w in read.split()[1:]) \
                    and not _changed_hidden(name_seg, read, seals, opaque) else ""
                if not name:
                    name = sealed_name(name_seg, seals, gaz, given, opaque)
                    repaired = bool(name)
            if name or cand:
                break
            name_seg = None
        if is_caps_line(sig_lines[j]):
            break
    name_reason = Reason.SEAL.value if repaired or (not name and sig) else ("" if name else Reason.MISSING.value)
    if name and name_seg is not None and given and doubtful_tone(name_seg, name, given):
        name, name_reason = "", Reason.LOW_CONFIDENCE.value
    out["signer_name"] = _val("signer_name", name, [name_seg] if name_seg else [], name_reason)
    # recipients
    items = rule_recipients(list(lay.get(Zone.RECIPIENTS)))
    if items:
        fixed = fix("\n".join(t for t, _ in items)).split("\n")
        if len(fixed) != len(items):
            fixed = [t for t, _ in items]
        recips = [clean_recipient(t) for t in fixed]
        segs_all = [s for _, segs in items for s in segs]
        out["recipients"] = _val("recipients", [r for r in recips if r], segs_all)
    return out
