"""Grading standards, grading runs, publication, incidents and revocations (DOMAIN §6; Art. 6–9).

A run is a background job (accounts.jobs, kind `GRADING_RUN`): `grading_run_start` records it and the
runner sends it after commit; claim, heartbeat, failure record, resume and re-sending are the runner's.
The run's body is safe to run twice and to resume after a crash: results are keyed by (run, enterprise),
a resumed attempt writes only the rows not stored yet (the same inputs give the same rows); a run whose
inputs changed since its first attempt starts its results again. It reads its inputs with one COPY,
grades one division at a time and writes each division's rows with one COPY, so memory holds one
division and the number of statements does not grow with the population. Progress is written to the run
row after each division.

The yearly cycle as the city runs it (Art. 7, 8, 9):
- An official run of Y starts only after Y's reporting window has closed (a year never opened for
  reporting has no data to grade). If population members' data are still under review (submitted or
  district-approved) it starts only with `confirm_pending` and a reason; the counts at start (verified,
  under review by district, none) and the reason are stored on the run. A simulation (预评价/模拟) may run
  at any time with the adopted standard or a draft; it is never published and proposes no revocation.
- A notice (公示) starts today or later (Asia/Shanghai) and lasts at least the standard's `notice_days`
  calendar days, counting its first and its last day; its last day belongs to the notice, so the run is
  finalised from notice_to + 1. Grades become visible to enterprises, and they are notified, on the
  notice's first day (at publication when that is today, else by the beat task `announce_notices`).
- One current result per year: a run older than the year's published (or final) run cannot be published;
  a newer run published over it marks it superseded (kept readable) and the diff against it is shown.
  "Newer" is by creation time of the run.
"""

from __future__ import annotations

import datetime as dt
import gc
import io
import json
import logging
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts import audit, files, jobs
from accounts.errors import InvalidInput, NotAllowed, StateConflict
from accounts.i18n import localized
from accounts.limits import EARLIEST_DATE, date_problem, ensure_dates
from accounts.locks import LockName, xact_lock
from accounts.permissions import ensure_can
from accounts.transitions import claim
from factories import certificates
from factories.grading import engine, selectors
from factories.grading import inputs as run_input
from factories.grading.inputs import GatheredInputs, StreamedInputs
from factories.grading.standard import standard_from_dict, standard_to_dict
from factories.grading.writer import DivisionWriter
from factories.models import (
    FIRST_DATA_YEAR,
    GRADING_RUN_TRANSITIONS,
    OBJECTION_TRANSITIONS,
    ONCE_PUBLISHED,
    REVOCATION_TRANSITIONS,
    CatalogueStatus,
    GradingResult,
    GradingRun,
    GradingStandard,
    GreenFactory,
    Incident,
    IncidentKind,
    IncidentSeverity,
    Objection,
    ObjectionEvidence,
    ObjectionStatus,
    ObjectorKind,
    ProposalStatus,
    RemedyKind,
    RevocationProposal,
    RunStatus,
    StandardStatus,
)
from factories.scoring import spec_to_dict

logger = logging.getLogger(__name__)

EVIDENCE_MAX_BYTES = 10 * 1024 * 1024
EVIDENCE_TYPE_ERROR = gettext_lazy(
    "证明材料只能是 PDF、JPG 或 PNG 文件（如为 Word 或压缩包，请先另存为 PDF）。"
)
EVIDENCE_CONTENT_ERROR = gettext_lazy(
    "文件内容与扩展名不符，不是有效的 PDF、JPG 或 PNG 文件，请重新导出后上传。"
)
EVIDENCE_SIZE_ERROR = gettext_lazy("证明材料不能超过 10 MB（当前 {size} MB），请压缩或拆分后上传。")


def evidence_problem(upload: Any) -> str | None:
    """Why an evidence file is refused (PDF, JPG or PNG up to 10 MB whose content matches its name), or None."""
    problem = files.document_problem(upload, max_bytes=EVIDENCE_MAX_BYTES)
    if problem is None:
        return None
    kind, size = problem
    if kind == "size":
        return str(EVIDENCE_SIZE_ERROR).format(size=files.megabytes(size))
    return str(EVIDENCE_TYPE_ERROR if kind == "type" else EVIDENCE_CONTENT_ERROR)


# --- standards ------------------------------------------------------------------------------------


UNKNOWN_CATALOGUE = gettext_lazy("评价标准所依据的指标目录“{code}”不存在。")
MISSING_WEIGHTS = gettext_lazy("请为指标目录 {code} 的每个维度设定权重，缺少：{names}。")
FOREIGN_WEIGHTS = gettext_lazy("“{names}”不是指标目录 {code} 的维度，不能设定权重。")
WEIGHT_NOT_POSITIVE = gettext_lazy("维度“{name}”的权重应为大于 0 的数。")
CATALOGUE_NOT_ADOPTED = gettext_lazy(
    "本标准依据的指标目录 {code} 尚未采用（仍为草案），须先采用该目录，才能采用本标准；在此之前可用它进行预评价（模拟）。"
)


def _dimension_label(code: str, names: Mapping[str, tuple[str, str]]) -> str:
    zh, en = names.get(code, (code, code))
    return localized(zh, en)


def _on_catalogue(parameters: dict[str, Any]) -> dict[str, Any]:
    """The parameters with the indicators of the catalogue they name (§6: the standard names its catalogue
    and the weights of that catalogue's dimensions); the weights must cover exactly those dimensions, each
    positive (L divides by Σ w_k, so any positive weights are a valid standard)."""
    code = str(parameters.get("catalogue_version") or "")
    catalogue = selectors.standard_catalogue(code) if code else None
    if catalogue is None:
        raise InvalidInput(field_errors={"parameters": [str(UNKNOWN_CATALOGUE).format(code=code)]})
    weights = parameters.get("weights")
    if isinstance(weights, Mapping):
        own = selectors.dimension_names(catalogue)
        known = {**selectors.all_dimension_names(), **own}
        problems = []
        if missing := [d for d in own if d not in weights]:
            names = "、".join(_dimension_label(d, own) for d in missing)
            problems.append(str(MISSING_WEIGHTS).format(code=code, names=names))
        if foreign := [str(d) for d in weights if d not in own]:
            names = "、".join(_dimension_label(d, known) for d in foreign)
            problems.append(str(FOREIGN_WEIGHTS).format(code=code, names=names))
        for d in own:
            value = weights.get(d)
            if d in weights and (isinstance(value, bool) or not isinstance(value, int | float) or value <= 0):
                problems.append(str(WEIGHT_NOT_POSITIVE).format(name=_dimension_label(d, own)))
        if problems:
            raise InvalidInput(field_errors={"parameters": problems})
    indicators = [spec_to_dict(spec) for spec in selectors.grading_specs(catalogue)]
    return {**parameters, "indicators": indicators}


