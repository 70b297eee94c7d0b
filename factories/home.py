"""Home-page steps of the enterprise and green-factory registers and of grading, by the user's rights."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Exists, OuterRef
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

from accounts.home import Step, register
from accounts.permissions import can
from factories.forms import missing_contact_fields
from factories.models import (
    Enterprise,
    GradingResult,
    GradingRun,
    GreenFactory,
    Objection,
    RevocationProposal,
    RunStatus,
    Tier,
)


@register
def register_steps(user: Any) -> list[Step]:
    """An enterprise: its own profile; staff: the register of their scope (the whole city or their unit)."""
    if can(user, "enterprise.view_own"):
        return _enterprise_steps(user)
    if not can(user, "enterprise.list"):
        return []
    return _city_steps(user) if user.sees_whole_city else _district_steps(user)


def _city_steps(user: Any) -> list[Step]:
    enterprises = Enterprise.objects.visible_to(user).count()
    by_tier = {
        row["tier"]: row["n"]
        for row in GreenFactory.objects.visible_to(user)
        .active()
        .order_by()
        .values("tier")
        .annotate(n=Count("pk"))
    }
    national, city = by_tier.get(Tier.NATIONAL, 0), by_tier.get(Tier.CITY, 0)
    green_url = reverse("factories:greenfactory_list") + "?" + urlencode({"status": "active"})
    return [
        Step(
            title=_("企业名录"),
            text=_("全市已登记企业 {n} 家。可按管理单位、行业和序列查询。").format(n=enterprises),
            url=reverse("factories:enterprise_list"),
            count=enterprises,
        ),
        Step(
            title=_("有效绿色工厂"),
            text=_("国家级 {national} 家，市级 {city} 家。").format(national=national, city=city),
            url=green_url,
            count=national + city,
        ),
    ]


def _district_steps(user: Any) -> list[Step]:
    enterprises = Enterprise.objects.visible_to(user).count()
    unit = user.district.name if user.district else ""
    if enterprises == 0:
        return [
            Step(
                title=_("登记本区县企业"),
                text=_("{unit}尚未登记企业。登记后即可开通企业填报账号、纳入培育库。").format(unit=unit),
                url=reverse("factories:enterprise_create"),
                count=0,
                urgent=True,
            )
        ]
    return [
        Step(
            title=_("本区县企业"),
            text=_("{unit}已登记企业 {n} 家。").format(unit=unit, n=enterprises),
            url=reverse("factories:enterprise_list"),
            count=enterprises,
        )
    ]


def _enterprise_steps(user: Any) -> list[Step]:
    enterprise = Enterprise.objects.visible_to(user).filter(pk=user.enterprise_id).first()
    if enterprise is None:
        return []
    missing = missing_contact_fields(enterprise)
    text: Any
    if missing:
        text = _("联系信息不完整，请补充：{fields}。").format(fields="、".join(missing))
    else:
        text = _("查看本企业的登记信息和绿色工厂记录，维护地址和联系人。")
    return [
        Step(
            title=_("本企业信息"),
            text=text,
            url=reverse("factories:my_enterprise"),
            urgent=bool(missing),
        )
    ]


@register
def grading_steps(user: Any) -> list[Step]:
    """City staff: runs that need a decision and revocations awaiting a second person; enterprises: their grade."""
    if can(user, "grading.manage"):
        return _city_grading_steps(user)
    if can(user, "enterprise.view_own"):
        return _enterprise_grading_steps(user)
    return []


def _city_grading_steps(user: Any) -> list[Step]:
    runs = GradingRun.objects.visible_to(user)
    failed = runs.filter(status=RunStatus.FAILED).count()
    # A finished official run waits for review unless a newer official run of its year replaced it.
    newer = GradingRun.objects.official().filter(year=OuterRef("year"), created_at__gt=OuterRef("created_at"))
    to_publish = runs.official().filter(status=RunStatus.SUCCEEDED).exclude(Exists(newer)).count()
    to_finalize = runs.filter(
        status=RunStatus.PUBLISHED, superseded_by__isnull=True, notice_to__lt=timezone.localdate()
    ).count()
    steps = []
    attention = failed + to_publish + to_finalize
    if attention:
        parts = []
        if failed:
            parts.append(_("{n} 个评价计算失败，需要重新运行").format(n=failed))
        if to_publish:
            parts.append(_("{n} 个评价结果待审核发布公示").format(n=to_publish))
        if to_finalize:
            parts.append(_("{n} 个评价公示期已满，待正式发布").format(n=to_finalize))
        steps.append(
            Step(
                title=_("分级评价"),
                text="；".join(str(p) for p in parts) + "。",
                url=reverse("factories:run_list"),
                count=attention,
                urgent=True,
            )
        )
    pending = RevocationProposal.objects.visible_to(user).pending()
    # A rerun proposes again; count factories, not proposals.
    count = pending.values("enterprise_id").distinct().count()
    if count:
        steps.append(
            Step(
                title=_("撤销建议待确认"),
                text=_(
                    "{n} 家绿色工厂有待确认的撤销建议（评价提出或名录直接提出），须由提出建议、登记事故或发起评价以外的另一名市级工作人员确认或不予撤销；评价提出的建议在评价正式发布后确认。"
                ).format(n=count),
                url=reverse("factories:proposal_list") + "?status=proposed",
                count=count,
                urgent=True,
            )
        )
    if can(user, "objection.decide"):
        open_objections = Objection.objects.visible_to(user).open().count()
        if open_objections:
            steps.append(
                Step(
                    title=_("公示异议待处理"),
                    text=_("{n} 件公示期内提出的异议待处理；处理完毕前，相关评价不能正式发布。").format(
                        n=open_objections
                    ),
                    url=reverse("factories:objection_list") + "?status=pending",
                    count=open_objections,
                    urgent=True,
                )
            )
    return steps


def _enterprise_grading_steps(user: Any) -> list[Step]:
    latest = (
        GradingResult.objects.visible_to(user).published().select_related("run").order_by("-year").first()
    )
    if latest is None:
        return []
    return [
        Step(
            title=_("本企业绿色工厂等级"),
            text=_(
                "{year}年度等级：{grade}（{status}）。查看评价说明，了解等级的评定依据和提升方向。"
            ).format(year=latest.year, grade=latest.grade, status=latest.run.get_status_display()),
            url=reverse("factories:my_grades"),
        )
    ]


@register
def registration_steps(user: Any) -> list[Step]:
    """A district: the self-registration requests waiting for its decision."""
    from factories.models import RegistrationRequest

    if not can(user, "registration.review"):
        return []
    pending = RegistrationRequest.objects.visible_to(user).pending().count()
    if not pending:
        return []
    return [
        Step(
            title=_("企业注册审核"),
            text=_("有 {n} 份企业注册申请待审核：核对授权委托书后通过或驳回。").format(n=pending),
            url=reverse("registrations:queue"),
            count=pending,
            urgent=True,
        )
    ]
