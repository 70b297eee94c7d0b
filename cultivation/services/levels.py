"""Pool levels, B-level certification and irregular reviews (DOMAIN §7; Art. 11, 12).

A level job is a background job like a grading run (accounts.jobs, kind `LEVEL_JOB`): `level_job_start`
records it and the runner sends it after commit, claims it with a conditional UPDATE (a second delivery of
the task while the first still sends heartbeats finds nothing to claim), resumes it after a killed worker
and sends it again if its message was lost. The body computes with the pure engine and writes each member's
decision with `update_or_create` on (enterprise, year), so running it twice leaves the same rows; an audit
entry is written only when a decision is new or changed.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import Counter
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts import audit, jobs
from accounts.errors import InvalidInput, StateConflict
from accounts.permissions import ensure_can, ensure_in_scope
from accounts.transitions import claim
from cultivation import level_inputs
from cultivation.levels import (
    LevelResult,
    PoolLevel,
    PoolMemberInput,
    PoolStandard,
    compute_levels,
    level_result_to_dict,
    pool_standard_from_dict,
)
from cultivation.models import (
    B_CERTIFICATION_TRANSITIONS,
    HOLDING_STATUSES,
    IRREGULAR_REVIEW_TRANSITIONS,
    OPEN_CERTIFICATION_STATUSES,
    BCertification,
    CertificationStatus,
    IrregularReview,
    JobStatus,
    Level,
    LevelDecision,
    LevelJob,
    MembershipStatus,
    PoolMembership,
    lower_level,
)
from cultivation.services import evidence
from cultivation.services.common import ensure_own_district, ensure_year, required_text
from cultivation.services.pool import district_standard_in_force, end_certifications
from factories import certificates
from factories.catalogues.bridge import ReportingCatalogue, reporting_catalogue
from factories.indicators import DEFAULT_CATALOGUE_VERSION
from factories.models import CertificateKind, District, Enterprise, GradingStandard
from factories.scoring import IndicatorSpec
from reporting.models import ReportingYear

logger = logging.getLogger(__name__)
WRITE_CHUNK = 200
LEVEL_FROM_ENGINE = {PoolLevel.B_ELIGIBLE: Level.B_ELIGIBLE, PoolLevel.C: Level.C, PoolLevel.D: Level.D}
TRACKED = (
    "level",
    "computed_level",
    "certified_b",
    "supervised",
    "guided",
    "has_plan",
    "data_status",
    "level_score",
    "dimension_scores",
    "benchmark_group",
    "benchmark_count",
    "standard_id",
)


# --- level jobs ----------------------------------------------------------------------------------


@transaction.atomic
def level_job_start(*, actor: Any, district: District, year: int) -> LevelJob:
    """The district computes its pool's levels for year Y against its standard in force (Art. 5, 11)."""
    ensure_can(actor, "pool.manage")
    ensure_own_district(actor, district)
    year = ensure_year(year)
    standard = district_standard_in_force(district)
    busy = _("{year}年度的培育分级正在计算中，请等待其完成。").format(year=year)
    if LevelJob.objects.filter(
        district=district, year=year, status__in=[JobStatus.QUEUED, JobStatus.RUNNING]
    ).exists():
        raise StateConflict(busy)
    try:
        with transaction.atomic():
            job = LevelJob.objects.create(district=district, year=year, standard=standard, started_by=actor)
    except IntegrityError as exc:
        raise StateConflict(busy) from exc
    audit.record(
        actor=actor,
        action="level_job.start",
        obj=job,
        changes={"year": [None, year], "standard": [None, standard.label]},
    )
    jobs.enqueue(LEVEL_JOB, job)
    return job


def year_catalogue(year: int) -> ReportingCatalogue:
    """The catalogue year Y reports on (the default one for a year not opened)."""
    code = ReportingYear.objects.filter(year=year).values_list("catalogue_id", flat=True).first()
    try:
        return reporting_catalogue(str(code or DEFAULT_CATALOGUE_VERSION))
    except KeyError:
        return reporting_catalogue()


