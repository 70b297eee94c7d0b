"""The pages of two-factor sign-in (accounts/twofactor.py): the overview 「两步验证」, setting up an
authenticator, the recovery codes, switching it off, and the second step of signing in.

Every page here answers `Cache-Control: no-store` (a secret or a recovery code must stay out of caches).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render, resolve_url
from django.utils.decorators import method_decorator
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.decorators.cache import never_cache
from django_otp.plugins.otp_static.models import StaticDevice

from accounts import twofactor
from accounts.errors import DomainError
from accounts.views_base import RightRequiredMixin, signed_in

# The new recovery codes wait in the session between the write and the page that shows them, once.
NEW_CODES_KEY = "_2fa_new_recovery_codes"


class CodeForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("验证码"),
        max_length=twofactor.CODE_MAX_LENGTH,
        help_text=gettext_lazy("验证器应用上显示的 6 位数字，或一个恢复码。"),
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "autocapitalize": "off", "spellcheck": "false"}
        ),
    )


class SetupCodeForm(CodeForm):
    code = forms.CharField(
        label=gettext_lazy("验证码"),
        max_length=twofactor.CODE_MAX_LENGTH,
        help_text=gettext_lazy("添加后，输入验证器应用上当前显示的 6 位数字。"),
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )


def _try(request: HttpRequest, form: forms.Form, action: Any) -> Any:
    """Run `action(code)`; a wrong or throttled code becomes an error on the form (None is returned)."""
    if not form.is_valid():
        return None
    try:
        return action(form.cleaned_data["code"])
    except twofactor.Throttled as throttled:
        form.add_error("code", throttled.message())
    except DomainError as error:
        form.add_error("code", str(error.message))
    return None


@method_decorator(never_cache, name="dispatch")
class TwoFactorView(RightRequiredMixin, View):
    """Whether two-factor sign-in is on, whether the account must keep it, and what can be done."""

    right = "twofactor.manage_own"

    def get(self, request: HttpRequest) -> HttpResponse:
        user = signed_in(request)
        return render(
            request,
            "accounts/twofactor.html",
            {
                "enabled": twofactor.enabled(user),
                "required": twofactor.required(user),
                "may_disable": twofactor.may_disable(user),
                "codes_left": twofactor.recovery_codes_left(user),
                "form": CodeForm(),
            },
        )


@method_decorator(never_cache, name="dispatch")
class TwoFactorSetupView(RightRequiredMixin, View):
    """Add an authenticator: the QR code of its otpauth:// URI and the secret to type in, then a code from
    it to confirm. Staff who must use two-factor sign-in reach only this page until it is done."""

    right = "twofactor.manage_own"

    def get(self, request: HttpRequest) -> HttpResponse:
        if twofactor.enabled(signed_in(request)):
            messages.info(request, _("两步验证已启用。"))
            return redirect("accounts:twofactor")
        return self._page(request, SetupCodeForm())

    def post(self, request: HttpRequest) -> HttpResponse:
        user = signed_in(request)
        if twofactor.enabled(user):
            return redirect("accounts:twofactor")
        device = twofactor.pending_device(user)
        form = SetupCodeForm(request.POST)
        codes = _try(
            request, form, lambda code: twofactor.twofactor_enable(request=request, device=device, code=code)
        )
        if codes is None:
            return self._page(request, form, status=400)
        request.session[NEW_CODES_KEY] = codes
        messages.success(request, _("两步验证已启用。请立即保存下面的恢复码。"))
        return redirect("accounts:twofactor_recovery")

    def _page(self, request: HttpRequest, form: forms.Form, status: int = 200) -> HttpResponse:
        user = signed_in(request)
        device = twofactor.pending_device(user)
        return render(
            request,
            "accounts/twofactor_setup.html",
            {
                "form": form,
                "qr_svg": twofactor.qr_svg(device),
                "secret": twofactor.secret_base32(device),
                "otpauth_uri": device.config_url,
                "required": twofactor.required(user),
                "pending": getattr(request, "twofactor_gate", "") == "setup",
            },
            status=status,
        )


@method_decorator(never_cache, name="dispatch")
class TwoFactorRecoveryView(RightRequiredMixin, View):
    """The recovery codes: new ones are shown once, right after they are made; later only how many are left,
    and a form that makes a new set (after a current code)."""

    right = "twofactor.manage_own"

    def get(self, request: HttpRequest) -> HttpResponse:
        user = signed_in(request)
        if not twofactor.enabled(user):
            return redirect("accounts:twofactor")
        return self._page(request, CodeForm(), codes=request.session.pop(NEW_CODES_KEY, None))

    def post(self, request: HttpRequest) -> HttpResponse:
        user = signed_in(request)
        if not twofactor.enabled(user):
            return redirect("accounts:twofactor")
        form = CodeForm(request.POST)
        codes = _try(
            request, form, lambda code: twofactor.twofactor_recovery_regenerate(request=request, code=code)
        )
        if codes is None:
            return self._page(request, form, status=400)
        request.session[NEW_CODES_KEY] = codes
        messages.success(request, _("已生成新的恢复码，原来的恢复码全部作废。"))
        return redirect("accounts:twofactor_recovery")

    def _page(
        self, request: HttpRequest, form: forms.Form, *, codes: Any = None, status: int = 200
    ) -> HttpResponse:
        return render(
            request,
            "accounts/twofactor_recovery.html",
            {
                "form": form,
                "codes": codes if isinstance(codes, list) else None,
                "codes_left": twofactor.recovery_codes_left(signed_in(request)),
                "total": twofactor.RECOVERY_CODE_COUNT,
            },
            status=status,
        )


@method_decorator(never_cache, name="dispatch")
class TwoFactorDisableView(RightRequiredMixin, View):
    """Switch two-factor sign-in off after a current code; refused (403) for accounts that must keep it."""

    right = "twofactor.manage_own"
    http_method_names = ["post"]

    def post(self, request: HttpRequest) -> HttpResponse:
        user = signed_in(request)
        if not twofactor.enabled(user):
            return redirect("accounts:twofactor")
        if not twofactor.may_disable(user):
            messages.error(request, _("按规定，市级和区县账户不能关闭两步验证。"))
            return redirect("accounts:twofactor")
        form = CodeForm(request.POST)

        def disable(code: str) -> bool:
            twofactor.twofactor_disable(request=request, code=code)
            return True

        if _try(request, form, disable) is None:
            for error in form.errors.get("code", []):
                messages.error(request, str(error))
            return redirect("accounts:twofactor")
        messages.success(request, _("两步验证已关闭。"))
        return redirect("accounts:twofactor")


@method_decorator(never_cache, name="dispatch")
class TwoFactorVerifyView(RightRequiredMixin, View):
    """The second step of signing in: a code from the authenticator, or a recovery code."""

    right = "twofactor.manage_own"

    def get(self, request: HttpRequest) -> HttpResponse:
        if not self._owed(request):
            return redirect(self._next(request))
        return self._page(request, CodeForm())

    def post(self, request: HttpRequest) -> HttpResponse:
        if not self._owed(request):
            return redirect(self._next(request))
        form = CodeForm(request.POST)
        device = _try(request, form, lambda code: twofactor.verify(request, code))
        if device is None:
            if form.is_valid() and not form.has_error("code"):
                form.add_error("code", _("验证码不正确，请重新输入。连续输错后需等待一段时间才能再试。"))
            return self._page(request, form, status=400)
        if isinstance(device, StaticDevice):
            left = twofactor.recovery_codes_left(signed_in(request))
            messages.warning(
                request,
                _("您使用了一个恢复码，还剩 %(left)d 个。如手机丢失，请尽快重新设置两步验证。")
                % {"left": left},
            )
        return redirect(self._next(request))

    @staticmethod
    def _owed(request: HttpRequest) -> bool:
        """Whether this session owes the second step; an account whose authenticator was removed elsewhere
        is set right instead of being asked for a code it cannot give."""
        if getattr(request, "twofactor_gate", "") != "verify":
            return False
        return twofactor.repair(signed_in(request))

    def _next(self, request: HttpRequest) -> str:
        target = request.POST.get("next") or request.GET.get("next") or ""
        if target and url_has_allowed_host_and_scheme(
            target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            return target
        return resolve_url(settings.LOGIN_REDIRECT_URL)

    def _page(self, request: HttpRequest, form: forms.Form, status: int = 200) -> HttpResponse:
        return render(
            request,
            "accounts/twofactor_verify.html",
            {"form": form, "next": request.POST.get("next") or request.GET.get("next") or ""},
            status=status,
        )
