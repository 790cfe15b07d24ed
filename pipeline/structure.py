"""Parse the corrected text of a Decree 30/2020 document into the fields of a plan record.

Each heuristic is a small named rule (a function below) with its own test. The input is
normalized text: one paragraph per line, bullets and numbered items on their own lines.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import regex

from .lexicon import is_syllable_shape
from .normalize import is_caps, roman_value, to_roman
from .records import Assignment, LegalRef, PlanRecord, Section

# ---------------------------------------------------------------- vocabulary

DOC_TYPES = ("KẾ HOẠCH", "QUYẾT ĐỊNH", "BÁO CÁO", "CÔNG VĂN", "TỜ TRÌNH", "CHỈ THỊ", "THÔNG BÁO",
             "NGHỊ QUYẾT", "HƯỚNG DẪN", "CHƯƠNG TRÌNH", "GIẤY MỜI", "THÔNG TƯ", "NGHỊ ĐỊNH",
             "ĐỀ ÁN", "PHƯƠNG ÁN", "QUY CHẾ", "QUY ĐỊNH", "BIÊN BẢN", "CÔNG ĐIỆN")
SYMBOL_TYPES = {"KH": "Kế hoạch", "QĐ": "Quyết định", "BC": "Báo cáo", "TTr": "Tờ trình",
                "CT": "Chỉ thị", "TB": "Thông báo", "NQ": "Nghị quyết", "HD": "Hướng dẫn",
                "CTr": "Chương trình", "GM": "Giấy mời", "ĐA": "Đề án", "PA": "Phương án",
                "QC": "Quy chế", "BB": "Biên bản", "CĐ": "Công điện"}
LEVELS = ("đặc khu", "thành phố", "thị trấn", "thị xã", "phường", "xã", "tỉnh", "quận", "huyện")
REF_TYPES = ("Luật", "Bộ luật", "Nghị định", "Nghị quyết", "Quyết định", "Kế hoạch", "Thông tư",
             "Chỉ thị", "Công văn", "Văn bản", "Hướng dẫn", "Thông báo", "Chương trình", "Đề án",
             "Báo cáo", "Công điện", "Thông tư liên tịch", "Pháp lệnh", "Hiến pháp", "Kết luận")
TASK_VERBS = ("chủ trì", "phối hợp", "tổ chức", "thực hiện", "tham mưu", "có trách nhiệm",
              "chịu trách nhiệm", "triển khai", "xây dựng", "hướng dẫn", "theo dõi", "chỉ đạo",
              "báo cáo", "đôn đốc", "kiểm tra", "rà soát", "tuyên truyền", "bố trí", "chuẩn bị",
              "cử", "quán triệt", "phổ biến", "tổng hợp", "giám sát", "nghiên cứu", "đảm bảo",
              "bảo đảm", "căn cứ", "cập nhật", "thẩm định", "trình", "ban hành", "tiếp tục")
MOTTO = regex.compile(r"C[ỘO]NG\s+H[ÒOÓ]A\s+X[ÃA]\s+H[ỘO]I\s+CH[ỦU]\s+NGH[ĨI]A\s+VI[ỆE]T\s+NAM|"
                      r"Độc\s+lập\s*[-–—]\s*Tự\s+do\s*[-–—]\s*Hạnh\s+phúc", regex.I)
NAME_WORD = r"[\p{Lu}][\p{Ll}\p{M}]*"
PROPER = rf"{NAME_WORD}(?:\s+{NAME_WORD}){{0,4}}"

_ROMAN = regex.compile(r"^([IVXL]{1,5})\s*[.)/:]\s*(.*)$")
_ROMAN_OCR = regex.compile(r"^([IVXLl1H]{1,5})(?:\s*[.)]\s*|\s+)(\p{Lu}{2,}.*)$")
_NUM = regex.compile(r"^(\d{1,2})\s*[.)/]\s*(?!\d)(.*)$")
_SUBNUM = regex.compile(r"^(\d{1,2}\.\d{1,2})\.?\s+(.*)$")
_LETTER = regex.compile(r"^([a-zđ])\)\s*(.*)$")
_BULLET = regex.compile(r"^[-–—•+∙·*]\s*(.*)$")
_CLOSING = regex.compile(r"\./\.\s*$|^Trên\s+đây\s+là")
_RECIPIENTS = regex.compile(r"^[*_\s]*Nơi\s+nhận\s*[:;.,]?[*_]*\s*(.*)$", regex.I)
_AUTHORITY = regex.compile(r"\b(TM|KT|TL|TUQ|Q)\s*\.\s*(.*)$")


def sentence_case(s: str) -> str:
    """'KẾ HOẠCH' -> 'Kế hoạch'; 'PHÓ CHỦ TỊCH' -> 'Phó Chủ tịch' (titles keep their capital)."""
    s = s.strip().lower()
    s = regex.sub(r"\bchủ tịch\b", "Chủ tịch", s)
    s = regex.sub(r"\b(ủy|uỷ) ban nhân dân\b", "Ủy ban nhân dân", s)
    return s[:1].upper() + s[1:]


# ---------------------------------------------------------------- the parsed layout

@dataclass(frozen=True)
class Layout:
    """The document cut into its zones, by line index."""
    lines: tuple[str, ...]
    type_line: int  # -1 when no document-type line
    body_start: int
    body_end: int  # exclusive; the closing paragraph and signature block come after
    recipients_start: int  # -1 when no 'Nơi nhận'


def layout(text: str) -> Layout:
    lines = tuple(ln.strip() for ln in text.split("\n"))
    type_line = find_type_line(lines)
    start = type_line + 1 if type_line >= 0 else 0
    rec = next((i for i in range(start, len(lines)) if _RECIPIENTS.match(lines[i])), -1)
    end = rec if rec >= 0 else len(lines)
    close = next((i for i in range(end - 1, start - 1, -1) if _CLOSING.search(lines[i])), -1)
    if close >= 0 and not _ROMAN.match(lines[close]):
        end = close
    return Layout(lines, type_line, start, end, rec)


def find_type_line(lines: tuple[str, ...]) -> int:
    """Rule: the document type is a line in capitals naming a known type, near the top."""
    for i, ln in enumerate(lines[:40]):
        head = regex.sub(r"\s+", " ", ln).strip(" .:")
        if head.upper() in DOC_TYPES and is_caps(head):
            return i
    return -1


# ---------------------------------------------------------------- header rules

_NUMBER = regex.compile(r"\bS[ốôoóồ6]\s*[:.]?\s*(\d*)\s*(?:/\s*|(?=[\p{Lu}Đ][\p{L}\d]*-))"
                        r"((?:\d{4}/)?[\p{Lu}Đ][\p{L}\d]*(?:[-–.][\p{Lu}Đ\d][\p{L}\d]*)*)")
_SO_LINE = regex.compile(r"^S[ốôoóồ6]\s*[:.]")
_NUMBER_GARBLED = regex.compile(r"\bS[ốôoóồ6]\s*[:.]\s*[^\s/]{0,4}\s*/\s*([\p{Lu}Đ][\p{L}\d]*(?:[-–.][\p{Lu}Đ\d][\p{L}\d]*)*)")
_DATE_LINE = regex.compile(r"(?:^|[\s|])([^,|]{0,60}?)\s*,\s*ngày\s*(\d{0,2})[^\s\d,]{0,3}\s*tháng\s*(\d{0,2})[^\s\d,]{0,3}\s*năm\s*(\d{4})")


def rule_number_symbol(header: list[str]) -> tuple[str, str]:
    """'Số: 129/KH-UBND' -> ('129', 'KH-UBND'); a draft 'Số: /KH-UBND' -> ('', 'KH-UBND')."""
    for ln in header:
        m = _NUMBER.search(ln)
        if m:
            return m.group(1), m.group(2)
    for ln in header:  # a handwritten number OCR could not read: the symbol still counts
        m = _NUMBER_GARBLED.search(ln)
        if m:
            return "", m.group(1)
    return "", ""


def rule_place_date(header: list[str]) -> tuple[str, str]:
    """'Đại Sơn, ngày 28 tháng 11 năm 2025' -> ('Đại Sơn', '2025-11-28'); blanks give partial dates."""
    for ln in header:
        m = _DATE_LINE.search(ln)
        if not m:
            continue
        place = m.group(1)
        num = _NUMBER.search(place)
        if num:
            place = place[num.end():]
        place = MOTTO.sub("", place).strip(" -–—|:;")
        day, month, year = m.group(2), m.group(3), m.group(4)  # garbled (handwritten) parts count as blank
        if month and 1 <= int(month) <= 12:
            date = f"{year}-{int(month):02d}"
            if day and 1 <= int(day) <= 31:
                date += f"-{int(day):02d}"
        else:
            date = year
        return place, date
    return "", ""


_UBND = regex.compile(rf"(?:Ủy|Uỷ|ỦY|UỶ)\s+(?:ban|BAN)\s+(?:nhân|NHÂN)\s+(?:dân|DÂN)\s+({'|'.join(LEVELS)})(?:\s+({PROPER}))?", regex.V1)
_UNIT_NAME = {lv: regex.compile(rf"\b{lv}\s+({PROPER})") for lv in LEVELS}
_NOT_NAME = regex.compile(r"^(?:Kế|Quyết|Báo|Ủy|Uỷ|Hội|Văn|Phòng|Trung|Đảng|Các|Việt|Công)\b")


def rule_issuer_from_header(header: list[str]) -> tuple[str, str, str]:
    """Header rows 'ỦY BAN NHÂN DÂN' / 'XÃ ĐẠI SƠN' (motto columns removed) -> issuer, level, name."""
    left = []
    for ln in header:
        if _NUMBER.search(ln) or _DATE_LINE.search(ln) or _SO_LINE.match(ln):
            break
        part = MOTTO.sub("|", ln).split("|")[0].strip(" -–—")
        if part and is_caps(part):
            left.append(part)
    if not left:
        return "", "", ""
    joined = " ".join(left)
    m = regex.match(rf"^(?:ỦY|UỶ)\s+BAN\s+NHÂN\s+DÂN\s+({'|'.join(lv.upper() for lv in LEVELS)})\s+(.+)$", joined)
    if m:
        level = m.group(1).lower()
        name = regex.sub(r"\s+", " ", m.group(2)).title()
        return f"Ủy ban nhân dân {level} {name}", level, name
    return sentence_case(joined), "", ""


def rule_issuer_from_body(lines: list[str]) -> tuple[str, str, str]:
    """'Ủy ban nhân dân phường Dương Kinh ban hành …' in the body; a nameless mention takes the
    unit's name from the most frequent '<level> <Name>' elsewhere in the text."""
    found = []
    for ln in lines:
        for m in _UBND.finditer(ln):
            name = m.group(2) or ""
            if _NOT_NAME.match(name):
                name = ""
            found.append((m.group(1), name, "ban hành" in ln[m.end():m.end() + 12]))
    if not found:
        return "", "", ""
    found.sort(key=lambda f: (not f[2], not f[1]))
    level, name, _ = found[0]
    if not name:
        counts: dict[str, int] = {}
        for ln in lines:
            for m in _UNIT_NAME[level].finditer(ln):
                if not _NOT_NAME.match(m.group(1)):
                    counts[m.group(1)] = counts.get(m.group(1), 0) + 1
        if counts:
            name = max(counts, key=lambda k: counts[k])
    issuer = f"Ủy ban nhân dân {level}" + (f" {name}" if name else "")
    return issuer, level, name


