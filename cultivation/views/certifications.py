"""B-level certification (Art. 11(1)): application, decision, certificate and the
certified B factories to recommend for city-level application.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.generic import TemplateView

from accounts import files
from accounts.errors import InvalidInput, NotAllowed, StateConflict
from accounts.permissions import can
from accounts.transitions import allowed_actions
from accounts.views_base import (
    RightRequiredMixin,
    ScopedDetailView,
    ScopedObjectMixin,
    show_domain_error,
    signed_in,
)
from cultivation import selectors, services
from cultivation.filters import CertificationFilter
from cultivation.models import (
    B_CERTIFICATION_TRANSITIONS,
    HOLDING_STATUSES,
    BCertification,
    CertificationStatus,
    LevelDecision,
    MembershipStatus,
    PoolMembership,
)
from cultivation.views.common import (
    PoolListView,
    PostActionView,
    _in_district,
    decorate_decision,
    selected_district,
)
from factories import certificates
from factories.models import District


class CertificationListView(PoolListView):
    """B-level certifications in the user's scope: applied, certified, lost or withdrawn."""

    right = "pool.view"
    model = BCertification
    template_name = "cultivation/certification_list.html"
    filterset_class = CertificationFilter
    ordering_fields = {"applied_at": "applied_at", "certified_at": "certified_at", "status": "status"}
    default_ordering = ["-applied_at", "-pk"]
    columns = [
        (None, _("企业")),
        (None, _("依据等级年度")),
        ("applied_at", _("申请时间")),
        ("status", _("状态")),
        ("certified_at", _("认定时间")),
        (None, _("证书编号")),
    ]

    def refine_queryset(self, queryset: QuerySet) -> QuerySet:
        return queryset.select_related(
            "membership__enterprise", "membership__enterprise__district", "district"
        )

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.update(statuses=CertificationStatus.choices)
        return context


class CertificationApplyView(RightRequiredMixin, TemplateView):
    """Apply for B on the member's latest level; refused with the named gaps when it is not B-eligible."""

    right = "pool.apply"
    template_name = "cultivation/certification_apply.html"

    def member(self) -> PoolMembership:
        members = PoolMembership.objects.visible_to(self.request.user).filter(status=MembershipStatus.ACTIVE)
        pk = self.request.GET.get("member") or self.request.POST.get("member")
        # An enterprise applies for its own (only) membership; a district names the member.
        if can(self.request.user, "enterprise.view_own") and not pk:
            member = members.select_related("enterprise").first()
        else:
            member = members.select_related("enterprise").filter(pk=pk).first() if pk else None
        if member is None:
            raise Http404
        return member

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        member = self.member()
        decision = (
            member.level_decisions.select_related("standard", "standard__district").order_by("-year").first()
        )
        context.update(
            member=member,
            decision=decorate_decision(decision) if decision else None,
            open_certification=services.open_certification(member),
        )
        return context

    def post(self, request: HttpRequest) -> HttpResponse:
        member = self.member()
        try:
            certification = services.b_certification_apply(
                actor=request.user,
                enterprise=member.enterprise,
                year=int(request.POST.get("year") or 0),
                evidence_files=request.FILES.getlist("evidence"),
            )
        except NotAllowed as error:
            raise PermissionDenied(str(error.message)) from error
        except (InvalidInput, StateConflict) as error:
            show_domain_error(request, error)
            return self.render_to_response(self.get_context_data(refused=True), status=400)
        messages.success(request, str(_("B级认定申请已提交，等待区县经信部门认定。")))
        return redirect("cultivation:certification_detail", certification.pk)


