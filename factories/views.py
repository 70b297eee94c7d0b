"""HTML pages of the enterprise register and the green-factory register (DOMAIN §3).

Views are thin: the base views scope every queryset to the user (out-of-scope rows answer 404),
the filters are the API's, and every write goes through factories.services.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Model, QuerySet
from django.forms import Form
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect
from django.urls import NoReverseMatch, reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext_lazy as _
from django.views.generic import FormView
from django.views.generic.detail import SingleObjectMixin

from accounts.errors import InvalidInput, NotAllowed, StateConflict
from accounts.models import Role, User
from accounts.permissions import can
from accounts.views_base import (
    CachedPageMixin,
    RoleRequiredMixin,
    ScopedDetailView,
    ScopedListView,
    ScopedQuerysetMixin,
)
from factories.filters import EnterpriseFilter, GreenFactoryFilter
from factories.forms import ContactForm, EnterpriseForm, RecognizeForm, RevokeForm, missing_contact_fields
from factories.models import (
    District,
    Enterprise,
    GreenFactory,
    GreenFactoryStatus,
    Industry,
    Sequence,
    Tier,
)
from factories.services import REVOCATION_BAN_YEARS

REGISTER_ROLES = frozenset({Role.CITY, Role.DISTRICT, Role.AUDITOR})


class RolesMixin:
    """Only the listed roles may open the page (403 for the others); sign-in is checked by the base view."""

    roles: frozenset[str] = frozenset()

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        user = request.user
        if user.is_authenticated and self.roles and user.role not in self.roles:
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)  # type: ignore[misc]


def signed_in(request: HttpRequest) -> User:
    """The user of a view that the base classes have already made sign in."""
    return cast(User, request.user)


def with_sequence(queryset: QuerySet) -> QuerySet:
    """Enterprise rows with unit, industry and green-factory record joined, so a page is one query."""
    # The base view types its queryset as a plain QuerySet; it is the Enterprise manager's EnterpriseQuerySet.
    return cast(Any, queryset).with_sequence()


def sort_headers(request: HttpRequest, columns: list[tuple[str | None, Any]]) -> list[dict[str, Any]]:
    """Table headers whose links keep the filters, drop the page and toggle the sort direction."""
    current = request.GET.get("sort", "")
    headers = []
    for key, label in columns:
        header: dict[str, Any] = {"label": label, "key": key}
        if key:
            ascending, descending = current == key, current == f"-{key}"
            query = request.GET.copy()
            query.pop("page", None)
            query["sort"] = f"-{key}" if ascending else key
            header["url"] = f"?{query.urlencode()}"
            header["aria_sort"] = "ascending" if ascending else "descending" if descending else ""
        headers.append(header)
    return headers


class SortedFilteredListView(RolesMixin, ScopedListView):
    """A scoped register page with the API's FilterSet, sortable headers and a count."""

    roles = REGISTER_ROLES
    filterset_class: Any
    columns: list[tuple[str | None, Any]] = []
    filter_params: tuple[str, ...] = ()

    def select_related(self, queryset: QuerySet) -> QuerySet:
        return queryset

    def refine_queryset(self, queryset: QuerySet) -> QuerySet:
        self.filterset = self.filterset_class(
            self.request.GET or None, queryset=self.select_related(queryset)
        )
        queryset = self.filterset.qs
        # ScopedQuerysetMixin.get_queryset replaces ListView's, which is where Django applies get_ordering().
        ordering = self.get_ordering()
        return queryset.order_by(*ordering) if ordering else queryset

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["filterset"] = self.filterset
        context["values"] = {name: self.request.GET.get(name, "") for name in self.filter_params}
        context["filtered"] = any(context["values"].values())
        context["headers"] = sort_headers(self.request, self.columns)
        context["total"] = context["paginator"].count if context["paginator"] else len(context["object_list"])
        context["sees_whole_city"] = signed_in(self.request).sees_whole_city
        context["districts"] = District.objects.in_force_on(dt.date.today()).order_by("code")
        context["industries"] = Industry.objects.all()
        return context


class EnterpriseListView(SortedFilteredListView):
    """The enterprise register with search, filters and the sequence of each enterprise (Art. 2)."""

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

    def select_related(self, queryset: QuerySet) -> QuerySet:
        return with_sequence(queryset)

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

    model = Enterprise
    template_name = "factories/enterprise_detail.html"

    def refine_queryset(self, queryset: QuerySet) -> QuerySet:
        return with_sequence(queryset)

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if signed_in(request).role == Role.ENTERPRISE:
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
        if context["can_manage"] and (factory is None or not active or factory.tier == Tier.CITY):
            context["recognize_form"] = RecognizeForm(
                user=user,
                initial={
                    "credit_code": enterprise.credit_code,
                    "tier": Tier.NATIONAL if active else Tier.CITY,
                },
            )
        return context


