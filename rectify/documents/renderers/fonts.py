"""Fonts of official documents: the names a .docx asks for and the faces a PDF embeds.

GB/T 9704-2012 prescribes 仿宋_GB2312 (body), 方正小标宋简体 (版头 and 标题), 黑体 and 楷体_GB2312.
The .docx only *names* them (every office PC has them, and Word shows what offices expect). The
PDF embeds the best face this machine has for each, in this order (docs/documents.md):

1. the official font itself, from the folder RECTIFY_FONT_DIR (setting or environment variable),
   e.g. a licensed FZXBSJW.TTF or 仿宋_GB2312.ttf copied there;
2. the same files installed in the system font folders;
3. the free Fandol faces of TeX Live (FandolFang for 仿宋, FandolKai for 楷体), which
   scripts/bootstrap copies to /usr/local/share/fonts/fandol;
4. Debian's fonts-noto-cjk: Noto Serif CJK SC for 仿宋/宋体 (regular) and 小标宋/楷体 (bold),
   Noto Sans CJK SC for 黑体 — always required, as the last fallback for every glyph.

Each official font has a stable CSS family ("rectify-fangsong" …) that an @font-face rule maps to
the file found; the Noto family follows it in the font-family list.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

# Names written into the .docx (w:rFonts, including w:eastAsia).
FANGSONG = "仿宋_GB2312"  # body text
XIAOBIAOSONG = "方正小标宋简体"  # 版头 (issuer) and titles
HEITI = "黑体"  # 一级标题, table headers
KAITI = "楷体_GB2312"  # 二级标题
SONGTI = "宋体"  # page numbers

NOTO_SERIF = "Noto Serif CJK SC"
NOTO_SANS = "Noto Sans CJK SC"


@dataclass(frozen=True)
class Face:
    """How the PDF sets one official font: its own CSS family, the files that may stand for it
    (best first, matched case-insensitively), and the Noto family and weight that back it up."""

    css_family: str
    files: tuple[str, ...]
    fallback: str
    weight: int


FACES: dict[str, Face] = {
    FANGSONG: Face(
        "rectify-fangsong",
        (
            "仿宋_GB2312.ttf",
            "FangSong_GB2312.ttf",
            "FS_GB2312.ttf",
            "simfang.ttf",
            "仿宋.ttf",
            "STFANGSO.TTF",
            "FZFSJW.TTF",
            "FandolFang-Regular.otf",
        ),
        NOTO_SERIF,
        400,
    ),
    XIAOBIAOSONG: Face(
        "rectify-xiaobiaosong",
        (
            "方正小标宋简体.ttf",
            "FZXBSJW.TTF",
            "FZXBSJW--GB1-0.ttf",
            "FZXiaoBiaoSong-B05S.ttf",
            "FZXiaoBiaoSong-B05.ttf",
            "方正小标宋_GBK.ttf",
            "FZXBSK.TTF",
            "小标宋.ttf",
        ),
        NOTO_SERIF,
        700,
    ),
    KAITI: Face(
        "rectify-kaiti",
        (
            "楷体_GB2312.ttf",
            "KaiTi_GB2312.ttf",
            "simkai.ttf",
            "楷体.ttf",
            "STKAITI.TTF",
            "FZKTJW.TTF",
            "FandolKai-Regular.otf",
        ),
        NOTO_SERIF,
        700,
    ),
    HEITI: Face("rectify-heiti", ("黑体.ttf", "simhei.ttf", "FZHTJW.TTF"), NOTO_SANS, 400),
    SONGTI: Face("rectify-songti", ("宋体.ttf", "simsun.ttc", "simsun.ttf", "FZSSJW.TTF"), NOTO_SERIF, 400),
}


@dataclass(frozen=True)
class PdfFace:
    """A CSS font: the family list (the official font's own family, then Noto) and the weight."""

    family: str
    weight: int

    @property
    def stack(self) -> str:
        return self.family

    def css(self) -> str:
        return f"font-family: {self.family}; font-weight: {self.weight};"


def pdf_bold_family(name: str) -> str:
    """The family for bold text set in `name`: the free 仿宋/楷体 stand-ins have no bold face and
    a synthetic one barely shows, so bold spans (一要…二要…) take the Noto face's real bold."""
    return f"'{FACES[name].fallback}'"


def _pdf_face(name: str) -> PdfFace:
    face = FACES[name]
    return PdfFace(f"'{face.css_family}', '{face.fallback}'", face.weight)


class _Faces(Mapping[str, PdfFace]):
    def __getitem__(self, name: str) -> PdfFace:
        return _pdf_face(name)

    def __iter__(self) -> Iterator[str]:
        return iter(FACES)

    def __len__(self) -> int:
        return len(FACES)


# The stand-in for each official font in the PDF.
PDF_FACES: Mapping[str, PdfFace] = _Faces()

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
_FONT_SUFFIXES = (".ttf", ".otf", ".ttc")


class FontsMissing(RuntimeError):
    """The Noto CJK fonts are not installed: a PDF would show empty boxes instead of Chinese."""


def font_dir() -> Path | None:
    """The folder of licensed official fonts: settings.RECTIFY_FONT_DIR, else the environment."""
    value = ""
    try:
        from django.conf import settings

        if settings.configured:
            value = str(getattr(settings, "RECTIFY_FONT_DIR", "") or "")
    except ImportError:  # pragma: no cover - the renderers also run without Django
        pass
    value = value or os.environ.get("RECTIFY_FONT_DIR", "")
    return Path(value) if value else None


@functools.lru_cache(maxsize=8)
def _index(root: Path) -> dict[str, Path]:
    """Every font file under root by lower-case file name (the first in path order wins)."""
    found: dict[str, Path] = {}
    if root.is_dir():
        for path in sorted(root.rglob("*")):
            if path.suffix.lower() in _FONT_SUFFIXES and path.is_file():
                found.setdefault(path.name.lower(), path)
    return found


def _search_dirs() -> list[Path]:
    own = font_dir()
    return ([own] if own is not None else []) + list(FONT_DIRS)


def face_file(name: str) -> Path | None:
    """The file the PDF uses for an official font, or None when Noto stands in for it."""
    candidates = [f.lower() for f in FACES[name].files]
    for root in _search_dirs():  # a folder earlier in the order wins over a better name later
        index = _index(root)
        for candidate in candidates:
            if candidate in index:
                return index[candidate]
    return None


def font_face_css() -> str:
    """@font-face rules mapping each official font's CSS family to the file found for it."""
    rules = []
    for name, face in FACES.items():
        path = face_file(name)
        if path is not None:
            rules.append(
                f"@font-face {{ font-family: '{face.css_family}'; font-weight: {face.weight}; "
                f"src: url('{path.as_uri()}'); }}"
            )
    return "\n".join(rules)


def faces_in_use() -> dict[str, str]:
    """For docs and diagnostics: what the PDF sets each official font in."""
    out = {}
    for name, face in FACES.items():
        path = face_file(name)
        out[name] = path.name if path is not None else f"{face.fallback} {face.weight}"
    return out


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