class CertificationDetailView(ScopedDetailView):
    """The district's review page: the gap-to-B checklist, then certify / reject or, after a level fell,
    confirm the loss / keep the title."""

    right = "pool.view"
    model = BCertification
    template_name = "cultivation/certification_detail.html"

    def refine_queryset(self, queryset: QuerySet) -> QuerySet:
        return queryset.select_related(
            "membership__enterprise",
            "membership__enterprise__district",
            "district",
            "applied_by",
            "reviewed_by",
            "settled_by",
        )

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        certification = self.object
        decision = (
            LevelDecision.objects.filter(membership=certification.membership)
            .select_related("standard", "standard__district")
            .order_by("-year")
            .first()
        )
        actions = allowed_actions(B_CERTIFICATION_TRANSITIONS, certification, signed_in(self.request))
        context.update(
            decision=decorate_decision(decision) if decision else None,
            checklist=certification.checklist,
            can_certify="certify" in actions,
            can_settle="lose" in actions and "keep" in actions,
            has_certificate=certification.status in HOLDING_STATUSES and bool(certification.certificate_no),
            evidence=certification.evidence.select_related("uploaded_by"),
        )
        return context


class CertificationDecideView(PostActionView):
    """The district certifies or rejects an application, or after a level fell confirms the loss or keeps
    the title."""

    rights = {
        "certify": "pool.manage",
        "reject": "pool.manage",
        "confirm_loss": "pool.manage",
        "keep": "pool.manage",
    }
    model = BCertification
    DONE = {
        "certify": _("已认定为区县级绿色工厂，证书编号已生成。"),
        "reject": _("已决定不予认定，企业将看到原因。"),
        "confirm_loss": _("已确认取消B级认定。"),
        "keep": _("已保留B级认定。"),
    }

    def run(self, certification: BCertification, action: str) -> Any:
        user, text = self.request.user, self.request.POST.get("reason", "")
        if action == "certify":
            services.b_certification_certify(actor=user, certification=certification, note=text)
        elif action == "reject":
            services.b_certification_reject(actor=user, certification=certification, reason=text)
        elif action == "confirm_loss":
            services.b_certification_confirm_loss(actor=user, certification=certification, reason=text)
        else:
            services.b_certification_keep(actor=user, certification=certification, reason=text)
        return self.DONE[action]

    def redirect_to(self, certification: BCertification) -> str:
        return reverse("cultivation:certification_detail", args=[certification.pk])


class CertificationEvidenceView(ScopedObjectMixin, View):
    """One file filed with a B-certification application, for whoever may see it (another unit's: 404)."""

    right = "pool.view"
    model = BCertification

    def get(self, request: HttpRequest, pk: int, evidence_id: int) -> HttpResponseBase:
        item = get_object_or_404(self.get_object().evidence, pk=evidence_id)
        return files.download(item.file, item.filename)


class CertificateView(ScopedDetailView):
    """The printable certificate of a certified B factory (区县级绿色工厂)."""

    right = "pool.view"
    model = BCertification
    template_name = "cultivation/certificate.html"

    def refine_queryset(self, queryset: QuerySet) -> QuerySet:
        return queryset.filter(status__in=HOLDING_STATUSES).select_related(
            "membership__enterprise", "membership__enterprise__district", "district", "certificate"
        )

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        """The printed certificate carries the QR code of its public status page (issue 17)."""
        context = super().get_context_data(**kwargs)
        certificate = self.object.certificate
        if certificate is not None:
            verify_url = self.request.build_absolute_uri(reverse("verify", args=[certificate.code]))
            context.update(verify_url=verify_url, qr_svg=certificates.qr_svg(verify_url))
        return context


class RecommendedListView(RightRequiredMixin, TemplateView):
    """Certified B factories of active members, for recommendation to city-level application (Art. 11(1))."""

    right = "pool.cockpit"
    template_name = "cultivation/recommended.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        user = signed_in(self.request)
        district = selected_district(self.request)
        rows = _in_district(
            selectors.recommended_b_factories(user), "membership__enterprise__district", district, user
        )
        context.update(
            rows=rows,
            district=district,
            districts=District.objects.order_by("code") if user.sees_whole_city else None,
        )
        return context
