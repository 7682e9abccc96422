"""Batches of complaint cases (第N批交办件) as offices exchange them: .xlsx/.csv bytes → rows.

Owns `parse_batch`: the file is read (python-calamine for .xlsx/.xlsm/.ods, the csv module for
.csv/.txt in UTF-8, UTF-8 with BOM, UTF-16 with BOM or GBK/GB18030), the header row is found
among the first rows by loose matching of column names, and every case row is cleaned into a
`CaseRow`: codes normalised, dates of every written form parsed, pollution types mapped to their
canonical names, verdicts and statuses mapped to slugs, free text repaired, personal data columns
kept apart. Nothing is dropped silently: a skipped row or a cell not understood becomes a
warning; a file that cannot be read raises `BatchError` with a Chinese message. Pure: no Django.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import PurePath
from typing import Any

from .reading import MAX_BATCH_BYTES, BatchError, _check_size, _suffix, _tables  # noqa: F401 - re-exported

__all__ = [
    "HEADER_ALIASES",
    "MAX_BATCH_BYTES",
    "MAX_BATCH_ROWS",
    "BatchError",
    "CaseRow",
    "ParsedBatch",
    "canonical_types",
    "normalize_code",
    "parse_batch",
    "parse_date",
    "parse_status",
    "parse_verdict",
    "repair_text",
]

MAX_BATCH_ROWS = 20_000
HEADER_SCAN = 10

SUBSTANTIATED, PARTLY, UNSUBSTANTIATED = "substantiated", "partly", "unsubstantiated"
CLOSED, STAGE_CLOSED, OPEN = "closed", "stage_closed", "open"


@dataclass(frozen=True)
class CaseRow:
    line: int  # spreadsheet row number (1-based, as Excel shows it)
    seq: str
    code: str
    assigned_on: date | None
    region: str
    types: tuple[str, ...]
    content: str
    investigation: str
    verdict: str  # substantiated | partly | unsubstantiated | ""
    handling: str
    accountability: str
    status: str  # closed | stage_closed | open
    personal: dict[str, str] = field(default_factory=dict)  # name, phone, id_number, address
    extra: dict[str, str] = field(default_factory=dict)  # other non-empty columns, by header


@dataclass(frozen=True)
class ParsedBatch:
    title: str
    batch_no: int | None
    rows: list[CaseRow]
    warnings: list[tuple[int, str]]
    headers: dict[str, str]  # canonical field → header text as found


# field → accepted header spellings, best first (normalised as `_header_key` does)
HEADER_ALIASES: dict[str, tuple[str, ...]] = {
    "seq": ("序号",),
    "code": tuple("受理编号 交办编号 编号 举报编号 信访编号 案件编号 交办件编号 受理号".split()),
    "assigned_on": tuple("交办时间 交办日期 受理时间 受理日期 转办时间".split()),
    "region": tuple("行政区域 所属区域 区域 县区 县(市、区) 县(市区) 属地 区县 地区 所在地".split()),
    "types": tuple("污染类型 污染种类 类型 问题类型 污染类别".split()),
    "content": tuple(
        "举报内容 信访内容 反映问题 问题描述 交办内容 投诉内容 反映内容 信访事项 交办问题 举报问题 举报事项 反映事项"
        " 具体问题".split()
    ),
    "investigation": tuple("调查核实情况 核查情况 调查情况 核实情况 调查核实结果".split()),
    "verdict": tuple("是否属实 属实情况 核实结论 是否属实情况 核查结论 调查结论".split()),
    "handling": tuple(
        "处理和整改情况 处理整改情况 整改情况 办理情况 处理情况 整改落实情况 处理结果 办理结果 查处情况".split()
    ),
    "accountability": tuple("问责情况 责任追究情况 追责问责情况".split()),
    "status": tuple("办理状态 办结情况 是否办结 状态 办理进度".split()),
    "name": tuple("举报人 投诉人 信访人 姓名 举报人姓名 来电人 来信人 反映人 联系人".split()),
    "phone": tuple("联系电话 电话 手机 手机号 手机号码 联系方式 电话号码".split()),
    "id_number": tuple("身份证号 身份证号码 证件号码 身份证 证件号 身份证编号".split()),
    "address": tuple("住址 联系地址 家庭住址 地址 居住地址 通讯地址".split()),
}
PERSONAL_FIELDS = ("name", "phone", "id_number", "address")
_EXPECTED = (
    "序号、受理编号（交办编号）、交办时间、行政区域、污染类型、举报内容、调查核实情况、是否属实、"
    "处理和整改情况、问责情况、办理状态"
)
NO_HEADER_MESSAGE = (
    f"未找到表头行：前 {HEADER_SCAN} 行中没有可识别的列名。交办件表格应包含以下列（列名可略有不同）："
    f"{_EXPECTED}；至少要有“受理编号”或“举报内容”列，且能识别三列以上。"
)

# Full-width ASCII (digits, letters, punctuation) → half-width; the ideographic space → space.
_WIDTH: dict[int, int | str | None] = {i: i - 0xFEE0 for i in range(0xFF01, 0xFF5F)}
_WIDTH.update({0x3000: " ", 0x00A0: " ", 0x200B: None, 0xFEFF: None, 0x00AD: None})


def _text(value: Any) -> str:
    """A cell's value as text; numbers that are whole print without ".0"."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e17 else str(value)
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M") if (value.hour or value.minute) else value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value).replace("\r\n", "\n").replace("\r", "\n")