def _catalogue_changed_since(standard: GradingStandard) -> bool:
    """Whether the indicators copied into the standard differ from those its catalogue has now (a catalogue
    that is not yet frozen can still change after a standard on it was saved)."""
    catalogue = selectors.standard_catalogue(str(standard.parameters.get("catalogue_version")))
    if catalogue is None:
        return False
    now = [spec_to_dict(spec) for spec in selectors.grading_specs(catalogue)]
    return bool(standard.parameters.get("indicators") != now)


def _validated_parameters(parameters: dict[str, Any]) -> dict[str, Any]:
    try:
        return standard_to_dict(standard_from_dict(_on_catalogue(parameters)))
    except (ValueError, TypeError) as exc:
        raise InvalidInput(
            field_errors={"parameters": [_("评价标准参数无效：{error}").format(error=exc)]}
        ) from exc


def standard_in_force(year: int) -> GradingStandard:
    """The adopted standard valid on 31 December of Y (the latest adopted one if none names Y)."""
    year_end = dt.date(year, 12, 31)
    adopted = GradingStandard.objects.filter(status=StandardStatus.ADOPTED)
    candidates = (
        adopted.filter(valid_from__lte=year_end)
        .exclude(valid_to__lt=year_end)
        .order_by("-valid_from", "-version")
    )
    standard = candidates.first() or adopted.order_by("-valid_from", "-version").first()
    if standard is None:
        raise InvalidInput(_("没有已采用的分级评价标准，请先采用一个标准版本。"))
    return standard


def _used_by_published_run(standard: GradingStandard) -> bool:
    return standard.runs.filter(is_simulation=False, status__in=ONCE_PUBLISHED).exists()


@transaction.atomic
def grading_standard_new_version(
    *,
    actor: Any,
    base: GradingStandard,
    parameters: dict[str, Any] | None = None,
    name: str = "",
    note: str = "",
) -> GradingStandard:
    """A change to the standard is a new draft version (the base stays as it was)."""
    ensure_can(actor, "grading.manage")
    latest = GradingStandard.objects.select_for_update().filter(code=base.code).order_by("-version").first()
    version = (latest.version if latest else 0) + 1
    params = dict(parameters if parameters is not None else base.parameters)
    params.update({"code": base.code, "version": version})
    standard = GradingStandard.objects.create(
        code=base.code,
        version=version,
        name=name or base.name,
        parameters=_validated_parameters(params),
        note=note,
        created_by=actor,
    )
    audit.record(
        actor=actor,
        action="grading_standard.create",
        obj=standard,
        changes={"parameters": [None, standard.parameters]},
        reason=note,
    )
    return standard


@transaction.atomic
def grading_standard_update(
    *, actor: Any, standard: GradingStandard, parameters: dict[str, Any], note: str = ""
) -> GradingStandard:
    """Edit a draft version; adopted versions and versions behind a published run are frozen."""
    ensure_can(actor, "grading.manage")
    standard = GradingStandard.objects.select_for_update().get(pk=standard.pk)
    if standard.status != StandardStatus.DRAFT or _used_by_published_run(standard):
        raise StateConflict(_("该标准版本已采用或已用于发布的评价结果，不能修改；请创建新版本。"))
    params = {**parameters, "code": standard.code, "version": standard.version}
    before = standard.parameters
    standard.parameters = _validated_parameters(params)
    if note:
        standard.note = note
    standard.save(update_fields=["parameters", "note"])
    audit.record(
        actor=actor,
        action="grading_standard.update",
        obj=standard,
        changes={"parameters": [before, standard.parameters]},
        reason=note,
    )
    return standard


@transaction.atomic
def grading_standard_adopt(*, actor: Any, standard: GradingStandard, valid_from: dt.date) -> GradingStandard:
    """Adopt a draft from a date; the version in force before it ends the day before."""
    ensure_can(actor, "grading.manage")
    ensure_dates(valid_from=(valid_from, EARLIEST_DATE, dt.date(timezone.localdate().year + 2, 12, 31)))
    standard = GradingStandard.objects.select_for_update().get(pk=standard.pk)
    if standard.status != StandardStatus.DRAFT:
        raise StateConflict(_("该标准版本已经采用。"))
    code = standard.parameters.get("catalogue_version", "")
    catalogue = selectors.standard_catalogue(code)
    if catalogue is None or catalogue.status != CatalogueStatus.ADOPTED:
        raise StateConflict(str(CATALOGUE_NOT_ADOPTED).format(code=code))
    previous = GradingStandard.objects.filter(
        code=standard.code, status=StandardStatus.ADOPTED, valid_to__isnull=True
    ).exclude(pk=standard.pk)
    for old in previous:
        if old.valid_from and old.valid_from >= valid_from:
            raise InvalidInput(
                field_errors={
                    "valid_from": [_("生效日期必须晚于现行版本的生效日期（{d}）。").format(d=old.valid_from)]
                }
            )
        old.valid_to = valid_from - dt.timedelta(days=1)
        old.save(update_fields=["valid_to"])
        audit.record(
            actor=actor, action="grading_standard.retire", obj=old, changes={"valid_to": [None, old.valid_to]}
        )
    standard.status, standard.valid_from = StandardStatus.ADOPTED, valid_from
    standard.save(update_fields=["status", "valid_from"])
    audit.record(
        actor=actor,
        action="grading_standard.adopt",
        obj=standard,
        changes={"status": ["draft", "adopted"], "valid_from": [None, valid_from]},
    )
    return standard


