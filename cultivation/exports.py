"""Excel exports of the cultivation pool and the district annual reports; the app registers them when ready."""

from __future__ import annotations

from typing import Any

from django.db.models import OuterRef, QuerySet, Subquery
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.exports import Column, Exporter, register
from factories.models import Industry
from factories.words import filter_words, peer_group_label

DIMENSIONS = ("land", "materials", "clean", "waste", "energy")


def _pool_columns() -> list[Column]:
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
            Column(_("培育等级"), width=14),
            Column(_("区县级绿色工厂（B级认定）"), width=12),
            Column(_("已纳入监管"), width=8),
            Column(_("已接受指导服务"), width=8),
            Column(_("已明确提升路径"), width=8),
            Column(_("绿色化水平得分 L"), "float2", 10),
            Column(_("L距B级差距"), "float2", 10),
        ]
        + [Column(f"D {names[d]}", "float2", 12) for d in DIMENSIONS]
        + [
            Column(_("对标组"), width=24),
            Column(_("对标绿色工厂数"), "int", 10),
            Column(_("标准版本"), "int", 8),
        ]
    )


def _pool_queryset(user: Any, filters: dict[str, Any]) -> QuerySet:
    from cultivation.models import LevelDecision

    queryset = LevelDecision.objects.visible_to(user)
    for key, lookup in {
        "year": "year",
        "district": "enterprise__district_id",
        "industry": "enterprise__industry_id",
        "level": "level",
    }.items():
        if filters.get(key) not in (None, ""):
            queryset = queryset.filter(**{lookup: filters[key]})
    queryset = queryset.annotate(
        peer_industry=Subquery(Industry.objects.filter(code=OuterRef("benchmark_group")).values("name")[:1])
    )
    return queryset.order_by("-year", "enterprise__district_id", "level", "enterprise_id")


def _pool_row(item: tuple[Any, ...]) -> list[Any]:
    from cultivation.models import Level

    (
        year,
        name,
        code,
        district,
        industry,
        level,
        certified,
        supervised,
        guided,
        plan,
        score,
        gap,
        dims,
        group,
        peer_industry,
        count,
        version,
    ) = item
    yes = _("是")
    return (
        [
            year,
            name,
            code,
            district,
            industry,
            str(Level(level).label),
            yes if certified else "",
            yes if supervised else "",
            yes if guided else "",
            yes if plan else "",
            score,
            gap,
        ]
        + [(dims or {}).get(d) for d in DIMENSIONS]
        + [peer_group_label(group, peer_industry), count, version]
    )


def _level_word(value: str) -> str:
    from cultivation.models import Level

    return str(Level(value).label)


register(
    Exporter(
        kind="pool",
        title=gettext_lazy("梯度培育库（各区县）"),
        columns=_pool_columns,
        queryset=_pool_queryset,
        values=[
            "year",
            "enterprise__name",
            "enterprise__credit_code",
            "enterprise__district__name",
            "enterprise__industry_id",
            "level",
            "certified_b",
            "supervised",
            "guided",
            "has_plan",
            "level_score",
            "level_gap",
            "dimension_scores",
            "benchmark_group",
            "peer_industry",
            "benchmark_count",
            "standard__version",
        ],
        row=_pool_row,
        word=filter_words(level=_level_word),
        filters=("year", "district", "industry", "level"),
    )
)


def _report_columns() -> list[Column]:
    return [
        Column(_("年度"), "int", 8),
        Column(_("管理单位"), width=16),
        Column(_("状态"), width=12),
        Column(_("库内企业数"), "int", 10),
        Column(_("达到B级条件"), "int", 10),
        Column(_("C级"), "int", 8),
        Column(_("D级"), "int", 8),
        Column(_("新入库"), "int", 8),
        Column(_("退出"), "int", 8),
        Column(_("晋级为绿色工厂"), "int", 10),
        Column(_("升级"), "int", 8),
        Column(_("降级"), "int", 8),
        Column(_("本年认定B级"), "int", 10),
        Column(_("B级累计（推荐市级）"), "int", 12),
        Column(_("不定期复核"), "int", 10),
        Column(_("弄虚作假"), "int", 8),
        Column(_("标准版本"), "int", 8),
        Column(_("报送时间"), "datetime", 18),
        Column(_("市级处理"), width=30),
    ]


