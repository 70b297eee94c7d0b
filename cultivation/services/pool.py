"""Joining and leaving the pool, supervision records and the district standard (DOMAIN §7; Art. 5, 10, 11).

Each step checks the actor's right and scope again, guards the state with a conditional UPDATE (so of
two clerks acting at once exactly one wins and the other gets a StateConflict), runs in one
transaction and leaves an audit entry.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts import audit
from accounts.errors import InvalidInput, StateConflict
from accounts.i18n import in_language
from accounts.limits import EARLIEST_DATE, date_problem
from accounts.permissions import ensure_can, ensure_in_scope
from accounts.transitions import claim
from cultivation.levels import DEFAULT_POOL_STANDARD, pool_standard_from_dict, pool_standard_to_dict
from cultivation.models import (
    B_CERTIFICATION_TRANSITIONS,
    OPEN_CERTIFICATION_STATUSES,
    POOL_APPLICATION_TRANSITIONS,
    POOL_MEMBERSHIP_TRANSITIONS,
    ApplicationStatus,
    BCertification,
    CertificationStatus,
    DistrictStandard,
    MembershipStatus,
    PoolApplication,
    PoolMembership,
    SupervisionKind,
    SupervisionRecord,
)
from cultivation.services import evidence
from cultivation.services.common import ensure_own_district, required_text, today
from factories.creditcode import CreditCodeError, validate_credit_code
from factories.models import Enterprise, GreenFactory, LegalForm

CHONGQING_DIVISION_PREFIX = "50"
MAX_EVIDENCE_BYTES = 20 * 1024 * 1024
GRADUATION_REASON = gettext_lazy("晋级为绿色工厂")


# --- applications (Art. 10) ----------------------------------------------------------------------


def application_checklist(
    enterprise: Enterprise, *, intention: str, plan: str, lawful_declaration: bool
) -> list[dict[str, Any]]:
    """The Art. 10 conditions, each with `passed` and a note; register facts are checked automatically."""
    try:
        code = validate_credit_code(enterprise.credit_code)
    except CreditCodeError as exc:
        registered, registered_note = (
            False,
            _("统一社会信用代码无效：{error}").format(error=in_language(exc.message)),
        )
    else:
        division = code[2:8]
        registered = division.startswith(CHONGQING_DIVISION_PREFIX)
        registered_note = (
            _("统一社会信用代码有效，登记机关行政区划码{division}（重庆市）。").format(division=division)
            if registered
            else _("登记机关行政区划码{division}不属于重庆市。").format(division=division)
        )
    independent = enterprise.legal_form in LegalForm.values
    return [
        {
            "code": "registered_in_chongqing",
            "label": _("在重庆市登记注册，统一社会信用代码有效"),
            "passed": registered,
            "note": registered_note,
        },
        {
            "code": "independent_entity",
            "label": _("独立法人或视同法人的独立核算单位"),
            "passed": independent,
            "note": str(LegalForm(enterprise.legal_form).label)
            if independent
            else _("企业名录未登记法人类型。"),
        },
        {
            "code": "lawful_declaration",
            "label": _("依法设立、守法经营声明"),
            "passed": bool(lawful_declaration),
            "note": _("申请人已作出声明。") if lawful_declaration else _("申请人未作出声明。"),
        },
        {
            "code": "intention_and_plan",
            "label": _("具有绿色发展意愿和绿色工厂创建计划"),
            "passed": bool(intention.strip() and plan.strip()),
            "note": _("已提交书面意愿和创建计划。")
            if intention.strip() and plan.strip()
            else _("缺少书面意愿或创建计划。"),
        },
    ]


def _green_factory_reason(enterprise: Enterprise) -> str | None:
    factory = GreenFactory.objects.active().filter(enterprise=enterprise).first()
    if factory is None:
        return None
    return str(
        _("该企业已是认定的{tier}绿色工厂，属于绿色工厂序列，不能进入培育库。").format(
            tier=factory.get_tier_display()
        )
    )


def _ensure_not_green_factory(enterprise: Enterprise) -> None:
    reason = _green_factory_reason(enterprise)
    if reason is not None:
        raise InvalidInput(field_errors={"enterprise": [reason]})


ALREADY_MEMBER = _("该企业已在培育库中，无需再次申请。")
APPLICATION_PENDING = _("该企业已有一份待区县审核的入库申请，请等待审核结果。")


def pool_application_blocker(enterprise: Enterprise) -> str | None:
    """Why the enterprise cannot apply to join the pool now, or None: said before the form is filled in,
    with the words `pool_application_submit` would refuse it with."""
    reason = _green_factory_reason(enterprise)
    if reason is not None:
        return reason
    if _active_membership(enterprise.pk) is not None:
        return str(ALREADY_MEMBER)
    if PoolApplication.objects.filter(enterprise=enterprise, status=ApplicationStatus.PENDING).exists():
        return str(APPLICATION_PENDING)
    return None


def _active_membership(enterprise_id: int) -> PoolMembership | None:
    return PoolMembership.objects.filter(enterprise_id=enterprise_id, status=MembershipStatus.ACTIVE).first()


@transaction.atomic
def pool_application_submit(
    *,
    actor: Any,
    enterprise: Enterprise,
    intention: str,
    plan: str,
    lawful_declaration: bool,
    evidence_files: list[Any] | None = None,
) -> PoolApplication:
    """An enterprise, or its district on its behalf, applies to join the cultivation pool (Art. 10).

    The applicant's own parts (written intention, green-factory plan, lawful-operation declaration) are
    required; the register facts are checked into the checklist the district reviews. Evidence files
    (佐证材料) may back the application; one refused file refuses the application, nothing stored.
    """
    ensure_can(actor, "pool.apply")
    ensure_in_scope(actor, enterprise)
    errors: dict[str, list[Any]] = {}
    if not (intention or "").strip():
        errors["intention"] = [_("请填写参与绿色工厂梯度培育的书面意愿。")]
    if not (plan or "").strip():
        errors["plan"] = [_("请填写绿色工厂创建计划。")]
    if not lawful_declaration:
        errors["lawful_declaration"] = [_("请确认企业依法设立、守法经营的声明。")]
    uploads, problems = evidence.uploads_problems(evidence_files)
    if problems:
        errors["evidence"] = problems
    if errors:
        raise InvalidInput(field_errors=errors)
    _ensure_not_green_factory(enterprise)
    if _active_membership(enterprise.pk) is not None:
        raise InvalidInput(field_errors={"enterprise": [ALREADY_MEMBER]})
    pending = APPLICATION_PENDING
    if PoolApplication.objects.filter(enterprise=enterprise, status=ApplicationStatus.PENDING).exists():
        raise StateConflict(pending)
    checklist = application_checklist(
        enterprise, intention=intention, plan=plan, lawful_declaration=lawful_declaration
    )
    try:
        with transaction.atomic():
            application = PoolApplication.objects.create(
                enterprise=enterprise,
                applied_by=actor,
                intention=intention.strip(),
                plan=plan.strip(),
                lawful_declaration=True,
                checklist=checklist,
            )
    except IntegrityError as exc:
        raise StateConflict(pending) from exc
    stored = evidence.store(uploads, actor=actor, pool_application=application)
    changes: dict[str, Any] = {
        "status": [None, ApplicationStatus.PENDING],
        "checklist": [None, {c["code"]: c["passed"] for c in checklist}],
    }
    if stored:
        changes["evidence"] = [None, evidence.in_words(stored)]
    try:
        audit.record(actor=actor, action="pool_application.submit", obj=application, changes=changes)
    except BaseException:
        evidence.discard(stored)
        raise
    return application


@transaction.atomic
def pool_application_accept(*, actor: Any, application: PoolApplication, note: str = "") -> PoolApplication:
    """The district accepts an application whose Art. 10 conditions all hold; the enterprise joins the pool."""
    POOL_APPLICATION_TRANSITIONS.ensure_can(actor, "accept")
    ensure_in_scope(actor, application)
    application = PoolApplication.objects.select_related("enterprise").get(pk=application.pk)
    POOL_APPLICATION_TRANSITIONS.ensure_state(application, "accept")
    enterprise = application.enterprise
    _ensure_not_green_factory(enterprise)
    checklist = application_checklist(
        enterprise,
        intention=application.intention,
        plan=application.plan,
        lawful_declaration=application.lawful_declaration,
    )
    failed = [str(c["label"]) for c in checklist if not c["passed"]]
    if failed:
        raise InvalidInput(
            _("不满足入库条件：{items}。请驳回申请并说明原因。").format(items="；".join(failed))
        )
    now = timezone.now()
    application = claim(
        POOL_APPLICATION_TRANSITIONS,
        "accept",
        actor=actor,
        obj=application,
        fields={
            "decided_by": actor,
            "decided_at": now,
            "decision_reason": (note or "").strip(),
            "checklist": checklist,
        },
    )
    try:
        with transaction.atomic():
            membership = PoolMembership.objects.create(
                enterprise=enterprise,
                district_id=enterprise.district_id,
                application=application,
                joined_on=timezone.localdate(now),
            )
    except IntegrityError as exc:
        raise StateConflict(_("该企业已在培育库中。")) from exc
    audit.record(
        actor=actor,
        action="pool_application.accept",
        obj=application,
        changes={"status": [ApplicationStatus.PENDING, ApplicationStatus.ACCEPTED]},
        reason=note,
    )
    audit.record(
        actor=actor,
        action="pool_membership.join",
        obj=membership,
        changes={
            "status": [None, MembershipStatus.ACTIVE],
            "joined_on": [None, membership.joined_on],
            "district_id": [None, membership.district_id],
        },
    )
    return application


@transaction.atomic
def pool_application_reject(*, actor: Any, application: PoolApplication, reason: str) -> PoolApplication:
    """The district rejects an application, always with a reason the enterprise can act on."""
    POOL_APPLICATION_TRANSITIONS.ensure_can(actor, "reject")
    ensure_in_scope(actor, application)
    reason = required_text(reason, "reason", _("驳回入库申请时必须填写原因。"))
    application = claim(
        POOL_APPLICATION_TRANSITIONS,
        "reject",
        actor=actor,
        obj=application,
        fields={"decided_by": actor, "decided_at": timezone.now(), "decision_reason": reason},
    )
    audit.record(
        actor=actor,
        action="pool_application.reject",
        obj=application,
        changes={"status": [ApplicationStatus.PENDING, ApplicationStatus.REJECTED]},
        reason=reason,
    )
    return application


# --- leaving the pool -----------------------------------------------------------------------------


def end_certifications(
    *, actor: Any, membership: PoolMembership, statuses: tuple[str, ...], reason: str
) -> list[BCertification]:
    """Withdraw the member's certifications in `statuses` (exit, graduation, falsification)."""
    ended = []
    for certification in BCertification.objects.filter(membership=membership, status__in=statuses):
        before = certification.status
        try:
            # Only from the state just read: a certification that moved meanwhile is left as it is now.
            claim(
                B_CERTIFICATION_TRANSITIONS,
                "withdraw",
                actor=actor,
                obj=certification,
                fields={"ended_at": timezone.now(), "end_reason": reason},
                where=Q(status=before),
            )
        except StateConflict:
            continue
        audit.record(
            actor=actor,
            action="b_certification.withdraw",
            obj=certification,
            changes={"status": [before, CertificationStatus.WITHDRAWN]},
            reason=reason,
        )
        ended.append(certification)
    return ended