_BODY_START = regex.compile(r"^(?:Căn\s+cứ|Thực\s+hiện|Theo\s|Xét\s|Kính\s+gửi|Nhằm\s|Để\s|[IVX]+\s*[.)]|Phần\s|Chương\s|Điều\s+\d)")


def rule_title(lines: tuple[str, ...], type_line: int) -> tuple[str, int]:
    """The summary: up to three lines after the type line, before the first body line."""
    parts: list[str] = []
    i = type_line + 1
    while i < len(lines) and len(parts) < 3:
        ln = lines[i]
        if not ln:
            if parts:
                break
            i += 1
            continue
        if _BODY_START.match(ln) or regex.match(r"^[-_=*]{3,}$", ln) or ln.endswith(":") or len(ln) > 400:
            break
        parts.append(regex.sub(r"^V/v\s*", "", ln))
        i += 1
    return " ".join(parts).strip(), i


def rule_doc_type(lines: tuple[str, ...], type_line: int, symbol: str) -> str:
    """From the type line; else from the symbol ('KH-UBND' -> 'Kế hoạch'; 'UBND-VP' -> 'Công văn')."""
    if type_line >= 0:
        return sentence_case(lines[type_line].strip(" .:"))
    head = symbol.split("-")[0] if symbol else ""
    if head in SYMBOL_TYPES:
        return SYMBOL_TYPES[head]
    return "Công văn" if symbol else ""


