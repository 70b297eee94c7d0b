"""HTML pages for managing accounts (issue 14), at /accounts/users/.

They live on the registry floor, beside the API's `UserViewSet`, because an account names a management unit
or an enterprise and its writes are `factories.services.user_*`. The city manages staff accounts, a district
the enterprise fillers of its unit (`accounts.permissions.ACCOUNT_MANAGERS`); both see the list in their menu.
Auditors read accounts through the API. A step (deactivate, reactivate, reset the password) is confirmed on
its own page with a reason; a new or reset temporary password is shown once on the page that made it.
"""

from __future__ import annotations

import csv
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.forms import Form
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.generic.detail import SingleObjectMixin

from accounts.errors import InvalidInput, NotAllowed, StateConflict
from accounts.filters import UserFilter
from accounts.models import AuditEntry, Role, User
from accounts.permissions import manageable_roles, manages_user
from accounts.views_base import (
    ScopedDetailView,
    ScopedListView,
    ScopedObjectMixin,
    ServiceFormView,
    show_domain_error,
    signed_in,
)
from factories.forms import UserCreateForm, UserEditForm, UserStepForm
from factories.models import District

# The page of each step, and what it says.
STEPS: dict[str, dict[str, Any]] = {
    "deactivate": {
        "title": _("停用账户"),
        "help": _("停用后该账户不能登录，已登录的会话和 API 令牌立即失效。可随时重新启用。"),
        "button": _("确认停用"),
        "done": _("已停用账户“{name}”。"),
    },
    "reactivate": {
        "title": _("重新启用账户"),
        "help": _("启用后该账户可用原密码登录；停用前签发的 API 令牌不会恢复。"),
        "button": _("确认启用"),
        "done": _("已重新启用账户“{name}”。"),
    },
    "reset-password": {
        "title": _("重置密码"),
        "help": _(
            "将生成一个临时密码，只显示这一次，请当面或电话告知本人并提醒其登录后立即修改。"
            "原密码、已登录的会话和 API 令牌立即失效。"
        ),
        "button": _("确认重置"),
        "done": _("已重置账户“{name}”的密码。"),
    },
}

EXPORT_COLUMNS = [
    ("username", _("用户名")),
    ("name", _("姓名")),
    ("role", _("角色")),
    ("district", _("管理单位")),
    ("enterprise", _("企业")),
    ("email", _("电子邮箱")),
    ("is_active", _("状态")),
    ("last_login", _("最近登录")),
]


class UserRowsView(ScopedListView):
    """The accounts the manager sees, with the API's filters (`q`, role, active, unit, enterprise)."""

    right = "users.manage"
    model = User
    filterset_class = UserFilter
    filter_params = ("q", "role", "is_active", "district", "enterprise")
    ordering_fields = {
        "username": "username",
        "name": "first_name",
        "role": "role",
        "active": "is_active",
        "last_login": "last_login",
    }
    default_ordering = ["username", "pk"]

    def refine_queryset(self, queryset: QuerySet) -> QuerySet:
        return queryset.select_related("district", "enterprise__district")


class UserListView(UserRowsView):
    template_name = "factories/user_list.html"
    columns = [
        ("username", _("用户名")),
        ("name", _("姓名")),
        ("role", _("角色")),
        (None, _("管理单位 / 企业")),
        ("active", _("状态")),
        ("last_login", _("最近登录")),
    ]

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        user = signed_in(self.request)
        context.update(
            role_options=[
                (value, label, value == self.request.GET.get("role")) for value, label in Role.choices
            ],
            sees_whole_city=user.sees_whole_city,
            districts=District.objects.order_by("code"),
            can_create=bool(manageable_roles(user)),
            export_query=self.request.GET.urlencode(),
        )
        return context