# --- runs -----------------------------------------------------------------------------------------


# Why an official run waits (Art. 7: grades rest on the year's data; Art. 9: 不履行职责 is judged on data
# that were due and not filed, not on data still under review).
WINDOW_OPEN = gettext_lazy(
    "{year}年度数据填报截止日期为{closes_on}，填报期内不能开始正式评价；可先进行预评价（模拟），"
    "模拟结果不发布、不提出撤销建议。"
)
NO_WINDOW = gettext_lazy("{year}年度尚未开放数据填报，没有可供正式评价的数据；可先进行预评价（模拟）。")
PENDING_DATA = gettext_lazy(
    "{year}年度仍有{count}家绿色工厂的数据在审核中（{where}），尚未经市级复核；"
    "如确需现在开始正式评价，请勾选“确认在审核未完成时开始评价”并说明理由。"
)
OTHER_CATALOGUE = gettext_lazy(
    "{year}年度数据按指标目录 {year_catalogue} 填报，而标准 {standard} 依据指标目录 {catalogue}，"
    "不能用于该年度的评价；请选择依据 {year_catalogue} 的标准。"
)
STALE_INDICATORS = gettext_lazy(
    "指标目录 {catalogue} 的指标在标准 {standard} 保存之后有改动，标准中的指标已不是目录的现行指标；"
    "请基于此版本创建新版本（或修改草案并保存）后再评价。"
)
PENDING_REASON_REQUIRED = gettext_lazy("在数据审核未完成时开始正式评价，必须说明理由。")


def _where(readiness: Any) -> str:
    return "、".join(
        _("{district}{count}家").format(district=name, count=n) for name, n in readiness.pending_by_district
    )


@transaction.atomic
def grading_run_start(
    *,
    actor: Any,
    year: int,
    standard: GradingStandard | None = None,
    simulation: bool = False,
    note: str = "",
    confirm_pending: bool = False,
    reason: str = "",
) -> GradingRun:
    """Record a run of year Y and enqueue it.

    An official run waits for the data (Art. 7, 9): it starts only after the year's reporting window has
    closed, and while data of population members are still under review (submitted or district-approved)
    only when the city confirms it and says why; the counts and the reason are kept on the run. A
    simulation (预评价) may run at any time, with the adopted standard by default or a draft one; it is
    never published and proposes nothing.
    """
    if actor is not None:
        ensure_can(actor, "grading.manage")
    this_year = timezone.localdate().year
    if not FIRST_DATA_YEAR <= year <= this_year:
        raise InvalidInput(
            field_errors={
                "year": [_("评价年度应在{first}年至{y}年之间。").format(first=FIRST_DATA_YEAR, y=this_year)]
            }
        )
    if standard is None:
        standard = standard_in_force(year)
    elif not simulation and standard.status != StandardStatus.ADOPTED:
        raise InvalidInput(
            field_errors={"standard": [_("正式评价只能使用已采用的标准；草案请用“模拟运行”。")]}
        )
    reason = (reason or "").strip()
    readiness = selectors.data_readiness(year)
    # A standard grades the indicators of its own catalogue: data reported on another would all count as
    # not reported. (Parameters too broken to name a catalogue fail in the run, where the failure is recorded.)
    catalogue = standard.parameters.get("catalogue_version")
    if catalogue and _catalogue_changed_since(standard):
        raise InvalidInput(
            field_errors={
                "standard": [str(STALE_INDICATORS).format(catalogue=catalogue, standard=standard.label)]
            }
        )
    if catalogue and readiness.catalogue and readiness.catalogue != catalogue:
        raise InvalidInput(
            field_errors={
                "standard": [
                    str(OTHER_CATALOGUE).format(
                        year=year,
                        year_catalogue=readiness.catalogue,
                        standard=standard.label,
                        catalogue=catalogue,
                    )
                ]
            }
        )
    if not simulation:
        if readiness.closes_on is None:
            raise StateConflict(NO_WINDOW.format(year=year))
        if not readiness.window_closed:
            raise StateConflict(WINDOW_OPEN.format(year=year, closes_on=readiness.closes_on))
        if readiness.pending:
            if not confirm_pending:
                raise StateConflict(
                    PENDING_DATA.format(year=year, count=readiness.pending, where=_where(readiness))
                )
            if not reason:
                raise InvalidInput(field_errors={"reason": [PENDING_REASON_REQUIRED]})
    # Serialise starts of the same year: two clicks at once must not both pass the check below.
    xact_lock(LockName.GRADING_YEAR_START, year, simulation)
    active = GradingRun.objects.filter(
        year=year, is_simulation=simulation, status__in=[RunStatus.QUEUED, RunStatus.RUNNING]
    )
    if active.exists():
        raise StateConflict(_("{year}年度已有一个评价正在排队或计算中，请等待其完成。").format(year=year))
    overridden = not simulation and readiness.pending > 0
    run = GradingRun.objects.create(
        year=year,
        standard=standard,
        is_simulation=simulation,
        started_by=actor,
        note=note,
        phase="queued",
        data_counts=readiness.as_record(),
        pending_total=readiness.pending,
        pending_reason=reason if overridden else "",
    )
    audit.record(
        actor=actor or "beat",
        action="grading_run.start",
        obj=run,
        changes={
            "year": [None, year],
            "standard": [None, standard.label],
            "simulation": [None, simulation],
            "pending": [None, readiness.pending],
        },
        reason=reason if overridden else note,
    )
    jobs.enqueue(GRADING_RUN, run)
    return run


DETAIL_KEYS = (
    "percentiles",
    "dimension_scores",
    "improvement_rates",
    "dimension_improvement",
    "next_band",
    "standard",
)
RESULT_COLUMNS = (
    "run_id",
    "enterprise_id",
    "year",
    "district_id",
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
    "revocation_proposed",
    "flags",
    "reasons",
    "details",
)
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_text(value: str) -> str:
    """A value in COPY's text format (backslash, tab and line breaks escaped)."""
    return (
        value.translate(_COPY_ESCAPES)
        if "\\" in value or "\t" in value or "\n" in value or "\r" in value
        else value
    )