# ---------------------------------------------------------------- legal basis

_REF = regex.compile(
    rf"\b({'|'.join(sorted(REF_TYPES, key=len, reverse=True))})\b"
    r"(?:(?!\b(?:" + "|".join(REF_TYPES) + r")\b)[^;])*?"
    r"(?:số\s*)?(\d+(?:/\d{4})?/[\p{Lu}Đ][\p{L}\d\-–.]*[\p{L}\d])"
    r"(?:\s+ngày\s+(\d{1,2})\s*[/.-]\s*(\d{1,2})\s*[/.-]\s*(\d{4})"
    r"|\s+ngày\s+(\d{1,2})\s+tháng\s+(\d{1,2})\s+năm\s+(\d{4}))?"
    r"(?:\s+của\s+(.+?)(?=\s+(?:về|ban\s+hành|quy\s+định|hướng\s+dẫn)\b|[,;.]|$))?")


def rule_legal_basis(lines: tuple[str, ...], start: int, end: int) -> tuple[LegalRef, ...]:
    """Documents cited in the 'Căn cứ' / 'Thực hiện' paragraphs before the first section."""
    refs: list[LegalRef] = []
    seen = set()
    for ln in lines[start:end]:
        if _ROMAN.match(ln) or _NUM.match(ln):
            break
        if not regex.match(r"^(?:Căn\s+cứ|Thực\s+hiện|Theo|Triển\s+khai|Xét)", ln):
            continue
        for m in _REF.finditer(ln):
            d, mo, y = (m.group(3), m.group(4), m.group(5)) if m.group(3) else (m.group(6), m.group(7), m.group(8))
            date = f"{y}-{int(mo):02d}-{int(d):02d}" if y else ""
            key = (m.group(2), date)
            if key in seen:
                continue
            seen.add(key)
            refs.append(LegalRef(m.group(1), m.group(2), date, (m.group(9) or "").strip()))
    return tuple(refs)


