"""Submission pages: the list, the data-entry form, the live indicator preview, the detail page and
the workflow steps (submit, approve, verify, return) posted from it."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.generic import TemplateView

from accounts.errors import InvalidInput, NotAllowed, StateConflict
from accounts.i18n import localized
from accounts.permissions import can
from accounts.transitions import allowed_actions
from accounts.views_base import (
    RightRequiredMixin,
    ScopedDetailView,
    ScopedListView,
    ScopedObjectMixin,
    show_domain_error,
    show_domain_error_on_form,
    signed_in,
)
from factories.catalogues.bridge import ReportingCatalogue, reporting_catalogue
from factories.indicators import DEFAULT_CATALOGUE_VERSION
from factories.models import District, Enterprise
from reporting import evidence, selectors, services, tallies
from reporting.evidence import Cell
from reporting.filters import SubmissionFilter
from reporting.forms import SubmissionForm
from reporting.models import (
    SUBMISSION_TRANSITIONS,
    AnnualSubmission,
    CorrectionRequest,
    CorrectionStatus,
    ReportingYear,
    SubmissionStatus,
)
from reporting.views.common import (
    ACTION_DONE,
    TRANSITION_LABELS,
    _correction_changes,
    _labelled,
    _value_groups,
    _window,
    shown_unit,
    shown_value,
    typed_preview,
)
from reporting.views.reviews import QUEUE_PARAMS, QUEUES, kept_query, queue_url

NOT_FILED = "not_filed"
"""The submission list's status filter value for enterprises without submitted data (its own list)."""


class SubmissionListView(ScopedListView):
    """Every role's visible submissions; an enterprise also sees what to do for each open year."""

    right = "submission.view"
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
    columns = [
        ("year", _("年度")),
        ("enterprise", _("企业")),
        ("district", _("管理单位")),
        ("status", _("状态")),
        ("submitted_at", _("提交时间")),
    ]
    filterset_class = SubmissionFilter
    filter_params = ("year", "status", "district", "q")

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        # 「未填报」 lists enterprises without data, which have no row here: the non-filer list shows them.
        if request.GET.get("status") == NOT_FILED and can(request.user, "non_filer.view"):
            query = kept_query(request.GET, ("year", "district", "q"))
            return redirect(reverse("reporting:non_filers") + (f"?{query}" if query else ""))
        return super().get(request, *args, **kwargs)

    def refine_queryset(self, queryset: QuerySet) -> QuerySet:
        return queryset.select_related("enterprise", "enterprise__district", "district")

    def known_total(self) -> int | None:
        """From the tally when the list is unfiltered or filtered by year and status only (a clerk's usual
        view); None for any other filter."""
        used = {key for key, values in self.request.GET.lists() if any(values)} - {"sort", "page"}
        if not used:
            return tallies.submission_count(self.request.user)
        if not used <= {"year", "status"} or self.filterset is None or not self.filterset.form.is_valid():
            return None
        chosen = self.filterset.form.cleaned_data
        condition: dict[str, Any] = {}
        if chosen.get("year") is not None:
            condition["year"] = int(chosen["year"])
        if chosen.get("status"):
            condition["status__in"] = list(chosen["status"])
        return tallies.submission_count(self.request.user, **condition)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        user = self.request.user
        context.update(
            not_filed=NOT_FILED if can(user, "non_filer.view") else "",
            statuses=SubmissionStatus.choices,
            years=ReportingYear.objects.values_list("year", flat=True),
            districts=District.objects.all() if signed_in(self.request).sees_whole_city else None,
            can_edit=can(user, "submission.edit"),
            year_panels=self.year_panels() if can(user, "enterprise.view_own") else None,
        )
        return context

    def year_panels(self) -> list[dict[str, Any]]:
        """Reporting years an enterprise can act on: open or upcoming ones, a closed one with its draft,
        and the latest year even after its close date (late submissions are accepted, DOMAIN §5)."""
        user = signed_in(self.request)
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


