"""HTML pages of the district cultivation pool (DOMAIN §7; Art. 4, 5, 10, 11, 12).

Thin like the API they mirror: every object is looked up through `visible_to(user)` (another district's
row answers 404), every write is one call to a `cultivation.services` function, and a service refusal
comes back as a message or as field errors next to the kept input, never as a server error.
"""

from __future__ import annotations

import contextlib
from collections import Counter
from collections.abc import Mapping
from typing import Any

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Max, OuterRef, Q, QuerySet, Subquery
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.generic import TemplateView

from accounts.errors import DomainError, InvalidInput, NotAllowed, StateConflict
from accounts.models import Role
from accounts.permissions import can
from accounts.views_base import RoleRequiredMixin, ScopedDetailView, ScopedListView
from cultivation import selectors, services
from cultivation.filters import ApplicationFilter, CertificationFilter, MembershipFilter
from cultivation.forms import (
    ApplicationForm,
    NarrativeForm,
    ReasonForm,
    ReviewCloseForm,
    ReviewOpenForm,
    StandardForm,
    SupervisionForm,
)
from cultivation.levels import DEFAULT_POOL_STANDARD, pool_standard_to_dict
from cultivation.models import (
    GUIDED_KINDS,
    HOLDING_STATUSES,
    LEVEL_ORDER,
    OPEN_CERTIFICATION_STATUSES,
    PLAN_KINDS,
    SUPERVISED_KINDS,
    ApplicationStatus,
    BCertification,
    CertificationStatus,
    DistrictReport,
    DistrictStandard,
    IrregularReview,
    JobStatus,
    Level,
    LevelDecision,
    LevelJob,
    MembershipStatus,
    PoolApplication,
    PoolMembership,
    ReportStatus,
    ReviewStatus,
)
from cultivation.services.reports import FIRST_REPORT_YEAR
from factories.indicators import get_catalogue
from factories.models import District, GreenFactory, GreenFactoryStatus
from factories.views import sort_headers
from reporting.charts import funnel_chart
from reporting.forms import add_service_errors

STAFF_ROLES = frozenset({Role.CITY, Role.DISTRICT, Role.AUDITOR})
TOP_GAPS = 10
LEVEL_CSS: dict[str, str] = {Level.B_ELIGIBLE: "level-B", Level.C: "level-C", Level.D: "level-D"}
STATUS_BADGES = {
    "pending": "badge-submitted",
    "accepted": "badge-city_verified",
    "rejected": "badge-returned",
    "active": "badge-city_verified",
    "exited": "badge-draft",
    "graduated": "badge-district_approved",
    "applied": "badge-submitted",
    "certified": "badge-city_verified",
    "under_review": "badge-late",
    "lost": "badge-returned",
    "withdrawn": "badge-returned",
    "open": "badge-submitted",
    "closed": "badge-draft",
    "draft": "badge-draft",
    "submitted": "badge-submitted",
    "acknowledged": "badge-city_verified",
    "returned": "badge-returned",
    "queued": "badge-draft",
    "running": "badge-submitted",
    "succeeded": "badge-city_verified",
    "failed": "badge-returned",
}
# The reason codes of cultivation.levels as sentences with the numbers of the decision.
REASON_TEXTS: dict[str, Any] = {
    "NOT_SUPERVISED": _("尚未纳入监管（节能监察或能耗在线监测）。"),
    "NOT_GUIDED": _("尚未接受指导服务（绿色生产水平评估或诊断）。"),
    "NO_PLAN": _("尚未明确提升路径。"),
    "DIMENSION_BELOW_B": _("{dimension}得分 {D} 低于B级下限 {min}（差 {gap}）。"),
    "LEVEL_BELOW_B": _("绿色化水平得分 L = {L}，低于B级下限 {min}（差 {gap}）。"),
    "LEVEL_BELOW_C": _("绿色化水平得分 L = {L}，低于C级下限 {min}（差 {gap}）。"),
    "NO_DATA": _("没有经区县审核的本年度数据，无法计算得分。"),
    "NO_BENCHMARK": _("没有可对标的绿色工厂数据，无法计算得分。"),
    "BENCHMARK_FALLBACK": _(
        "本行业（{division}）有数据的绿色工厂只有 {division_count} 家，少于 {min_benchmark} 家，"
        "因此与全市 {benchmark_count} 家有数据的绿色工厂比较。"
    ),
    "INDICATOR_NO_BENCHMARK": _("指标 {indicators} 没有可对标的绿色工厂，未计入得分。"),
    "NO_SCORE": _("没有可计分的指标，无法计算绿色化水平得分 L。"),
    "LEVEL": _("按标准判定为：{level}。"),
    "REVIEW_DOWNGRADE": _("经不定期复核发现弄虚作假，由{from}降为{to}。"),
}
REPORT_ROWS: list[tuple[str, Any]] = [
    ("pool_size", _("年末在库企业数")),
    ("levels_not_computed", _("未评定等级的企业数")),
    ("certified_b", _("年末持有B级认定的企业数（按等级）")),
    ("entries", _("本年度入库")),
    ("exits", _("本年度退出")),
    ("graduations", _("本年度晋级为绿色工厂")),
    ("upgrades", _("等级上升")),
    ("downgrades", _("等级下降")),
    ("certifications", _("本年度新认定B级")),
    ("certified_b_total", _("年末有效的区县级绿色工厂")),
    ("reviews", _("本年度不定期复核")),
    ("falsifications", _("其中发现弄虚作假")),
]