def _squeeze(line: str) -> str:
    """Whitespace survives only as one space between two ASCII characters ("PM 10")."""

    def repl(m: re.Match[str]) -> str:
        if m.start() == 0 or m.end() == len(line):
            return ""
        before, after = line[m.start() - 1], line[m.end()]
        return " " if before.isascii() and after.isascii() else ""

    return re.sub(r"\s+", repl, line)


def _inline(value: Any) -> str:
    """A one-line cell: width-normalised spaces, line breaks and stray spaces removed."""
    return _squeeze(_text(value).replace("\u3000", " ").replace("\u00a0", " "))


_TERMINAL = set("。！？；：!?;:…")
_CLOSERS = set("”’」』）)】》")
_LIST_START = re.compile(
    r"^(?:[一二三四五六七八九十]+[、.．]|\d{1,2}[、.．)）](?!\d)|[（(][一二三四五六七八九十\d]{1,3}[）)]|[①-⑳]|第[一二三四五六七八九十\d]+[条项点步]|[●◆■▲★·•\-—])"
)


def _continues(prev: str, nxt: str) -> bool:
    if _LIST_START.match(nxt):
        return False
    last = prev[-1]
    if last in _TERMINAL:
        return False
    return not (last in _CLOSERS and len(prev) > 1 and prev[-2] in _TERMINAL)


def repair_text(value: Any) -> str:
    """A free-text cell: CRLF → LF, stray spaces removed, a line break inside a sentence joined,
    paragraph breaks (after 。！？； or before a list item) kept as one "\\n"."""
    text = _text(value).replace("\u3000", " ").replace("\u00a0", " ").replace("\t", " ")
    paras: list[str] = []
    fresh = True  # a blank line closes the paragraph before it
    for raw in text.split("\n"):
        line = _squeeze(raw)
        if not line:
            fresh = True
            continue
        if paras and not fresh and _continues(paras[-1], line):
            sep = " " if paras[-1][-1].isascii() and paras[-1][-1].isalnum() and line[0].isascii() else ""
            paras[-1] += sep + line
        else:
            paras.append(line)
        fresh = False
    return "\n".join(paras)


def normalize_code(value: Any) -> str:
    """受理编号: full-width → half-width, no spaces at all, Latin letters upper-case."""
    text = _text(value).translate(_WIDTH)
    return re.sub(r"\s+", "", text).upper()


_CN_DIGIT = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}


def _cn_int(text: str) -> int | None:
    text = text.translate(_WIDTH)
    if text.isdigit():
        return int(text)
    total, digit = 0, 0
    for ch in text:
        if ch in _CN_DIGIT:
            digit = _CN_DIGIT[ch]
        elif ch in "十百":
            total += (digit or 1) * (10 if ch == "十" else 100)
            digit = 0
        else:
            return None
    return total + digit or None


