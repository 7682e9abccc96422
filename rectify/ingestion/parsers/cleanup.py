"""Messy text → clean lines, before paragraphs are formed.

Owns `read_paragraphs` (normalize, clean, join) and the cleaning steps: replacement characters
(�, 锟斤拷 — a decoding accident) are removed and reported; a web page's chrome copied along with
the plan (首页>…, 发布时间：…, 【大 中 小】, 打印本页 关闭窗口, 版权所有…) is dropped and
reported in one warning that quotes it (so is a table's "（续表）" line); tables pasted as text
are read as tables — rows written `| 键 | 值 |`, and cells written one per line ending in ` |`
(a key/value table flattened: "反馈问题 |" / "…… |" becomes "反馈问题：……"). Line numbers stay
those of the input.
"""

from __future__ import annotations

import re

from .ledger_layout import header_field
from .model import ParseWarning
from .patterns import label_of
from .repairs import Para, join_paragraphs, normalize_line
from .tables import flatten_table

_GARBLED_RE = re.compile(r"\ufffd+|(?:锟斤拷)+")
_SEP = r"(?:[>＞»›→]|&gt;)"
_CHROME_RE = re.compile(
    r"^(?:"
    r"(?:当前位置|您的位置|你的位置|您现在的位置|所在位置)[：:].*"
    rf"|(?:网站)?首页\s*{_SEP}.*"
    rf"|[^>＞»›。，；]{{1,15}}(?:\s*{_SEP}\s*[^>＞»›。，；]{{1,15}}){{2,}}"
    r"|[【\[]?字[号体][：:]?[】\]]?\s*[【\[]?大[】\]]?\s*[【\[]?中[】\]]?\s*[【\[]?小[】\]]?.{0,20}"
    r"|(?:[【\[]?(?:打印(?:本页|此页)?|关闭(?:窗口|本页)?|返回(?:顶部|首页|列表)?|收藏(?:本页)?|我要纠错|纠错|分享到?)"
    r"[】\]]?[\s|｜/]*){1,6}"
    r"|(?:发布|更新|发文|成文|生成)(?:时间|日期)[：:].{0,80}"
    r"|(?:来源|信息来源|文章来源|稿件来源|作者|责任编辑|编辑)[：:].{0,40}"
    r"|(?:浏览|阅读|点击|访问)(?:次数|量)?[：:]\s*\d*.{0,20}"
    r"|(?:索引号|主题分类|发布机构|发文机关|发文字号|信息分类|公开方式|公开范围|有效性)[：:].{0,80}"
    r"|(?:上一篇|下一篇|上一条|下一条)[：:].*"
    r"|(?:扫一扫|微信扫一扫|手机扫一扫).*"
    r"|[（(]?续(?:上)?表[）)]?"
    r"|(?:(?:网站地图|联系我们|关于我们|无障碍浏览|无障碍|English|繁体|简体)[\s|｜/]*){1,8}"
    r")$",
    re.I,
)
# a site's footer, wherever the words stand in the line
_FOOTER_WORDS = ("版权所有", "ICP备", "ICP证", "网站标识码", "公网安备", "Copyright", "copyright", "©")
_ROW_RE = re.compile(r"^\|.*\|$")
_RULE_RE = re.compile(r"^\|?[\s:\-|]+\|?$")


def _snippet(text: str, limit: int = 24) -> str:
    return text if len(text) <= limit else text[:limit] + "…"


