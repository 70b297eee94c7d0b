"""Annual data in Excel: the template, safe opening of uploads, and reading rows with their positions.

An upload is refused before openpyxl parses it when it is not an xlsx package, is encrypted, carries
macros (under any part name: by content type and by relationship), is too big, would inflate beyond a
limit (zip bomb), or declares a DTD or XML entities in any part and any encoding; openpyxl then parses
with defusedxml. Every refusal and every error is in words a clerk understands (sheet, row and column;
never a Python exception name). The template writes other people's text formula-safe, like the exports.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from accounts.exports import fit_cell, neutralise
from accounts.jobs import ClaimLost
from factories.catalogues.bridge import ReportingCatalogue as Catalogue
from factories.catalogues.bridge import reporting_catalogue as get_catalogue
from factories.catalogues.engine import FieldKind
from reporting.values import NONE_CHOSEN

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


def header_text(raw_field: Any) -> str:
    """The column title of a raw field: its label with the unit, or with how to fill it for a choice set
    (items separated by 、) and a yes-no field (是/否), whose unit would mislead."""
    kind = getattr(raw_field, "kind", FieldKind.DECIMAL)
    if kind == FieldKind.CHOICE_SET:
        return _("{label}（多选，以“、”分隔）").format(label=raw_field.label_zh)
    if kind == FieldKind.YES_NO:
        return _("{label}（是/否）").format(label=raw_field.label_zh)
    return f"{raw_field.label_zh}（{raw_field.unit}）" if raw_field.unit else raw_field.label_zh


def variant_fields(catalogue: Catalogue, variants: Sequence[Catalogue] = ()) -> list[tuple[Any, str]]:
    """The raw fields the year's sector variants add to its catalogue, each once, with its variant's code."""
    known = {f.name for f in catalogue.raw_fields}
    extra: list[tuple[Any, str]] = []
    for variant in variants:
        for raw_field in variant.raw_fields:
            if raw_field.name not in known:
                known.add(raw_field.name)
                extra.append((raw_field, variant.version))
    return extra


def headers(catalogue: Catalogue, variants: Sequence[Catalogue] = ()) -> list[tuple[str, str]]:
    """(field key, header text) of the data sheet: credit code, name, every raw field with its unit, the
    fields the year's sector variants add (for their enterprises only), explanation."""
    return (
        [("credit_code", _("统一社会信用代码")), ("name", _("企业名称（仅供核对）"))]
        + [(f.name, header_text(f)) for f in catalogue.raw_fields]
        + [
            (f.name, _("{header}（仅{catalogue}适用企业）").format(header=header_text(f), catalogue=code))
            for f, code in variant_fields(catalogue, variants)
        ]
        + [("explanation", _("情况说明"))]
    )


def column_note(raw_field: Any) -> str:
    """How to fill a column that is not a plain number (the header cell's note and the instructions)."""
    kind = getattr(raw_field, "kind", FieldKind.DECIMAL)
    if kind == FieldKind.CHOICE_SET:
        return _(
            "填写具备的项目名称，多项之间用“、”分隔；一项都不具备填“{none}”；空白表示未填报。可选项目：{choices}。"
        ).format(none=NONE_CHOSEN, choices="、".join(raw_field.choices))
    if kind == FieldKind.YES_NO:
        return _("填写“是”或“否”；空白表示未填报。")
    if kind == FieldKind.COUNT:
        return _("填写不小于0的整数（{unit}）；空白表示未填报，0 表示没有。").format(unit=raw_field.unit)
    return ""


