"""Annual data in Excel: the template, safe opening of uploads, and reading rows with their positions.

An upload is refused before openpyxl parses it when it is not an xlsx package, carries macros, is
too big, would inflate beyond a limit (zip bomb), or declares XML entities; openpyxl then parses
with defusedxml. Errors name the sheet, row and column in words a clerk understands.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from factories.indicators import Catalogue, get_catalogue

MAX_UPLOAD_BYTES = 10 * 1024 * 1024
MAX_UNCOMPRESSED_BYTES = 200 * 1024 * 1024
MAX_MEMBERS = 2000
MAX_RATIO = 200
DATA_SHEET = "年度数据"
HELP_SHEET = "填写说明"
LIST_SHEET = "企业清单"
HEADER_ROW = 2
FIRST_DATA_ROW = 3


class UploadRefused(Exception):
    """The file is not accepted at all; `message` says why in Chinese."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class RowError:
    sheet: str
    row: int
    column: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"sheet": self.sheet, "row": self.row, "column": self.column, "message": self.message}


@dataclass
class ImportRow:
    row: int
    credit_code: str
    values: dict[str, Any]
    explanation: str


def headers(catalogue: Catalogue) -> list[tuple[str, str]]:
    """(field key, header text) of the data sheet: credit code, name, every raw field with its unit, explanation."""
    return (
        [("credit_code", _("统一社会信用代码")), ("name", _("企业名称（仅供核对）"))]
        + [(f.name, f"{f.label_zh}（{f.unit}）" if f.unit else f.label_zh) for f in catalogue.raw_fields]
        + [("explanation", _("情况说明"))]
    )


