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
