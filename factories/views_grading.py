"""HTML pages of green-factory grading (DOMAIN §6): runs, standards, published grades, explanation
cards, the recommendation list, incidents and revocation proposals. The HTML mirrors api_grading.

Views are thin: runs come from `selectors.runs_for(user)`, grades from `selectors.published_grades(user)`
(out-of-scope rows answer 404), and every write is one call to factories.services.grading.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, F, Prefetch, Q, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.generic import ListView, TemplateView

from accounts.errors import DomainError, InvalidInput
from accounts.models import Role
from accounts.permissions import can
from accounts.views_base import RoleRequiredMixin, ScopedDetailView, ScopedListView
from factories import grading, selectors
from factories.api_grading import GradeFilter, ResultFilter
from factories.forms_grading import AdoptForm, IncidentForm, PublishForm, RunStartForm, StandardForm
from factories.indicators import Direction, get_catalogue
from factories.models import (
    District,
    GradingResult,
    GradingRun,
    GradingStandard,
    GreenFactoryStatus,
    Incident,
    IncidentKind,
    IncidentSeverity,
    Industry,
    ProposalStatus,
    RevocationProposal,
    RunStatus,
    StandardStatus,
    Tier,
)
from factories.services import grading as services
from factories.views import RolesMixin, ServiceFormView, signed_in, sort_headers
from reporting.charts import GRADE_COLORS, bar_chart, line_chart, radar_chart
from reporting.forms import localized

RUN_ROLES = frozenset({Role.CITY, Role.AUDITOR})
RECOMMENDATION_ROLES = frozenset({Role.CITY, Role.DISTRICT, Role.AUDITOR})
GRADES = ("AAAA", "AAA", "AA", "A")
GRADE_NAMES = {"AAAA": _("领军"), "AAA": _("先进"), "AA": _("较好"), "A": _("基本")}
PUBLISHED_STATES = (RunStatus.PUBLISHED, RunStatus.FINAL)

# Run states reuse the submission badge colours of app.css: grey waiting, blue working, teal ready for
# review, red failed, amber in public notice, green final.
RUN_BADGES = {
    RunStatus.QUEUED: "badge-draft",
    RunStatus.RUNNING: "badge-submitted",
    RunStatus.SUCCEEDED: "badge-district_approved",
    RunStatus.FAILED: "badge-returned",
    RunStatus.PUBLISHED: "badge-late",
    RunStatus.FINAL: "badge-city_verified",
}
PROPOSAL_BADGES = {
    ProposalStatus.PROPOSED: "badge-late",
    ProposalStatus.CONFIRMED: "badge-returned",
    ProposalStatus.DISMISSED: "badge-draft",
}
PHASE_MESSAGES = {
    "queued": _("排队中，等待计算服务处理……"),
    "loading": _("正在读取经复核的年度数据……"),
    "computing": _("正在计算百分位、维度得分和等级……"),
    "writing": _("正在保存每家工厂的结果……"),
    "done": _("计算完成。"),
}

# The rule that decided a grade, as a short label for tables.
DECIDED_BY_LABELS = {
    "BAND": _("按排名与得分"),
    "NO_SCORE": _("无可计算指标"),
    "FIRST_YEAR": _("首年认定评为A"),
    "NO_DATA_DOWNGRADE": _("未报送数据降档"),
    "NO_DATA_NO_PREVIOUS_GRADE": _("未报送数据"),
    "INCIDENT_GENERAL_DOWN": _("一般事故降档"),
    "INCIDENT_LARGE_CAP": _("较大事故封顶"),
    "NOT_IN_POPULATION": _("不在评价范围"),
}

# Every reason code of factories.grading, as a plain sentence with the numbers of the card.
REASON_TEXTS = {
    "BAND": _(
        "按对标组排名和综合得分评定为 {grade} 级：综合得分 C = {C}，排名位置 q = {q}"
        "（对标组中得分高于本企业的占 {q_pct}）。"
    ),
    "FLOOR_BLOCK": _("按排名可进入 {grade} 档，但综合得分 C = {C} 低于该档最低分 {c_min}。"),
    "AAAA_DIMENSION_BLOCK": _("按排名可进入 {grade} 档，但以下维度得分低于 {dimension_min}：{dimensions}。"),
    "PEER_FALLBACK": _(
        "本行业（{division}）有经复核数据的绿色工厂只有 {division_count} 家，少于 {min_peer} 家，"
        "因此与全部 {peer_count} 家有数据的绿色工厂比较。"
    ),
    "NO_IMPROVEMENT_SCORE": _("没有绿色化提升得分 S（{cause}），综合得分 C 取水平得分 L。"),
    "NO_SCORE": _("没有适用的指标，无法计算得分，计算等级为最低档。"),
    "FIRST_YEAR": _(
        "本年度首次认定为市级绿色工厂，评为 {grade} 级（《管理办法》第七条）；按得分计算的等级为 {computed_grade}。"
    ),
    "NO_DATA_FIRST_YEAR": _("首年认定且本年度未报送经复核的数据，评为 {grade} 级。"),
    "NO_DATA_DOWNGRADE": _(
        "本年度未报送经复核的数据（不履行职责，第九条）：由上一年度的 {previous_grade} 级"
        "降一档为 {grade} 级。"
    ),
    "NO_DATA_NO_PREVIOUS_GRADE": _("本年度未报送经复核的数据，且没有上一年度等级，评为 {grade} 级。"),
    "NO_DATA_SECOND_YEAR_REVOKE": _(
        "连续两年未报送经复核的数据，建议撤销绿色工厂称号（第九条，须市级工作人员确认）。"
    ),
    "INCIDENT_GENERAL_DOWN": _("发生{severity}{kind}，等级由 {from} 降一档为 {to}（第九条）。"),
    "INCIDENT_LARGE_CAP": _(
        "发生{severity}{kind}，等级由 {from} 降为 {to}（第九条：较大事故等级最高为 A）。"
    ),
    "INCIDENT_REVOKE": _(
        "发生{severity}{kind}，建议撤销绿色工厂称号（第九条，须另一名市级工作人员确认后生效）。"
    ),
    "NOT_IN_POPULATION": _("年末不是有效的绿色工厂，不在本次评价范围内。"),
}
FALSIFICATION_REVOKE = _("存在弄虚作假行为，建议撤销绿色工厂称号（第九条，须另一名市级工作人员确认后生效）。")
NO_IMPROVEMENT_CAUSES = {
    "no_previous_data": _("上一年度没有经复核的数据"),
    "no_comparable_indicator": _("两个年度没有可比的指标"),
}
# Rules that changed the grade computed from the scores (§6.9).
OVERRIDE_CODES = frozenset(
    {
        "FIRST_YEAR",
        "NO_DATA_FIRST_YEAR",
        "NO_DATA_DOWNGRADE",
        "NO_DATA_NO_PREVIOUS_GRADE",
        "NO_DATA_SECOND_YEAR_REVOKE",
        "INCIDENT_GENERAL_DOWN",
        "INCIDENT_LARGE_CAP",
        "INCIDENT_REVOKE",
    }
)
EFFECT_LABELS = {
    grading.IncidentEffect.REVOKE: _("建议撤销称号"),
    grading.IncidentEffect.CAP_AT_LOWEST: _("当年等级最高为 {lowest}"),
    grading.IncidentEffect.ONE_BAND_DOWN: _("等级降一档"),
}
INDICATOR_STATUS = {
    "ok": _("已填报"),
    "not_applicable": _("不适用"),
    "not_reported": _("未填报"),
    "no_data": _("无复核数据"),
}
PROPOSAL_REASONS = {"incident": _("事故或弄虚作假"), "no_data_two_years": _("连续两年未报送经复核的数据")}


def f2(value: float | None) -> str:
    """Scores are shown with 2 decimals; the comparisons used the unrounded values."""
    return "—" if value is None else f"{value:.2f}"


def _safe_next(request: HttpRequest, fallback: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return fallback


def show_errors(request: HttpRequest, error: DomainError) -> None:
    """A service refusal as messages a clerk understands (the field name adds nothing in Chinese)."""
    texts = [str(text) for texts in error.field_errors.values() for text in texts]
    for text in texts or [str(error.message)]:
        messages.error(request, text)


class ReasonWriter:
    """Turns stored reason codes (factories.grading) into Chinese sentences for tables and the card."""

    def __init__(self, catalogue_version: str | None = None) -> None:
        self.catalogue = get_catalogue(catalogue_version) if catalogue_version else get_catalogue()
        self._industries: dict[str, str] | None = None

    def industry(self, code: str) -> str:
        if self._industries is None:
            self._industries = dict(Industry.objects.values_list("code", "name"))
        name = self._industries.get(code)
        return f"{code} {name}" if name else code

    def dimension(self, code: str) -> str:
        try:
            definition = self.catalogue.dimension(code)
        except StopIteration:
            return code
        return localized(definition.name_zh, definition.name_en)

    def text(self, reason: Mapping[str, Any]) -> str:
        code = reason.get("code", "")
        params = {k: v for k, v in reason.items() if k != "code"}
        if code == "INCIDENT_REVOKE" and params.get("kind") == IncidentKind.FALSIFICATION:
            return str(FALSIFICATION_REVOKE)
        template = REASON_TEXTS.get(code)
        if template is None:
            return code
        for key in ("C", "c_min", "dimension_min"):
            if isinstance(params.get(key), int | float):
                params[key] = f2(params[key])
        if isinstance(params.get("q"), int | float):
            params["q_pct"] = f"{params['q'] * 100:.1f}%"
            params["q"] = f"{params['q']:.3f}"
        if "dimensions" in params:
            params["dimensions"] = "、".join(
                f"{self.dimension(k)} {f2(v)}" for k, v in params["dimensions"].items()
            )
        if "division" in params:
            params["division"] = self.industry(params["division"])
        if "kind" in params:
            params["kind"] = (
                IncidentKind(params["kind"]).label if params["kind"] in IncidentKind.values else ""
            )
        if "severity" in params:
            severity = params["severity"]
            params["severity"] = (
                IncidentSeverity(severity).label if severity in IncidentSeverity.values else ""
            )
        if "cause" in params:
            params["cause"] = NO_IMPROVEMENT_CAUSES.get(params["cause"], params["cause"])
        if params.get("computed_grade") is None:
            params["computed_grade"] = "—"
        try:
            return str(template).format(**params)
        except (KeyError, IndexError):
            return str(template)

    def rule(self, decided_by: str, reasons: list[dict[str, Any]]) -> str:
        """The sentence of the rule that decided the grade (the last reason with that code)."""
        deciding = [r for r in reasons if r.get("code") == decided_by]
        if deciding:
            return self.text(deciding[-1])
        return self.text({"code": decided_by})


def decided_label(code: str) -> str:
    return str(DECIDED_BY_LABELS.get(code, code or "—"))


def run_badge(status: str) -> str:
    return RUN_BADGES.get(status, "badge-draft")  # type: ignore[call-overload]


# --- runs -----------------------------------------------------------------------------------------


class RunListView(RolesMixin, ScopedListView):
    """Grading runs by year with status, progress and standard; city staff start a run here."""

    roles = RUN_ROLES
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
        return context


class RunStartView(RoleRequiredMixin, ServiceFormView):
    """Start an official run of a year, or a simulation with a draft standard (city staff)."""

    permission = "grading.manage"
    form_class = RunStartForm
    template_name = "factories/grading/run_start.html"

    def get_initial(self) -> dict[str, Any]:
        initial: dict[str, Any] = {}
        if self.request.GET.get("standard"):
            initial.update(standard=self.request.GET["standard"], simulation=True)
        return initial

    def get_success_message(self, result: GradingRun) -> str:
        # Neutral on purpose: the run page below shows its live state (and says it refreshes only while it
        # is running); a small run is often finished before that page opens.
        kind = _("模拟运行") if result.is_simulation else _("评价")
        return str(_("已提交{year}年度{kind}。")).format(year=result.year, kind=kind)

    def get_success_url_for(self, result: GradingRun) -> str:
        return reverse("factories:run_detail", args=[result.pk])


class RunDetailView(RolesMixin, ScopedDetailView):
    """A run: live progress, counts by grade, the results, the diff against the published run,
    publication and the revocations it proposed."""

    roles = RUN_ROLES
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

    def get_queryset(self) -> QuerySet[GradingRun]:
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
        can_manage = can(user, "grading.manage")
        finished = run.status not in (RunStatus.QUEUED, RunStatus.RUNNING, RunStatus.FAILED)
        context.update(
            run=run,
            badge=run_badge(run.status),
            can_manage=can_manage,
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
                grades=GRADES,
                tiers=Tier.choices,
            )
            context["filtered"] = any(context["values"].values())
            context.update(self.diff(run, writer))
        if can_manage and run.status == RunStatus.SUCCEEDED and not run.is_simulation:
            context["publish_form"] = PublishForm(user=user, run=run)
        context["can_finalize"] = (
            can_manage and context["current_published"] and run.status == RunStatus.PUBLISHED
        )
        context["notice_running"] = bool(run.notice_to and run.notice_to >= timezone.localdate())
        context["proposals"] = self.proposals(run)
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
            aa_or_above=Count("id", filter=Q(grade__in=["AA", "AAA", "AAAA"])),
            overridden=Count("id", filter=~Q(grade=F("computed_grade"))),
            **{f"final_{g}": Count("id", filter=Q(grade=g)) for g in GRADES},
            **{f"computed_{g}": Count("id", filter=Q(computed_grade=g)) for g in GRADES},
        )
        chart = bar_chart(
            [f"{g} {GRADE_NAMES[g]}" for g in GRADES],
            [
                (str(_("按得分计算")), [counts[f"computed_{g}"] for g in GRADES]),
                (str(_("最终等级")), [counts[f"final_{g}"] for g in GRADES]),
            ],
            title=str(_("{year}年度各等级工厂数")).format(year=run.year),
            colors=["#81c784", "#1b5e20"],
        )
        return {"counts": counts, "grade_chart": chart}

    def diff(self, run: GradingRun, writer: ReasonWriter) -> dict[str, Any]:
        base = selectors.published_run(run.year)
        if base is None or base.pk == run.pk:
            return {"base_run": base, "moves": None}
        moves = selectors.run_diff(run, base)
        for move in moves:
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
        return proposals


class RunProgressView(RolesMixin, RoleRequiredMixin, View):
    """JSON {status, progress, done, total, message} that static/js/app.js polls every 1.5 s."""

    roles = RUN_ROLES

    def get(self, request: HttpRequest, pk: int) -> JsonResponse:
        run = get_object_or_404(selectors.runs_for(request.user), pk=pk)
        response = JsonResponse(
            {
                "status": run.status,
                "progress": run.progress,
                "done": run.done,
                "total": run.total,
                "message": RunDetailView.progress_message(run),
            }
        )
        response["Cache-Control"] = "no-store"
        return response


class RunActionView(RoleRequiredMixin, View):
    """A POST on a run that calls one service; refusals come back as messages on the run page."""

    permission = "grading.manage"
    http_method_names = ["post"]
    action = ""

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        run = get_object_or_404(selectors.runs_for(request.user), pk=pk)
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
                services.grading_run_retry(actor=request.user, run=run)
                messages.success(request, str(_("已重新开始计算。")))
        except DomainError as error:
            show_errors(request, error)
        return HttpResponseRedirect(target)


class ProposalDecisionView(RoleRequiredMixin, View):
    """Confirm (a second city user) or dismiss (with a reason) a revocation a run proposed (Art. 9)."""

    permission = "incident.manage"
    http_method_names = ["post"]
    action = ""

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        proposal = get_object_or_404(
            RevocationProposal.objects.visible_to(request.user).select_related("enterprise"), pk=pk
        )
        note = request.POST.get("note", "")
        fallback = reverse("factories:run_detail", args=[proposal.run_id]) + "#proposals"
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
            show_errors(request, error)
        return HttpResponseRedirect(_safe_next(request, fallback))


# --- standards ------------------------------------------------------------------------------------


def describe_standard(standard: GradingStandard) -> dict[str, Any]:
    """The parameters of a standard version in words: weights, α, bands, peer group, incident effects."""
    params = standard.parameters
    engine = grading.standard_from_dict(params)
    catalogue = get_catalogue(engine.catalogue_version)
    total = sum(engine.weights.values()) or 1
    indicators_by_dimension: dict[str, list[Any]] = {}
    for indicator in catalogue.indicators:
        indicators_by_dimension.setdefault(indicator.dimension, []).append(
            {
                "code": indicator.code,
                "name": localized(indicator.name_zh, indicator.name_en),
                "unit": indicator.unit,
                "up": indicator.direction == Direction.UP,
            }
        )
    weights = [
        {
            "name": localized(d.name_zh, d.name_en),
            "weight": engine.weights.get(d.code, 0),
            "share": 100 * engine.weights.get(d.code, 0) / total,
            "indicators": indicators_by_dimension.get(d.code, []),
        }
        for d in catalogue.dimensions
    ]
    bands = [
        {
            "grade": b.grade,
            "name": GRADE_NAMES.get(b.grade, ""),
            "q_below": b.q_below,
            "q_pct": None if b.q_below is None else f"{b.q_below * 100:g}%",
            "c_min": b.c_min,
            "dimension_min": b.dimension_min,
        }
        for b in engine.bands
    ]
    kinds = [
        {"label": IncidentKind(k).label, "effect": effect_label(engine, v)}
        for k, v in engine.kind_effects.items()
        if k in IncidentKind.values
    ]
    severities = [
        {"label": IncidentSeverity(k).label, "effect": effect_label(engine, v)}
        for k, v in engine.severity_effects.items()
        if k in IncidentSeverity.values
    ]
    return {
        "engine": engine,
        "catalogue": catalogue,
        "weights": weights,
        "bands": bands,
        "kind_effects": kinds,
        "severity_effects": severities,
        "lowest": engine.lowest_grade,
        "improvement_span": f"{engine.improvement_clip * 100:g}%",
    }


def effect_label(engine: grading.GradingStandard, effect: grading.IncidentEffect) -> str:
    return str(EFFECT_LABELS[effect]).format(lowest=engine.lowest_grade)


def standard_in_force_or_none(year: int) -> GradingStandard | None:
    try:
        return services.standard_in_force(year)
    except InvalidInput:
        return None


def used_by_published_run(standard: GradingStandard) -> bool:
    return standard.runs.filter(is_simulation=False, status__in=PUBLISHED_STATES).exists()


class StandardListView(ScopedListView):
    """Every version of the grading standard; the methodology is public to everyone it affects."""

    model = GradingStandard
    template_name = "factories/grading/standard_list.html"
    paginate_by = 50

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        in_force = standard_in_force_or_none(timezone.localdate().year)
        context["in_force"] = in_force
        context["can_manage"] = can(self.request.user, "grading.manage")
        context["described"] = describe_standard(in_force) if in_force else None
        return context


class StandardDetailView(ScopedDetailView):
    """One version, its parameters in words, and for city staff: new version, edit, adopt, simulate."""

    model = GradingStandard
    template_name = "factories/grading/standard_detail.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        standard: GradingStandard = self.object
        user = signed_in(self.request)
        can_manage = can(user, "grading.manage")
        draft = standard.status == StandardStatus.DRAFT
        used = used_by_published_run(standard)
        in_force = standard_in_force_or_none(timezone.localdate().year)
        context.update(
            described=describe_standard(standard),
            can_manage=can_manage,
            is_draft=draft,
            used_by_published=used,
            editable=can_manage and draft and not used,
            in_force=in_force is not None and in_force.pk == standard.pk,
            runs=selectors.runs_for(user).filter(standard=standard)[:20] if user.sees_whole_city else [],
        )
        if can_manage and draft:
            context["adopt_form"] = AdoptForm(user=user, standard=standard)
            context["simulate_form"] = RunStartForm(
                user=user, initial={"standard": standard.pk, "simulation": True}
            )
        return context


class StandardFormView(RoleRequiredMixin, ServiceFormView):
    """Create a new draft version from `pk` (the base), or edit the draft `pk` (`edit = True`)."""

    permission = "grading.manage"
    form_class = StandardForm
    template_name = "factories/grading/standard_form.html"
    edit = False

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.user.is_authenticated and can(request.user, "grading.manage"):
            self.standard = get_object_or_404(
                GradingStandard.objects.visible_to(request.user), pk=kwargs["pk"]
            )
            if self.edit and (
                self.standard.status != StandardStatus.DRAFT or used_by_published_run(self.standard)
            ):
                messages.error(
                    request, str(_("该标准版本已采用或已用于发布的评价结果，不能修改；请基于它创建新版本。"))
                )
                return redirect("factories:standard_detail", pk=self.standard.pk)
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self) -> dict[str, Any]:
        kwargs = super().get_form_kwargs()
        kwargs["base"] = self.standard
        if self.edit:
            kwargs["instance"] = self.standard
        return kwargs

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.update(standard=self.standard, edit=self.edit, described=describe_standard(self.standard))
        return context

    def get_success_message(self, result: GradingStandard) -> str:
        if self.edit:
            return str(_("已保存 {label}。")).format(label=result.label)
        return str(_("已创建标准草案 {label}。可先用它做模拟运行，确认后再采用。")).format(label=result.label)

    def get_success_url_for(self, result: GradingStandard) -> str:
        return reverse("factories:standard_detail", args=[result.pk])


class StandardAdoptView(RoleRequiredMixin, View):
    """Put a draft in force from a date (the previous version ends the day before)."""

    permission = "grading.manage"
    http_method_names = ["post"]

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        standard = get_object_or_404(GradingStandard.objects.visible_to(request.user), pk=pk)
        form = AdoptForm(request.POST, user=request.user, standard=standard)
        try:
            if form.is_valid():
                standard = form.save()
                messages.success(
                    request,
                    str(_("{label} 自 {date} 起生效。")).format(
                        label=standard.label, date=standard.valid_from
                    ),
                )
        except DomainError as error:
            show_errors(request, error)
        else:
            for errors in form.errors.values():
                for text in errors:
                    messages.error(request, str(text))
        return redirect("factories:standard_detail", pk=standard.pk)


# --- published grades, explanation, recommendations -------------------------------------------------


def published_years(user: Any) -> list[int]:
    return list(selectors.published_grades(user).order_by("-year").values_list("year", flat=True).distinct())


class GradeListView(RoleRequiredMixin, ListView):
    """Published grades (公示 or final) in the user's scope; an enterprise user sees its own over years."""

    template_name = "factories/grading/grade_list.html"
    paginate_by = 25
    filter_params = ("year", "district", "industry", "grade", "tier", "q")

    def is_enterprise(self) -> bool:
        return signed_in(self.request).role == Role.ENTERPRISE

    def get_template_names(self) -> list[str]:
        return ["factories/grading/my_grades.html"] if self.is_enterprise() else [self.template_name]

    def get_paginate_by(self, queryset: Any) -> int | None:
        return None if self.is_enterprise() else self.paginate_by

    def get_queryset(self) -> QuerySet[GradingResult]:
        grades = selectors.published_grades(self.request.user).select_related("run")
        if self.is_enterprise():
            return grades.order_by("-year")
        self.filterset = GradeFilter(self.request.GET, queryset=grades)
        queryset = self.filterset.qs
        term = self.request.GET.get("q", "").strip()
        if term:
            queryset = queryset.filter(
                Q(enterprise__name__icontains=term) | Q(enterprise__credit_code__icontains=term.upper())
            )
        self.filtered = queryset
        return queryset.order_by("-year", F("composite_score").desc(nulls_last=True), "enterprise__name")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        user = signed_in(self.request)
        context["is_enterprise"] = self.is_enterprise()
        if self.is_enterprise():
            return {**context, **self.my_context(list(context["object_list"]))}
        query = self.request.GET.copy()
        query.pop("page", None)
        values = {name: self.request.GET.get(name, "") for name in self.filter_params}
        rows = selectors.grade_distribution(self.filtered, "year")
        context.update(
            querystring=query.urlencode(),
            values=values,
            filtered=any(values.values()),
            years=published_years(user),
            grades=GRADES,
            tiers=Tier.choices,
            sees_whole_city=user.sees_whole_city,
            districts=District.objects.in_force_on(timezone.localdate()).order_by("code"),
            industries=Industry.objects.all(),
            distribution=rows,
            chart=bar_chart(
                [str(_("{year}年度")).format(year=r["key"]) for r in rows],
                [(g, [r[g] for r in rows]) for g in GRADES],
                title=str(_("等级分布（当前筛选条件）")),
                stacked=True,
                colors=[GRADE_COLORS[g] for g in GRADES],
            )
            if rows
            else None,
        )
        return context

    def my_context(self, grades: list[Any]) -> dict[str, Any]:
        writer = ReasonWriter()
        for result in grades:
            result.rule_text = writer.rule(result.decided_by, result.reasons)
        chronological = sorted(grades, key=lambda r: r.year)
        chart = (
            line_chart(
                [str(_("{year}年度")).format(year=r.year) for r in chronological],
                [
                    (str(_("综合得分 C")), [r.composite_score for r in chronological]),
                    (str(_("水平得分 L")), [r.level_score for r in chronological]),
                    (str(_("提升得分 S")), [r.improvement_score for r in chronological]),
                ],
                title=str(_("本企业历年得分")),
                y_max=100,
            )
            if len(chronological) > 1
            else None
        )
        return {"latest": grades[0] if grades else None, "chart": chart}


