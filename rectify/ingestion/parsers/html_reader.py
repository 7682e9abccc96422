"""HTML plans (a page saved from a government site, Word's "save as web page") → text.

Owns `read_html`, on the standard library's html.parser: block elements end lines, <br> ends a
line, script/style/head are dropped, and tables go through tables.flatten_table like Word's.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

from .readers import decode_text
from .tables import TableContext, flatten_table

_BLOCKS = {
    "p",
    "div",
    "br",
    "li",
    "ul",
    "ol",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "section",
    "article",
    "header",
    "footer",
    "blockquote",
    "pre",
    "dt",
    "dd",
    "dl",
    "hr",
    "center",
    "address",
    "main",
    "nav",
    "aside",
    "figure",
    "figcaption",
    "form",
    "body",
    "html",
    "caption",
}
_SKIP = {"script", "style", "head", "noscript", "template", "title", "svg", "object", "iframe"}
_VOID = {"br", "hr", "img", "meta", "link", "input", "col", "area", "base", "wbr", "source"}
_SPACE_RE = re.compile(r"[ \t\r\n\f]+")
_CHARSET_RE = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_\-]+)""", re.I)


class _Table:
    def __init__(self) -> None:
        self.rows: list[list[str]] = []
        self.cell: list[str] | None = None

    def text(self, data: str) -> None:
        if self.cell is not None:
            self.cell.append(data)

    def end_cell(self) -> None:
        if self.cell is not None:
            if not self.rows:
                self.rows.append([])
            text = "".join(self.cell)
            self.rows[-1].append("\n".join(t.strip() for t in text.split("\n") if t.strip()))
            self.cell = None


class _PlanHTML(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = []
        self.current: list[str] = []
        self.skip_depth = 0
        self.pre_depth = 0
        self.tables: list[_Table] = []
        self.context = TableContext()

    def _break(self) -> None:
        if self.tables:
            self.tables[-1].text("\n")
            return
        text = "".join(self.current).strip()
        if text:
            self.lines.extend(part.strip() for part in text.split("\n"))
        self.current = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP:
            if tag not in _VOID:
                self.skip_depth += 1
            return
        if self.skip_depth:
            return
        if tag == "table":
            self._break()
            self.tables.append(_Table())
        elif tag == "tr" and self.tables:
            self.tables[-1].end_cell()
            self.tables[-1].rows.append([])
        elif tag in ("td", "th") and self.tables:
            self.tables[-1].end_cell()
            self.tables[-1].cell = []
        elif tag in _BLOCKS:
            if tag == "pre":
                self.pre_depth += 1
            self._break()

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in _VOID:
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP:
            self.skip_depth = max(0, self.skip_depth - 1)
            return
        if self.skip_depth:
            return
        if tag == "table" and self.tables:
            table = self.tables.pop()
            table.end_cell()
            lines = flatten_table(table.rows, None if self.tables else self.context)
            if self.tables:  # a table inside a cell: its text belongs to that cell
                self.tables[-1].text("\n" + "\n".join(lines) + "\n")
            else:
                self.lines.extend(lines)
        elif tag in ("td", "th") and self.tables:
            self.tables[-1].end_cell()
        elif tag in _BLOCKS:
            if tag == "pre":
                self.pre_depth = max(0, self.pre_depth - 1)
            self._break()

    def handle_data(self, data: str) -> None:
        if self.skip_depth:
            return
        if not self.pre_depth:
            data = _SPACE_RE.sub(" ", data)
        if self.tables:
            self.tables[-1].text(data)
        else:
            self.current.append(data)

    def result(self) -> str:
        while self.tables:
            self.handle_endtag("table")
        self._break()
        return "\n".join(self.lines)


def read_html(data: bytes) -> str:
    declared = _CHARSET_RE.search(data[:4096])
    hint = declared.group(1).decode("ascii").lower() if declared else None
    if hint in ("gb2312", "gbk"):
        hint = "gb18030"  # pages labelled GB2312 routinely use GBK characters
    parser = _PlanHTML()
    parser.feed(decode_text(data, hint))
    parser.close()
    return parser.result()
