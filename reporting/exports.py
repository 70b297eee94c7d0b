"""Exports of annual reporting: the submissions with their raw inputs and derived indicators."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from itertools import islice
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.exports import Column, Exporter, filtered, register
from accounts.permissions import can
from factories.catalogues.bridge import ReportingCatalogue, reporting_catalogue
from factories.catalogues.engine import FieldKind
from factories.words import filter_words
from reporting import evidence, selectors
from reporting.models import AnnualSubmission, ReportingYear, SubmissionStatus
from reporting.values import compute_indicators


def _submission_columns(catalogues: list[ReportingCatalogue] | None = None) -> list[Column]:
    """The fixed columns, then each catalogue's raw fields and indicators (a block named by the catalogue
    when the export holds more than one), then the explanation."""
    catalogues = catalogues or [reporting_catalogue()]
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
        + [
            column
            for catalogue in catalogues
            for column in _catalogue_columns(catalogue, len(catalogues) > 1)
        ]
        + [Column(_("情况说明"), width=30)]
    )


def _catalogue_columns(catalogue: ReportingCatalogue, grouped: bool) -> list[Column]:
    group = _("指标目录 {version}").format(version=catalogue.version) if grouped else ""
    return [
        Column(f.label_zh, "decimal", 14, f.unit, group=group)
        if f.kind in (FieldKind.DECIMAL, FieldKind.COUNT)
        else Column(f.label_zh, "text", 30 if f.is_choice_set else 8, group=group)
        for f in catalogue.raw_fields
    ] + [Column(f"{i.code} {i.name_zh}", "decimal", 16, i.unit, group=group) for i in catalogue.indicators]


def _export_catalogues(user: Any, filters: dict[str, Any]) -> list[ReportingCatalogue]:
    """The catalogues of the exported submissions, the latest year's first (a year filter decides; an export
    over years on different catalogues holds one block of columns per catalogue). With no submission: the
    filtered year's catalogue, else the default one."""
    versions: list[str] = []
    for version in (
        _submission_queryset(user, filters).order_by("-year").values_list("catalogue_version", flat=True)
    ).distinct():
        if version not in versions:
            versions.append(version)
    if not versions and filters.get("year"):
        year = ReportingYear.objects.filter(year=filters["year"]).first()
        versions = [year.catalogue_version] if year else []
    return [reporting_catalogue(version) for version in versions] or [reporting_catalogue()]


def _anomaly_columns(user: Any) -> list[Column]:
    """Reviewers read the anomaly flags in words; an enterprise's export has no such column."""
    return [Column(_("异常提示"), width=60)] if can(user, "anomaly.view") else []


def _anomaly_cell(user: Any, flags: list[dict[str, Any]], catalogue_version: str) -> str | None:
    if not flags:
        return None
    words = selectors.anomaly_words(
        user, AnnualSubmission(anomaly_flags=flags, catalogue_version=catalogue_version)
    )
    return words or None


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


def _raw_cell(catalogue: ReportingCatalogue, raw: dict[str, Any], name: str) -> Any:
    """A raw value in words: numbers as numbers, 是/否, a choice set's items joined by 、."""
    from reporting.views.common import shown_value

    stored = raw.get(name)
    if stored is None:
        return None
    shown = shown_value(catalogue, name, stored)
    if (
        isinstance(shown, str)
        and catalogue.raw_field(name).is_numeric
        and not catalogue.raw_field(name).is_yes_no
    ):
        return Decimal(shown)
    return str(shown)


def _catalogue_cells(
    catalogue: ReportingCatalogue, raw: dict[str, Any], indicators: dict[str, Any]
) -> list[Any]:
    return [_raw_cell(catalogue, raw, f.name) for f in catalogue.raw_fields] + [
        Decimal(indicators[i.code]["value"]) if indicators.get(i.code, {}).get("value") is not None else None
        for i in catalogue.indicators
    ]