# json.dumps(value, ensure_ascii=False, separators=(",", ":")) without building an encoder per call.
_JSON_ENCODE = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def _json(value: Any) -> str:
    """A JSON field as the ORM would store it (jsonb keeps the value, not the spelling)."""
    return _copy_text(_JSON_ENCODE(value))


def _copy_value(value: Any) -> str:
    """One value of a result row in COPY's text format."""
    kind = type(value)
    if kind is str:
        return _copy_text(value)
    if value is None:
        return "\\N"
    if kind is bool:
        return "t" if value else "f"
    if kind is float:
        # repr() is the shortest text that reads back as the same double, as the driver sends it.
        return repr(value)
    if kind is int:
        return str(value)
    if isinstance(value, str):
        return _copy_text(value)
    return _json(value)


def _result_values(
    run_id: int, district: str, industry: str, tier: str, result: engine.FactoryResult
) -> list[Any]:
    """The stored values of one result, in ``RESULT_COLUMNS`` order (the scores rendered as in
    ``details``, §6.7); written with COPY on PostgreSQL, with ``bulk_create`` elsewhere."""
    details = engine.result_to_dict(result)
    return [
        run_id,
        result.enterprise_id,
        result.year,
        district,
        industry,
        tier,
        result.grade,
        result.computed_grade or "",
        result.decided_by,
        details["level_score"],
        details["improvement_score"],
        details["composite"],
        details["q"],
        result.peer_group or "",
        result.peer_count,
        result.revocation_proposed,
        list(result.flags),
        details["reasons"],
        {k: details[k] for k in DETAIL_KEYS},
    ]


def _result_line(run_id: int, district: str, industry: str, tier: str, result: engine.FactoryResult) -> str:
    """One result row in COPY's text format."""
    return "\t".join(_copy_value(v) for v in _result_values(run_id, district, industry, tier, result))


def _result_model(
    run: GradingRun, district: str, industry: str, tier: str, result: engine.FactoryResult
) -> GradingResult:
    """One result row for ``bulk_create`` on a database without COPY."""
    values = dict(zip(RESULT_COLUMNS, _result_values(run.pk, district, industry, tier, result), strict=True))
    return GradingResult(**values)


def _execute(run: GradingRun, job: jobs.JobContext) -> Mapping[str, Any]:
    """The body of a run: read the inputs (one COPY), grade one division at a time and write each
    division's results with one COPY; returns the fields of a finished run.

    Memory holds one division's inputs and results (and the few members of divisions below ``min_peer``,
    graded against everyone at the end); the number of statements depends on the number of divisions,
    not of factories. Progress (done) is written after each division.
    """
    standard = standard_from_dict(run.standard.parameters)
    inputs = run_input.run_inputs(run.year, run.standard.parameters, standard.min_peer)
    try:
        with _fewer_collections():
            return _grade_and_write(run, job, standard, inputs)
    finally:
        inputs.close()


@contextmanager
def _fewer_collections() -> Iterator[None]:
    """Spare the run most of the cyclic garbage collector's passes: the objects that exist before it (the
    framework's) are set aside from collection, and the youngest generation is collected every 100,000
    allocations instead of 700. The run allocates millions of short-lived, acyclic objects (numbers,
    readings, rows), freed by reference counting; scanning them was a quarter of its CPU time."""
    thresholds = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(100_000, *thresholds[1:])
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)
        gc.unfreeze()


def _grade_and_write(
    run: GradingRun, job: jobs.JobContext, standard: Any, inputs: StreamedInputs | GatheredInputs
) -> Mapping[str, Any]:
    total = inputs.total
    if run.input_hash and run.input_hash != inputs.input_hash:
        # The data changed since an interrupted attempt: start the stored results again.
        GradingResult.objects.filter(run=run).delete()
        RevocationProposal.objects.filter(run=run).delete()
    # Rows an interrupted attempt already wrote stay (the same inputs give the same rows).
    stored = set(GradingResult.objects.filter(run=run).values_list("enterprise_id", flat=True))
    job.progress(input_hash=inputs.input_hash, total=total, done=0, phase="computing")
    done = 0
    proposals = []
    meta = inputs.meta
    copy = f"COPY {GradingResult._meta.db_table} ({', '.join(RESULT_COLUMNS)}) FROM STDIN"
    with_copy = run_input.copy_available()
    # Outside a transaction (a worker's run) the server stores one division while the next is graded.
    writer = DivisionWriter(copy, job, threaded=with_copy and not connection.in_atomic_block)
    try:
        for results in engine.grade_stream(run.year, inputs.divisions(), standard):
            if not results:
                continue
            buffer = io.StringIO()
            models: list[GradingResult] = []
            for result in results:
                district, industry, tier = meta.pop(result.enterprise_id)
                if result.enterprise_id in stored:
                    pass
                elif with_copy:
                    buffer.write(_result_line(run.pk, district, industry, tier, result))
                    buffer.write("\n")
                else:
                    models.append(_result_model(run, district, industry, tier, result))
                # A simulation only shows what a draft standard would do; it proposes nothing.
                if result.revocation_proposed and not run.is_simulation:
                    revoking = next((r for r in result.reasons if r.code == "INCIDENT_REVOKE"), None)
                    proposals.append(
                        RevocationProposal(
                            run=run,
                            enterprise_id=result.enterprise_id,
                            incident_id=revoking.params["incident_id"] if revoking else None,
                            reason="incident" if revoking else "no_data_two_years",
                        )
                    )
            done += len(results)
            if with_copy:
                writer.put(buffer, done)
                continue
            with transaction.atomic():
                GradingResult.objects.bulk_create(models, ignore_conflicts=True)
                job.progress(done=done, phase="writing")
    except BaseException:
        writer.abandon()
        raise
    writer.close()
    RevocationProposal.objects.bulk_create(proposals, ignore_conflicts=True)
    return {"phase": "done", "done": total}


