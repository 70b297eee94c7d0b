"""HTML pages of the enterprise register and the green-factory register (DOMAIN §3).

Views are thin: the base views scope every queryset to the user (out-of-scope rows answer 404),
the filters are the API's, and every write goes through factories.services.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

from django.contrib import messages
from django.db.models import Exists, OuterRef, QuerySet
from django.forms import Form
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect
from django.urls import NoReverseMatch, reverse
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _
from django.views.generic.detail import SingleObjectMixin

from accounts.errors import StateConflict
from accounts.permissions import can
from accounts.views_base import (
    CachedPageMixin,
    ScopedDetailView,
    ScopedListView,
    ScopedObjectMixin,
    ServiceFormView,
    audit_url,
    safe_next,
    show_domain_error,
    signed_in,
)
from factories import tallies
from factories.filters import EnterpriseFilter, GreenFactoryFilter
from factories.forms import ContactForm, EnterpriseForm, RecognizeForm, RevokeForm, missing_contact_fields
from factories.models import (
    District,
    Enterprise,
    GreenFactory,
    GreenFactoryStatus,
    Industry,
    RevocationProposal,
    Sequence,
    Tier,
)
from factories.services import REVOCATION_BAN_YEARS


def with_sequence(queryset: QuerySet) -> QuerySet:
    """Enterprise rows with unit, industry and green-factory record joined, so a page is one query."""
    # The base view types its queryset as a plain QuerySet; it is the Enterprise manager's EnterpriseQuerySet.
    return cast(Any, queryset).with_sequence()


class RegisterListView(ScopedListView):
    """A register page (many enterprises): the unit and industry filters; a unit's user sees its unit."""

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["sees_whole_city"] = signed_in(self.request).sees_whole_city
        context["districts"] = District.objects.in_force_on(dt.date.today()).order_by("code")
        context["industries"] = Industry.objects.all()
        return context


class EnterpriseListView(RegisterListView):
    """The enterprise register with search, filters and the sequence of each enterprise (Art. 2)."""

    right = "enterprise.list"
    model = Enterprise
    template_name = "factories/enterprise_list.html"
    filterset_class = EnterpriseFilter
    filter_params = ("q", "district", "industry", "sequence", "tier", "status")
    ordering_fields = {
        "name": "name",
        "credit_code": "credit_code",
        "district": "district_id",
        "industry": "industry_code",
        "year": "green_factory__recognized_year",
    }
    columns = [
        ("name", _("企业名称")),
        ("credit_code", _("统一社会信用代码")),
        ("district", _("管理单位")),
        ("industry", _("行业")),
        (None, _("序列")),
        ("year", _("绿色工厂级别 · 认定年度")),
    ]

    def refine_queryset(self, queryset: QuerySet) -> QuerySet:
        return with_sequence(queryset)

    def known_total(self) -> int | None:
        return tallies.enterprise_count(self.request.user) if self.unfiltered() else None

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        user = self.request.user
        context["can_create"] = can(user, "enterprise.create")
        context["sequences"] = Sequence.choices
        context["tiers"] = Tier.choices
        context["statuses"] = GreenFactoryStatus.choices
        context["any_registered"] = context["filtered"] and Enterprise.objects.visible_to(user).exists()
        return context


class EnterpriseDetailView(CachedPageMixin, ScopedDetailView):
    """One enterprise: profile, sequence, green-factory record, unit history and links to its data."""

    right = "enterprise.view"
    model = Enterprise
    template_name = "factories/enterprise_detail.html"

    def refine_queryset(self, queryset: QuerySet) -> QuerySet:
        return with_sequence(queryset)

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if can(request.user, "enterprise.view_own"):
            self.get_object()  # another enterprise's page answers 404, not a redirect
            return redirect("factories:my_enterprise")
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        enterprise: Enterprise = self.object
        user = self.request.user
        factory = enterprise.green_factory_or_none
        today = dt.date.today()
        active = factory is not None and factory.status == GreenFactoryStatus.ACTIVE
        context.update(
            factory=factory,
            factory_active=active,
            banned=factory is not None and factory.ban_until is not None and factory.ban_until > today,
            transfers=enterprise.transfers.select_related("from_district", "to_district"),
            can_edit=can(user, "enterprise.update"),
            can_manage=can(user, "green_factory.manage"),
            submissions_url=submissions_url(enterprise),
            audit_url=audit_url(enterprise) if can(user, "audit.view") else "",
        )
        context["pending_proposals"] = pending_proposals(user, enterprise) if factory is not None else []
        if context["can_manage"] and (factory is None or not active or factory.tier == Tier.CITY):
            context["recognize_form"] = RecognizeForm(
                user=user,
                initial={
                    "credit_code": enterprise.credit_code,
                    "tier": Tier.NATIONAL if active else Tier.CITY,
                },
            )
        return context