class MyGradesView(GradeListView):
    """The link of the 'grade published' notification: an enterprise's own grades (others: the list)."""

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.user.is_authenticated and signed_in(request).role != Role.ENTERPRISE:
            return redirect("factories:grade_list")
        return super().dispatch(request, *args, **kwargs)


class ExplanationView(RoleRequiredMixin, TemplateView):
    """The explanation card of one published factory-year (§6 end); only grades in the user's scope."""

    template_name = "factories/grading/explanation.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        user = signed_in(self.request)
        result = get_object_or_404(
            selectors.published_grades(user).select_related("run__standard"),
            pk=kwargs["result_pk"],
        )
        card = selectors.explanation(result)
        standard = card["standard"]
        writer = ReasonWriter(standard.parameters.get("catalogue_version"))
        catalogue = writer.catalogue
        names = {i.code: localized(i.name_zh, i.name_en) for i in catalogue.indicators}
        indicators = []
        for row in card["indicators"]:
            rate = row["rate"]
            indicators.append(
                {
                    **row,
                    "name": names.get(row["code"], row["name"]),
                    "value": _plain(row["value"]),
                    "previous": _plain(row["previous"]),
                    "value_exact": row["value"],
                    "previous_exact": row["previous"],
                    "status_label": INDICATOR_STATUS.get(row["status"], row["status"]),
                    "up": row["direction"] == Direction.UP,
                    "percentile": None if row["percentile"] is None else f"{row['percentile']:.1f}",
                    "rate": None if rate is None else f"{rate * 100:+.1f}%",
                    "rate_sign": 0 if rate is None else (1 if rate > 0 else -1 if rate < 0 else 0),
                }
            )
        total_weight = sum(d["weight"] or 0 for d in card["dimensions"] if d["score"] is not None) or 1
        dimensions = [
            {
                **d,
                "name": writer.dimension(d["code"]),
                "score": f2(d["score"]),
                "raw": d["score"],
                "share": None if d["score"] is None else 100 * (d["weight"] or 0) / total_weight,
                "improvement": None if d["improvement"] is None else f"{d['improvement'] * 100:+.1f}%",
            }
            for d in card["dimensions"]
        ]
        scored = [d for d in dimensions if d["raw"] is not None]
        radar = (
            radar_chart(
                [d["name"] for d in scored],
                [
                    (str(result.enterprise.name), [d["raw"] for d in scored]),
                    (str(_("对标组中位水平（50）")), [50.0] * len(scored)),
                ],
                title=str(_("各维度得分 D（百分位，满分 100）")),
            )
            if scored
            else None
        )
        reasons = [
            {"code": r.get("code"), "text": writer.text(r), "override": r.get("code") in OVERRIDE_CODES}
            for r in result.reasons
        ]
        if result.peer_group == grading.PEER_GROUP_ALL:
            peer_label = str(_("全部绿色工厂（不分行业）"))
        elif result.peer_group:
            peer_label = str(_("同行业：{industry}")).format(industry=writer.industry(result.peer_group))
        else:
            peer_label = ""
        context.update(
            result=result,
            card=card,
            standard=standard,
            indicators=indicators,
            dimensions=dimensions,
            radar=radar,
            reasons=reasons,
            overrides=[r for r in reasons if r["override"] and r["code"] != result.decided_by],
            rule_text=writer.rule(result.decided_by, result.reasons),
            rule_label=decided_label(result.decided_by),
            peer_label=peer_label,
            next_band=self.next_band(card["next_band"], writer),
            L=f2(result.level_score),
            S=f2(result.improvement_score),
            C=f2(result.composite_score),
            q_pct=None if result.q is None else f"{result.q * 100:.1f}%",
            bands=describe_standard(standard)["bands"],
            back_url=reverse(
                "factories:my_grades" if user.role == Role.ENTERPRISE else "factories:grade_list"
            ),
            sees_runs=user.sees_whole_city,
        )
        return context

    @staticmethod
    def next_band(data: Mapping[str, Any] | None, writer: ReasonWriter) -> dict[str, Any] | None:
        if not data:
            return None
        if data.get("blocked_by") == "TOP_BAND":
            return {"kind": "top"}
        if data.get("blocked_by") == "DIMENSION_MIN":
            return {
                "kind": "blocked",
                "grade": data["grade"],
                "dimensions": "、".join(writer.dimension(d) for d in data.get("blocking_dimensions", [])),
            }
        return {
            "kind": "gap",
            "grade": data["grade"],
            "c_needed": f2(data.get("c_needed")),
            "c_gap": f2(data.get("c_gap")),
        }