class SubmissionEditView(ScopedObjectMixin, TemplateView):
    """The data-entry form of one enterprise-year; read-only, with the reason, when it cannot be edited."""

    # Whoever may read the enterprise's data opens the page; who may save is the service's `edit_blocker`
    # (a reviewer's POST is turned away with that reason), and the save checks `submission.edit` again.
    right = "submission.view"
    model = Enterprise
    pk_url_kwarg = "enterprise_id"
    template_name = "reporting/submission_edit.html"

    def setup(self, request: HttpRequest, *args: Any, **kwargs: Any) -> None:
        super().setup(request, *args, **kwargs)
        self.year = int(kwargs["year"])

    def refine_queryset(self, queryset: QuerySet) -> QuerySet:
        return queryset.select_related("district")

    def load(self) -> None:
        user = self.request.user
        self.enterprise = self.get_object()
        self.reporting_year = ReportingYear.objects.filter(year=self.year).first()
        self.submission = (
            AnnualSubmission.objects.visible_to(user)
            .filter(enterprise=self.enterprise, year=self.year)
            .first()
        )
        self.blocker = services.edit_blocker(
            user,
            enterprise=self.enterprise,
            year=self.year,
            submission=self.submission,
            reporting_year=self.reporting_year,
            in_scope=True,  # get_object read it among the user's enterprises
        )
        if self.submission is not None:
            version = self.submission.catalogue_version
        elif self.reporting_year is not None:
            version = self.reporting_year.catalogue_for(self.enterprise.industry_id)
        else:
            version = DEFAULT_CATALOGUE_VERSION
        self.catalogue = reporting_catalogue(version)
        self.loaded = self.submission

    # The evidence beside the inputs is read only when the page is drawn (a save that succeeds redirects),
    # and as it was when the page loaded: a refused submission shows the files of the draft it opened.
    @cached_property
    def evidence(self) -> dict[str, Cell]:
        return evidence.cells(self.loaded, self.catalogue, self.evidence_files)

    @cached_property
    def declaration_evidence(self) -> dict[str, Cell]:
        if self.loaded is None:
            return {}
        return evidence.declaration_cells(self.loaded, self.evidence_files)

    @cached_property
    def evidence_files(self) -> dict[str, list[Any]] | None:
        return evidence.by_field(self.loaded) if self.loaded is not None else None

    def make_form(self, data: Any = None) -> SubmissionForm:
        flagged = self.submission.yoy_flags if self.submission else ()
        initial = {}
        if self.submission is not None:
            initial = {
                **self.submission.raw_values,
                "explanation": self.submission.explanation,
                **SubmissionForm.declaration_initial(
                    self.submission.major_changes, self.submission.compliance
                ),
            }
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
                major_changes=form.major_changes(),
                compliance=form.compliance(),
            )
        except InvalidInput as error:
            show_domain_error_on_form(
                form,
                error,
                {path: form.declaration_field(path) for path in error.field_errors if "." in path},
            )
            return self.render_page(form)
        except StateConflict as error:
            show_domain_error(request, error)
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
            show_domain_error_on_form(form, error)
            return self.render_page(form)
        except StateConflict as error:
            show_domain_error(request, error)
            return redirect(request.path)
        messages.success(request, ACTION_DONE["submit"])
        return redirect("reporting:submission_detail", pk=self.submission.pk)

    def render_page(self, form: SubmissionForm | None) -> HttpResponse:
        submission = self.submission
        if form is not None:
            form.evidence, form.declaration_evidence = self.evidence, self.declaration_evidence
        if form is not None and form.is_bound:  # a refused save: preview what was typed, not what is stored
            preview = typed_preview(
                self.catalogue,
                form.data,
                selectors.previous_raw_values(self.request.user, self.enterprise.pk, self.year),
            )
        else:
            preview = {
                "indicators": _labelled(selectors.submission_indicators(submission), self.catalogue)
                if submission
                else None
            }
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
                evidence=self.evidence,
            ),
            evidence_cells=[*self.evidence.values(), *self.declaration_evidence.values()],
            requested_labels=[
                cell.label
                for cell in [*self.evidence.values(), *self.declaration_evidence.values()]
                if cell.requested
            ],
            indicator_evidence=[cell for cell in self.evidence.values() if cell.is_indicator],
            show_evidence=submission is not None,
            evidence_editable=submission is not None and not self.blocker,
            evidence_limit_mb=settings.EVIDENCE_MAX_BYTES // (1024 * 1024),
            flagged_labels=[
                localized(self.catalogue.raw_field(n).label_zh, self.catalogue.raw_field(n).label_en)
                for n in (form.flagged if form else (submission.yoy_flags if submission else ()))
            ],
            **preview,
            declared=evidence.declared(submission, self.declaration_evidence) if submission else None,
            can_request_correction=(
                submission is not None
                and submission.status == SubmissionStatus.CITY_VERIFIED
                and can(self.request.user, "correction.request")
            ),
        )
        return self.render_to_response(context)


