"""Every write on reporting years, annual submissions and corrections (DOMAIN §5).

Each workflow step guards the state, runs in one transaction, claims the row with a conditional
UPDATE (so of two reviewers acting at once exactly one wins and the other gets a StateConflict),
records the transition and an audit entry, and sends notifications once the transaction commits.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count, Max
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts import audit, jobs
from accounts.errors import InvalidInput, NotAllowed, StateConflict
from accounts.i18n import in_language, localized
from accounts.limits import SHORT_TEXT, date_problem, text_problem
from accounts.permissions import ensure_can, ensure_in_scope
from accounts.transitions import claim
from factories.catalogues.bridge import FieldDef, reporting_catalogue, validate_raw, year_on_year_flags
from factories.indicators import DEFAULT_CATALOGUE_VERSION
from factories.models import FIRST_DATA_YEAR, CatalogueStatus, CatalogueVersion, Enterprise
from reporting import anomalies, declarations, evidence, notifications
from reporting.models import (
    CORRECTION_TRANSITIONS,
    SUBMISSION_TRANSITIONS,
    AnnualSubmission,
    AnomalyScan,
    AnomalySettings,
    CorrectionRequest,
    ImportJob,
    Reminder,
    ReminderChannel,
    ReminderKind,
    ReportingYear,
    SubmissionEvidence,
    SubmissionFieldNote,
    SubmissionStatus,
    SubmissionTransition,
    SubmissionVersion,
)
from reporting.values import (
    compute_indicators,
    from_storage,
    indicators_to_storage,
    parse_raw_values,
    to_storage,
)

REQUIRED_ON_SUBMIT = ("site_area", "output_value")


def today() -> dt.date:
    return timezone.localdate()


def _in_language(errors: Mapping[str, list[Any]]) -> dict[str, list[Any]]:
    return {field: [in_language(text) for text in texts] for field, texts in errors.items()}


def _label(raw_field: FieldDef) -> str:
    return localized(raw_field.label_zh, raw_field.label_en)


# --- reporting years --------------------------------------------------------------------------


def _window_problem(year: int, day: dt.date) -> str | None:
    """A window for year Y's data opens in Y at the earliest and ends by the end of the year after next:
    an old year may be reopened today (data collected late, or back-filled when the platform starts)."""
    return date_problem(day, earliest=dt.date(year, 1, 1), latest=dt.date(today().year + 2, 12, 31))


CATALOGUE_FROM_2026 = "GBT36132-2025"
"""DOMAIN §4b: reporting years from 2026 use GB/T 36132-2025 by default, once the city has adopted it. It ships
as a draft (the platform's reading of the published structure, for the city to review), so until it is
adopted a year that names no catalogue keeps GBT36132-2018; the tests and the demo adopt it through
`factories.catalogues.services.catalogue_adopt`, as the city would."""


def _default_catalogue(year: int) -> str:
    """The catalogue a reporting year uses when the city names none (§4b)."""
    if (
        year >= 2026
        and CatalogueVersion.objects.filter(code=CATALOGUE_FROM_2026, status=CatalogueStatus.ADOPTED).exists()
    ):
        return CATALOGUE_FROM_2026
    return DEFAULT_CATALOGUE_VERSION


@transaction.atomic
def _year_catalogues(
    catalogue: str | None, sector_catalogues: list[str], year: int | None = None
) -> tuple[CatalogueVersion | None, list[CatalogueVersion], dict[str, list[Any]]]:
    """The year's default catalogue and sector variants by code, with every refusal in words (§4)."""
    errors: dict[str, list[Any]] = {}
    code = catalogue or (_default_catalogue(year) if year is not None else DEFAULT_CATALOGUE_VERSION)
    found = {c.code: c for c in CatalogueVersion.objects.filter(code__in=[code, *sector_catalogues])}
    default = found.get(code)
    if default is None:
        errors["catalogue"] = [_("指标目录{code}不存在。").format(code=code)]
    elif default.status != CatalogueStatus.ADOPTED:
        errors["catalogue"] = [_("指标目录{code}还是草案，采用后才能用于填报年度。").format(code=code)]
    elif default.industry_divisions:
        errors["catalogue"] = [
            _("{code}是行业变体目录，只能作为行业变体，不能作为年度的指标目录。").format(code=code)
        ]
    variants = []
    for variant_code in sector_catalogues:
        variant = found.get(variant_code)
        if variant is None:
            errors.setdefault("sector_catalogues", []).append(
                _("指标目录{code}不存在。").format(code=variant_code)
            )
        elif variant.status != CatalogueStatus.ADOPTED:
            errors.setdefault("sector_catalogues", []).append(
                _("指标目录{code}还是草案，采用后才能用于填报年度。").format(code=variant_code)
            )
        elif not variant.industry_divisions:
            errors.setdefault("sector_catalogues", []).append(
                _("{code}不是行业变体目录（未指定适用行业）。").format(code=variant_code)
            )
        else:
            variants.append(variant)
    return default, variants, errors


def reporting_year_open(
    *,
    actor: Any,
    year: int,
    opens_on: dt.date,
    closes_on: dt.date,
    catalogue: str | None = None,
    sector_catalogues: list[str] | None = None,
) -> ReportingYear:
    """The city opens year Y with its reporting window and its indicator catalogue (Art. 7, §4)."""
    ensure_can(actor, "reporting_year.manage")
    default_version, variants, errors = _year_catalogues(catalogue, sector_catalogues or [], year)
    if not FIRST_DATA_YEAR <= year <= today().year:
        raise InvalidInput(
            field_errors={
                "year": [
                    _("年度应在{first}年至{y}年之间（填报的是已结束或当年的数据）。").format(
                        first=FIRST_DATA_YEAR, y=today().year
                    )
                ]
            }
        )
    if closes_on < opens_on:
        errors["closes_on"] = [_("截止日期不能早于开始日期。")]
    for name, day in (("opens_on", opens_on), ("closes_on", closes_on)):
        if problem := _window_problem(year, day):
            errors.setdefault(name, []).append(problem)
    if opens_on.year <= year and opens_on < dt.date(year, 1, 1):
        errors["opens_on"] = [_("填报开始日期不能早于数据年度开始。")]
    if ReportingYear.objects.filter(year=year).exists():
        errors["year"] = [_("{year}年度已开放填报。").format(year=year)]
    if errors:
        raise InvalidInput(field_errors=errors)
    reporting_year = ReportingYear.objects.create(
        year=year, opens_on=opens_on, closes_on=closes_on, catalogue=default_version
    )
    reporting_year.sector_catalogues.set(variants)
    audit.record(
        actor=actor,
        action="reporting_year.open",
        obj=reporting_year,
        changes={
            "opens_on": [None, opens_on],
            "closes_on": [None, closes_on],
            "catalogue": [None, reporting_year.catalogue_version],
            **({"sector_catalogues": [None, [v.code for v in variants]]} if variants else {}),
        },
    )
    return reporting_year


@transaction.atomic
def reporting_year_update(
    *, actor: Any, reporting_year: ReportingYear, opens_on: dt.date, closes_on: dt.date, reason: str = ""
) -> ReportingYear:
    """Move a window (e.g. extend the close date); late flags already set stay as they were."""
    ensure_can(actor, "reporting_year.manage")
    if closes_on < opens_on:
        raise InvalidInput(field_errors={"closes_on": [_("截止日期不能早于开始日期。")]})
    errors = {
        name: [problem]
        for name, day in (("opens_on", opens_on), ("closes_on", closes_on))
        if (problem := _window_problem(reporting_year.year, day))
    }
    if errors:
        raise InvalidInput(field_errors=errors)
    before = audit.snapshot(reporting_year, ["opens_on", "closes_on"])
    reporting_year.opens_on, reporting_year.closes_on = opens_on, closes_on
    reporting_year.save(update_fields=["opens_on", "closes_on"])
    audit.record(
        actor=actor,
        action="reporting_year.update",
        obj=reporting_year,
        changes=audit.diff(before, audit.snapshot(reporting_year, ["opens_on", "closes_on"])),
        reason=reason,
    )
    return reporting_year


# --- why a form can or cannot be edited --------------------------------------------------------

LOCK_MESSAGES = {
    SubmissionStatus.SUBMITTED: gettext_lazy(
        "已提交，正在等待区县审核，暂不能修改。如需修改，请联系区县经信部门退回。"
    ),
    SubmissionStatus.DISTRICT_APPROVED: gettext_lazy("区县已审核通过，正在等待市级复核，暂不能修改。"),
    SubmissionStatus.CITY_VERIFIED: gettext_lazy("数据已经市级复核并锁定。如需修改，请提交更正申请。"),
}


_LOOK_UP: Any = object()


def edit_blocker(
    actor: Any,
    *,
    enterprise: Enterprise,
    year: int,
    submission: AnnualSubmission | None,
    reporting_year: ReportingYear | None = _LOOK_UP,
    in_scope: bool = False,
) -> str | None:
    """Why `actor` cannot edit this enterprise-year's data now, in words a clerk understands; None if they can.

    A caller that has already read the year's `ReportingYear` (None: there is none) passes it, and one that
    read `enterprise` through `visible_to(actor)` in this request says so with `in_scope`: the same reads are
    not made twice on every save."""
    from accounts.permissions import can

    if not can(actor, "submission.edit"):
        return _("您的角色只能查看和审核年度数据，不能填报。")
    if not in_scope and not Enterprise.objects.visible_to(actor).filter(pk=enterprise.pk).exists():
        return _("该企业不在您的管辖范围内。")
    if reporting_year is _LOOK_UP:
        reporting_year = ReportingYear.objects.filter(year=year).first()
    if reporting_year is None:
        return _("{year}年度尚未开放填报。").format(year=year)
    if today() < reporting_year.opens_on:
        return _("{year}年度填报窗口尚未开放（{d}开始）。").format(year=year, d=reporting_year.opens_on)
    if submission is not None and submission.status != SubmissionStatus.DRAFT:
        return str(LOCK_MESSAGES[SubmissionStatus(submission.status)])
    return None


# --- drafts -----------------------------------------------------------------------------------


def _previous_raw(enterprise: Enterprise, year: int) -> dict[str, Any] | None:
    # One row at most (unique per enterprise and year): no ordering, so no join for the model's order by name.
    found = AnnualSubmission.objects.filter(enterprise=enterprise, year=year - 1).order_by()
    return next(iter(found.values_list("raw_values", flat=True)[:1]), None)


def _validated(catalogue_version: str, stored: Mapping[str, str | None]) -> dict[str, list[str]]:
    catalogue = reporting_catalogue(catalogue_version)
    return validate_raw(from_storage(stored, catalogue), catalogue)


def _yoy_flags(
    catalogue_version: str, stored: Mapping[str, str | None], previous: Mapping[str, Any] | None
) -> list[str]:
    if previous is None:
        return []
    catalogue = reporting_catalogue(catalogue_version)
    return year_on_year_flags(
        from_storage(stored, catalogue), from_storage(previous, catalogue), catalogue=catalogue
    )


def _explanation_problem(explanation: str | None) -> str | None:
    """An explanation past its limit (the model field's), named in the user's language."""
    field = AnnualSubmission._meta.get_field("explanation")
    return text_problem(explanation, field.max_length or 0, field.verbose_name)


@transaction.atomic
def submission_save_draft(
    *,
    actor: Any,
    enterprise: Enterprise,
    year: int,
    values: Mapping[str, Any],
    explanation: str | None = None,
    major_changes: Any = None,
    compliance: Any = None,
) -> AnnualSubmission:
    """Create or update the draft of an enterprise-year; only drafts can change (DOMAIN §5).

    `major_changes` and `compliance` (reporting.declarations) replace the stored ones when given."""
    ensure_can(actor, "submission.edit")
    ensure_in_scope(actor, enterprise)
    submission = AnnualSubmission.objects.select_for_update().filter(enterprise=enterprise, year=year).first()
    if submission is not None:
        submission.enterprise = enterprise  # the same row: named in the audit entry without reading it again
    reporting_year = ReportingYear.objects.filter(year=year).first()
    blocker = edit_blocker(
        actor,
        enterprise=enterprise,
        year=year,
        submission=submission,
        reporting_year=reporting_year,
        in_scope=True,
    )
    if blocker:
        raise StateConflict(blocker) if submission is not None else InvalidInput(blocker)
    assert reporting_year is not None  # edit_blocker refuses a year that is not open
    catalogue_version = (
        submission.catalogue_version if submission else reporting_year.catalogue_for(enterprise.industry_id)
    )
    parsed, errors = parse_raw_values(reporting_catalogue(catalogue_version), values)
    stored = {**(submission.raw_values if submission else {}), **to_storage(parsed)}
    # Report every problem at once: unreadable numbers and broken ≤ relations among the readable ones.
    for field, messages in _validated(catalogue_version, stored).items():
        errors.setdefault(field, []).extend(messages)
    if problem := _explanation_problem(explanation):
        errors.setdefault("explanation", []).append(problem)
    declared = {
        "major_changes": submission.major_changes if submission else {},
        "compliance": submission.compliance if submission else {},
    }
    for name, given, clean in (
        ("major_changes", major_changes, declarations.clean_major_changes),
        ("compliance", compliance, declarations.clean_compliance),
    ):
        if given is not None:
            declared[name], problems = clean(given, year=year, today=today())
            for field, messages in problems.items():
                errors.setdefault(field, []).extend(messages)
    if errors:
        raise InvalidInput(field_errors=_in_language(errors))
    flags = _yoy_flags(catalogue_version, stored, _previous_raw(enterprise, year))
    if submission is None:
        try:
            with transaction.atomic():
                submission = AnnualSubmission.objects.create(
                    enterprise=enterprise,
                    year=year,
                    district_id=enterprise.district_id,
                    catalogue_version=catalogue_version,
                    raw_values=stored,
                    yoy_flags=flags,
                    explanation=explanation or "",
                    **declared,
                )
        except IntegrityError as exc:
            raise StateConflict(_("该企业本年度的数据已由他人创建，请刷新页面后再编辑。")) from exc
        audit.record(
            actor=actor,
            action="submission.create",
            obj=submission,
            changes={
                **{k: [None, v] for k, v in stored.items() if v is not None},
                **{k: [None, v] for k, v in declared.items() if v},
            },
        )
        return submission
    before = {
        **submission.raw_values,
        "explanation": submission.explanation,
        "major_changes": submission.major_changes,
        "compliance": submission.compliance,
    }
    submission.raw_values = stored
    submission.yoy_flags = flags
    if explanation is not None:
        submission.explanation = explanation
    submission.major_changes, submission.compliance = declared["major_changes"], declared["compliance"]
    submission.save(
        update_fields=["raw_values", "yoy_flags", "explanation", "major_changes", "compliance", "updated_at"]
    )
    changes = audit.diff(before, {**stored, "explanation": submission.explanation, **declared})
    if changes:
        audit.record(actor=actor, action="submission.save", obj=submission, changes=changes)
    return submission


# --- transitions ------------------------------------------------------------------------------


def _transition(
    *,
    actor: Any,
    submission: AnnualSubmission,
    action: str,
    reason: str = "",
    fields: dict[str, Any] | None = None,
) -> AnnualSubmission:
    """Claim the row through the review chain's table; record the transition and an audit entry."""
    current = submission.status
    fields = {"updated_at": timezone.now(), **(fields or {})}
    submission = claim(SUBMISSION_TRANSITIONS, action, actor=actor, obj=submission, fields=fields)
    to = submission.status
    SubmissionTransition.objects.create(
        submission=submission, from_status=current, to_status=to, action=action, actor=actor, reason=reason
    )
    audit.record(
        actor=actor,
        action=f"submission.{action}",
        obj=submission,
        changes={"status": [current, to], **{k: [None, v] for k, v in fields.items() if k != "updated_at"}},
        reason=reason,
    )
    return submission


@transaction.atomic
def submission_submit(*, actor: Any, submission: AnnualSubmission) -> AnnualSubmission:
    """Send a draft for district review; after the close date it is accepted but marked late (DOMAIN §5)."""
    SUBMISSION_TRANSITIONS.ensure_can(actor, "submit")
    ensure_in_scope(actor, submission)
    # Re-read under a row lock, so the checks below see the data that is being submitted.
    submission = (
        AnnualSubmission.objects.select_for_update().select_related("enterprise").get(pk=submission.pk)
    )
    SUBMISSION_TRANSITIONS.ensure_state(submission, "submit")
    reporting_year = ReportingYear.objects.filter(year=submission.year).first()
    if reporting_year is None or today() < reporting_year.opens_on:
        raise StateConflict(_("{year}年度填报窗口尚未开放，不能提交。").format(year=submission.year))
    errors: dict[str, list[str]] = {}
    catalogue = reporting_catalogue(submission.catalogue_version)
    for name in REQUIRED_ON_SUBMIT:
        if submission.raw_values.get(name) is None:
            errors[name] = [_("提交前请填写{label}。").format(label=_label(catalogue.raw_field(name)))]
    errors.update(_validated(submission.catalogue_version, submission.raw_values))
    flags = _yoy_flags(
        submission.catalogue_version,
        submission.raw_values,
        _previous_raw(submission.enterprise, submission.year),
    )
    if flags and not submission.explanation.strip():
        labels = localized("、", ", ").join(_label(catalogue.raw_field(name)) for name in flags)
        errors["explanation"] = [
            _("以下数据与上年相比变化超过3倍，请在“情况说明”中写明原因：{labels}。").format(labels=labels)
        ]
    if unbacked := evidence.missing(submission):
        labels = localized("、", ", ").join(evidence.label_of(catalogue, key) for key in unbacked)
        errors["evidence"] = [_("以下项目需要佐证材料，请上传后再提交：{labels}。").format(labels=labels)]
    if errors:
        raise InvalidInput(field_errors=_in_language(errors))
    late = today() > reporting_year.closes_on
    submission = _transition(
        actor=actor,
        submission=submission,
        action="submit",
        fields={
            "late": late,
            "submitted_at": timezone.now(),
            "yoy_flags": flags,
            "return_reason": "",
            "district_id": submission.enterprise.district_id,
        },
    )
    submission.anomaly_flags = anomalies.flags_for_submission(submission)
    AnnualSubmission.objects.filter(pk=submission.pk).update(anomaly_flags=submission.anomaly_flags)
    notifications.on_submission_event(submission, "submitted")
    return submission


@transaction.atomic
def submission_approve(*, actor: Any, submission: AnnualSubmission, comment: str = "") -> AnnualSubmission:
    """The district bureau approves its enterprise's submitted data (Art. 12)."""
    SUBMISSION_TRANSITIONS.ensure_can(actor, "approve")
    ensure_in_scope(actor, submission)
    SUBMISSION_TRANSITIONS.ensure_state(submission, "approve")
    submission = _transition(
        actor=actor,
        submission=submission,
        action="approve",
        reason=comment,
        fields={"approved_at": timezone.now()},
    )
    notifications.on_submission_event(submission, "approved")
    return submission


@transaction.atomic
def submission_verify(*, actor: Any, submission: AnnualSubmission, comment: str = "") -> AnnualSubmission:
    """The city re-verifies (复核) and locks the data; indicators are computed and stored now (Art. 7)."""
    SUBMISSION_TRANSITIONS.ensure_can(actor, "verify")
    ensure_in_scope(actor, submission)
    SUBMISSION_TRANSITIONS.ensure_state(submission, "verify")
    indicators = indicators_to_storage(
        compute_indicators(submission.raw_values, submission.catalogue_version)
    )
    submission = _transition(
        actor=actor,
        submission=submission,
        action="verify",
        reason=comment,
        fields={"verified_at": timezone.now(), "indicators": indicators},
    )
    SubmissionVersion.objects.create(
        submission=submission,
        version=submission.version,
        raw_values=submission.raw_values,
        indicators=indicators,
        catalogue_version=submission.catalogue_version,
        created_by=actor,
        reason=_("市级复核锁定"),
    )
    notifications.on_submission_event(submission, "verified")
    return submission


@transaction.atomic
def submission_return(
    *,
    actor: Any,
    submission: AnnualSubmission,
    reason: str,
    evidence_requested: list[str] | None = None,
) -> AnnualSubmission:
    """A reviewer returns submitted or district-approved data to draft, always with a reason (DOMAIN §5),
    and may name figures (raw fields or indicators) or declared changes / the permit whose evidence must be
    uploaded before it is sent again."""
    SUBMISSION_TRANSITIONS.ensure_can(actor, "return")
    ensure_in_scope(actor, submission)
    errors: dict[str, list[Any]] = {}
    if not (reason or "").strip():
        errors["reason"] = [_("退回时必须填写退回原因，以便企业修改。")]
    known = {
        **evidence.targets(reporting_catalogue(submission.catalogue_version)),
        **evidence.declaration_targets(submission),
    }
    requested = list(dict.fromkeys(key for key in evidence_requested or [] if key))
    if unknown := [key for key in requested if key not in known]:
        errors["evidence_requested"] = [
            _("没有这些数据项或指标：{keys}。").format(keys="、".join(unknown)[:200])
        ]
    if errors:
        raise InvalidInput(field_errors=errors)
    SUBMISSION_TRANSITIONS.ensure_state(submission, "return")
    submission = _transition(
        actor=actor,
        submission=submission,
        action="return",
        reason=reason.strip(),
        fields={"return_reason": reason.strip(), "approved_at": None, "evidence_requested": requested},
    )
    notifications.on_submission_event(submission, "returned", reason=reason.strip())
    return submission


# --- evidence (佐证材料) ----------------------------------------------------------------------------


def _evidence_guard(actor: Any, submission: AnnualSubmission) -> AnnualSubmission:
    """The enterprise's filer (its own users, or its unit's clerk filing for it) while the data is a draft
    in an open window; the submission re-read under a row lock."""
    ensure_can(actor, "submission.edit")
    ensure_in_scope(actor, submission)
    submission = (
        AnnualSubmission.objects.select_for_update().select_related("enterprise").get(pk=submission.pk)
    )
    blocker = edit_blocker(
        actor, enterprise=submission.enterprise, year=submission.year, submission=submission
    )
    if blocker:
        raise StateConflict(blocker)
    return submission


def _digest(upload: Any) -> tuple[str, int]:
    import hashlib

    digest, size = hashlib.sha256(), 0
    upload.seek(0)
    for chunk in upload.chunks() if hasattr(upload, "chunks") else iter(lambda: upload.read(1 << 20), b""):
        digest.update(chunk)
        size += len(chunk)
    upload.seek(0)
    return digest.hexdigest(), size


@transaction.atomic
def evidence_add(
    *, actor: Any, submission: AnnualSubmission, field: str, upload: Any, note: str = ""
) -> SubmissionEvidence:
    """Attach a document to one figure (raw field or indicator) of a draft (issue 15), or to one of its
    declarations (a declared change, the declared permit: reporting.declarations). A file that is not an
    accepted document, or past the limits, or on a declaration the draft does not make, is refused with
    the reason and nothing is stored."""
    submission = _evidence_guard(actor, submission)
    catalogue = reporting_catalogue(submission.catalogue_version)
    known = {**evidence.targets(catalogue), **evidence.declaration_targets(submission)}
    errors: dict[str, list[Any]] = {}
    field = (field or "").strip()
    if field in declarations.EVIDENCE_FIELDS and field not in known:
        errors["field"] = [declarations.undeclared_message(field)]
    elif field not in known:
        errors["field"] = [evidence.FIELD_ERROR]
    if problem := text_problem(note, SHORT_TEXT, SubmissionEvidence._meta.get_field("note").verbose_name):
        errors["note"] = [problem]
    if problem := evidence.file_problem(upload):
        errors["file"] = [problem]
    if not errors:
        existing = SubmissionEvidence.objects.filter(submission=submission)
        if existing.filter(field=field).count() >= settings.EVIDENCE_MAX_FILES_PER_FIELD:
            errors["file"] = [
                evidence.PER_FIELD_LIMIT_ERROR.format(
                    label=known[field].label, n=settings.EVIDENCE_MAX_FILES_PER_FIELD
                )
            ]
        elif existing.count() >= settings.EVIDENCE_MAX_FILES:
            errors["file"] = [evidence.PER_SUBMISSION_LIMIT_ERROR.format(n=settings.EVIDENCE_MAX_FILES)]
    if errors:
        raise InvalidInput(field_errors=_in_language(errors))
    sha256, size = _digest(upload)
    filename = str(upload.name).replace("\\", "/").rsplit("/", 1)[-1][:200]
    item = SubmissionEvidence(
        submission=submission,
        field=field,
        filename=filename,
        size=size,
        sha256=sha256,
        note=(note or "").strip(),
        uploaded_by=actor,
    )
    try:
        item.file.save(filename, upload, save=True)
        audit.record(
            actor=actor,
            action="evidence.add",
            obj=submission,
            changes={"evidence": [None, f"{known[field].label}: {filename}"]},
            reason=item.note,
        )
    except BaseException:
        # The row goes with the transaction; the stored file would not.
        if item.file.name:
            item.file.storage.delete(item.file.name)
        raise
    return item


@transaction.atomic
def evidence_remove(*, actor: Any, item: SubmissionEvidence) -> None:
    """Take a document off a draft; the stored file is deleted once the removal has committed."""
    submission = _evidence_guard(actor, item.submission)
    item = SubmissionEvidence.objects.select_for_update().get(pk=item.pk, submission=submission)
    label = evidence.label_of(reporting_catalogue(submission.catalogue_version), item.field)
    name, storage = item.file.name or "", item.file.storage
    item.delete()
    audit.record(
        actor=actor,
        action="evidence.remove",
        obj=submission,
        changes={"evidence": [f"{label}: {item.filename}", None]},
    )
    if name:
        transaction.on_commit(lambda: storage.delete(name))


@transaction.atomic
def field_note_add(*, actor: Any, submission: AnnualSubmission, field: str, note: str) -> SubmissionFieldNote:
    """A reviewer leaves a revision note (修订备注) on one figure; notes are never changed or deleted, so they
    stay in the history beside the figure's changes."""
    ensure_can(actor, "submission.note")
    ensure_in_scope(actor, submission)
    catalogue = reporting_catalogue(submission.catalogue_version)
    known = evidence.targets(catalogue)
    errors: dict[str, list[Any]] = {}
    field = (field or "").strip()
    if field not in known:
        errors["field"] = [_("请选择备注针对的数据项或指标。")]
    if not (note or "").strip():
        errors["note"] = [_("请填写修订备注。")]
    elif problem := text_problem(note.strip(), SHORT_TEXT, _("修订备注")):
        errors["note"] = [problem]
    if errors:
        raise InvalidInput(field_errors=errors)
    item = SubmissionFieldNote.objects.create(
        submission=submission, field=field, note=note.strip(), status=submission.status, author=actor
    )
    audit.record(
        actor=actor,
        action="submission.note",
        obj=submission,
        changes={"field_note": [None, f"{known[field].label}: {item.note}"]},
    )
    return item


# --- chasing non-filers (催报) -------------------------------------------------------------------------

REMIND_AGAIN_AFTER = dt.timedelta(hours=24)
"""A clerk's reminder reaches the same enterprise about the same year at most once a day."""


def _channel(users: list[Any]) -> str:
    return ReminderChannel.IN_APP_EMAIL if any(u.email for u in users) else ReminderChannel.IN_APP


@transaction.atomic
def reminder_send(*, actor: Any, enterprise: Enterprise, year: int) -> Reminder:
    """A clerk reminds an enterprise that has not submitted its data of `year` (in-app and e-mail);
    refused when the data is submitted, when the enterprise was reminded within the last day, or when it
    has no account to reach. The reminder is recorded (who, whom, when, how) and audited."""
    ensure_can(actor, "submission.remind")
    ensure_in_scope(actor, enterprise)
    if not ReportingYear.objects.filter(year=year).exists():
        raise InvalidInput(field_errors={"year": [_("{year}年度尚未开放填报。").format(year=year)]})
    # One clerk at a time per enterprise: the throttle below reads what the other wrote.
    Enterprise.objects.select_for_update().filter(pk=enterprise.pk).first()
    status = (
        AnnualSubmission.objects.filter(enterprise=enterprise, year=year)
        .values_list("status", flat=True)
        .first()
    )
    if status is not None and status != SubmissionStatus.DRAFT:
        raise StateConflict(_("该企业已提交{year}年度数据，无需催报。").format(year=year))
    last = (
        Reminder.objects.filter(enterprise=enterprise, year=year, kind=ReminderKind.MANUAL)
        .order_by("-sent_at")
        .values_list("sent_at", flat=True)
        .first()
    )
    if last is not None and timezone.now() - last < REMIND_AGAIN_AFTER:
        raise StateConflict(
            _("该企业已于{when}催报过，同一企业24小时内只催报一次。").format(
                when=timezone.localtime(last).strftime("%Y-%m-%d %H:%M")
            )
        )
    users = notifications.reminder_recipients(enterprise.pk)
    if not users:
        raise StateConflict(_("该企业还没有可用的填报账户，无法发送催报；请先在“用户管理”中为其开通账户。"))
    reminder = Reminder.objects.create(
        enterprise=enterprise,
        year=year,
        kind=ReminderKind.MANUAL,
        channel=_channel(users),
        recipients=len(users),
        sent_by=actor,
    )
    audit.record(
        actor=actor,
        action="reminder.send",
        obj=enterprise,
        changes={"year": [None, year], "recipients": [None, len(users)], "channel": [None, reminder.channel]},
    )
    notifications.on_reminder(reminder, users)
    return reminder


def overdue_notices_send(*, today: dt.date) -> int:
    """The automatic notice after the close date (beat, daily) to every enterprise without submitted data of
    a year whose window closed at most OVERDUE_NOTICE_DAYS ago. Recorded once per enterprise and year (a
    unique row), so a second run, or a run on the next day, sends nobody the same notice again. Returns
    how many enterprises were notified."""
    from django.conf import settings

    from reporting.selectors import non_filers

    sent = 0
    earliest = today - dt.timedelta(days=settings.OVERDUE_NOTICE_DAYS)
    for reporting_year in ReportingYear.objects.filter(closes_on__lt=today, closes_on__gte=earliest):
        noticed = Reminder.objects.filter(year=reporting_year.year, kind=ReminderKind.OVERDUE).values(
            "enterprise_id"
        )
        pending = (
            non_filers(None, reporting_year.year, all_units=True)
            .exclude(pk__in=noticed)
            .values_list("pk", flat=True)
        )
        for enterprise_id in list(pending):
            users = notifications.reminder_recipients(enterprise_id)
            try:
                with transaction.atomic():
                    reminder = Reminder.objects.create(
                        enterprise_id=enterprise_id,
                        year=reporting_year.year,
                        kind=ReminderKind.OVERDUE,
                        channel=_channel(users),
                        recipients=len(users),
                    )
                    notifications.on_overdue(reminder, users, reporting_year.closes_on)
            except IntegrityError:
                continue  # a concurrent run recorded it first
            sent += 1
    return sent


def review_reminders_send(*, today: dt.date) -> int:
    """Remind reviewers (beat, daily) whose queue holds items waiting longer than REVIEW_REMINDER_DAYS: each
    district's clerks of its submitted data, the city's staff of district-approved data. Each item is
    reminded of once per stay in a queue (its number of review steps is the round), and each unit's
    reviewers get one notification listing how many items are new to remind of. Returns that number."""
    from django.conf import settings

    days = settings.REVIEW_REMINDER_DAYS
    cutoff = timezone.now() - dt.timedelta(days=days)
    queues = (
        ("district", ReminderKind.REVIEW_DISTRICT, SubmissionStatus.SUBMITTED, "submitted_at"),
        ("city", ReminderKind.REVIEW_CITY, SubmissionStatus.DISTRICT_APPROVED, "approved_at"),
    )
    total = 0
    for queue, kind, status, since in queues:
        waiting = (
            AnnualSubmission.objects.filter(status=status, **{f"{since}__lt": cutoff})
            .annotate(steps=Count("transitions"))
            .values_list("enterprise_id", "enterprise__district_id", "year", "steps")
        )
        new: dict[str, int] = {}
        for enterprise_id, district_id, year, steps in waiting:
            try:
                with transaction.atomic():
                    Reminder.objects.create(
                        enterprise_id=enterprise_id,
                        year=year,
                        kind=kind,
                        round=steps,
                        channel=ReminderChannel.IN_APP_EMAIL,
                    )
            except IntegrityError:
                continue  # reminded of already during this stay in the queue
            unit = district_id if queue == "district" else "city"
            new[unit] = new.get(unit, 0) + 1
        for unit, count in new.items():
            users = (
                notifications.district_reviewers(unit)
                if queue == "district"
                else notifications.city_reviewers()
            )
            notifications.on_review_waiting(
                users, queue=queue, count=count, days=days, key=f"review:{queue}:{unit}:{today.isoformat()}"
            )
            total += count
    return total


# --- corrections after the lock ---------------------------------------------------------------


@transaction.atomic
def correction_request(
    *,
    actor: Any,
    submission: AnnualSubmission,
    reason: str,
    new_values: Mapping[str, Any],
    evidence_files: list[Any] | None = None,
) -> CorrectionRequest:
    """Ask to change locked data: reason and new values, decided by the city (DOMAIN §5); evidence files
    (佐证材料, the same checks as a submission's) may back the request."""
    ensure_can(actor, "correction.request")
    ensure_in_scope(actor, submission)
    if submission.status != SubmissionStatus.CITY_VERIFIED:
        raise StateConflict(_("只有经市级复核锁定的数据才需要更正申请；未锁定的数据请直接修改或申请退回。"))
    errors: dict[str, list[str]] = {}
    if not (reason or "").strip():
        errors["reason"] = [_("请填写更正原因。")]
    parsed, parse_errors = parse_raw_values(reporting_catalogue(submission.catalogue_version), new_values)
    errors.update(parse_errors)
    stored_new = to_storage(parsed)
    current = from_storage(submission.raw_values, reporting_catalogue(submission.catalogue_version))
    # Compare as numbers: "12000.0" and "12000" are the same value and no correction.
    changed = {k: v for k, v in stored_new.items() if current.get(k) != parsed[k]}
    if not parse_errors and not changed:
        errors["new_values"] = [_("更正后的数值与当前数据相同，无需更正。")]
    if not errors:
        errors.update(_validated(submission.catalogue_version, {**submission.raw_values, **changed}))
    uploads = [upload for upload in evidence_files or [] if upload]
    if len(uploads) > settings.EVIDENCE_MAX_FILES_PER_FIELD:
        errors["evidence"] = [
            _("更正申请的佐证材料最多 {n} 个文件。").format(n=settings.EVIDENCE_MAX_FILES_PER_FIELD)
        ]
    else:
        for upload in uploads:
            if problem := evidence.file_problem(upload):
                errors.setdefault("evidence", []).append(f"{upload.name}：{problem}")
    if errors:
        raise InvalidInput(field_errors=_in_language(errors))
    try:
        with transaction.atomic():
            correction = CorrectionRequest.objects.create(
                submission=submission, reason=reason.strip(), new_values=changed, requested_by=actor
            )
    except IntegrityError as exc:
        raise StateConflict(_("该年度数据已有一项待审批的更正申请，请等待市级审批后再提交。")) from exc
    changes: dict[str, Any] = {k: [submission.raw_values.get(k), v] for k, v in changed.items()}
    stored: list[SubmissionEvidence] = []
    try:
        for upload in uploads:
            sha256, size = _digest(upload)
            name = str(upload.name).replace("\\", "/").rsplit("/", 1)[-1][:200]
            item = SubmissionEvidence(
                submission=submission,
                correction=correction,
                filename=name,
                size=size,
                sha256=sha256,
                uploaded_by=actor,
            )
            stored.append(item)
            item.file.save(name, upload, save=True)
        if stored:
            changes["evidence"] = [None, "、".join(item.filename for item in stored)]
        audit.record(
            actor=actor, action="correction.request", obj=submission, changes=changes, reason=reason.strip()
        )
    except BaseException:
        for item in stored:
            if item.file.name:
                item.file.storage.delete(item.file.name)
        raise
    return correction


@transaction.atomic
def correction_decide(
    *, actor: Any, correction: CorrectionRequest, approve: bool, reason: str = ""
) -> CorrectionRequest:
    """The city approves (a new version replaces the data, the old stays visible) or rejects a correction."""
    action = "approve" if approve else "reject"
    CORRECTION_TRANSITIONS.ensure_can(actor, action)
    ensure_in_scope(actor, correction)
    if not approve and not (reason or "").strip():
        raise InvalidInput(field_errors={"reason": [_("驳回更正申请时必须填写理由。")]})
    correction = claim(
        CORRECTION_TRANSITIONS,
        action,
        actor=actor,
        obj=correction,
        fields={"decided_by": actor, "decided_at": timezone.now(), "decision_reason": (reason or "").strip()},
    )
    status = correction.status
    submission = AnnualSubmission.objects.select_for_update().get(pk=correction.submission_id)
    if approve and submission.status != SubmissionStatus.CITY_VERIFIED:
        raise StateConflict(_("该年度数据已不处于锁定状态，不能按更正申请修改。"))
    if approve:
        before = dict(submission.raw_values)
        merged = {**submission.raw_values, **correction.new_values}
        indicators = indicators_to_storage(compute_indicators(merged, submission.catalogue_version))
        submission.raw_values = merged
        submission.indicators = indicators
        submission.version += 1
        submission.yoy_flags = _yoy_flags(
            submission.catalogue_version, merged, _previous_raw(submission.enterprise, submission.year)
        )
        submission.save(update_fields=["raw_values", "indicators", "version", "yoy_flags", "updated_at"])
        SubmissionVersion.objects.create(
            submission=submission,
            version=submission.version,
            raw_values=merged,
            indicators=indicators,
            catalogue_version=submission.catalogue_version,
            created_by=actor,
            reason=_("更正申请 #{id}：{reason}").format(id=correction.pk, reason=correction.reason),
        )
        SubmissionTransition.objects.create(
            submission=submission,
            from_status=submission.status,
            to_status=submission.status,
            action="correct",
            actor=actor,
            reason=correction.reason,
        )
        audit.record(
            actor=actor,
            action="submission.correct",
            obj=submission,
            changes=audit.diff(before, merged),
            reason=correction.reason,
        )
    audit.record(
        actor=actor,
        action=f"correction.{action}",
        obj=correction,
        changes={"status": ["pending", status]},
        reason=reason,
    )
    notifications.on_correction_decided(correction)
    return correction


def notification_mark_read(*, actor: Any, ids: list[int] | None = None) -> int:
    """Mark the actor's own notifications read (all unread ones when `ids` is None)."""
    from accounts.models import Notification

    queryset = Notification.objects.visible_to(actor).unread()
    if ids is not None:
        queryset = queryset.filter(pk__in=ids)
    return queryset.update(read_at=timezone.now())


# --- imports ----------------------------------------------------------------------------------


def submissions_import(
    *, actor: Any, year: int, rows: list[Any], columns: dict[str, str], commit: bool, sheet: str = "年度数据"
) -> list[dict[str, Any]]:
    """Validate (and with `commit`, write) many drafts at once, all or nothing.

    The same rules as `submission_save_draft` — scope, window, only drafts change, the number parser,
    the ≤ relations, the year-on-year flags — applied with set-based queries, so ten thousand rows
    take seconds. Returns every error as {sheet, row, column, message}; nothing is written when any.
    """
    from accounts.models import AuditEntry

    ensure_can(actor, "import.create")
    errors: list[dict[str, Any]] = []

    def error(row: int, field: str, message: str) -> None:
        text = str(in_language(message))
        errors.append({"sheet": sheet, "row": row, "column": columns.get(field, ""), "message": text})

    reporting_year = ReportingYear.objects.filter(year=year).first()
    if reporting_year is None or today() < reporting_year.opens_on:
        return [
            {
                "sheet": sheet,
                "row": 0,
                "column": "",
                "message": _("{year}年度尚未开放填报，不能导入。").format(year=year),
            }
        ]
    codes = {row.credit_code for row in rows}
    enterprises = {
        e.credit_code: e for e in Enterprise.objects.visible_to(actor).filter(credit_code__in=codes)
    }
    existing = {
        s.enterprise_id: s
        for s in AnnualSubmission.objects.filter(year=year, enterprise__in=enterprises.values())
    }
    previous = dict(
        AnnualSubmission.objects.filter(year=year - 1, enterprise__in=enterprises.values()).values_list(
            "enterprise_id", "raw_values"
        )
    )
    seen: dict[str, int] = {}
    prepared: list[tuple[Any, dict[str, Any], list[str], str, str]] = []
    for row in rows:
        enterprise = enterprises.get(row.credit_code)
        if row.credit_code in seen:
            error(
                row.row,
                "credit_code",
                _("与第{n}行重复：同一企业在文件中只能出现一次。").format(n=seen[row.credit_code]),
            )
            continue
        seen[row.credit_code] = row.row
        if enterprise is None:
            error(
                row.row,
                "credit_code",
                _("统一社会信用代码{code}不是您管辖范围内已登记的企业。").format(code=row.credit_code),
            )
            continue
        submission = existing.get(enterprise.pk)
        if submission is not None and submission.status != SubmissionStatus.DRAFT:
            error(row.row, "credit_code", str(LOCK_MESSAGES[SubmissionStatus(submission.status)]))
            continue
        too_long = _explanation_problem(row.explanation)
        if too_long:
            error(row.row, "explanation", too_long)
        # A submission keeps its catalogue; a new one takes the sector variant of the enterprise's division.
        catalogue = reporting_catalogue(
            submission.catalogue_version
            if submission is not None
            else reporting_year.catalogue_for(enterprise.industry_id)
        )
        # A sector variant's column is for the enterprises on that variant: empty for the others.
        own = {f.name for f in catalogue.raw_fields}
        values = {k: v for k, v in row.values.items() if k in own}
        foreign = [k for k, v in row.values.items() if k not in own and v not in (None, "")]
        parsed, field_errors = parse_raw_values(catalogue, values)
        for name in foreign:
            field_errors[name] = [
                _("本企业按指标目录{code}填报，没有这一项，请留空。").format(code=catalogue.version)
            ]
        stored = {**(submission.raw_values if submission else {}), **to_storage(parsed)}
        for field, messages in {
            **field_errors,
            **validate_raw(from_storage(stored, catalogue), catalogue),
        }.items():
            for message in messages:
                error(row.row, field, message)
        if field_errors or too_long:
            continue
        flags = (
            year_on_year_flags(
                from_storage(stored, catalogue),
                from_storage(previous[enterprise.pk], catalogue),
                catalogue=catalogue,
            )
            if enterprise.pk in previous
            else []
        )
        prepared.append((enterprise, stored, flags, row.explanation, catalogue.version))
    if errors or not commit:
        return errors
    with transaction.atomic():
        locked = {
            s.enterprise_id: s
            for s in AnnualSubmission.objects.select_for_update().filter(
                year=year, enterprise__in=[p[0] for p in prepared]
            )
        }
        if any(s.status != SubmissionStatus.DRAFT for s in locked.values()):
            raise StateConflict(_("导入期间有企业的数据已被提交审核，请重新试导入。"))
        new, changed, audit_rows = [], [], []
        now = timezone.now()
        for enterprise, stored, flags, explanation, version in prepared:
            submission = locked.get(enterprise.pk)
            if submission is None:
                new.append(
                    AnnualSubmission(
                        enterprise=enterprise,
                        year=year,
                        district_id=enterprise.district_id,
                        catalogue_version=version,
                        raw_values=stored,
                        yoy_flags=flags,
                        explanation=explanation,
                    )
                )
                continue
            before = {**submission.raw_values, "explanation": submission.explanation}
            submission.raw_values, submission.yoy_flags = stored, flags
            submission.explanation = explanation or submission.explanation
            submission.updated_at = now
            changed.append(submission)
            diff = audit.diff(before, {**stored, "explanation": submission.explanation})
            if diff:
                audit_rows.append(
                    AuditEntry(
                        actor=actor,
                        actor_name=actor.get_username(),
                        action="submission.import",
                        object_type=submission._meta.label_lower,
                        object_id=str(submission.pk),
                        object_repr=str(submission)[:255],
                        changes=diff,
                    )
                )
        try:
            # Another import (or a clerk's first save) may have created one of these drafts since the rows
            # were locked: nothing existed to lock. Like the form path, that is a conflict, not a failure.
            with transaction.atomic():
                created = AnnualSubmission.objects.bulk_create(new, batch_size=1000)
        except IntegrityError as exc:
            raise StateConflict(
                _(
                    "导入期间有企业的本年度数据已由他人创建，未写入任何数据。请重新正式导入，系统将在其基础上更新。"
                )
            ) from exc
        AnnualSubmission.objects.bulk_update(
            changed, ["raw_values", "yoy_flags", "explanation", "updated_at"], batch_size=1000
        )
        for submission in created:
            audit_rows.append(
                AuditEntry(
                    actor=actor,
                    actor_name=actor.get_username(),
                    action="submission.import",
                    object_type=submission._meta.label_lower,
                    object_id=str(submission.pk),
                    object_repr=f"{submission.enterprise.name} {year}"[:255],
                    changes={k: [None, v] for k, v in submission.raw_values.items() if v is not None},
                )
            )
        AuditEntry.objects.bulk_create(audit_rows, batch_size=1000)
    return []


def _json_values(values: dict[str, Any]) -> dict[str, Any]:
    """Cell values as JSON keeps them: numbers as numbers (Decimal as text), text as text."""
    return {
        k: (format(v, "f") if isinstance(v, Decimal) else v.isoformat() if hasattr(v, "isoformat") else v)
        for k, v in values.items()
    }


def import_upload(*, actor: Any, year: int, name: str, data: bytes) -> Any:
    """Store an upload after the cheap checks and dry-run it in the background (accounts.jobs): the request
    answers at once with the queued job; the job reads the rows with progress, stops at IMPORT_MAX_ROWS
    and lists the errors by sheet, row and column. Nothing is written to the submissions. Files up to
    IMPORT_INLINE_MAX_BYTES (a few hundred rows) are dry-run before the request answers, like small exports.
    The file is stored under a random name; its own name is kept only as `file_name`."""
    from django.conf import settings
    from django.core.files.base import ContentFile

    from accounts import jobs
    from reporting import imports
    from reporting.models import ImportJob, ImportStatus

    ensure_can(actor, "import.create")
    job = ImportJob(
        uploaded_by=actor, district_id=actor.district_id, year=year, file_name=name[:255], file_size=len(data)
    )
    try:
        imports.inspect_upload(name, data)
    except imports.UploadRefused as refused:
        job.status, job.errors, job.error_count = ImportStatus.REFUSED, [_refusal(refused.message)], 1
        job.finished_at = timezone.now()
        job.save()
        audit.record(actor=actor, action="import.refused", obj=job, reason=refused.message)
        return job
    inline = len(data) <= settings.IMPORT_INLINE_MAX_BYTES
    with transaction.atomic():
        job.status = ImportStatus.QUEUED
        job.file.save("upload.xlsx", ContentFile(data), save=False)  # upload_to gives it a random name
        job.save()
        audit.record(actor=actor, action="import.upload", obj=job, changes={"file_size": [None, len(data)]})
        if not inline:
            jobs.enqueue(IMPORT_VALIDATION, job)
    if inline:
        import_validate(job.pk)
    job.refresh_from_db()  # a worker (or eager Celery, outside a transaction) may have validated it already
    return job


def _refusal(message: str) -> dict[str, Any]:
    return {"sheet": "", "row": 0, "column": "", "message": message}


def _import_dry_run(job: Any, context: Any) -> Mapping[str, Any]:
    """The body of an import's validation job: check every part of the stored file, read its rows (with
    progress, at most IMPORT_MAX_ROWS), check them like the form does; returns the job's end state."""
    from django.conf import settings

    from reporting import imports
    from reporting.models import ImportStatus

    actor = job.uploaded_by
    read = [0]

    def progress(done: int, total: int) -> None:
        read[0] = done
        context.progress(done=done, total=total)

    reporting_year = ReportingYear.objects.filter(year=job.year).first()
    catalogue = reporting_catalogue(reporting_year.catalogue_version if reporting_year else "GBT36132-2018")
    variant_codes = reporting_year.sector_catalogue_codes if reporting_year else []
    try:
        with job.file.open("rb") as handle:
            imports.scan_parts(handle, heartbeat=context.heartbeat)
            handle.seek(0)
            rows, row_errors, columns = imports.read_rows(
                handle,
                catalogue,
                max_rows=settings.IMPORT_MAX_ROWS,
                on_progress=progress,
                variants=[reporting_catalogue(code) for code in variant_codes],
            )
    except imports.UploadRefused as refused:
        job.file.delete(save=False)  # a refused file is not kept
        audit.record(actor=actor, action="import.refused", obj=job, reason=refused.message)
        return {
            "status": ImportStatus.REFUSED,
            "errors": [_refusal(refused.message)],
            "error_count": 1,
            "parsed": {},
            "file": "",
        }
    errors = [e.as_dict() for e in row_errors]
    if not errors:
        errors = submissions_import(actor=actor, year=job.year, rows=rows, columns=columns, commit=False)
    audit.record(
        actor=actor,
        action="import.dry_run",
        obj=job,
        changes={"rows": [None, len(rows)], "errors": [None, len(errors)]},
    )
    parsed = (
        {
            "columns": columns,
            "rows": [[r.row, r.credit_code, _json_values(r.values), r.explanation] for r in rows],
        }
        if not errors
        else {}
    )
    return {
        "status": ImportStatus.INVALID if errors else ImportStatus.VALIDATED,
        **_kept_errors(errors),
        "row_count": len(rows),
        "parsed": parsed,
        "done": read[0],
        "total": read[0],
    }


def _kept_errors(errors: list[dict[str, Any]]) -> dict[str, Any]:
    """The errors a job keeps (the first IMPORT_MAX_ERRORS) and how many there were."""
    from django.conf import settings

    return {"errors": errors[: settings.IMPORT_MAX_ERRORS], "error_count": len(errors)}


IMPORT_VALIDATION = jobs.JobKind(
    name="import",
    model=ImportJob,
    task="reporting.validate_import",
    work=_import_dry_run,
    related=("uploaded_by",),
    claim_fields={"done": 0, "total": 0},
    failure_message=gettext_lazy("校验文件时出错，技术细节已记录。请检查文件后重新上传，或联系系统管理员。"),
)


def import_validate(job_id: int) -> str:
    """Dry-run a stored upload (idempotent: a finished job is left alone). Returns its status."""
    return jobs.run(IMPORT_VALIDATION, job_id)


def requeue_waiting_imports() -> int:
    """The imports' watchdog: send again validations whose worker died or whose message never left."""
    return len(jobs.watchdog(IMPORT_VALIDATION))


def import_commit(*, actor: Any, job: Any) -> Any:
    """Write a validated upload, all or nothing, after checking it again against today's data."""
    from reporting import imports
    from reporting.models import ImportJob, ImportStatus

    ensure_can(actor, "import.create")
    if not ImportJob.objects.visible_to(actor).filter(pk=job.pk).exists() or job.uploaded_by_id != actor.pk:
        raise NotAllowed(_("只能导入自己上传的文件。"))
    if job.status != ImportStatus.VALIDATED:
        raise StateConflict(_("只有校验通过且尚未导入的文件可以正式导入。"))
    # The rows read at the dry run are checked again below against today's data; the file is kept for the record.
    rows = [
        imports.ImportRow(row=r, credit_code=code, values=values, explanation=text)
        for r, code, values, text in job.parsed.get("rows", [])
    ]
    columns = job.parsed.get("columns", {})
    errors: list[dict[str, Any]] = []

    class _RolledBack(Exception):
        pass

    try:
        with transaction.atomic():
            # Claim the job and write the rows in one transaction: either both happen or neither.
            claimed = ImportJob.objects.filter(pk=job.pk, status=ImportStatus.VALIDATED).update(
                status=ImportStatus.COMMITTED, committed_at=timezone.now(), committed_by=actor
            )
            if not claimed:
                raise StateConflict(_("该文件已经导入。"))
            errors = errors or submissions_import(
                actor=actor, year=job.year, rows=rows, columns=columns, commit=True
            )
            if errors:
                raise _RolledBack
            audit.record(actor=actor, action="import.commit", obj=job, changes={"rows": [None, len(rows)]})
    except _RolledBack:
        ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.INVALID, **_kept_errors(errors))
    job.refresh_from_db()
    return job