def _plain(value: Any) -> str | None:
    """A stored Decimal for reading: 4 decimals (6 below 0.01), no trailing zeros or exponent."""
    if value is None:
        return None
    if not isinstance(value, Decimal):
        return str(value)
    places = Decimal("0.0001") if abs(value) >= Decimal("0.01") else Decimal("0.000001")
    return format(value.quantize(places).normalize(), "f")


class RecommendationListView(RolesMixin, RoleRequiredMixin, ListView):
    """City-level factories graded AA or above in the published run: the national-level list (Art. 8)."""

    roles = RECOMMENDATION_ROLES
    template_name = "factories/grading/recommendation_list.html"
    paginate_by = 50

    def get_queryset(self) -> QuerySet[GradingResult]:
        self.years = published_years(self.request.user)
        try:
            self.year = int(self.request.GET.get("year") or (self.years[0] if self.years else 0))
        except ValueError:
            self.year = self.years[0] if self.years else 0
        queryset = selectors.recommendations(self.request.user, self.year).select_related(
            "run", "enterprise__green_factory"
        )
        params = {k: v for k, v in self.request.GET.items() if k in ("district", "industry")}
        return GradeFilter(params, queryset=queryset).qs

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        for result in context["object_list"]:
            factory = result.enterprise.green_factory_or_none
            result.revoked = factory is not None and factory.status == GreenFactoryStatus.REVOKED
        query = self.request.GET.copy()
        query.pop("page", None)
        values = {name: self.request.GET.get(name, "") for name in ("district", "industry")}
        user = signed_in(self.request)
        context.update(
            querystring=query.urlencode(),
            years=self.years,
            year=self.year,
            values=values,
            filtered=any(values.values()),
            sees_whole_city=user.sees_whole_city,
            districts=District.objects.in_force_on(timezone.localdate()).order_by("code"),
            industries=Industry.objects.all(),
        )
        return context