class IndicatorPreviewView(RightRequiredMixin, View):
    """Derived indicators of the values being typed, as an HTML fragment; writes nothing."""

    right = "submission.view"
    raise_exception = True
    http_method_names = ["post"]

    def post(self, request: HttpRequest) -> HttpResponse:
        version = request.POST.get("catalogue_version", "")
        try:
            catalogue = reporting_catalogue(version or DEFAULT_CATALOGUE_VERSION)
        except KeyError:
            catalogue = reporting_catalogue(DEFAULT_CATALOGUE_VERSION)
        return render(
            request,
            "reporting/_indicator_table.html",
            {
                **typed_preview(
                    catalogue,
                    request.POST,
                    selectors.previous_raw_values(
                        request.user, request.POST.get("preview_enterprise"), request.POST.get("preview_year")
                    ),
                ),
                "preview": True,
            },
        )


class SubmissionDetailView(ScopedDetailView):
    """One enterprise-year: values, indicators, history and the workflow steps open to the user."""

    right = "submission.view"
    model = AnnualSubmission
    template_name = "reporting/submission_detail.html"

    def refine_queryset(self, queryset: QuerySet) -> QuerySet:
        return queryset.select_related("enterprise", "enterprise__district", "district")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        submission: AnnualSubmission = self.object
        user = self.request.user
        catalogue = reporting_catalogue(submission.catalogue_version)
        status = submission.status
        is_reviewer = can(user, "submission.view_history")
        corrections = list(submission.corrections.select_related("requested_by", "decided_by"))
        has_pending = any(c.status == CorrectionStatus.PENDING for c in corrections)
        actions = allowed_actions(SUBMISSION_TRANSITIONS, submission, user)
        history = selectors.field_history(submission) if is_reviewer else {}
        files = evidence.by_field(submission)
        cells = evidence.cells(submission, catalogue, files)
        declaration_cells = evidence.declaration_cells(submission, files)
        previous = (
            AnnualSubmission.objects.visible_to(user)
            .filter(enterprise_id=submission.enterprise_id, year=submission.year - 1)
            .values_list("raw_values", flat=True)
            .first()
        )
        context.update(
            catalogue=catalogue,
            window=_window(ReportingYear.objects.filter(year=submission.year).first()),
            value_groups=_value_groups(
                catalogue, submission.raw_values, submission.yoy_flags, previous, evidence=cells
            ),
            show_evidence=True,
            evidence_cells=list(cells.values()),
            indicator_evidence=[
                cell
                for cell in cells.values()
                if cell.is_indicator and (cell.items or cell.required or cell.notes)
            ],
            evidence_editable=False,
            can_note=can(user, "submission.note"),
            requested_labels=[
                cell.label for cell in [*cells.values(), *declaration_cells.values()] if cell.requested
            ],
            evidence_targets=[(cell.key, cell.label, cell.requested) for cell in cells.values()],
            declaration_targets=[
                (cell.key, cell.label, cell.requested)
                for cell in declaration_cells.values()
                if cell.uploadable
            ],
            has_previous=previous is not None,
            flagged_labels=[
                localized(catalogue.raw_field(n).label_zh, catalogue.raw_field(n).label_en)
                for n in submission.yoy_flags
            ],
            indicators=_labelled(selectors.submission_indicators(submission), catalogue),
            declared=evidence.declared(submission, declaration_cells),
            transitions=[
                {"t": t, "label": TRANSITION_LABELS.get(t.action, t.action)}
                for t in submission.transitions.select_related("actor")
            ],
            show_history=is_reviewer,
            history=[
                {
                    "label": localized(f.label_zh, f.label_en),
                    "unit": shown_unit(f),
                    "changes": [
                        {
                            **change,
                            "old": shown_value(catalogue, f.name, change["old"]),
                            "new": shown_value(catalogue, f.name, change["new"]),
                        }
                        for change in history[f.name]
                    ],
                }
                for f in catalogue.raw_fields
                if f.name in history
            ],
            versions=self.versions(catalogue, submission),
            corrections=self.correction_rows(catalogue, submission, corrections),
            can_edit=status == SubmissionStatus.DRAFT and can(user, "submission.edit"),
            can_submit="submit" in actions,
            can_approve="approve" in actions,
            can_verify="verify" in actions,
            can_return="return" in actions,
            can_correct=status == SubmissionStatus.CITY_VERIFIED
            and can(user, "correction.request")
            and not has_pending,
            has_pending_correction=has_pending,
            anomaly_flags=selectors.anomaly_flags(user, submission),
            can_dismiss=can(user, "anomaly.dismiss"),
            **self.queue_context(user, submission),
        )
        return context

    def queue_context(self, user: Any, submission: AnnualSubmission) -> dict[str, Any]:
        """Opened from a review queue (`?queue=district|city` with its filters): the queue's filters to
        carry through the review steps, and the next item of the same queue (「下一条」)."""
        queue = self.request.GET.get("queue", "")
        if queue not in QUEUES:
            return {}
        following = selectors.next_in_queue(user, queue, self.request.GET, after=submission)
        query = kept_query(self.request.GET, QUEUE_PARAMS)
        return {
            "queue": queue,
            "queue_filters": [(k, self.request.GET.get(k, "").strip()[:100]) for k in QUEUE_PARAMS],
            "queue_url": queue_url(queue, self.request.GET),
            "next_url": (
                reverse("reporting:submission_detail", args=[following.pk])
                + f"?queue={queue}"
                + (f"&{query}" if query else "")
            )
            if following
            else "",
        }

    @staticmethod
    def versions(catalogue: ReportingCatalogue, submission: AnnualSubmission) -> list[dict[str, Any]]:
        """Locked versions with what changed from the previous one; shown once data was corrected."""
        versions = list(submission.versions.select_related("created_by"))
        if len(versions) < 2:
            return []
        rows, previous = [], None
        for version in versions:
            changes: list[dict[str, Any]] = []
            if previous is not None:
                changes = [
                    {
                        "label": localized(f.label_zh, f.label_en),
                        "unit": shown_unit(f),
                        "old": shown_value(catalogue, f.name, previous.raw_values.get(f.name)),
                        "new": shown_value(catalogue, f.name, version.raw_values.get(f.name)),
                    }
                    for f in catalogue.raw_fields
                    if previous.raw_values.get(f.name) != version.raw_values.get(f.name)
                ]
            rows.append({"v": version, "changes": changes})
            previous = version
        return rows

    @staticmethod
    def correction_rows(
        catalogue: ReportingCatalogue, submission: AnnualSubmission, corrections: list[CorrectionRequest]
    ) -> list[dict[str, Any]]:
        return [{"c": c, "changes": _correction_changes(catalogue, submission, c)} for c in corrections]