_BATCH_RE = re.compile(r"第\s*([0-9０-９]+|[零〇一二两三四五六七八九十百]+)\s*批")


def _batch_no(text: str) -> int | None:
    m = _BATCH_RE.search(text or "")
    return _cn_int(m.group(1)) if m else None


# ---------------------------------------------------------------- dates, verdicts, statuses, types

_EXCEL_EPOCH = date(1899, 12, 30)
_FULL_DATE = re.compile(r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})(?:日|号)?(?:\D.*)?$")
_COMPACT_DATE = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_MONTH_DAY = re.compile(r"^(\d{1,2})(?:月|/)(\d{1,2})(?:日|号)?(?:\D.*)?$")
_SERIAL = re.compile(r"^(\d{5})(?:\.\d+)?$")


def _serial(number: float) -> date | None:
    # 20000 ≈ 1954, 73050 ≈ 2099: any other number is not a date in a complaint table
    if 20_000 <= number <= 73_050:
        return _EXCEL_EPOCH + timedelta(days=int(number))
    return None


def _safe_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def parse_date(value: Any, year_hint: int | None = None) -> tuple[date | None, bool]:
    """A 交办时间 cell → (date, understood). An empty cell is (None, True)."""
    if isinstance(value, datetime):
        return value.date(), True
    if isinstance(value, date):
        return value, True
    if isinstance(value, int | float) and not isinstance(value, bool):
        found = _serial(float(value))
        return found, found is not None
    text = re.sub(r"\s*([年月日号/.\-])\s*", r"\1", _text(value).translate(_WIDTH).strip())
    if not text:
        return None, True
    for pattern in (_FULL_DATE, _COMPACT_DATE):
        m = pattern.match(text)
        if m:
            found = _safe_date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
            return found, found is not None
    m = _MONTH_DAY.match(text)
    if m and year_hint:
        found = _safe_date(year_hint, int(m.group(1)), int(m.group(2)))
        return found, found is not None
    m = _SERIAL.match(text)
    if m:
        found = _serial(float(m.group(1)))
        return found, found is not None
    return None, False


def _date_year(value: Any) -> int | None:
    found, _ = parse_date(value)
    return found.year if found else None


def _verdict_key(value: Any) -> str:
    return re.sub(r"[\s。.，,；;！!、]+", "", _text(value).translate(_WIDTH))


def parse_verdict(value: Any) -> str | None:
    """是否属实 → slug; "" for an empty cell; None when the cell is not understood."""
    key = _verdict_key(value)
    if not key:
        return ""
    if key in ("是", "属实", "Y", "YES", "对", "确实", "查实"):
        return SUBSTANTIATED
    if key in ("否", "不属实", "N", "NO", "不实", "失实"):
        return UNSUBSTANTIATED
    if key in ("部分", "基本", "部分是"):
        return PARTLY
    if re.search(r"部分属实|部份属实|基本属实|部分查实", key):
        return PARTLY
    if re.search(r"不属实|不实|未查实|失实", key):
        return UNSUBSTANTIATED
    if "属实" in key or "查实" in key:
        return SUBSTANTIATED
    return None


def parse_status(value: Any) -> str | None:
    """办理状态 → slug; an empty cell is open; None when the cell is not understood."""
    key = _verdict_key(value)
    if not key or key == "否":
        return OPEN
    if key == "是":
        return CLOSED
    if re.search(r"未办结|未完成|未结|正在|办理中|整改中|推进中|进行中|未整改|待办", key):
        return OPEN
    if "阶段" in key:
        return STAGE_CLOSED
    if re.search(r"办结|完成|结案|已结|已整改", key):
        return CLOSED
    return None


