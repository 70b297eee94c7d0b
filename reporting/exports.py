"""Exports of annual reporting: the submissions with their raw inputs and derived indicators."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.exports import Column, Exporter, filtered, register
from factories.indicators import GBT36132_2018 as catalogue
from reporting.models import AnnualSubmission, SubmissionStatus
from reporting.values import compute_indicators


def _submission_columns() -> list[Column]:
    return (
        [
            Column(_("年度"), "int", 8),
            Column(_("企业名称"), width=36),
            Column(_("统一社会信用代码"), width=22),
            Column(_("填报时管理单位"), width=14),
            Column(_("状态"), width=16),
            Column(_("逾期"), width=6),
            Column(_("版本"), "int", 6),
        ]
        + [Column(f.label_zh, "decimal", 14, f.unit) for f in catalogue.raw_fields]
        + [Column(f"{i.code} {i.name_zh}", "decimal", 16, i.unit) for i in catalogue.indicators]
        + [Column(_("情况说明"), width=30)]
    )


def _submission_queryset(user: Any, filters: dict[str, Any]) -> QuerySet:
    return filtered(
        AnnualSubmission.objects.visible_to(user),
        filters,
        {
            "year": "year",
            "district": "enterprise__district_id",
            "industry": "enterprise__industry_id",
            "status": "status",
        },
    ).order_by("-year", "enterprise__name", "id")


def _submission_row(item: tuple[Any, ...]) -> list[Any]:
    year, name, code, district, status, late, version, raw, indicators, catalogue_version, explanation = item
    if not indicators:
        computed = compute_indicators(raw, catalogue_version)
        indicators = {k: {"value": None if v.value is None else str(v.value)} for k, v in computed.items()}
    return (
        [year, name, code, district, str(SubmissionStatus(status).label), _("是") if late else "", version]
        + [Decimal(raw[f.name]) if raw.get(f.name) is not None else None for f in catalogue.raw_fields]
        + [
            Decimal(indicators[i.code]["value"])
            if indicators.get(i.code, {}).get("value") is not None
            else None
            for i in catalogue.indicators
        ]
        + [explanation]
    )


register(
    Exporter(
        kind="submissions",
        title=gettext_lazy("年度数据（原始数据与派生指标）"),
        columns=_submission_columns,
        queryset=_submission_queryset,
        values=[
            "year",
            "enterprise__name",
            "enterprise__credit_code",
            "district__name",
            "status",
            "late",
            "version",
            "raw_values",
            "indicators",
            "catalogue_version",
            "explanation",
        ],
        row=_submission_row,
    )
)
