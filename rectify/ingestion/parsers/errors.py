"""The two errors a plan can raise: unreadable bytes and text that holds no plan.

Both carry a Chinese `message` meant for the user and subclass ValueError, so callers that only
want "bad input" can catch that.
"""

from __future__ import annotations


class PlanError(ValueError):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class PlanReadError(PlanError):
    """The file could not be read as text: empty, too large, corrupt, unknown format…"""


class ParseError(PlanError):
    """The text was read but holds no rectification list (no （一） problems with their fields)."""
