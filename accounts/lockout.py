"""The answer to a locked-out login: JSON for the API, the Chinese lockout page for the web."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _


def lockout_response(
    request: HttpRequest, original_response: Any = None, credentials: Any = None
) -> HttpResponse:
    if request.path.startswith("/api/"):
        return JsonResponse(
            {"detail": _("登录失败次数过多，账户已被暂时锁定，请稍后再试或联系管理员。")}, status=429
        )
    return render(request, "registration/locked_out.html", status=429)
