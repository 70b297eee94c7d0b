"""Evidence (佐证材料) of annual data: which figures a file may back, what a file must be, and which figures
still need one before the data can be submitted (issue 15). Reads only; the writes are in services.

Besides the catalogue's raw fields and indicators, a file may back a declaration of the submission
(issue 18): ``major_change.<kind>`` for a declared 重大事项变更 and ``compliance.permit`` for the pollutant
discharge permit. Which of them accept a file and which need one before submission is decided in
reporting.declarations (`evidence_keys`, `required_evidence_keys`): each declared change and a declared
valid permit need a file; the submit refusal names them with the figures."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from accounts import files
from accounts.i18n import localized
from factories.catalogues.bridge import ReportingCatalogue, reporting_catalogue
from factories.indicators import Status
from reporting import declarations
from reporting.models import AnnualSubmission, SubmissionEvidence, SubmissionFieldNote
from reporting.values import compute_indicators

TYPES_IN_WORDS = "PDF、OFD、JPG、PNG、XLSX、DOCX"
EMPTY_ERROR = _("请选择要上传的佐证材料文件（文件不能为空）。")
TYPE_ERROR = _("佐证材料只能是 {types} 文件，请另存为其中一种格式后上传。")
CONTENT_ERROR = _(
    "文件内容与其类型不符或文件已损坏（按文件内容识别，不看扩展名），不是有效的 {types} 文件，请重新导出后上传。"
)
ACTIVE_ERROR = _(
    "该文件含有脚本、宏、加密内容或自动执行的动作，不能作为佐证材料。请另存或打印为普通 PDF 后重新上传。"
)
SIZE_ERROR = _("每个佐证材料文件不能超过 {limit} MB（当前 {size} MB），请压缩或拆分后上传。")
FIELD_ERROR = _("请选择这份佐证材料对应的数据项或指标。")
PER_FIELD_LIMIT_ERROR = _("“{label}”已有 {n} 个佐证材料文件，不能再上传；如需替换，请先删除旧文件。")
PER_SUBMISSION_LIMIT_ERROR = _("本年度数据已有 {n} 个佐证材料文件，已达上限；请合并文件或删除不需要的文件。")


def file_problem(upload: Any) -> str | None:
    """Why an uploaded file cannot be evidence, in words; None when it can (PDF, OFD, JPG, PNG, XLSX or
    DOCX by its content, within EVIDENCE_MAX_BYTES, without scripts or macros, not a zip bomb)."""
    limit = settings.EVIDENCE_MAX_BYTES
    problem = files.evidence_problem(upload, max_bytes=limit)
    if problem is None:
        return None
    kind, size = problem
    if kind == "size":
        return str(SIZE_ERROR).format(limit=files.megabytes(limit), size=files.megabytes(size))
    message = {"empty": EMPTY_ERROR, "type": TYPE_ERROR, "active": ACTIVE_ERROR}.get(kind, CONTENT_ERROR)
    return str(message).format(types=TYPES_IN_WORDS)


@dataclass(frozen=True)
class Target:
    """A figure a file can back: a raw field (by name) or an indicator (by code), with its label."""

    key: str
    label: str
    is_indicator: bool


def targets(catalogue: ReportingCatalogue) -> dict[str, Target]:
    """Every raw field and indicator of the catalogue, by the key evidence is filed under."""
    found = {f.name: Target(f.name, localized(f.label_zh, f.label_en), False) for f in catalogue.raw_fields}
    for indicator in catalogue.indicators:
        label = f"{indicator.code} {localized(indicator.name_zh, indicator.name_en)}"
        found[indicator.code] = Target(indicator.code, label, True)
    return found


def declaration_targets(submission: AnnualSubmission) -> dict[str, Target]:
    """The declarations of the draft a file may back now (a declared change, a declared permit)."""
    return {
        key: Target(key, str(declarations.EVIDENCE_FIELDS[key]), False)
        for key in declarations.evidence_keys(submission.major_changes, submission.compliance)
    }


def label_of(catalogue: ReportingCatalogue, key: str) -> str:
    if key in declarations.EVIDENCE_FIELDS:
        return str(declarations.EVIDENCE_FIELDS[key])
    target = targets(catalogue).get(key)
    return target.label if target is not None else key


def required_keys(submission: AnnualSubmission) -> list[str]:
    """The figures that need a file before this submission is sent: those the reviewer named when
    returning it, the reported raw fields (other than 0) the catalogue marks, and the computed indicators
    it marks. An indicator is satisfied by a file on itself or on any of its fields."""
    catalogue = reporting_catalogue(submission.catalogue_version)
    known = {**targets(catalogue), **declaration_targets(submission)}
    keys = [key for key in submission.evidence_requested or [] if key in known]
    for raw_field in catalogue.raw_fields:
        value = submission.raw_values.get(raw_field.name)
        if raw_field.evidence_required and value is not None and Decimal(str(value)) != 0:
            keys.append(raw_field.name)
    values = compute_indicators(submission.raw_values, submission.catalogue_version)
    for indicator in catalogue.indicators:
        if indicator.evidence_required and values[indicator.code].status == Status.OK:
            keys.append(indicator.code)
    keys += declarations.required_evidence_keys(submission.major_changes, submission.compliance)
    return list(dict.fromkeys(keys))


def missing(submission: AnnualSubmission, present: Iterable[str] | None = None) -> list[str]:
    """The required figures (`required_keys`) that have no file yet."""
    catalogue = reporting_catalogue(submission.catalogue_version)
    have = set(
        present
        if present is not None
        else SubmissionEvidence.objects.filter(submission=submission).values_list("field", flat=True)
    )
    result = []
    for key in required_keys(submission):
        covered = {key}
        if key in {i.code for i in catalogue.indicators}:
            covered |= set(catalogue.indicator(key).fields)
        if not covered & have:
            result.append(key)
    return result


# --- the evidence of a submission as a list in words (exports) -------------------------------------------

NO_EVIDENCE = _("未上传")
CORRECTION_EVIDENCE = _("更正申请")


def figure_labels(catalogue: ReportingCatalogue) -> dict[str, str]:
    """The raw fields and indicators of a catalogue, by name/code, and the declarations that take a file
    (重大事项变更：…, 排污许可证), in words (the reader's language)."""
    labels: dict[str, str] = {}
    labels.update({f.name: localized(f.label_zh, f.label_en) for f in catalogue.raw_fields})
    labels.update({i.code: f"{i.code} {localized(i.name_zh, i.name_en)}" for i in catalogue.indicators})
    labels.update({key: str(label) for key, label in declarations.EVIDENCE_FIELDS.items()})
    return labels


class FigureLabels(dict[str, dict[str, str]]):
    """`figure_labels` per catalogue version, read once each while an export walks rows of several years."""

    def __missing__(self, version: str) -> dict[str, str]:
        labels = self[version] = figure_labels(reporting_catalogue(version))
        return labels


def figure_label(item: SubmissionEvidence, labels: dict[str, str]) -> str:
    """The figure a file backs, in words; a file filed with a correction request backs the request."""
    return labels.get(item.field, item.field) if item.field else str(CORRECTION_EVIDENCE)


def listed(items: Iterable[SubmissionEvidence], labels: dict[str, str]) -> str:
    """Evidence files as one cell: "figure：file name" per file, in the given order; 未上传 when none."""
    words = [f"{figure_label(e, labels)}：{e.filename}" for e in items]
    return "；".join(words) if words else str(NO_EVIDENCE)


def by_submission(submission_ids: Iterable[int]) -> dict[int, list[SubmissionEvidence]]:
    """The files of many submissions at once (an export's batch of rows), each submission's in upload order."""
    grouped: dict[int, list[SubmissionEvidence]] = {}
    for item in SubmissionEvidence.objects.filter(submission_id__in=list(submission_ids)).order_by("pk"):
        grouped.setdefault(item.submission_id, []).append(item)
    return grouped


def by_field(submission: AnnualSubmission) -> dict[str, list[SubmissionEvidence]]:
    """The submission's files grouped by the figure they back, oldest first."""
    grouped: dict[str, list[SubmissionEvidence]] = {}
    for item in submission.evidence.select_related("uploaded_by").order_by("id"):
        grouped.setdefault(item.field, []).append(item)
    return grouped


@dataclass(frozen=True)
class Cell:
    """What a page shows of one figure's evidence: its files, whether a file is required or missing, and the
    reviewers' revision notes (修订备注) on it."""

    key: str
    label: str
    is_indicator: bool
    items: list[SubmissionEvidence]
    required: bool
    missing: bool
    requested: bool
    notes: list[SubmissionFieldNote]
    uploadable: bool = True


def cells(
    submission: AnnualSubmission | None,
    catalogue: ReportingCatalogue,
    files: dict[str, list[SubmissionEvidence]] | None = None,
) -> dict[str, Cell]:
    """Every raw field and indicator of the catalogue with the submission's files for it (none yet when
    there is no submission), in catalogue order; `files`: its `by_field`, when the caller has read it."""
    grouped = (files if files is not None else by_field(submission)) if submission is not None else {}
    required = set(required_keys(submission)) if submission is not None else set()
    lacking = set(missing(submission, grouped)) if submission is not None else set()
    requested = set(submission.evidence_requested or []) if submission is not None else set()
    notes: dict[str, list[SubmissionFieldNote]] = {}
    if submission is not None:
        for note in submission.field_notes.select_related("author").order_by("created_at", "id"):
            notes.setdefault(note.field, []).append(note)
    return {
        key: Cell(
            key=key,
            label=target.label,
            is_indicator=target.is_indicator,
            items=grouped.get(key, []),
            required=key in required,
            missing=key in lacking,
            requested=key in requested,
            notes=notes.get(key, []),
        )
        for key, target in targets(catalogue).items()
    }


def declaration_cells(
    submission: AnnualSubmission, files: dict[str, list[SubmissionEvidence]] | None = None
) -> dict[str, Cell]:
    """Every declaration evidence field (each change kind, the permit) with the submission's files for it;
    `uploadable` when the draft declares it, so a file may be attached (`files`: as for `cells`)."""
    grouped = files if files is not None else by_field(submission)
    requested = set(submission.evidence_requested or [])
    open_keys = set(declarations.evidence_keys(submission.major_changes, submission.compliance))
    # As required_keys() has it for the declarations, without computing the indicators again.
    required = set(declarations.required_evidence_keys(submission.major_changes, submission.compliance))
    required |= requested & open_keys
    lacking = {key for key in required if not grouped.get(key)}
    return {
        key: Cell(
            key=key,
            label=str(label),
            is_indicator=False,
            items=grouped.get(key, []),
            required=key in required,
            missing=key in lacking,
            requested=key in requested,
            notes=[],
            uploadable=key in open_keys,
        )
        for key, label in declarations.EVIDENCE_FIELDS.items()
    }


def declared(submission: AnnualSubmission, cells: dict[str, Cell] | None = None) -> dict[str, Any]:
    """The declarations as the pages show them (declarations.display), each change row and the permit row
    with its evidence `Cell` under ``evidence`` (None for the statements that take no file)."""
    shown = declarations.display(submission.major_changes, submission.compliance)
    cells = cells if cells is not None else declaration_cells(submission)
    for row in [*shown["changes"], *shown["statements"]]:
        row["evidence"] = cells.get(row.get("evidence_field") or "")
    return shown