# variant (after "污染" is dropped) → canonical pollution type
_TYPE_NAMES: dict[str, str] = {}
for _canonical, _variants in {
    "大气": "大气 空气 扬尘 油烟 废气 烟尘 粉尘 异味 恶臭 臭气 臭味 烟气 黑烟 VOCS 挥发性有机物 燃煤 露天焚烧 秸秆焚烧",
    "水": "水 废水 污水 地表水 地下水 饮用水 水源地 水体 黑臭水体 河道",
    "土壤": "土壤 土地 耕地",
    "噪声": "噪声 噪音 振动 震动",
    "固废": "固废 固体废物 固体废弃物 危险废物 危废 工业固废 一般固废 垃圾 生活垃圾 建筑垃圾 医疗废物 煤矸石 尾矿",
    "辐射": "辐射 电磁辐射 核辐射 电磁",
    "生态": "生态 生态破坏 生态环境 植被破坏 毁林 林地 草原 矿山 矿山生态 自然保护区",
    "其他": "其他 其它 综合",
}.items():
    for _variant in _variants.split():
        _TYPE_NAMES[_variant] = _canonical

_TYPE_SPLIT = re.compile(r"[、,，/／;；\n\s|及和]+")


def canonical_types(value: Any) -> tuple[str, ...]:
    """污染类型 cell → canonical names in order, unknown ones kept as written, no repeats."""
    found: list[str] = []
    for part in _TYPE_SPLIT.split(_text(value).translate(_WIDTH)):
        part = part.strip(" 。.:：")
        if not part or part in ("污染", "问题"):  # "大气 污染": a stray space split the word
            continue
        key = part.upper()
        name = _TYPE_NAMES.get(key) or _TYPE_NAMES.get(re.sub(r"(?:污染|问题|类)$", "", key)) or part
        if name not in found:
            found.append(name)
    return tuple(found)


# ---------------------------------------------------------------- the header row


def _header_key(value: Any) -> str:
    text = re.sub(r"\s+", "", _text(value).translate(_WIDTH))
    text = re.sub(r"[(\[【]必填[)\]】]|[*]", "", text)
    return text.rstrip(":")


_ALIAS: dict[str, tuple[str, int]] = {}
for _field, _aliases in HEADER_ALIASES.items():
    for _rank, _alias in enumerate(_aliases):
        _ALIAS.setdefault(_header_key(_alias), (_field, _rank))
_BY_LENGTH = sorted(_ALIAS, key=len, reverse=True)


def header_field(value: Any) -> tuple[str, int] | None:
    """A header cell → (field, rank): lower rank is a better match. Chinese puts the head noun
    last, so "举报人住址" is an address and "群众举报内容" the content."""
    key = _header_key(value)
    if not key or len(key) > 30:
        return None
    if key in _ALIAS:
        return _ALIAS[key]
    bare = re.sub(r"\([^()]*\)$", "", key)
    if bare.startswith("被"):  # 被举报人, 被投诉单位: the party complained about, not a complainant
        return None
    if bare in _ALIAS:
        name, rank = _ALIAS[bare]
        return name, rank + 20
    for alias in _BY_LENGTH:
        if len(alias) >= 2 and bare.endswith(alias):
            name, rank = _ALIAS[alias]
            return name, rank + 40
    for alias in _BY_LENGTH:
        if len(alias) >= 3 and alias in bare:
            name, rank = _ALIAS[alias]
            return name, rank + 60
    return None


@dataclass
class _Header:
    first: int  # index of the (first) header row: a title may stand above it
    row: int  # index of the last header row: cases start below it
    columns: dict[int, str]  # column → field
    texts: dict[int, str]  # column → header text as found


def _header_text(value: Any) -> str:
    return re.sub(r"\s+", " ", _text(value)).strip()


def _score(cells: list[Any]) -> dict[int, tuple[str, int]]:
    return {c: found for c, cell in enumerate(cells) if (found := header_field(cell))}


def _resolve(cands: dict[int, tuple[str, int]]) -> dict[int, str]:
    best: dict[str, tuple[int, int]] = {}
    for col, (name, rank) in cands.items():
        if name not in best or (rank, col) < best[name]:
            best[name] = (rank, col)
    return {col: name for name, (_, col) in best.items()}


def _headerish(cells: list[Any]) -> bool:
    filled = [c for c in cells if _text(c).strip()]
    matched = _score(cells)
    return bool(matched) and len(matched) * 2 >= len(filled) and all(len(_text(c)) <= 20 for c in filled)


