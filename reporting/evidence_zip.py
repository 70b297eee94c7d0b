"""A management unit's evidence (佐证材料) of one reporting year as one zip, built in the background (issue 15).

An export kind like the others (`evidence_zip`, POST /api/v1/exports/ or the 下载佐证材料（压缩包） button):
the year is required; a district gets its own unit and is refused another, the city (and the auditors)
name the unit. The zip holds a folder per enterprise (its name, made safe for every file system) with each
file as 「figure-original name」, and 清单.xlsx listing every file: enterprise, figure, file name, the path in
the zip, size, SHA-256, uploader and time. A file missing from storage, or whose bytes no longer match the
digest taken at upload, is listed with a note instead of failing the whole zip. With no file at all the
zip holds the manifest alone, saying so.

Files are copied from the storage (local volume or S3) in chunks into a zip written to a temporary file,
which the job runner then saves through the storage: memory stays flat whatever the size.
"""

from __future__ import annotations

import hashlib
import io
import re
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.errors import InvalidInput, NotAllowed
from accounts.exports import Column, Exporter, register, write_xlsx
from accounts.permissions import can
from factories.models import District
from factories.words import filter_words
from reporting import evidence
from reporting.models import SubmissionEvidence, SubmissionStatus

KIND = "evidence_zip"
MANIFEST = gettext_lazy("清单")
CHUNK = 1024 * 1024
# Formats that are compressed already (images, office and OFD containers): stored as they are.
STORED_SUFFIXES = (".jpg", ".jpeg", ".png", ".xlsx", ".docx", ".ofd")
# Characters no file system takes in a name (Windows is the strictest), and control characters.
_UNSAFE = re.compile(r'[\\/:*?"<>|\x00-\x1f\x7f]')
NAME_LIMIT = 80


def safe_name(text: str, limit: int = NAME_LIMIT) -> str:
    """`text` as one file or folder name that unpacks anywhere: no separators or reserved characters, no
    leading or trailing dots and spaces (Windows drops them), at most `limit` characters (keeping the
    extension)."""
    name = _UNSAFE.sub("_", text).strip(" .") or "_"
    if len(name) > limit:
        dot = name.rfind(".")
        suffix = name[dot:] if dot > 0 and len(name) - dot <= 8 else ""
        name = name[: limit - len(suffix)].rstrip(" .") + suffix
    return name


def _columns() -> list[Column]:
    return [
        Column(_("年度"), "int", 8),
        Column(_("企业名称"), width=36),
        Column(_("统一社会信用代码"), width=22),
        Column(_("数据状态"), width=18),
        Column(_("数据项或指标"), width=30),
        Column(_("文件名"), width=36),
        Column(_("压缩包内位置"), width=50),
        Column(_("大小（字节）"), "int", 14),
        Column(_("SHA-256"), width=66),
        Column(_("上传人"), width=14),
        Column(_("上传时间"), "datetime", 18),
        Column(_("备注"), width=30),
    ]


def _evidence(user: Any, filters: dict[str, Any]) -> QuerySet:
    """The files of the unit's submissions of the year that the user may see, by enterprise and upload."""
    if filters.get("year") in (None, "") or not filters.get("district"):
        return SubmissionEvidence.objects.none()
    return (
        SubmissionEvidence.objects.visible_to(user)
        .filter(submission__year=filters["year"], submission__enterprise__district_id=filters["district"])
        .select_related("submission__enterprise", "uploaded_by")
        .order_by("submission__enterprise__name", "submission__enterprise_id", "pk")
    )


@dataclass
class _Entry:
    item: SubmissionEvidence
    path: str
    row: list[Any] = field(default_factory=list)


def _entries(user: Any, filters: dict[str, Any]) -> Iterator[_Entry]:
    """Each file with its unique path in the zip and its manifest row (the note filled while copying)."""
    labels = evidence.FigureLabels()
    taken: set[str] = set()
    for item in _evidence(user, filters).iterator(chunk_size=500):
        enterprise = item.submission.enterprise
        folder = safe_name(f"{enterprise.name}（{enterprise.credit_code}）")
        label = evidence.figure_label(item, labels[item.submission.catalogue_version])
        base = safe_name(f"{label}-{item.filename}")
        path, n = f"{folder}/{base}", 1
        while path.casefold() in taken:
            n += 1
            stem, dot, suffix = base.rpartition(".")
            path = f"{folder}/{stem}（{n}）{dot}{suffix}" if dot else f"{folder}/{base}（{n}）"
        taken.add(path.casefold())
        uploader = item.uploaded_by
        row = [
            item.submission.year,
            enterprise.name,
            enterprise.credit_code,
            str(SubmissionStatus(item.submission.status).label),
            label,
            item.filename,
            path,
            item.size,
            item.sha256,
            str(uploader),
            item.uploaded_at,
            "",
        ]
        yield _Entry(item, path, row)


