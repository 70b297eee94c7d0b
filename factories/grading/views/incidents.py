"""Incidents (accidents and falsifications, Art. 9): the list with their revocations, and recording one."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, QuerySet
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views import View

from accounts import files
from accounts.permissions import can
from accounts.views_base import ScopedListView, ScopedObjectMixin, ServiceFormView
from factories.grading.forms import IncidentForm
from factories.grading.standard import standard_from_dict
from factories.grading.views.common import PROPOSAL_BADGES
from factories.grading.views.standards import describe_standard, effect_label, standard_in_force_or_none
from factories.models import FIRST_DATA_YEAR, Incident, IncidentKind, IncidentSeverity, RevocationProposal


class IncidentListView(ScopedListView):
    """Accidents and falsifications recorded by the city (Art. 9), with the revocations they led to."""

    right = "incident.list"
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
        # A year no calendar has (past 9999) cannot be filtered on: ignored like any other unusable value.
        if year.isdigit() and 1 <= int(year) <= 9999:
            queryset = queryset.filter(occurred_on__year=int(year))
        return queryset.order_by("-occurred_on", "-id")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        engines: dict[int, Any] = {}
        for incident in context["object_list"]:
            year = incident.occurred_on.year
            if year not in engines:
                standard = standard_in_force_or_none(year)
                engines[year] = standard_from_dict(standard.parameters) if standard else None
            engine = engines[year]
            incident.effect = (
                effect_label(engine, engine.incident_effect(incident.kind, incident.severity))
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
            first_data_year=FIRST_DATA_YEAR,
            can_manage=can(self.request.user, "incident.manage"),
        )
        return context


class IncidentCreateView(ServiceFormView):
    """Record an incident of a green factory (city staff); the next run of its year applies it."""

    right = "incident.manage"
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


class IncidentEvidenceView(ScopedObjectMixin, View):
    """An incident's evidence file, for whoever may see the incident (another unit's answers 404)."""

    right = "incident.view"
    model = Incident

    def get(self, request: HttpRequest, pk: int) -> HttpResponseBase:
        incident = self.get_object()
        return files.download(incident.evidence, incident.evidence_download_name)