def _find_header(rows: list[list[Any]]) -> _Header | None:
    best: tuple[int, int] | None = None  # (fields, row)
    for i, row in enumerate(rows[:HEADER_SCAN]):
        fields = set(_resolve(_score(row)).values())
        if len(fields) >= 3 and fields & {"code", "content"} and (best is None or len(fields) > best[0]):
            best = (len(fields), i)
    if best is None:
        return None
    top = bottom = best[1]
    # a two-row header: group labels (举报人信息) above the column names (姓名, 电话); the
    # label row shares a vertically merged cell (序号) with the row below it
    above = rows[top - 1] if top else []
    if above and _headerish(above) and any(_text(a).strip() and a == b for a, b in zip(above, rows[top], strict=False)):
        top -= 1
    elif bottom + 1 < len(rows) and _headerish(rows[bottom + 1]):
        bottom += 1
    cands: dict[int, tuple[str, int]] = {}
    texts: dict[int, str] = {}
    for c in range(max(len(r) for r in rows[top : bottom + 1])):
        layers = [_header_text(_cell(r, c)) for r in rows[top : bottom + 1]]
        texts[c] = "/".join(dict.fromkeys(t for t in layers if t))
        for text in reversed(layers):  # the lowest name wins: 举报人信息/姓名 is a name
            if found := header_field(text):
                cands[c] = found
                break
    return _Header(top, bottom, _resolve(cands), texts)


# ---------------------------------------------------------------- rows → cases


def _cell(row: list[Any], col: int) -> Any:
    return row[col] if col < len(row) else None


def _blank(row: list[Any]) -> bool:
    return not any(_text(v).strip() for v in row)


def _preview(row: list[Any]) -> str:
    text = " ".join(_inline(v) for v in row if _text(v).strip())
    return text[:30] + ("…" if len(text) > 30 else "")


def _title(rows: list[list[Any]]) -> str:
    cells = [_inline(v) for row in rows for v in row if _text(v).strip()]
    for cell in cells:
        if "批" in cell or "交办" in cell:
            return cell
    return cells[0] if cells else ""


def _file_year(rows: list[list[Any]], col: int | None, title: str) -> int | None:
    years = Counter(y for row in rows if col is not None and (y := _date_year(_cell(row, col))))
    if years:
        return years.most_common(1)[0][0]
    m = re.search(r"(20\d{2})\s*年", title)
    return int(m.group(1)) if m else None


def parse_batch(data: bytes, filename: str, *, year_hint: int | None = None) -> ParsedBatch:
    """A batch file's bytes → ParsedBatch (the first sheet with a recognisable header row)."""
    _check_size(data)
    for rows in _tables(data, filename):
        header = _find_header(rows)
        if header is not None:
            return _build(rows, header, filename, year_hint)
    raise BatchError(NO_HEADER_MESSAGE)