def _leave(*, actor: Any, membership: PoolMembership, transition: str, reason: str) -> None:
    membership = claim(
        POOL_MEMBERSHIP_TRANSITIONS,
        transition,
        actor=actor,
        obj=membership,
        fields={"exited_on": today(), "exit_reason": reason},
    )
    audit.record(
        actor=actor,
        action=f"pool_membership.{transition}",
        obj=membership,
        changes={
            "status": [MembershipStatus.ACTIVE, membership.status],
            "exited_on": [None, membership.exited_on],
        },
        reason=reason,
    )


@transaction.atomic
def membership_exit(*, actor: Any, membership: PoolMembership, reason: str) -> PoolMembership:
    """A member leaves the pool (participation is voluntary, Art. 4) with a reason; its B title ends."""
    POOL_MEMBERSHIP_TRANSITIONS.ensure_can(actor, "exit")
    ensure_in_scope(actor, membership)
    reason = required_text(reason, "reason", _("退出培育库必须填写原因。"))
    _leave(actor=actor, membership=membership, transition="exit", reason=reason)
    end_certifications(
        actor=actor,
        membership=membership,
        statuses=OPEN_CERTIFICATION_STATUSES,
        reason=_("退出培育库：{reason}").format(reason=reason),
    )
    return membership


def membership_graduate(*, actor: Any, factory: GreenFactory) -> PoolMembership | None:
    """Recognition hook: a member recognised as a green factory leaves the pool as graduated (DOMAIN §3).

    Runs inside `green_factory_recognize` (which checked the city's right). Its pending entry application
    is rejected; a pending or under-review B certification is withdrawn, a held one stays as history.
    """
    reason = str(GRADUATION_REASON)
    for application in PoolApplication.objects.filter(
        enterprise_id=factory.enterprise_id, status=ApplicationStatus.PENDING
    ):
        claim(
            POOL_APPLICATION_TRANSITIONS,
            "close",
            actor=actor,
            obj=application,
            fields={
                "decided_by": actor,
                "decided_at": timezone.now(),
                "decision_reason": _("已认定为绿色工厂，无需入库培育。"),
            },
        )
        audit.record(
            actor=actor,
            action="pool_application.reject",
            obj=application,
            changes={"status": [ApplicationStatus.PENDING, ApplicationStatus.REJECTED]},
            reason=reason,
        )
    membership = _active_membership(factory.enterprise_id)
    if membership is None:
        return None
    _leave(actor=actor, membership=membership, transition="graduate", reason=reason)
    end_certifications(
        actor=actor,
        membership=membership,
        reason=reason,
        statuses=(CertificationStatus.APPLIED, CertificationStatus.UNDER_REVIEW),
    )
    return membership


