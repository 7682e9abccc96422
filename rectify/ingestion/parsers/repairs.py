"""Repairs of the artefacts plans pick up on the way from Word/PDF to text.

Owns `normalize_line` (full-width digits, bracket, colon, quote and full-stop widths next to
Chinese, spaces inside dates such as "2022 年 12 月底", stray LaTeX such as
"$\\mu\\text{g}/\\text{m}^3$") and `join_paragraphs` (a sentence split by a page break or a line
wrap is glued back together; a label alone on its line, a signature's date and a line of status
words are not). Both are pure and deterministic: the same words give the same output whichever
format they came from.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .dates import is_date_line
from .markers import SECTION_RE, starts_structure
from .patterns import BARE_ATTACHMENT_RE, CHAPTER_RE, PROBLEM_RE, STATUS_ONLY_RE, is_bare_label


@dataclass(slots=True)
class Para:
    line: int  # 1-based number of its first line in the input
    text: str


def is_cjk(ch: str) -> bool:
    """CJK ideographs and the punctuation set around them (full-width forms, curly quotes)."""
    o = ord(ch)
    return (
        0x4E00 <= o <= 0x9FFF
        or 0x3400 <= o <= 0x4DBF
        or 0x3000 <= o <= 0x303F
        or 0xFF00 <= o <= 0xFFEF
        or 0x2018 <= o <= 0x201F
        or o in (0x2014, 0x2026, 0x00B7)
        or 0xF900 <= o <= 0xFAFF
        or 0x20000 <= o <= 0x2FA1F
    )


# Full-width digits and Latin letters become ASCII; full-width punctuation stays as it is.
_WIDTH: dict[int, int | str | None] = {i: i - 0xFEE0 for i in range(0xFF10, 0xFF1A)}
_WIDTH.update({i: i - 0xFEE0 for i in range(0xFF21, 0xFF3B)})
_WIDTH.update({i: i - 0xFEE0 for i in range(0xFF41, 0xFF5B)})
_WIDTH.update(
    {
        0xFF05: "%",
        0x3000: " ",
        0x00A0: " ",
        0x2002: " ",
        0x2003: " ",
        0x2009: " ",
        0x0009: " ",
        0x200B: None,
        0x200C: None,
        0x200D: None,
        0xFEFF: None,
        0x00AD: None,
    }
)

_FORMULA_RE = re.compile(r"\$([^$\n]{1,160})\$")
_SUPER = str.maketrans("0123456789+-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻")
_SUB = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")
_LATEX_SYMBOLS = {
    "mu": "μ",
    "cdot": "·",
    "times": "×",
    "leq": "≤",
    "le": "≤",
    "geq": "≥",
    "ge": "≥",
    "sim": "~",
    "pm": "±",
    "circ": "°",
    "%": "%",
    "alpha": "α",
    "beta": "β",
    "gamma": "γ",
    "delta": "δ",
    "lambda": "λ",
    "pi": "π",
    "sigma": "σ",
    "Omega": "Ω",
    "approx": "≈",
    "neq": "≠",
    "degree": "°",
}


def _latex(match: re.Match[str]) -> str:
    body = match.group(1)
    if not re.search(r"[\\^_]", body):
        return match.group()  # "$100$" is not a formula
    body = re.sub(r"\^\s*\{\\circ\}|\^\s*\\circ", "°", body)
    # symbols before \text{…} is unwrapped, or "\mu\text{g}" would read as a command "\mug"
    body = re.sub(r"\\([A-Za-z]+|%)(?![A-Za-z])", lambda m: _LATEX_SYMBOLS.get(m.group(1), m.group()), body)
    body = re.sub(r"\\(?:text|mathrm|rm|mathit|textrm|operatorname)\s*\{([^{}]*)\}", r"\1", body)
    body = re.sub(r"\^\s*\{([0-9+\-]+)\}|\^\s*([0-9+\-])", lambda m: (m.group(1) or m.group(2)).translate(_SUPER), body)
    body = re.sub(r"_\s*\{([0-9]+)\}|_\s*([0-9])", lambda m: (m.group(1) or m.group(2)).translate(_SUB), body)
    body = re.sub(r"\\([A-Za-z]+|%)", lambda m: _LATEX_SYMBOLS.get(m.group(1), ""), body)
    body = body.replace("{", "").replace("}", "").replace("\\", "")
    return re.sub(r"\s+", "", body)


_PAIR_RE = re.compile(r"\(([^()（）]*)\)")
_ASCII_PUNCT_RE = re.compile(r"[,:;?!]")
_ASCII_TO_FULL = {",": "，", ":": "：", ";": "；", "?": "？", "!": "！"}
_SPACE_RE = re.compile(r"\s+")


def _neighbour(text: str, index: int, step: int) -> str:
    """The nearest non-space character from index in direction step, or ''."""
    i = index
    while 0 <= i < len(text):
        if not text[i].isspace():
            return text[i]
        i += step
    return ""


def _cjk_near(text: str, begin: int, end: int) -> bool:
    before = _neighbour(text, begin - 1, -1)
    after = _neighbour(text, end, 1)
    return bool((before and is_cjk(before)) or (after and is_cjk(after)))


def _brackets(text: str) -> str:
    def repl(m: re.Match[str]) -> str:
        inner = m.group(1)
        if any(is_cjk(c) for c in inner) or _cjk_near(text, m.start(), m.end()):
            return f"（{inner}）"
        return m.group()

    # inner pairs first, then the pairs that enclosed them
    for _ in range(3):
        new = _PAIR_RE.sub(repl, text)
        if new == text:
            break
        text = new
    return text


# a half-width full stop after a Chinese character (not a numeral: 一.大气), at the end or before
# more Chinese: 。
_CJK_STOP_RE = re.compile(r"(?<=[\u4e00-\u9fff”）])(?<![一二三四五六七八九十百零〇两])\.(?=\s*$|\s*[\u4e00-\u9fff“（])")


_DOUBLE_QUOTES_RE = re.compile(r'"([^"\n]{1,80})"')


def _quotes(text: str) -> str:
    """ "六个百分之百" → “六个百分之百” in Chinese text; "abc" between ASCII words stays."""

    def repl(m: re.Match[str]) -> str:
        if any(is_cjk(c) for c in m.group(1)) or _cjk_near(text, m.start(), m.end()):
            return f"“{m.group(1)}”"
        return m.group()

    return _DOUBLE_QUOTES_RE.sub(repl, text)


def _punct(text: str) -> str:
    def repl(m: re.Match[str]) -> str:
        ch = m.group()
        if _cjk_near(text, m.start(), m.end()):
            return _ASCII_TO_FULL[ch]
        return ch

    if '"' in text:
        text = _quotes(text)
    text = _ASCII_PUNCT_RE.sub(repl, text)
    return _CJK_STOP_RE.sub("。", text) if "." in text else text


def _spaces(text: str) -> str:
    """Whitespace survives only between two ASCII characters ("PM 10"); next to CJK it goes."""

    def repl(m: re.Match[str]) -> str:
        if m.start() == 0 or m.end() == len(text):
            return ""
        before, after = text[m.start() - 1], text[m.end()]
        return " " if before.isascii() and after.isascii() else ""

    return _SPACE_RE.sub(repl, text)


_ASCII_MARKS_RE = re.compile(r'[(),:;?!".]')
_FULL_STOP_AFTER_DIGIT_RE = re.compile(r"(?<=\d)．")


def normalize_line(text: str) -> str:
    """One physical line → its repaired form. Idempotent."""
    text = text.translate(_WIDTH)
    if "$" in text:
        text = _FORMULA_RE.sub(_latex, text)
    # 1．强化 → 1.强化; a full stop after a digit is a measure number or a decimal point
    text = _FULL_STOP_AFTER_DIGIT_RE.sub(".", text)
    # a colon turned full-width can make a neighbouring bracket pair CJK-adjacent: repeat to rest
    for _ in range(4 if _ASCII_MARKS_RE.search(text) else 0):
        new = _punct(_brackets(text))
        if new == text:
            break
        text = new
    return _spaces(text)


def join_text(left: str, right: str) -> str:
    """Glue two fragments of one sentence; a space only between two ASCII words."""
    if left and right and left[-1].isascii() and right[0].isascii():
        if left[-1].isalnum() and right[0].isalnum():
            return f"{left} {right}"
    return left + right


_TERMINAL = set("。；！？：;!?:")
_CLOSERS = set("”’」』）)】》")
_HEADING_PUNCT = re.compile(r"[。，；：、！？,;:!?]")


def ends_complete(text: str) -> bool:
    """Does the paragraph end like a finished sentence or a label line?"""
    if not text:
        return True
    last = text[-1]
    if last in _TERMINAL:
        return True
    return last in _CLOSERS and len(text) > 1 and text[-2] in _TERMINAL


def _headingish(text: str, limit: int) -> bool:
    """Short and without punctuation inside (one closing 。 allowed): a title or heading line."""
    body = text[:-1] if text.endswith("。") else text
    marker = CHAPTER_RE.match(body) or PROBLEM_RE.match(body)
    if marker:  # "一、指导思想": the 、 of the number is not punctuation of the heading
        body = marker.group(2)
    return len(body) <= limit and not _HEADING_PUNCT.search(body)


def continues(prev: str, nxt: str) -> bool:
    """Is `nxt` the rest of the sentence `prev` left unfinished?"""
    if not prev or not nxt or starts_structure(nxt) or ends_complete(prev):
        return False
    if BARE_ATTACHMENT_RE.match(prev) or is_bare_label(prev) or SECTION_RE.match(prev):
        return False  # "责任人" alone on its line: the next line is its value, not its continuation
    if is_date_line(nxt) or (len(nxt) <= 20 and STATUS_ONLY_RE.match(nxt)):
        return False  # a date alone on its line signs a notice; 已完成 alone is a status
    if _headingish(prev, 40):
        # "一、指导思想" stands alone; only a heading wrapped onto a second short line is glued
        return _headingish(nxt, 30)
    return True


_SIGNER_MAX = 30


def _signs(text: str, following: str | None) -> bool:
    """A short line right above a date line: who signs the notice, never a sentence's tail."""
    return following is not None and len(text) <= _SIGNER_MAX and is_date_line(following)


def join_paragraphs(lines: list[tuple[int, str]]) -> list[Para]:
    """Normalized (line number, text) pairs → paragraphs; blank lines carry no meaning."""
    paras: list[Para] = []
    texts = [(number, text) for number, text in lines if text]
    for k, (number, text) in enumerate(texts):
        following = texts[k + 1][1] if k + 1 < len(texts) else None
        if paras and continues(paras[-1].text, text) and not _signs(text, following):
            paras[-1].text = join_text(paras[-1].text, text)
        else:
            paras.append(Para(number, text))
    return paras


def text_to_paragraphs(text: str) -> list[Para]:
    """Raw text → normalized, re-joined paragraphs with their first line numbers."""
    lines = [(i, normalize_line(line)) for i, line in enumerate(text.splitlines(), start=1)]
    return join_paragraphs(lines)
