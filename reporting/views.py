"""HTML pages for annual data: lists, the data-entry form, review queues, corrections, years, notifications.

Views parse input, call one service or selector and render. Every object is looked up through
`visible_to(user)`, so rows outside the user's scope answer 404; every write is a service call.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.db.models import BooleanField, Count, ExpressionWrapper, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.generic import ListView, TemplateView

from accounts.errors import DomainError, InvalidInput, NotAllowed, StateConflict
from accounts.permissions import can
from accounts.views_base import RoleRequiredMixin, ScopedDetailView, ScopedListView
from factories.indicators import (
    CATALOGUES,
    DEFAULT_CATALOGUE_VERSION,
    Catalogue,
    IndicatorValue,
    Status,
    derive_indicators,
    get_catalogue,
    validate_raw,
)
from factories.models import District, Enterprise
from reporting import selectors, services
from reporting.filters import SubmissionFilter
from reporting.forms import (
    CorrectionForm,
    SubmissionForm,
    YearOpenForm,
    YearWindowForm,
    add_service_errors,
    localized,
)
from reporting.models import (
    AnnualSubmission,
    CorrectionRequest,
    CorrectionStatus,
    Notification,
    ReportingYear,
    SubmissionStatus,
)
from reporting.values import parse_raw_values

INDICATOR_STATUS_LABELS = {
    Status.OK: _("正常"),
    Status.NOT_APPLICABLE: _("不适用"),
    Status.NOT_REPORTED: _("未填报"),
}
WINDOW_STATE_LABELS = {"not_open": _("尚未开放"), "open": _("填报中"), "closed": _("已截止")}
TRANSITION_LABELS = {
    "submit": _("提交"),
    "approve": _("区县审核通过"),
    "verify": _("市级复核通过"),
    "return": _("退回修改"),
    "correct": _("更正（新版本）"),
}
ACTION_DONE = {
    "submit": _("已提交，等待区县经信部门审核。"),
    "approve": _("已审核通过，已转市经济信息委复核。"),
    "verify": _("已复核通过，数据已锁定。"),
    "return": _("已退回，企业将收到退回原因。"),
}
REVIEWER_ROLES = ("city", "district", "auditor")


# --- small helpers --------------------------------------------------------------------------------


def _flash(request: HttpRequest, error: DomainError) -> None:
    """A service's refusal as messages; field messages already name their field, so they stand alone."""
    texts = [str(text) for texts in error.field_errors.values() for text in texts]
    for text in texts or [str(error.message)]:
        messages.error(request, text)


def _indicator_rows(catalogue: Catalogue, values: Mapping[str, IndicatorValue]) -> list[dict[str, Any]]:
    rows = []
    for indicator in catalogue.indicators:
        value = values[indicator.code]
        rows.append(
            {
                "code": indicator.code,
                "name": indicator.name_zh,
                "name_en": indicator.name_en,
                "value": None if value.value is None else format(value.value, "f"),
                "unit": indicator.unit,
                "status": str(value.status),
                "formula": indicator.formula_zh,
                "direction": str(indicator.direction),
            }
        )
    return _labelled(rows)


