"""Complainants' personal data in complaint cases: finding it in free text and masking it.

Owns `find_personal` (mainland mobiles, landlines, ID numbers checked by their checksum, names
after 举报人/联系人/投诉人…, addresses after 住址/家住…), `mask_text` and the single-value masks
`mask_name`, `mask_phone`, `mask_id`, `mask_address`. What the public portal shows of a case goes
through these. Ordinary numbers — amounts, dates, case codes such as D1406000123 or
朔环罚〔2018〕12号, coordinates — are left alone: a number is personal only in the shape and
place a personal number has. Pure: no Django.
"""

from __future__ import annotations

import re
from datetime import date

__all__ = [
    "find_personal",
    "is_valid_id",
    "mask_address",
    "mask_id",
    "mask_landline",
    "mask_name",
    "mask_phone",
    "mask_text",
]

# Full-width digits, letters, hyphen and brackets → ASCII, one character for one, so a match in
# the translated text has the same span in the original.
_WIDTH = {i: i - 0xFEE0 for i in range(0xFF01, 0xFF5F)}
_WIDTH[0x3000] = 0x20

# A digit, an upper-case letter or a dot before a number makes it part of a code or a decimal.
_BEFORE = r"(?<![0-9A-Z.])"
_AFTER = r"(?![0-9]|\.[0-9])"
_MOBILE_RE = re.compile(_BEFORE + r"(?:\+?86[ -]?)?1[3-9][0-9](?:[ -]?[0-9]{4}){2}" + _AFTER)
_LANDLINE_RE = re.compile(_BEFORE + r"(?:\(0[0-9]{2,3}\)[ -]?|0[0-9]{2,3}[ -]?)[1-9][0-9]{6,7}" + _AFTER)
_LOCAL_RE = re.compile(r"(?:电话|座机|固话|联系方式)(?:号码)?[:为是]?\s*([2-8][0-9]{6,7})(?![0-9])")
_ID18_RE = re.compile(r"(?<![0-9A-Za-z])[1-9][0-9]{16}[0-9Xx](?![0-9A-Za-z])")
_ID15_RE = re.compile(r"(?<![0-9A-Za-z])[1-9][0-9]{14}(?![0-9A-Za-z])")
_ID_LABEL_RE = re.compile(r"(?:身份证|证件)(?:号码|号|编号)?[:为是]?\s*([0-9]{17}[0-9Xx]|[0-9]{15})(?![0-9A-Za-z])")
_NAME_LABEL = r"(?:举报人|联系人|投诉人|信访人|来电人|来信人|反映人|姓名)"
_NAME_RE = re.compile(
    _NAME_LABEL + r"(?:姓名)?(?P<colon>\s*[:]\s*|为|是)?(?P<name>[\u4e00-\u9fff][\u4e00-\u9fff·]{1,4}?)"
    r"(?=[,，。;；、\s()（）]|$|电话|手机|联系|身份|住址|家住|地址|反映|称|举报|投诉|来电|来信|表示|说|等)"
)
_ADDRESS_RE = re.compile(
    r"(?:家庭住址|联系地址|居住地址|住址|家住|现住)[:为是在]?\s*"
    r"(?P<addr>[\u4e00-\u9fff0-9A-Za-z\-#号]{4,40}?)(?=[,，。;；)）\s]|$|电话|手机|联系|身份)"
)

_PROVINCES = {
    *range(11, 16),
    *range(21, 24),
    *range(31, 38),
    *range(41, 47),
    *range(50, 55),
    *range(61, 66),
    71,
    81,
    82,
}
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"