def _export_cell(value: Any) -> str:
    """Text a spreadsheet will not run as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


class UserExportView(UserRowsView):
    """The filtered list as a CSV file (UTF-8 with BOM, for Excel), written at once: an account list is
    small enough for one request, so it does not go through the export jobs."""

    paginate_by = None  # type: ignore[assignment]

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        stamp = timezone.localtime().strftime("%Y%m%d")
        response["Content-Disposition"] = (
            f"attachment; filename=\"users-{stamp}.csv\"; filename*=UTF-8''%E7%94%A8%E6%88%B7-{stamp}.csv"
        )
        response.write("\ufeff")
        writer = csv.writer(response)
        writer.writerow([str(label) for _key, label in EXPORT_COLUMNS])
        for account in self.get_queryset():
            writer.writerow(
                _export_cell(value)
                for value in (
                    account.username,
                    account.get_full_name(),
                    account.get_role_display(),
                    account.district.name if account.district else "",
                    account.enterprise.name if account.enterprise else "",
                    account.email,
                    _("启用") if account.is_active else _("停用"),
                    timezone.localtime(account.last_login).strftime("%Y-%m-%d %H:%M")
                    if account.last_login
                    else "",
                )
            )
        return response


class UserCreateView(ServiceFormView):
    """Open an account; the page that answers shows its temporary password once."""

    right = "users.manage"
    form_class = UserCreateForm
    template_name = "factories/user_form.html"

    def get_initial(self) -> dict[str, Any]:
        return {key: self.request.GET.get(key) for key in ("role", "enterprise") if self.request.GET.get(key)}

    def form_valid(self, form: Form) -> HttpResponse:
        try:
            account, password = form.save()  # type: ignore[attr-defined]
        except InvalidInput:
            return self.form_invalid(form)
        except NotAllowed as error:
            raise PermissionDenied(str(error.message)) from error
        return TemplateResponse(
            self.request,
            "factories/user_password.html",
            {"account": account, "password": password, "created": True},
        )


class UserDetailView(ScopedDetailView):
    """One account, what its manager may do with it, and its audit history (changes, sign-ins)."""

    right = "users.manage"
    model = User
    template_name = "factories/user_detail.html"
    context_object_name = "account"

    def refine_queryset(self, queryset: QuerySet) -> QuerySet:
        return queryset.select_related("district", "enterprise__district")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        account: User = self.object
        context["may_manage"] = manages_user(self.request.user, account)
        context["is_self"] = account.pk == self.request.user.pk
        context["history"] = AuditEntry.objects.filter(
            object_type="accounts.user", object_id=str(account.pk)
        )[:100]
        return context


class ManagedAccountMixin(ScopedObjectMixin, SingleObjectMixin):
    """An account the user sees (404 otherwise) and manages (403 otherwise)."""

    model = User

    def managed_account(self) -> User:
        account: User = self.get_object()
        if not manages_user(self.request.user, account):
            raise PermissionDenied
        self.object = account
        return account

    def account_url(self) -> str:
        return reverse("users:user_detail", args=[self.object.pk])


class UserEditView(ManagedAccountMixin, ServiceFormView):
    right = "users.manage"
    form_class = UserEditForm
    template_name = "factories/user_edit.html"

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        self.managed_account()
        return super().get(request, *args, **kwargs)

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        self.managed_account()
        return super().post(request, *args, **kwargs)

    def get_form_kwargs(self) -> dict[str, Any]:
        kwargs = super().get_form_kwargs()
        kwargs["instance"] = self.object
        return kwargs

    def form_valid(self, form: Form) -> HttpResponse:
        if not [name for name in form.changed_data if name != "reason"]:
            messages.info(self.request, str(_("没有修改，无需保存。")))
            return HttpResponseRedirect(self.account_url())
        return super().form_valid(form)

    def get_success_message(self, result: Any) -> str:
        return str(_("已保存账户“{name}”。")).format(name=result.username)

    def get_success_url_for(self, result: Any) -> str:
        return self.account_url()


class UserStepView(ManagedAccountMixin, ServiceFormView):
    """Confirm a step with its reason (GET shows what will happen, POST does it)."""

    rights = {step: "users.manage" for step in STEPS}
    form_class = UserStepForm
    template_name = "factories/user_step.html"

    @property
    def step(self) -> str:
        return str(self.kwargs["action"])

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        self.managed_account()
        return super().get(request, *args, **kwargs)

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        self.managed_account()
        return super().post(request, *args, **kwargs)

    def get_form_kwargs(self) -> dict[str, Any]:
        kwargs = super().get_form_kwargs()
        kwargs.update(account=self.object, step=self.step)
        return kwargs

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.update(account=self.object, step=STEPS[self.step], step_name=self.step)
        return context

    def form_valid(self, form: Form) -> HttpResponse:
        if self.step != "reset-password":
            return super().form_valid(form)
        try:
            password = form.save()  # type: ignore[attr-defined]
        except InvalidInput:
            return self.form_invalid(form)
        except NotAllowed as error:
            raise PermissionDenied(str(error.message)) from error
        return TemplateResponse(
            self.request, "factories/user_password.html", {"account": self.object, "password": password}
        )

    def on_conflict(self, form: Form, error: StateConflict) -> HttpResponse:
        show_domain_error(self.request, error)
        return HttpResponseRedirect(self.account_url())

    def get_success_message(self, result: Any) -> str:
        return str(STEPS[self.step]["done"]).format(name=self.object.username)

    def get_success_url_for(self, result: Any) -> str:
        return self.account_url()
