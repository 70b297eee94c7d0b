"""The export framework: each exporter yields rows from the requester's scope; writers turn rows into a file.

One row source, many formats (pretix's ListExporter idea): the same exporter feeds the xlsx writer and
the API. Big exports run as a background job with progress; small ones stream at once. Text cells that a
spreadsheet would run as a formula are neutralised.

Exporters live with the data they read (``factories.exports``, ``factories.grading.exports``,
``reporting.exports``, ``cultivation.exports``) and ``register`` themselves when their app is ready.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.errors import InvalidInput

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
    group: Any = ""
    """The block a column belongs to: consecutive columns of one block share a merged header cell above
    their own headers (a form with blocks, such as the national dynamic-management table)."""

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
    word: Callable[[str, Any], Any] | None = None
    """How a filter's value reads (e.g. a state's code in words) in the title row and the export list."""
    reader_columns: Callable[[Any], list[Column]] | None = None
    """Columns after `columns` that depend on the reader (e.g. what only reviewers may read): none for a
    reader who may not read them; `reader_cells(user, item)` fills them."""
    reader_cells: Callable[[Any, Any], list[Any]] | None = None
    filters: tuple[str, ...] = ()
    """The filters that apply to this export: the form offers only these and a request for another is refused."""

    def columns_for(self, user: Any) -> list[Column]:
        return self.columns() + (self.reader_columns(user) if self.reader_columns else [])

    def rows(self, user: Any, filters: dict[str, Any]) -> Iterator[list[Any]]:
        queryset = self.queryset(user, filters)
        extra = self.reader_cells if self.reader_columns and self.reader_columns(user) else None
        items = (
            queryset.values_list(*self.values).iterator(chunk_size=2000)
            if self.values
            else queryset.iterator(chunk_size=2000)
        )
        for item in items:
            row = self.row(item) if self.row else (list(item) if self.values else [item])
            yield row + extra(user, item) if extra else row

    def count(self, user: Any, filters: dict[str, Any]) -> int:
        return self.queryset(user, filters).count()


REGISTRY: dict[str, Exporter] = {}


def register(exporter: Exporter) -> Exporter:
    """Make ``exporter`` available by its kind; an app registers its exporters when it is ready."""
    REGISTRY[exporter.kind] = exporter
    return exporter


def get(kind: str) -> Exporter:
    """The exporter of ``kind``; an unknown kind is invalid input naming the kinds there are."""
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
    "state": gettext_lazy("填报状态"),
    "q": gettext_lazy("关键词"),
    "run": gettext_lazy("评价批次"),
}


def refuse_other_filters(exporter: Exporter, filters: dict[str, Any]) -> None:
    """A filter this export does not know would be silently ignored, and the file would hold more than the
    reader asked for: such a request is refused, naming the filters that do apply."""
    other = sorted(
        key for key, value in filters.items() if value not in (None, "", []) and key not in exporter.filters
    )
    if not other:
        return
    applicable = "、".join(str(FILTER_LABELS.get(key, key)) for key in exporter.filters) or _("无")
    raise InvalidInput(
        field_errors={
            key: [
                _("“{title}”不能按“{label}”筛选；可用的筛选条件：{applicable}。").format(
                    title=exporter.title, label=FILTER_LABELS.get(key, key), applicable=applicable
                )
            ]
            for key in other
        }
    )


def current_filters(kind: str, params: Any) -> list[tuple[str, str]]:
    """The filters of a list page (its query string, or the values it settled on) that export ``kind``
    takes, as its "导出Excel" button posts them: the file holds what the page shows."""
    exporter = REGISTRY.get(kind)
    if exporter is None:
        return []
    return [(key, value) for key in exporter.filters if (value := str(params.get(key) or "").strip())]


def filter_parts(exporter: Exporter | None, filters: dict[str, Any]) -> list[str]:
    """Each filter with a value as 「label：value」, the value in words where the exporter says how."""
    word = exporter.word if exporter is not None else None
    return [
        f"{FILTER_LABELS.get(k, k)}：{word(k, v) if word else v}"
        for k, v in sorted(filters.items())
        if v not in (None, "", [])
    ]


def describe(exporter: Exporter, filters: dict[str, Any], when: dt.datetime) -> str:
    """The title row: what was exported, with which filters, and when."""
    parts = filter_parts(exporter, filters)
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

    columns = exporter.columns_for(user)
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=str(exporter.title)[:31])
    for index, column in enumerate(columns, 1):
        sheet.column_dimensions[get_column_letter(index)].width = column.width
    grouped = any(column.group for column in columns)
    header_row = 3 if grouped else 2
    sheet.freeze_panes = f"A{header_row + 1}"
    title = WriteOnlyCell(sheet, value=describe(exporter, filters, timezone.now()))
    title.font = Font(bold=True, size=12)
    sheet.append([title])
    header_font, header_fill = Font(bold=True, color="FFFFFF"), PatternFill("solid", fgColor="1B5E20")
    if grouped:
        block_fill = PatternFill("solid", fgColor="2E7D32")
        blocks: list[Any] = []
        start = 0
        for index in range(1, len(columns) + 1):
            if index == len(columns) or columns[index].group != columns[start].group:
                group = columns[start].group
                cell = WriteOnlyCell(sheet, value=neutralise(str(group)) if group else None)
                cell.font, cell.fill = header_font, block_fill
                cell.alignment = Alignment(horizontal="center", vertical="center")
                blocks += [cell] + [None] * (index - start - 1)
                if index - start > 1:
                    sheet.merged_cells.add(f"{get_column_letter(start + 1)}2:{get_column_letter(index)}2")
                start = index
        sheet.append(blocks)
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
    sheet.auto_filter.ref = f"A{header_row}:{get_column_letter(len(columns))}{count + header_row}"
    workbook.save(target)
    return count


def filename(
    exporter: Exporter | None,
    kind: str,
    when: Any,
    file_format: str = "xlsx",
    filters: dict[str, Any] | None = None,
) -> str:
    """The name a download is offered under: the export's title (in the reader's language), led by the
    year when the export is of one year, and the Beijing date it was requested, e.g.
    「2025年度绿色工厂分级评价结果-20261201.xlsx」. Only the download carries it; the stored file has a
    random name (accounts/files.py), and the header adds an ASCII fallback (files.content_disposition)."""
    title = str(exporter.title) if exporter is not None else _("导出文件")
    year = (filters or {}).get("year")
    if year not in (None, ""):
        title = _("{year}年度{title}").format(year=year, title=title)
    title = "".join("-" if c in '/\\:*?"<>|' else c for c in title)
    return f"{title}-{timezone.localtime(when):%Y%m%d}.{file_format}"


def filtered(queryset: QuerySet, filters: dict[str, Any], mapping: dict[str, str]) -> QuerySet:
    """``queryset`` narrowed by each filter that has a value, through the lookup ``mapping`` names."""
    for key, lookup in mapping.items():
        value = filters.get(key)
        if value not in (None, ""):
            queryset = queryset.filter(**{lookup: value})
    return queryset