def _catalogue_weights(catalogue: ReportingCatalogue) -> dict[str, float]:
    """Dimension weights for a catalogue the pool standard does not weigh: those of the newest city grading
    standard on that catalogue (CQ-GF-2026 for GBT36132-2025), else equal weights."""
    dimensions = {i.dimension for i in catalogue.indicators}
    for parameters in (
        GradingStandard.objects.filter(parameters__catalogue_version=catalogue.version)
        .order_by("-pk")
        .values_list("parameters", flat=True)
    ):
        weights = {str(k): float(v) for k, v in (parameters.get("weights") or {}).items()}
        if all(weights.get(d, 0) > 0 for d in dimensions):
            return weights
    return dict.fromkeys(sorted(dimensions), 1.0)


def on_year_catalogue(standard: PoolStandard, year: int) -> PoolStandard:
    """The pool method applies unchanged to whatever catalogue the year uses (§7): a standard whose
    indicators are not that catalogue's takes the catalogue's indicators (and dimension weights when its
    own do not cover the catalogue's dimensions); the thresholds stay. A GBT36132-2018 year is unchanged."""
    catalogue = year_catalogue(year)
    codes = {i.code for i in catalogue.indicators}
    if {spec.code for spec in standard.indicators} <= codes:
        return standard
    specs = tuple(
        IndicatorSpec(i.code, i.dimension, i.direction, i.is_percent, i.same_as) for i in catalogue.indicators
    )
    weights = dict(standard.weights)
    if not all(weights.get(spec.dimension, 0) > 0 for spec in specs):
        weights = _catalogue_weights(catalogue)
    return replace(standard, indicators=specs, weights=weights)


def _execute(job: LevelJob, context: jobs.JobContext) -> Mapping[str, Any]:
    """The body of a level job: gather, compute, write decisions in chunks; returns the level counts."""
    standard = on_year_catalogue(pool_standard_from_dict(job.standard.parameters), job.year)
    inputs = level_inputs.gather(job.district_id, job.year)
    total = len(inputs.members)
    context.progress(total=total, done=0)
    results = compute_levels(job.year, inputs.members, inputs.benchmark, standard)
    members = {m.enterprise_id: m for m in inputs.members}
    counts: Counter[str] = Counter()
    for start in range(0, total, WRITE_CHUNK):
        chunk = results[start : start + WRITE_CHUNK]
        with transaction.atomic():
            ids = [r.enterprise_id for r in chunk]
            before = {
                d.enterprise_id: d for d in LevelDecision.objects.filter(enterprise_id__in=ids, year=job.year)
            }
            # Only a title of the current membership counts (not one of an earlier stay in the pool).
            holding = {
                c.membership.enterprise_id: c
                for c in BCertification.objects.select_related("membership").filter(
                    membership_id__in=[inputs.membership_of[i] for i in ids],
                    status__in=HOLDING_STATUSES,
                    year__lte=job.year,
                )
            }
            for result in chunk:
                decision = _write_decision(
                    job,
                    result,
                    members[result.enterprise_id],
                    inputs,
                    before.get(result.enterprise_id),
                    holding.get(result.enterprise_id),
                )
                counts[decision.level] += 1
        context.progress(done=start + len(chunk))
    return {"counts": {level: counts.get(level, 0) for level in Level.values}}


