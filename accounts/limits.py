"""How much text and which dates users may enter: one set of limits for forms, the API, imports and services."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import models
from django.utils.translation import gettext as _

from accounts.errors import InvalidInput

SHORT_TEXT = 1000
"""A reason, a note, a comment or a decision: a few sentences."""
LONG_TEXT = 5000
"""An explanation, a description, a plan or findings: a page or two."""
REPORT_TEXT = 20000
"""A district's yearly narrative."""

MAX_INPUT_LENGTH = 40
"""A typed number: fifteen digits, six decimals, a sign and grouping commas fit with room to spare."""
CREDIT_CODE_INPUT_LENGTH = 40
"""A credit code is 18 characters; typed with spaces or hyphens it may be longer before it is cleaned."""

EARLIEST_DATE = dt.date(2000, 1, 1)
"""Nothing the platform records (incidents, notices, revocations, supervision) happened before this."""


def text_problem(value: Any, limit: int, label: Any = "") -> str | None:
    """The message for a text longer than `limit` characters, or None."""
    if not isinstance(value, str) or len(value) <= limit:
        return None
    return _("{label}不能超过{limit}个字（现有{length}个字）。").format(
        label=label or _("内容"), limit=limit, length=len(value)
    )


def date_problem(value: dt.date | None, *, earliest: dt.date, latest: dt.date) -> str | None:
    """The message for a date outside [earliest, latest] (a typo like 0001-01-01 or 2205-05-01), or None."""
    if value is None or earliest <= value <= latest:
        return None
    return _("日期应在{earliest}至{latest}之间（填写的是{value}）。").format(
        earliest=earliest.isoformat(), latest=latest.isoformat(), value=value.isoformat()
    )


def ensure_dates(**fields: tuple[dt.date | None, dt.date, dt.date]) -> None:
    """Raise InvalidInput naming every field whose date is outside its (value, earliest, latest) range."""
    errors = {
        name: [problem]
        for name, (value, earliest, latest) in fields.items()
        if (problem := date_problem(value, earliest=earliest, latest=latest))
    }
    if errors:
        raise InvalidInput(field_errors=errors)


class BoundedTextField(models.TextField):
    """Free text with a length limit that holds on every write path.

    Forms, serializers and the schema read `max_length` as for any field; a write that reaches the
    database some other way (a service fed by hand, a conditional UPDATE, a bulk write) is refused with
    InvalidInput naming the field instead of storing a megabyte of text. The column stays `text`.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", SHORT_TEXT)
        super().__init__(*args, **kwargs)

    def get_db_prep_save(self, value: Any, connection: Any) -> Any:
        assert self.max_length is not None
        if problem := text_problem(value, self.max_length, self.verbose_name):
            raise InvalidInput(field_errors={self.name: [problem]})
        return super().get_db_prep_save(value, connection)
