"""The MIIT dynamic-management table (动态管理表): per green factory and year, the three blocks the national
platform asks for — key indicators with their evidence, 重大事项变更, the compliance self-declaration —
ready to re-key into the national platform.

Rows are the green factories whose title stood on 31 December of the year (the grading population,
DOMAIN §6.1) in the requester's scope, one per factory and reporting year: a district exports its own
unit, the city every unit or one unit by the filter. Only city-verified data fills the blocks (the table
is what the city vouches for); a factory without it keeps its row, blank, with its data state in words,
so a gap shows instead of vanishing. Which columns come from public notices and which follow the
platform's guess at the national layout: README, 「工信部动态管理表」.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Prefetch, QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.exports import Column, Exporter, filtered, register
from factories.catalogues.bridge import IndicatorInfo, ReportingCatalogue, reporting_catalogue
from factories.indicators import DEFAULT_CATALOGUE_VERSION, Status
from factories.models import GreenFactory
from factories.words import filter_words, tier_label
from reporting import declarations, evidence
from reporting.models import AnnualSubmission, ReportingYear, SubmissionEvidence, SubmissionStatus
from reporting.values import indicators_from_storage

BLOCK_FACTORY = gettext_lazy("工厂基本信息")
BLOCK_INDICATORS = gettext_lazy("一、主要指标及佐证材料")
BLOCK_CHANGES = gettext_lazy("二、重大事项变更")
BLOCK_COMPLIANCE = gettext_lazy("三、合规性自我声明")


@dataclass(frozen=True)
class IndicatorColumn:
    """One indicator column: the indicator of the newest catalogue that names it, and every indicator it
    stands for ("VERSION/CODE": itself and an earlier catalogue's indicator it continues by same_as with the
    same unit), so that a column holds each row's value of its own year's catalogue."""

    indicator: IndicatorInfo
    keys: frozenset[str]
    all_keys: frozenset[str] = frozenset()
    """The keys of every column, to tell a catalogue of the export from a sector variant of one."""


def _catalogues(filters: dict[str, Any] | None = None) -> list[ReportingCatalogue]:
    """The catalogues of the exported years, the newest year's first (the default one when none is open)."""
    years = ReportingYear.objects.order_by("-year")
    if filters and filters.get("year") not in (None, ""):
        years = years.filter(year=int(filters["year"]))
    versions = list(dict.fromkeys(years.values_list("catalogue_id", flat=True)))
    return [reporting_catalogue(str(v)) for v in versions] or [reporting_catalogue()]


def key_indicators(filters: dict[str, Any] | None = None) -> list[IndicatorColumn]:
    """Every indicator of the catalogues of the exported years, once each, in catalogue order (the newest
    catalogue first); an indicator that continues an earlier one (same_as, same unit) shares its column."""
    columns: list[IndicatorColumn] = []
    taken: set[str] = set()
    catalogues = _catalogues(filters)
    units = {f"{c.version}/{i.code}": i.unit for c in catalogues for i in c.indicators}
    for catalogue in catalogues:
        for indicator in catalogue.indicators:
            key = f"{catalogue.version}/{indicator.code}"
            if key in taken:
                continue
            keys = {key}
            if indicator.same_as and units.get(indicator.same_as) == indicator.unit:
                keys.add(indicator.same_as)
            taken |= keys
            columns.append(IndicatorColumn(indicator, frozenset(keys)))
    every = frozenset(taken)
    return [IndicatorColumn(c.indicator, c.keys, every) for c in columns]


def _columns(filters: dict[str, Any] | None = None) -> list[Column]:
    return [
        Column(_("年度"), "int", 8, group=BLOCK_FACTORY),
        Column(_("企业名称"), width=36, group=BLOCK_FACTORY),
        Column(_("统一社会信用代码"), width=22, group=BLOCK_FACTORY),
        Column(_("管理单位"), width=14, group=BLOCK_FACTORY),
        Column(_("所属行业"), width=26, group=BLOCK_FACTORY),
        Column(_("绿色工厂级别"), width=10, group=BLOCK_FACTORY),
        Column(_("认定年度（批次）"), "int", 10, group=BLOCK_FACTORY),
        Column(_("本年度数据状态"), width=22, group=BLOCK_FACTORY),
        *[
            Column(c.indicator.name_zh, "decimal", 14, c.indicator.unit, group=BLOCK_INDICATORS)
            for c in key_indicators(filters)
        ],
        Column(_("佐证材料"), width=28, group=BLOCK_INDICATORS),
        *[
            Column(declarations.ChangeKind(kind).label, width=30, group=BLOCK_CHANGES)
            for kind in declarations.CHANGE_KINDS
        ],
        Column(declarations.STATEMENTS["no_major_accident"], width=30, group=BLOCK_COMPLIANCE),
        Column(_("排污许可"), width=36, group=BLOCK_COMPLIANCE),
        Column(declarations.STATEMENTS["no_serious_credit_record"], width=30, group=BLOCK_COMPLIANCE),
    ]