# --- incidents ------------------------------------------------------------------------------------


class IncidentListView(RolesMixin, ScopedListView):
    """Accidents and falsifications recorded by the city (Art. 9), with the revocations they led to."""

    roles = RUN_ROLES
    model = Incident
    template_name = "factories/grading/incident_list.html"

    def refine_queryset(self, queryset: QuerySet) -> QuerySet:
        # Simulations propose revocations too, but only an official run's proposal can be decided.
        official = RevocationProposal.objects.filter(run__is_simulation=False).select_related(
            "run", "decided_by"
        )
        queryset = queryset.select_related("enterprise__district", "recorded_by").prefetch_related(
            Prefetch("revocation_proposals", queryset=official)
        )
        for name in ("kind", "severity"):
            if self.request.GET.get(name):
                queryset = queryset.filter(**{name: self.request.GET[name]})
        year = self.request.GET.get("year", "")
        if year.isdigit():
            queryset = queryset.filter(occurred_on__year=int(year))
        return queryset.order_by("-occurred_on", "-id")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        engines: dict[int, Any] = {}
        for incident in context["object_list"]:
            year = incident.occurred_on.year
            if year not in engines:
                standard = standard_in_force_or_none(year)
                engines[year] = grading.standard_from_dict(standard.parameters) if standard else None
            engine = engines[year]
            incident.effect = (
                effect_label(
                    engine, engine.incident_effect(grading.IncidentInput(incident.kind, incident.severity))
                )
                if engine
                else ""
            )
            incident.proposals = list(incident.revocation_proposals.all())
            for proposal in incident.proposals:
                proposal.badge = PROPOSAL_BADGES.get(proposal.status, "badge-draft")
        values = {name: self.request.GET.get(name, "") for name in ("kind", "severity", "year")}
        context.update(
            values=values,
            filtered=any(values.values()),
            kinds=IncidentKind.choices,
            severities=IncidentSeverity.choices,
            can_manage=can(self.request.user, "incident.manage"),
        )
        return context


class IncidentCreateView(RoleRequiredMixin, ServiceFormView):
    """Record an incident of a green factory (city staff); the next run of its year applies it."""

    permission = "incident.manage"
    form_class = IncidentForm
    template_name = "factories/grading/incident_form.html"

    def get_initial(self) -> dict[str, Any]:
        return {"credit_code": self.request.GET.get("credit_code", "")}

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        in_force = standard_in_force_or_none(timezone.localdate().year)
        context["described"] = describe_standard(in_force) if in_force else None
        return context

    def get_success_message(self, result: Incident) -> str:
        return str(_("已登记“{name}”的{kind}（{severity}）。重新运行{year}年度评价后生效。")).format(
            name=result.enterprise.name,
            kind=result.get_kind_display(),
            severity=result.get_severity_display(),
            year=result.year,
        )

    def get_success_url_for(self, result: Incident) -> str:
        return reverse("factories:incident_list")