GRADING_RUN = jobs.JobKind(
    name="grading_run",
    model=GradingRun,
    task="factories.run_grading",
    work=_execute,
    related=("standard",),
    claim_fields={"phase": "loading"},
    failure_fields={"phase": "failed"},
    failure_message=gettext_lazy(
        "评价计算过程中出错，技术细节已记录，请联系系统管理员排查；问题排除后可点击“重新运行”。"
    ),
)


def execute_run(run_id: int) -> str:
    """Compute and store a run's results; safe to call twice and to resume. Returns the run's status."""
    return jobs.run(GRADING_RUN, run_id)


def grading_run_resume_stale(*, now: dt.datetime | None = None) -> list[int]:
    """Send again runs whose worker died and queued runs whose message never left or was lost; beat calls this."""
    return jobs.watchdog(GRADING_RUN, now=now)


@transaction.atomic
def grading_run_retry(*, actor: Any, run: GradingRun) -> GradingRun:
    """Restart a failed run (or one whose worker died) with the same standard."""
    GRADING_RUN_TRANSITIONS.ensure_can(actor, "retry")
    stale_before = timezone.now() - GRADING_RUN.stale_after
    before = run.status
    run = claim(
        GRADING_RUN_TRANSITIONS,
        "retry",
        actor=actor,
        obj=run,
        fields={**jobs.RESET_FIELDS, "phase": "queued"},
        where=Q(status=RunStatus.FAILED) | Q(heartbeat_at__lt=stale_before),
    )
    audit.record(actor=actor, action="grading_run.retry", obj=run, changes={"status": [before, "queued"]})
    jobs.enqueue(GRADING_RUN, run)
    return run


# --- publication ----------------------------------------------------------------------------------


NOTICE_BACKDATED = gettext_lazy(
    "公示开始日期不能早于今天（{today}）：公示须在发布后进行，不能补记已过去的公示期。"
)
NOTICE_TOO_SHORT = gettext_lazy("公示期不少于{days}天（含首尾两日，{standard}）：结束日期最早为{earliest}。")
OBJECTIONS_OPEN = gettext_lazy("该评价尚有 {n} 件异议未处理，请先逐件采纳或不予采纳并说明理由，再正式发布。")
NOTICE_NOT_OVER = gettext_lazy("公示期至{d}（含当日）结束，公示期满后（{next}起）方可正式发布。")
STALE_PUBLISH = gettext_lazy(
    "{year}年度已有更新的评价 #{newer} 发布，不能再发布较早的评价 #{run}；如需更正，请重新开始评价。"
)


def _notice_problems(run: GradingRun, notice_from: dt.date, notice_to: dt.date) -> dict[str, list[Any]]:
    """The notice starts today or later and lasts at least the standard's notice_days, first and last day
    included (a 7-day notice from 1 December ends on 7 December)."""
    today = timezone.localdate()
    errors: dict[str, list[Any]] = {}
    if notice_from < today:
        errors["notice_from"] = [NOTICE_BACKDATED.format(today=today)]
    days = standard_from_dict(run.standard.parameters).notice_days
    earliest = notice_from + dt.timedelta(days=days - 1)
    if notice_to < notice_from:
        errors["notice_to"] = [_("公示结束日期不能早于开始日期。")]
    elif notice_to < earliest:
        errors["notice_to"] = [
            NOTICE_TOO_SHORT.format(days=days, standard=run.standard.label, earliest=earliest)
        ]
    return errors


@transaction.atomic
def grading_run_publish(
    *, actor: Any, run: GradingRun, notice_from: dt.date, notice_to: dt.date
) -> GradingRun:
    """Publish a finished run for public notice (公示, Art. 8) from today or a later day, for at least the
    standard's notice_days. One result per year: a run older than the year's published one cannot be
    published; a newer one replaces it, and the replaced run is kept, marked superseded."""
    GRADING_RUN_TRANSITIONS.ensure_can(actor, "publish")
    if run.is_simulation:
        raise StateConflict(_("预评价（模拟）的结果不能发布。"))
    window = (dt.date(run.year, 1, 1), timezone.localdate() + dt.timedelta(days=366))
    ensure_dates(notice_from=(notice_from, *window), notice_to=(notice_to, *window))
    if errors := _notice_problems(run, notice_from, notice_to):
        raise InvalidInput(field_errors=errors)
    # One publication of a year at a time: a concurrent publish of another run of the year waits here.
    xact_lock(LockName.GRADING_YEAR_PUBLISH, run.year)
    current = (
        GradingRun.objects.published()
        .filter(year=run.year)
        .exclude(pk=run.pk)
        .order_by("-created_at", "-id")
        .first()
    )
    if current is not None and (current.created_at, current.pk) > (run.created_at, run.pk):
        raise StateConflict(STALE_PUBLISH.format(year=run.year, newer=current.pk, run=run.pk))
    run = claim(
        GRADING_RUN_TRANSITIONS,
        "publish",
        actor=actor,
        obj=run,
        fields={
            "notice_from": notice_from,
            "notice_to": notice_to,
            "published_at": timezone.now(),
            "published_by": actor,
        },
        where=Q(is_simulation=False),
    )
    replaced = list(GradingRun.objects.published().filter(year=run.year).exclude(pk=run.pk))
    for old in replaced:
        before = old.status
        claim(GRADING_RUN_TRANSITIONS, "supersede", actor=actor, obj=old, fields={"superseded_by": run})
        # The replaced run's undecided proposals end with it: they can no longer be confirmed (only a final,
        # current run's can), and a pending one would block every new proposal for its factory.
        note = _("评价 #{old} 已被评价 #{new} 替代，本建议随之失效。").format(old=old.pk, new=run.pk)
        closed = 0
        for proposal in RevocationProposal.objects.filter(run=old, status=ProposalStatus.PROPOSED):
            claim(
                REVOCATION_TRANSITIONS,
                "dismiss",
                actor=actor,
                obj=proposal,
                fields={"decided_by": actor, "decided_at": timezone.now(), "decision_note": note},
            )
            closed += 1
        audit.record(
            actor=actor,
            action="grading_run.supersede",
            obj=old,
            changes={
                "status": [before, "superseded"],
                "superseded_by": [None, run.pk],
                "proposals_closed": [None, closed],
            },
        )
    audit.record(
        actor=actor,
        action="grading_run.publish",
        obj=run,
        changes={
            "status": ["succeeded", "published"],
            "notice_from": [None, notice_from],
            "notice_to": [None, notice_to],
            "supersedes": [None, [old.pk for old in replaced]],
        },
    )
    if notice_from <= timezone.localdate():
        grading_run_announce(run=run)
    return run


