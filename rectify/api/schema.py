"""Schema post-processing: the committed OpenAPI file must not depend on the database.

Django derives integer bounds from the backend (SQLite's 64-bit integers, PostgreSQL's 16/32-bit
columns), so drf-spectacular would write different `maximum`/`format` values on each; the
schema states the bounds the columns share instead.
"""

from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path
from typing import Any

# Upper bounds Django takes from a backend's integer column ranges.
_BACKEND_MAXIMA = {32767, 2147483647, 9223372036854775807}
_BACKEND_MINIMA = {-32768, -2147483648, -9223372036854775808}


def stable_integer_bounds(result: dict[str, Any], generator: Any, request: Any, public: bool) -> dict[str, Any]:
    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") == "integer":
                if node.get("maximum") in _BACKEND_MAXIMA:
                    node.pop("maximum")
                    node.pop("format", None)
                if node.get("minimum") in _BACKEND_MINIMA:
                    node.pop("minimum")
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(result)
    return result


def _swagger_style_hash() -> str:
    """The CSP hash of the one inline <style> block of drf-spectacular's Swagger page (read from the
    installed template, so an upgrade that changes it keeps working): the docs page allows that
    block and no other inline style element."""
    import drf_spectacular

    template = Path(drf_spectacular.__file__).parent / "templates" / "drf_spectacular" / "swagger_ui.html"
    match = re.search(r"<style>(.*?)</style>", template.read_text(encoding="utf-8"), re.S)
    if match is None:
        return "'self'"
    digest = hashlib.sha256(match.group(1).encode("utf-8")).digest()
    return f"'sha256-{base64.b64encode(digest).decode('ascii')}'"


SWAGGER_STYLE_HASH = _swagger_style_hash()
