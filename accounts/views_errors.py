"""The platform's error pages: 400, 403, 404, 500 and a refused form (CSRF), in Chinese (English when the
user chose English), inside the site's frame, each saying why and what to do.

- Under /api/ every one of them answers JSON (`{"detail": …}`), like the API's own errors (accounts/drf.py).
- 403 shows the refusal's own reason: the message a view or service put into `PermissionDenied` or
  `NotAllowed` (always a gettext sentence), never an exception's repr or an internal code.
- 500 never queries: it is rendered without the request (no context processors, no user, no navigation),
  so it still answers when the database or a context processor is what failed. The other pages fall back
  to the same plain frame when rendering with the request fails.

The handlers are named in config/urls.py (`handler400` …) and settings (`CSRF_FAILURE_VIEW`). Django asks
them only while its `DEBUG` setting is off; settings.py keeps it off in `make run` unless `DEV_DEBUG_PAGES`
asks for the technical pages.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template import loader
from django.utils.functional import Promise
from django.utils.html import escape
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from accounts.errors import DomainError, NotAllowed, StateConflict
from accounts.i18n import in_language

logger = logging.getLogger(__name__)

API_PREFIX = "/api/"
_CJK = re.compile(r"[\u3400-\u9fff]")


def is_api(request: HttpRequest) -> bool:
    return request.path.startswith(API_PREFIX)


def refusal_reason(exception: BaseException | None) -> str:
    """The sentence a refusal carries for the user, or "" when it carries none fit to show.

    Only a text is shown (a lazy translation or a string), on one line and of sensible length; while the
    page is Chinese it must contain Chinese, so an English message of a library or a bare code never
    reaches a clerk.
    """
    if exception is None:
        return ""
    if isinstance(exception, DomainError):
        message: Any = in_language(exception.message)
    else:
        message = exception.args[0] if len(exception.args) == 1 else None
        if isinstance(message, DomainError):
            message = in_language(message.message)
    if not isinstance(message, str | Promise):
        return ""
    text = str(message).strip()
    if not text or len(text) > 500 or "\n" in text:
        return ""
    if not (get_language() or "").lower().startswith("en") and not _CJK.search(text):
        return ""
    return text


def _back_url(request: HttpRequest) -> str:
    """The page the user came from, if it is one of ours and not this very page."""
    referer = request.META.get("HTTP_REFERER", "")
    try:
        host = request.get_host()  # raises for a host not in ALLOWED_HOSTS: that request gets no link back
    except Exception:
        return ""
    if not referer or not url_has_allowed_host_and_scheme(
        referer, allowed_hosts={host}, require_https=request.is_secure()
    ):
        return ""
    return "" if referer.endswith(request.get_full_path()) else referer


def _contact(request: HttpRequest | None) -> str:
    """Whom this user asks when the platform refuses or fails: the next level up."""
    role = getattr(getattr(request, "user", None), "role", "") if request is not None else ""
    if role == "enterprise":
        return _("如需帮助，请联系本企业所在区县的经信部门。")
    if role == "district":
        return _("如需帮助，请联系市经济信息委。")
    if role in ("city", "auditor"):
        return _("如需帮助，请联系平台运维人员。")
    return _("如需帮助，企业请联系所在区县经信部门，区县经信部门请联系市经济信息委。")


def _plain(status: int) -> HttpResponse:
    """The last resort when even the plain template fails: a few lines of HTML with no template at all."""
    title = _("系统出错")
    text = _("服务器处理请求时出错，错误已记录。请稍后重试，或回到首页。")
    home = _("回到首页")
    html = (
        f'<!DOCTYPE html><html lang="{escape(get_language() or "zh-hans")}"><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title></head><body><h1>{escape(title)}</h1><p>{escape(text)}</p>"
        f'<p><a href="/">{escape(home)}</a></p></body></html>'
    )
    return HttpResponse(html, status=status)


def _render(request: HttpRequest | None, template: str, status: int, context: dict[str, Any]) -> HttpResponse:
    """The page in the full frame (navigation and all) when `request` is given; the plain frame, which
    reads nothing, when it is not or when the full frame fails."""
    context = {"status": status, "platform_name": settings.PLATFORM_NAME, **context}
    if request is not None:
        context["back_url"] = _back_url(request)
        context.setdefault("contact", _contact(request))
        try:
            return HttpResponse(loader.render_to_string(template, context, request), status=status)
        except Exception:
            logger.exception(
                "The %s page could not be rendered in the full frame; using the plain one", status
            )
    context["minimal"] = True
    context.setdefault("contact", _contact(None))
    try:
        return HttpResponse(loader.render_to_string(template, context), status=status)
    except Exception:
        logger.exception("The %s page could not be rendered at all", status)
        return _plain(status)


def _json(detail: str, status: int) -> JsonResponse:
    return JsonResponse({"detail": detail}, status=status, json_dumps_params={"ensure_ascii": False})


def bad_request(request: HttpRequest, exception: BaseException | None = None) -> HttpResponse:
    reason = refusal_reason(exception) if isinstance(exception, DomainError) else ""
    if is_api(request):
        return _json(reason or _("请求有误，无法处理。"), 400)
    return _render(request, "400.html", 400, {"reason": reason})


def permission_denied(request: HttpRequest, exception: BaseException | None = None) -> HttpResponse:
    reason = refusal_reason(exception)
    if is_api(request):
        return _json(reason or _("您没有执行此操作的权限。"), 403)
    return _render(request, "403.html", 403, {"reason": reason})


def page_not_found(request: HttpRequest, exception: BaseException | None = None) -> HttpResponse:
    """A path no route matches, or a record that does not exist or lies outside the user's scope (both
    answer 404 on purpose, so the page does not tell them apart). The exception's text is never shown:
    Django's says "No Enterprise matches the given query"."""
    if is_api(request):
        from rest_framework.exceptions import NotFound

        return _json(str(NotFound.default_detail), 404)
    return _render(request, "404.html", 404, {"request_path": request.path})


def server_error(request: HttpRequest) -> HttpResponse:
    """Rendered without the request: no session, user or navigation is read, so a broken database or
    context processor still gets this page."""
    if is_api(request):
        return _json(_("服务器内部错误，请稍后重试。"), 500)
    return _render(None, "500.html", 500, {})


def domain_error(request: HttpRequest, error: DomainError) -> HttpResponse:
    """A service's refusal no page caught (accounts.middleware.DomainErrorPageMiddleware): the 403 page for a
    refusal of the role, the 400 page (409 for a state that changed meanwhile) for any other rule, each
    with the service's own reason."""
    if isinstance(error, NotAllowed):
        return permission_denied(request, error)
    status = 409 if isinstance(error, StateConflict) else 400
    reason = refusal_reason(error)
    if is_api(request):
        return _json(reason or _("请求有误，无法处理。"), status)
    return _render(request, "400.html", status, {"reason": reason})


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """CSRF_FAILURE_VIEW: a form sent from an expired page, another site or a browser without cookies.
    Django's `reason` is an English note for developers; the page explains it in the user's words."""
    if is_api(request):
        return _json(_("请求缺少有效的安全令牌（CSRF），请刷新页面后重试。"), 403)
    return _render(request, "403_csrf.html", 403, {})
