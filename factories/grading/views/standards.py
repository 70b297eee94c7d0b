"""Versions of the grading standard: the list, one version in words, new/edit draft and adoption,
plus the helpers that describe a standard and find the one in force.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views import View

from accounts.errors import DomainError, InvalidInput
from accounts.i18n import localized
from accounts.permissions import can
from accounts.views_base import (
    ScopedDetailView,
    ScopedListView,
    ScopedObjectMixin,
    ServiceFormView,
    show_domain_error,
    signed_in,
)
from factories.grading import selectors, services
from factories.grading.forms import AdoptForm, RunStartForm, StandardForm

# The engine's standard is named like the model that stores it; here the model keeps the name.
from factories.grading.standard import GradingStandard as StandardParameters
from factories.grading.standard import IncidentEffect, standard_from_dict
from factories.grading.views.common import EFFECT_LABELS, PUBLISHED_STATES
from factories.indicators import Direction
from factories.models import Grade, GradingStandard, IncidentKind, IncidentSeverity, StandardStatus


def describe_standard(standard: GradingStandard) -> dict[str, Any]:
    """The parameters of a standard version in words: weights, α, bands, peer group, incident effects."""
    params = standard.parameters
    engine = standard_from_dict(params)
    catalogue = selectors.catalogue_view(engine.catalogue_version)
    total = sum(engine.weights.values()) or 1
    indicators_by_dimension: dict[str, list[Any]] = {}
    for indicator in catalogue.indicators:
        indicators_by_dimension.setdefault(indicator.dimension, []).append(
            {
                "code": indicator.code,
                "name": localized(indicator.name_zh, indicator.name_en),
                "unit": localized(indicator.unit, indicator.unit_en),
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
            "name": Grade.label_of(b.grade),
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
        "catalogue_version": selectors.standard_catalogue(engine.catalogue_version),
        "weights": weights,
        "bands": bands,
        "kind_effects": kinds,
        "severity_effects": severities,
        "lowest": engine.lowest_grade,
        "improvement_span": f"{engine.improvement_clip * 100:g}%",
    }


def effect_label(engine: StandardParameters, effect: IncidentEffect) -> str:
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

    right = "grading_standard.view"
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

    right = "grading_standard.view"
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
            runs=selectors.runs_for(user).filter(standard=standard)[:20]
            if can(user, "grading_run.view")
            else [],
        )
        if can_manage and draft:
            context["adopt_form"] = AdoptForm(user=user, standard=standard)
            context["simulate_form"] = RunStartForm(
                user=user, initial={"standard": standard.pk, "simulation": True}
            )
        return context


class StandardFormView(ScopedObjectMixin, ServiceFormView):
    """Create a new draft version from `pk` (the base), or edit the draft `pk` (`edit = True`)."""

    right = "grading.manage"
    model = GradingStandard
    form_class = StandardForm
    template_name = "factories/grading/standard_form.html"
    edit = False

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return self.refuse_used_standard() or super().get(request, *args, **kwargs)

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return self.refuse_used_standard() or super().post(request, *args, **kwargs)

    def refuse_used_standard(self) -> HttpResponse | None:
        """Load the standard; an adopted or published one cannot be edited (back to its page with why)."""
        self.standard = self.get_object()
        if self.edit and (
            self.standard.status != StandardStatus.DRAFT or used_by_published_run(self.standard)
        ):
            messages.error(
                self.request, str(_("该标准版本已采用或已用于发布的评价结果，不能修改；请基于它创建新版本。"))
            )
            return redirect("factories:standard_detail", pk=self.standard.pk)
        return None

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


class StandardAdoptView(ScopedObjectMixin, View):
    """Put a draft in force from a date (the previous version ends the day before)."""

    right = "grading.manage"
    model = GradingStandard
    http_method_names = ["post"]

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        standard = self.get_object()
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
            show_domain_error(request, error)
        else:
            for errors in form.errors.values():
                for text in errors:
                    messages.error(request, str(text))
        return redirect("factories:standard_detail", pk=standard.pk)