def grading_run_announce(*, run: GradingRun) -> bool:
    """On the first day of the notice, tell each graded enterprise (once): the run is claimed by a
    conditional UPDATE, so the beat task and a publication on the same day cannot both send."""
    from factories.grading.notifications import on_run_published

    claimed = GradingRun.objects.filter(
        pk=run.pk,
        is_simulation=False,
        status__in=[RunStatus.PUBLISHED, RunStatus.FINAL],
        notice_from__lte=timezone.localdate(),
        notice_notified_at__isnull=True,
    ).update(notice_notified_at=timezone.now())
    if claimed:
        run.refresh_from_db()
        on_run_published(run)
    return bool(claimed)


def grading_notices_announce() -> list[int]:
    """The notices that begin today (or began while nobody sent them): announce each once; beat calls this."""
    due = GradingRun.objects.published().filter(
        notice_from__lte=timezone.localdate(), notice_notified_at__isnull=True
    )
    announced = []
    for run in due:
        with transaction.atomic():
            if grading_run_announce(run=run):
                announced.append(run.pk)
    return announced


@transaction.atomic
def grading_run_finalize(*, actor: Any, run: GradingRun) -> GradingRun:
    """End the notice period: the published grades become final. The notice includes its last day, so a
    run is finalised from the day after notice_to."""
    GRADING_RUN_TRANSITIONS.ensure_can(actor, "finalize")
    if open_objections := Objection.objects.filter(run=run).open().count():
        raise StateConflict(OBJECTIONS_OPEN.format(n=open_objections))
    if run.notice_to and timezone.localdate() <= run.notice_to:
        raise StateConflict(
            NOTICE_NOT_OVER.format(d=run.notice_to, next=run.notice_to + dt.timedelta(days=1))
        )
    # A superseded publication is no longer the year's result: only the current one becomes final.
    run = claim(
        GRADING_RUN_TRANSITIONS,
        "finalize",
        actor=actor,
        obj=run,
        fields={"finalized_at": timezone.now(), "finalized_by": actor},
        where=Q(superseded_by__isnull=True, notice_to__lt=timezone.localdate()),
    )
    audit.record(
        actor=actor, action="grading_run.finalize", obj=run, changes={"status": ["published", "final"]}
    )
    # Each graded factory gets its verifiable certificate (issue 17), audited as certificate.issue.
    certificates.issue_for_results(actor=actor, results=run.results.only("id", "enterprise_id"), run=run)
    return run


# --- incidents and revocation ---------------------------------------------------------------------


@transaction.atomic
def incident_record(
    *,
    actor: Any,
    enterprise: Any,
    kind: str,
    severity: str,
    occurred_on: dt.date,
    description: str,
    evidence: Any = None,
) -> Incident:
    """Record an environmental, safety or quality accident or a falsification (Art. 9)."""
    ensure_can(actor, "incident.manage")
    errors: dict[str, list[Any]] = {}
    if kind not in IncidentKind.values:
        errors["kind"] = [_("类型无效。")]
    if severity not in IncidentSeverity.values:
        errors["severity"] = [_("等级无效。")]
    if occurred_on > timezone.localdate():
        errors["occurred_on"] = [_("发生日期不能晚于今天。")]
    elif problem := date_problem(occurred_on, earliest=EARLIEST_DATE, latest=timezone.localdate()):
        errors["occurred_on"] = [problem]
    if not (description or "").strip():
        errors["description"] = [_("请填写情况描述。")]
    if not GreenFactory.objects.filter(enterprise=enterprise).exists():
        errors["enterprise"] = [_("该企业不是已认定的绿色工厂；事故记录用于绿色工厂的分级管理。")]
    if evidence and (problem := evidence_problem(evidence)):
        errors["evidence"] = [problem]
    if errors:
        raise InvalidInput(field_errors=errors)
    incident = Incident.objects.create(
        enterprise=enterprise,
        kind=kind,
        severity=severity,
        occurred_on=occurred_on,
        description=description.strip(),
        recorded_by=actor,
    )
    if evidence:
        incident.evidence.save(evidence.name, evidence, save=True)
    audit.record(
        actor=actor,
        action="incident.record",
        obj=incident,
        changes={"kind": [None, kind], "severity": [None, severity], "occurred_on": [None, occurred_on]},
    )
    return incident


NOT_FINAL = gettext_lazy(
    "评价结果尚未正式发布，不能确认撤销（当前状态：{status}）；请在公示期满、正式发布后确认。"
)
SAME_PERSON = gettext_lazy(
    "撤销须由另一名市级工作人员确认（不能由提出撤销建议、登记事故或发起评价的同一人确认）。"
)
SAME_PERSON_DISMISS = gettext_lazy("名录直接提出的撤销建议须由另一名市级工作人员确认或不予撤销。")


def _first_person(proposal: RevocationProposal) -> int | None:
    """Who set the revocation going: the proposer from the register, the incident's recorder, or the run's starter."""
    if proposal.run_id is None:
        return proposal.proposed_by_id
    if proposal.incident is not None:
        return proposal.incident.recorded_by_id
    assert proposal.run is not None
    return proposal.run.started_by_id