def _ungarble(lines: list[tuple[int, str]], warnings: list[ParseWarning]) -> list[tuple[int, str]]:
    out = []
    for number, text in lines:
        found = _GARBLED_RE.findall(text) if "\ufffd" in text or "锟斤拷" in text else None
        if found:
            text = _GARBLED_RE.sub("", text).strip()
            count = sum(len(f) if f[0] == "\ufffd" else len(f) // 3 for f in found)
            warnings.append(
                ParseWarning(
                    number, f"此行含{count}处无法识别的字符（“�”或“锟斤拷”，多为编码错误），已删去，请与原文核对"
                )
            )
        out.append((number, text))
    return out


def _drop_chrome(lines: list[tuple[int, str]], warnings: list[ParseWarning]) -> list[tuple[int, str]]:
    out: list[tuple[int, str]] = []
    dropped: list[tuple[int, str]] = []
    for number, text in lines:
        if text and len(text) <= 200 and (_CHROME_RE.match(text) or any(w in text for w in _FOOTER_WORDS)):
            dropped.append((number, text))
            continue
        out.append((number, text))
    if dropped:
        quoted = "、".join(f"“{_snippet(t)}”" for _, t in dropped[:4]) + ("等" if len(dropped) > 4 else "")
        warnings.append(ParseWarning(dropped[0][0], f"已忽略版面文字（网页栏目、续表等）{len(dropped)}行：{quoted}"))
    return out


def _cells(text: str) -> list[str]:
    return [cell.strip() for cell in text.strip("|").split("|")]


def _is_field_label(cell: str) -> bool:
    label = label_of(cell)
    return label is not None and not label.value


def _pair_cells(cells: list[tuple[int, str]]) -> list[tuple[int, str]]:
    """Cells of a flattened table, one per line → lines: a header row with rows under it, or
    label / value pairs ("反馈问题" then its value → "反馈问题：…")."""
    header = 0
    while header < len(cells) and header_field(cells[header][1]):
        header += 1
    if header >= 3:
        width = header
        rows = [[c for _, c in cells[i : i + width]] for i in range(0, len(cells), width)]
        first = cells[0][0]
        return [(first, line) for line in flatten_table(rows)]
    out: list[tuple[int, str]] = []
    label: tuple[int, str] | None = None
    for number, cell in cells:
        if _is_field_label(cell):
            if label is not None:
                out.append(label)
            label = (number, cell.rstrip("：:") + "：")
            continue
        if label is not None:
            out.append((label[0], label[1] + cell))
            label = None
        else:
            out.append((number, cell))
    if label is not None:
        out.append(label)
    return out


def _is_cell(text: str) -> bool:
    """One cell of a flattened table: "反馈问题 |"."""
    return text.endswith("|") and not text.startswith("|")


def _untable(lines: list[tuple[int, str]]) -> list[tuple[int, str]]:
    """Rows `| a | b |` and cells `a |` (one per line) → the lines a table reader would give."""
    out: list[tuple[int, str]] = []
    i = 0
    while i < len(lines):
        number, text = lines[i]
        if _ROW_RE.match(text) and text.count("|") >= 3:
            rows: list[list[str]] = []
            while i < len(lines) and (_ROW_RE.match(lines[i][1]) or not lines[i][1]):
                if lines[i][1] and not _RULE_RE.match(lines[i][1]):
                    rows.append(_cells(lines[i][1]))
                i += 1
            out.extend((number, line) for line in flatten_table(rows))
            continue
        if _is_cell(text):
            cells: list[tuple[int, str]] = []
            while i < len(lines) and (_is_cell(lines[i][1]) or not lines[i][1]):
                if lines[i][1]:
                    cells.append((lines[i][0], lines[i][1].rstrip("|").strip()))
                i += 1
            out.extend(_pair_cells([c for c in cells if c[1]]))
            continue
        out.append((number, text))
        i += 1
    return out


def clean_lines(lines: list[tuple[int, str]]) -> tuple[list[tuple[int, str]], list[ParseWarning]]:
    """Normalized (line number, text) pairs → cleaned pairs and what the cleaning reports."""
    warnings: list[ParseWarning] = []
    lines = _ungarble(lines, warnings)
    lines = _drop_chrome(lines, warnings)
    if any(text.endswith("|") for _, text in lines):
        lines = [(n, normalize_line(t)) for n, t in _untable(lines)]
    return lines, warnings


def read_paragraphs(text: str) -> tuple[list[Para], list[ParseWarning]]:
    """Raw text → repaired paragraphs with their first line numbers, and the cleaning's warnings."""
    lines = [(i, normalize_line(line)) for i, line in enumerate(text.splitlines(), start=1)]
    lines, warnings = clean_lines(lines)
    return join_paragraphs(lines), warnings