# ---------------------------------------------------------------- sections

@dataclass
class _Node:
    number: str
    heading: str
    level: int
    text: list[str] = dataclasses.field(default_factory=list)
    children: list[_Node] = dataclasses.field(default_factory=list)

    def freeze(self) -> Section:
        return Section(self.number, self.heading, "\n".join(self.text),
                       tuple(c.freeze() for c in self.children))


def rule_roman_heading(line: str, expected: int) -> tuple[str, str] | None:
    """'II. NỘI DUNG' -> ('II', 'NỘI DUNG'). A heading in capitals after a numeral OCR has
    garbled ('I11.', 'H.', 'II.' for 'III.') is taken as the next section, numbered as expected."""
    m = _ROMAN.match(line)
    if m and roman_value(m.group(1)) == expected and (not m.group(2) or is_caps(m.group(2))):
        return m.group(1), m.group(2)
    m = _ROMAN_OCR.match(line)
    if m and is_caps(m.group(2)) and len(m.group(2).split()) >= 1 and len(m.group(1)) <= len(to_roman(expected)) + 1:
        return to_roman(expected), m.group(2)
    return None


def split_heading(rest: str) -> tuple[str, str]:
    """'Thời gian: Dự kiến …' -> ('Thời gian', 'Dự kiến …'); a plain item is all heading."""
    m = regex.match(r"^([^:]{2,60}?)\s*:\s*(.*)$", rest)
    if m and not regex.search(r"[.;]", m.group(1)):
        return m.group(1).strip(), m.group(2).strip()
    return rest.strip(), ""