@transaction.atomic
def revocation_confirm(*, actor: Any, proposal: RevocationProposal, note: str = "") -> RevocationProposal:
    """Confirm a proposed revocation (Art. 9, four eyes): the confirmer is a second person, not who proposed
    it from the register, recorded the incident or started the run. A run's proposal counts only once the
    run is final (正式发布) and still the year's current official run. The factory is revoked, banned for
    three years to the day and returns to the other sequence.

    A register proposal revokes on the date its proposer gave; a run's proposal on the day it is confirmed.
    """
    from factories.services import green_factory_revoke

    REVOCATION_TRANSITIONS.ensure_can(actor, "confirm")
    proposal = RevocationProposal.objects.select_related("run", "incident").get(pk=proposal.pk)
    if _first_person(proposal) == actor.pk:
        raise NotAllowed(SAME_PERSON)
    run = proposal.run
    if run is not None:
        if run.is_simulation:
            raise StateConflict(_("模拟运行提出的撤销建议不能确认。"))
        newer = GradingRun.objects.filter(
            year=run.year,
            is_simulation=False,
            created_at__gt=run.created_at,
            status__in=[RunStatus.SUCCEEDED, RunStatus.PUBLISHED, RunStatus.FINAL],
        )
        if run.superseded_by_id or newer.exists():
            raise StateConflict(_("该撤销建议来自已被新评价取代的运行，请在最新的评价中处理。"))
        if run.status != RunStatus.FINAL:
            raise StateConflict(str(NOT_FINAL).format(status=run.get_status_display()))
        revoked_on = timezone.localdate()
        reason = _("{year}年度分级评价：{what}").format(
            year=run.year,
            what=str(proposal.incident) if proposal.incident_id else _("连续两年未报送经复核的数据"),
        )
    else:
        assert proposal.revoked_on is not None
        revoked_on, reason = proposal.revoked_on, proposal.reason_text
    proposal = claim(
        REVOCATION_TRANSITIONS,
        "confirm",
        actor=actor,
        obj=proposal,
        fields={"decided_by": actor, "decided_at": timezone.now(), "decision_note": note},
    )
    green_factory_revoke(actor=actor, proposal=proposal, revoked_on=revoked_on, reason=reason)
    audit.record(
        actor=actor,
        action="revocation.confirm",
        obj=proposal,
        changes={"status": ["proposed", "confirmed"]},
        reason=note,
    )
    return proposal


@transaction.atomic
def revocation_dismiss(*, actor: Any, proposal: RevocationProposal, note: str) -> RevocationProposal:
    """Decide not to revoke (with a reason); the factory keeps its title and its grade. A proposal made from
    the register is decided by a second city user, not withdrawn by its proposer."""
    REVOCATION_TRANSITIONS.ensure_can(actor, "dismiss")
    if proposal.run_id is None and proposal.proposed_by_id == actor.pk:
        raise NotAllowed(SAME_PERSON_DISMISS)
    if not (note or "").strip():
        raise InvalidInput(field_errors={"note": [_("不予撤销时必须说明理由。")]})
    proposal = claim(
        REVOCATION_TRANSITIONS,
        "dismiss",
        actor=actor,
        obj=proposal,
        fields={"decided_by": actor, "decided_at": timezone.now(), "decision_note": note.strip()},
    )
    audit.record(
        actor=actor,
        action="revocation.dismiss",
        obj=proposal,
        changes={"status": ["proposed", "dismissed"]},
        reason=note,
    )
    return proposal


# --- objections (异议) during the notice period ---------------------------------------------------------

OBJECTION_EVIDENCE_MAX_FILES = 5
NOTICE_NOT_OPEN = gettext_lazy("该评价结果不在公示期内，不能提出异议。")
NOTICE_NOT_STARTED = gettext_lazy("公示期自{d}开始，届时方可提出异议。")
NOTICE_ENDED = gettext_lazy("公示期已于{d}结束，不再受理异议。如对评价结果仍有意见，请直接联系市经济信息委。")


def objection_window_problem(run: GradingRun) -> str | None:
    """Why no objection can be filed about `run` today, or None inside its notice period (both days included)."""
    if run.is_simulation or run.status != RunStatus.PUBLISHED or run.superseded_by_id:
        return str(NOTICE_NOT_OPEN)
    today = timezone.localdate()
    if run.notice_from is None or run.notice_to is None:
        return str(NOTICE_NOT_OPEN)
    if today < run.notice_from:
        return str(NOTICE_NOT_STARTED).format(d=run.notice_from)
    if today > run.notice_to:
        return str(NOTICE_ENDED).format(d=run.notice_to)
    return None


def _indicator_problems(indicators: list[str], run: GradingRun) -> list[str]:
    """Unknown codes among the indicators an objection names: those of the catalogue the run graded."""
    known = {indicator.code for indicator in selectors.catalogue_view(run.standard.catalogue_code).indicators}
    unknown = [code for code in indicators if code not in known]
    return [_("未知的指标：{codes}。").format(codes="、".join(unknown))] if unknown else []


@transaction.atomic
def objection_file(
    *,
    actor: Any,
    result: GradingResult,
    name: str,
    statement: str,
    email: str = "",
    phone: str = "",
    indicators: list[str] | None = None,
    evidence: list[Any] | None = None,
) -> Objection:
    """File an objection about a published grade during its notice period. Without a signed-in actor it is
    the public's (name, and an e-mail address for the answer); a signed-in actor must be a user of the graded
    enterprise itself, and may name the indicators concerned. Evidence: up to five PDF, JPG or PNG files."""
    public = actor is None or not getattr(actor, "is_authenticated", False)
    if not public:
        ensure_can(actor, "objection.file")
        if actor.enterprise_id != result.enterprise_id:
            raise NotAllowed(_("企业只能对本企业的评价结果提出异议。"))
    run = GradingRun.objects.select_for_update().get(pk=result.run_id)
    if problem := objection_window_problem(run):
        raise StateConflict(problem)
    indicators = [code for code in (indicators or []) if code]
    evidence = [upload for upload in (evidence or []) if upload]
    errors: dict[str, list[Any]] = {}
    if not (name or "").strip():
        errors["name"] = [_("请填写真实姓名。")]
    if not (statement or "").strip():
        errors["statement"] = [_("请写明异议的事实和理由。")]
    if public and not (email or "").strip():
        errors["email"] = [_("请填写电子邮箱，处理结果将发送到该邮箱。")]
    if problems := _indicator_problems(indicators, run):
        errors["indicators"] = problems
    if len(evidence) > OBJECTION_EVIDENCE_MAX_FILES:
        errors["evidence"] = [_("证明材料最多 {n} 个文件。").format(n=OBJECTION_EVIDENCE_MAX_FILES)]
    else:
        for upload in evidence:
            if problem := evidence_problem(upload):
                errors.setdefault("evidence", []).append(problem)
    if errors:
        raise InvalidInput(field_errors=errors)
    objection = Objection.objects.create(
        run=run,
        result=result,
        enterprise_id=result.enterprise_id,
        objector_kind=ObjectorKind.PUBLIC if public else ObjectorKind.ENTERPRISE,
        name=name.strip(),
        email=(email or "").strip(),
        phone=(phone or "").strip(),
        statement=statement.strip(),
        indicators=indicators,
        filed_by=None if public else actor,
    )
    for upload in evidence:
        item = ObjectionEvidence(objection=objection, original_name=str(upload.name)[:200])
        item.file.save(upload.name, upload, save=True)
    audit.record(
        actor=None if public else actor,
        action="objection.file",
        obj=objection,
        changes={
            "objector_kind": [None, objection.objector_kind],
            "result": [None, result.pk],
            "indicators": [None, indicators],
            "evidence": [None, len(evidence)],
        },
    )
    from factories.grading.notifications import on_objection_filed

    on_objection_filed(objection)
    return objection


