"""The export framework: each exporter yields rows from the requester's scope; writers turn rows into a file.

One row source, many formats (pretix's ListExporter idea): the same exporter feeds the xlsx writer and
the API. Big exports run as a background job with progress; small ones stream at once. Text cells that a
spreadsheet would run as a formula are neutralised.

Exporters live with the data they read (``factories.exports``, ``factories.grading.exports``,
``reporting.exports``, ``cultivation.exports``) and ``register`` themselves when their app is ready.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from xlsxwriter.utility import xl_rowcol_to_cell_fast
from xlsxwriter.worksheet import CellDatetimeTuple, CellNumberTuple, CellStringTuple, Worksheet

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

    def columns_for(self, user: Any, filters: dict[str, Any] | None = None) -> list[Column]:
        """The columns for this reader; `filters` for an export whose columns depend on them (the annual
        data: the catalogue of the exported years)."""
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

    file_format: str = "xlsx"
    """What `write` produces: an Excel workbook, or for an exporter that bundles files a zip ("zip")."""
    background: bool = False
    """Always built by the worker, however few its rows (an export that copies stored files)."""

    def count(self, user: Any, filters: dict[str, Any]) -> int:
        return self.queryset(user, filters).count()

    def check(self, user: Any, filters: dict[str, Any]) -> None:
        """Refuse a request this export cannot answer for this user (InvalidInput in words), or complete its
        `filters` in place (e.g. with the requester's own unit) before they are recorded; by default nothing."""

    def write(
        self, user: Any, filters: dict[str, Any], target: Any, progress: Callable[[int], None] | None = None
    ) -> int:
        """Write the file to the handle `target`; returns the number of rows (or files) written."""
        return write_xlsx(self, user, filters, target, progress)


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


SHEET_NAME_FORBIDDEN = "[]:*?/\\"


def sheet_name(title: Any) -> str:
    """A worksheet's name from an export's title: Excel forbids []:*?/\\ and more than 31 characters."""
    name = "".join("-" if c in SHEET_NAME_FORBIDDEN else c for c in str(title))[:31].strip("'")
    return name or "Sheet1"


RICH_TEXT_START, RICH_TEXT_END = "<r>", "</r>"

# A text that XlsxWriter writes exactly as it stands: no character it would escape or turn into _xHHHH_,
# no escape-like sequence, no leading or trailing space (those add xml:space="preserve").
_PLAIN_TEXT = re.compile(r"[\x00-\x1f&<>\ufffe\uffff]|_x[0-9a-fA-F]{4}_|^\s|\s$")


class ExportSheet(Worksheet):
    """XlsxWriter's worksheet with a quicker way of writing the two cells an export is mostly made of — a
    number (or date) and a plain text — in constant-memory mode: the same XML XlsxWriter writes
    (tests/reporting/test_exports.py compares the two), without its general per-attribute escaping (which
    raises and catches an exception for each cell format). Every other cell is XlsxWriter's own."""

    def _write_cell(self, row: int, col: int, cell: Any) -> None:
        fmt = cell.format
        if fmt is None and (
            row in self.row_info or (col in self.col_info and self.col_info[col].column_format is not None)
        ):
            super()._write_cell(row, col, cell)  # a row or column format may apply: XlsxWriter decides
            return
        kind = cell.__class__
        if kind is _NUMBER or kind is _DATETIME:
            style = f' s="{fmt._get_xf_index()}"' if fmt else ""
            self.fh.write(f'<c r="{xl_rowcol_to_cell_fast(row, col)}"{style}><v>{cell.number:.16G}</v></c>')
        elif kind is _STRING and not _PLAIN_TEXT.search(cell.string):
            style = f' s="{fmt._get_xf_index()}"' if fmt else ""
            self.fh.write(
                f'<c r="{xl_rowcol_to_cell_fast(row, col)}"{style} t="inlineStr"><is><t>{cell.string}</t></is></c>'
            )
        else:
            super()._write_cell(row, col, cell)


_NUMBER, _DATETIME, _STRING = CellNumberTuple, CellDatetimeTuple, CellStringTuple


def write_text(sheet: Any, row: int, col: int, text: str, cell_format: Any, plain: Any) -> None:
    """Write ``text`` as a text cell. In constant-memory mode XlsxWriter takes a string that begins with
    ``<r>`` and ends with ``</r>`` for ready-made rich-text XML and writes it unescaped: such a text (a name
    typed that way) would corrupt the file or add cells of its own, so it goes through the rich-text
    writer as two runs in the ``plain`` format, escaped, and reads as the same text."""
    if text.startswith(RICH_TEXT_START) and text.endswith(RICH_TEXT_END):
        sheet.write_rich_string(row, col, text[:1], plain, text[1:], *([cell_format] if cell_format else []))
    else:
        sheet.write_string(row, col, text, cell_format)


def write_xlsx(
    exporter: Exporter,
    user: Any,
    filters: dict[str, Any],
    target: Any,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Write the export to the file handle ``target`` with XlsxWriter in constant-memory mode: each row goes
    to a temporary file as soon as the next begins, so memory stays flat whatever the row count, and it is
    faster than openpyxl's write-only mode (``python -m bench.excel``). Returns the number of data rows.

    Row 1 is the title (what, which filters, when), then (when columns name a ``group``) a row of merged block
    headers, then the headers with their units; these rows stay in view (frozen) and the headers carry the
    autofilter. Text is neutralised (``neutralise``) and clipped to what Excel takes (``fit_cell``); numbers
    stay numbers and dates dates, with their column's number format. Control characters in text are stored
    as the format's ``_xHHHH_`` escapes, which Excel and WPS decode (openpyxl's write-only writer refused
    most of them)."""
    import xlsxwriter

    columns = exporter.columns_for(user, filters)
    workbook = xlsxwriter.Workbook(
        target,
        {
            "constant_memory": True,
            "in_memory": False,
            # a NaN or infinite float reads as Excel's #NUM! / #DIV/0! instead of failing the export
            "nan_inf_to_errors": True,
        },
    )
    with workbook:
        sheet = workbook.add_worksheet(sheet_name(exporter.title), worksheet_class=ExportSheet)
        for index, column in enumerate(columns):
            sheet.set_column(index, index, column.width)
        grouped = any(column.group for column in columns)
        header_row = 2 if grouped else 1  # zero-based
        sheet.freeze_panes(header_row + 1, 0)
        title_format = workbook.add_format({"bold": True, "font_size": 12})
        plain = workbook.add_format()
        write_text(sheet, 0, 0, describe(exporter, filters, timezone.now()), title_format, plain)
        header_format = workbook.add_format(
            {
                "bold": True,
                "font_color": "#FFFFFF",
                "bg_color": "#1B5E20",
                "pattern": 1,
                "text_wrap": True,
                "valign": "vcenter",
            }
        )
        if grouped:
            block_format = workbook.add_format(
                {
                    "bold": True,
                    "font_color": "#FFFFFF",
                    "bg_color": "#2E7D32",
                    "pattern": 1,
                    "align": "center",
                    "valign": "vcenter",
                }
            )
            start = 0
            for index in range(1, len(columns) + 1):
                if index == len(columns) or columns[index].group != columns[start].group:
                    group = columns[start].group
                    if index - start > 1:
                        sheet.merge_range(1, start, 1, index - 1, "", block_format)
                    if group:
                        write_text(sheet, 1, start, neutralise(str(group)), block_format, plain)
                    else:
                        sheet.write_blank(1, start, None, block_format)
                    start = index
        for index, column in enumerate(columns):
            write_text(sheet, header_row, index, neutralise(column.title), header_format, plain)
        formats = {kind: workbook.add_format({"num_format": code}) for kind, code in NUMBER_FORMATS.items()}
        # A number or date takes its column's format; a date in a column of another kind still reads as one.
        kinds = [column.kind for column in columns]
        number_formats: list[Any] = [formats.get(kind) for kind in kinds]
        date_formats = [formats["date" if kind != "datetime" else "datetime"] for kind in kinds]
        datetime_formats = [formats["datetime" if kind != "date" else "date"] for kind in kinds]
        # The undecorated writers: the public ones only add a check for "A1" notation, about a tenth of the
        # time at 100,000 rows × 20 (XlsxWriter is pinned below its next major version in pyproject.toml).
        write_string, write_number = sheet._write_string, sheet._write_number
        write_datetime, write_boolean = sheet._write_datetime, sheet._write_boolean
        count = 0
        row_index = header_row
        for values in exporter.rows(user, filters):
            row_index += 1
            if len(values) > len(number_formats):  # cells past the declared columns: no number format
                extra = len(values) - len(number_formats)
                number_formats += [None] * extra
                date_formats += [formats["date"]] * extra
                datetime_formats += [formats["datetime"]] * extra
            for col_index, value in enumerate(values):
                kind = value.__class__
                if kind is str:
                    if not value:
                        continue
                    # neutralise() and fit_cell() inline: this runs for every text cell
                    if value.startswith(FORMULA_TRIGGERS):
                        value = "'" + value
                    if len(value) > EXCEL_CELL_LIMIT:
                        value = fit_cell(value)
                    if value.startswith(RICH_TEXT_START) and value.endswith(RICH_TEXT_END):
                        write_text(sheet, row_index, col_index, value, None, plain)
                    else:
                        write_string(row_index, col_index, value)
                elif kind is int or kind is float or kind is Decimal:
                    write_number(row_index, col_index, value, number_formats[col_index])
                elif value is None:
                    continue
                elif kind is bool:
                    write_boolean(row_index, col_index, value)
                elif kind is dt.datetime:
                    if value.tzinfo is not None:
                        value = timezone.localtime(value).replace(tzinfo=None)
                    write_datetime(row_index, col_index, value, datetime_formats[col_index])
                elif kind is dt.date:
                    write_datetime(row_index, col_index, value, date_formats[col_index])
                elif isinstance(value, (int, float, Decimal)):
                    write_number(row_index, col_index, value, number_formats[col_index])
                else:  # words held lazily (gettext_lazy), enums and the like read as their text
                    write_text(sheet, row_index, col_index, fit_cell(neutralise(str(value))), None, plain)
            count += 1
            if progress is not None and count % 2000 == 0:
                progress(count)
        sheet.autofilter(header_row, 0, header_row + count, max(len(columns), 1) - 1)
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
