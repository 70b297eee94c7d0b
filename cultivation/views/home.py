"""The pool's home page: the district cockpit for staff, an enterprise's own pool status for an enterprise."""

from __future__ import annotations

from collections import Counter
from typing import Any

from django.db.models import Count, Max, OuterRef, Subquery
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView

from accounts.charts import funnel_chart
from accounts.permissions import can
from accounts.views_base import RightRequiredMixin, signed_in
from cultivation import selectors
from cultivation.models import (
    LEVEL_ORDER,
    OPEN_CERTIFICATION_STATUSES,
    ApplicationStatus,
    BCertification,
    CertificationStatus,
    Level,
    LevelDecision,
    MembershipStatus,
    PoolApplication,
    PoolMembership,
)
from cultivation.views.common import _in_district, decorate_decision, selected_district
from factories.models import District, GreenFactory, GreenFactoryStatus

TOP_GAPS = 10


class HomeView(RightRequiredMixin, TemplateView):
    """The district cockpit for staff; an enterprise sees its own pool status and what it can apply for."""

    right = "pool.view"

    def get_template_names(self) -> list[str]:
        if can(self.request.user, "pool.cockpit"):
            return ["cultivation/home.html"]
        return ["cultivation/enterprise_home.html"]

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        user = signed_in(self.request)
        if can(user, "pool.cockpit"):
            context.update(cockpit(user, selected_district(self.request)))
            context["districts"] = District.objects.order_by("code") if user.sees_whole_city else None
        else:
            context.update(enterprise_status(user))
        return context


def cockpit(user: Any, district: District | None) -> dict[str, Any]:
    """The cockpit's figures for the unit (or the whole city): funnel, movements, gaps, work to do."""
    decisions = _in_district(LevelDecision.objects.visible_to(user), "enterprise__district", district, user)
    year = decisions.aggregate(year=Max("year"))["year"]
    latest = decisions.filter(year=year) if year else decisions.none()
    by_level = dict(latest.order_by().values("level").annotate(n=Count("pk")).values_list("level", "n"))
    counts = {level: by_level.get(level, 0) for level in Level.values}
    certified = latest.filter(certified_b=True).count()
    total = sum(counts.values())
    funnel = funnel_chart(
        [
            (str(_("已评定等级（D级及以上）")), total),
            (str(_("C级及以上")), counts[Level.C] + counts[Level.B_ELIGIBLE]),
            (str(_("达到B级条件")), counts[Level.B_ELIGIBLE]),
            (str(_("已认定B级")), certified),
        ],
        title=str(_("{year}年度培育梯度")).format(year=year) if year else str(_("培育梯度")),
    )
    members = _in_district(PoolMembership.objects.visible_to(user), "enterprise__district", district, user)
    this_year = timezone.localdate().year
    moved = dict(
        members.filter(exited_on__year=this_year)
        .order_by()
        .values("status")
        .annotate(n=Count("pk"))
        .values_list("status", "n")
    )
    rank = {level: index for index, level in enumerate(LEVEL_ORDER)}
    previous = LevelDecision.objects.filter(enterprise=OuterRef("enterprise"), year=OuterRef("year") - 1)
    steps = Counter(
        "up" if rank[after] > rank[before] else "down"
        for before, after in latest.annotate(before=Subquery(previous.values("level")[:1]))
        .exclude(before=None)
        .values_list("before", "level")
        if before != after
    )
    # Closest to B first: the L gap plus the dimension gaps, then the missing supervision or guidance.
    candidates = (
        latest.exclude(level=Level.B_ELIGIBLE)
        .filter(level_gap__isnull=False, membership__status=MembershipStatus.ACTIVE)
        .select_related("enterprise", "standard", "standard__district", "membership")
        .order_by("level_gap", "enterprise__name")[: TOP_GAPS * 5]
    )
    gaps = [
        decorate_decision(d)
        for d in sorted(
            candidates,
            key=lambda d: (
                (d.level_gap or 0) + sum(d.dimension_gaps.values()),
                (not d.supervised) + (not d.guided),
            ),
        )[:TOP_GAPS]
    ]
    overdue = _in_district(selectors.overdue_supervision(user), "enterprise__district", district, user)
    applications = _in_district(
        PoolApplication.objects.visible_to(user), "enterprise__district", district, user
    ).filter(status=ApplicationStatus.PENDING)
    certifications = _in_district(
        BCertification.objects.visible_to(user), "membership__enterprise__district", district, user
    ).filter(status__in=[CertificationStatus.APPLIED, CertificationStatus.UNDER_REVIEW])
    return {
        "district": district,
        "year": year,
        "counts": counts,
        "certified": certified,
        "total": total,
        "funnel": funnel,
        "active_members": members.filter(status=MembershipStatus.ACTIVE).count(),
        "this_year": this_year,
        "movements": {
            "entries": members.filter(joined_on__year=this_year).count(),
            "exits": moved.get(MembershipStatus.EXITED, 0),
            "graduations": moved.get(MembershipStatus.GRADUATED, 0),
            "upgrades": steps["up"],
            "downgrades": steps["down"],
        },
        "gaps": gaps,
        "overdue": list(overdue[:10]),
        "overdue_count": overdue.count(),
        "applications": list(applications.select_related("enterprise").order_by("created_at")[:10]),
        "application_count": applications.count(),
        "certifications": list(
            certifications.select_related("membership__enterprise").order_by("applied_at")[:10]
        ),
        "certification_count": certifications.count(),
        "can_manage": can(user, "pool.manage"),
    }


def enterprise_status(user: Any) -> dict[str, Any]:
    """An enterprise's own pool status: membership, latest level with the gap to B, certification."""
    enterprise = user.enterprise
    membership = (
        PoolMembership.objects.visible_to(user).select_related("enterprise").order_by("-joined_on").first()
    )
    active = membership is not None and membership.is_active
    pending = PoolApplication.objects.visible_to(user).filter(status=ApplicationStatus.PENDING).first()
    last_application = PoolApplication.objects.visible_to(user).first()
    decision = (
        LevelDecision.objects.visible_to(user)
        .filter(membership=membership)
        .select_related("standard", "standard__district")
        .order_by("-year")
        .first()
        if active
        else None
    )
    if decision is not None:
        decorate_decision(decision)
    certification = (
        BCertification.objects.visible_to(user).filter(membership=membership).first() if membership else None
    )
    open_certification = certification is not None and certification.status in OPEN_CERTIFICATION_STATUSES
    green = GreenFactory.objects.filter(enterprise=enterprise, status=GreenFactoryStatus.ACTIVE).exists()
    return {
        "enterprise": enterprise,
        "membership": membership,
        "active": active,
        "pending": pending,
        "last_application": last_application,
        "decision": decision,
        "certification": certification,
        "is_green_factory": green,
        "can_apply_pool": not active and pending is None and not green,
        "can_apply_b": active
        and decision is not None
        and decision.level == Level.B_ELIGIBLE
        and not open_certification,
    }
