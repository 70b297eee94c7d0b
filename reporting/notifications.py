"""In-app notifications, also sent by e-mail after the transaction commits (DOMAIN §5)."""

from __future__ import annotations

import logging
from typing import Any

from django.urls import reverse
from django.utils.translation import gettext as _

from accounts.notifications import notify

logger = logging.getLogger(__name__)


def _enterprise_users(enterprise_id: int) -> list[Any]:
    from accounts.models import User

    return list(User.objects.filter(enterprise_id=enterprise_id, is_active=True, role="enterprise"))


def _district_users(district_id: str) -> list[Any]:
    from accounts.models import User

    return list(User.objects.filter(district_id=district_id, is_active=True, role="district"))


def on_submission_event(submission: Any, event: str, reason: str = "") -> None:
    """Tell the people who act next: the enterprise on return/approve/verify, the district on submit."""
    url = reverse("reporting:submission_detail", args=[submission.pk])
    name, year = submission.enterprise.name, submission.year
    key = f"submission:{submission.pk}:{event}:{submission.transitions.count()}"
    if event == "submitted":
        notify(
            _district_users(submission.enterprise.district_id),
            kind="submission_submitted",
            key=key,
            title=_("{name}提交了{year}年度数据，待审核").format(name=name, year=year),
            url=url,
        )
        return
    titles = {
        "returned": _("{year}年度数据被退回，请修改后重新提交").format(year=year),
        "approved": _("{year}年度数据已通过区县审核").format(year=year),
        "verified": _("{year}年度数据已通过市级复核并锁定").format(year=year),
    }
    body = _("退回原因：{reason}").format(reason=reason) if reason else ""
    notify(
        _enterprise_users(submission.enterprise_id),
        kind=f"submission_{event}",
        key=key,
        title=titles[event],
        body=body,
        url=url,
    )


def on_correction_decided(correction: Any) -> None:
    submission = correction.submission
    approved = correction.status == "approved"
    title = (_("{year}年度数据更正申请已批准") if approved else _("{year}年度数据更正申请被驳回")).format(
        year=submission.year
    )
    notify(
        _enterprise_users(submission.enterprise_id),
        kind="correction_decided",
        key=f"correction:{correction.pk}",
        title=title,
        body=correction.decision_reason,
        url=reverse("reporting:submission_detail", args=[submission.pk]),
    )


def reminder_recipients(enterprise_id: int) -> list[Any]:
    """The enterprise's active fillers: whom a reminder about its data reaches."""
    return _enterprise_users(enterprise_id)


def on_reminder(reminder: Any, users: list[Any]) -> int:
    """A clerk's reminder (催报) to an enterprise that has not submitted its data of the year."""
    year = reminder.year
    return notify(
        users,
        kind="reminder_manual",
        key=f"remind:{reminder.enterprise_id}:{year}:{reminder.pk}",
        title=_("请尽快填报{year}年度绿色制造数据").format(year=year),
        body=_(
            "{unit}提醒：贵企业的{year}年度数据尚未提交（未填报、草稿未提交或退回后未重新提交）。"
            "请登录平台完成填报并提交。"
        ).format(unit=_reminder_sender(reminder), year=year),
        url=reverse("reporting:submission_edit", args=[reminder.enterprise_id, year]),
    )


def _reminder_sender(reminder: Any) -> str:
    sender = reminder.sent_by
    if sender is not None and getattr(sender, "district", None) is not None:
        return str(sender.district.name)
    return str(_("市经济信息委"))


def on_overdue(reminder: Any, users: list[Any], closes_on: Any) -> int:
    """The automatic notice after the close date to an enterprise that has not submitted."""
    year = reminder.year
    return notify(
        users,
        kind="reminder_overdue",
        key=f"overdue:{reminder.enterprise_id}:{year}",
        title=_("{year}年度数据填报已于{date}截止，贵企业尚未提交").format(year=year, date=closes_on),
        body=_("截止日期后仍可提交，但将被标记为逾期提交。请尽快登录平台完成填报并提交。"),
        url=reverse("reporting:submission_edit", args=[reminder.enterprise_id, year]),
    )


def on_review_waiting(users: list[Any], *, queue: str, count: int, days: int, key: str) -> int:
    """Reviewers whose queue holds items waiting longer than `days`."""
    url = reverse("reporting:district_queue" if queue == "district" else "reporting:city_queue")
    title = (
        _("您的审核队列中有{n}份年度数据已等待超过{days}天")
        if queue == "district"
        else _("您的复核队列中有{n}份年度数据已等待超过{days}天")
    ).format(n=count, days=days)
    return notify(
        users,
        kind="reminder_review",
        key=key,
        title=title,
        body=_("请及时处理，以免影响分级评价。"),
        url=url,
    )


def city_reviewers() -> list[Any]:
    from accounts.models import User

    return list(User.objects.filter(is_active=True, role="city"))


def district_reviewers(district_id: str) -> list[Any]:
    return _district_users(district_id)
