"""Grading runs: the list, starting a run, the run page with its results and diff, the progress poll,
the publish/finalize/retry actions, and deciding the revocations a run proposed.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, F, Q, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views import View

from accounts import exports, jobs
from accounts.charts import bar_chart
from accounts.errors import DomainError
from accounts.permissions import can
from accounts.transitions import allowed_actions
from accounts.views_base import (
    JobProgressView,
    ScopedDetailView,
    ScopedListView,
    ScopedObjectMixin,
    ServiceFormView,
    safe_next,
    show_domain_error,
    sort_headers,
)
from factories.grading import selectors, services
from factories.grading.api import ResultFilter
from factories.grading.forms import PublishForm, RunStartForm
from factories.grading.views.common import (
    OVERRIDE_CODES,
    PHASE_MESSAGES,
    PROPOSAL_BADGES,
    PROPOSAL_REASONS,
    ReasonWriter,
    run_badge,
)
from factories.models import (
    GRADING_RUN_TRANSITIONS,
    REVOCATION_TRANSITIONS,
    District,
    Grade,
    GradingResult,
    GradingRun,
    GradingStandard,
    Industry,
    RevocationProposal,
    RunStatus,
    StandardStatus,
    Tier,
)
from factories.words import decided_label

DIFF_CAUSE_LABELS = {
    "data": _("数据变化"),
    "incident": _("事故与违规"),
    "score": _("得分变化"),
    "standard": _("标准变化"),
}


class RunListView(ScopedListView):
    """Grading runs by year with status, progress and standard; city staff start a run here."""

    right = "grading_run.view"
    model = GradingRun
    template_name = "factories/grading/run_list.html"
    paginate_by = 50

    def get_queryset(self) -> QuerySet[GradingRun]:
        return (
            selectors.runs_for(self.request.user)
            .annotate(
                pending_proposals=Count(
                    "revocation_proposals", filter=Q(revocation_proposals__status="proposed")
                )
            )
            .order_by("-year", "-created_at", "-id")
        )

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        user = self.request.user
        for run in context["object_list"]:
            run.badge = run_badge(run.status)
        context["can_manage"] = can(user, "grading.manage")
        if context["can_manage"]:
            context["form"] = RunStartForm(user=user)
        context["drafts"] = GradingStandard.objects.filter(status=StandardStatus.DRAFT).exists()
        if context["can_manage"]:
            context["readiness"] = readiness_of(context["form"])
        return context


def readiness_of(form: RunStartForm) -> list[selectors.DataReadiness]:
    """The data situation of each year the start form offers, shown before its button."""
    field = form.fields["year"]
    years = [int(value) for value, _label in getattr(field, "choices", [])][:3]
    return [selectors.data_readiness(year) for year in years]


class RunStartView(ServiceFormView):
    """Start an official run of a year, or a simulation with a draft standard (city staff)."""

    right = "grading.manage"
    form_class = RunStartForm
    template_name = "factories/grading/run_start.html"

    def get_initial(self) -> dict[str, Any]:
        initial: dict[str, Any] = {}
        if self.request.GET.get("standard"):
            initial.update(standard=self.request.GET["standard"], simulation=True)
        return initial

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["readiness"] = readiness_of(context["form"])
        return context

    def get_success_message(self, result: GradingRun) -> str:
        # Neutral on purpose: the run page below shows its live state (and says it refreshes only while it
        # is running); a small run is often finished before that page opens.
        kind = _("预评价/模拟") if result.is_simulation else _("评价")
        submitted = str(_("已提交{year}年度{kind}。")).format(year=result.year, kind=kind)
        return f"{submitted}{jobs.BROKER_DOWN}" if jobs.send_failed(result) else submitted

    def get_success_url_for(self, result: GradingRun) -> str:
        return reverse("factories:run_detail", args=[result.pk])


class RunDetailView(ScopedDetailView):
    """A run: live progress, counts by grade, the results, the diff against the published run,
    publication and the revocations it proposed."""

    right = "grading_run.view"
    model = GradingRun
    template_name = "factories/grading/run_detail.html"
    paginate_by = 25
    ordering_fields = {
        "name": "enterprise__name",
        "l": "level_score",
        "s": "improvement_score",
        "c": "composite_score",
        "q": "q",
        "grade": "grade",
    }
    columns = [
        ("name", _("企业")),
        ("l", _("水平 L")),
        ("s", _("提升 S")),
        ("c", _("综合 C")),
        ("q", _("排名 q")),
        (None, _("对标组")),
        (None, _("计算等级")),
        ("grade", _("最终等级")),
        (None, _("决定规则")),
        (None, _("撤销建议")),
    ]

    def scoped_queryset(self) -> QuerySet[GradingRun]:
        return selectors.runs_for(self.request.user)

    def results(self, run: GradingRun) -> QuerySet[GradingResult]:
        queryset = ResultFilter(
            self.request.GET, queryset=run.results.select_related("enterprise", "district", "industry")
        ).qs
        key = self.request.GET.get("sort") or "-c"
        field = self.ordering_fields.get(key.lstrip("-"), "composite_score")
        expression = F(field).desc(nulls_last=True) if key.startswith("-") else F(field).asc(nulls_last=True)
        return queryset.order_by(expression, "enterprise__name", "pk")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        run: GradingRun = self.object
        user = self.request.user
        request = self.request
        writer = ReasonWriter(run.standard.parameters.get("catalogue_version"))
        finished = run.status not in (RunStatus.QUEUED, RunStatus.RUNNING, RunStatus.FAILED)
        context.update(
            run=run,
            badge=run_badge(run.status),
            finished=finished,
            can_decide=can(user, "incident.manage") and not run.is_simulation,
            progress_message=self.progress_message(run),
            current_published=run.is_published and run.superseded_by_id is None,
        )
        if finished:
            context.update(self.outcome(run, writer))
            page = Paginator(self.results(run), self.paginate_by).get_page(request.GET.get("page"))
            shown: list[Any] = list(page.object_list)  # decorated for display below
            for result in shown:
                result.rule_label = decided_label(result.decided_by)
                result.rule_text = writer.rule(result.decided_by, result.reasons)
            query = request.GET.copy()
            query.pop("page", None)
            context.update(
                page_obj=page,
                is_paginated=page.has_other_pages(),
                results=shown,
                querystring=query.urlencode(),
                headers=sort_headers(request, self.columns),
                values={k: request.GET.get(k, "") for k in ("district", "industry", "grade", "tier")},
                districts=District.objects.filter(pk__in=run.results.values("district_id")).order_by("code"),
                industries=Industry.objects.filter(pk__in=run.results.values("industry_id")),
                grades=Grade.values,
                tiers=Tier.choices,
            )
            context["filtered"] = any(context["values"].values())
            context["export_filters"] = exports.current_filters(
                "grades", {**context["values"], "run": run.pk}
            )
            context.update(self.diff(run, writer))
        actions = allowed_actions(GRADING_RUN_TRANSITIONS, run, user)
        if "publish" in actions and not run.is_simulation:
            context["publish_form"] = PublishForm(user=user, run=run)
            context["readiness"] = selectors.data_readiness(run.year)
            current = selectors.published_run(run.year)
            if current is not None and (current.created_at, current.pk) > (run.created_at, run.pk):
                context["stale_by"] = current
        context["can_finalize"] = "finalize" in actions and context["current_published"]
        context["can_retry"] = "retry" in actions
        context["notice_running"] = bool(run.notice_to and run.notice_to >= timezone.localdate())
        if run.notice_to:
            context["finalize_from"] = run.notice_to + dt.timedelta(days=1)
        context["proposals"] = self.proposals(run)
        # A run's revocation proposals are confirmed only once its results are final (Art. 9).
        context["proposals_confirmable"] = run.status == RunStatus.FINAL
        return context

    @staticmethod
    def progress_message(run: GradingRun) -> str:
        if run.status == RunStatus.FAILED:
            return str(_("计算失败：{error}")).format(error=run.error or "—")
        if run.status in (RunStatus.QUEUED, RunStatus.RUNNING):
            return str(PHASE_MESSAGES.get(run.phase, PHASE_MESSAGES["queued"]))
        return str(PHASE_MESSAGES["done"])

    def outcome(self, run: GradingRun, writer: ReasonWriter) -> dict[str, Any]:
        counts = run.results.aggregate(
            total=Count("id"),
            revocations=Count("id", filter=Q(revocation_proposed=True)),
            no_data=Count("id", filter=Q(computed_grade="")),
            aa_or_above=Count("id", filter=Q(grade__in=Grade.at_least(Grade.AA))),
            overridden=Count("id", filter=~Q(grade=F("computed_grade"))),
            **{f"final_{g}": Count("id", filter=Q(grade=g)) for g in Grade.values},
            **{f"computed_{g}": Count("id", filter=Q(computed_grade=g)) for g in Grade.values},
        )
        chart = bar_chart(
            [f"{g} {g.label}" for g in Grade],
            [
                (str(_("按得分计算")), [counts[f"computed_{g}"] for g in Grade.values]),
                (str(_("最终等级")), [counts[f"final_{g}"] for g in Grade.values]),
            ],
            title=str(_("{year}年度各等级工厂数")).format(year=run.year),
            colors=["#81c784", "#1b5e20"],
        )
        return {"counts": counts, "grade_chart": chart}

    def diff(self, run: GradingRun, writer: ReasonWriter) -> dict[str, Any]:
        base = selectors.diff_base(run)
        if base is None:
            return {"base_run": selectors.published_run(run.year), "moves": None}
        moves = selectors.run_diff(run, base)
        for move in moves:
            move["cause_labels"] = [str(DIFF_CAUSE_LABELS[c]) for c in move["causes"]]
            move["rule_text"] = writer.rule(move["decided_by"], move["reasons"])
            move["other_texts"] = [
                writer.text(r)
                for r in move["reasons"]
                if r.get("code") in OVERRIDE_CODES and r.get("code") != move["decided_by"]
            ]
        context: dict[str, Any] = {"base_run": base, "moves": moves}
        if run.is_simulation:
            by = selectors.moves_by(run, base)
            for row in by["industry"]:
                row["label"] = writer.industry(row["key"])
            context["moves_by"] = by
        return context

    def proposals(self, run: GradingRun) -> list[Any]:
        proposals: list[Any] = list(
            RevocationProposal.objects.visible_to(self.request.user)
            .filter(run=run)
            .select_related("enterprise", "incident__recorded_by", "decided_by")
        )
        for proposal in proposals:
            proposal.badge = PROPOSAL_BADGES.get(proposal.status, "badge-draft")
            proposal.reason_label = PROPOSAL_REASONS.get(proposal.reason, proposal.reason)
            recorder = proposal.incident.recorded_by if proposal.incident is not None else run.started_by
            proposal.first_person = recorder
            proposal.same_person = recorder is not None and recorder.pk == self.request.user.pk
            proposal.actions = allowed_actions(REVOCATION_TRANSITIONS, proposal, self.request.user)
        return proposals


class RunProgressView(JobProgressView, View):
    """The progress of a grading run, for static/js/app.js to poll every 1.5 s."""

    right = "grading_run.view"

    def scoped_queryset(self) -> QuerySet[GradingRun]:
        return selectors.runs_for(self.request.user)

    def message(self, job: Any) -> str:
        return str(RunDetailView.progress_message(job))


class RunActionView(ScopedObjectMixin, View):
    """A POST on a run that calls one service; refusals come back as messages on the run page."""

    right = "grading.manage"
    http_method_names = ["post"]
    action = ""

    def scoped_queryset(self) -> QuerySet[GradingRun]:
        return selectors.runs_for(self.request.user)

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        run = self.get_object()
        target = reverse("factories:run_detail", args=[run.pk])
        try:
            if self.action == "publish":
                form = PublishForm(request.POST, user=request.user, run=run)
                if not form.is_valid():
                    for errors in form.errors.values():
                        for error in errors:
                            messages.error(request, str(error))
                    return HttpResponseRedirect(target + "#publish")
                run = form.save()
                messages.success(
                    request,
                    str(_("已发布公示（{start} 至 {end}），相关企业已收到通知。")).format(
                        start=run.notice_from, end=run.notice_to
                    ),
                )
            elif self.action == "finalize":
                services.grading_run_finalize(actor=request.user, run=run)
                messages.success(request, str(_("{year}年度评价结果已正式发布。")).format(year=run.year))
            elif self.action == "retry":
                run = services.grading_run_retry(actor=request.user, run=run)
                messages.success(request, str(_("已重新开始计算。")))
                if jobs.send_failed(run):
                    messages.warning(request, str(jobs.BROKER_DOWN))
        except DomainError as error:
            show_domain_error(request, error)
        return HttpResponseRedirect(target)


class ProposalDecisionView(ScopedObjectMixin, View):
    """Confirm (a second city user) or dismiss (with a reason) a revocation proposed by a run or from the
    register (Art. 9); a run's proposal is confirmed only once the run is final."""

    right = "incident.manage"
    model = RevocationProposal
    http_method_names = ["post"]
    action = ""

    def refine_queryset(self, queryset: QuerySet) -> QuerySet:
        return queryset.select_related("enterprise")

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        proposal = self.get_object()
        note = request.POST.get("note", "")
        fallback = (
            reverse("factories:enterprise_detail", args=[proposal.enterprise_id]) + "#revocation-proposals"
            if proposal.run_id is None
            else reverse("factories:run_detail", args=[proposal.run_id]) + "#proposals"
        )
        try:
            if self.action == "confirm":
                services.revocation_confirm(actor=request.user, proposal=proposal, note=note)
                messages.success(
                    request,
                    str(_("已确认撤销“{name}”的绿色工厂称号。")).format(name=proposal.enterprise.name),
                )
            else:
                services.revocation_dismiss(actor=request.user, proposal=proposal, note=note)
                messages.success(
                    request,
                    str(_("已决定不予撤销“{name}”的绿色工厂称号。")).format(name=proposal.enterprise.name),
                )
        except DomainError as error:
            show_domain_error(request, error)
        return HttpResponseRedirect(safe_next(request, fallback))