def _write_decision(
    job: LevelJob,
    result: LevelResult,
    member: PoolMemberInput,
    inputs: level_inputs.LevelInputs,
    before: LevelDecision | None,
    holding: BCertification | None,
) -> LevelDecision:
    computed = LEVEL_FROM_ENGINE[result.level]
    steps = inputs.downgrades.get(result.enterprise_id, 0)
    level = lower_level(computed, steps)
    details = level_result_to_dict(result)
    reasons = details["reasons"]
    if steps:
        reasons.append({"code": "REVIEW_DOWNGRADE", "from": computed, "to": level, "steps": steps})
    decision, created = LevelDecision.objects.update_or_create(
        enterprise_id=result.enterprise_id,
        year=job.year,
        defaults={
            "membership_id": inputs.membership_of[result.enterprise_id],
            "level": level,
            "computed_level": computed,
            "certified_b": holding is not None and level == Level.B_ELIGIBLE,
            "supervised": member.supervised,
            "guided": member.guided,
            "has_plan": member.has_plan,
            "data_status": inputs.data_status.get(result.enterprise_id, ""),
            "percentiles": details["percentiles"],
            "dimension_scores": details["dimension_scores"],
            "level_score": result.level_score,
            "dimension_gaps": details["dimension_gaps"],
            "level_gap": result.level_gap,
            "reasons": reasons,
            "benchmark_group": result.benchmark_group or "",
            "benchmark_count": result.benchmark_count,
            "standard": job.standard,
            "job": job,
            "review_downgraded": steps > 0,
        },
    )
    actor = job.started_by or "level_job"
    old = audit.snapshot(before, list(TRACKED)) if before is not None else {}
    changes = audit.diff(old, audit.snapshot(decision, list(TRACKED)))
    if changes:
        audit.record(
            actor=actor,
            action="level_decision.compute" if created else "level_decision.recompute",
            obj=decision,
            changes=changes,
            reason=job.standard.label,
        )
    # A certified B whose level falls below B goes to district review (it keeps the title until then).
    fell = before is None or before.level == Level.B_ELIGIBLE
    if (
        holding is not None
        and holding.status == CertificationStatus.CERTIFIED
        and level != Level.B_ELIGIBLE
        and fell
    ):
        why = _("{year}年度培育等级为{level}，低于B级条件。").format(year=job.year, level=Level(level).label)
        try:
            claim(
                B_CERTIFICATION_TRANSITIONS, "review", actor=actor, obj=holding, fields={"review_reason": why}
            )
        except StateConflict:
            pass  # the district decided it meanwhile; its decision stands
        else:
            audit.record(
                actor=actor,
                action="b_certification.under_review",
                obj=holding,
                changes={"status": [CertificationStatus.CERTIFIED, CertificationStatus.UNDER_REVIEW]},
                reason=why,
            )
    return decision


LEVEL_JOB = jobs.JobKind(
    name="level_job",
    model=LevelJob,
    task="cultivation.run_levels",
    work=_execute,
    related=("standard__district", "started_by"),
    claim_fields={"done": 0},
    failure_message=gettext_lazy(
        "培育分级计算过程中出错，技术细节已记录，请联系系统管理员排查；问题排除后可重新计算。"
    ),
)


def level_job_execute(*, job_id: int) -> str:
    """Compute and store a job's decisions; safe to call twice. Returns the job's status afterwards."""
    return jobs.run(LEVEL_JOB, job_id)


def level_job_resume_stale(*, now: dt.datetime | None = None) -> list[int]:
    """Send again jobs whose worker died and queued jobs whose message never left or was lost; beat calls this."""
    return jobs.watchdog(LEVEL_JOB, now=now)


# --- B-level certification (Art. 11(1)) ----------------------------------------------------------


def b_checklist(decision: LevelDecision) -> dict[str, Any]:
    """What stands between a level decision and B: each D_k and L against the standard, supervised, guided."""
    parameters = decision.standard.parameters
    catalogue = year_catalogue(decision.year)
    dimension_min, level_min = parameters["b_dimension_min"], parameters["b_level_min"]
    return {
        "year": decision.year,
        "level": decision.level,
        "standard": decision.standard.label,
        "data": bool(decision.data_status),
        "dimensions": [
            {
                "dimension": code,
                "name": catalogue.dimension(code).name_zh,
                "score": score,
                "min": dimension_min,
                "passed": score >= dimension_min,
                "gap": decision.dimension_gaps.get(code, 0.0),
            }
            for code, score in decision.dimension_scores.items()
        ],
        "level_score": {
            "score": decision.level_score,
            "min": level_min,
            "passed": decision.level_score is not None and decision.level_score >= level_min,
            "gap": decision.level_gap,
        },
        "supervised": decision.supervised,
        "guided": decision.guided,
        "review_downgraded": decision.review_downgraded,
    }