def build_template(
    *,
    year: int,
    enterprises: list[tuple[str, str]],
    catalogue_version: str,
    sector_catalogues: Sequence[str] = (),
) -> bytes:
    """A workbook for year Y on the year's catalogue: instructions, the data sheet (pre-filled with the given
    enterprises), a validation per value column by its kind (decimals ≥ 0, counts whole ≥ 0, yes-no 是/否,
    choice sets free text with a note) and a list validation of the credit codes."""
    from openpyxl import Workbook
    from openpyxl.comments import Comment
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    catalogue = get_catalogue(catalogue_version)
    variants = [get_catalogue(code) for code in sector_catalogues]
    columns = headers(catalogue, variants)
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
    # Names and codes are other people's text: written like the exports write text (a leading = + - @,
    # tab or CR made harmless), so a name like =HYPERLINK(…) is never a live formula.
    enterprises = [
        (fit_cell(neutralise(str(code))), fit_cell(neutralise(str(name)))) for code, name in enterprises
    ]
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
    whole = DataValidation(
        type="whole",
        operator="greaterThanOrEqual",
        formula1="0",
        allow_blank=True,
        showErrorMessage=True,
        errorTitle=_("数值无效"),
        error=_("请填写不小于0的整数；未填报请留空。"),
    )
    yes_no = DataValidation(
        type="list",
        formula1='"{}"'.format(",".join((_("是"), _("否")))),
        allow_blank=True,
        showErrorMessage=True,
        errorTitle=_("填写无效"),
        error=_("请填写“是”或“否”；未填报请留空。"),
    )
    validation_of = {FieldKind.DECIMAL: numbers, FieldKind.COUNT: whole, FieldKind.YES_NO: yes_no}
    notes: list[str] = []
    value_fields = [*catalogue.raw_fields, *(f for f, _code in variant_fields(catalogue, variants))]
    for index, raw_field in enumerate(value_fields, 3):
        letter = get_column_letter(index)
        kind = getattr(raw_field, "kind", FieldKind.DECIMAL)
        validation = validation_of.get(kind)  # a choice set is text: no number validation
        if validation is not None:
            validation.add(f"{letter}{FIRST_DATA_ROW}:{letter}{last_row}")
        note = column_note(raw_field)
        if note:
            sheet.cell(row=HEADER_ROW, column=index).comment = Comment(
                note, _("填写说明"), width=320, height=160
            )
            notes.append(f"{header_text(raw_field)}：{note}")
        if kind == FieldKind.CHOICE_SET:
            sheet.column_dimensions[letter].width = 40
    for validation in (numbers, whole, yes_no):
        if validation.sqref:
            sheet.add_data_validation(validation)
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
        *(f"{n}. {note}" for n, note in enumerate(notes, 6)),
    ):
        help_sheet.append([line])
    help_sheet.column_dimensions["A"].width = 100
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# --- the upload's pre-checks -------------------------------------------------------------------------
#
# Cheap checks (`inspect_upload`) run in the request: the name, the size, the zip's directory (members,
# declared sizes, ratios, encryption), the package's content types and relationships (macros under any
# name). The thorough check (`scan_parts`) runs in the background before openpyxl: every member is read
# whole, in bounded chunks, and refused when it declares a DTD or an entity in any encoding. openpyxl then
# parses the parts it reads whole with defusedxml (`harden_openpyxl`).

CFB_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # OLE compound file: an encrypted xlsx, or an old .xls
CHUNK = 1024 * 1024
MAX_PACKAGE_PART = 5 * 1024 * 1024  # [Content_Types].xml and every .rels together, read in the request
# Content types and relationship types of macros (VBA projects and their signatures, macro-enabled
# workbooks, Excel 4 macro sheets), matched in lower case anywhere in the type.
MACRO_TYPES = ("vbaproject", "macroenabled", "macrosheet")
_DECLARATIONS = tuple(
    keyword.encode(encoding)
    for keyword in ("<!DOCTYPE", "<!ENTITY")
    for encoding in ("utf-8", "utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be", "cp037")
)
_OVERLAP = max(len(p) for p in _DECLARATIONS) - 1


def _not_xlsx() -> UploadRefused:
    return UploadRefused(
        _("文件不是有效的 Excel 工作簿（.xlsx），可能已损坏或只是改了扩展名。请另存为 .xlsx 后重试。")
    )