def rule_sections(lines: tuple[str, ...], start: int, end: int) -> list[_Node]:
    """The body as a tree: roman sections, numbered items under them, text and bullets inside."""
    body = [ln for ln in lines[start:end] if ln]
    has_roman = any(rule_roman_heading(ln, 1) for ln in body)
    roots: list[_Node] = []
    cur_top: _Node | None = None
    cur: _Node | None = None
    for ln in body:
        rh = rule_roman_heading(ln, len(roots) + 1) if has_roman else None
        if rh:
            cur_top = cur = _Node(rh[0], rh[1], 1)
            roots.append(cur_top)
            continue
        m = _NUM.match(ln)
        if m and (cur_top is not None or not has_roman):
            heading, text = split_heading(m.group(2))
            node = _Node(m.group(1), heading, 2 if has_roman else 1, [text] if text else [])
            if has_roman and cur_top is not None:
                cur_top.children.append(node)
            else:
                roots.append(node)
            cur = node
            continue
        if cur is not None:
            cur.text.append(ln)
        elif roots:
            roots[-1].text.append(ln)
    return roots


def items(node: _Node) -> list[str]:
    """The bullet items of a node's text; without bullets, its lines as they are."""
    bullets = [_BULLET.match(t) for t in node.text]
    if any(bullets):
        out: list[str] = []
        for t, b in zip(node.text, bullets):
            if b:
                out.append(b.group(1))
            elif out:
                out[-1] += " " + t
            else:
                out.append(t)
        return [clean_item(x) for x in out if x.strip()]
    return [clean_item(t) for t in node.text if t.strip()]


def clean_item(s: str) -> str:
    return regex.sub(r"\s*;\s*$", "", s.strip())


def _walk(nodes: list[_Node]):
    for n in nodes:
        yield n
        yield from _walk(n.children)


def _find(nodes: list[_Node], pattern: str, level: int | None = None) -> _Node | None:
    rx = regex.compile(pattern, regex.I)
    return next((n for n in _walk(nodes) if (level is None or n.level == level) and rx.search(n.heading)), None)


def rule_purposes(roots: list[_Node]) -> tuple[list[str], list[str]]:
    """Items under 'Mục đích' and 'Yêu cầu'; an unsplit 'MỤC ĐÍCH, YÊU CẦU' gives its items as purposes."""
    sec = _find(roots, r"mục\s+(?:đích|tiêu)")
    if sec is None:
        return [], []
    purpose = next((c for c in sec.children if regex.search(r"^(?:mục\s+(?:đích|tiêu))", c.heading, regex.I)), None)
    require = next((c for c in sec.children if regex.search(r"^yêu\s+cầu", c.heading, regex.I)), None)
    if purpose or require:
        return (items(purpose) if purpose else []), (items(require) if require else [])
    if sec.children:
        return [clean_item(" ".join([c.heading] + c.text)) for c in sec.children], []
    return items(sec), []


_TIME = regex.compile(r"^(?:\d{1,2}\s*[.)]\s*|[-–—•+]\s*)?Thời\s+gian(?:\s+tổ\s+chức)?\s*:\s*(.+)$", regex.I)
_PLACE = regex.compile(r"^(?:\d{1,2}\s*[.)]\s*|[-–—•+]\s*)?Địa\s+điểm(?:\s+tổ\s+chức)?\s*:\s*(.+)$", regex.I)
_PARTICIPANTS = regex.compile(r"^(?:\d{1,2}\s*[.)]\s*|[-–—•+]\s*)?(?:Thành\s+phần|Đại\s+biểu\s+tham\s+dự)"
                              r"(?:\s+(?:tham\s+dự|tham\s+gia|mời))?\s*:?\s*(.*)$", regex.I)