# --- small helpers --------------------------------------------------------------------------------


def actor(request: HttpRequest) -> Any:
    """The signed-in user of a view (the base classes have made sure there is one)."""
    return request.user


def posted_year(request: HttpRequest) -> int:
    """The posted year; 0 when it is not a number, which the service refuses with its range message."""
    try:
        return int(request.POST.get("year", ""))
    except ValueError:
        return 0


def _flash(request: HttpRequest, error: DomainError) -> None:
    """A service refusal as messages; the field messages already say what is wrong."""
    texts = [str(text) for texts in error.field_errors.values() for text in texts]
    for text in texts or [str(error.message)]:
        messages.error(request, text)


def _fmt(value: Any) -> str:
    return f"{value:.1f}" if isinstance(value, int | float) else "—"


def level_label(level: str) -> str:
    return str(Level(level).label) if level in Level.values else "—"


def reason_texts(reasons: list[Mapping[str, Any]]) -> list[str]:
    """The engine's reasons of a decision as Chinese sentences (the LEVEL line last is the verdict)."""
    catalogue = get_catalogue()
    texts = []
    for reason in reasons:
        code = reason.get("code", "")
        params = {k: v for k, v in reason.items() if k != "code"}
        template = REASON_TEXTS.get(code)
        if template is None:
            texts.append(code)
            continue
        for key in ("D", "L", "min", "gap"):
            if key in params:
                params[key] = _fmt(params[key])
        if "dimension" in params:
            with contextlib.suppress(KeyError, StopIteration):
                params["dimension"] = catalogue.dimension(params["dimension"]).name_zh
        if "indicators" in params:
            params["indicators"] = "、".join(params["indicators"])
        if code == "LEVEL":
            params["level"] = level_label(
                Level.B_ELIGIBLE if params.get("level") == "B" else params.get("level", "")
            )
        for key in ("from", "to"):
            if key in params:
                params[key] = level_label(params[key])
        try:
            texts.append(str(template).format(**params))
        except (KeyError, IndexError):
            texts.append(str(template))
    return texts


def selected_district(request: HttpRequest) -> District | None:
    """The unit the page is about: a district user's own, or the one city staff picked (None = all)."""
    user = actor(request)
    if user.role == Role.DISTRICT:
        return user.district
    if user.sees_whole_city:
        code = request.GET.get("district", "")
        return District.objects.filter(pk=code).first() if code else None
    return None


def decorate_decision(decision: Any) -> Any:
    """Attach what the templates show: level badge, Chinese reasons and the gap-to-B checklist."""
    decision.level_css = LEVEL_CSS.get(decision.level, "")
    decision.reason_lines = reason_texts(decision.reasons)
    decision.checklist = services.b_checklist(decision)
    decision.gaps = services.gaps_text(decision.checklist)
    return decision


def years_choice() -> list[int]:
    return list(range(timezone.localdate().year, FIRST_REPORT_YEAR - 3, -1))


class ScopedListMixin:
    """A list page with the API's FilterSet, sortable headers and the list of status choices."""

    request: HttpRequest
    filterset_class: Any = None
    columns: list[tuple[str | None, Any]] = []

    def filtered(self, queryset: QuerySet) -> QuerySet:
        if self.filterset_class is not None:
            queryset = self.filterset_class(self.request.GET or None, queryset=queryset).qs
        ordering = self.get_ordering()  # type: ignore[attr-defined]
        return queryset.order_by(*ordering) if ordering else queryset

    def list_context(self) -> dict[str, Any]:
        user = actor(self.request)
        return {
            "headers": sort_headers(self.request, self.columns),
            "districts": District.objects.order_by("code") if user.sees_whole_city else None,
            "values": self.request.GET,
            "filtered": any(v for k, v in self.request.GET.items() if k not in ("sort", "page")),
        }


class StaffOnlyMixin:
    """Pages for city, district and auditor staff (an enterprise does not see review files or reports)."""

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if actor(request).is_authenticated and actor(request).role not in STAFF_ROLES:
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)  # type: ignore[misc]


class PostActionView(RoleRequiredMixin, View):
    """A POST that loads one scoped object, calls one service and redirects with a message."""

    http_method_names = ["post"]
    model: Any

    def get_object(self, pk: int) -> Any:
        return get_object_or_404(self.model.objects.visible_to(actor(self.request)), pk=pk)

    def run(self, obj: Any, action: str) -> Any:
        raise NotImplementedError

    def redirect_to(self, obj: Any) -> str:
        raise NotImplementedError

    def post(self, request: HttpRequest, pk: int, action: str = "") -> HttpResponse:
        obj = self.get_object(pk)
        try:
            done = self.run(obj, action)
        except NotAllowed as error:
            raise PermissionDenied(str(error.message)) from error
        except (InvalidInput, StateConflict) as error:
            _flash(request, error)
        else:
            messages.success(request, str(done))
        return HttpResponseRedirect(self.redirect_to(obj))


