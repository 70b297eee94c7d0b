"""Irregular reviews of pool members (Art. 12): list, and the review file where it is closed."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext_lazy as _

from accounts.errors import InvalidInput, NotAllowed, StateConflict
from accounts.transitions import allowed_actions
from accounts.views_base import ScopedDetailView, show_domain_error_on_form, signed_in
from cultivation import services
from cultivation.forms import ReviewCloseForm
from cultivation.models import IRREGULAR_REVIEW_TRANSITIONS, IrregularReview, LevelDecision, ReviewStatus
from cultivation.views.common import PoolListView, level_label


class ReviewListView(PoolListView):
    """Irregular reviews in the user's scope (unannounced: not shown to the enterprise)."""

    right = "pool_review.view"
    model = IrregularReview
    template_name = "cultivation/review_list.html"
    ordering_fields = {"opened_at": "opened_at", "status": "status"}
    default_ordering = ["-opened_at", "-pk"]
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
        return queryset.select_related("membership__enterprise", "opened_by", "closed_by")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.update(statuses=ReviewStatus.choices)
        return context


class ReviewDetailView(ScopedDetailView):
    """A review file: its scope, the member's latest level, and closing it with the findings."""

    rights = {"get": "pool_review.view", "post": "pool.review"}
    model = IrregularReview
    template_name = "cultivation/review_detail.html"

    def refine_queryset(self, queryset: QuerySet) -> QuerySet:
        return queryset.select_related("membership__enterprise", "opened_by", "closed_by")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        review = self.object
        context["can_close"] = "close" in allowed_actions(
            IRREGULAR_REVIEW_TRANSITIONS, review, signed_in(self.request)
        )
        context.setdefault("form", ReviewCloseForm())
        context["latest"] = (
            LevelDecision.objects.filter(membership=review.membership).order_by("-year").first()
        )
        return context

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        self.object = self.get_object()
        form = ReviewCloseForm(request.POST)
        if form.is_valid():
            try:
                review = services.irregular_review_close(
                    actor=request.user,
                    review=self.object,
                    findings=form.cleaned_data["findings"],
                    falsification=form.cleaned_data["falsification"],
                )
            except NotAllowed as error:
                raise PermissionDenied(str(error.message)) from error
            except (InvalidInput, StateConflict) as error:
                show_domain_error_on_form(form, error)
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