_ATTENDEES = regex.compile(r"(?:dự\s+kiến\s+)?(?:khoảng|tổng\s+số|gồm)?\s*(\d{1,4})\s+(?:đại\s+biểu|người|đồng\s+chí|thành\s+viên)", regex.I)


def rule_event(lines: tuple[str, ...], start: int, end: int) -> tuple[str, str, str]:
    """'Thời gian: …' and 'Địa điểm: …' lines anywhere in the body; the month of the event."""
    when = where = ""
    for ln in lines[start:end]:
        if not when and (m := _TIME.match(ln)):
            when = m.group(1).strip()
        elif not where and (m := _PLACE.match(ln)):
            where = m.group(1).strip().rstrip(".;")
    return when, rule_event_month(when), where


def rule_event_month(when: str) -> str:
    """'Dự kiến tháng 12/2025' -> '2025-12'; 'ngày 05/12/2025' -> '2025-12'; 'tháng 6 năm 2026' -> '2026-06'."""
    for rx in (r"(\d{1,2})\s*[/.-]\s*(\d{1,2})\s*[/.-]\s*(\d{4})", r"tháng\s+(\d{1,2})\s*[/.-]\s*(\d{4})",
               r"tháng\s+(\d{1,2})\s+năm\s+(\d{4})", r"\b(\d{1,2})\s*/\s*(\d{4})\b"):
        m = regex.search(rx, when, regex.I)
        if m:
            g = m.groups()
            month, year = (g[1], g[2]) if len(g) == 3 else (g[0], g[1])
            if 1 <= int(month) <= 12:
                return f"{year}-{int(month):02d}"
    return ""


def rule_participants(lines: tuple[str, ...], start: int, end: int) -> tuple[list[str], int | None]:
    """Bullets under 'Thành phần'; '(Dự kiến khoảng 40 đại biểu)' gives the expected number."""
    out: list[str] = []
    attendees = None
    for i in range(start, end):
        m = _PARTICIPANTS.match(lines[i])
        if not m:
            continue
        inline = m.group(1).strip()
        j = i + 1
        while j < end:
            ln = lines[j]
            if not ln:
                j += 1
                continue
            if _NUM.match(ln) or _ROMAN.match(ln) or _TIME.match(ln) or _PLACE.match(ln):
                break
            b = _BULLET.match(ln)
            if b:
                out.append(clean_item(b.group(1)))
            elif regex.match(r"^\(.*\)\.?$", ln) and _ATTENDEES.search(ln):
                pass
            elif out:
                out[-1] = clean_item(out[-1] + " " + ln)
            else:
                break
            j += 1
        if inline and not out:
            out = [clean_item(x) for x in regex.split(r";\s*", inline) if x.strip()]
        for ln in lines[i:j]:
            am = regex.search(r"\(([^()]*)\)", ln)
            if am and (a := _ATTENDEES.search(am.group(1))):
                attendees = int(a.group(1))
        out = [regex.sub(r"\s*\((?:[Dd]ự\s+kiến|khoảng)[^()]*\)\.?$", "", x) for x in out]
        break
    return [x for x in out if x], attendees


def rule_funding(roots: list[_Node], lines: tuple[str, ...], start: int, end: int) -> str:
    """The text of a 'Kinh phí' section, or what follows 'Kinh phí …:' on its line."""
    for n in _walk(roots):
        if regex.match(r"^kinh\s+phí", n.heading, regex.I):
            inline = ""
            m = regex.match(r"^kinh\s+phí[^:]*:\s*(.+)$", n.heading, regex.I)
            if m:
                inline = m.group(1)
            text = " ".join(t for t in n.text if t)
            return (inline + " " + text).strip()
    for ln in lines[start:end]:
        m = regex.match(r"^(?:\d{1,2}\s*[.)]\s*|[-–—•+]\s*)?Kinh\s+phí[^:]{0,40}:\s*(.+)$", ln, regex.I)
        if m:
            return m.group(1).strip()
    return ""


_VERBS_RX = regex.compile(r"\s+(?:" + "|".join(TASK_VERBS) + r")\b")


