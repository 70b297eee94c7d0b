"""Home-page steps of the cultivation pool, by the user's rights (DOMAIN §7)."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

from accounts.home import Step, register
from accounts.permissions import can
from cultivation import selectors
from cultivation.models import (
    ApplicationStatus,
    BCertification,
    CertificationStatus,
    DistrictReport,
    LevelDecision,
    PoolApplication,
    PoolMembership,
    ReportStatus,
)
from cultivation.services.reports import FIRST_REPORT_YEAR
from factories.models import GreenFactory


@register
def pool_steps(user: Any) -> list[Step]:
    """Who runs a pool: its pending work; who receives the districts' reports: theirs; an enterprise: its
    own pool status."""
    if can(user, "pool.manage"):
        return _district_steps(user)
    if can(user, "district_report.decide"):
        return _city_steps(user)
    if can(user, "enterprise.view_own"):
        return _enterprise_steps(user)
    return []


def _district_steps(user: Any) -> list[Step]:
    steps = []
    pending = PoolApplication.objects.visible_to(user).filter(status=ApplicationStatus.PENDING).count()
    if pending:
        steps.append(
            Step(
                title=_("入库申请待审核"),
                text=_("{n} 份培育库入库申请等待审核（第十条）。").format(n=pending),
                url=reverse("cultivation:application_list") + "?" + urlencode({"status": "pending"}),
                count=pending,
                urgent=True,
            )
        )
    to_review = BCertification.objects.visible_to(user).filter(
        status__in=[CertificationStatus.APPLIED, CertificationStatus.UNDER_REVIEW]
    )
    count = to_review.count()
    if count:
        steps.append(
            Step(
                title=_("B级认定待处理"),
                text=_("{n} 项B级认定申请或等级下降后的复核等待区县处理。").format(n=count),
                url=reverse("cultivation:certification_list"),
                count=count,
                urgent=True,
            )
        )
    overdue = selectors.overdue_supervision(user).count()
    if overdue:
        steps.append(
            Step(
                title=_("监管服务逾期"),
                text=_("{n} 家在库企业从未纳入监管或接受指导服务，或最近记录已超过12个月。").format(
                    n=overdue
                ),
                url=reverse("cultivation:home"),
                count=overdue,
            )
        )
    last_year = timezone.localdate().year - 1
    if last_year >= FIRST_REPORT_YEAR and PoolMembership.objects.visible_to(user).exists():
        reported = (
            DistrictReport.objects.visible_to(user)
            .filter(year=last_year, status__in=[ReportStatus.SUBMITTED, ReportStatus.ACKNOWLEDGED])
            .exists()
        )
        if not reported:
            steps.append(
                Step(
                    title=_("年度培育报告未报送"),
                    text=_("{year}年度培育库工作报告尚未报送市经济信息委（第十二条）。").format(
                        year=last_year
                    ),
                    url=reverse("cultivation:report_list"),
                    urgent=True,
                )
            )
    return steps


def _city_steps(user: Any) -> list[Step]:
    last_year = timezone.localdate().year - 1
    if last_year < FIRST_REPORT_YEAR:
        return []
    missing = selectors.districts_missing_report(user, last_year).count()
    submitted = DistrictReport.objects.visible_to(user).filter(status=ReportStatus.SUBMITTED).count()
    steps = []
    if submitted:
        steps.append(
            Step(
                title=_("区县培育报告待确认"),
                text=_("{n} 份区县年度培育报告已报送，等待确认或退回。").format(n=submitted),
                url=reverse("cultivation:report_list") + "?" + urlencode({"status": "submitted"}),
                count=submitted,
                urgent=True,
            )
        )
    if missing:
        steps.append(
            Step(
                title=_("区县培育报告未报送"),
                text=_("{n} 个管理单位尚未报送{year}年度培育库工作报告。").format(n=missing, year=last_year),
                url=reverse("cultivation:report_list") + "?" + urlencode({"missing_year": last_year}),
                count=missing,
            )
        )
    return steps


def _enterprise_steps(user: Any) -> list[Step]:
    text: Any
    membership = PoolMembership.objects.visible_to(user).filter(status="active").first()
    if membership is None:
        if GreenFactory.objects.active().filter(enterprise__users=user).exists():
            return []  # a recognised green factory belongs to the graded series, not to the pool (Art. 4)
        pending = PoolApplication.objects.visible_to(user).filter(status=ApplicationStatus.PENDING).exists()
        text = (
            _("入库申请已提交，等待区县审核。")
            if pending
            else _("尚未进入绿色工厂梯度培育库。自愿入库可获得监管与指导服务，逐步创建绿色工厂。")
        )
        return [Step(title=_("培育库"), text=text, url=reverse("cultivation:home"))]
    decision = LevelDecision.objects.visible_to(user).filter(membership=membership).order_by("-year").first()
    if decision is None:
        text = _("已在培育库中，区县尚未计算培育等级。")
    else:
        text = _("{year}年度培育等级：{level}。查看距B级的差距和可申请的认定。").format(
            year=decision.year, level=decision.get_level_display()
        )
    return [Step(title=_("培育库"), text=text, url=reverse("cultivation:home"))]