def _macros() -> UploadRefused:
    return UploadRefused(_("文件包含宏，出于安全原因不能导入，请另存为 .xlsx 后重试。"))


def _entities() -> UploadRefused:
    return UploadRefused(_("文件包含不允许的 XML 实体声明（DOCTYPE/ENTITY），出于安全原因不能导入。"))


def _encrypted() -> UploadRefused:
    return UploadRefused(
        _("文件已加密（设置了打开密码）或是旧版 .xls 格式，不能导入。请取消密码并另存为 .xlsx 后重试。")
    )


def _too_big_unpacked(size: int) -> UploadRefused:
    return UploadRefused(
        _("文件解压后过大（{size} MB，上限 {limit} MB），疑似压缩炸弹，已拒绝。").format(
            size=size // 1024 // 1024, limit=MAX_UNCOMPRESSED_BYTES // 1024 // 1024
        )
    )


class _XmlScanner:
    """Feed one XML part in chunks: refuses a DTD or entity declaration in any encoding expat reads (its
    own detection: BOM, UTF-16 without BOM, the declared encoding) and, as a second net, the raw bytes of
    either declaration in UTF-8/ASCII-compatible, UTF-16, UTF-32 and EBCDIC encodings. Memory stays
    bounded: no tree is built; `on_element` sees start tags when the caller wants attributes."""

    def __init__(self, *, xml: bool, on_element: Any = None) -> None:
        from xml.parsers import expat

        self.tail = b""
        self.parser = None
        if xml:
            self.parser = expat.ParserCreate()
            self.parser.StartDoctypeDeclHandler = self._refuse
            self.parser.EntityDeclHandler = self._refuse
            self.parser.UnparsedEntityDeclHandler = self._refuse
            self.parser.ExternalEntityRefHandler = self._refuse_external
            if on_element is not None:
                self.parser.StartElementHandler = on_element

    @staticmethod
    def _refuse(*_args: Any) -> None:
        raise _entities()

    @staticmethod
    def _refuse_external(*_args: Any) -> int:
        raise _entities()

    def feed(self, chunk: bytes, final: bool = False) -> None:
        from xml.parsers import expat

        window = self.tail + chunk
        if any(pattern in window for pattern in _DECLARATIONS):
            raise _entities()
        self.tail = window[-_OVERLAP:]
        if self.parser is not None:
            try:
                self.parser.Parse(chunk, final)
            except expat.ExpatError as exc:
                raise _not_xlsx() from exc


def _scan_member(
    archive: zipfile.ZipFile, member: zipfile.ZipInfo, *, xml: bool, on_element: Any = None
) -> None:
    scanner = _XmlScanner(xml=xml, on_element=on_element)
    try:
        with archive.open(member) as stream:
            while chunk := stream.read(CHUNK):
                scanner.feed(chunk)
    except (zipfile.BadZipFile, RuntimeError, NotImplementedError, EOFError, OSError, ValueError) as exc:
        # a bad CRC, a member declared shorter than it inflates, an unsupported compression or encryption
        raise _not_xlsx() from exc
    scanner.feed(b"", final=True)


def _local(name: str) -> str:
    return name.rsplit("}", 1)[-1].rsplit(" ", 1)[-1]


def _content_types(archive: zipfile.ZipFile) -> tuple[dict[str, str], dict[str, str]]:
    """([Content_Types].xml) extension → type and part name → type; refuses a macro type whatever the part."""
    defaults: dict[str, str] = {}
    overrides: dict[str, str] = {}

    def element(name: str, attrs: dict[str, str]) -> None:
        kind = attrs.get("ContentType", "")
        if any(word in kind.lower() for word in MACRO_TYPES):
            raise _macros()
        if _local(name) == "Default":
            defaults[attrs.get("Extension", "").lower()] = kind
        elif _local(name) == "Override":
            overrides[attrs.get("PartName", "").lstrip("/")] = kind

    _scan_member(archive, archive.getinfo("[Content_Types].xml"), xml=True, on_element=element)
    return defaults, overrides


