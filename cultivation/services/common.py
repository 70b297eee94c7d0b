"""Helpers shared by the cultivation services."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.errors import InvalidInput, NotAllowed
from factories.models import FIRST_DATA_YEAR


def today() -> dt.date:
    return timezone.localdate()


def ensure_own_district(actor: Any, district: Any) -> None:
    """A district's standard, levels and report are written by that district's users only (Art. 5, 12).

    The caller has checked the district's right (`pool.manage`, `district_report.submit`); this checks
    that the unit is the actor's own."""
    if getattr(actor, "district_id", None) != district.pk:
        raise NotAllowed(_("只能处理本区县的培育工作，该管理单位不在您的管辖范围内。"))


def required_text(value: str | None, field: str, message: Any) -> str:
    """The stripped text, or InvalidInput on `field` when it is blank."""
    text = (value or "").strip()
    if not text:
        raise InvalidInput(field_errors={field: [message]})
    return text


def ensure_year(year: Any, *, first: int = FIRST_DATA_YEAR, field: str = "year") -> int:
    """A data year between `first` and the current year."""
    this_year = today().year
    try:
        year = int(year)
    except (TypeError, ValueError):
        year = 0
    if not first <= year <= this_year:
        raise InvalidInput(
            field_errors={field: [_("年度应在{first}年至{last}年之间。").format(first=first, last=this_year)]}
        )
    return year