def _submission_row(item: tuple[Any, ...], catalogues: list[ReportingCatalogue] | None = None) -> list[Any]:
    year, name, code, district, status, late, version, raw, indicators, catalogue_version, explanation, _f = (
        item
    )
    catalogues = catalogues or [reporting_catalogue(catalogue_version)]
    if not indicators:
        computed = compute_indicators(raw, catalogue_version)
        indicators = {k: {"value": None if v.value is None else str(v.value)} for k, v in computed.items()}
    cells: list[Any] = []
    for catalogue in catalogues:
        if catalogue.version == catalogue_version:
            cells += _catalogue_cells(catalogue, raw, indicators)
        else:  # the block of another catalogue: empty for this row
            cells += [None] * (len(catalogue.raw_fields) + len(catalogue.indicators))
    fixed = [
        year,
        name,
        code,
        district,
        str(SubmissionStatus(status).label),
        _("是") if late else "",
        version,
    ]
    return [*fixed, *cells, explanation]


class SubmissionExporter(Exporter):
    """The annual data: its columns follow the catalogue of the exported years (DOMAIN §4b), and after them
    the list of each submission's evidence files (佐证材料), read for a batch of rows at a time."""

    def columns_for(self, user: Any, filters: dict[str, Any] | None = None) -> list[Column]:
        catalogues = _export_catalogues(user, filters or {})
        return [
            *_submission_columns(catalogues),
            Column(_("佐证材料"), width=40),
            *(self.reader_columns(user) if self.reader_columns else []),
        ]

    def rows(self, user: Any, filters: dict[str, Any]) -> Iterator[list[Any]]:
        catalogues = _export_catalogues(user, filters)
        labels = evidence.FigureLabels()
        extra = self.reader_cells if self.reader_columns and self.reader_columns(user) else None
        items = iter(self.queryset(user, filters).values_list(*self.values, "pk").iterator(chunk_size=2000))
        while chunk := list(islice(items, 2000)):
            files = evidence.by_submission(item[-1] for item in chunk)
            for *values, pk in chunk:
                item = tuple(values)
                version = item[9]  # the row's catalogue (see _submission_row)
                row = [
                    *_submission_row(item, catalogues),
                    evidence.listed(files.get(pk, []), labels[version]),
                ]
                yield row + extra(user, item) if extra else row


register(
    SubmissionExporter(
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
            "anomaly_flags",
        ],
        row=_submission_row,
        reader_columns=_anomaly_columns,
        reader_cells=lambda user, item: [_anomaly_cell(user, item[-1], item[-3])],
        word=filter_words(status=lambda v: SubmissionStatus(v).label),
        filters=("year", "district", "industry", "status"),
    )
)


# --- the review queue and the non-filers, with the filters of their pages -------------------------------


QUEUE_FILTERS = ("year", "q")


def _queue_queryset(user: Any, filters: dict[str, Any]) -> QuerySet:
    from reporting.filters import SubmissionFilter

    queue = selectors.review_queue(user)
    data = {k: filters[k] for k in QUEUE_FILTERS if filters.get(k) not in (None, "")}
    order = selectors.QUEUE_ORDER["city" if can(user, "submission.verify") else "district"]
    return SubmissionFilter(data or None, queryset=queue).qs.order_by(*order)


def _queue_row(s: AnnualSubmission) -> list[Any]:
    waiting = s.approved_at if s.status == SubmissionStatus.DISTRICT_APPROVED else s.submitted_at
    return [
        s.year,
        s.enterprise.name,
        s.enterprise.credit_code,
        s.district.name,
        str(SubmissionStatus(s.status).label),
        timezone.localtime(waiting).replace(tzinfo=None) if waiting else None,
        _("是") if s.late else "",
        len(s.yoy_flags or []) or None,
    ]


register(
    Exporter(
        kind="review_queue",
        title=gettext_lazy("待审核年度数据"),
        columns=lambda: [
            Column(_("年度"), "int", 8),
            Column(_("企业名称"), width=36),
            Column(_("统一社会信用代码"), width=22),
            Column(_("填报时管理单位"), width=14),
            Column(_("状态"), width=22),
            Column(_("等待自"), "datetime", 18),
            Column(_("逾期"), width=6),
            Column(_("同比异常项数"), "int", 12),
        ],
        queryset=_queue_queryset,
        row=_queue_row,
        reader_columns=_anomaly_columns,
        reader_cells=lambda user, s: [_anomaly_cell(user, s.anomaly_flags, s.catalogue_version)],
        word=filter_words(),
        filters=QUEUE_FILTERS,
    )
)