def pending_proposals(user: Any, enterprise: Enterprise) -> list[RevocationProposal]:
    """The revocation proposals still open on an enterprise's title, each marked with its source, who set it
    going, and whether `user` may decide it here (a register proposal, by someone other than its proposer).
    A run's proposal is decided on its run's page, once the run is final."""
    proposals: list[Any] = list(
        RevocationProposal.objects.visible_to(user)
        .pending()
        .filter(enterprise=enterprise)
        .select_related("run", "incident__recorded_by", "proposed_by")
        .order_by("proposed_at", "id")
    )
    may_decide = can(user, "incident.manage")
    for proposal in proposals:
        if proposal.run is None:
            proposal.first_person = proposal.proposed_by
        elif proposal.incident is not None:
            proposal.first_person = proposal.incident.recorded_by
        else:
            proposal.first_person = proposal.run.started_by
        proposal.same_person = proposal.first_person is not None and proposal.first_person.pk == user.pk
        proposal.decide_here = may_decide and proposal.run is None and not proposal.same_person
    return proposals


def submissions_url(enterprise: Enterprise) -> str:
    try:
        return reverse("reporting:submission_list") + "?" + urlencode({"q": enterprise.credit_code})
    except NoReverseMatch:
        return ""


class EnterpriseCreateView(ServiceFormView):
    """Register an enterprise; a district user's enterprise is registered in its own unit."""

    right = "enterprise.create"
    form_class = EnterpriseForm
    template_name = "factories/enterprise_form.html"

    def get_success_message(self, result: Enterprise) -> str:
        return str(_("已登记企业“{name}”。")).format(name=result.name)

    def get_success_url_for(self, result: Enterprise) -> str:
        return reverse("factories:enterprise_detail", args=[result.pk])


class EnterpriseEditView(ScopedObjectMixin, SingleObjectMixin, ServiceFormView):
    """Change an enterprise of the user's scope (other units' enterprises answer 404)."""

    right = "enterprise.update"
    model = Enterprise
    form_class = EnterpriseForm
    template_name = "factories/enterprise_form.html"

    def refine_queryset(self, queryset: QuerySet) -> QuerySet:
        return with_sequence(queryset)

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        self.object = self.get_object()
        return super().get(request, *args, **kwargs)

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        self.object = self.get_object()
        return super().post(request, *args, **kwargs)

    def get_form_kwargs(self) -> dict[str, Any]:
        kwargs = super().get_form_kwargs()
        kwargs["instance"] = self.object
        return kwargs

    def get_success_message(self, result: Enterprise) -> str:
        return str(_("已保存企业“{name}”的信息。")).format(name=result.name)

    def get_success_url_for(self, result: Enterprise) -> str:
        return reverse("factories:enterprise_detail", args=[result.pk])


class MyEnterpriseView(ScopedObjectMixin, ServiceFormView):
    """An enterprise user's own profile: read-only except the contact details it maintains."""

    right = "enterprise.view_own"
    model = Enterprise
    form_class = ContactForm
    template_name = "factories/my_enterprise.html"

    def refine_queryset(self, queryset: QuerySet) -> QuerySet:
        return with_sequence(queryset)

    def get_object(self, queryset: QuerySet | None = None, **lookup: Any) -> Any:
        """The user's own enterprise (the URL names none)."""
        return super().get_object(queryset, pk=signed_in(self.request).enterprise_id)

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        self.object = self.get_object()
        return super().get(request, *args, **kwargs)

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        self.object = self.get_object()
        return super().post(request, *args, **kwargs)

    def get_form_kwargs(self) -> dict[str, Any]:
        kwargs = super().get_form_kwargs()
        kwargs["instance"] = self.object
        return kwargs

    def form_valid(self, form: Form) -> HttpResponse:
        if not form.has_changed():
            messages.info(self.request, str(_("联系信息没有变化，无需保存。")))
            return HttpResponseRedirect(self.request.path)
        return super().form_valid(form)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        enterprise = self.object
        context.update(
            enterprise=enterprise,
            factory=enterprise.green_factory_or_none,
            submissions_url=submissions_url(enterprise),
            missing_contact=missing_contact_fields(enterprise),
        )
        return context

    def get_success_message(self, result: Enterprise) -> str:
        return str(_("联系信息已保存。"))

    def get_success_url_for(self, result: Enterprise) -> str:
        return reverse("factories:my_enterprise")


