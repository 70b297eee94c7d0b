"""Pool members (Art. 11): list, the member's file and its actions (supervision, review, exit)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views import View

from accounts import exports, files
from accounts.errors import InvalidInput, NotAllowed, StateConflict
from accounts.permissions import can
from accounts.transitions import allowed_actions
from accounts.views_base import (
    ScopedDetailView,
    ScopedObjectMixin,
    show_domain_error_on_form,
)
from cultivation import selectors, services
from cultivation.filters import MembershipFilter
from cultivation.forms import ReasonForm, ReviewOpenForm, SupervisionForm
from cultivation.models import (
    GUIDED_KINDS,
    OPEN_CERTIFICATION_STATUSES,
    PLAN_KINDS,
    POOL_MEMBERSHIP_TRANSITIONS,
    SUPERVISED_KINDS,
    Level,
    MembershipStatus,
    PoolMembership,
    SupervisionRecord,
)
from cultivation.views.common import LEVEL_CSS, PoolListView, decorate_decision, level_label


class MemberListView(PoolListView):
    """The pool's members in the user's scope, with their latest level and its gap to B."""

    right = "pool.view"
    model = PoolMembership
    template_name = "cultivation/member_list.html"
    filterset_class = MembershipFilter
    ordering_fields = {
        "enterprise": "enterprise__name",
        "joined_on": "joined_on",
        "status": "status",
        "district": "enterprise__district_id",
    }
    default_ordering = ["-joined_on", "-pk"]
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
        return selectors.with_latest_level(queryset, self.request.GET.get("level", ""))

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.update(
            statuses=MembershipStatus.choices,
            levels=Level.choices,
            export_filters=exports.current_filters("pool_members", context["values"]),
        )
        for member in context["object_list"]:
            member.level_css = LEVEL_CSS.get(member.latest_level or "", "")
            member.level_text = level_label(member.latest_level or "")
        return context


class MemberDetailView(ScopedDetailView):
    """A member's file: flags with dates, supervision timeline, levels per year, certifications, reviews."""

    right = "pool.view"
    model = PoolMembership
    template_name = "cultivation/member_detail.html"

    def refine_queryset(self, queryset: QuerySet) -> QuerySet:
        return queryset.select_related("enterprise", "enterprise__district", "district", "application")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        user = self.request.user
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
            if can(user, "pool_review.view")
            else None
        )
        manage = can(user, "pool.manage") and member.is_active
        context["can_record"] = manage
        context["can_exit"] = "exit" in allowed_actions(POOL_MEMBERSHIP_TRANSITIONS, member, user)
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


class MemberActionView(ScopedObjectMixin, View):
    """Record supervision, open a review or take a member out; errors re-render the file with the input."""

    rights = {"supervision": "pool.manage", "exit": "pool.exit", "review": "pool.review"}
    # Another unit's member answers 404 before a refused role hears 403, as in the services.
    check_after_lookup = True
    model = PoolMembership
    http_method_names = ["post"]

    def post(self, request: HttpRequest, pk: int, action: str) -> HttpResponse:
        member = self.get_object()
        forms_by_action = {
            "supervision": ("supervision_form", SupervisionForm(request.POST, request.FILES)),
            "exit": ("exit_form", ReasonForm(request.POST)),
            "review": ("review_form", ReviewOpenForm(request.POST)),
        }
        name, form = forms_by_action[action]
        if form.is_valid():
            try:
                done = self.run(member, action, form.cleaned_data)
            except NotAllowed as error:
                raise PermissionDenied(str(error.message)) from error
            except (InvalidInput, StateConflict) as error:
                show_domain_error_on_form(form, error)
            else:
                messages.success(request, str(done))
                return redirect("cultivation:member_detail", member.pk)
        messages.error(request, str(_("提交的数据有误，请检查标出的字段。")))
        view = MemberDetailView(request=request, kwargs={"pk": pk}, args=())
        view.object = view.get_object()
        return render(request, view.template_name, view.get_context_data(**{name: form}), status=400)

    def run(self, member: PoolMembership, action: str, data: dict[str, Any]) -> Any:
        user = self.request.user
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


class SupervisionEvidenceView(ScopedObjectMixin, View):
    """A supervision record's evidence file, for whoever may see the member (another unit's answers 404)."""

    right = "pool.view"
    model = SupervisionRecord

    def get(self, request: HttpRequest, pk: int) -> HttpResponseBase:
        record = self.get_object()
        return files.download(record.evidence, record.evidence_download_name)
