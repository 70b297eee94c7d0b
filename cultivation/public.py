"""What the public may see of the pool (issue 17): the B-level (district-level) green factories each district
has certified, and the status of a B certificate. Public fields only: name, masked credit code, industry
division, certificate number and date; nothing of levels, data, applications or reviews."""

from __future__ import annotations

from django.db.models import Count, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from cultivation.models import HOLDING_STATUSES, BCertification, CertificationStatus, MembershipStatus
from factories.certificates import CertificateFacts, CertificateState, mask_credit_code
from factories.models import Certificate, District


def districts_with_b_factories() -> list[tuple[District, int]]:
    """Management units with at least one B factory in force, with how many, by unit code."""
    counts = dict(held().values_list("district_id").annotate(n=Count("id")).values_list("district_id", "n"))
    return [(d, counts[d.pk]) for d in District.objects.filter(pk__in=list(counts)).order_by("code")]


def held() -> QuerySet[BCertification]:
    """Certifications in force: certified, or certified and under district review after the level fell."""
    return BCertification.objects.filter(status__in=HOLDING_STATUSES, certified_at__isnull=False)


def district_b_factories(district: District) -> QuerySet[BCertification]:
    return (
        held()
        .filter(district=district)
        .select_related("membership__enterprise__industry", "certificate")
        .only(
            "id",
            "district_id",
            "status",
            "certificate_no",
            "certified_at",
            "membership__enterprise__name",
            "membership__enterprise__credit_code",
            "membership__enterprise__industry__code",
            "membership__enterprise__industry__name",
            "certificate__code",
        )
        .order_by("certified_at", "id")
    )


def b_certificate_state(certification: BCertification) -> tuple[str, object, str]:
    """(state, since, note) of a B certificate (DOMAIN §7 terms):

    - **valid** while certified, also while under district review after the level fell (the title stands
      until the district decides);
    - **downgraded** when the district confirmed the loss after the level fell below B — since its decision;
    - **superseded** when the member graduated (recognised as a green factory of a higher tier, Art. 11) —
      since the certification ended;
    - **revoked** when it was withdrawn otherwise (exit from the pool, a falsification finding; Art. 12) —
      since it ended.
    """
    status = certification.status
    if status == CertificationStatus.LOST:
        moment = certification.settled_at or certification.ended_at
        return (
            CertificateState.DOWNGRADED,
            timezone.localdate(moment) if moment else None,
            _("培育等级降至B级条件以下，区县已取消认定。"),
        )
    if status == CertificationStatus.WITHDRAWN:
        since = timezone.localdate(certification.ended_at) if certification.ended_at else None
        if certification.membership.status == MembershipStatus.GRADUATED:
            return CertificateState.SUPERSEDED, since, _("该企业已被认定为更高级别的绿色工厂。")
        return CertificateState.REVOKED, since, _("区县已撤回认定。")
    if status == CertificationStatus.UNDER_REVIEW:
        return CertificateState.VALID, None, _("年度培育等级已低于B级条件，认定待区县复核。")
    return CertificateState.VALID, None, ""


def b_certificate_facts(certificate: Certificate) -> CertificateFacts | None:
    """The public facts of a B certificate; None unless the district certified it."""
    certification = (
        BCertification.objects.select_related("membership__enterprise__industry", "district")
        .filter(certificate=certificate, certified_at__isnull=False)
        .first()
    )
    if certification is None:
        return None
    state, since, note = b_certificate_state(certification)
    enterprise = certification.membership.enterprise
    unit = certification.district.name
    links = []
    if certification.status in HOLDING_STATUSES:
        links.append(
            (
                _("{unit}区县级绿色工厂名单").format(unit=unit),
                reverse("gongshi:district", args=[certification.district_id]),
            )
        )
    return CertificateFacts(
        title=_("区县级绿色工厂证书"),
        holder=enterprise.name,
        credit_code=mask_credit_code(enterprise.credit_code),
        body=_(
            "经{unit}经济和信息化主管部门审核，该企业{year}年度绿色工厂梯度培育等级达到B级条件，特认定为区县级绿色工厂。"
        ).format(unit=unit, year=certification.year),
        lines=[
            (_("证书编号"), certification.certificate_no),
            (
                _("认定日期"),
                timezone.localdate(certification.certified_at).isoformat()
                if certification.certified_at
                else "",
            ),
            (_("依据等级年度"), str(certification.year)),
            (_("行业（大类）"), f"{enterprise.industry.code} {enterprise.industry.name}"),
            (_("认定单位"), unit),
        ],
        issuer=_("{unit}经济和信息化主管部门").format(unit=unit),
        issued_on=timezone.localdate(certificate.issued_at),
        state=state,
        state_on=since,  # type: ignore[arg-type]
        state_note=note,
        links=links,
    )
