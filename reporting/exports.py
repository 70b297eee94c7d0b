"""Exports: each exporter yields rows from the requester's scope; writers turn rows into a file.

One row source, many formats (pretix's ListExporter idea): the same exporter feeds the xlsx writer,
the csv writer and the API. Big exports run as a Celery job with progress; small ones stream at once.
Text cells that a spreadsheet would run as a formula are neutralised; text past Excel's cell limit is clipped
with a visible marker.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

SYNC_LIMIT = 3000
"""Exports up to this many rows are built in the request; larger ones become a background job."""

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(text: str) -> str:
    """Make a text cell inert: a leading apostrophe stops Excel and WPS from evaluating it (OWASP CSV injection)."""
    return "'" + text if text.startswith(FORMULA_TRIGGERS) else text


EXCEL_CELL_LIMIT = 32767
CLIPPED_MARKER = "…［已截断：超出 Excel 单元格 32767 字的上限，全文请在平台查看］"


def fit_cell(text: str) -> str:
    """Excel refuses (and repairs away) a cell past 32,767 characters: longer text, e.g. one stored before
    free text had a limit, is clipped and ends with a marker saying so, never cut silently."""
    if len(text) <= EXCEL_CELL_LIMIT:
        return text
    return text[: EXCEL_CELL_LIMIT - len(CLIPPED_MARKER)] + CLIPPED_MARKER


@dataclass(frozen=True)
class Column:
    header: Any
    kind: str = "text"  # text | int | decimal | float2 | date | datetime
    width: int = 14
    unit: str = ""

    @property
    def title(self) -> str:
        return f"{self.header}（{self.unit}）" if self.unit else str(self.header)


@dataclass
class Exporter:
    """A named export: its columns, its rows for a user and filters, and a sentence describing the filters."""

    kind: str
    title: Any
    columns: Callable[[], list[Column]]
    queryset: Callable[[Any, dict[str, Any]], QuerySet]
    row: Callable[[Any], list[Any]] | None = None
    values: list[str] = field(default_factory=list)

    def rows(self, user: Any, filters: dict[str, Any]) -> Iterator[list[Any]]:
        queryset = self.queryset(user, filters)
        if self.values:
            for item in queryset.values_list(*self.values).iterator(chunk_size=2000):
                yield self.row(item) if self.row else list(item)
        else:
            for obj in queryset.iterator(chunk_size=2000):
                yield self.row(obj) if self.row else [obj]

    def count(self, user: Any, filters: dict[str, Any]) -> int:
        return self.queryset(user, filters).count()


REGISTRY: dict[str, Exporter] = {}


def register(exporter: Exporter) -> Exporter:
    REGISTRY[exporter.kind] = exporter
    return exporter


def get(kind: str) -> Exporter:
    from accounts.errors import InvalidInput

    try:
        return REGISTRY[kind]
    except KeyError:
        raise InvalidInput(
            field_errors={
                "kind": [
                    _("未知的导出类型“{kind}”，可选：{choices}。").format(
                        kind=kind, choices="、".join(sorted(REGISTRY))
                    )
                ]
            }
        ) from None


FILTER_LABELS = {
    "year": gettext_lazy("年度"),
    "district": gettext_lazy("管理单位"),
    "industry": gettext_lazy("行业"),
    "grade": gettext_lazy("等级"),
    "tier": gettext_lazy("级别"),
    "status": gettext_lazy("状态"),
    "level": gettext_lazy("培育等级"),
    "q": gettext_lazy("关键词"),
}


def describe(exporter: Exporter, filters: dict[str, Any], when: dt.datetime) -> str:
    """The title row: what was exported, with which filters, and when."""
    parts = [f"{FILTER_LABELS.get(k, k)}：{v}" for k, v in sorted(filters.items()) if v not in (None, "", [])]
    scope = "；".join(parts) if parts else _("全部")
    return _("{title}（筛选条件：{scope}；导出时间：{when}）").format(
        title=exporter.title, scope=scope, when=timezone.localtime(when).strftime("%Y-%m-%d %H:%M")
    )


# --- writers -----------------------------------------------------------------------------------------

# Integers display right under Excel's General format; only these kinds carry a number format.
NUMBER_FORMATS = {
    "decimal": "#,##0.######",
    "float2": "0.00",
    "date": "yyyy-mm-dd",
    "datetime": "yyyy-mm-dd hh:mm",
}


def write_xlsx(
    exporter: Exporter,
    user: Any,
    filters: dict[str, Any],
    target: Any,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Write-only openpyxl: constant memory whatever the row count. Returns the number of data rows."""
    from openpyxl import Workbook
    from openpyxl.cell import Cell, WriteOnlyCell
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    columns = exporter.columns()
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=str(exporter.title)[:31])
    for index, column in enumerate(columns, 1):
        sheet.column_dimensions[get_column_letter(index)].width = column.width
    sheet.freeze_panes = "A3"
    title = WriteOnlyCell(sheet, value=describe(exporter, filters, timezone.now()))
    title.font = Font(bold=True, size=12)
    sheet.append([title])
    header_font, header_fill = Font(bold=True, color="FFFFFF"), PatternFill("solid", fgColor="1B5E20")
    headers = []
    for column in columns:
        cell = WriteOnlyCell(sheet, value=neutralise(column.title))
        cell.font, cell.fill = header_font, header_fill
        cell.alignment = Alignment(wrap_text=True, vertical="center")
        headers.append(cell)
    sheet.append(headers)
    # One styled cell per numeric column, reused for every row: openpyxl writes each row before the next
    # append. openpyxl's own row conversion accepts a styled cell only through a caught ValueError per
    # cell (about 40 % slower at 100k rows), so the sheet gets a conversion that picks the cell directly.
    templates: list[Any] = []
    for column in columns:
        if column.kind in NUMBER_FORMATS:
            cell = WriteOnlyCell(sheet)
            cell.number_format = NUMBER_FORMATS[column.kind]
            templates.append(cell)
        else:
            templates.append(None)
    plain = WriteOnlyCell(sheet)

    def values_to_row(values: list[Any], row_idx: int) -> Iterator[Any]:
        for col_idx, value in enumerate(values, 1):
            if value is None:
                continue
            if isinstance(value, Cell):
                cell = value
            else:
                template = templates[col_idx - 1] if col_idx <= len(templates) else None
                if isinstance(value, str):
                    value = fit_cell(neutralise(value))
                    template = None
                cell = template if template is not None else plain
                cell.value = value
            cell.column, cell.row = col_idx, row_idx
            yield cell

    sheet._values_to_row = values_to_row
    count = 0
    for values in exporter.rows(user, filters):
        sheet.append(values)
        count += 1
        if progress is not None and count % 2000 == 0:
            progress(count)
    sheet.auto_filter.ref = f"A2:{get_column_letter(len(columns))}{count + 2}"
    workbook.save(target)
    return count