# --- cockpit --------------------------------------------------------------------------------------


class HomeView(LoginRequiredMixin, TemplateView):
    """The district cockpit for staff; an enterprise sees its own pool status and what it can apply for."""

    def get_template_names(self) -> list[str]:
        if actor(self.request).role == Role.ENTERPRISE:
            return ["cultivation/enterprise_home.html"]
        return ["cultivation/home.html"]

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        user = actor(self.request)
        if user.role == Role.ENTERPRISE:
            context.update(enterprise_status(user))
        elif user.role in STAFF_ROLES:
            context.update(cockpit(user, selected_district(self.request)))
            context["districts"] = District.objects.order_by("code") if user.sees_whole_city else None
        return context


def _in_district(queryset: QuerySet, path: str, district: District | None, user: Any) -> QuerySet:
    """City staff may narrow a page to one unit; a district user's rows are already its unit's."""
    if district is not None and user.sees_whole_city:
        return queryset.filter(**{path: district.pk})
    return queryset


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


# --- applications (Art. 10) -----------------------------------------------------------------------


class ApplicationListView(ScopedListMixin, ScopedListView):
    model = PoolApplication
    template_name = "cultivation/application_list.html"
    filterset_class = ApplicationFilter
    ordering_fields = {"created_at": "created_at", "enterprise": "enterprise__name", "status": "status"}
    default_ordering = ["-created_at", "-pk"]  # type: ignore[assignment]
    columns = [
        ("enterprise", _("企业")),
        (None, _("管理单位")),
        ("created_at", _("申请时间")),
        ("status", _("状态")),
        (None, _("入库条件")),
    ]

    def refine_queryset(self, queryset: QuerySet) -> QuerySet:
        return self.filtered(queryset.select_related("enterprise", "enterprise__district", "applied_by"))

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.update(self.list_context(), statuses=ApplicationStatus.choices)
        for application in context["object_list"]:
            application.passed = sum(1 for item in application.checklist if item.get("passed"))
        context["can_apply"] = can(actor(self.request), "pool.apply")
        return context


class ApplicationCreateView(RoleRequiredMixin, TemplateView):
    """An enterprise applies for itself; a district clerk applies for one of its enterprises."""

    permission = "pool.apply"
    template_name = "cultivation/application_form.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.setdefault("form", ApplicationForm(user=actor(self.request)))
        return context

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        form = ApplicationForm(request.POST, user=actor(request))
        if form.is_valid():
            enterprise = form.enterprise()
            if enterprise is None:
                raise Http404
            try:
                application = services.pool_application_submit(
                    actor=actor(request),
                    enterprise=enterprise,
                    intention=form.cleaned_data["intention"],
                    plan=form.cleaned_data["plan"],
                    lawful_declaration=form.cleaned_data["lawful_declaration"],
                )
            except NotAllowed as error:
                raise PermissionDenied(str(error.message)) from error
            except (InvalidInput, StateConflict) as error:
                if "enterprise" in error.field_errors and "credit_code" in form.fields:
                    error.field_errors["credit_code"] = error.field_errors.pop("enterprise")
                add_service_errors(form, error)
            else:
                messages.success(request, str(_("入库申请已提交，等待区县经信部门审核。")))
                return redirect("cultivation:application_detail", application.pk)
        return self.render_to_response(self.get_context_data(form=form))


class ApplicationDetailView(ScopedDetailView):
    model = PoolApplication
    template_name = "cultivation/application_detail.html"

    def refine_queryset(self, queryset: QuerySet) -> QuerySet:
        return queryset.select_related("enterprise", "enterprise__district", "applied_by", "decided_by")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        application = self.object
        context["can_decide"] = (
            can(actor(self.request), "pool.manage") and application.status == ApplicationStatus.PENDING
        )
        context["all_passed"] = all(item.get("passed") for item in application.checklist)
        context["membership"] = getattr(application, "membership", None)
        return context


class ApplicationDecideView(PostActionView):
    permission = "pool.manage"
    model = PoolApplication

    def run(self, application: PoolApplication, action: str) -> Any:
        text = self.request.POST.get("reason", "")
        if action == "accept":
            services.pool_application_accept(actor=actor(self.request), application=application, note=text)
            return _("已同意入库，企业已进入本区县培育库。")
        if action == "reject":
            services.pool_application_reject(actor=actor(self.request), application=application, reason=text)
            return _("已驳回入库申请，企业将看到驳回原因。")
        raise Http404

    def redirect_to(self, application: PoolApplication) -> str:
        return reverse("cultivation:application_detail", args=[application.pk])


# --- members (Art. 11) ----------------------------------------------------------------------------