# --- anomaly flags (reporting.anomalies) -----------------------------------------------------------


@transaction.atomic
def anomaly_dismiss(
    *, actor: Any, submission: AnnualSubmission, kind: str, field_or_indicator: str, reason: str
) -> AnnualSubmission:
    """A reviewer dismisses one anomaly flag after checking it, always with a reason (issue 18)."""
    ensure_can(actor, "anomaly.dismiss")
    ensure_in_scope(actor, submission)
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(field_errors={"reason": [_("排除异常提示时必须写明理由，例如核实了哪些凭证。")]})
    if problem := text_problem(reason, SHORT_TEXT, _("理由")):
        raise InvalidInput(field_errors={"reason": [problem]})
    submission = AnnualSubmission.objects.select_for_update().get(pk=submission.pk)
    flags = list(submission.anomaly_flags or [])
    index = next(
        (
            i
            for i, flag in enumerate(flags)
            if flag.get("kind") == kind and flag.get("field_or_indicator") == field_or_indicator
        ),
        None,
    )
    if index is None:
        raise InvalidInput(_("该异常提示不存在或已重新计算，请刷新页面。"))
    if flags[index].get("dismissed"):
        raise StateConflict(_("该异常提示已被排除，请刷新页面。"))
    dismissed = {"by": actor.get_username(), "at": timezone.now().isoformat(), "reason": reason}
    flags[index] = {**flags[index], "dismissed": dismissed}
    submission.anomaly_flags = flags
    submission.save(update_fields=["anomaly_flags", "updated_at"])
    audit.record(
        actor=actor,
        action="anomaly.dismiss",
        obj=submission,
        changes={"anomaly": [str(flags[index].get("message", "")), None]},
        reason=reason,
    )
    return submission


