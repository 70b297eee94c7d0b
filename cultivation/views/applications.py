"""Applications to join the pool (Art. 10): list, form, detail and the district's decision."""

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
    show_domain_error_on_form,
    signed_in,
)
from cultivation import services
from cultivation.filters import ApplicationFilter
from cultivation.forms import ApplicationForm
from cultivation.models import POOL_APPLICATION_TRANSITIONS, ApplicationStatus, PoolApplication
from cultivation.views.common import PoolListView, PostActionView
from factories.models import Enterprise


class ApplicationListView(PoolListView):
    """Applications to join the pool in the user's scope; enterprises and districts apply from here."""

    right = "pool.view"
    model = PoolApplication
    template_name = "cultivation/application_list.html"
    filterset_class = ApplicationFilter
    ordering_fields = {"created_at": "created_at", "enterprise": "enterprise__name", "status": "status"}
    default_ordering = ["-created_at", "-pk"]
    columns = [
        ("enterprise", _("企业")),
        (None, _("管理单位")),
        ("created_at", _("申请时间")),
        ("status", _("状态")),
        (None, _("入库条件")),
    ]

    def refine_queryset(self, queryset: QuerySet) -> QuerySet:
        return queryset.select_related("enterprise", "enterprise__district", "applied_by")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.update(statuses=ApplicationStatus.choices)
        for application in context["object_list"]:
            application.passed = sum(1 for item in application.checklist if item.get("passed"))
        user = signed_in(self.request)
        can_apply = can(user, "pool.apply")
        if can_apply and can(user, "enterprise.view_own"):
            own = Enterprise.objects.visible_to(user).filter(users=user).first()
            can_apply = own is not None and services.pool_application_blocker(own) is None
        context["can_apply"] = can_apply
        return context


class ApplicationCreateView(RightRequiredMixin, TemplateView):
    """An enterprise applies for itself; a district clerk applies for one of its enterprises."""

    right = "pool.apply"
    template_name = "cultivation/application_form.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        form = context.setdefault("form", ApplicationForm(user=signed_in(self.request)))
        # An enterprise applies for itself, so why it cannot is known before it writes a word.
        own = form.enterprise() if "credit_code" not in form.fields else None
        context["blocker"] = services.pool_application_blocker(own) if own is not None else None
        return context

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        form = ApplicationForm(request.POST, request.FILES, user=signed_in(request))
        if form.is_valid():
            enterprise = form.enterprise()
            if enterprise is None:
                raise Http404
            try:
                application = services.pool_application_submit(
                    actor=request.user,
                    enterprise=enterprise,
                    intention=form.cleaned_data["intention"],
                    plan=form.cleaned_data["plan"],
                    lawful_declaration=form.cleaned_data["lawful_declaration"],
                    evidence_files=form.cleaned_data["evidence"],
                )
            except NotAllowed as error:
                raise PermissionDenied(str(error.message)) from error
            except (InvalidInput, StateConflict) as error:
                if "enterprise" in error.field_errors and "credit_code" in form.fields:
                    error.field_errors["credit_code"] = error.field_errors.pop("enterprise")
                show_domain_error_on_form(form, error)
            else:
                messages.success(request, str(_("入库申请已提交，等待区县经信部门审核。")))
                return redirect("cultivation:application_detail", application.pk)
        return self.render_to_response(self.get_context_data(form=form))


class ApplicationDetailView(ScopedDetailView):
    """One application with its Art. 10 checklist; the district decides a pending one here."""

    right = "pool.view"
    model = PoolApplication
    template_name = "cultivation/application_detail.html"

    def refine_queryset(self, queryset: QuerySet) -> QuerySet:
        return queryset.select_related("enterprise", "enterprise__district", "applied_by", "decided_by")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        application = self.object
        actions = allowed_actions(POOL_APPLICATION_TRANSITIONS, application, signed_in(self.request))
        context["can_decide"] = "accept" in actions and "reject" in actions
        context["all_passed"] = all(item.get("passed") for item in application.checklist)
        context["membership"] = getattr(application, "membership", None)
        context["evidence"] = application.evidence.select_related("uploaded_by")
        return context


class ApplicationDecideView(PostActionView):
    """The district accepts (the enterprise joins) or rejects (with a reason) an application."""

    rights = {"accept": "pool.manage", "reject": "pool.manage"}
    model = PoolApplication

    def run(self, application: PoolApplication, action: str) -> Any:
        text = self.request.POST.get("reason", "")
        if action == "accept":
            services.pool_application_accept(actor=self.request.user, application=application, note=text)
            return _("已同意入库，企业已进入本区县培育库。")
        services.pool_application_reject(actor=self.request.user, application=application, reason=text)
        return _("已驳回入库申请，企业将看到驳回原因。")

    def redirect_to(self, application: PoolApplication) -> str:
        return reverse("cultivation:application_detail", args=[application.pk])


class ApplicationEvidenceView(ScopedObjectMixin, View):
    """One file filed with an application, for whoever may see the application (another unit's: 404)."""

    right = "pool.view"
    model = PoolApplication

    def get(self, request: HttpRequest, pk: int, evidence_id: int) -> HttpResponseBase:
        item = get_object_or_404(self.get_object().evidence, pk=evidence_id)
        return files.download(item.file, item.filename)
