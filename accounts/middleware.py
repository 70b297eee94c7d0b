"""Language choice: Chinese first.

Django's LocaleMiddleware would give an English browser English pages. Government staff share
machines with English-language browsers, so pages stay in Simplified Chinese unless the user picks
English explicitly (the language cookie set by the switch in the top bar). The API honours
`Accept-Language`, as API.md promises integrators.
"""

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation
from django.utils.cache import patch_vary_headers

from accounts import views_errors
from accounts.errors import DomainError


class ChineseFirstLocaleMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        language = self._choose(request)
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()  # type: ignore[attr-defined]
        response = self.get_response(request)
        patch_vary_headers(response, ("Cookie", "Accept-Language"))
        response.headers.setdefault("Content-Language", language)
        translation.deactivate()
        return response

    @staticmethod
    def _choose(request: HttpRequest) -> str:
        supported = {code for code, _name in settings.LANGUAGES}
        cookie = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        if cookie in supported:
            return cookie
        if request.path.startswith("/api/"):
            header_choice = translation.get_language_from_request(request)
            if header_choice in supported:
                return header_choice
        return settings.LANGUAGE_CODE


class PermissionsPolicyMiddleware:
    """Switch off browser features the platform never uses (camera, microphone, location, payment, …)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        return response


class HealthCheckMiddleware:
    """Answer /healthz before host validation, for container health checks (the HTTPS redirect exempts it;
    the middleware around it still adds the security headers).

    Reports whether the database answers; says nothing else about the installation.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path != "/healthz":
            return self.get_response(request)
        from django.db import connection

        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")
        except Exception:
            return HttpResponse("database unavailable", status=503, content_type="text/plain")
        return HttpResponse("ok", content_type="text/plain")


class TwoFactorMiddleware:
    """A session signed in with the password alone reaches nothing until its second step is done
    (accounts/twofactor.py): an account with an authenticator enters a code first, and city and district
    staff without one (when REQUIRE_STAFF_2FA is on) set one up first. Pages redirect there, the API answers
    403 with a message naming the page. `request.twofactor_gate` tells the templates to show no menu.

    Token-authenticated API calls are checked in accounts.tokens (DRF authenticates after middleware); a
    token is issued only with a code (accounts/api.py TokenView).
    """

    # Pages still open while a step is pending: signing out, the language switch; each step's own pages.
    allowed_prefixes = ("/accounts/logout/", "/i18n/")
    step_prefixes = {"verify": ("/accounts/2fa/verify/",), "setup": ("/accounts/2fa/setup/",)}

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        from accounts.twofactor import gate, gate_message

        state = gate(request)
        request.twofactor_gate = state  # type: ignore[attr-defined]
        if not state or self._allowed(request.path, state) or self._not_by_session(request):
            return self.get_response(request)
        if request.path.startswith("/api/"):
            from django.http import JsonResponse

            return JsonResponse({"detail": gate_message(state)}, status=403)
        from django.contrib.auth.views import redirect_to_login

        target = "accounts:twofactor_verify" if state == "verify" else "accounts:twofactor_setup"
        from django.urls import reverse

        return redirect_to_login(request.get_full_path(), reverse(target))

    @staticmethod
    def _not_by_session(request: HttpRequest) -> bool:
        """API calls that do not act on the session: one sent with a token (DRF reads the token first and
        checks it in accounts.tokens), and the token request, which authenticates by its own body."""
        if not request.path.startswith("/api/"):
            return False
        from django.urls import reverse

        # Only DRF's `Token` keyword: any other Authorization header leaves DRF to fall back to the session.
        scheme = request.headers.get("Authorization", "").split()[:1]
        return [word.lower() for word in scheme] == ["token"] or request.path == reverse("api:token")

    def _allowed(self, path: str, state: str) -> bool:
        static = settings.STATIC_URL or "/static/"
        return (
            path.startswith(self.allowed_prefixes)
            or path.startswith(self.step_prefixes[state])
            or path.startswith(static)
            or path == "/healthz"
        )


class PasswordChangeRequiredMiddleware:
    """A user who must change the password (set by somebody else, or expired) reaches nothing but the
    change page: pages redirect there, the API answers 403 with a message naming it.

    Token-authenticated API calls are checked in accounts.tokens (DRF authenticates after middleware).
    """

    # Pages still open: changing the password, signing out, the reset pages, language switch.
    # Two-factor setup comes first (TwoFactorMiddleware runs before this one).
    allowed_prefixes = (
        "/accounts/password/",
        "/accounts/logout/",
        "/accounts/reset/",
        "/i18n/",
        "/accounts/2fa/",
    )

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        from accounts.oidc import signed_in_by_sso
        from accounts.passwords import change_required, change_required_message

        reason = change_required(getattr(request, "user", None))
        # Signed in through the identity provider: the local password is never used, so never forced.
        if reason and signed_in_by_sso(request):
            reason = ""
        if not reason or self._allowed(request.path):
            return self.get_response(request)
        if request.path.startswith("/api/"):
            from django.http import JsonResponse

            return JsonResponse({"detail": change_required_message(reason)}, status=403)
        from django.contrib import messages
        from django.shortcuts import redirect

        messages.warning(request, change_required_message(reason))
        return redirect("accounts:password_change")

    def _allowed(self, path: str) -> bool:
        static = settings.STATIC_URL or "/static/"
        return path.startswith(self.allowed_prefixes) or path.startswith(static) or path == "/healthz"


class IdleTimeoutMiddleware:
    """Sign a browser session out after SESSION_IDLE_TIMEOUT_MINUTES without a request (sliding).

    The time of the last request is kept in the session, rewritten only when it is more than a minute old,
    so an active user costs one session write a minute, not one per request. API tokens carry no session
    and are not affected.
    """

    key = "_last_activity"
    write_every = 60

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    @classmethod
    def mark_activity(cls, request: HttpRequest) -> None:
        import time

        request.session[cls.key] = int(time.time())

    def __call__(self, request: HttpRequest) -> HttpResponse:
        import time

        timeout = int(settings.SESSION_IDLE_TIMEOUT_MINUTES) * 60
        user = getattr(request, "user", None)
        if timeout <= 0 or user is None or not user.is_authenticated:
            return self.get_response(request)
        now = int(time.time())
        last = request.session.get(self.key)
        if isinstance(last, int) and now - last > timeout:
            from django.contrib import messages
            from django.contrib.auth import logout
            from django.contrib.auth.models import AnonymousUser
            from django.contrib.auth.views import redirect_to_login
            from django.utils.translation import gettext as _

            logout(request)
            if request.path.startswith("/api/"):
                request.user = AnonymousUser()
                return self.get_response(request)
            messages.info(request, _("长时间未操作，已自动退出，请重新登录。"))
            return redirect_to_login(request.get_full_path())
        if not isinstance(last, int) or now - last > self.write_every:
            request.session[self.key] = now
        return self.get_response(request)


class DomainErrorPageMiddleware:
    """A service's refusal that no page caught becomes the error page with the service's own reason: a
    refusal of the role (`NotAllowed`) the 403 page, any other rule of the platform the 400 page (409 for a
    state that changed meanwhile). Without this it would be an uncaught exception, a 500 saying nothing.
    The API catches these itself (accounts/drf.py)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, DomainError):
            return views_errors.domain_error(request, exception)
        return None
