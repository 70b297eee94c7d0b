"""The user's notifications: the list and marking them all read."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.db.models import BooleanField, ExpressionWrapper, Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.generic import ListView

from accounts.models import Notification
from accounts.views_base import RightRequiredMixin
from reporting import services


class NotificationListView(RightRequiredMixin, ListView):
    """The user's own notifications, unread first."""

    right = "notification.view"
    template_name = "reporting/notification_list.html"
    paginate_by = 25

    def get_queryset(self) -> QuerySet:
        return (
            Notification.objects.visible_to(self.request.user)
            .annotate(is_unread=ExpressionWrapper(Q(read_at__isnull=True), output_field=BooleanField()))
            .order_by("-is_unread", "-created_at", "-pk")
        )

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        query = self.request.GET.copy()
        query.pop("page", None)
        context["querystring"] = query.urlencode()
        context["unread_count"] = Notification.objects.visible_to(self.request.user).unread().count()
        return context


class NotificationMarkReadView(RightRequiredMixin, View):
    """Mark all of the user's notifications read."""

    right = "notification.view"
    http_method_names = ["post"]

    def post(self, request: HttpRequest) -> HttpResponse:
        count = services.notification_mark_read(actor=request.user)
        messages.success(request, _("已将 {n} 条通知标为已读。").format(n=count))
        return redirect("reporting:notification_list")
