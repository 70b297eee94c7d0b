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