def _labelled(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Indicator rows (as the selector returns them) with the label and status text of the UI language."""
    return [
        {
            **row,
            "label": localized(row["name"], row["name_en"]),
            "status_label": INDICATOR_STATUS_LABELS[Status(row["status"])],
        }
        for row in rows
    ]


def _value_groups(
    catalogue: Catalogue,
    raw_values: Mapping[str, Any],
    flagged: Any = (),
    previous: Mapping[str, Any] | None = None,
) -> list[dict[str, Any]]:
    """Raw values grouped by dimension for read-only display, with last year's value when known."""
    return [
        {
            "name": localized(group.name_zh, group.name_en),
            "rows": [
                {
                    "name": f.name,
                    "label": localized(f.label_zh, f.label_en),
                    "unit": f.unit,
                    "value": raw_values.get(f.name),
                    "previous": previous.get(f.name) if previous is not None else None,
                    "flagged": f.name in flagged,
                }
                for f in raw_fields
            ],
        }
        for group, raw_fields in catalogue.field_groups()
    ]


def _window(reporting_year: ReportingYear | None) -> dict[str, Any] | None:
    if reporting_year is None:
        return None
    state = reporting_year.window_state(services.today())
    return {"year": reporting_year, "state": state, "state_label": WINDOW_STATE_LABELS[state]}


class SortedListMixin:
    """Applies `?sort=` (ScopedQuerysetMixin builds the queryset without ListView's ordering) and
    describes the sortable column headers for the template."""

    request: HttpRequest
    sort_columns: list[tuple[str, Any]] = []

    def order(self, queryset: QuerySet) -> QuerySet:
        ordering = self.get_ordering()  # type: ignore[attr-defined]
        return queryset.order_by(*ordering) if ordering else queryset

    def sort_headers(self) -> list[dict[str, Any]]:
        current = self.request.GET.get("sort", "")
        query = self.request.GET.copy()
        query.pop("page", None)
        headers = []
        for key, label in self.sort_columns:
            query["sort"] = f"-{key}" if current == key else key
            aria = "ascending" if current == key else "descending" if current == f"-{key}" else ""
            headers.append({"key": key, "label": label, "url": "?" + query.urlencode(), "aria_sort": aria})
        return headers


# --- submissions ---------------------------------------------------------------------------------


class SubmissionListView(SortedListMixin, ScopedListView):
    """Every role's visible submissions; an enterprise also sees what to do for each open year."""

    model = AnnualSubmission
    template_name = "reporting/submission_list.html"
    ordering_fields = {
        "year": "year",
        "enterprise": "enterprise__name",
        "district": "enterprise__district__code",
        "status": "status",
        "submitted_at": "submitted_at",
    }
    default_ordering = ["-year", "-pk"]  # served by the (year, id) index; name sort on request
    sort_columns = [
        ("year", _("年度")),
        ("enterprise", _("企业")),
        ("district", _("管理单位")),
        ("status", _("状态")),
        ("submitted_at", _("提交时间")),
    ]

    def refine_queryset(self, queryset: QuerySet) -> QuerySet:
        queryset = queryset.select_related("enterprise", "enterprise__district", "district")
        return self.order(SubmissionFilter(self.request.GET, queryset=queryset).qs)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        user = self.request.user
        context.update(
            sort_headers=self.sort_headers(),
            statuses=SubmissionStatus.choices,
            years=ReportingYear.objects.values_list("year", flat=True),
            districts=District.objects.all() if user.sees_whole_city else None,
            filtered=any(self.request.GET.get(k) for k in ("year", "status", "district", "q")),
            can_edit=can(user, "submission.edit"),
            year_panels=self.year_panels() if user.role == "enterprise" else None,
        )
        return context

    def year_panels(self) -> list[dict[str, Any]]:
        """Reporting years an enterprise can act on: open or upcoming ones, a closed one with its draft,
        and the latest year even after its close date (late submissions are accepted, DOMAIN §5)."""
        user = self.request.user
        years = list(ReportingYear.objects.all())
        submissions = {
            s.year: s
            for s in AnnualSubmission.objects.visible_to(user).filter(year__in=[y.year for y in years])
        }
        latest = max((y.year for y in years), default=None)
        panels = []
        for reporting_year in years:
            submission = submissions.get(reporting_year.year)
            if reporting_year.window_state(services.today()) == "closed":
                has_draft = submission is not None and submission.status == SubmissionStatus.DRAFT
                late_start = submission is None and reporting_year.year == latest
                if not (has_draft or late_start):
                    continue
            panels.append(
                {
                    "window": _window(reporting_year),
                    "submission": submission,
                    "edit_url": reverse(
                        "reporting:submission_edit", args=[user.enterprise_id, reporting_year.year]
                    ),
                }
            )
        return panels


class SubmissionEditView(RoleRequiredMixin, TemplateView):
    """The data-entry form of one enterprise-year; read-only, with the reason, when it cannot be edited."""

    template_name = "reporting/submission_edit.html"

    def setup(self, request: HttpRequest, *args: Any, **kwargs: Any) -> None:
        super().setup(request, *args, **kwargs)
        self.year = int(kwargs["year"])

    def load(self) -> None:
        user = self.request.user
        self.enterprise = get_object_or_404(
            Enterprise.objects.visible_to(user).select_related("district"), pk=self.kwargs["enterprise_id"]
        )
        self.reporting_year = ReportingYear.objects.filter(year=self.year).first()
        self.submission = (
            AnnualSubmission.objects.visible_to(user)
            .filter(enterprise=self.enterprise, year=self.year)
            .first()
        )
        self.blocker = services.edit_blocker(
            user, enterprise=self.enterprise, year=self.year, submission=self.submission
        )
        if self.submission is not None:
            version = self.submission.catalogue_version
        elif self.reporting_year is not None:
            version = self.reporting_year.catalogue_version
        else:
            version = DEFAULT_CATALOGUE_VERSION
        self.catalogue = get_catalogue(version)

    def make_form(self, data: Any = None) -> SubmissionForm:
        flagged = self.submission.yoy_flags if self.submission else ()
        initial = {}
        if self.submission is not None:
            initial = {**self.submission.raw_values, "explanation": self.submission.explanation}
        return SubmissionForm(data, initial=initial, catalogue=self.catalogue, flagged=flagged)

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        self.load()
        return self.render_page(None if self.blocker else self.make_form())

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        self.load()
        if self.blocker:
            messages.error(request, self.blocker)
            return redirect(request.path)
        form = self.make_form(request.POST)
        if not form.is_valid():
            return self.render_page(form)
        try:
            self.submission = services.submission_save_draft(
                actor=request.user,
                enterprise=self.enterprise,
                year=self.year,
                values=form.raw_values(),
                explanation=form.cleaned_data["explanation"],
            )
        except InvalidInput as error:
            add_service_errors(form, error)
            return self.render_page(form)
        except StateConflict as error:
            messages.error(request, str(error.message))
            return redirect(request.path)
        except NotAllowed as error:
            raise PermissionDenied(str(error.message)) from error
        form.flagged = set(self.submission.yoy_flags)
        if request.POST.get("action") != "submit":
            messages.success(request, _("草稿已保存。提交前可随时修改。"))
            return redirect(request.path)
        try:
            services.submission_submit(actor=request.user, submission=self.submission)
        except InvalidInput as error:
            messages.warning(request, _("草稿已保存，但尚未提交：请先处理下方标出的问题。"))
            add_service_errors(form, error)
            return self.render_page(form)
        except StateConflict as error:
            messages.error(request, str(error.message))
            return redirect(request.path)
        messages.success(request, ACTION_DONE["submit"])
        return redirect("reporting:submission_detail", pk=self.submission.pk)

    def render_page(self, form: SubmissionForm | None) -> HttpResponse:
        submission = self.submission
        if form is not None and form.is_bound:  # a refused save: preview what was typed, not what is stored
            preview = typed_preview(self.catalogue, form.data)
        else:
            preview = {"indicators": _labelled(selectors.submission_indicators(submission)) if submission else None}
        context = self.get_context_data(
            enterprise=self.enterprise,
            year=self.year,
            submission=submission,
            window=_window(self.reporting_year),
            blocker=self.blocker,
            form=form,
            catalogue=self.catalogue,
            value_groups=None
            if form
            else _value_groups(
                self.catalogue,
                submission.raw_values if submission else {},
                submission.yoy_flags if submission else (),
            ),
            flagged_labels=[
                localized(self.catalogue.raw_field(n).label_zh, self.catalogue.raw_field(n).label_en)
                for n in (form.flagged if form else (submission.yoy_flags if submission else ()))
            ],
            **preview,
            can_request_correction=(
                submission is not None
                and submission.status == SubmissionStatus.CITY_VERIFIED
                and can(self.request.user, "correction.request")
            ),
        )
        return self.render_to_response(context)


class IndicatorPreviewView(LoginRequiredMixin, View):
    """Derived indicators of the values being typed, as an HTML fragment; writes nothing."""

    raise_exception = True
    http_method_names = ["post"]

    def post(self, request: HttpRequest) -> HttpResponse:
        version = request.POST.get("catalogue_version", "")
        catalogue = get_catalogue(version if version in CATALOGUES else DEFAULT_CATALOGUE_VERSION)
        return render(
            request, "reporting/_indicator_table.html", {**typed_preview(catalogue, request.POST), "preview": True}
        )


def typed_preview(catalogue: Any, data: Any) -> dict[str, Any]:
    """The indicators and problems of values as typed (not yet saved): the live preview, and the preview
    shown again with a form that was refused."""
    names = [f.name for f in catalogue.raw_fields]
    parsed, errors = parse_raw_values(catalogue, {n: data.get(n, "") for n in names})
    values = {name: parsed.get(name) for name in names}
    problems = [text for texts in errors.values() for text in texts]
    problems += [text for texts in validate_raw(values, catalogue).values() for text in texts]
    return {"indicators": _indicator_rows(catalogue, derive_indicators(values, catalogue)), "problems": problems}


class SubmissionDetailView(ScopedDetailView):
    """One enterprise-year: values, indicators, history and the workflow steps open to the user."""

    model = AnnualSubmission
    template_name = "reporting/submission_detail.html"

    def refine_queryset(self, queryset: QuerySet) -> QuerySet:
        return queryset.select_related("enterprise", "enterprise__district", "district")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        submission: AnnualSubmission = self.object
        user = self.request.user
        catalogue = get_catalogue(submission.catalogue_version)
        status = submission.status
        is_reviewer = user.role in REVIEWER_ROLES
        corrections = list(submission.corrections.select_related("requested_by", "decided_by"))
        has_pending = any(c.status == CorrectionStatus.PENDING for c in corrections)
        history = selectors.field_history(submission) if is_reviewer else {}
        previous = (
            AnnualSubmission.objects.visible_to(user)
            .filter(enterprise_id=submission.enterprise_id, year=submission.year - 1)
            .values_list("raw_values", flat=True)
            .first()
        )
        context.update(
            catalogue=catalogue,
            window=_window(ReportingYear.objects.filter(year=submission.year).first()),
            value_groups=_value_groups(catalogue, submission.raw_values, submission.yoy_flags, previous),
            has_previous=previous is not None,
            flagged_labels=[
                localized(catalogue.raw_field(n).label_zh, catalogue.raw_field(n).label_en)
                for n in submission.yoy_flags
            ],
            indicators=_labelled(selectors.submission_indicators(submission)),
            transitions=[
                {"t": t, "label": TRANSITION_LABELS.get(t.action, t.action)}
                for t in submission.transitions.select_related("actor")
            ],
            show_history=is_reviewer,
            history=[
                {"label": localized(f.label_zh, f.label_en), "unit": f.unit, "changes": history[f.name]}
                for f in catalogue.raw_fields
                if f.name in history
            ],
            versions=self.versions(catalogue, submission),
            corrections=self.correction_rows(catalogue, submission, corrections),
            can_edit=status == SubmissionStatus.DRAFT and can(user, "submission.edit"),
            can_submit=status == SubmissionStatus.DRAFT and can(user, "submission.submit"),
            can_approve=status == SubmissionStatus.SUBMITTED and can(user, "submission.approve"),
            can_verify=status == SubmissionStatus.DISTRICT_APPROVED and can(user, "submission.verify"),
            can_return=status in (SubmissionStatus.SUBMITTED, SubmissionStatus.DISTRICT_APPROVED)
            and can(user, "submission.return"),
            can_correct=status == SubmissionStatus.CITY_VERIFIED
            and can(user, "correction.request")
            and not has_pending,
            has_pending_correction=has_pending,
        )
        return context

    @staticmethod
    def versions(catalogue: Catalogue, submission: AnnualSubmission) -> list[dict[str, Any]]:
        """Locked versions with what changed from the previous one; shown once data was corrected."""
        versions = list(submission.versions.select_related("created_by"))
        if len(versions) < 2:
            return []
        rows, previous = [], None
        for version in versions:
            changes = []
            if previous is not None:
                changes = [
                    {
                        "label": localized(f.label_zh, f.label_en),
                        "unit": f.unit,
                        "old": previous.raw_values.get(f.name),
                        "new": version.raw_values.get(f.name),
                    }
                    for f in catalogue.raw_fields
                    if previous.raw_values.get(f.name) != version.raw_values.get(f.name)
                ]
            rows.append({"v": version, "changes": changes})
            previous = version
        return rows

    @staticmethod
    def correction_rows(
        catalogue: Catalogue, submission: AnnualSubmission, corrections: list[CorrectionRequest]
    ) -> list[dict[str, Any]]:
        return [{"c": c, "changes": _correction_changes(catalogue, submission, c)} for c in corrections]


def _correction_changes(
    catalogue: Catalogue, submission: AnnualSubmission, correction: CorrectionRequest
) -> list[dict[str, Any]]:
    """Requested values; the current value is shown next to them while the request is pending."""
    pending = correction.status == CorrectionStatus.PENDING
    return [
        {
            "label": localized(f.label_zh, f.label_en),
            "unit": f.unit,
            "old": submission.raw_values.get(f.name) if pending else None,
            "new": correction.new_values[f.name],
        }
        for f in catalogue.raw_fields
        if f.name in correction.new_values
    ]


class SubmissionActionView(RoleRequiredMixin, View):
    """One workflow step (submit, approve, verify, return) as a POST; refusals come back as messages."""

    http_method_names = ["post"]

    def post(self, request: HttpRequest, pk: int, action: str) -> HttpResponse:
        submission = get_object_or_404(
            AnnualSubmission.objects.visible_to(request.user).select_related("enterprise"), pk=pk
        )
        text = request.POST.get("reason", "")
        detail = reverse("reporting:submission_detail", args=[submission.pk])
        try:
            if action == "submit":
                services.submission_submit(actor=request.user, submission=submission)
            elif action == "approve":
                services.submission_approve(actor=request.user, submission=submission, comment=text.strip())
            elif action == "verify":
                services.submission_verify(actor=request.user, submission=submission, comment=text.strip())
            elif action == "return":
                services.submission_return(actor=request.user, submission=submission, reason=text)
            else:
                raise Http404
        except NotAllowed as error:
            raise PermissionDenied(str(error.message)) from error
        except InvalidInput as error:
            _flash(request, error)
            if action == "submit" and can(request.user, "submission.edit"):
                return redirect("reporting:submission_edit", submission.enterprise_id, submission.year)
            return HttpResponseRedirect(detail)
        except StateConflict as error:
            _flash(request, error)
            return HttpResponseRedirect(detail)
        messages.success(request, ACTION_DONE[action])
        return HttpResponseRedirect(detail)


# --- review queues -------------------------------------------------------------------------------


class ReviewQueueView(SortedListMixin, ScopedListView):
    """What waits for this reviewer (selectors.review_queue), oldest first."""

    model = AnnualSubmission
    template_name = "reporting/review_queue.html"
    title: Any = ""
    intro: Any = ""
    waiting_since: str = "submitted_at"
    sort_columns = [
        ("enterprise", _("企业")),
        ("year", _("年度")),
        ("waiting", _("等待自")),
    ]

    def get_queryset(self) -> QuerySet:
        self.queue = selectors.review_queue(self.request.user)
        queryset = SubmissionFilter(self.request.GET, queryset=self.queue).qs
        return self.order(queryset)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.update(
            title=self.title,
            intro=self.intro,
            waiting_since=self.waiting_since,
            sort_headers=self.sort_headers(),
            counts=self.queue.aggregate(
                total=Count("pk"),
                late=Count("pk", filter=Q(late=True)),
                flagged=Count("pk", filter=~Q(yoy_flags=[])),
            ),
            years=ReportingYear.objects.values_list("year", flat=True),
            filtered=any(self.request.GET.get(k) for k in ("year", "q")),
        )
        return context


class DistrictQueueView(ReviewQueueView):
    permission = "submission.approve"
    title = _("区县审核")
    intro = _("本区县企业已提交、等待审核的年度数据。审核通过后转市经济信息委复核；有问题请退回并写明原因。")
    waiting_since = "submitted_at"
    ordering_fields = {"enterprise": "enterprise__name", "year": "year", "waiting": "submitted_at"}
    default_ordering = ["submitted_at", "pk"]


class CityQueueView(ReviewQueueView):
    permission = "submission.verify"
    title = _("市级复核")
    intro = _("区县已审核、等待市级复核的年度数据。复核通过后数据锁定，用于分级评价。")
    waiting_since = "approved_at"
    ordering_fields = {"enterprise": "enterprise__name", "year": "year", "waiting": "approved_at"}
    default_ordering = ["approved_at", "pk"]


# --- corrections ---------------------------------------------------------------------------------


class CorrectionCreateView(RoleRequiredMixin, TemplateView):
    """Ask to change locked data: the reason and the changed fields (DOMAIN §5)."""

    permission = "correction.request"
    template_name = "reporting/correction_form.html"

    def load(self) -> AnnualSubmission:
        return get_object_or_404(
            AnnualSubmission.objects.visible_to(self.request.user).select_related("enterprise"),
            pk=self.kwargs["pk"],
        )

    def make_form(self, submission: AnnualSubmission, data: Any = None) -> CorrectionForm:
        return CorrectionForm(
            data, initial=submission.raw_values, catalogue=get_catalogue(submission.catalogue_version)
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
            )
        except InvalidInput as error:
            add_service_errors(form, error)
            return self.render_page(submission, form)
        except StateConflict as error:
            _flash(request, error)
            return redirect("reporting:submission_detail", pk=submission.pk)
        messages.success(request, _("更正申请已提交，等待市经济信息委审批。审批前原数据保持不变。"))
        return redirect("reporting:submission_detail", pk=submission.pk)

    def render_page(self, submission: AnnualSubmission, form: CorrectionForm) -> HttpResponse:
        return self.render_to_response(self.get_context_data(submission=submission, form=form))


class CorrectionListView(ScopedListView):
    """Correction requests in the user's scope; the city decides the pending ones."""

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
                    get_catalogue(c.submission.catalogue_version), c.submission, c
                ),
            }
            for c in context["object_list"]
        ]
        context["statuses"] = CorrectionStatus.choices
        context["can_decide"] = can(self.request.user, "correction.decide")
        return context


