"""Exports of grading: the published grades and the national-level recommendation list (Art. 8)."""

from __future__ import annotations

from typing import Any

from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.exports import Column, Exporter, filtered, register
from accounts.permissions import can
from factories.grading.selectors import recommendations, runs_for
from factories.models import GradingResult, GradingRun, Industry
from factories.words import decided_label, filter_words, peer_group_label, tier_label

DIMENSIONS = ("land", "materials", "clean", "waste", "energy")


def _grade_columns() -> list[Column]:
    names = {
        "land": _("用地集约化"),
        "materials": _("原料无害化"),
        "clean": _("生产洁净化"),
        "waste": _("废物资源化"),
        "energy": _("能源低碳化"),
    }
    return (
        [
            Column(_("年度"), "int", 8),
            Column(_("企业名称"), width=36),
            Column(_("统一社会信用代码"), width=22),
            Column(_("管理单位"), width=14),
            Column(_("行业代码"), width=8),
            Column(_("级别"), width=8),
            Column(_("等级"), width=8),
            Column(_("计算等级"), width=8),
            Column(_("决定规则"), width=16),
            Column(_("水平得分 L"), "float2", 10),
            Column(_("提升得分 S"), "float2", 10),
            Column(_("综合得分 C"), "float2", 10),
            Column(_("排名位置 q"), "float2", 10),
            Column(_("对标组"), width=24),
            Column(_("对标组规模"), "int", 10),
        ]
        + [Column(f"D {names[d]}", "float2", 12) for d in DIMENSIONS]
        + [Column(_("建议撤销"), width=8)]
    )


GRADE_FILTERS = {
    "year": "year",
    "district": "district_id",
    "industry": "industry_id",
    "grade": "grade",
    "tier": "tier",
}
GRADE_ORDER = ("-year", "district_id", "-composite_score", "enterprise_id")


def _with_peer_industry(queryset: QuerySet) -> QuerySet:
    """The name of the industry a factory was compared within, for the peer group's words."""
    return queryset.annotate(
        peer_industry=Subquery(Industry.objects.filter(code=OuterRef("peer_group")).values("name")[:1])
    )


def _searched(queryset: QuerySet, filters: dict[str, Any]) -> QuerySet:
    """The lists' keyword: part of the enterprise's name or credit code."""
    term = str(filters.get("q") or "").strip()
    if not term:
        return queryset
    return queryset.filter(
        Q(enterprise__name__icontains=term) | Q(enterprise__credit_code__icontains=term.upper())
    )


def _grades_queryset(user: Any, filters: dict[str, Any]) -> QuerySet:
    """The published grades; with ``run``, that run's results as its page shows them (a draft run's only
    to whoever may open runs: everyone else sees a run's results once they are published)."""
    visible = GradingResult.objects.visible_to(user)
    run = filters.get("run")
    results: QuerySet
    if run not in (None, "") and can(user, "grading_run.view"):
        results = visible.filter(run__in=runs_for(user).filter(pk=run))
    else:
        results = filtered(visible.published(), {"run": run}, {"run": "run_id"})
    queryset = _searched(filtered(results, filters, GRADE_FILTERS), filters)
    return _with_peer_industry(queryset).order_by(*GRADE_ORDER)


def _grade_word(key: str, value: Any) -> Any:
    if key == "run":
        run = GradingRun.objects.filter(pk=value).first()
        return str(run) if run is not None else value
    return filter_words()(key, value)


def _grade_row(item: tuple[Any, ...]) -> list[Any]:
    (
        year,
        name,
        code,
        district,
        industry,
        tier,
        grade,
        computed,
        decided,
        level,
        improvement,
        composite,
        q,
        group,
        peer_industry,
        count,
        dims,
        revoke,
    ) = item
    return (
        [
            year,
            name,
            code,
            district,
            industry,
            tier_label(tier),
            grade,
            computed,
            decided_label(decided),
            level,
            improvement,
            composite,
            q,
            peer_group_label(group, peer_industry),
            count,
        ]
        + [(dims or {}).get(d) for d in DIMENSIONS]
        + [_("是") if revoke else ""]
    )


GRADE_VALUES = [
    "year",
    "enterprise__name",
    "enterprise__credit_code",
    "district__name",
    "industry_id",
    "tier",
    "grade",
    "computed_grade",
    "decided_by",
    "level_score",
    "improvement_score",
    "composite_score",
    "q",
    "peer_group",
    "peer_industry",
    "peer_count",
    "details__dimension_scores",
    "revocation_proposed",
]

register(
    Exporter(
        kind="grades",
        title=gettext_lazy("绿色工厂分级评价结果"),
        columns=_grade_columns,
        queryset=_grades_queryset,
        values=GRADE_VALUES,
        row=_grade_row,
        word=_grade_word,
        filters=(*GRADE_FILTERS, "run", "q"),
    )
)


def _recommendations_queryset(user: Any, filters: dict[str, Any]) -> QuerySet:
    # The list the recommendation page and API show (Art. 8), with the export's filters and order.
    queryset = _searched(filtered(recommendations(user), filters, GRADE_FILTERS), filters)
    return _with_peer_industry(queryset).order_by(*GRADE_ORDER)


register(
    Exporter(
        kind="recommendations",
        title=gettext_lazy("推荐申报国家级绿色工厂名单（AA级及以上市级绿色工厂）"),
        columns=_grade_columns,
        queryset=_recommendations_queryset,
        values=GRADE_VALUES,
        row=_grade_row,
        word=filter_words(),
        filters=(*GRADE_FILTERS, "q"),
    )
)
