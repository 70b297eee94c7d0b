"""Revocation proposals (Art. 9): every proposal, from a run or from the register, and where to decide it."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from accounts.permissions import can
from accounts.views_base import ScopedListView
from factories.grading.views.common import PROPOSAL_BADGES, PROPOSAL_REASONS
from factories.models import ProposalSource, ProposalStatus, RevocationProposal, RunStatus


class ProposalListView(ScopedListView):
    """Revocation proposals with their source (a run or the register), status and decision. A register
    proposal is decided here by a city user other than its proposer; a run's proposal on its run's page once
    the run is final."""

    right = "incident.list"
    model = RevocationProposal
    template_name = "factories/grading/proposal_list.html"

    def refine_queryset(self, queryset: QuerySet) -> QuerySet:
        queryset = queryset.filter(run__is_simulation=False) | queryset.filter(run__isnull=True)
        status = self.request.GET.get("status", "")
        if status in ProposalStatus.values:
            queryset = queryset.filter(status=status)
        source = self.request.GET.get("source", "")
        if source in ProposalSource.values:
            queryset = queryset.filter(run__isnull=source == ProposalSource.REGISTER)
        return queryset.select_related(
            "enterprise__district", "run", "incident__recorded_by", "proposed_by", "decided_by"
        ).order_by("-proposed_at", "-id")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        user = self.request.user
        may_decide = can(user, "incident.manage")
        for proposal in context["object_list"]:
            proposal.badge = PROPOSAL_BADGES.get(proposal.status, "badge-draft")
            proposal.reason_label = (
                proposal.reason_text
                if proposal.run_id is None
                else str(proposal.incident)
                if proposal.incident is not None
                else PROPOSAL_REASONS.get(proposal.reason, proposal.reason)
            )
            if proposal.run is None:
                proposal.first_person = proposal.proposed_by
            elif proposal.incident is not None:
                proposal.first_person = proposal.incident.recorded_by
            else:
                proposal.first_person = proposal.run.started_by
            proposal.same_person = proposal.first_person is not None and proposal.first_person.pk == user.pk
            proposal.pending = proposal.status == ProposalStatus.PROPOSED
            proposal.waits_for_final = proposal.run is not None and proposal.run.status != RunStatus.FINAL
            proposal.decide_here = (
                may_decide and proposal.pending and proposal.run is None and not proposal.same_person
            )
        values = {name: self.request.GET.get(name, "") for name in ("status", "source")}
        context.update(
            values=values,
            filtered=any(values.values()),
            statuses=ProposalStatus.choices,
            sources=ProposalSource.choices,
        )
        return context