def _check_relationships(archive: zipfile.ZipFile, member: zipfile.ZipInfo) -> None:
    def element(name: str, attrs: dict[str, str]) -> None:
        kind = attrs.get("Type", "").lower()
        if _local(name) == "Relationship" and any(word in kind for word in MACRO_TYPES):
            raise _macros()

    _scan_member(archive, member, xml=True, on_element=element)


def _is_xml_part(name: str, defaults: dict[str, str], overrides: dict[str, str]) -> bool:
    kind = overrides.get(name) or defaults.get(name.rsplit(".", 1)[-1].lower() if "." in name else "", "")
    return kind.lower().endswith("xml") or name.lower().endswith((".xml", ".rels", ".vml"))


def inspect_upload(name: str, data: bytes) -> None:
    """The cheap checks, run in the request: refuse anything but a plain, reasonably sized xlsx package
    without macros, before any part is read whole."""
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
    if data.startswith(CFB_MAGIC):
        raise _encrypted()
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError) as exc:
        raise _not_xlsx() from exc
    with archive:
        members = archive.infolist()
        if len(members) > MAX_MEMBERS:
            raise UploadRefused(_("文件结构异常（包含 {n} 个部件），已拒绝。").format(n=len(members)))
        if any(m.flag_bits & 0x1 for m in members):
            raise _encrypted()
        total = sum(m.file_size for m in members)
        if total > MAX_UNCOMPRESSED_BYTES:
            raise _too_big_unpacked(total)
        packed = sum(m.compress_size for m in members)
        for member in members:
            if member.compress_size and member.file_size / member.compress_size > MAX_RATIO:
                raise UploadRefused(
                    _("文件压缩比异常（{name}），疑似压缩炸弹，已拒绝。").format(name=member.filename)
                )
            if member.filename.lower().endswith("vbaproject.bin"):
                raise UploadRefused(_("文件包含宏代码，已拒绝。请另存为不含宏的 .xlsx 文件。"))
        if packed and total / packed > MAX_RATIO:
            raise UploadRefused(_("文件压缩比异常，疑似压缩炸弹，已拒绝。"))
        names = {m.filename for m in members}
        if "[Content_Types].xml" not in names or "xl/workbook.xml" not in names:
            raise UploadRefused(_("文件不是有效的 Excel 工作簿（缺少必要的部件）。"))
        package_parts = [archive.getinfo("[Content_Types].xml")] + [
            m for m in members if m.filename.lower().endswith(".rels")
        ]
        if sum(m.file_size for m in package_parts) > MAX_PACKAGE_PART:  # read in the request: keep it small
            raise UploadRefused(_("文件结构异常（部件过大），已拒绝。"))
        _content_types(archive)
        for member in package_parts[1:]:
            _check_relationships(archive, member)


def scan_parts(data: Any, heartbeat: Any = None) -> None:
    """The thorough check, run in the background before openpyxl: every member read whole, in chunks;
    a DTD or entity declaration anywhere (any part name, any encoding) is refused, and so is XML that
    does not parse. `data` is bytes or a binary file; `heartbeat()` is called between members."""
    source = io.BytesIO(data) if isinstance(data, bytes | bytearray) else data
    try:
        archive = zipfile.ZipFile(source)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError) as exc:
        raise _not_xlsx() from exc
    with archive:
        defaults, overrides = _content_types(archive)
        for member in archive.infolist():
            if member.is_dir():
                continue
            _scan_member(archive, member, xml=_is_xml_part(member.filename, defaults, overrides))
            if heartbeat is not None:
                heartbeat()


_READ_PATH_MODULES = (
    "openpyxl.packaging.relationship",
    "openpyxl.packaging.manifest",
    "openpyxl.reader.drawings",
    "openpyxl.reader.excel",
    "openpyxl.reader.workbook",
    "openpyxl.styles.stylesheet",
    "openpyxl.workbook.external_link.external",
    "openpyxl.worksheet._reader",
)


