"""Fonts of official documents: the names a .docx asks for and the Noto CJK faces a PDF embeds.

GB/T 9704-2012 prescribes 仿宋_GB2312, 方正小标宋简体, 黑体 and 楷体_GB2312. They are proprietary,
so the .docx only *names* them (every office PC has them, and Word shows what offices expect),
while the PDF embeds Debian's fonts-noto-cjk faces, which look close enough and may be shipped:
Noto Serif CJK SC for 仿宋/宋体 (regular) and 小标宋/楷体 (bold), Noto Sans CJK SC for 黑体.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

# Names written into the .docx (w:rFonts, including w:eastAsia).
FANGSONG = "仿宋_GB2312"  # body text
XIAOBIAOSONG = "方正小标宋简体"  # 版头 (issuer) and titles
HEITI = "黑体"  # 一级标题, table headers
KAITI = "楷体_GB2312"  # 二级标题
SONGTI = "宋体"  # page numbers


@dataclass(frozen=True)
class PdfFace:
    """A CSS font: the fontconfig family and the weight that picks the face."""

    family: str
    weight: int

    def css(self) -> str:
        return f"font-family: '{self.family}'; font-weight: {self.weight};"


NOTO_SERIF = "Noto Serif CJK SC"
NOTO_SANS = "Noto Sans CJK SC"

# The stand-in for each official font in the PDF.
PDF_FACES: dict[str, PdfFace] = {
    FANGSONG: PdfFace(NOTO_SERIF, 400),
    SONGTI: PdfFace(NOTO_SERIF, 400),
    XIAOBIAOSONG: PdfFace(NOTO_SERIF, 700),
    KAITI: PdfFace(NOTO_SERIF, 700),
    HEITI: PdfFace(NOTO_SANS, 400),
}

# The files Debian's fonts-noto-cjk installs (other distributions use other folders).
NOTO_FILES = (
    "NotoSerifCJK-Regular.ttc",
    "NotoSerifCJK-Bold.ttc",
    "NotoSansCJK-Regular.ttc",
)
FONT_DIRS = (
    Path("/usr/share/fonts"),
    Path("/usr/local/share/fonts"),
    Path.home() / ".local/share/fonts",
    Path.home() / ".fonts",
)


class FontsMissing(RuntimeError):
    """The Noto CJK fonts are not installed: a PDF would show empty boxes instead of Chinese."""


@functools.lru_cache(maxsize=1)
def noto_cjk_paths() -> dict[str, Path]:
    """Where each needed Noto CJK file is, by file name (missing files are absent)."""
    found: dict[str, Path] = {}
    for root in FONT_DIRS:
        if not root.is_dir():
            continue
        for name in NOTO_FILES:
            if name in found:
                continue
            hit = next(iter(sorted(root.rglob(name))), None)
            if hit is not None:
                found[name] = hit
    return found


def require_noto_cjk() -> None:
    """Raise FontsMissing (naming the Debian package) unless every needed Noto CJK file exists."""
    missing = [name for name in NOTO_FILES if name not in noto_cjk_paths()]
    if missing:
        raise FontsMissing(
            "PDF rendering needs the Noto CJK fonts (" + ", ".join(missing) + " not found): "
            "install the Debian package fonts-noto-cjk"
        )