def gaps_text(checklist: dict[str, Any]) -> str:
    """The unmet B conditions of a checklist, in one sentence a clerk can act on."""
    gaps = []
    if not checklist["data"]:
        gaps.append(_("缺少经区县审核的{year}年度数据").format(year=checklist["year"]))
    if not checklist["supervised"]:
        gaps.append(_("尚未纳入监管（节能监察或能耗在线监测）"))
    if not checklist["guided"]:
        gaps.append(_("尚未接受指导服务（绿色生产水平评估或诊断）"))
    for row in checklist["dimensions"]:
        if not row["passed"]:
            gaps.append(_("{name}得分{score:.1f}，低于{min:g}（差{gap:.1f}）").format(**row))
    level = checklist["level_score"]
    if checklist["data"] and level["score"] is None:
        gaps.append(_("无法计算绿色化水平得分L（没有可对标的绿色工厂数据）"))
    elif level["score"] is not None and not level["passed"]:
        gaps.append(_("绿色化水平得分L为{score:.1f}，低于{min:g}（差{gap:.1f}）").format(**level))
    if checklist["review_downgraded"]:
        gaps.append(_("经不定期复核发现弄虚作假已降级"))
    return "；".join(gaps)


OPEN_CERTIFICATION_EXISTS = _("该企业已有一项B级认定（申请中、有效或复核中），不能重复申请。")


def open_certification(membership: PoolMembership) -> BCertification | None:
    """The member's B certification that is applied for, in force or under review, if any: a second
    application is refused (`b_certification_apply`), so the form is not offered either."""
    return (
        BCertification.objects.filter(membership=membership, status__in=OPEN_CERTIFICATION_STATUSES)
        .order_by("-pk")
        .first()
    )


@transaction.atomic
def b_certification_apply(
    *, actor: Any, enterprise: Enterprise, year: int, evidence_files: list[Any] | None = None
) -> BCertification:
    """A member whose latest level is B-eligible applies for B-level certification (Art. 11(1)); evidence
    files (佐证材料) may back the application, and one refused file refuses it, nothing stored."""
    ensure_can(actor, "pool.apply")
    ensure_in_scope(actor, enterprise)
    uploads, problems = evidence.uploads_problems(evidence_files)
    if problems:
        raise InvalidInput(field_errors={"evidence": problems})
    membership = PoolMembership.objects.filter(enterprise=enterprise, status=MembershipStatus.ACTIVE).first()
    if membership is None:
        raise InvalidInput(field_errors={"enterprise": [_("该企业不在培育库中，不能申请B级认定。")]})
    decisions = LevelDecision.objects.filter(membership=membership)
    decision = decisions.select_related("standard", "standard__district").filter(year=year).first()
    if decision is None:
        raise InvalidInput(
            field_errors={"year": [_("尚未计算该企业{year}年度的培育等级。").format(year=year)]}
        )
    latest = decisions.aggregate(latest=Max("year"))["latest"]
    if year != latest:
        raise InvalidInput(
            field_errors={"year": [_("请依据最新年度（{latest}年）的培育等级申请。").format(latest=latest)]}
        )
    checklist = b_checklist(decision)
    if decision.level != Level.B_ELIGIBLE:
        raise InvalidInput(
            field_errors={
                "year": [
                    _("{year}年度培育等级为{level}，尚未达到B级条件：{gaps}。").format(
                        year=year, level=Level(decision.level).label, gaps=gaps_text(checklist)
                    )
                ]
            }
        )
    open_one = OPEN_CERTIFICATION_EXISTS
    if open_certification(membership) is not None:
        raise StateConflict(open_one)
    try:
        with transaction.atomic():
            certification = BCertification.objects.create(
                membership=membership,
                district_id=enterprise.district_id,
                year=year,
                applied_by=actor,
                checklist=checklist,
            )
    except IntegrityError as exc:
        raise StateConflict(open_one) from exc
    stored = evidence.store(uploads, actor=actor, certification=certification)
    changes: dict[str, Any] = {"status": [None, CertificationStatus.APPLIED], "year": [None, year]}
    if stored:
        changes["evidence"] = [None, evidence.in_words(stored)]
    try:
        audit.record(actor=actor, action="b_certification.apply", obj=certification, changes=changes)
    except BaseException:
        evidence.discard(stored)
        raise
    return certification


def next_certificate_no(district: District, year: int) -> str:
    """The district's next number of the year, e.g. 渝中区绿工〔2026〕第001号 (caller holds the district lock)."""
    prefix = f"{district.name}绿工〔{year}〕第"
    issued = BCertification.objects.filter(district=district, certificate_no__startswith=prefix).count()
    return f"{prefix}{issued + 1:03d}号"