def rule_assignment_unit(text: str) -> tuple[str, str]:
    """'Giao phòng Văn hóa - Xã hội chủ trì, …' -> ('Phòng Văn hóa - Xã hội', 'chủ trì, …');
    'Căn cứ Kế hoạch này, Thủ trưởng các cơ quan tổ chức …' -> ('Thủ trưởng các cơ quan', …)."""
    t = text.strip()
    t = regex.sub(r"^Căn\s+cứ[^,]{0,80},\s*", "", t)
    t = regex.sub(r"^(?:Giao|Đề\s+nghị|Yêu\s+cầu)\s+(?:cho\s+)?", "", t)
    m = _VERBS_RX.search(t)
    if not m or m.start() == 0:
        return "", text
    unit = t[:m.start()].strip(" ,")
    if len(unit.split()) > 15:
        return "", text
    return unit[:1].upper() + unit[1:], t[m.start():].strip()


def rule_assignments(roots: list[_Node]) -> list[Assignment]:
    """Numbered items of 'Tổ chức thực hiện': a short heading is the unit and its bullets the tasks;
    a sentence names the unit before its first task verb."""
    sec = _find(roots, r"tổ\s+chức\s+thực\s+hiện|phân\s+công\s+nhiệm\s+vụ", level=1) or \
        _find(roots, r"tổ\s+chức\s+thực\s+hiện|phân\s+công\s+nhiệm\s+vụ")
    if sec is None:
        return []
    out = []
    for c in sec.children:
        heading_like = len(c.heading.split()) <= 14 and not regex.search(r"[;,]\s+\p{Ll}+\s+\p{Ll}+.*[;,]", c.heading) \
            and not regex.match(r"^(?:Giao|Căn\s+cứ|Đề\s+nghị|Yêu\s+cầu)\b", c.heading)
        if heading_like and c.text:
            out.append(Assignment(c.heading.strip(), tuple(items(c))))
            continue
        full = " ".join([c.heading] + c.text).strip()
        unit, task = rule_assignment_unit(full)
        if unit:
            out.append(Assignment(unit, (task,)))
        elif heading_like:
            out.append(Assignment(c.heading.strip(), tuple(items(c))))
    return out


# ---------------------------------------------------------------- recipients and signature

_SIGN_CAPS = regex.compile(r"\s+((?:(?:TM|KT|TL|TUQ)\.\s*)?(?:PHÓ\s+)?(?:CHỦ\s+TỊCH|GIÁM\s+ĐỐC|TRƯỞNG\s+\p{Lu}+|"
                           r"CHÁNH\s+VĂN\s+PHÒNG|BÍ\s+THƯ|ỦY\s+BAN\s+NHÂN\s+DÂN|UỶ\s+BAN\s+NHÂN\s+DÂN)[\p{Lu}\s]*)$")


def rule_recipients(lines: tuple[str, ...], start: int) -> tuple[list[str], list[str], int]:
    """'Nơi nhận:' bullets; capitals of the signature column read on the same row are split off."""
    if start < 0:
        return [], [], len(lines)
    recips: list[str] = []
    sign: list[str] = []
    head = _RECIPIENTS.match(lines[start]).group(1).strip(" ,|")
    if head:
        sign.append(head)
    i = start + 1
    while i < len(lines):
        ln = lines[i]
        if not ln:
            i += 1
            continue
        b = _BULLET.match(ln)
        if not b and not (recips and regex.match(r"^\p{Ll}", ln)):
            break
        item = b.group(1) if b else ln
        if " | " in item:  # the signature column read on the same row
            item, _, right = item.partition(" | ")
            sign.append(right.strip())
        m = _SIGN_CAPS.search(item)
        if m:
            sign.append(m.group(1).strip())
            item = item[:m.start()]
        if b:
            recips.append(clean_item(item))
        else:
            recips[-1] = clean_item(recips[-1] + " " + item)
        i += 1
    return [r for r in recips if r], sign, i