def _nothing_row(filters: dict[str, Any]) -> list[Any]:
    return [filters.get("year"), _("无：本年度本单位没有上传佐证材料")] + [None] * 10


def _copy(entry: _Entry, archive: zipfile.ZipFile) -> str:
    """Copy one stored file into the zip in chunks, checking its digest; returns a note ("" when all is well)."""
    item = entry.item
    info = zipfile.ZipInfo(entry.path, timezone.localtime(item.uploaded_at).timetuple()[:6])
    info.compress_type = (
        zipfile.ZIP_STORED if entry.path.lower().endswith(STORED_SUFFIXES) else zipfile.ZIP_DEFLATED
    )
    info.external_attr = 0o644 << 16
    digest = hashlib.sha256()
    try:
        with item.file.open("rb") as source, archive.open(info, "w", force_zip64=True) as target:
            while chunk := source.read(CHUNK):
                digest.update(chunk)
                target.write(chunk)
    except (FileNotFoundError, OSError):
        return _("存储中找不到该文件，未能打包，请联系系统管理员。")
    if digest.hexdigest() != item.sha256:
        return _("文件内容与上传时的SHA-256不一致，请核对。")
    return ""


class _Rows(Exporter):
    """The manifest sheet: rows handed in, under the zip export's title and columns."""

    def __init__(self, parent: Exporter, rows: list[list[Any]]) -> None:
        super().__init__(
            kind=parent.kind,
            title=parent.title,
            columns=parent.columns,
            queryset=parent.queryset,
            word=parent.word,
        )
        self._rows = rows

    def rows(self, user: Any, filters: dict[str, Any]) -> Iterator[list[Any]]:
        yield from self._rows


class EvidenceZipExporter(Exporter):
    """Rows are the manifest (what `write_xlsx` of this kind gives); `write` builds the zip around it."""

    def check(self, user: Any, filters: dict[str, Any]) -> None:
        """The year is required; a district's own unit is filled in (and another refused), the city names one."""
        errors: dict[str, list[str]] = {}
        if filters.get("year") in (None, ""):
            errors["year"] = [_("请选择年度：佐证材料压缩包按年度生成。")]
        if not can(user, "evidence.bundle"):
            raise NotAllowed(
                _(
                    "佐证材料压缩包供区县和市级审核使用；企业请在本企业的年度数据页面查看和下载各自上传的文件。"
                )
            )
        unit = filters.get("district")
        if not user.sees_whole_city:
            own = user.district_id
            if unit and str(unit) != str(own):
                errors["district"] = [_("区县用户只能下载本单位的佐证材料，不能选择其他管理单位。")]
            else:
                filters["district"] = own
        elif not unit:
            errors["district"] = [_("请选择管理单位：佐证材料压缩包按管理单位生成。")]
        elif not District.objects.filter(pk=unit).exists():
            errors["district"] = [_("管理单位“{unit}”不存在，请从列表中选择。").format(unit=unit)]
        if errors:
            raise InvalidInput(field_errors=errors)

    def count(self, user: Any, filters: dict[str, Any]) -> int:
        return _evidence(user, filters).count()

    def rows(self, user: Any, filters: dict[str, Any]) -> Iterator[list[Any]]:
        empty = True
        for entry in _entries(user, filters):
            empty = False
            yield entry.row
        if empty:
            yield _nothing_row(filters)

    def write(
        self, user: Any, filters: dict[str, Any], target: Any, progress: Callable[[int], None] | None = None
    ) -> int:
        rows: list[list[Any]] = []
        with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
            for entry in _entries(user, filters):
                entry.row[-1] = _copy(entry, archive)
                rows.append(entry.row)
                if progress is not None and len(rows) % 20 == 0:
                    progress(len(rows))
            manifest = io.BytesIO()
            write_xlsx(_Rows(self, rows or [_nothing_row(filters)]), user, filters, manifest)
            archive.writestr(f"{MANIFEST}.xlsx", manifest.getvalue())
        return len(rows)


register(
    EvidenceZipExporter(
        kind=KIND,
        title=gettext_lazy("佐证材料"),
        columns=_columns,
        queryset=lambda user, filters: SubmissionEvidence.objects.none(),
        word=filter_words(),
        filters=("year", "district"),
        file_format="zip",
        background=True,
    )
)
