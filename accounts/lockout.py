"""Login throttling (django-axes): a username from one client address, and one address across usernames.

Axes locks a (username, address) pair after AXES_FAILURE_LIMIT failures. That alone lets one address try
a few passwords on every account (a password spray); so failures from one address are also summed over
all usernames, and past AXES_ADDRESS_FAILURE_LIMIT the address is refused for the cool-off time. The
address is the real client behind the trusted proxy (accounts.proxies.client_ip), so one attacker cannot
lock out everybody who shares the proxy.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from axes.attempts import get_cool_off_threshold
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username
from axes.models import AccessAttempt
from axes.signals import user_locked_out
from django.conf import settings
from django.db.models import Sum
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _


def lockout_response(
    request: HttpRequest, original_response: Any = None, credentials: Any = None
) -> HttpResponse:
    """The answer to a locked-out login: JSON for the API, the Chinese lockout page for the web."""
    minutes = cooloff_minutes()
    if request.path.startswith("/api/"):
        return JsonResponse(
            {
                "detail": _("登录失败次数过多，账户已被暂时锁定，请在 %(minutes)d 分钟后重试或联系管理员。")
                % {"minutes": minutes}
            },
            status=429,
        )
    return render(request, "registration/locked_out.html", {"cooloff_minutes": minutes}, status=429)


def cooloff_minutes() -> int:
    """AXES_COOLOFF_TIME in whole minutes, rounded up (a timedelta, or hours as a number, as axes allows)."""
    cooloff = settings.AXES_COOLOFF_TIME
    if cooloff is None:
        return 0
    seconds = cooloff.total_seconds() if isinstance(cooloff, timedelta) else float(cooloff) * 3600
    return max(1, -(-int(seconds) // 60))


class AddressLimitedAxesHandler(AxesDatabaseHandler):
    """Axes' database handler, plus: an address with too many failures over all usernames is locked."""

    def address_failures(self, request: Any) -> int:
        """Failures from the request's client address within the cool-off time, whatever the username."""
        attempts = AccessAttempt.objects.filter(ip_address=request.axes_ip_address)
        if settings.AXES_COOLOFF_TIME is not None:
            attempts = attempts.filter(attempt_time__gte=get_cool_off_threshold(request))
        return int(attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0)

    def address_locked(self, request: Any) -> bool:
        return self.address_failures(request) >= settings.AXES_ADDRESS_FAILURE_LIMIT

    def is_locked(self, request: Any, credentials: dict[str, Any] | None = None) -> bool:
        return bool(super().is_locked(request, credentials)) or self.address_locked(request)

    def user_login_failed(
        self, sender: Any, credentials: dict[str, Any], request: Any = None, **kwargs: Any
    ) -> None:
        super().user_login_failed(sender, credentials, request=request, **kwargs)
        # The base handler marks the request locked only for the (username, address) pair; mark it for
        # the address too, so the answer to this attempt already says "locked".
        if request is None or getattr(request, "axes_locked_out", False):
            return
        if self.is_whitelisted(request, credentials) or not self.address_locked(request):
            return
        request.axes_locked_out = True
        request.axes_credentials = credentials
        user_locked_out.send(
            "axes",
            request=request,
            username=get_client_username(request, credentials),
            ip_address=request.axes_ip_address,
        )
