"""What the public may see of grading (issue 17): the 公示 and final runs, their factories' grades and the
AA+ recommendation list, and the status of a grade certificate. Only public fields leave this module's
querysets' pages: name, management unit, industry division, tier, grade, a masked credit code — never an
indicator value, a score or a reason.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from factories.certificates import CertificateFacts, CertificateState, mask_credit_code
from factories.models import (
    Certificate,
    Grade,
    GradingResult,
    GradingRun,
    GreenFactoryStatus,
    ProposalStatus,
    RevocationProposal,
    RunStatus,
    Tier,
)


def public_runs() -> QuerySet[GradingRun]:
    """Official runs in notice (公示) or final whose notice has begun; never a draft, a simulation, a
    superseded run or a notice scheduled for a later day."""
    return (
        GradingRun.objects.published()
        .filter(notice_from__lte=timezone.localdate(), superseded_by__isnull=True)
        .select_related("standard")
        .order_by("-year", "-notice_from", "-id")
    )


def public_results(run: GradingRun) -> QuerySet[GradingResult]:
    """The run's factories with the public fields only (the rest is deferred, so it is not even read)."""
    return (
        GradingResult.objects.filter(run=run)
        .select_related("enterprise", "district", "industry", "certificate")
        .only(
            "id",
            "run_id",
            "tier",
            "grade",
            "enterprise__name",
            "enterprise__credit_code",
            "district__name",
            "industry__code",
            "industry__name",
            "certificate__code",
        )
        .order_by("district_id", "enterprise__name", "enterprise_id")
    )


def public_recommendations(run: GradingRun) -> QuerySet[GradingResult]:
    """Art. 8's list for this run: city-level factories graded AA or above whose title stands and on whom no
    revocation proposal waits (the same rule as `selectors.recommendations`, for one public run)."""
    pending = RevocationProposal.objects.filter(status=ProposalStatus.PROPOSED).values("enterprise_id")
    return (
        public_results(run)
        .filter(
            tier=Tier.CITY,
            grade__in=Grade.at_least(Grade.AA),
            enterprise__green_factory__status=GreenFactoryStatus.ACTIVE,
        )
        .exclude(enterprise_id__in=pending)
        .order_by("grade", "district_id", "enterprise__name", "enterprise_id")
    )


def _rank(grade: str) -> int | None:
    return Grade.values.index(grade) if grade in Grade.values else None


def grade_certificate_state(certificate: Certificate) -> tuple[str, object, str]:
    """(state, since, note) of a grade certificate (DOMAIN §6 terms), checked in this order:

    - **revoked**: the factory's green-factory title has been revoked (Art. 12) — since the revocation date;
    - **downgraded** / **superseded**: a later *final* official run grades the factory again — a run of a
      later year, or a newer run of the same year published over this one and made final. The newest such
      grade decides: ranked below this certificate's grade → downgraded, otherwise superseded (the same or a
      higher grade: the factory holds a newer certificate) — since that run was finalised;
    - **valid** otherwise: a newer run still in notice, or a later year that did not grade the factory, does
      not end the certificate.
    """
    result = certificate.result
    assert result is not None
    factory = getattr(certificate.enterprise, "green_factory", None)
    if factory is not None and factory.status == GreenFactoryStatus.REVOKED:
        return CertificateState.REVOKED, factory.revoked_on, _("绿色工厂称号已被撤销。")
    run = result.run
    later = (
        GradingResult.objects.filter(
            enterprise_id=result.enterprise_id, run__is_simulation=False, run__status=RunStatus.FINAL
        )
        .exclude(pk=result.pk)
        .select_related("run")
        .order_by("-year", "-run__created_at", "-run_id")
        .first()
    )
    if later is not None and (later.year, later.run.created_at, later.run_id) > (
        result.year,
        run.created_at,
        run.pk,
    ):
        since = timezone.localdate(later.run.finalized_at) if later.run.finalized_at else None
        mine, theirs = _rank(result.grade), _rank(later.grade)
        note = _("{year}年度评价结果为 {grade} 级。").format(year=later.year, grade=later.grade)
        if mine is not None and theirs is not None and theirs > mine:
            return CertificateState.DOWNGRADED, since, note
        return CertificateState.SUPERSEDED, since, note
    return CertificateState.VALID, None, ""


def grade_certificate_facts(certificate: Certificate) -> CertificateFacts | None:
    """The public facts of a grade certificate; None unless its run was made final (then it stays public,
    with its status, even after a newer run replaced it)."""
    result = (
        GradingResult.objects.select_related("run__standard", "district", "industry", "enterprise")
        .filter(pk=certificate.result_id or 0, run__is_simulation=False)
        .filter(
            Q(run__status=RunStatus.FINAL)
            | Q(run__status=RunStatus.SUPERSEDED, run__finalized_at__isnull=False)
        )
        .first()
    )
    if result is None:
        return None
    certificate.result = result
    state, since, note = grade_certificate_state(certificate)
    grade_name = Grade.label_of(result.grade)
    tier = str(Tier(result.tier).label) if result.tier in Tier.values else ""
    return CertificateFacts(
        title=_("重庆市绿色工厂分级评价证书"),
        holder=result.enterprise.name,
        credit_code=mask_credit_code(result.enterprise.credit_code),
        body=_(
            "经重庆市经济和信息化委员会{year}年度绿色工厂分级评价，该企业评价等级为 {grade} 级{name}。"
        ).format(year=result.year, grade=result.grade, name=f"（{grade_name}）" if grade_name else ""),
        lines=[
            (_("评价年度"), str(result.year)),
            (_("评价等级"), result.grade),
            (_("工厂级别"), tier),
            (_("管理单位"), result.district.name),
            (_("行业（大类）"), f"{result.industry.code} {result.industry.name}"),
            (_("评价标准"), f"{result.run.standard.name}（{result.run.standard.label}）"),
        ],
        issuer=_("重庆市经济和信息化委员会"),
        issued_on=timezone.localdate(certificate.issued_at),
        state=state,
        state_on=since,  # type: ignore[arg-type]
        state_note=note,
        links=[(_("评价结果公示"), reverse("gongshi:run", args=[result.run_id]))]
        if result.run.status == RunStatus.FINAL
        else [],
    )
