"""Correction requests for locked data: asking for one, listing them and the city's decision."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.generic import TemplateView

from accounts.errors import InvalidInput, StateConflict
from accounts.transitions import allowed_actions
from accounts.views_base import (
    ScopedListView,
    ScopedObjectMixin,
    show_domain_error,
    show_domain_error_on_form,
)
from factories.catalogues.bridge import reporting_catalogue
from reporting import services
from reporting.forms import CorrectionForm
from reporting.models import (
    CORRECTION_TRANSITIONS,
    AnnualSubmission,
    CorrectionRequest,
    CorrectionStatus,
    SubmissionStatus,
)
from reporting.views.common import _correction_changes


class CorrectionCreateView(ScopedObjectMixin, TemplateView):
    """Ask to change locked data: the reason and the changed fields (DOMAIN §5)."""

    right = "correction.request"
    model = AnnualSubmission
    template_name = "reporting/correction_form.html"

    def refine_queryset(self, queryset: QuerySet) -> QuerySet:
        return queryset.select_related("enterprise")

    def load(self) -> AnnualSubmission:
        return self.get_object()  # type: ignore[no-any-return]

    def make_form(self, submission: AnnualSubmission, data: Any = None) -> CorrectionForm:
        return CorrectionForm(
            data, initial=submission.raw_values, catalogue=reporting_catalogue(submission.catalogue_version)
        )

    def refuse(self, submission: AnnualSubmission) -> HttpResponse | None:
        if submission.status != SubmissionStatus.CITY_VERIFIED:
            messages.error(
                self.request, _("只有经市级复核锁定的数据才需要更正申请；未锁定的数据请直接修改或申请退回。")
            )
            return redirect("reporting:submission_detail", pk=submission.pk)
        if submission.corrections.filter(status=CorrectionStatus.PENDING).exists():
            messages.error(self.request, _("该年度数据已有一项待审批的更正申请，请等待市级审批后再提交。"))
            return redirect("reporting:submission_detail", pk=submission.pk)
        return None

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        submission = self.load()
        return self.refuse(submission) or self.render_page(submission, self.make_form(submission))

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        submission = self.load()
        if refused := self.refuse(submission):
            return refused
        form = self.make_form(submission, request.POST)
        if not form.is_valid():
            return self.render_page(submission, form)
        try:
            services.correction_request(
                actor=request.user,
                submission=submission,
                reason=form.cleaned_data["reason"],
                new_values=form.changed_values(),
                evidence_files=request.FILES.getlist("evidence"),
            )
        except InvalidInput as error:
            show_domain_error_on_form(form, error)
            return self.render_page(submission, form)
        except StateConflict as error:
            show_domain_error(request, error)
            return redirect("reporting:submission_detail", pk=submission.pk)
        messages.success(request, _("更正申请已提交，等待市经济信息委审批。审批前原数据保持不变。"))
        return redirect("reporting:submission_detail", pk=submission.pk)

    def render_page(self, submission: AnnualSubmission, form: CorrectionForm) -> HttpResponse:
        return self.render_to_response(self.get_context_data(submission=submission, form=form))


class CorrectionListView(ScopedListView):
    """Correction requests in the user's scope; the city decides the pending ones."""

    right = "correction.view"
    model = CorrectionRequest
    template_name = "reporting/correction_list.html"

    def refine_queryset(self, queryset: QuerySet) -> QuerySet:
        queryset = queryset.select_related(
            "submission", "submission__enterprise", "requested_by", "decided_by"
        ).order_by("-requested_at", "-pk")
        status = self.request.GET.get("status", "")
        if status in CorrectionStatus.values:
            queryset = queryset.filter(status=status)
        return queryset

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["rows"] = [
            {
                "c": c,
                "changes": _correction_changes(
                    reporting_catalogue(c.submission.catalogue_version), c.submission, c
                ),
                "actions": allowed_actions(CORRECTION_TRANSITIONS, c, self.request.user),
            }
            for c in context["object_list"]
        ]
        context["statuses"] = CorrectionStatus.choices
        return context


class CorrectionDecideView(ScopedObjectMixin, View):
    """The city approves (a new version replaces the data) or rejects (with a reason) a correction."""

    right = "correction.decide"
    model = CorrectionRequest
    http_method_names = ["post"]

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        correction = self.get_object()
        decision = request.POST.get("decision")
        if decision not in ("approve", "reject"):
            messages.error(request, _("请选择批准或驳回。"))
            return redirect("reporting:correction_list")
        try:
            services.correction_decide(
                actor=request.user,
                correction=correction,
                approve=decision == "approve",
                reason=request.POST.get("reason", ""),
            )
        except (InvalidInput, StateConflict) as error:
            show_domain_error(request, error)
            return redirect("reporting:correction_list")
        if decision == "approve":
            messages.success(request, _("已批准更正申请，数据已更新为新版本，原版本仍可查看。"))
        else:
            messages.success(request, _("已驳回更正申请，企业将收到驳回理由。"))
        return redirect("reporting:correction_list")
