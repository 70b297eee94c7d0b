"""Exports of the register: the enterprise directory and the green-factory list, in the requester's scope."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.exports import Column, Exporter, filtered, register
from factories.models import Enterprise, GreenFactory, GreenFactoryStatus, LegalForm, Tier
from factories.words import filter_words


def _enterprise_columns() -> list[Column]:
    return [
        Column(_("企业名称"), width=36),
        Column(_("统一社会信用代码"), width=22),
        Column(_("管理单位"), width=14),
        Column(_("行业代码"), width=10),
        Column(_("行业名称"), width=28),
        Column(_("法人类型"), width=16),
        Column(_("序列"), width=14),
        Column(_("绿色工厂级别"), width=12),
        Column(_("地址"), width=36),
        Column(_("联系人"), width=10),
        Column(_("联系电话"), width=16),
        Column(_("登记时间"), "datetime", 18),
    ]


def _enterprise_queryset(user: Any, filters: dict[str, Any]) -> QuerySet:
    return filtered(
        Enterprise.objects.visible_to(user),
        filters,
        {"district": "district_id", "industry": "industry_id", "tier": "green_factory__tier"},
    ).order_by("district_id", "name", "id")


def _enterprise_row(item: tuple[Any, ...]) -> list[Any]:
    (
        name,
        code,
        district,
        industry_code,
        industry,
        legal,
        gf_status,
        gf_tier,
        address,
        contact,
        phone,
        created,
    ) = item
    green = gf_status == "active"
    return [
        name,
        code,
        district,
        industry_code,
        industry,
        str(LegalForm(legal).label) if legal else "",
        _("已认定绿色工厂") if green else _("其他企业"),
        str(Tier(gf_tier).label) if green else "",
        address,
        contact,
        phone,
        timezone.localtime(created).replace(tzinfo=None),
    ]


register(
    Exporter(
        kind="enterprises",
        title=gettext_lazy("企业名录"),
        columns=_enterprise_columns,
        queryset=_enterprise_queryset,
        values=[
            "name",
            "credit_code",
            "district__name",
            "industry_code",
            "industry__name",
            "legal_form",
            "green_factory__status",
            "green_factory__tier",
            "address",
            "contact_name",
            "contact_phone",
            "created_at",
        ],
        row=_enterprise_row,
        word=filter_words(),
        filters=("district", "industry", "tier"),
    )
)


def _green_factory_queryset(user: Any, filters: dict[str, Any]) -> QuerySet:
    return filtered(
        GreenFactory.objects.visible_to(user),
        filters,
        {
            "district": "enterprise__district_id",
            "industry": "enterprise__industry_id",
            "tier": "tier",
            "status": "status",
            "year": "recognized_year",
        },
    ).order_by("-recognized_year", "enterprise__name")


def _green_factory_row(item: tuple[Any, ...]) -> list[Any]:
    name, code, district, industry, tier, year, status, revoked_on, reason, ban_until = item
    return [
        name,
        code,
        district,
        industry,
        str(Tier(tier).label),
        year,
        str(GreenFactoryStatus(status).label),
        revoked_on,
        reason,
        ban_until,
    ]


register(
    Exporter(
        kind="green_factories",
        title=gettext_lazy("绿色工厂名录"),
        columns=lambda: [
            Column(_("企业名称"), width=36),
            Column(_("统一社会信用代码"), width=22),
            Column(_("管理单位"), width=14),
            Column(_("行业"), width=28),
            Column(_("级别"), width=10),
            Column(_("认定年度"), "int", 10),
            Column(_("状态"), width=10),
            Column(_("撤销日期"), "date", 12),
            Column(_("撤销原因"), width=30),
            Column(_("禁止再次申报截止日"), "date", 14),
        ],
        queryset=_green_factory_queryset,
        values=[
            "enterprise__name",
            "enterprise__credit_code",
            "enterprise__district__name",
            "enterprise__industry__name",
            "tier",
            "recognized_year",
            "status",
            "revoked_on",
            "revoke_reason",
            "ban_until",
        ],
        row=_green_factory_row,
        word=filter_words(status=lambda v: GreenFactoryStatus(v).label),
        filters=("year", "district", "industry", "tier", "status"),
    )
)
