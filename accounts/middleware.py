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


class PasswordChangeRequiredMiddleware:
    """A user who must change the password (set by somebody else, or expired) reaches nothing but the
    change page: pages redirect there, the API answers 403 with a message naming it.

    Token-authenticated API calls are checked in accounts.tokens (DRF authenticates after middleware).
    """

    # Pages still open: changing the password, signing out, the reset pages, language switch.
    allowed_prefixes = ("/accounts/password/", "/accounts/logout/", "/accounts/reset/", "/i18n/")

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