def submissions_url(enterprise: Enterprise) -> str:
    try:
        return reverse("reporting:submission_list") + "?" + urlencode({"q": enterprise.credit_code})
    except NoReverseMatch:
        return ""


def audit_url(obj: Model) -> str:
    try:
        return (
            reverse("accounts:audit")
            + "?"
            + urlencode({"object_type": obj._meta.label_lower, "object_id": obj.pk})
        )
    except NoReverseMatch:
        return ""


class ServiceFormView(FormView):
    """form_valid calls form.save() (a service); domain errors become field errors, messages or 403."""

    def get_form_kwargs(self) -> dict[str, Any]:
        kwargs = super().get_form_kwargs()
        kwargs["user"] = self.request.user
        return kwargs

    def form_valid(self, form: Form) -> HttpResponse:
        try:
            result = form.save()  # type: ignore[attr-defined]
        except InvalidInput:
            return self.form_invalid(form)
        except StateConflict as error:
            return self.on_conflict(form, error)
        except NotAllowed as error:
            raise PermissionDenied(str(error.message)) from error
        messages.success(self.request, self.get_success_message(result))
        return HttpResponseRedirect(self.get_success_url_for(result))

    def on_conflict(self, form: Form, error: StateConflict) -> HttpResponse:
        messages.error(self.request, str(error.message))
        return self.form_invalid(form)

    def get_success_message(self, result: Any) -> str:
        return str(_("已保存。"))

    def get_success_url_for(self, result: Any) -> str:
        raise NotImplementedError


class EnterpriseCreateView(RoleRequiredMixin, ServiceFormView):
    """Register an enterprise; a district user's enterprise is registered in its own unit."""

    permission = "enterprise.create"
    form_class = EnterpriseForm
    template_name = "factories/enterprise_form.html"

    def get_success_message(self, result: Enterprise) -> str:
        return str(_("已登记企业“{name}”。")).format(name=result.name)

    def get_success_url_for(self, result: Enterprise) -> str:
        return reverse("factories:enterprise_detail", args=[result.pk])


class EnterpriseEditView(ScopedQuerysetMixin, SingleObjectMixin, ServiceFormView):
    """Change an enterprise of the user's scope (other units' enterprises answer 404)."""

    permission = "enterprise.update"
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


class MyEnterpriseView(RolesMixin, RoleRequiredMixin, ServiceFormView):
    """An enterprise user's own profile: read-only except the contact details it maintains."""

    roles = frozenset({Role.ENTERPRISE})
    form_class = ContactForm
    template_name = "factories/my_enterprise.html"

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.user.is_authenticated and request.user.role == Role.ENTERPRISE:
            self.object = get_object_or_404(
                Enterprise.objects.visible_to(request.user).with_sequence(), pk=request.user.enterprise_id
            )
        return super().dispatch(request, *args, **kwargs)

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


class GreenFactoryListView(SortedFilteredListView):
    """The green-factory register: tier, recognition year, status and revocations (Art. 2, Art. 9)."""

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

    def select_related(self, queryset: QuerySet) -> QuerySet:
        return queryset.select_related("enterprise__district", "enterprise__industry")

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


class GreenFactoryRecognizeView(RoleRequiredMixin, ServiceFormView):
    """City staff record a recognition: enterprise by credit code, tier and year."""

    permission = "green_factory.manage"
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


class GreenFactoryRevokeView(ScopedQuerysetMixin, SingleObjectMixin, ServiceFormView):
    """Revoke a title after a confirmation with a mandatory reason (Art. 9); banned for three years."""

    permission = "green_factory.manage"
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
        return super().get(request, *args, **kwargs)

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        self.object = self.get_object()
        return super().post(request, *args, **kwargs)

    def on_conflict(self, form: Form, error: StateConflict) -> HttpResponse:
        messages.error(self.request, str(error.message))
        return HttpResponseRedirect(self.next_url())

    def get_form_kwargs(self) -> dict[str, Any]:
        kwargs = super().get_form_kwargs()
        kwargs["factory"] = self.object
        return kwargs

    def next_url(self) -> str:
        target = self.request.POST.get("next") or self.request.GET.get("next") or ""
        if url_has_allowed_host_and_scheme(target, allowed_hosts={self.request.get_host()}):
            return target
        return reverse("factories:greenfactory_list")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["today"] = dt.date.today()
        context["ban_years"] = REVOCATION_BAN_YEARS
        context["next"] = self.next_url()
        return context

    def get_success_message(self, result: GreenFactory) -> str:
        return str(_("已撤销“{name}”的绿色工厂称号，{until}前不得再次认定。")).format(
            name=result.enterprise.name, until=result.ban_until
        )

    def get_success_url_for(self, result: GreenFactory) -> str:
        return self.next_url()
