"""Objections (异议) to a published grade (issue 17 items 2, 3).

Public: the objection form of a run in notice (公示), without sign-in, CSRF-protected and throttled per client
address and per day; refused with a message outside the notice period, 404 for a run that is not public
(draft, simulation, superseded). For enterprises: an objection about their own result from 「我的等级」. For
staff: the list of objections of their scope and one objection, where the city accepts or rejects it and
links the new run of the year.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db.models import QuerySet
from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.decorators.cache import never_cache
from django.views.generic import FormView

from accounts import audit, files, throttles
from accounts.errors import InvalidInput, StateConflict
from accounts.permissions import can
from accounts.proxies import client_ip
from accounts.views_base import ScopedDetailView, ScopedListView, ScopedObjectMixin, ServiceFormView
from factories.grading import selectors, services
from factories.grading.forms import ObjectionDecisionForm, ObjectionForm, ObjectionLinkRunForm
from factories.models import GradingResult, GradingRun, Objection, ObjectionStatus, ObjectorKind

FILED_SESSION_KEY = "objection_filed"


def public_run_or_404(run_id: int) -> GradingRun:
    """A run whose notice has begun and that is still the year's current official publication; else 404."""
    return get_object_or_404(
        GradingRun.objects.published().filter(
            superseded_by__isnull=True, notice_from__lte=timezone.localdate()
        ),
        pk=run_id,
    )


def throttle_keys(address: str) -> tuple[str, str]:
    day = timezone.localdate().isoformat()
    return (
        f"objection:{day}:" + throttles.digest(address),
        f"objection:{day}:all",
    )


def reset_throttle(address: str) -> None:
    cache.delete_many(list(throttle_keys(address)))


@method_decorator(never_cache, name="dispatch")
class PublicObjectionView(FormView):
    """Anyone may object to a listed factory's grade during the notice period (real name, e-mail, statement,
    optional evidence). Per client address OBJECTION_THROTTLE_PER_ADDRESS a day, and OBJECTION_THROTTLE_PER_DAY
    in all; past that 429 and nothing stored. Never cached, unlike the notice pages that link to it: it
    carries the visitor's CSRF token and, once filed, the receipt with their e-mail address."""

    form_class = ObjectionForm
    template_name = "factories/grading/objection_public.html"

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        self.run = public_run_or_404(kwargs["run_id"])
        self.refusal = services.objection_window_problem(self.run)
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self) -> dict[str, Any]:
        return {**super().get_form_kwargs(), "user": None, "run": self.run}

    def get_initial(self) -> dict[str, Any]:
        wanted = self.request.GET.get("result", "")
        if wanted.isdigit():
            result = self.run.results.filter(pk=int(wanted)).first()
            if result is not None:
                return {"result": result}
        return {}

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        filed = self.request.session.pop(FILED_SESSION_KEY, None) if self.request.method == "GET" else None
        return {
            **super().get_context_data(**kwargs),
            "run": self.run,
            "refusal": self.refusal,
            "filed": filed,
        }

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if self.refusal:
            return self.render_to_response(self.get_context_data(), status=409)
        address = client_ip(request)
        per_address, per_day = throttle_keys(address)
        if throttles.hit(per_address, 86400) > settings.OBJECTION_THROTTLE_PER_ADDRESS or (
            throttles.hit(per_day, 86400) > settings.OBJECTION_THROTTLE_PER_DAY
        ):
            audit.record_security_event(
                action="objection.throttled", username="(objection)", address=address, by_owner=False
            )
            return TemplateResponse(request, "factories/grading/objection_throttled.html", {}, status=429)
        return super().post(request, *args, **kwargs)

    def form_valid(self, form: Form) -> HttpResponse:
        try:
            objection = form.save()  # type: ignore[attr-defined]
        except InvalidInput:
            return self.form_invalid(form)
        except StateConflict as error:
            self.refusal = str(error.message)
            return self.render_to_response(self.get_context_data(form=form), status=409)
        self.request.session[FILED_SESSION_KEY] = {"pk": objection.pk, "email": objection.email}
        return HttpResponseRedirect(reverse("objections:public_new", args=[self.run.pk]))


class EnterpriseObjectionView(ScopedObjectMixin, ServiceFormView):
    """「提出异议」 from 「我的等级」: the enterprise objects to its own result in notice, naming indicators."""

    right = "objection.file"
    model = GradingResult
    pk_url_kwarg = "result_pk"
    form_class = ObjectionForm
    template_name = "factories/grading/objection_form.html"
    check_after_lookup = True

    def scoped_queryset(self) -> QuerySet:
        return selectors.published_grades(self.request.user).select_related("run", "enterprise")

    def get_form_kwargs(self) -> dict[str, Any]:
        result = self.get_object()
        return {**super().get_form_kwargs(), "run": result.run, "result": result}

    def get_initial(self) -> dict[str, Any]:
        user = self.request.user
        return {"name": user.get_full_name(), "email": user.email}  # type: ignore[union-attr]

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        result = self.get_object()
        return {
            **super().get_context_data(**kwargs),
            "result": result,
            "refusal": services.objection_window_problem(result.run),
        }

    def get_success_message(self, result: Objection) -> str:
        return str(_("异议已提交（编号 {pk}），市经济信息委处理后将通知您。")).format(pk=result.pk)

    def get_success_url_for(self, result: Objection) -> str:
        return reverse("factories:objection_detail", args=[result.pk])


