"""Telling factories that their grade was published."""

from __future__ import annotations

from typing import Any

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.notifications import notify


def on_run_published(run: Any) -> None:
    """Each graded enterprise's users learn that the grade is in public notice, with a link to its explanation."""
    enterprise_ids = run.results.values("enterprise_id")
    users = User.objects.filter(role="enterprise", is_active=True, enterprise_id__in=enterprise_ids)
    try:
        url = reverse("factories:my_grades")
    except NoReverseMatch:
        url = ""
    notify(
        users.iterator(),
        kind="grade_published",
        key=f"grade:{run.year}:{run.pk}",
        title=_("{year}年度绿色工厂分级评价结果已公示（{start}至{end}）").format(
            year=run.year, start=run.notice_from, end=run.notice_to
        ),
        body=_("请登录平台查看本企业的等级及评价说明。如有异议，请在公示期内向市经济信息委反映。"),
        url=url,
    )