def _report_queryset(user: Any, filters: dict[str, Any]) -> QuerySet:
    from cultivation.models import DistrictReport

    queryset = DistrictReport.objects.visible_to(user)
    if filters.get("year"):
        queryset = queryset.filter(year=filters["year"])
    if filters.get("district"):
        queryset = queryset.filter(district_id=filters["district"])
    return queryset.order_by("-year", "district_id")


def _report_row(item: tuple[Any, ...]) -> list[Any]:
    from django.utils import timezone

    from cultivation.models import ReportStatus

    year, district, status, figures, submitted_at, comment, returned = item
    f = figures or {}
    levels = f.get("levels", {})
    return [
        year,
        district,
        str(ReportStatus(status).label),
        f.get("pool_size"),
        levels.get("B_eligible"),
        levels.get("C"),
        levels.get("D"),
        f.get("entries"),
        f.get("exits"),
        f.get("graduations"),
        f.get("upgrades"),
        f.get("downgrades"),
        f.get("certifications"),
        f.get("certified_b_total"),
        f.get("reviews"),
        f.get("falsifications"),
        f.get("standard_in_force"),
        timezone.localtime(submitted_at).replace(tzinfo=None) if submitted_at else None,
        comment or returned,
    ]


register(
    Exporter(
        kind="district_reports",
        title=gettext_lazy("区县年度培育工作报告汇总"),
        columns=_report_columns,
        queryset=_report_queryset,
        values=[
            "year",
            "district__name",
            "status",
            "figures",
            "submitted_at",
            "decision_comment",
            "return_reason",
        ],
        row=_report_row,
        word=filter_words(),
        filters=("year", "district"),
    )
)


def _members_queryset(user: Any, filters: dict[str, Any]) -> QuerySet:
    """The member list page's rows: the same filters (status, unit, industry, keyword, latest level)."""
    from cultivation.filters import MembershipFilter
    from cultivation.models import PoolMembership
    from cultivation.selectors import with_latest_level

    data = {
        k: filters[k] for k in ("status", "district", "industry", "q") if filters.get(k) not in (None, "")
    }
    members = MembershipFilter(data or None, queryset=PoolMembership.objects.visible_to(user)).qs
    return with_latest_level(members, str(filters.get("level") or "")).order_by(
        "enterprise__district_id", "-joined_on", "pk"
    )


def _member_row(item: tuple[Any, ...]) -> list[Any]:
    from cultivation.models import Level, MembershipStatus

    name, code, district, industry, joined, status, year, level, certified, gap = item
    return [
        name,
        code,
        district,
        industry,
        joined,
        str(MembershipStatus(status).label),
        year,
        str(Level(level).label) if level in Level.values else "",
        _("是") if certified else "",
        gap,
    ]


def _member_status_word(value: str) -> str:
    from cultivation.models import MembershipStatus

    return str(MembershipStatus(value).label)


register(
    Exporter(
        kind="pool_members",
        title=gettext_lazy("培育库成员"),
        columns=lambda: [
            Column(_("企业名称"), width=36),
            Column(_("统一社会信用代码"), width=22),
            Column(_("管理单位"), width=14),
            Column(_("行业代码"), width=8),
            Column(_("入库日期"), "date", 12),
            Column(_("状态"), width=16),
            Column(_("最新等级年度"), "int", 10),
            Column(_("最新等级"), width=14),
            Column(_("区县级绿色工厂（B级认定）"), width=12),
            Column(_("L距B级差距"), "float2", 10),
        ],
        queryset=_members_queryset,
        values=[
            "enterprise__name",
            "enterprise__credit_code",
            "enterprise__district__name",
            "enterprise__industry_id",
            "joined_on",
            "status",
            "latest_year",
            "latest_level",
            "latest_certified",
            "latest_gap",
        ],
        row=_member_row,
        word=filter_words(level=_level_word, status=_member_status_word),
        filters=("status", "district", "industry", "q", "level"),
    )
)
