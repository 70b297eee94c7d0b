"""Enterprise self-registration pages (issue 14 item 1), at /accounts/register/ (mounted by config/urls.py).

Public: the request form (throttled per client address), its answer, and the one-time activation link that
sets the first password. For staff: the district's queue of requests, one request with its authorisation
letter, and the decision (approve / reject with a reason). Another unit's request answers 404.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.db import transaction
from django.db.models import QuerySet
from django.forms import Form
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse, reverse_lazy
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.generic import FormView, TemplateView

from accounts import audit, files, throttles
from accounts.errors import InvalidInput, StateConflict
from accounts.passwords import activation_hours, activation_tokens
from accounts.proxies import client_ip
from accounts.transitions import allowed_actions
from accounts.views_base import (
    ScopedDetailView,
    ScopedListView,
    ScopedObjectMixin,
    ServiceFormView,
    show_domain_error,
)
from factories.forms_registration import RegistrationDecisionForm, RegistrationForm
from factories.models import (
    REGISTRATION_TRANSITIONS,
    Enterprise,
    RegistrationRequest,
    RegistrationStatus,
)

DONE_SESSION_KEY = "registration_done"


def throttle_key(address: str) -> str:
    return "registration:" + throttles.digest(address)


def _count_attempt(address: str) -> int:
    """This client address's submissions in the current window, this one included."""
    return throttles.hit(throttle_key(address), settings.REGISTRATION_THROTTLE_WINDOW)