class MemberListView(ScopedListMixin, ScopedListView):
    model = PoolMembership
    template_name = "cultivation/member_list.html"
    filterset_class = MembershipFilter
    ordering_fields = {
        "enterprise": "enterprise__name",
        "joined_on": "joined_on",
        "status": "status",
        "district": "enterprise__district_id",
    }
    default_ordering = ["-joined_on", "-pk"]  # type: ignore[assignment]
    columns = [
        ("enterprise", _("企业")),
        ("district", _("管理单位")),
        ("joined_on", _("入库日期")),
        ("status", _("状态")),
        (None, _("最新等级")),
        (None, _("L距B级")),
    ]

    def refine_queryset(self, queryset: QuerySet) -> QuerySet:
        queryset = queryset.select_related("enterprise", "enterprise__district")
        latest = LevelDecision.objects.filter(membership=OuterRef("pk")).order_by("-year")
        queryset = queryset.annotate(
            latest_year=Subquery(latest.values("year")[:1]),
            latest_level=Subquery(latest.values("level")[:1]),
            latest_gap=Subquery(latest.values("level_gap")[:1]),
            latest_certified=Subquery(latest.values("certified_b")[:1]),
        )
        level = self.request.GET.get("level", "")
        if level in Level.values:
            queryset = queryset.filter(latest_level=level)
        return self.filtered(queryset)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.update(self.list_context(), statuses=MembershipStatus.choices, levels=Level.choices)
        for member in context["object_list"]:
            member.level_css = LEVEL_CSS.get(member.latest_level or "", "")
            member.level_text = level_label(member.latest_level or "")
        return context


class MemberDetailView(ScopedDetailView):
    """A member's file: flags with dates, supervision timeline, levels per year, certifications, reviews."""

    model = PoolMembership
    template_name = "cultivation/member_detail.html"

    def refine_queryset(self, queryset: QuerySet) -> QuerySet:
        return queryset.select_related("enterprise", "enterprise__district", "district", "application")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        user = actor(self.request)
        member = self.object
        records = list(member.supervision_records.select_related("recorded_by").order_by("-date", "-id"))
        context["records"] = records
        context["flags"] = self.flags(member, records)
        decisions = list(
            member.level_decisions.select_related("standard", "standard__district", "job").order_by("-year")
        )
        context["decisions"] = [decorate_decision(d) for d in decisions]
        context["certifications"] = list(
            member.certifications.select_related("district", "applied_by", "reviewed_by").order_by(
                "-applied_at"
            )
        )
        context["reviews"] = (
            list(member.reviews.select_related("opened_by", "closed_by").order_by("-opened_at"))
            if user.role in STAFF_ROLES
            else None
        )
        manage = can(user, "pool.manage") and member.is_active
        context["can_record"] = manage
        context["can_exit"] = can(user, "pool.exit") and member.is_active
        context["can_review"] = can(user, "pool.review") and member.is_active
        context["can_apply_b"] = (
            can(user, "pool.apply")
            and member.is_active
            and bool(decisions)
            and decisions[0].level == Level.B_ELIGIBLE
            and not any(c.status in OPEN_CERTIFICATION_STATUSES for c in context["certifications"])
        )
        context.setdefault("supervision_form", SupervisionForm() if manage else None)
        context.setdefault("exit_form", ReasonForm())
        context.setdefault("review_form", ReviewOpenForm())
        return context

    @staticmethod
    def flags(member: PoolMembership, records: list[Any]) -> list[dict[str, Any]]:
        """Supervised / guided / has-plan with the date each first held (records dated up to today)."""
        today = timezone.localdate()
        rows = []
        for label, kinds in (
            (_("已纳入监管（节能监察或能耗在线监测）"), SUPERVISED_KINDS),
            (_("已接受指导服务（绿色生产水平评估或诊断）"), GUIDED_KINDS),
            (_("已明确提升路径"), PLAN_KINDS),
        ):
            dates = [r.date for r in records if r.kind in kinds and r.date <= today]
            rows.append(
                {
                    "label": label,
                    "held": bool(dates),
                    "since": min(dates) if dates else None,
                    "last": max(dates) if dates else None,
                }
            )
        return rows


class MemberActionView(RoleRequiredMixin, View):
    """Record supervision, open a review or take a member out; errors re-render the file with the input."""

    http_method_names = ["post"]

    def post(self, request: HttpRequest, pk: int, action: str) -> HttpResponse:
        member = get_object_or_404(PoolMembership.objects.visible_to(actor(request)), pk=pk)
        forms_by_action = {
            "supervision": ("supervision_form", SupervisionForm(request.POST, request.FILES)),
            "exit": ("exit_form", ReasonForm(request.POST)),
            "review": ("review_form", ReviewOpenForm(request.POST)),
        }
        if action not in forms_by_action:
            raise Http404
        name, form = forms_by_action[action]
        if form.is_valid():
            try:
                done = self.run(member, action, form.cleaned_data)
            except NotAllowed as error:
                raise PermissionDenied(str(error.message)) from error
            except (InvalidInput, StateConflict) as error:
                add_service_errors(form, error)
            else:
                messages.success(request, str(done))
                return redirect("cultivation:member_detail", member.pk)
        messages.error(request, str(_("提交的数据有误，请检查标出的字段。")))
        view = MemberDetailView(request=request, kwargs={"pk": pk}, args=())
        view.object = get_object_or_404(view.get_queryset(), pk=pk)
        return render(request, view.template_name, view.get_context_data(**{name: form}), status=400)

    def run(self, member: PoolMembership, action: str, data: dict[str, Any]) -> Any:
        user = actor(self.request)
        if action == "supervision":
            services.supervision_record_add(
                actor=user,
                membership=member,
                kind=data["kind"],
                date=data["date"],
                note=data.get("note", ""),
                evidence=data.get("evidence"),
            )
            return _("已登记监管与服务记录。")
        if action == "exit":
            services.membership_exit(actor=user, membership=member, reason=data["reason"])
            return _("该企业已退出培育库。")
        review = services.irregular_review_open(actor=user, membership=member, scope_note=data["scope_note"])
        return _("已发起不定期复核 #{id}。").format(id=review.pk)