class SubmissionActionView(ScopedObjectMixin, View):
    """One workflow step (submit, approve, verify, return) as a POST; refusals come back as messages."""

    rights = {
        "submit": "submission.submit",
        "approve": "submission.approve",
        "verify": "submission.verify",
        "return": "submission.return",
    }
    # Another unit's submission answers 404 before a refused role hears 403, as in the services.
    check_after_lookup = True
    model = AnnualSubmission
    http_method_names = ["post"]

    def refine_queryset(self, queryset: QuerySet) -> QuerySet:
        return queryset.select_related("enterprise")

    def queue_suffix(self) -> str:
        """The queue and its filters, to keep on the detail page after a refused step."""
        queue = self.request.POST.get("queue", "")
        if queue not in QUEUES:
            return ""
        query = kept_query(self.request.POST, QUEUE_PARAMS)
        return f"?queue={queue}" + (f"&{query}" if query else "")

    def post(self, request: HttpRequest, pk: int, action: str) -> HttpResponse:
        submission = self.get_object()
        text = request.POST.get("reason", "")
        detail = reverse("reporting:submission_detail", args=[submission.pk])
        try:
            if action == "submit":
                services.submission_submit(actor=request.user, submission=submission)
            elif action == "approve":
                services.submission_approve(actor=request.user, submission=submission, comment=text.strip())
            elif action == "verify":
                services.submission_verify(actor=request.user, submission=submission, comment=text.strip())
            else:
                services.submission_return(
                    actor=request.user,
                    submission=submission,
                    reason=text,
                    evidence_requested=request.POST.getlist("evidence_requested"),
                )
        except NotAllowed as error:
            raise PermissionDenied(str(error.message)) from error
        except InvalidInput as error:
            show_domain_error(request, error)
            if action == "submit" and can(request.user, "submission.edit"):
                return redirect("reporting:submission_edit", submission.enterprise_id, submission.year)
            return HttpResponseRedirect(detail + self.queue_suffix())
        except StateConflict as error:
            show_domain_error(request, error)
            return HttpResponseRedirect(detail + self.queue_suffix())
        messages.success(request, ACTION_DONE[action])
        queue = request.POST.get("queue", "")
        if queue in QUEUES and action in ("approve", "verify", "return"):
            return HttpResponseRedirect(self.next_in_queue(queue, submission))
        return HttpResponseRedirect(detail)

    def next_in_queue(self, queue: str, submission: AnnualSubmission) -> str:
        """「下一条」: after a review step taken from a queue, the next item of the same queue with the
        same filters; when nothing is left, the item just reviewed."""
        following = selectors.next_in_queue(self.request.user, queue, self.request.POST, after=submission)
        query = kept_query(self.request.POST, QUEUE_PARAMS)
        if following is None:
            # Nothing left: stay on the item just reviewed (its new state), with the way back to the queue.
            messages.info(self.request, _("队列中已没有其他待处理的数据。"))
            following = submission
        url = reverse("reporting:submission_detail", args=[following.pk]) + f"?queue={queue}"
        return url + (f"&{query}" if query else "")


class AnomalyDismissView(ScopedObjectMixin, View):
    """A reviewer dismisses one anomaly flag of a submission with a reason (reporting.anomalies)."""

    right = "anomaly.dismiss"
    check_after_lookup = True
    model = AnnualSubmission
    http_method_names = ["post"]

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        submission = self.get_object()
        detail = reverse("reporting:submission_detail", args=[submission.pk])
        queue = request.POST.get("queue", "")
        if queue in QUEUES:
            query = kept_query(request.POST, QUEUE_PARAMS)
            detail += f"?queue={queue}" + (f"&{query}" if query else "")
        try:
            services.anomaly_dismiss(
                actor=request.user,
                submission=submission,
                kind=request.POST.get("kind", ""),
                field_or_indicator=request.POST.get("field_or_indicator", ""),
                reason=request.POST.get("reason", ""),
            )
        except NotAllowed as error:
            raise PermissionDenied(str(error.message)) from error
        except (InvalidInput, StateConflict) as error:
            show_domain_error(request, error)
            return HttpResponseRedirect(detail + "#anomalies")
        messages.success(request, _("已排除该异常提示，理由已记录。"))
        return HttpResponseRedirect(detail + "#anomalies")