def _threshold_number(text: Any, field: str, low: Decimal, high: Decimal, places: int) -> Decimal:
    """A threshold typed by the city, within its range and with at most `places` decimals."""
    try:
        value = Decimal(str(text if text is not None else "").strip().replace(",", ""))
    except (ArithmeticError, ValueError):
        value = Decimal("NaN")
    if not value.is_finite():
        raise InvalidInput(field_errors={field: [_("请填写数字。")]})
    if not low <= value <= high:
        words = _("须在 {low} 到 {high} 之间。").format(
            low=f"{low.normalize():f}", high=f"{high.normalize():f}"
        )
        raise InvalidInput(field_errors={field: [words]})
    if value != value.quantize(Decimal(1).scaleb(-places)):
        words = _("最多保留两位小数。") if places else _("请填写整数。")
        raise InvalidInput(field_errors={field: [words]})
    return value


@transaction.atomic
def anomaly_settings_change(
    *, actor: Any, z_threshold: Any, full_renewable_kwh: Any, reason: str = ""
) -> AnomalySettings:
    """The city sets the thresholds of the anomaly flags (issue 18); the next check uses them, flags
    already stored stay until the year is checked again."""
    ensure_can(actor, "anomaly.configure")
    reason = (reason or "").strip()
    if problem := text_problem(reason, SHORT_TEXT, _("调整理由")):
        raise InvalidInput(field_errors={"reason": [problem]})
    z = _threshold_number(z_threshold, "z_threshold", *anomalies.Z_RANGE, places=2)
    low, high = (Decimal(bound) for bound in anomalies.KWH_RANGE)
    kwh = int(_threshold_number(full_renewable_kwh, "full_renewable_kwh", low, high, places=0))
    # One change at a time: two cities' staff saving at once must not both read the same "before".
    AnomalySettings.objects.select_for_update().first()
    before = anomalies.thresholds()
    changes = {
        name: [old, new]
        for name, old, new in (
            ("z_threshold", before.z.normalize(), z.normalize()),
            ("full_renewable_kwh", before.full_renewable_kwh, kwh),
        )
        if old != new
    }
    if not changes:
        raise InvalidInput(_("新阈值与现行阈值相同，无需调整。"))
    change = AnomalySettings.objects.create(
        z_threshold=z, full_renewable_kwh=kwh, reason=reason, changed_by=actor
    )
    audit.record(actor=actor, action="anomaly.configure", obj=change, changes=changes, reason=reason)
    return change