# --- supervision (Art. 11(2), (3)) ---------------------------------------------------------------


@transaction.atomic
def supervision_record_add(
    *, actor: Any, membership: PoolMembership, kind: str, date: dt.date, note: str = "", evidence: Any = None
) -> SupervisionRecord:
    """The district records a dated supervision or guidance step (节能监察, 能耗在线监测, 评估, 诊断, 提升路径)."""
    ensure_can(actor, "pool.manage")
    ensure_in_scope(actor, membership)
    errors: dict[str, list[Any]] = {}
    if kind not in SupervisionKind.values:
        errors["kind"] = [_("记录类型无效。")]
    if date > today():
        errors["date"] = [_("日期不能晚于今天。")]
    elif problem := date_problem(date, earliest=EARLIEST_DATE, latest=today()):
        errors["date"] = [problem]
    if evidence is not None and getattr(evidence, "size", 0) > MAX_EVIDENCE_BYTES:
        errors["evidence"] = [_("证明材料不能超过20MB。")]
    if errors:
        raise InvalidInput(field_errors=errors)
    if not PoolMembership.objects.filter(pk=membership.pk, status=MembershipStatus.ACTIVE).exists():
        raise StateConflict(_("该企业已不在培育库中，不能再登记监管与服务记录。"))
    record = SupervisionRecord.objects.create(
        membership=membership, kind=kind, date=date, note=(note or "").strip(), recorded_by=actor
    )
    if evidence:
        record.evidence.save(evidence.name, evidence, save=True)
    audit.record(
        actor=actor,
        action="supervision_record.add",
        obj=record,
        changes={"kind": [None, kind], "date": [None, date]},
        reason=record.note,
    )
    return record