# --- district standard (Art. 5) -------------------------------------------------------------------


def visible_district(user: Any, code: str) -> District:
    """The unit whose standard the user may read: any for city staff, its own otherwise (else 404)."""
    district = get_object_or_404(District, pk=code)
    if user.sees_whole_city:
        return district
    own = user.district_id if user.role == Role.DISTRICT else getattr(user.enterprise, "district_id", None)
    if district.pk != own:
        raise Http404
    return district


class StandardRedirectView(LoginRequiredMixin, View):
    """A district's or enterprise's own unit; city staff pick one (first unit with a pool by default)."""

    def get(self, request: HttpRequest) -> HttpResponse:
        user = actor(request)
        code = request.GET.get("district") or (
            user.district_id
            if user.role == Role.DISTRICT
            else getattr(user.enterprise, "district_id", None)
            if user.role == Role.ENTERPRISE
            else DistrictStandard.objects.order_by("district_id")
            .values_list("district_id", flat=True)
            .first()
            or District.objects.order_by("code").values_list("code", flat=True).first()
        )
        if not code:
            raise Http404
        return redirect("cultivation:standard_detail", code)


class StandardDetailView(LoginRequiredMixin, TemplateView):
    template_name = "cultivation/standard_detail.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        user = actor(self.request)
        district = visible_district(user, self.kwargs["code"])
        versions = list(
            DistrictStandard.objects.filter(district=district)
            .select_related("created_by")
            .order_by("-version")
        )
        template = pool_standard_to_dict(DEFAULT_POOL_STANDARD)
        current = versions[0].parameters if versions else template
        can_edit = can(user, "pool.manage") and user.district_id == district.pk
        context.update(
            district=district,
            versions=versions,
            in_force=versions[0] if versions else None,
            current=current,
            template=template,
            rows=[
                (label, current.get(key), template[key])
                for label, key in (
                    (_("B级：各维度得分下限 D_k"), "b_dimension_min"),
                    (_("B级：绿色化水平得分下限 L"), "b_level_min"),
                    (_("C级：绿色化水平得分下限 L"), "c_level_min"),
                )
            ],
            can_edit=can_edit,
            districts=District.objects.order_by("code") if user.sees_whole_city else None,
        )
        if can_edit:
            context.setdefault(
                "form",
                StandardForm(initial={k: current[k] for k in StandardForm.base_fields if k in current}),
            )
        return context

    def post(self, request: HttpRequest, code: str) -> HttpResponse:
        if not can(actor(request), "pool.manage"):
            raise PermissionDenied
        district = visible_district(actor(request), code)
        form = StandardForm(request.POST)
        if form.is_valid():
            try:
                standard = services.district_standard_new_version(
                    actor=actor(request),
                    district=district,
                    parameters=form.parameters(),
                    note=form.cleaned_data["note"],
                )
            except NotAllowed as error:
                raise PermissionDenied(str(error.message)) from error
            except (InvalidInput, StateConflict) as error:
                add_service_errors(form, error)
            else:
                messages.success(
                    request,
                    str(_("已建立分级标准第{version}版，下次计算等级时生效。")).format(
                        version=standard.version
                    ),
                )
                return redirect("cultivation:standard_detail", district.pk)
        return self.render_to_response(self.get_context_data(form=form), status=400)


# --- levels (Art. 11) -----------------------------------------------------------------------------


class LevelListView(ScopedListMixin, ScopedListView):
    model = LevelDecision
    template_name = "cultivation/level_list.html"
    ordering_fields = {
        "enterprise": "enterprise__name",
        "level": "level",
        "score": "level_score",
        "gap": "level_gap",
    }
    default_ordering = ["enterprise__name", "pk"]  # type: ignore[assignment]
    columns = [
        ("enterprise", _("企业")),
        ("level", _("培育等级")),
        ("score", _("绿色化水平得分 L")),
        ("gap", _("L距B级")),
        (None, _("监管/指导/路径")),
        (None, _("分级标准版本")),
    ]

    def year(self) -> int | None:
        try:
            return int(self.request.GET.get("year", ""))
        except ValueError:
            years = LevelDecision.objects.visible_to(actor(self.request)).aggregate(y=Max("year"))
            return years["y"]

    def refine_queryset(self, queryset: QuerySet) -> QuerySet:
        queryset = queryset.filter(year=self.year()).select_related(
            "enterprise", "enterprise__district", "standard", "standard__district", "membership"
        )
        level = self.request.GET.get("level", "")
        if level in Level.values:
            queryset = queryset.filter(level=level)
        certified = self.request.GET.get("certified", "")
        if certified in ("1", "0"):
            queryset = queryset.filter(certified_b=certified == "1")
        q = self.request.GET.get("q", "").strip()
        if q:
            queryset = queryset.filter(
                Q(enterprise__name__icontains=q) | Q(enterprise__credit_code__icontains=q.upper())
            )
        district = selected_district(self.request)
        queryset = _in_district(queryset, "enterprise__district", district, actor(self.request))
        return self.filtered(queryset)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        user = actor(self.request)
        visible = LevelDecision.objects.visible_to(user)
        context.update(
            self.list_context(),
            year=self.year(),
            years=sorted(set(visible.values_list("year", flat=True)) | {timezone.localdate().year - 1})[::-1],
            levels=Level.choices,
            can_compute=can(user, "pool.manage"),
            jobs=list(
                LevelJob.objects.visible_to(user)
                .select_related("standard", "started_by", "district")
                .order_by("-created_at")[:5]
            ),
            compute_years=years_choice(),
        )
        for decision in context["object_list"]:
            decision.level_css = LEVEL_CSS.get(decision.level, "")
        return context