def _years(filters: dict[str, Any]) -> list[int]:
    if filters.get("year") not in (None, ""):
        return [int(filters["year"])]
    return list(ReportingYear.objects.order_by("-year").values_list("year", flat=True))


def _factories(user: Any, filters: dict[str, Any], year: int) -> QuerySet:
    """The green factories whose title stood on 31 December of `year`, in the requester's scope."""
    return filtered(
        GreenFactory.objects.visible_to(user).active_on(dt.date(year, 12, 31)),
        filters,
        {"district": "enterprise__district_id", "tier": "tier"},
    ).order_by("enterprise__district__code", "enterprise__name", "pk")


def _indicator_cell(values: dict[str, Any], column: IndicatorColumn, version: str) -> Decimal | str | None:
    """The row's value in this column: the indicator of the row's own catalogue the column stands for."""
    code = next((key.split("/", 1)[1] for key in column.keys if key.split("/", 1)[0] == version), None)
    if code is None and not any(key.startswith(f"{version}/") for key in column.all_keys):
        code = column.indicator.code  # a sector variant: the indicators of its year's catalogue, by code
    value = values.get(code) if code else None
    if value is None:
        return None
    if value.status == Status.OK:
        return value.value
    return _("不适用") if value.status == Status.NOT_APPLICABLE else _("未填报")


def _compliance_cells(compliance: dict[str, Any]) -> list[str]:
    def statement(key: str, note_key: str) -> str:
        words = declarations.answer_words(compliance.get(key))
        note = compliance.get(note_key) or ""
        return f"{words}（{note}）" if note else words

    return [
        statement("no_major_accident", "accident_note"),
        declarations.permit_words(compliance),
        statement("no_serious_credit_record", "credit_note"),
    ]


def _row(
    year: int,
    factory: GreenFactory,
    submission: AnnualSubmission | None,
    labels: dict[str, str],
    indicators: list[IndicatorColumn],
) -> list[Any]:
    enterprise = factory.enterprise
    verified = submission is not None and submission.status == SubmissionStatus.CITY_VERIFIED
    if submission is None:
        state = _("未填报")
    elif verified:
        state = str(SubmissionStatus(submission.status).label)
    else:
        state = _("{status}（未经市级复核，本表不填）").format(
            status=SubmissionStatus(submission.status).label
        )
    head = [
        year,
        enterprise.name,
        enterprise.credit_code,
        enterprise.district.name,
        str(enterprise.industry) if enterprise.industry_id else "",
        tier_label(factory.tier),
        factory.recognized_year,
        state,
    ]
    if not verified or submission is None:
        return head + [None] * (len(indicators) + 1 + len(declarations.CHANGE_KINDS) + 3)
    values = indicators_from_storage(submission.indicators) if submission.indicators else {}
    changes = submission.major_changes or {}
    return (
        head
        + [_indicator_cell(values, column, submission.catalogue_version) for column in indicators]
        + [evidence.listed(submission.evidence.all() if submission else [], labels)]
        + [declarations.change_words(changes.get(kind)) for kind in declarations.CHANGE_KINDS]
        + _compliance_cells(submission.compliance or {})
    )


class DynamicManagementExporter(Exporter):
    """Rows built per year from the year's population and its submissions (two queries a year)."""

    def columns_for(self, user: Any, filters: dict[str, Any] | None = None) -> list[Column]:
        return _columns(filters)

    def rows(self, user: Any, filters: dict[str, Any]) -> Iterator[list[Any]]:
        indicators = key_indicators(filters)
        labels = evidence.FigureLabels()
        for year in _years(filters):
            factories = list(
                _factories(user, filters, year).select_related("enterprise__district", "enterprise__industry")
            )
            submissions = {
                s.enterprise_id: s
                for s in AnnualSubmission.objects.visible_to(user)
                .filter(year=year, enterprise_id__in=[f.enterprise_id for f in factories])
                .prefetch_related(Prefetch("evidence", queryset=SubmissionEvidence.objects.order_by("pk")))
            }
            for factory in factories:
                submission = submissions.get(factory.enterprise_id)
                version = submission.catalogue_version if submission else DEFAULT_CATALOGUE_VERSION
                yield _row(year, factory, submission, labels[version], indicators)

    def count(self, user: Any, filters: dict[str, Any]) -> int:
        return sum(_factories(user, filters, year).count() for year in _years(filters))


register(
    DynamicManagementExporter(
        kind="miit_dynamic",
        title=gettext_lazy("绿色工厂动态管理表"),
        columns=_columns,
        queryset=lambda user, filters: AnnualSubmission.objects.none(),
        word=filter_words(),
        filters=("year", "district", "tier"),
    )
)