@transaction.atomic
def b_certification_certify(*, actor: Any, certification: BCertification, note: str = "") -> BCertification:
    """The district certifies a B-level factory (区县级绿色工厂) and numbers the certificate (Art. 11(1))."""
    B_CERTIFICATION_TRANSITIONS.ensure_can(actor, "certify")
    ensure_in_scope(actor, certification)
    certification = BCertification.objects.select_related("membership__enterprise").get(pk=certification.pk)
    B_CERTIFICATION_TRANSITIONS.ensure_state(certification, "certify")
    enterprise = certification.membership.enterprise
    if certification.membership.status != MembershipStatus.ACTIVE:
        raise StateConflict(_("该企业已不在培育库中，不能认定。"))
    level = (
        LevelDecision.objects.filter(membership=certification.membership, year=certification.year)
        .values_list("level", flat=True)
        .first()
    )
    if level != Level.B_ELIGIBLE:
        raise StateConflict(
            _("该企业{year}年度培育等级已变为{level}，不再满足B级条件，请驳回申请。").format(
                year=certification.year, level=Level(level).label if level else _("未评定")
            )
        )
    district = District.objects.select_for_update().get(pk=enterprise.district_id)
    now = timezone.now()
    number = next_certificate_no(district, timezone.localdate(now).year)
    certification = claim(
        B_CERTIFICATION_TRANSITIONS,
        "certify",
        actor=actor,
        obj=certification,
        fields={
            "district": district,
            "certificate_no": number,
            "certified_at": now,
            "reviewed_by": actor,
            "reviewed_at": now,
            "decision_reason": (note or "").strip(),
        },
    )
    LevelDecision.objects.filter(
        membership_id=certification.membership_id, year__gte=certification.year, level=Level.B_ELIGIBLE
    ).update(certified_b=True)
    # The verifiable certificate (issue 17): a stable code and QR code, audited as certificate.issue.
    certificate = certificates.issue_one(
        actor=actor, enterprise=enterprise, kind=CertificateKind.B, issued_at=now
    )
    BCertification.objects.filter(pk=certification.pk).update(certificate=certificate)
    certification.certificate = certificate
    audit.record(
        actor=actor,
        action="b_certification.certify",
        obj=certification,
        changes={
            "status": [CertificationStatus.APPLIED, CertificationStatus.CERTIFIED],
            "certificate_no": [None, number],
        },
        reason=note,
    )
    return certification


def _decide(
    *,
    actor: Any,
    certification: BCertification,
    transition: str,
    reason: str,
    action: str,
    settles: bool = False,
    **fields: Any,
) -> BCertification:
    """One district decision. `settles`: the decision after the level fell (keep or lose), recorded in
    its own fields so that the certification decision it follows stays readable."""
    B_CERTIFICATION_TRANSITIONS.ensure_can(actor, transition)
    ensure_in_scope(actor, certification)
    (before,) = B_CERTIFICATION_TRANSITIONS[transition].sources
    now = timezone.now()
    who = (
        {"settled_by": actor, "settled_at": now, "settle_reason": reason}
        if settles
        else {"reviewed_by": actor, "reviewed_at": now, "decision_reason": reason}
    )
    certification = claim(
        B_CERTIFICATION_TRANSITIONS,
        transition,
        actor=actor,
        obj=certification,
        fields={**who, **fields},
    )
    audit.record(
        actor=actor,
        action=action,
        obj=certification,
        changes={"status": [before, certification.status]},
        reason=reason,
    )
    return certification


@transaction.atomic
def b_certification_reject(*, actor: Any, certification: BCertification, reason: str) -> BCertification:
    """The district declines to certify, with a reason."""
    reason = required_text(reason, "reason", _("不予认定时必须填写原因。"))
    return _decide(
        actor=actor,
        certification=certification,
        transition="reject",
        reason=reason,
        action="b_certification.reject",
    )


