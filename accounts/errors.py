"""Domain errors raised by services; the API and the HTML views turn them into clear answers."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _


class DomainError(Exception):
    """Base class: a rule of the platform refused the operation."""

    default_message: Any = _("操作未能完成。")

    def __init__(self, message: Any = None, *, field_errors: dict[str, list[Any]] | None = None) -> None:
        self.message = message or self.default_message
        self.field_errors = field_errors or {}
        super().__init__(str(self.message))


class NotAllowed(DomainError):
    """The actor's role does not allow this operation (HTTP 403)."""

    default_message = _("您没有执行此操作的权限。")


class StateConflict(DomainError):
    """The object is no longer in a state that allows the operation, e.g. a concurrent reviewer won (HTTP 409)."""

    default_message = _("该记录的状态已发生变化，请刷新页面后重试。")


class InvalidInput(DomainError):
    """The input breaks a validation rule (HTTP 400 with per-field messages)."""

    default_message = _("提交的数据有误，请检查标出的字段。")