def build_template(*, year: int, enterprises: list[tuple[str, str]], catalogue_version: str) -> bytes:
    """A workbook for year Y: instructions, the data sheet (pre-filled with the given enterprises),
    numeric validation on every value column and a list validation of the credit codes."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    catalogue = get_catalogue(catalogue_version)
    columns = headers(catalogue)
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = DATA_SHEET
    sheet.append(
        [
            _("{year}年度绿色制造数据导入模板（指标目录 {version}；空白=未填报，0=没有）").format(
                year=year, version=catalogue.version
            )
        ]
    )
    sheet["A1"].font = Font(bold=True, size=12)
    sheet.append([title for _key, title in columns])
    for index, _column in enumerate(columns, 1):
        cell = sheet.cell(row=HEADER_ROW, column=index)
        cell.font, cell.fill = Font(bold=True, color="FFFFFF"), PatternFill("solid", fgColor="1B5E20")
        cell.alignment = Alignment(wrap_text=True, vertical="center")
        sheet.column_dimensions[get_column_letter(index)].width = 36 if index == 2 else 16
    sheet.column_dimensions["A"].width = 22
    sheet.freeze_panes = "C3"
    for code, name in enterprises:
        sheet.append([code, name])
    last_row = max(FIRST_DATA_ROW + len(enterprises) + 500, 1000)
    numbers = DataValidation(
        type="decimal",
        operator="greaterThanOrEqual",
        formula1="0",
        allow_blank=True,
        showErrorMessage=True,
        errorTitle=_("数值无效"),
        error=_("请填写不小于0的数字；未填报请留空。"),
    )
    numbers.add(f"C{FIRST_DATA_ROW}:{get_column_letter(len(columns) - 1)}{last_row}")
    sheet.add_data_validation(numbers)
    if enterprises:
        listing = workbook.create_sheet(LIST_SHEET)
        for code, name in enterprises:
            listing.append([code, name])
        codes = DataValidation(
            type="list",
            formula1=f"='{LIST_SHEET}'!$A$1:$A${len(enterprises)}",
            allow_blank=False,
            showErrorMessage=True,
            errorTitle=_("企业不在清单中"),
            error=_("请从下拉清单中选择本单位已登记企业的统一社会信用代码。"),
        )
        codes.add(f"A{FIRST_DATA_ROW}:A{last_row}")
        sheet.add_data_validation(codes)
    help_sheet = workbook.create_sheet(HELP_SHEET)
    for line in (
        _("1. 每行填写一家企业一个年度的原始数据，第2行为表头，请勿修改表头和工作表名称。"),
        _("2. 单位以表头括号内为准；数值不得为负；空白表示未填报，0 表示没有。"),
        _("3. 上传后系统先进行校验（试导入），列出每个错误所在的工作表、行和列；全部无误后方可正式导入。"),
        _("4. 正式导入是“全部或全部不”：任一行有误，则不写入任何数据。导入的数据为草稿，仍需提交审核。"),
        _("5. 已提交审核或已锁定的数据不能通过导入修改。"),
    ):
        help_sheet.append([line])
    help_sheet.column_dimensions["A"].width = 100
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def inspect_upload(name: str, data: bytes) -> None:
    """Refuse anything but a plain, reasonably sized xlsx package, before any XML is parsed."""
    lower = name.lower()
    if lower.endswith((".xlsm", ".xltm", ".xlam")):
        raise UploadRefused(_("不接受含宏的工作簿（{name}）。请另存为 .xlsx 格式后上传。").format(name=name))
    if not lower.endswith(".xlsx"):
        raise UploadRefused(
            _("只接受 .xlsx 格式的 Excel 文件（{name}）。请使用平台提供的模板。").format(name=name)
        )
    if len(data) > MAX_UPLOAD_BYTES:
        raise UploadRefused(
            _("文件过大（{size:.1f} MB），上限为 {limit} MB。").format(
                size=len(data) / 1024 / 1024, limit=MAX_UPLOAD_BYTES // 1024 // 1024
            )
        )
    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise UploadRefused(_("文件不是有效的 Excel（.xlsx）文件，可能已损坏或只是改了扩展名。"))
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        members = archive.infolist()
        if len(members) > MAX_MEMBERS:
            raise UploadRefused(_("文件结构异常（包含 {n} 个部件），已拒绝。").format(n=len(members)))
        total = sum(m.file_size for m in members)
        if total > MAX_UNCOMPRESSED_BYTES:
            raise UploadRefused(
                _("文件解压后过大（{size} MB），疑似压缩炸弹，已拒绝。").format(size=total // 1024 // 1024)
            )
        for member in members:
            if member.compress_size and member.file_size / member.compress_size > MAX_RATIO:
                raise UploadRefused(
                    _("文件压缩比异常（{name}），疑似压缩炸弹，已拒绝。").format(name=member.filename)
                )
            if member.filename.lower().endswith("vbaproject.bin"):
                raise UploadRefused(_("文件包含宏代码，已拒绝。请另存为不含宏的 .xlsx 文件。"))
        names = {m.filename for m in members}
        if "[Content_Types].xml" not in names or "xl/workbook.xml" not in names:
            raise UploadRefused(_("文件不是有效的 Excel 工作簿（缺少必要的部件）。"))
        for member in members:
            if member.filename.endswith((".xml", ".rels")):
                head = archive.open(member).read(4096).upper()
                if b"<!DOCTYPE" in head or b"<!ENTITY" in head:
                    raise UploadRefused(_("文件包含不允许的 XML 声明（DOCTYPE/ENTITY），已拒绝。"))


def read_rows(data: bytes, catalogue: Catalogue) -> tuple[list[ImportRow], list[RowError], dict[str, str]]:
    """Read the data sheet (read-only mode) into rows keyed by field name; structural problems become errors."""
    from openpyxl import load_workbook
    from openpyxl.utils import get_column_letter

    errors: list[RowError] = []
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:
        raise UploadRefused(_("无法读取该 Excel 文件：{error}").format(error=type(exc).__name__)) from exc
    if DATA_SHEET not in workbook.sheetnames:
        raise UploadRefused(
            _("找不到工作表“{sheet}”。请使用平台下载的模板，不要修改工作表名称。").format(sheet=DATA_SHEET)
        )
    sheet = workbook[DATA_SHEET]
    expected = headers(catalogue)
    by_title = {title: key for key, title in expected}
    rows_iter = sheet.iter_rows(min_row=HEADER_ROW, values_only=True)
    header = next(rows_iter, None) or ()
    positions: dict[int, str] = {}
    for index, title in enumerate(header):
        if title is None:
            continue
        key = by_title.get(str(title).strip())
        if key is None:
            errors.append(
                RowError(
                    DATA_SHEET,
                    HEADER_ROW,
                    get_column_letter(index + 1),
                    _("无法识别的表头“{title}”。").format(title=title),
                )
            )
        else:
            positions[index] = key
    missing = [title for key, title in expected if key not in positions.values() and key != "name"]
    for title in missing:
        errors.append(RowError(DATA_SHEET, HEADER_ROW, "", _("缺少表头“{title}”。").format(title=title)))
    if errors:
        workbook.close()
        return [], errors, {}
    column_of = {key: get_column_letter(index + 1) for index, key in positions.items()}
    rows: list[ImportRow] = []
    for offset, values in enumerate(rows_iter):
        row_number = FIRST_DATA_ROW + offset
        record = {positions[i]: v for i, v in enumerate(values) if i in positions}
        raw = {k: v for k, v in record.items() if k not in ("credit_code", "name", "explanation")}
        if all(v in (None, "") for v in raw.values()) and not record.get("explanation"):
            continue  # pre-filled enterprise without figures: nothing to import
        code = str(record.get("credit_code") or "").strip().upper()
        if not code:
            errors.append(
                RowError(DATA_SHEET, row_number, column_of["credit_code"], _("缺少统一社会信用代码。"))
            )
            continue
        rows.append(
            ImportRow(
                row=row_number,
                credit_code=code,
                values=raw,
                explanation=str(record.get("explanation") or "").strip(),
            )
        )
    workbook.close()
    return rows, errors, column_of