@transaction.atomic
def b_certification_confirm_loss(*, actor: Any, certification: BCertification, reason: str) -> BCertification:
    """After review the district confirms that a B factory whose level fell loses its certification (§7)."""
    reason = required_text(reason, "reason", _("取消认定时必须填写原因。"))
    return _decide(
        actor=actor,
        certification=certification,
        transition="lose",
        reason=reason,
        action="b_certification.lose",
        settles=True,
        ended_at=timezone.now(),
        end_reason=reason,
    )


@transaction.atomic
def b_certification_keep(*, actor: Any, certification: BCertification, reason: str) -> BCertification:
    """After review the district keeps the certification of a B factory whose level fell, with a reason."""
    reason = required_text(reason, "reason", _("保留认定时必须说明理由。"))
    return _decide(
        actor=actor,
        certification=certification,
        transition="keep",
        reason=reason,
        action="b_certification.keep",
        settles=True,
    )


# --- irregular review (Art. 12) ------------------------------------------------------------------


@transaction.atomic
def irregular_review_open(*, actor: Any, membership: PoolMembership, scope_note: str) -> IrregularReview:
    """The city or the district opens an irregular review (不定期复核) of a pool member (Art. 12)."""
    ensure_can(actor, "pool.review")
    ensure_in_scope(actor, membership)
    scope_note = required_text(scope_note, "scope_note", _("请填写复核范围（复核哪些信息）。"))
    if not PoolMembership.objects.filter(pk=membership.pk, status=MembershipStatus.ACTIVE).exists():
        raise StateConflict(_("该企业已不在培育库中。"))
    busy = _("该企业已有一项进行中的不定期复核，请先完成。")
    try:
        with transaction.atomic():
            review = IrregularReview.objects.create(
                membership=membership, scope_note=scope_note, opened_by=actor
            )
    except IntegrityError as exc:
        raise StateConflict(busy) from exc
    audit.record(
        actor=actor,
        action="irregular_review.open",
        obj=review,
        changes={"status": [None, "open"]},
        reason=scope_note,
    )
    return review


@transaction.atomic
def irregular_review_close(
    *, actor: Any, review: IrregularReview, findings: str, falsification: bool
) -> IrregularReview:
    """Close a review with its findings. Falsification (弄虚作假) lowers the member's latest level one step
    (B-eligible → C → D; D stays D) and withdraws its B certification (Art. 12)."""
    IRREGULAR_REVIEW_TRANSITIONS.ensure_can(actor, "close")
    ensure_in_scope(actor, review)
    findings = required_text(findings, "findings", _("请填写复核结论。"))
    claim(
        IRREGULAR_REVIEW_TRANSITIONS,
        "close",
        actor=actor,
        obj=review,
        fields={
            "findings": findings,
            "falsification": bool(falsification),
            "closed_by": actor,
            "closed_at": timezone.now(),
        },
    )
    review = IrregularReview.objects.select_related("membership").get(pk=review.pk)
    audit.record(
        actor=actor,
        action="irregular_review.close",
        obj=review,
        changes={"status": ["open", "closed"], "falsification": [None, bool(falsification)]},
        reason=findings,
    )
    if not falsification:
        return review
    decision = (
        LevelDecision.objects.select_for_update()
        .filter(membership=review.membership)
        .order_by("-year")
        .first()
    )
    if decision is not None:
        before = decision.level
        decision.level = lower_level(before)
        decision.review_downgraded = True
        decision.certified_b = decision.certified_b and decision.level == Level.B_ELIGIBLE
        decision.reasons = [
            *decision.reasons,
            {"code": "REVIEW_DOWNGRADE", "from": before, "to": decision.level, "review_id": review.pk},
        ]
        decision.save(update_fields=["level", "review_downgraded", "certified_b", "reasons", "updated_at"])
        IrregularReview.objects.filter(pk=review.pk).update(
            downgraded_year=decision.year, level_before=before, level_after=decision.level
        )
        audit.record(
            actor=actor,
            action="level_decision.review_downgrade",
            obj=decision,
            changes={"level": [before, decision.level]},
            reason=findings,
        )
        review.refresh_from_db()
    end_certifications(
        actor=actor,
        membership=review.membership,
        statuses=OPEN_CERTIFICATION_STATUSES,
        reason=_("不定期复核发现弄虚作假：{findings}").format(findings=findings),
    )
    return review
