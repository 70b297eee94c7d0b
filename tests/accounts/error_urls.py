"""The platform's URLs plus a few views that fail on purpose, for tests/accounts/test_error_pages.py."""

from django.core.exceptions import BadRequest, PermissionDenied, SuspiciousOperation
from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse
from django.urls import path
from django.utils.translation import gettext_lazy as _

from accounts.errors import InvalidInput, NotAllowed, StateConflict
from config.urls import handler400, handler403, handler404, handler500
from config.urls import urlpatterns as platform

# The reasons of real refusals (their msgids are in the catalogue, so they show in English too).
SERVICE_REASON = _("只有区县经信部门可以执行此操作。")
CONFLICT_REASON = _("该记录的状态已发生变化，请刷新页面后重试。")


def refused(request: HttpRequest) -> HttpResponse:
    raise PermissionDenied(SERVICE_REASON)


def refused_filing(request: HttpRequest) -> HttpResponse:
    raise PermissionDenied(_("您的角色只能查看和审核年度数据，不能填报。"))


def refused_with_a_code(request: HttpRequest) -> HttpResponse:
    raise PermissionDenied("submission.verify")


def refused_with_an_object(request: HttpRequest) -> HttpResponse:
    raise PermissionDenied({"code": "not_allowed"})


def not_allowed(request: HttpRequest) -> HttpResponse:
    raise NotAllowed(SERVICE_REASON)


def conflict(request: HttpRequest) -> HttpResponse:
    raise StateConflict(CONFLICT_REASON)


def invalid(request: HttpRequest) -> HttpResponse:
    raise InvalidInput(_("提交的数据有误，请检查标出的字段。"))


def bad(request: HttpRequest) -> HttpResponse:
    raise BadRequest("malformed query: ?year=abc")


def suspicious(request: HttpRequest) -> HttpResponse:
    raise SuspiciousOperation("tampered signature")


def crash(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("KeyError: 'district_id' <object at 0x7f>")


def database_down(request: HttpRequest) -> HttpResponse:
    raise DatabaseError("connection to server at 127.0.0.1 failed")


urlpatterns = [
    path("boom/refused/", refused),
    path("boom/refused-filing/", refused_filing),
    path("boom/refused-code/", refused_with_a_code),
    path("boom/refused-object/", refused_with_an_object),
    path("boom/not-allowed/", not_allowed),
    path("boom/conflict/", conflict),
    path("boom/invalid/", invalid),
    path("boom/bad/", bad),
    path("boom/suspicious/", suspicious),
    path("boom/crash/", crash),
    path("boom/database/", database_down),
    path("api/v1/boom/crash/", crash),
    path("api/v1/boom/bad/", bad),
    path("api/v1/boom/refused/", refused),
    *platform,
]

__all__ = ["handler400", "handler403", "handler404", "handler500", "urlpatterns"]