class LevelJobStartView(RoleRequiredMixin, View):
    permission = "pool.manage"
    http_method_names = ["post"]

    def post(self, request: HttpRequest) -> HttpResponse:
        try:
            job = services.level_job_start(
                actor=actor(request), district=actor(request).district, year=posted_year(request)
            )
        except NotAllowed as error:
            raise PermissionDenied(str(error.message)) from error
        except (InvalidInput, StateConflict) as error:
            _flash(request, error)
            return redirect("cultivation:level_list")
        messages.success(request, str(_("已开始计算{year}年度培育等级。")).format(year=job.year))
        return redirect("cultivation:level_job_detail", job.pk)


def job_message(job: LevelJob) -> str:
    if job.status == JobStatus.QUEUED:
        return str(_("排队中，等待后台计算开始……"))
    if job.status == JobStatus.RUNNING:
        return str(_("正在计算：已完成 {done} / {total} 家。")).format(done=job.done, total=job.total)
    if job.status == JobStatus.FAILED:
        return str(_("计算失败：{error}")).format(error=job.error)
    return str(_("计算完成：共 {total} 家培育库成员。")).format(total=job.total)


class LevelJobDetailView(ScopedDetailView):
    model = LevelJob
    template_name = "cultivation/level_job_detail.html"

    def refine_queryset(self, queryset: QuerySet) -> QuerySet:
        return queryset.select_related("district", "standard", "started_by")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        job = self.object
        context["message"] = job_message(job)
        context["outcomes"] = [
            {"level": level, "label": label, "css": LEVEL_CSS[level], "count": job.counts.get(level, 0)}
            for level, label in Level.choices
        ]
        return context


class LevelJobProgressView(LoginRequiredMixin, View):
    """JSON {status, progress, done, total, message} that static/js/app.js polls."""

    def get(self, request: HttpRequest, pk: int) -> JsonResponse:
        job = get_object_or_404(LevelJob.objects.visible_to(actor(request)), pk=pk)
        response = JsonResponse(
            {
                "status": job.status,
                "progress": job.progress,
                "done": job.done,
                "total": job.total,
                "counts": job.counts,
                "message": job_message(job),
            }
        )
        response["Cache-Control"] = "no-store"
        return response


# --- B certification (Art. 11(1)) -----------------------------------------------------------------


class CertificationListView(ScopedListMixin, ScopedListView):
    model = BCertification
    template_name = "cultivation/certification_list.html"
    filterset_class = CertificationFilter
    ordering_fields = {"applied_at": "applied_at", "certified_at": "certified_at", "status": "status"}
    default_ordering = ["-applied_at", "-pk"]  # type: ignore[assignment]
    columns = [
        (None, _("企业")),
        (None, _("依据等级年度")),
        ("applied_at", _("申请时间")),
        ("status", _("状态")),
        ("certified_at", _("认定时间")),
        (None, _("证书编号")),
    ]

    def refine_queryset(self, queryset: QuerySet) -> QuerySet:
        return self.filtered(
            queryset.select_related("membership__enterprise", "membership__enterprise__district", "district")
        )

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.update(self.list_context(), statuses=CertificationStatus.choices)
        return context


class CertificationApplyView(RoleRequiredMixin, TemplateView):
    """Apply for B on the member's latest level; refused with the named gaps when it is not B-eligible."""

    permission = "pool.apply"
    template_name = "cultivation/certification_apply.html"

    def member(self) -> PoolMembership:
        members = PoolMembership.objects.visible_to(actor(self.request)).filter(
            status=MembershipStatus.ACTIVE
        )
        pk = self.request.GET.get("member") or self.request.POST.get("member")
        if actor(self.request).role == Role.ENTERPRISE and not pk:
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
        context.update(member=member, decision=decorate_decision(decision) if decision else None)
        return context

    def post(self, request: HttpRequest) -> HttpResponse:
        member = self.member()
        try:
            certification = services.b_certification_apply(
                actor=actor(request), enterprise=member.enterprise, year=int(request.POST.get("year") or 0)
            )
        except NotAllowed as error:
            raise PermissionDenied(str(error.message)) from error
        except (InvalidInput, StateConflict) as error:
            _flash(request, error)
            return self.render_to_response(self.get_context_data(refused=True), status=400)
        messages.success(request, str(_("B级认定申请已提交，等待区县经信部门认定。")))
        return redirect("cultivation:certification_detail", certification.pk)