def write_csv(exporter: Exporter, user: Any, filters: dict[str, Any], target: io.TextIOBase) -> int:
    writer = csv.writer(target)
    writer.writerow([describe(exporter, filters, timezone.now())])
    writer.writerow([neutralise(c.title) for c in exporter.columns()])
    count = 0
    for values in exporter.rows(user, filters):
        writer.writerow([neutralise(v) if isinstance(v, str) else ("" if v is None else v) for v in values])
        count += 1
    return count


def filename(exporter: Exporter, file_format: str = "xlsx") -> str:
    return f"{exporter.kind}-{timezone.localtime():%Y%m%d-%H%M}.{file_format}"


# --- the exporters -------------------------------------------------------------------------------


def _filtered(queryset: QuerySet, filters: dict[str, Any], mapping: dict[str, str]) -> QuerySet:
    for key, lookup in mapping.items():
        value = filters.get(key)
        if value not in (None, ""):
            queryset = queryset.filter(**{lookup: value})
    return queryset


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
    from factories.models import Enterprise

    return _filtered(
        Enterprise.objects.visible_to(user),
        filters,
        {"district": "district_id", "industry": "industry_id", "tier": "green_factory__tier"},
    ).order_by("district_id", "name", "id")


def _enterprise_row(item: tuple[Any, ...]) -> list[Any]:
    from factories.models import LegalForm, Tier

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
    )
)


def _green_factory_queryset(user: Any, filters: dict[str, Any]) -> QuerySet:
    from factories.models import GreenFactory

    return _filtered(
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
    from factories.models import GreenFactoryStatus, Tier

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
    )
)


def _submission_columns() -> list[Column]:
    from factories.indicators import GBT36132_2018 as catalogue

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
    from reporting.models import AnnualSubmission

    return _filtered(
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
    from factories.indicators import GBT36132_2018 as catalogue
    from reporting.models import SubmissionStatus
    from reporting.values import compute_indicators

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
            Column(_("对标组"), width=8),
            Column(_("对标组规模"), "int", 10),
        ]
        + [Column(f"D {names[d]}", "float2", 12) for d in DIMENSIONS]
        + [Column(_("建议撤销"), width=8)]
    )


def _grades_queryset(user: Any, filters: dict[str, Any]) -> QuerySet:
    from factories.models import GradingResult

    return _filtered(
        GradingResult.objects.visible_to(user).published(),
        filters,
        {
            "year": "year",
            "district": "district_id",
            "industry": "industry_id",
            "grade": "grade",
            "tier": "tier",
        },
    ).order_by("-year", "district_id", "-composite_score", "enterprise_id")


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
            tier,
            grade,
            computed,
            decided,
            level,
            improvement,
            composite,
            q,
            group,
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
    )
)


def _recommendations_queryset(user: Any, filters: dict[str, Any]) -> QuerySet:
    return _grades_queryset(user, filters).filter(tier="city", grade__in=["AA", "AAA", "AAAA"])


register(
    Exporter(
        kind="recommendations",
        title=gettext_lazy("推荐申报国家级绿色工厂名单（AA级及以上市级绿色工厂）"),
        columns=_grade_columns,
        queryset=_recommendations_queryset,
        values=GRADE_VALUES,
        row=_grade_row,
    )
)