def _anomaly_scan(job: Any, context: Any) -> Mapping[str, Any]:
    """The body of a year's anomaly check: every submitted submission's flags again, keeping dismissals."""
    found = anomalies.flags_for_year(job.year, lambda done, total: context.progress(done=done, total=total))
    ids = sorted(found)
    flagged = 0
    for start in range(0, len(ids), 1000):
        batch = ids[start : start + 1000]
        with transaction.atomic():
            rows = list(
                AnnualSubmission.objects.select_for_update().filter(pk__in=batch).only("anomaly_flags")
            )
            for row in rows:
                row.anomaly_flags = anomalies.keep_dismissals(found[row.pk], row.anomaly_flags or [])
                flagged += bool(row.open_anomalies)
            AnnualSubmission.objects.bulk_update(rows, ["anomaly_flags"], batch_size=1000)
        context.progress(done=start + len(batch), total=len(ids))
    return {"done": len(ids), "total": len(ids), "flagged": flagged}


ANOMALY_SCAN = jobs.JobKind(
    name="anomaly_scan",
    model=AnomalyScan,
    task="reporting.anomaly_scan",
    work=_anomaly_scan,
    related=("requested_by",),
    claim_fields={"done": 0},
    failure_message=gettext_lazy("检查年度数据异常时出错，技术细节已记录，请稍后重试或联系系统管理员。"),
)