def _decide(actor: Any, objection: Objection, action: str, reason: str, fields: dict[str, Any]) -> Objection:
    if not (reason or "").strip():
        raise InvalidInput(field_errors={"reason": [_("请填写处理理由。")]})
    objection = claim(
        OBJECTION_TRANSITIONS,
        action,
        actor=actor,
        obj=objection,
        fields={
            "decided_by": actor,
            "decided_at": timezone.now(),
            "decision_reason": reason.strip(),
            **fields,
        },
    )
    audit.record(
        actor=actor,
        action=f"objection.{action}",
        obj=objection,
        changes={"status": ["pending", objection.status], **{k: [None, v] for k, v in fields.items()}},
        reason=reason,
    )
    from factories.grading.notifications import on_objection_decided

    on_objection_decided(objection)
    return objection


@transaction.atomic
def objection_accept(
    *,
    actor: Any,
    objection: Objection,
    reason: str,
    remedy_kind: str,
    correction: Any = None,
    incident: Incident | None = None,
    note: str = "",
) -> Objection:
    """Accept an objection with a written reason and the fix it leads to: the data correction of the
    enterprise's submission of the graded year (the correction flow), an incident record of the enterprise,
    or a methodological note. The year is then graded again and the new run linked (`objection_link_run`)."""
    from reporting.models import CorrectionRequest

    OBJECTION_TRANSITIONS.ensure_can(actor, "accept")
    errors: dict[str, list[Any]] = {}
    fields: dict[str, Any] = {"remedy_kind": remedy_kind}
    if remedy_kind == RemedyKind.CORRECTION:
        ok = (
            isinstance(correction, CorrectionRequest)
            and CorrectionRequest.objects.filter(
                pk=correction.pk,
                submission__enterprise_id=objection.enterprise_id,
                submission__year=objection.run.year,
            ).exists()
        )
        if not ok:
            errors["correction"] = [
                _("请选择该企业{year}年度数据的更正申请。").format(year=objection.run.year)
            ]
        else:
            fields["remedy_correction_id"] = correction.pk
    elif remedy_kind == RemedyKind.INCIDENT:
        if incident is None or incident.enterprise_id != objection.enterprise_id:
            errors["incident"] = [_("请选择该企业的事故与违规记录。")]
        else:
            fields["remedy_incident"] = incident
    elif remedy_kind == RemedyKind.METHOD_NOTE:
        if not (note or "").strip():
            errors["note"] = [_("请填写方法说明。")]
        else:
            fields["remedy_note"] = note.strip()
    else:
        errors["remedy_kind"] = [_("请选择纠正方式。")]
    if errors:
        raise InvalidInput(field_errors=errors)
    return _decide(actor, objection, "accept", reason, fields)


@transaction.atomic
def objection_reject(*, actor: Any, objection: Objection, reason: str) -> Objection:
    """Reject an objection with a written reason; the objector is told it."""
    OBJECTION_TRANSITIONS.ensure_can(actor, "reject")
    return _decide(actor, objection, "reject", reason, {})


@transaction.atomic
def objection_link_run(*, actor: Any, objection: Objection, run: GradingRun) -> Objection:
    """Attach to an accepted objection the new official run of the year that put it right, with the grade
    moves of that run against the objected (published) one."""
    ensure_can(actor, "objection.decide")
    objection = Objection.objects.select_for_update().select_related("run").get(pk=objection.pk)
    if objection.status != ObjectionStatus.ACCEPTED:
        raise StateConflict(_("只有已采纳的异议可以关联重新评价。"))
    run = GradingRun.objects.get(pk=run.pk)  # as stored now: the worker may have finished it meanwhile
    if (
        run.is_simulation
        or run.year != objection.run.year
        or run.pk == objection.run_id
        or run.created_at <= objection.run.created_at
        or run.status not in (RunStatus.SUCCEEDED, RunStatus.PUBLISHED, RunStatus.FINAL)
    ):
        raise InvalidInput(
            field_errors={
                "run": [
                    _("请选择{year}年度在异议之后开始、已计算完成的正式评价。").format(
                        year=objection.run.year
                    )
                ]
            }
        )
    moves = selectors.run_diff(run, objection.run)
    diff: dict[str, Any] = {
        "base_run": objection.run_id,
        "run": run.pk,
        "moves": [
            {
                "enterprise": m["enterprise"].pk,
                "enterprise_name": m["enterprise"].name,
                "from": m["from"],
                "to": m["to"],
                "direction": m["direction"],
            }
            for m in moves
        ],
    }
    before = objection.new_run_id
    objection.new_run = run
    objection.new_run_diff = diff
    objection.save(update_fields=["new_run", "new_run_diff"])
    audit.record(
        actor=actor,
        action="objection.link_run",
        obj=objection,
        changes={"new_run": [before, run.pk], "moves": [None, len(diff["moves"])]},
    )
    return objection
