"""The 工作简报 editor's text: HTML from the editor (bold, numbered and bulleted lists, photos),
sanitized to a small whitelist with nh3 (the Ammonia sanitizer), and turned into the renderer's
paragraphs.

The renderer reads paragraphs of text in which "**…**" marks bold (gbt9704.inline_bold); an
ordered list item becomes a paragraph numbered "1．", a bullet item one led by "●". A literal "**"
typed by a user is printed as "＊＊" so it never toggles bold. An <img> survives only when its
src is one of our own briefing photo URLs; it becomes a photo reference of the item.
Old briefings store plain `paragraphs` (with "**…**" typed by hand) and still render.
"""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser
from typing import Any

import nh3

ALLOWED_TAGS = {"p", "strong", "b", "em", "ol", "ul", "li", "br", "img"}
# Our photo URL (documents.urls: briefing_photo): /…/briefings/<id>/photos/<kind>-<id>/
PHOTO_SRC = re.compile(r"^/(?:[\w-]+/)*briefings/(\d+)/photos/(visit|county)-(\d+)/$")
BULLET = "●"
MAX_HTML = 100_000


def _attribute_filter(tag: str, attr: str, value: str) -> str | None:
    if tag == "img" and attr == "src":
        return value if PHOTO_SRC.match(value) else None
    if tag == "li" and attr == "data-list":  # Quill 2 marks list items ordered/bullet on <li>
        return value if value in ("ordered", "bullet") else None
    return value


def from_form(raw: str) -> str:
    """A form's text: the editor's HTML, or (a page without the editor) plain lines as paragraphs."""
    text = str(raw)
    if "<" not in text:
        return from_paragraphs([line.strip() for line in text.splitlines() if line.strip()])
    return text


def sanitize(raw: str) -> str:
    """The editor's HTML reduced to p, strong/b, em, ol, ul, li, br and our own photos: no
    scripts, styles, links, classes or event attributes; an <img> from elsewhere is dropped."""
    cleaned = nh3.clean(
        str(raw)[:MAX_HTML],
        tags=ALLOWED_TAGS,
        clean_content_tags={"script", "style"},
        attributes={"img": {"src"}, "li": {"data-list"}},
        attribute_filter=_attribute_filter,
        url_schemes=set(),
        link_rel=None,
        strip_comments=True,
    )
    # An <img> whose src was dropped carries nothing: remove it.
    cleaned = re.sub(r"<img\s*/?>", "", cleaned)
    return cleaned.strip()


def photo_ref(src: str) -> dict[str, Any] | None:
    m = PHOTO_SRC.match(src)
    return {"source": m.group(2), "id": int(m.group(3))} if m else None


class _Reader(HTMLParser):
    """Paragraphs (with ** bold marks) and photo references out of sanitized HTML."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.paragraphs: list[str] = []
        self.photos: list[dict[str, Any]] = []
        self.current: list[str] = []
        self.bold = 0
        self.lists: list[list[Any]] = []  # [kind, counter]
        self.prefix = ""

    def _flush(self) -> None:
        text = "".join(self.current).replace("****", "").strip(" \t\r\n\u3000\u00a0")
        if text.strip("*"):
            self.paragraphs.append(self.prefix + text)
        self.current = []
        self.prefix = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("p", "li"):
            self._flush()
            if tag == "li" and self.lists:
                kind = dict(attrs).get("data-list") or self.lists[-1][0]
                self.lists[-1][1] += 1
                self.prefix = f"{self.lists[-1][1]}．" if kind in ("ordered", "ol") else f"{BULLET} "
        elif tag in ("ol", "ul"):
            self._flush()
            self.lists.append([tag, 0])
        elif tag in ("strong", "b"):
            if not self.bold:
                self.current.append("**")
            self.bold += 1
        elif tag == "br":
            self._flush()
        elif tag == "img":
            ref = photo_ref(dict(attrs).get("src") or "")
            if ref and ref not in self.photos:
                self.photos.append(ref)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("p", "li"):
            self._flush_keep_bold()
        elif tag in ("ol", "ul"):
            self._flush()
            if self.lists:
                self.lists.pop()
        elif tag in ("strong", "b") and self.bold:
            self.bold -= 1
            if not self.bold:
                self.current.append("**")

    def _flush_keep_bold(self) -> None:
        if self.bold:  # a paragraph ended inside bold: close it here, reopen in the next
            self.current.append("**")
            self._flush()
            self.current.append("**")
        else:
            self._flush()

    def handle_data(self, data: str) -> None:
        self.current.append(data.replace("**", "＊＊").replace("\n", ""))


def read(clean_html: str) -> tuple[list[str], list[dict[str, Any]]]:
    """(paragraphs with ** bold marks and list numbers, photo references) of sanitized HTML."""
    reader = _Reader()
    reader.feed(clean_html)
    reader.close()
    reader._flush()
    return reader.paragraphs, reader.photos


def from_paragraphs(paragraphs: list[str]) -> str:
    """An old item's paragraphs ("**…**" typed by hand) as editor HTML."""
    out = []
    for p in paragraphs:
        parts = p.split("**")
        if len(parts) % 2 == 0:
            parts = [p]
        pieces = [f"<strong>{html.escape(t)}</strong>" if i % 2 else html.escape(t) for i, t in enumerate(parts) if t]
        out.append(f"<p>{''.join(pieces)}</p>")
    return "".join(out)
