"""Responsible-unit phrases → unit names, with their 牵头/配合 roles.

Owns `split_units` and `split_unit_refs`. A 、 inside brackets never splits (各县（市、区）stays
whole); a bare organ suffix after 、 takes the stem of the unit before it
(朔州经济开发区党工委、管委会 → 朔州经济开发区党工委, 朔州经济开发区管委会). Names are not resolved
against the unit directory here: that is the importer's job. But the caller may pass the names
the directory knows (`known`): a phrase that runs two names together with no separator
(市生态环境局市住建局) is then split where every piece is a known name; when it cannot be split
that way and still looks like several units, it is kept whole and marked `suspect` for review.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass

ROLE_LEAD = "lead"
ROLE_SUPPORT = "support"

# longest first, so 人民政府 is found before 政府 when a stem is cut off
ORGAN_SUFFIXES: tuple[str, ...] = ("纪委监委", "人民政府", "党工委", "管委会", "党委", "政府", "人大", "政协")
_BARE = set(ORGAN_SUFFIXES) | {"人大常委会", "纪委", "监委"}

_OPEN = "（([【〔《「“‘"
_CLOSE = "）)]】〕》」”’"
_SEPARATORS = "、，,；;。\n"
_WIDTH = str.maketrans({"(": "（", ")": "）", ",": "，", ";": "；", ":": "："})
_PREFIX_RE = re.compile(r"^(牵头|配合|协办|协助)(?:单位|部门)?(?:（[^）]*）)?[：:]")
_SUFFIX_RE = re.compile(r"(?:（(牵头|配合|协办|协助|参与)(?:单位|部门)?）|(?<=.{2})(牵头|配合))$")
_TRIM = " \t　。．.：:"
# an organ's name ends …局/委/办/府…, and the next one starts 市/县/区/省/各 with no separator between
_GLUE_RE = re.compile(
    r"(?:[局委办厅院府室心司会部队所站处]|党委|党工委)(?=[^、，,；;（）()]{0,3}?(?:市|县|区|省|旗|镇|乡)"
    r"[^、，,；;]{0,30}?(?:局|委|办|厅|院|政府|党委|中心|公司|管委会|办公室|部|队|所|站)$)"
    r"|(?:党委|党工委)(?=政府|人民政府|管委会)"
)
_MAX_SPLIT_LEN = 80


@dataclass(frozen=True, slots=True)
class UnitRef:
    name: str
    role: str | None  # lead | support | None when the phrase does not say
    # the phrase as written when it was split by the directory ("市生态环境局市住建局")
    split_from: str | None = None
    # written as one name but looks like several run together, and the directory could not split it
    suspect: bool = False


def unit_key(name: str) -> str:
    """The form names are compared in: ASCII brackets and punctuation full-width, no spaces."""
    return re.sub(r"\s+", "", (name or "").translate(_WIDTH)).strip(_TRIM)


def _split_known(segment: str, known: Collection[str]) -> list[str] | None:
    """`segment` as two or more known names in a row (a bare 政府 after 某县党委 counts), else None."""
    n = len(segment)
    if n > _MAX_SPLIT_LEN:
        return None
    # best[i]: the pieces of segment[:i], fewest first
    best: list[list[str] | None] = [None] * (n + 1)
    best[0] = []
    for end in range(1, n + 1):
        for begin in range(end):
            pieces = best[begin]
            if pieces is None:
                continue
            piece = segment[begin:end]
            if piece in _BARE and pieces:
                stem = _stem(pieces[-1])
                piece = stem + piece if stem else piece
            if piece in known and (best[end] is None or len(pieces) + 1 < len(best[end] or [])):
                best[end] = [*pieces, piece]
    found = best[n]
    return found if found and len(found) > 1 else None


def _role(word: str) -> str:
    return ROLE_LEAD if word == "牵头" else ROLE_SUPPORT


def _segments(text: str) -> list[str]:
    """Split at top-level separators; brackets (各县（市、区）) protect what is inside them."""
    out: list[str] = []
    depth = 0
    current: list[str] = []
    for ch in text:
        if ch in _OPEN:
            depth += 1
        elif ch in _CLOSE and depth:
            depth -= 1
        if ch in _SEPARATORS and depth == 0:
            out.append("".join(current))
            current = []
        else:
            current.append(ch)
    out.append("".join(current))
    return out


def _stem(previous: str) -> str | None:
    for suffix in ORGAN_SUFFIXES:
        if previous.endswith(suffix) and len(previous) > len(suffix):
            return previous[: -len(suffix)]
    return None


def _unglue(segment: str, role: str | None, known: Collection[str] | None) -> list[UnitRef]:
    if known is not None and segment not in known:
        pieces = _split_known(segment, known)
        if pieces:
            return [UnitRef(piece, role, split_from=segment) for piece in pieces]
    if (known is None or segment not in known) and _GLUE_RE.search(segment):
        return [UnitRef(segment, role, suspect=True)]
    return [UnitRef(segment, role)]


def split_unit_refs(text: str, default_role: str | None = None, known: Collection[str] | None = None) -> list[UnitRef]:
    """Units of a 责任单位 phrase in order, each with the role the phrase gives it.

    `known`: names the unit directory knows (in `unit_key` form), for splitting names written
    together without a separator.
    """
    text = re.sub(r"\s+", "", (text or "").translate(_WIDTH))
    refs: list[UnitRef] = []
    sticky = default_role  # "牵头单位：A、B；配合单位：C" — a prefix holds until the next one
    for raw in _segments(text):
        segment = raw.strip(_TRIM)
        prefix = _PREFIX_RE.match(segment)
        if prefix:
            sticky = _role(prefix.group(1))
            segment = segment[prefix.end() :].strip(_TRIM)
        role = sticky
        suffix = _SUFFIX_RE.search(segment)
        if suffix:
            role = _role(suffix.group(1) or suffix.group(2))
            segment = segment[: suffix.start()].strip(_TRIM)
        if not segment:
            continue
        if segment in _BARE and refs:
            stem = _stem(refs[-1].name)
            if stem:
                segment = stem + segment
        refs.extend(_unglue(segment, role, known))
    return _dedupe(refs)


def _dedupe(refs: list[UnitRef]) -> list[UnitRef]:
    seen: dict[str, int] = {}
    out: list[UnitRef] = []
    for ref in refs:
        if ref.name in seen:
            i = seen[ref.name]
            if out[i].role is None and ref.role is not None:
                out[i] = ref
            continue
        seen[ref.name] = len(out)
        out.append(ref)
    return out


def split_units(text: str) -> list[str]:
    """各县（市、区）党委、政府 → ["各县（市、区）党委", "各县（市、区）政府"]. Never raises."""
    return [ref.name for ref in split_unit_refs(text)]


def assign_roles(refs: list[UnitRef]) -> tuple[list[str], list[str], list[str]]:
    """(responsible, lead, support) names.

    Nothing marked: every unit leads. Only 牵头 marked: the unmarked ones support. Only 配合
    marked: the unmarked ones lead.
    """
    refs = _dedupe(refs)
    names = [r.name for r in refs]
    roles = {r.role for r in refs if r.role}
    if not roles:
        return names, names[:], []
    default = ROLE_SUPPORT if roles == {ROLE_LEAD} else ROLE_LEAD
    lead = [r.name for r in refs if (r.role or default) == ROLE_LEAD]
    support = [r.name for r in refs if (r.role or default) == ROLE_SUPPORT]
    return names, lead, support