class RegisterView(FormView):
    """The public request form. Every submission counts against the client address
    (REGISTRATION_THROTTLE_LIMIT per REGISTRATION_THROTTLE_WINDOW seconds); past that, 429 and nothing stored."""

    form_class = RegistrationForm
    template_name = "registration/register.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return {**super().get_context_data(**kwargs), "hours": activation_hours()}

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        address = client_ip(request)
        if _count_attempt(address) > settings.REGISTRATION_THROTTLE_LIMIT:
            audit.record_security_event(
                action="registration.throttled", username="(registration)", address=address, by_owner=False
            )
            minutes = max(1, settings.REGISTRATION_THROTTLE_WINDOW // 60)
            return TemplateResponse(
                request, "registration/register_throttled.html", {"minutes": minutes}, status=429
            )
        return super().post(request, *args, **kwargs)

    def form_valid(self, form: Form) -> HttpResponse:
        try:
            registration = form.save(address=client_ip(self.request))  # type: ignore[attr-defined]
        except InvalidInput:
            return self.form_invalid(form)
        self.request.session[DONE_SESSION_KEY] = {
            "merged": registration.status == RegistrationStatus.MERGED,
            "enterprise": registration.enterprise_name,
            "district": registration.district.name,
            "email": registration.email,
            "claims": registration.enterprise_id is not None,
        }
        return HttpResponseRedirect(reverse("registrations:done"))


class RegisterDoneView(TemplateView):
    """What happens next, said once after a submission (a duplicate is told it was merged)."""

    template_name = "registration/register_done.html"

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        done = request.session.pop(DONE_SESSION_KEY, None)
        if done is None:
            return redirect("registrations:register")
        return self.render_to_response(self.get_context_data(done=done, **kwargs))


class ActivateView(auth_views.PasswordResetConfirmView):
    """Set the first password of an approved registration from the e-mailed link.

    The link's token (accounts.passwords.activation_tokens) hashes the password and the last sign-in, so it
    works once, and only for REGISTRATION_ACTIVATION_HOURS; a stopped account cannot be activated.
    """

    token_generator = activation_tokens
    template_name = "registration/activate.html"
    success_url = reverse_lazy("accounts:login")
    reset_url_token = "set-password"

    def get_user(self, uidb64: str) -> Any:
        user = super().get_user(uidb64)
        return user if user is not None and user.is_active else None

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return {**super().get_context_data(**kwargs), "hours": activation_hours()}

    def form_valid(self, form: Any) -> HttpResponse:
        with transaction.atomic():
            response = super().form_valid(form)
            audit.record_security_event(
                action="auth.activate", user=form.user, address=client_ip(self.request), detail="registration"
            )
        messages.success(
            self.request,
            str(_("密码已设置。请使用用户名 {username} 和新密码登录。")).format(username=form.user.username),
        )
        return response


# --- the district's queue -----------------------------------------------------------------------------


class RegistrationListView(ScopedListView):
    """Requests of the user's scope, pending first by default (`?status=` shows another state, `all` every one)."""

    right = "registration.view"
    model = RegistrationRequest
    template_name = "factories/registration_list.html"
    filter_params = ("status",)
    ordering_fields = {"submitted": "submitted_at", "name": "enterprise_name", "status": "status"}
    default_ordering = ["submitted_at", "pk"]
    columns = [
        ("name", _("企业名称")),
        (None, _("统一社会信用代码")),
        (None, _("管理单位")),
        (None, _("申请类型")),
        (None, _("联系人")),
        ("submitted", _("提交时间")),
        ("status", _("状态")),
    ]

    def refine_queryset(self, queryset: QuerySet) -> QuerySet:
        status = self.request.GET.get("status") or RegistrationStatus.PENDING
        if status in RegistrationStatus.values:
            queryset = queryset.filter(status=status)
        return queryset.select_related("district", "enterprise")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        current = self.request.GET.get("status") or RegistrationStatus.PENDING
        context["status_options"] = [
            (value, label, value == current) for value, label in RegistrationStatus.choices
        ]
        context["showing_all"] = current == "all"
        context["filtered"] = current != RegistrationStatus.PENDING
        return context


class RegistrationDetailView(ScopedDetailView):
    """One request: the enterprise as asked for and as registered, its letter, duplicates, and the decision."""

    right = "registration.view"
    model = RegistrationRequest
    template_name = "factories/registration_detail.html"
    context_object_name = "registration"

    def refine_queryset(self, queryset: QuerySet) -> QuerySet:
        return queryset.select_related(
            "district", "industry", "enterprise__district", "merged_into", "decided_by", "account"
        )

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        registration: RegistrationRequest = self.object
        registered = (
            Enterprise.objects.filter(credit_code=registration.credit_code).select_related("district").first()
        )
        actions = allowed_actions(REGISTRATION_TRANSITIONS, registration, self.request.user)
        account = registration.account
        if "resend" in actions and (
            account is None or not account.is_active or account.has_usable_password()
        ):
            actions.remove("resend")  # the account has its password: nothing to activate
        context.update(
            actions=actions,
            registered=registered,
            accounts=list(registered.users.order_by("username")) if registered else [],
            duplicates=registration.duplicates.order_by("submitted_at"),
            form=RegistrationDecisionForm(user=self.request.user, registration=registration, action=""),
        )
        return context


class RegistrationLetterView(ScopedObjectMixin, View):
    """The request's authorisation letter, to staff who see the request (404 for another unit's)."""

    right = "registration.view"
    model = RegistrationRequest

    def get(self, request: HttpRequest, pk: int) -> HttpResponseBase:
        registration = self.get_object()
        return files.download(registration.letter, registration.letter_download_name)


class RegistrationDecideView(ScopedObjectMixin, ServiceFormView):
    """Approve or reject a request of the user's unit, or send an approved one's activation link again (POST
    from the request's page)."""

    rights = {
        "approve": "registration.review",
        "reject": "registration.review",
        "resend": "registration.review",
    }
    model = RegistrationRequest
    form_class = RegistrationDecisionForm
    template_name = "factories/registration_detail.html"
    http_method_names = ["post"]

    def get_form_kwargs(self) -> dict[str, Any]:
        kwargs = super().get_form_kwargs()
        kwargs.update(
            registration=self.get_object(),
            action=self.kwargs["action"],
            site=self.request.build_absolute_uri("/"),
        )
        return kwargs

    def form_invalid(self, form: Form) -> HttpResponse:
        for errors in form.errors.values():
            for error in errors:
                messages.error(self.request, str(error))
        return HttpResponseRedirect(self.detail_url())

    def on_conflict(self, form: Form, error: StateConflict) -> HttpResponse:
        show_domain_error(self.request, error)
        return HttpResponseRedirect(self.detail_url())

    def detail_url(self) -> str:
        return reverse("registrations:detail", args=[self.kwargs["pk"]])

    def get_success_message(self, result: Any) -> str:
        if self.kwargs["action"] == "approve":
            return str(_("已通过“{name}”的注册申请，已向 {email} 发送设置密码的邮件。")).format(
                name=result.enterprise_name, email=result.email
            )
        if self.kwargs["action"] == "resend":
            return str(_("已重新向 {email} 发送设置密码的邮件。")).format(email=result.email)
        return str(_("已驳回“{name}”的注册申请，已通过邮件告知申请人。")).format(name=result.enterprise_name)

    def get_success_url_for(self, result: Any) -> str:
        if self.kwargs["action"] == "resend":
            return self.detail_url()
        return reverse("registrations:queue")
