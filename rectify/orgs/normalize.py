"""Name normalisation used to match unit names as plans write them against the directory."""

from __future__ import annotations

import re

_SPACE = re.compile(r"\s+")
_TABLE = str.maketrans({"(": "（", ")": "）", ",": "、", "，": "、"})


def normalize_unit_name(name: str) -> str:
    """Full-width brackets, no spaces, no trailing punctuation: 各县(市、区) 政府。→ 各县（市、区）政府."""
    text = _SPACE.sub("", name.translate(_TABLE))
    return text.strip("。；;：:、")