def anomaly_scan_request(*, actor: Any, year: int) -> AnomalyScan:
    """Check a whole year's submitted data again (when the year's data is complete) in the background."""
    ensure_can(actor, "anomaly.scan")
    if not ReportingYear.objects.filter(year=year).exists():
        raise InvalidInput(_("{year}年度尚未开放填报，没有可检查的数据。").format(year=year))
    return _anomaly_scan_enqueue(actor, year)


def anomaly_scans_when_complete(*, today: dt.date | None = None) -> list[int]:
    """Beat, daily: check a year's data as a whole once it is complete — its filing window has closed — and
    again whenever data were (re)submitted after the last check (returned data come back after the close).
    The check of one submission at submission time cannot see copies filed after it; this one does."""
    today = today or timezone.localdate()
    started = []
    for year in ReportingYear.objects.filter(closes_on__lt=today).values_list("year", flat=True):
        last_submitted = AnnualSubmission.objects.filter(year=year, submitted_at__isnull=False).aggregate(
            at=Max("submitted_at")
        )["at"]
        if last_submitted is None:
            continue
        checked = AnomalyScan.objects.filter(year=year, created_at__gte=last_submitted)
        if checked.exclude(status=jobs.JobState.FAILED).exists():
            continue
        started.append(_anomaly_scan_enqueue("beat", year).year)
    return started


def _anomaly_scan_enqueue(actor: Any, year: int) -> AnomalyScan:
    with transaction.atomic():
        job = AnomalyScan.objects.create(
            year=year, requested_by=actor if getattr(actor, "pk", None) else None
        )
        audit.record(actor=actor, action="anomaly.scan", obj=job, changes={"year": [None, year]})
        jobs.enqueue(ANOMALY_SCAN, job)
    return job


def anomaly_scan_execute(job_id: int) -> str:
    """Run a queued anomaly check (idempotent: a finished job is left alone). Returns its status."""
    return jobs.run(ANOMALY_SCAN, job_id)


def requeue_waiting_anomaly_scans() -> int:
    """The anomaly checks' watchdog: send again checks whose worker died or whose message never left."""
    return len(jobs.watchdog(ANOMALY_SCAN))