class ObjectionListView(ScopedListView):
    """Objections of the user's scope: the city all, a district those about its enterprises, an enterprise its own."""

    right = "objection.view"
    model = Objection
    template_name = "factories/grading/objection_list.html"
    filter_params = ("status", "kind", "year")
    ordering_fields = {"filed": "filed_at", "enterprise": "enterprise__name", "status": "status"}
    default_ordering = ["-filed_at", "-pk"]
    columns = [
        (None, _("编号")),
        ("enterprise", _("企业")),
        (None, _("年度")),
        (None, _("异议人")),
        ("filed", _("提出时间")),
        ("status", _("状态")),
    ]

    def refine_queryset(self, queryset: QuerySet) -> QuerySet:
        status = self.request.GET.get("status", "")
        if status in ObjectionStatus.values:
            queryset = queryset.filter(status=status)
        kind = self.request.GET.get("kind", "")
        if kind in ObjectorKind.values:
            queryset = queryset.filter(objector_kind=kind)
        year = self.request.GET.get("year", "")
        if year.isdigit() and 1 <= int(year) <= 9999:
            queryset = queryset.filter(run__year=int(year))
        return queryset.select_related("enterprise__district", "run")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return {
            **super().get_context_data(**kwargs),
            "statuses": ObjectionStatus.choices,
            "kinds": ObjectorKind.choices,
        }


class ObjectionDetailView(ScopedDetailView):
    """One objection with its evidence; for the city the decision (with confirmation) and the new run."""

    right = "objection.view"
    model = Objection
    template_name = "factories/grading/objection_detail.html"
    context_object_name = "objection"

    def refine_queryset(self, queryset: QuerySet) -> QuerySet:
        return queryset.select_related(
            "enterprise__district",
            "run__standard",
            "result",
            "decided_by",
            "remedy_incident",
            "new_run",
        ).prefetch_related("evidence")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        objection = self.object
        catalogue = selectors.catalogue_view(objection.run.standard.catalogue_code)
        names = {i.code: i.name_zh for i in catalogue.indicators}
        decide = can(self.request.user, "objection.decide")
        context.update(
            indicator_names=[names.get(code, code) for code in objection.indicators],
            can_decide=decide and objection.status == ObjectionStatus.PENDING,
            show_objector=objection.objector_kind == ObjectorKind.ENTERPRISE
            or can(self.request.user, "objection.view_objector"),
            can_link=decide and objection.status == ObjectionStatus.ACCEPTED,
            can_view_runs=can(self.request.user, "grading_run.view"),
            submission=selectors.objection_submission(self.request.user, objection),
            correction=selectors.objection_correction(self.request.user, objection),
            decision_form=kwargs.get("decision_form")
            or ObjectionDecisionForm(user=self.request.user, objection=objection),
            link_form=kwargs.get("link_form")
            or ObjectionLinkRunForm(user=self.request.user, objection=objection),
        )
        return context


class ObjectionActionView(ScopedObjectMixin, View):
    """The city's steps on an objection: `decide` (accept or reject with a reason) and `link-run`."""

    rights = {"decide": "objection.decide", "link-run": "objection.decide"}
    model = Objection
    check_after_lookup = True

    def post(self, request: HttpRequest, pk: int, action: str) -> HttpResponse:
        from django.contrib import messages

        from accounts.views_base import show_domain_error

        objection = self.get_object()
        form_class = ObjectionDecisionForm if action == "decide" else ObjectionLinkRunForm
        form = form_class(request.POST, user=request.user, objection=objection)
        if form.is_valid():
            try:
                form.save()
            except (StateConflict, InvalidInput) as error:
                if isinstance(error, StateConflict):
                    show_domain_error(request, error)
            else:
                messages.success(request, str(_("已处理。")))
                return HttpResponseRedirect(reverse("factories:objection_detail", args=[objection.pk]))
        for field, errors in form.errors.items():
            label = form.fields[field].label if field in form.fields else ""
            for text in errors:
                messages.error(request, f"{label}：{text}" if label else str(text))
        return HttpResponseRedirect(reverse("factories:objection_detail", args=[objection.pk]))


class ObjectionEvidenceView(ScopedObjectMixin, View):
    """One evidence file of an objection, for whoever may see the objection."""

    right = "objection.view"
    model = Objection

    def get(self, request: HttpRequest, pk: int, n: int) -> HttpResponseBase:
        """The n-th file (from 1) in the order they were filed."""
        objection = self.get_object()
        item = objection.evidence.order_by("id")[n - 1 : n].first() if n >= 1 else None
        if item is None:
            raise Http404
        return files.download(item.file, item.download_name)