class CorrectionDecideView(RoleRequiredMixin, View):
    """The city approves (a new version replaces the data) or rejects (with a reason) a correction."""

    permission = "correction.decide"
    http_method_names = ["post"]

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        correction = get_object_or_404(CorrectionRequest.objects.visible_to(request.user), pk=pk)
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
            _flash(request, error)
            return redirect("reporting:correction_list")
        if decision == "approve":
            messages.success(request, _("已批准更正申请，数据已更新为新版本，原版本仍可查看。"))
        else:
            messages.success(request, _("已驳回更正申请，企业将收到驳回理由。"))
        return redirect("reporting:correction_list")


# --- reporting years ----------------------------------------------------------------------------


class YearListView(LoginRequiredMixin, TemplateView):
    """Reporting years and their windows for everyone; the city opens years and moves windows."""

    template_name = "reporting/year_list.html"

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return self.render_page()

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not can(request.user, "reporting_year.manage"):
            raise PermissionDenied
        if request.POST.get("form") == "window":
            return self.update_window()
        form = YearOpenForm(request.POST)
        if form.is_valid():
            try:
                services.reporting_year_open(actor=request.user, **form.cleaned_data)
            except InvalidInput as error:
                add_service_errors(form, error)
            else:
                messages.success(request, _("{year}年度已开放填报。").format(year=form.cleaned_data["year"]))
                return redirect("reporting:year_list")
        return self.render_page(open_form=form)

    def update_window(self) -> HttpResponse:
        form = YearWindowForm(self.request.POST)
        if form.is_valid():
            data = form.cleaned_data
            reporting_year = get_object_or_404(
                ReportingYear.objects.visible_to(self.request.user), year=data["year"]
            )
            try:
                services.reporting_year_update(
                    actor=self.request.user,
                    reporting_year=reporting_year,
                    opens_on=data["opens_on"],
                    closes_on=data["closes_on"],
                    reason=data["reason"],
                )
            except InvalidInput as error:
                add_service_errors(form, error)
            else:
                messages.success(self.request, _("{year}年度填报窗口已调整。").format(year=data["year"]))
                return redirect("reporting:year_list")
        return self.render_page(window_form=form)

    def render_page(
        self, open_form: YearOpenForm | None = None, window_form: YearWindowForm | None = None
    ) -> HttpResponse:
        user = self.request.user
        manage = can(user, "reporting_year.manage")
        counts: dict[int, dict[str, int]] = {}
        for row in AnnualSubmission.objects.visible_to(user).values("year", "status").annotate(n=Count("pk")):
            counts.setdefault(row["year"], {})[row["status"]] = row["n"]
        bound_year = window_form.data.get("year") if window_form is not None else None
        rows = []
        for reporting_year in ReportingYear.objects.visible_to(user):
            by_status = counts.get(reporting_year.year, {})
            form = None
            if manage:
                form = (
                    window_form
                    if bound_year == str(reporting_year.year)
                    else YearWindowForm(
                        initial={
                            "year": reporting_year.year,
                            "opens_on": reporting_year.opens_on,
                            "closes_on": reporting_year.closes_on,
                        }
                    )
                )
            rows.append(
                {
                    "window": _window(reporting_year),
                    "total": sum(by_status.values()),
                    "counts": [
                        (label, by_status.get(value, 0), value) for value, label in SubmissionStatus.choices
                    ],
                    "form": form,
                }
            )
        if manage and open_form is None:
            last_year = services.today().year - 1
            opened = {row["window"]["year"].year for row in rows}
            open_form = YearOpenForm(initial={"year": None if last_year in opened else last_year})
        return self.render_to_response(
            self.get_context_data(rows=rows, open_form=open_form, can_manage=manage)
        )


# --- notifications ------------------------------------------------------------------------------


class NotificationListView(LoginRequiredMixin, ListView):
    """The user's own notifications, unread first."""

    template_name = "reporting/notification_list.html"
    paginate_by = 25

    def get_queryset(self) -> QuerySet:
        return (
            Notification.objects.visible_to(self.request.user)
            .annotate(is_unread=ExpressionWrapper(Q(read_at__isnull=True), output_field=BooleanField()))
            .order_by("-is_unread", "-created_at", "-pk")
        )

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        query = self.request.GET.copy()
        query.pop("page", None)
        context["querystring"] = query.urlencode()
        context["unread_count"] = Notification.objects.visible_to(self.request.user).unread().count()
        return context


class NotificationMarkReadView(LoginRequiredMixin, View):
    """Mark all of the user's notifications read."""

    http_method_names = ["post"]

    def post(self, request: HttpRequest) -> HttpResponse:
        count = services.notification_mark_read(actor=request.user)
        messages.success(request, _("已将 {n} 条通知标为已读。").format(n=count))
        return redirect("reporting:notification_list")