class CertificationDetailView(ScopedDetailView):
    """The district's review page: the gap-to-B checklist, then certify / reject or, after a level fell,
    confirm the loss / keep the title."""

    model = BCertification
    template_name = "cultivation/certification_detail.html"

    def refine_queryset(self, queryset: QuerySet) -> QuerySet:
        return queryset.select_related(
            "membership__enterprise",
            "membership__enterprise__district",
            "district",
            "applied_by",
            "reviewed_by",
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
        manage = can(actor(self.request), "pool.manage")
        context.update(
            decision=decorate_decision(decision) if decision else None,
            checklist=certification.checklist,
            can_certify=manage and certification.status == CertificationStatus.APPLIED,
            can_settle=manage and certification.status == CertificationStatus.UNDER_REVIEW,
            has_certificate=certification.status in HOLDING_STATUSES and bool(certification.certificate_no),
        )
        return context


class CertificationDecideView(PostActionView):
    permission = "pool.manage"
    model = BCertification
    DONE = {
        "certify": _("已认定为区县级绿色工厂，证书编号已生成。"),
        "reject": _("已决定不予认定，企业将看到原因。"),
        "confirm_loss": _("已确认取消B级认定。"),
        "keep": _("已保留B级认定。"),
    }

    def run(self, certification: BCertification, action: str) -> Any:
        user, text = actor(self.request), self.request.POST.get("reason", "")
        if action == "certify":
            services.b_certification_certify(actor=user, certification=certification, note=text)
        elif action == "reject":
            services.b_certification_reject(actor=user, certification=certification, reason=text)
        elif action == "confirm_loss":
            services.b_certification_confirm_loss(actor=user, certification=certification, reason=text)
        elif action == "keep":
            services.b_certification_keep(actor=user, certification=certification, reason=text)
        else:
            raise Http404
        return self.DONE[action]

    def redirect_to(self, certification: BCertification) -> str:
        return reverse("cultivation:certification_detail", args=[certification.pk])


class CertificateView(ScopedDetailView):
    """The printable certificate of a certified B factory (区县级绿色工厂)."""

    model = BCertification
    template_name = "cultivation/certificate.html"

    def refine_queryset(self, queryset: QuerySet) -> QuerySet:
        return queryset.filter(status__in=HOLDING_STATUSES).select_related(
            "membership__enterprise", "membership__enterprise__district", "district"
        )


class RecommendedListView(StaffOnlyMixin, LoginRequiredMixin, TemplateView):
    """Certified B factories of active members, for recommendation to city-level application (Art. 11(1))."""

    template_name = "cultivation/recommended.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        district = selected_district(self.request)
        rows = _in_district(
            selectors.recommended_b_factories(actor(self.request)),
            "membership__enterprise__district",
            district,
            actor(self.request),
        )
        context.update(
            rows=rows,
            district=district,
            districts=District.objects.order_by("code") if actor(self.request).sees_whole_city else None,
        )
        return context


# --- irregular reviews (Art. 12) ------------------------------------------------------------------


class ReviewListView(StaffOnlyMixin, ScopedListMixin, ScopedListView):
    model = IrregularReview
    template_name = "cultivation/review_list.html"
    ordering_fields = {"opened_at": "opened_at", "status": "status"}
    default_ordering = ["-opened_at", "-pk"]  # type: ignore[assignment]
    columns = [
        (None, _("企业")),
        ("opened_at", _("发起时间")),
        (None, _("发起人")),
        ("status", _("状态")),
        (None, _("结论")),
    ]

    def refine_queryset(self, queryset: QuerySet) -> QuerySet:
        status = self.request.GET.get("status", "")
        if status in ReviewStatus.values:
            queryset = queryset.filter(status=status)
        return self.filtered(queryset.select_related("membership__enterprise", "opened_by", "closed_by"))

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.update(self.list_context(), statuses=ReviewStatus.choices)
        return context


class ReviewDetailView(StaffOnlyMixin, ScopedDetailView):
    model = IrregularReview
    template_name = "cultivation/review_detail.html"

    def refine_queryset(self, queryset: QuerySet) -> QuerySet:
        return queryset.select_related("membership__enterprise", "opened_by", "closed_by")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        review = self.object
        context["can_close"] = can(actor(self.request), "pool.review") and review.status == ReviewStatus.OPEN
        context.setdefault("form", ReviewCloseForm())
        context["latest"] = (
            LevelDecision.objects.filter(membership=review.membership).order_by("-year").first()
        )
        return context

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        if not can(actor(request), "pool.review"):
            raise PermissionDenied
        self.object = self.get_object()
        form = ReviewCloseForm(request.POST)
        if form.is_valid():
            try:
                review = services.irregular_review_close(
                    actor=actor(request),
                    review=self.object,
                    findings=form.cleaned_data["findings"],
                    falsification=form.cleaned_data["falsification"],
                )
            except NotAllowed as error:
                raise PermissionDenied(str(error.message)) from error
            except (InvalidInput, StateConflict) as error:
                add_service_errors(form, error)
            else:
                if review.falsification and review.level_after:
                    messages.success(
                        request,
                        str(_("复核已完成：{year}年度等级由{before}降为{after}，B级认定已撤回。")).format(
                            year=review.downgraded_year,
                            before=level_label(review.level_before),
                            after=level_label(review.level_after),
                        ),
                    )
                else:
                    messages.success(request, str(_("复核已完成。")))
                return redirect("cultivation:review_detail", review.pk)
        return self.render_to_response(self.get_context_data(form=form), status=400)


# --- district annual report (Art. 12) -------------------------------------------------------------


class ReportListView(StaffOnlyMixin, ScopedListMixin, ScopedListView):
    model = DistrictReport
    template_name = "cultivation/report_list.html"
    ordering_fields = {"year": "year", "district": "district_id", "status": "status"}
    default_ordering = ["-year", "district_id"]  # type: ignore[assignment]
    columns = [
        ("year", _("年度")),
        ("district", _("管理单位")),
        ("status", _("状态")),
        (None, _("报送时间")),
        (None, _("年末在库")),
    ]

    def refine_queryset(self, queryset: QuerySet) -> QuerySet:
        status = self.request.GET.get("status", "")
        if status in ReportStatus.values:
            queryset = queryset.filter(status=status)
        return self.filtered(queryset.select_related("district", "submitted_by"))

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        user = actor(self.request)
        try:
            missing_year = int(self.request.GET.get("missing_year", ""))
        except ValueError:
            missing_year = timezone.localdate().year - 1
        context.update(
            self.list_context(),
            statuses=ReportStatus.choices,
            years=years_choice()[1:] if len(years_choice()) > 1 else years_choice(),
            report_years=[y for y in years_choice() if y >= FIRST_REPORT_YEAR],
            missing_year=missing_year,
            missing=list(selectors.districts_missing_report(user, missing_year))
            if user.sees_whole_city
            else None,
            can_generate=can(user, "district_report.submit"),
        )
        return context


class ReportGenerateView(RoleRequiredMixin, View):
    permission = "district_report.submit"
    http_method_names = ["post"]

    def post(self, request: HttpRequest) -> HttpResponse:
        try:
            report, created = services.district_report_generate(
                actor=actor(request), district=actor(request).district, year=posted_year(request)
            )
        except NotAllowed as error:
            raise PermissionDenied(str(error.message)) from error
        except (InvalidInput, StateConflict) as error:
            _flash(request, error)
            return redirect("cultivation:report_list")
        messages.success(
            request, str(_("已根据数据生成报告草稿。") if created else _("已按最新数据重新生成统计。"))
        )
        return redirect("cultivation:report_detail", report.pk)


class ReportDetailView(StaffOnlyMixin, ScopedDetailView):
    model = DistrictReport
    template_name = "cultivation/report_detail.html"

    def refine_queryset(self, queryset: QuerySet) -> QuerySet:
        return queryset.select_related("district", "generated_by", "submitted_by", "decided_by")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        report = self.object
        user = actor(self.request)
        figures = report.figures
        context["rows"] = [(label, figures.get(key, 0)) for key, label in REPORT_ROWS]
        context["level_rows"] = [
            (label, LEVEL_CSS[level], figures.get("levels", {}).get(level, 0))
            for level, label in Level.choices
        ]
        context["moves"] = [
            {**move, "from_label": level_label(move["from"]), "to_label": level_label(move["to"]), "up": up}
            for up, key in ((True, "upgraded"), (False, "downgraded"))
            for move in figures.get(key, [])
        ]
        context["versions"] = "、".join(f"v{v}" for v in figures.get("standard_versions", [])) or "—"
        editable = report.is_editable and can(user, "district_report.submit")
        context["editable"] = editable
        context.setdefault("form", NarrativeForm(initial={"narrative": report.narrative}))
        context["can_decide"] = (
            can(user, "district_report.decide") and report.status == ReportStatus.SUBMITTED
        )
        return context


class ReportActionView(PostActionView):
    model = DistrictReport
    DONE = {
        "narrative": _("已保存工作情况。"),
        "regenerate": _("已按最新数据重新生成统计。"),
        "submit": _("报告已报送市经济信息委。"),
        "acknowledge": _("已确认该报告。"),
        "return": _("已退回报告，区县将看到退回原因。"),
    }

    def run(self, report: DistrictReport, action: str) -> Any:
        user, post = actor(self.request), self.request.POST
        if action == "narrative":
            services.district_report_save_narrative(
                actor=user, report=report, narrative=post.get("narrative", "")
            )
        elif action == "regenerate":
            services.district_report_generate(actor=user, district=report.district, year=report.year)
        elif action == "submit":
            if "narrative" in post:
                services.district_report_save_narrative(
                    actor=user, report=report, narrative=post.get("narrative", "")
                )
            services.district_report_submit(actor=user, report=report)
        elif action == "acknowledge":
            services.district_report_acknowledge(actor=user, report=report, comment=post.get("reason", ""))
        elif action == "return":
            services.district_report_return(actor=user, report=report, reason=post.get("reason", ""))
        else:
            raise Http404
        return self.DONE[action]

    def redirect_to(self, report: DistrictReport) -> str:
        return reverse("cultivation:report_detail", args=[report.pk])