def harden_openpyxl() -> None:
    """Make openpyxl's reading parse with defusedxml, DTDs forbidden: with lxml installed it parses the
    parts it reads whole (workbook, styles, relationships…) with lxml, which expands internal entities.
    Only the reading modules are changed; writing keeps lxml. Idempotent."""
    import importlib
    from functools import partial

    from defusedxml import ElementTree as defused

    safe_fromstring = partial(defused.fromstring, forbid_dtd=True)
    safe_iterparse = partial(defused.iterparse, forbid_dtd=True)
    for module_name in _READ_PATH_MODULES:
        module = importlib.import_module(module_name)
        if hasattr(module, "fromstring"):
            module.fromstring = safe_fromstring  # type: ignore[attr-defined]
        if hasattr(module, "iterparse"):
            module.iterparse = safe_iterparse  # type: ignore[attr-defined]


PROGRESS_EVERY = 2000


def read_rows(
    data: Any,
    catalogue: Catalogue,
    *,
    max_rows: int | None = None,
    on_progress: Any = None,
    variants: Sequence[Catalogue] = (),
) -> tuple[list[ImportRow], list[RowError], dict[str, str]]:
    """Read the data sheet (read-only mode) into rows keyed by field name; structural problems become errors.

    `data` is bytes or a binary file. At most `max_rows` non-empty data rows are read: one more refuses the
    file. `on_progress(read, estimated)` is called every few thousand rows (estimated from the sheet's
    dimension; 0 when the sheet does not declare it). Anything openpyxl cannot read is refused in words a
    clerk understands."""
    from openpyxl.utils import get_column_letter

    source = io.BytesIO(data) if isinstance(data, bytes | bytearray) else data
    try:
        return _read_rows(source, catalogue, max_rows, on_progress, get_column_letter, variants)
    except (UploadRefused, ClaimLost):
        raise
    except Exception as exc:  # openpyxl's own errors: a damaged or foreign package
        raise _not_xlsx() from exc


def _read_rows(
    source: Any,
    catalogue: Catalogue,
    max_rows: int | None,
    on_progress: Any,
    get_column_letter: Any,
    variants: Sequence[Catalogue] = (),
) -> tuple[list[ImportRow], list[RowError], dict[str, str]]:
    from openpyxl import load_workbook

    harden_openpyxl()
    errors: list[RowError] = []
    workbook = load_workbook(source, read_only=True, data_only=True)
    if DATA_SHEET not in workbook.sheetnames:
        raise UploadRefused(
            _("找不到工作表“{sheet}”。请使用平台下载的模板，不要修改工作表名称。").format(sheet=DATA_SHEET)
        )
    sheet = workbook[DATA_SHEET]
    try:
        declared = sheet.max_row if sheet.max_row else 0
    except Exception:  # a damaged dimension: only the estimate is lost
        declared = 0
    estimated = max(int(declared or 0) - HEADER_ROW, 0)
    expected = headers(catalogue, variants)
    optional = {"name"} | {f.name for f, _code in variant_fields(catalogue, variants)}
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
    missing = [title for key, title in expected if key not in positions.values() and key not in optional]
    for title in missing:
        errors.append(RowError(DATA_SHEET, HEADER_ROW, "", _("缺少表头“{title}”。").format(title=title)))
    if errors:
        workbook.close()
        return [], errors, {}
    column_of = {key: get_column_letter(index + 1) for index, key in positions.items()}
    rows: list[ImportRow] = []
    read = 0
    for offset, values in enumerate(rows_iter):
        if all(v in (None, "") for v in values):
            continue  # an empty (perhaps only formatted) row
        read += 1
        if max_rows is not None and read > max_rows:
            workbook.close()
            raise UploadRefused(_("文件超过 {n} 行的上限，请拆分后分批导入。").format(n=max_rows))
        if on_progress is not None and read % PROGRESS_EVERY == 0:
            on_progress(read, max(estimated, read))
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
    if on_progress is not None:
        on_progress(read, read)
    return rows, errors, column_of