_POSITION = regex.compile(r"^[\p{Lu}][\p{Lu}\p{M}.]*(?:\s+[\p{Lu}\p{M}.]+)+$")  # two or more words in capitals
_BODY_NAME = regex.compile(r"(?:ỦY|UỶ)\s+BAN|HỘI\s+ĐỒNG\s+NHÂN\s+DÂN")  # the body signed for, not a position
_PERSON = regex.compile(rf"^{NAME_WORD}(?:\s+{NAME_WORD}){{1,4}}$")


def rule_signer(sign_lines: list[str]) -> tuple[str, str, str]:
    """From the signature block: authority (TM./KT./TL./TUQ.), the signer's position, the name."""
    authority = position = name = ""
    for ln in sign_lines:
        m = _AUTHORITY.search(ln)
        if m and not authority and is_caps(m.group(2) or "AA"):
            # after KT./TL./TUQ. comes the principal's title, after TM. the body: not the signer's position
            authority = m.group(1) + "."
            continue
        if (not position and is_caps(ln) and not MOTTO.search(ln) and _POSITION.match(ln)
                and not _BODY_NAME.search(ln) and all(is_syllable_shape(w.lower()) or w.endswith(".")
                                                      for w in ln.split())):
            position = ln  # the first title under the authority; what follows is seal and scribble
        elif _PERSON.match(ln) and not is_caps(ln):
            name = ln
    return authority, sentence_case(position) if position else "", name


# ---------------------------------------------------------------- the whole document

def parse(text: str, source: str = "", **meta) -> PlanRecord:
    """All fields of SPEC.md that the text carries; absent fields stay empty."""
    lay = layout(text)
    lines = lay.lines
    header = [ln for ln in lines[:max(lay.type_line, 0)] if ln] if lay.type_line >= 0 else [ln for ln in lines[:8] if ln]
    number, symbol = rule_number_symbol(header)
    place, date = rule_place_date(header)
    issuer, level, name = rule_issuer_from_header(header)
    if not issuer or not level:
        issuer2, level2, name2 = rule_issuer_from_body(list(lines))
        if issuer2:
            issuer, level, name = issuer2, level2, name2
    title, after_title = rule_title(lines, lay.type_line) if lay.type_line >= 0 else ("", 0)
    doc_type = rule_doc_type(lines, lay.type_line, symbol)
    body_start = max(after_title, lay.body_start)
    legal = rule_legal_basis(lines, body_start, lay.body_end)
    first_sec = next((i for i in range(body_start, lay.body_end) if rule_roman_heading(lines[i], 1) or _NUM.match(lines[i])), lay.body_end)
    roots = rule_sections(lines, first_sec, lay.body_end)
    purposes, requirements = rule_purposes(roots)
    when, month, where = rule_event(lines, first_sec, lay.body_end)
    participants, attendees = rule_participants(lines, first_sec, lay.body_end)
    funding = rule_funding(roots, lines, first_sec, lay.body_end)
    assignments = rule_assignments(roots)
    recips, sign_head, after = rule_recipients(lines, lay.recipients_start)
    tail_start = after if lay.recipients_start >= 0 else lay.body_end
    sign_lines = sign_head + [ln for ln in lines[tail_start:] if ln and not _CLOSING.search(ln)]
    authority, position, signer = rule_signer(sign_lines)
    warnings = []
    if lay.type_line < 0:
        warnings.append("no document-type line found")
    if not issuer:
        warnings.append("issuer not found")
    return PlanRecord(
        source=source, issuer=issuer, admin_unit_level=level, admin_unit_name=name,
        doc_type=doc_type, number=number, symbol=symbol, place=place, date=date, title=title,
        legal_basis=legal, sections=tuple(n.freeze() for n in roots),
        purposes=tuple(purposes), requirements=tuple(requirements),
        event_time=when, event_month=month, event_location=where,
        participants=tuple(participants), expected_attendees=attendees, funding=funding,
        assignments=tuple(assignments), assignment_units=tuple(a.unit for a in assignments),
        recipients=tuple(recips), signer_authority=authority, signer_position=position,
        signer_name=signer, warnings=tuple(warnings), **meta)