# --- district standard (Art. 5) ------------------------------------------------------------------

STANDARD_KEYS = ("b_dimension_min", "b_level_min", "c_level_min", "min_benchmark", "weights", "indicators")
THRESHOLDS = ("b_dimension_min", "b_level_min", "c_level_min")


def district_standard_in_force(district: Any) -> DistrictStandard:
    """The district's latest standard version; version 1 is created from the city template on first use."""
    latest = DistrictStandard.objects.filter(district=district).order_by("-version").first()
    if latest is not None:
        return latest
    parameters = pool_standard_to_dict(DEFAULT_POOL_STANDARD)
    try:
        with transaction.atomic():
            standard = DistrictStandard.objects.create(
                district=district,
                version=1,
                parameters=parameters,
                note=_("依据市级模板{code}建立").format(code=DEFAULT_POOL_STANDARD.code),
            )
    except IntegrityError:
        return DistrictStandard.objects.get(district=district, version=1)
    audit.record(
        actor="system",
        action="district_standard.create",
        obj=standard,
        changes={"parameters": [None, parameters]},
        reason=standard.note,
    )
    return standard


def _validated_standard(parameters: Mapping[str, Any]) -> dict[str, Any]:
    errors: list[str] = []
    try:
        validated = pool_standard_to_dict(pool_standard_from_dict(parameters))
    except (ValueError, TypeError) as exc:
        raise InvalidInput(
            field_errors={"parameters": [_("分级标准参数无效：{error}").format(error=exc)]}
        ) from exc
    for name in THRESHOLDS:
        if not 0 <= validated[name] <= 100:
            errors.append(_("{name}应在0到100之间。").format(name=name))
    if validated["c_level_min"] > validated["b_level_min"]:
        errors.append(_("C级的L下限不能高于B级的L下限。"))
    if errors:
        raise InvalidInput(field_errors={"parameters": errors})
    return validated


