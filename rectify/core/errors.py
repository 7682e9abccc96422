"""Errors every layer raises and every view knows how to show (messages are in Chinese)."""

from __future__ import annotations


class DomainError(Exception):
    """A rule of the domain refused the change; `message` is shown to the user as is."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(DomainError):
    """The object does not exist, or lies outside the viewer's scope (never tell which)."""

    def __init__(self, message: str = "未找到该对象，或您无权查看。") -> None:
        super().__init__(message)


class Forbidden(DomainError):
    """The viewer's role may not do this at all (independent of any object)."""

    def __init__(self, message: str = "您的角色无权执行此操作。") -> None:
        super().__init__(message)


class ConcurrentChange(DomainError):
    """Someone else changed the object first: the guarded update matched no row."""

    def __init__(self, message: str = "已被他人处理，请刷新页面后重试。") -> None:
        super().__init__(message)