COMPOUND_SURNAMES = ("欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "尉迟", "公孙", "慕容", "长孙")
# Common single surnames: a name without a colon after its label must start with one.
_SURNAMES = set(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
    "姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
    "常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单"
    "季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦麦褚"
    "娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂全佟应臧闵苟邬边卞姬师和仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘"
    "池查麻苑迟邝杭智"
)
# Words that follow a label where a name could stand but are not names.
_NOT_NAMES = {"匿名", "不详", "未知", "群众", "村民", "居民", "某某", "本人", "他人", "市民", "网民", "实名"}


def is_valid_id(number: str) -> bool:
    """An 18-digit ID number with a valid province, birth date and check digit (GB 11643)."""
    number = number.strip().upper()
    if not re.fullmatch(r"[1-9][0-9]{16}[0-9X]", number) or int(number[:2]) not in _PROVINCES:
        return False
    if _birth(number[6:14]) is None:
        return False
    total = sum(int(d) * w for d, w in zip(number[:17], _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11] == number[17]


def _birth(yyyymmdd: str) -> date | None:
    try:
        born = date(int(yyyymmdd[:4]), int(yyyymmdd[4:6]), int(yyyymmdd[6:8]))
    except ValueError:
        return None
    return born if born.year >= 1880 else None


def _valid_old_id(number: str) -> bool:
    """A 15-digit ID number (before 1999): province and a 19yy birth date."""
    return int(number[:2]) in _PROVINCES and _birth("19" + number[6:12]) is not None


def _spans(text: str) -> list[tuple[int, int, str]]:
    """(start, end, kind) of every piece of personal data, in order, never overlapping."""
    flat = text.translate(_WIDTH).replace("（", "(").replace("）", ")").replace("：", ":")
    found: list[tuple[int, int, str]] = []
    for m in _ID_LABEL_RE.finditer(flat):
        found.append((m.start(1), m.end(1), "id_number"))
    for m in _ID18_RE.finditer(flat):
        if is_valid_id(m.group()):
            found.append((m.start(), m.end(), "id_number"))
    for m in _ID15_RE.finditer(flat):
        if _valid_old_id(m.group()):
            found.append((m.start(), m.end(), "id_number"))
    for m in _MOBILE_RE.finditer(flat):
        found.append((m.start(), m.end(), "phone"))
    for m in _LANDLINE_RE.finditer(flat):
        found.append((m.start(), m.end(), "landline"))
    for m in _LOCAL_RE.finditer(flat):
        found.append((m.start(1), m.end(1), "landline"))
    for m in _NAME_RE.finditer(flat):
        name = m.group("name")
        labelled = bool(m.group("colon"))
        known = name[0] in _SURNAMES or name[:2] in COMPOUND_SURNAMES
        if name not in _NOT_NAMES and not name.startswith("某") and (labelled or known):
            found.append((m.start("name"), m.end("name"), "name"))
    for m in _ADDRESS_RE.finditer(flat):
        found.append((m.start("addr"), m.end("addr"), "address"))
    # earlier first; at one place the longer match wins; an overlapped match is dropped
    found.sort(key=lambda s: (s[0], -(s[1] - s[0])))
    kept: list[tuple[int, int, str]] = []
    for span in found:
        if not kept or span[0] >= kept[-1][1]:
            kept.append(span)
    return kept


def find_personal(text: str) -> list[tuple[str, str]]:
    """(kind, text as written) of the personal data in `text`, in order. Kinds: phone (mobile),
    landline, id_number, name, address."""
    return [(kind, text[start:end]) for start, end, kind in _spans(text or "")]


_MASKS = {
    "phone": lambda s: mask_phone(s),
    "landline": lambda s: mask_landline(s),
    "id_number": lambda s: mask_id(s),
    "name": lambda s: mask_name(s),
    "address": lambda s: mask_address(s),
}


def mask_text(text: str) -> str:
    """`text` with every piece of personal data `find_personal` finds masked; the rest unchanged."""
    if not text:
        return text or ""
    parts: list[str] = []
    last = 0
    for start, end, kind in _spans(text):
        parts.append(text[last:start])
        parts.append(_MASKS[kind](text[start:end]))
        last = end
    parts.append(text[last:])
    return "".join(parts)


def _digits(value: str) -> str:
    return re.sub(r"[^0-9]", "", (value or "").translate(_WIDTH))


def mask_name(name: str) -> str:
    """王小明 → 王**, 欧阳明 → 欧阳*: the surname stays, every other character becomes *."""
    name = re.sub(r"\s+", "", name or "")
    if len(name) <= 1:
        return "*" * len(name)
    keep = 2 if name[:2] in COMPOUND_SURNAMES and len(name) > 2 else 1
    return name[:keep] + "*" * (len(name) - keep)


def mask_phone(phone: str) -> str:
    """13912345678 / 139-1234-5678 / +86 139… → 139****5678; a landline → 0349-****567."""
    digits = _digits(phone)
    if len(digits) == 13 and digits.startswith("86"):
        digits = digits[2:]
    if len(digits) == 11 and digits[0] == "1":
        return f"{digits[:3]}****{digits[-4:]}"
    if digits.startswith("0") and len(digits) >= 10:
        return mask_landline(phone)
    if len(digits) <= 4:
        return "*" * len(digits)
    return "*" * (len(digits) - 3) + digits[-3:]


def mask_landline(phone: str) -> str:
    """0349-1234567 → 0349-****567, (010)12345678 → 010-****5678, 7123456 → ****456."""
    flat = (phone or "").translate(_WIDTH)
    digits = _digits(flat)
    m = re.match(r"\s*\(?(0[0-9]{2,3})\)?[ -]", flat)
    if m:
        area = m.group(1)
    elif digits.startswith("0") and len(digits) >= 10:
        # no separator: 010/02x cities have 3-digit codes and 8-digit numbers, others 4 + 7/8
        area = digits[:3] if digits[1] in "12" else digits[:4]
    else:
        area = ""
    local = digits[len(area) :]
    masked = "****" + local[4:] if len(local) > 4 else "*" * len(local)
    return f"{area}-{masked}" if area else masked


def mask_id(id_number: str) -> str:
    """140602199001011234 → 1406**********1234: the first 4 and the last 4 characters stay."""
    value = re.sub(r"\s+", "", (id_number or "").translate(_WIDTH)).upper()
    if len(value) <= 8:
        return "*" * len(value)
    return value[:4] + "*" * (len(value) - 8) + value[-4:]


_TOWN_RE = re.compile(r"^.{2,16}?(?:乡|镇|街道|街道办事处|办事处|苏木)")


def mask_address(addr: str) -> str:
    """Kept up to the 乡镇/街道 (or the first 6 characters), then ***: 朔城区神头镇马跳庄村5号 →
    朔城区神头镇***."""
    value = re.sub(r"\s+", "", addr or "")
    if not value:
        return ""
    m = _TOWN_RE.match(value)
    if m and m.end() < len(value):
        keep = m.group()
    else:
        keep = value[: min(6, len(value) // 2)]
    return f"{keep}***"