STATE_WORDS = {
    "missing": gettext_lazy("未填报"),
    "draft": gettext_lazy("草稿未提交"),
    "returned": gettext_lazy("已退回，待重新提交"),
}


def _non_filer_queryset(user: Any, filters: dict[str, Any]) -> QuerySet:
    year = filters.get("year") or selectors.latest_reporting_year()
    if year is None:
        return AnnualSubmission.objects.none()
    rows = selectors.non_filers(user, int(year))
    return selectors.filter_non_filers(rows, filters, whole_city=user.sees_whole_city).order_by(
        "district__code", "name", "pk"
    )


def _non_filer_row(e: Any) -> list[Any]:
    reminded = e.last_reminded_at
    return [
        e.name,
        e.credit_code,
        e.district.name,
        str(STATE_WORDS.get(e.filing_state, "")),
        e.return_reason or "",
        timezone.localtime(reminded).replace(tzinfo=None) if reminded else None,
        e.last_reminded_by or "",
        e.contact_name,
        e.contact_phone,
    ]


register(
    Exporter(
        kind="non_filers",
        title=gettext_lazy("未填报企业名单"),
        columns=lambda: [
            Column(_("企业名称"), width=36),
            Column(_("统一社会信用代码"), width=22),
            Column(_("管理单位"), width=14),
            Column(_("填报状态"), width=18),
            Column(_("退回原因"), width=30),
            Column(_("上次催报时间"), "datetime", 18),
            Column(_("催报人"), width=14),
            Column(_("联系人"), width=12),
            Column(_("联系电话"), width=16),
        ],
        queryset=_non_filer_queryset,
        row=_non_filer_row,
        word=filter_words(state=lambda v: STATE_WORDS.get(v, v)),
        filters=("year", "district", "state", "q"),
    )
)


# --- reviewer consistency (Art. 12): one row per unit the requester reads, then the whole city ---------


def _share(value: float | None) -> float | None:
    return None if value is None else round(100 * value, 1)


def _consistency_rows(user: Any, filters: dict[str, Any]) -> list[list[Any]]:
    from reporting import oversight

    year = filters.get("year") or selectors.latest_reporting_year()
    if year is None:
        return []
    units, city = oversight.reviewer_figures(user, int(year))
    if city is None:
        return []
    city.name = _("全市")
    return [
        [
            int(year),
            row.name,
            row.decisions,
            row.returns,
            _share(row.return_rate),
            None if row.median_days is None else round(row.median_days, 1),
            row.flagged_approvals,
            row.flagged_silent,
            _share(row.flagged_silent_share),
            row.submitted,
            row.late,
        ]
        for row in [*units, city]
    ]


class ConsistencyExporter(Exporter):
    """Rows computed by the oversight selectors (aggregates, not a queryset of objects)."""

    def rows(self, user: Any, filters: dict[str, Any]) -> Iterator[list[Any]]:
        yield from _consistency_rows(user, filters)

    def count(self, user: Any, filters: dict[str, Any]) -> int:
        return len(_consistency_rows(user, filters))


register(
    ConsistencyExporter(
        kind="reviewer_consistency",
        title=gettext_lazy("审核一致性"),
        columns=lambda: [
            Column(_("年度"), "int", 8),
            Column(_("管理单位"), width=18),
            Column(_("审核决定数"), "int", 12),
            Column(_("退回数"), "int", 10),
            Column(_("退回率"), "float2", 10, "%"),
            Column(_("审核用时中位数"), "float2", 14, _("天")),
            Column(_("同比异常数据审核通过数"), "int", 16),
            Column(_("其中无审核意见"), "int", 14),
            Column(_("无审核意见占比"), "float2", 14, "%"),
            Column(_("已提交数"), "int", 10),
            Column(_("逾期提交数"), "int", 12),
        ],
        queryset=lambda user, filters: AnnualSubmission.objects.none(),
        filters=("year",),
    )
)