def _build(rows: list[list[Any]], header: _Header, filename: str, year_hint: int | None) -> ParsedBatch:
    body = rows[header.row + 1 :]
    filled = sum(1 for row in body if not _blank(row))
    if filled > MAX_BATCH_ROWS:
        raise BatchError(f"表格共有 {filled} 行数据，超过每批 {MAX_BATCH_ROWS} 行的上限，请拆分后分批导入。")
    title = _title(rows[: header.first])
    col = {name: c for c, name in header.columns.items()}
    headers = {name: header.texts.get(c, "") for name, c in col.items()}
    warnings: list[tuple[int, str]] = []
    if "code" not in col:
        warnings.append((header.row + 1, "表头中没有受理编号（交办编号）列：再次导入时无法识别同一案件。"))
    year = year_hint or _file_year(body, col.get("assigned_on"), title)
    width = max((len(r) for r in rows), default=0)
    extra_cols = {c: header.texts.get(c) or f"第{c + 1}列" for c in range(width) if c not in header.columns}
    header_keys = {c: _header_key(v) for c, v in enumerate(rows[header.row])}
    probe = col.get("code", col.get("content", 0))
    cases: list[CaseRow] = []
    seen: dict[str, int] = {}
    blanks: list[int] = []
    started = False
    for line, row in enumerate(body, start=header.row + 2):
        if _blank(row):
            blanks.append(line)
            continue
        if started:  # blank rows between cases are reported; those before the first are layout
            warnings.extend((b, "空行，已跳过。") for b in blanks)
        blanks, started = [], True
        if _header_key(_cell(row, probe)) == header_keys.get(probe) and _repeats_header(row, header_keys):
            warnings.append((line, "重复的表头行，已跳过。"))
            continue
        raw = {name: _cell(row, c) for name, c in col.items()}
        code = normalize_code(raw.get("code"))
        content = repair_text(raw.get("content"))
        if not code and not content:
            warnings.append((line, f"没有受理编号和举报内容，已跳过：{_preview(row)}"))
            continue
        if code in seen:
            warnings.append((line, f"受理编号 {code} 与第 {seen[code]} 行重复，已跳过本行。"))
            continue
        if code:
            seen[code] = line
        elif "code" in col:
            warnings.append((line, "缺少受理编号。"))
        if isinstance(raw.get("id_number"), float):
            warnings.append((line, "身份证号被存为数字，末几位可能已丢失：请把该列设为文本后重新导出。"))
        assigned, verdict, status, messages = _judged(raw, year)
        warnings.extend((line, message) for message in messages)
        personal = {name: _personal(name, raw.get(name)) for name in PERSONAL_FIELDS}
        cases.append(
            CaseRow(
                line=line,
                seq=_inline(raw.get("seq")),
                code=code,
                assigned_on=assigned,
                region=_inline(raw.get("region")).translate(_WIDTH).replace("(", "（").replace(")", "）"),
                types=canonical_types(raw.get("types")),
                content=content,
                investigation=repair_text(raw.get("investigation")),
                verdict=verdict,
                handling=repair_text(raw.get("handling")),
                accountability=repair_text(raw.get("accountability")),
                status=status,
                personal={k: v for k, v in personal.items() if v},
                extra={
                    name: repair_text(_cell(row, c)) for c, name in extra_cols.items() if _text(_cell(row, c)).strip()
                },
            )
        )
    if not cases:
        warnings.append((header.row + 1, "表头下没有任何交办件。"))
    warnings.sort(key=lambda w: w[0])
    batch_no = _batch_no(title) or _batch_no(PurePath(filename or "").stem)
    return ParsedBatch(title, batch_no, cases, warnings, headers)


def _repeats_header(row: list[Any], header_keys: dict[int, str]) -> bool:
    """A page header repeated inside the table (exports of long tables do that)."""
    return {c: _header_key(v) for c, v in enumerate(row) if _text(v).strip()}.items() <= header_keys.items()


def _judged(raw: dict[str, Any], year: int | None) -> tuple[date | None, str, str, list[str]]:
    """The cells that can be misunderstood → (assigned_on, verdict, status, warning messages)."""
    messages: list[str] = []
    assigned, understood = parse_date(raw.get("assigned_on"), year)
    if not understood:
        written = _inline(raw.get("assigned_on"))
        if _MONTH_DAY.match(written.translate(_WIDTH)):
            messages.append(f"交办时间“{written}”缺少年份，请补全年份或在导入时指定年份，已留空。")
        else:
            messages.append(f"交办时间“{written}”无法识别，已留空。")
    verdict = parse_verdict(raw.get("verdict"))
    if verdict is None:
        messages.append(f"是否属实“{_inline(raw.get('verdict'))}”无法识别（应为属实、部分属实或不属实），已留空。")
        verdict = ""
    status = parse_status(raw.get("status"))
    if status is None:
        messages.append(
            f"办理状态“{_inline(raw.get('status'))}”无法识别（应为办结、阶段性办结或未办结），按未办结处理。"
        )
        status = OPEN
    return assigned, verdict, status, messages


def _personal(name: str, value: Any) -> str:
    if name in ("phone", "id_number"):
        return re.sub(r"\s+", "", _text(value).translate(_WIDTH)).upper()
    return _inline(value)