class GreenFactoryListView(RegisterListView):
    """The green-factory register: tier, recognition year, status and revocations (Art. 2, Art. 9)."""

    right = "green_factory.list"
    model = GreenFactory
    template_name = "factories/greenfactory_list.html"
    filterset_class = GreenFactoryFilter
    filter_params = ("q", "tier", "status", "recognized_year", "district", "industry")
    ordering_fields = {
        "name": "enterprise__name",
        "credit_code": "enterprise__credit_code",
        "district": "enterprise__district_id",
        "industry": "enterprise__industry_id",
        "tier": "tier",
        "year": "recognized_year",
        "status": "status",
    }
    columns = [
        ("name", _("企业名称")),
        ("credit_code", _("统一社会信用代码")),
        ("district", _("管理单位")),
        ("industry", _("行业")),
        ("tier", _("级别")),
        ("year", _("认定年度")),
        ("status", _("状态")),
    ]

    def refine_queryset(self, queryset: QuerySet) -> QuerySet:
        pending = RevocationProposal.objects.pending().filter(enterprise_id=OuterRef("enterprise_id"))
        return queryset.select_related("enterprise__district", "enterprise__industry").annotate(
            revocation_pending=Exists(pending)
        )

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        user = self.request.user
        context["can_manage"] = can(user, "green_factory.manage")
        if context["can_manage"]:
            context["headers"].append({"label": _("操作"), "key": None})
        context["tiers"] = Tier.choices
        context["statuses"] = GreenFactoryStatus.choices
        context["years"] = (
            GreenFactory.objects.visible_to(user)
            .order_by("-recognized_year")
            .values_list("recognized_year", flat=True)
            .distinct()
        )
        return context


class GreenFactoryRecognizeView(ServiceFormView):
    """City staff record a recognition: enterprise by credit code, tier and year."""

    right = "green_factory.manage"
    form_class = RecognizeForm
    template_name = "factories/greenfactory_recognize.html"

    def get_initial(self) -> dict[str, Any]:
        return {"credit_code": self.request.GET.get("credit_code", "")}

    def get_success_message(self, result: GreenFactory) -> str:
        return str(_("已将“{name}”认定为{tier}绿色工厂（{year}年度）。")).format(
            name=result.enterprise.name, tier=result.get_tier_display(), year=result.recognized_year
        )

    def get_success_url_for(self, result: GreenFactory) -> str:
        return reverse("factories:enterprise_detail", args=[result.enterprise_id])


class GreenFactoryRevokeView(ScopedObjectMixin, SingleObjectMixin, ServiceFormView):
    """Propose revoking a title, with a mandatory reason and the revocation date (Art. 9). The title stays
    until another city user confirms the proposal on the enterprise's page (four eyes); once confirmed the
    enterprise may not be recognised again for three years to the day."""

    right = "green_factory.manage"
    model = GreenFactory
    form_class = RevokeForm
    template_name = "factories/greenfactory_revoke.html"

    def refine_queryset(self, queryset: QuerySet) -> QuerySet:
        return queryset.select_related("enterprise__district", "enterprise__industry")

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        self.object = self.get_object()
        if self.object.status != GreenFactoryStatus.ACTIVE:
            messages.info(request, str(_("该绿色工厂称号已被撤销。")))
            return HttpResponseRedirect(self.next_url())
        if RevocationProposal.objects.pending().filter(enterprise_id=self.object.enterprise_id).exists():
            messages.info(request, str(_("该企业已有一条待确认的撤销建议，请在企业页面确认或不予撤销。")))
            return HttpResponseRedirect(self.enterprise_url())
        return super().get(request, *args, **kwargs)

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        self.object = self.get_object()
        return super().post(request, *args, **kwargs)

    def on_conflict(self, form: Form, error: StateConflict) -> HttpResponse:
        show_domain_error(self.request, error)
        return HttpResponseRedirect(self.next_url())

    def get_form_kwargs(self) -> dict[str, Any]:
        kwargs = super().get_form_kwargs()
        kwargs["factory"] = self.object
        return kwargs

    def next_url(self) -> str:
        return safe_next(self.request, reverse("factories:greenfactory_list"))

    def enterprise_url(self) -> str:
        return reverse("factories:enterprise_detail", args=[self.object.enterprise_id])

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["ban_years"] = REVOCATION_BAN_YEARS
        context["next"] = self.next_url()
        return context

    def get_success_message(self, result: RevocationProposal) -> str:
        return str(
            _("已提出撤销“{name}”绿色工厂称号的建议（撤销日期 {day}），须由另一名市级工作人员确认后生效。")
        ).format(name=self.object.enterprise.name, day=result.revoked_on)

    def get_success_url_for(self, result: RevocationProposal) -> str:
        return self.next_url()