@transaction.atomic
def district_standard_new_version(
    *, actor: Any, district: Any, parameters: Mapping[str, Any], note: str
) -> DistrictStandard:
    """The district changes its B/C/D standard: a new version on top of the one in force (Art. 5).

    `parameters` may name any of b_dimension_min, b_level_min, c_level_min, min_benchmark, weights and
    indicators; the others are kept from the version in force.
    """
    ensure_can(actor, "pool.manage")
    ensure_own_district(actor, district)
    note = required_text(note, "note", _("请填写修订说明（为什么调整标准）。"))
    unknown = sorted(set(parameters) - set(STANDARD_KEYS))
    if unknown:
        raise InvalidInput(
            field_errors={"parameters": [_("不支持的参数：{names}。").format(names="、".join(unknown))]}
        )
    current = district_standard_in_force(district)
    current = DistrictStandard.objects.select_for_update().get(pk=current.pk)
    merged = {
        **current.parameters,
        **parameters,
        "code": current.parameters["code"],
        "version": current.version + 1,
    }
    validated = _validated_standard(merged)
    if {**validated, "version": current.version} == current.parameters:
        raise InvalidInput(field_errors={"parameters": [_("参数与现行版本相同，无需新建版本。")]})
    try:
        with transaction.atomic():
            standard = DistrictStandard.objects.create(
                district=district,
                version=current.version + 1,
                parameters=validated,
                note=note,
                created_by=actor,
            )
    except IntegrityError as exc:
        raise StateConflict(_("标准已被他人修订，请刷新页面后重试。")) from exc
    changed = {
        k: [current.parameters.get(k), validated[k]]
        for k in STANDARD_KEYS
        if current.parameters.get(k) != validated[k]
    }
    audit.record(
        actor=actor,
        action="district_standard.new_version",
        obj=standard,
        changes={"version": [current.version, standard.version], **changed},
        reason=note,
    )
    return standard
