"""Home-page next steps for annual reporting: what to fill, what to review, what is unread."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from accounts.home import Step, register
from accounts.models import Notification
from accounts.permissions import can
from reporting import selectors, services
from reporting.models import (
    AnnualSubmission,
    CorrectionRequest,
    CorrectionStatus,
    ReportingYear,
)

URGENT_WITHIN = dt.timedelta(days=7)

FILL_TITLE = _("填报{year}年度数据")
FILL_WINDOW = _("填报时间：{opens} 至 {closes}。")
FILL_STATE: dict[str | None, Any] = {
    None: _("尚未开始填报。"),
    "draft": _("草稿已保存，尚未提交。"),
    "returned": _("数据被退回，请修改后重新提交。退回原因：{reason}"),
}
FILL_LATE = _("截止日期已过，仍可提交，但将被标记为逾期。")


def _enterprise_steps(user: Any) -> list[Step]:
    today = services.today()
    years = list(ReportingYear.objects.filter(opens_on__lte=today))
    submissions = {
        s.year: s for s in AnnualSubmission.objects.visible_to(user).filter(year__in=[y.year for y in years])
    }
    latest = max((y.year for y in years), default=None)
    steps = []
    for reporting_year in years:
        submission = submissions.get(reporting_year.year)
        if submission is not None and submission.status != "draft":
            continue
        closed = today > reporting_year.closes_on
        if submission is None and closed and reporting_year.year != latest:
            # An older closed year nobody started is history, not a to-do; a started draft still is,
            # and so is the latest year (late submissions are accepted but marked).
            continue
        if submission is None:
            state = FILL_STATE[None]
        elif submission.return_reason:
            state = str(FILL_STATE["returned"]).format(reason=submission.return_reason)
        else:
            state = FILL_STATE["draft"]
        text = str(FILL_WINDOW).format(opens=reporting_year.opens_on, closes=reporting_year.closes_on) + str(
            state
        )
        if closed:
            text += str(FILL_LATE)
        steps.append(
            Step(
                title=str(FILL_TITLE).format(year=reporting_year.year),
                text=text,
                url=reverse("reporting:submission_edit", args=[user.enterprise_id, reporting_year.year]),
                urgent=closed
                or reporting_year.closes_on - today <= URGENT_WITHIN
                or bool(submission and submission.return_reason),
            )
        )
    return steps


@register
def reporting_steps(user: Any) -> list[Step]:
    """Enterprises: the years to fill; districts and the city: their review queue; everyone: unread notices."""
    steps: list[Step] = []
    if can(user, "enterprise.view_own") and user.enterprise_id:
        steps += _enterprise_steps(user)
    elif can(user, "submission.approve"):
        waiting = selectors.review_queue(user).count()
        steps.append(
            Step(
                title=_("区县审核"),
                text=_("本区县企业已提交、等待您审核的年度数据。")
                if waiting
                else _("目前没有等待审核的年度数据。"),
                url=reverse("reporting:district_queue"),
                count=waiting,
                urgent=waiting > 0,
            )
        )
    elif can(user, "submission.verify"):
        waiting = selectors.review_queue(user).count()
        steps.append(
            Step(
                title=_("市级复核"),
                text=_("区县已审核、等待市级复核的年度数据。")
                if waiting
                else _("目前没有等待复核的年度数据。"),
                url=reverse("reporting:city_queue"),
                count=waiting,
                urgent=waiting > 0,
            )
        )
    if can(user, "correction.decide"):
        pending = CorrectionRequest.objects.visible_to(user).filter(status=CorrectionStatus.PENDING).count()
        if pending:
            steps.append(
                Step(
                    title=_("更正申请待审批"),
                    text=_("企业或区县对已锁定数据提出的更正申请。"),
                    url=reverse("reporting:correction_list") + "?status=pending",
                    count=pending,
                    urgent=True,
                )
            )
    unread = Notification.objects.visible_to(user).unread().count()
    if unread:
        steps.append(
            Step(
                title=_("未读通知"),
                text=_("退回、审核结果和截止提醒等消息。"),
                url=reverse("reporting:notification_list"),
                count=unread,
            )
        )
    return steps
