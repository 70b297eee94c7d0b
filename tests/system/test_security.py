"""Security: production settings, CSRF on forms and session-authenticated API writes, password rules, the
sign-in page, and an audit entry for every service that writes.

`manage.py check --deploy` with production values is tested in tests/accounts/test_services_for_real.py;
here the values themselves are asserted, so a weakened setting fails by name even where Django's deploy
checks would only warn.
"""

from __future__ import annotations

import datetime as dt
import importlib
import inspect
import json
import os
import pkgutil
import subprocess
import sys
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import AuditEntry
from tests.accounts.test_services_for_real import PRODUCTION_ENV
from tests.system.conftest import GOOD_VALUES, REPORTING_YEAR, World, filled_workbook, registration_letter

ROOT = Path(__file__).resolve().parents[2]
STRONG_PASSWORD = "Lü-Green-Factory-2026"
ONE_YEAR = 365 * 24 * 3600


def _run_with_production_env(script: str, tmp_path: Path, **extra_env: str) -> dict[str, Any]:
    """Run `script` in a fresh interpreter with the production environment; it prints one JSON object."""
    clean = {k: v for k, v in os.environ.items() if k not in PRODUCTION_ENV and k != "DJANGO_SETTINGS_MODULE"}
    env = {
        **clean,
        **PRODUCTION_ENV,
        "REDIS_URL": "",
        "MEDIA_ROOT": str(tmp_path / "media"),
        "RUN_DIR": str(tmp_path / "run"),
        "DJANGO_SETTINGS_MODULE": "config.settings",
        **extra_env,
    }
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(script)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


# --- production settings -----------------------------------------------------------------------------


def test_production_settings_harden_cookies_transport_and_framing(tmp_path):
    values = _run_with_production_env(
        """
        import json
        import django
        django.setup()
        from django.conf import settings as s
        print(json.dumps({name: getattr(s, name, None) for name in (
            "DEBUG", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "SECURE_HSTS_SECONDS",
            "SECURE_HSTS_INCLUDE_SUBDOMAINS", "SECURE_SSL_REDIRECT", "X_FRAME_OPTIONS", "SESSION_COOKIE_HTTPONLY",
            "SESSION_COOKIE_SAMESITE", "CSRF_COOKIE_SAMESITE", "SECURE_CONTENT_TYPE_NOSNIFF",
            "SECURE_REFERRER_POLICY")}))
    """,
        tmp_path,
    )
    assert values["DEBUG"] is False
    assert values["SESSION_COOKIE_SECURE"] is True
    assert values["CSRF_COOKIE_SECURE"] is True
    assert values["SECURE_HSTS_SECONDS"] >= ONE_YEAR
    assert values["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is True
    assert values["SECURE_SSL_REDIRECT"] is True
    assert values["X_FRAME_OPTIONS"] == "DENY"
    assert values["SESSION_COOKIE_HTTPONLY"] is True
    assert values["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert values["CSRF_COOKIE_SAMESITE"] == "Lax"
    assert values["SECURE_CONTENT_TYPE_NOSNIFF"] is True
    assert values["SECURE_REFERRER_POLICY"] == "same-origin"


def test_in_production_signing_in_sets_secure_cookies_and_nothing_is_cached(tmp_path):
    """A real sign-in through the production stack (on a throwaway SQLite database): the sign-in page is
    not cached, plain HTTP is redirected to HTTPS, and the session and CSRF cookies carry their flags."""
    seen = _run_with_production_env(
        """
        import json
        import django
        django.setup()
        from django.core.management import call_command
        from django.test import Client, override_settings
        call_command("migrate", verbosity=0)
        from tests.model_factories import UserFactory
        UserFactory(username="alice", role="city")
        host = "greenfactory.example.cn"
        plain = Client(HTTP_HOST=host).get("/accounts/login/")
        # Static files are collected at deploy time; the plain storage renders the page without a manifest.
        storages = {"default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
                    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
        with override_settings(STORAGES=storages):
            client = Client(HTTP_HOST=host)
            page = client.get("/accounts/login/", secure=True)
            signed_in = client.post("/accounts/login/", {"username": "alice", "password": "correct-horse-battery"},
                                    secure=True)

        def flags(response, name):
            morsel = response.cookies[name]
            return {"secure": bool(morsel["secure"]), "httponly": bool(morsel["httponly"]),
                    "samesite": morsel["samesite"]}

        print(json.dumps({
            "plain": [plain.status_code, plain.get("Location", "")],
            "page": page.status_code, "page_cache": page.get("Cache-Control", ""),
            "hsts": page.get("Strict-Transport-Security", ""), "frame": page.get("X-Frame-Options", ""),
            "nosniff": page.get("X-Content-Type-Options", ""), "csrf": flags(page, "csrftoken"),
            "login": signed_in.status_code, "login_cache": signed_in.get("Cache-Control", ""),
            "session": flags(signed_in, "sessionid"),
        }))
    """,
        tmp_path,
        DATABASE_URL=f"sqlite:///{tmp_path / 'production.sqlite3'}",
    )
    assert seen["plain"] == [301, "https://greenfactory.example.cn/accounts/login/"]
    assert seen["page"] == 200
    assert "no-store" in seen["page_cache"] and "no-store" in seen["login_cache"]
    assert seen["hsts"].startswith(f"max-age={ONE_YEAR}") and "includeSubDomains" in seen["hsts"]
    assert seen["frame"] == "DENY" and seen["nosniff"] == "nosniff"
    assert seen["csrf"] == {"secure": True, "httponly": False, "samesite": "Lax"}
    assert seen["login"] == 302
    assert seen["session"] == {"secure": True, "httponly": True, "samesite": "Lax"}


def test_the_sign_in_page_is_never_cached(client, city_user):
    page = client.get(reverse("accounts:login"))
    assert "no-store" in page["Cache-Control"] and "private" in page["Cache-Control"]
    failed = client.post(reverse("accounts:login"), {"username": "alice", "password": "wrong-password"})
    assert failed.status_code == 200 and "no-store" in failed["Cache-Control"]


# --- CSRF ----------------------------------------------------------------------------------------


@pytest.fixture
def strict_client():  # type: ignore[no-untyped-def]
    return Client(enforce_csrf_checks=True)


def _csrf_token(client: Client, page: str) -> str:
    client.get(page)
    return client.cookies["csrftoken"].value


def test_signing_in_needs_the_csrf_token(strict_client, city_user):
    response = strict_client.post(
        reverse("accounts:login"), {"username": "alice", "password": "correct-horse-battery"}
    )
    assert response.status_code == 403


@pytest.mark.parametrize(
    ("persona", "url", "data"),
    [
        ("city_user", "factories:enterprise_create", {"name": "重庆伪造请求有限公司"}),
        (
            "city_user",
            "reporting:year_list",
            {"year": 2024, "opens_on": "2025-01-01", "closes_on": "2025-03-31"},
        ),
        (
            "city_user",
            "factories:greenfactory_recognize",
            {"credit_code": "x", "tier": "city", "recognized_year": 2024},
        ),
        ("district_user", "reporting:notification_mark_read", {}),
        (
            "district_user",
            "accounts:password_change",
            {
                "old_password": "correct-horse-battery",
                "new_password1": STRONG_PASSWORD,
                "new_password2": STRONG_PASSWORD,
            },
        ),
        ("district_user", "accounts:logout", {}),
    ],
)
def test_an_html_form_posted_without_the_csrf_token_is_refused(persona, url, data, strict_client, request):
    strict_client.force_login(request.getfixturevalue(persona))
    response = strict_client.post(reverse(url), data)
    assert response.status_code == 403


def test_a_workflow_step_posted_without_the_csrf_token_is_refused_and_changes_nothing(
    strict_client, world, district_user
):
    submitted = world.objects("submission:submitted")["own"]
    strict_client.force_login(district_user)
    url = reverse("reporting:submission_action", args=[submitted.pk, "approve"])
    assert strict_client.post(url).status_code == 403
    submitted.refresh_from_db()
    assert submitted.status == "submitted"
    token = _csrf_token(strict_client, reverse("reporting:submission_detail", args=[submitted.pk]))
    assert strict_client.post(url, {"csrfmiddlewaretoken": token}).status_code == 302
    submitted.refresh_from_db()
    assert submitted.status == "district_approved"


def _new_submission(world: World) -> dict[str, Any]:
    world.objects("reporting_year")
    return {"enterprise": world.enterprises["own"].pk, "year": REPORTING_YEAR, **GOOD_VALUES}


def test_a_session_authenticated_api_write_needs_the_csrf_token(world, district_user):
    api = APIClient(enforce_csrf_checks=True)
    api.force_login(district_user)
    body = _new_submission(world)
    refused = api.post("/api/v1/submissions/", body, format="json")
    assert refused.status_code == 403 and "CSRF" in refused.json()["detail"]
    token = _csrf_token(api, reverse("reporting:year_list"))
    accepted = api.post("/api/v1/submissions/", body, format="json", HTTP_X_CSRFTOKEN=token)
    assert accepted.status_code == 201, accepted.json()


def test_a_token_authenticated_api_write_needs_no_csrf_token(world, district_user, tokens):
    api = APIClient(enforce_csrf_checks=True)
    api.credentials(HTTP_AUTHORIZATION=f"Token {tokens['district']}")
    response = api.post("/api/v1/submissions/", _new_submission(world), format="json")
    assert response.status_code == 201, response.json()


# --- passwords -----------------------------------------------------------------------------------

WEAK_PASSWORDS = [
    pytest.param("Gf-2026!", "password_too_short", id="short"),
    pytest.param("password123", "password_too_common", id="common"),
    pytest.param("20261125093017", "password_entirely_numeric", id="numeric"),
    pytest.param("alice2026", "password_too_similar", id="like-the-username"),
    pytest.param("alicealice", "password_username_repeated", id="the-username-repeated"),
]


@pytest.mark.parametrize(("password", "code"), WEAK_PASSWORDS)
def test_the_password_change_form_refuses_a_weak_password(password, code, client, city_user):
    client.force_login(city_user)
    response = client.post(
        reverse("accounts:password_change"),
        {"old_password": "correct-horse-battery", "new_password1": password, "new_password2": password},
    )
    assert response.status_code == 200
    codes = [error.code for error in response.context["form"].errors.as_data()["new_password2"]]
    assert code in codes
    city_user.refresh_from_db()
    assert city_user.check_password("correct-horse-battery")


def test_the_password_change_form_accepts_a_strong_password(client, city_user):
    client.force_login(city_user)
    response = client.post(
        reverse("accounts:password_change"),
        {
            "old_password": "correct-horse-battery",
            "new_password1": STRONG_PASSWORD,
            "new_password2": STRONG_PASSWORD,
        },
    )
    assert response.status_code == 302
    city_user.refresh_from_db()
    assert city_user.check_password(STRONG_PASSWORD)


@pytest.mark.parametrize(("password", "code"), WEAK_PASSWORDS)
@pytest.mark.django_db
def test_add_user_refuses_a_weak_password(password, code):
    from accounts.models import User

    with pytest.raises(CommandError, match="password"):
        call_command("add_user", "alice", role="auditor", password=password, name="alice")
    assert not User.objects.filter(username="alice").exists()


@pytest.mark.django_db
def test_add_user_accepts_a_strong_password():
    from accounts.models import User

    call_command("add_user", "zoe", role="auditor", password=STRONG_PASSWORD)
    assert User.objects.get(username="zoe").check_password(STRONG_PASSWORD)


# --- an audit entry for every write ---------------------------------------------------------------

SERVICE_PACKAGES = (
    "factories.services",
    "factories.grading.services",
    "reporting.services",
    "reporting.jobs",
    "cultivation.services",
)


def service_modules() -> list[Any]:
    """The modules that hold services: each named module, and every module of a services package."""
    modules = []
    for name in SERVICE_PACKAGES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError:
            continue
        modules.append(module)
        for info in pkgutil.iter_modules(getattr(module, "__path__", [])):
            modules.append(importlib.import_module(f"{name}.{info.name}"))
    return modules


def public_functions() -> dict[str, Callable[..., Any]]:
    """`module.function` → function, for every public function defined in a service module."""
    found = {}
    for module in service_modules():
        for name, function in inspect.getmembers(module, inspect.isfunction):
            if function.__module__ == module.__name__ and not name.startswith("_"):
                found[f"{module.__name__}.{name}"] = function
    return found


@dataclass(frozen=True)
class Write:
    """How to call a service with valid arguments, and the audit action it must record."""

    action: str
    kwargs: Callable[[World], dict[str, Any]]


def _today(days: int = 0) -> dt.date:
    return timezone.localdate() + dt.timedelta(days=days)


def _own(world: World, kind: str) -> Any:
    return world.objects(kind)["own"]


def _after_the_window(world: World, kwargs: dict[str, Any]) -> dict[str, Any]:
    """The arguments of an official grading run, once the year's reporting window has closed."""
    world.objects("closed_year")
    return kwargs


def _bob(world: World) -> Any:
    return world.fixture("district_user")


def _confirmed_by_alice(world: World) -> Any:
    """A register proposal of a second city user that alice has just confirmed (the step before the revocation)."""
    proposal = _own(world, "proposal:register")
    type(proposal).objects.filter(pk=proposal.pk).update(
        status="confirmed", decided_by=world.city, decided_at=timezone.now()
    )
    proposal.refresh_from_db()
    return proposal


def _import_rows(world: World) -> dict[str, Any]:
    from factories.indicators import get_catalogue
    from reporting import imports

    world.objects("reporting_year")
    rows, errors, columns = imports.read_rows(
        filled_workbook([world.enterprises["own"]]), get_catalogue("GBT36132-2018")
    )
    assert not errors
    return {"actor": _bob(world), "year": REPORTING_YEAR, "rows": rows, "columns": columns, "commit": True}


def _queued_level_job(world: World) -> dict[str, Any]:
    from cultivation.services import level_job_start

    world.objects("pool:member")
    job = level_job_start(actor=_bob(world), district=world.fixture("yuzhong"), year=REPORTING_YEAR)
    return {"job_id": job.pk}


def _graduating_factory(world: World) -> dict[str, Any]:
    from tests.model_factories import GreenFactoryFactory

    member = _own(world, "pool:member")
    return {
        "actor": world.city,
        "factory": GreenFactoryFactory(enterprise=member.enterprise, recognized_year=2026),
    }


def _reminder(world: World) -> dict[str, Any]:
    """A 渝中 clerk reminds dora's enterprise (open year, nothing filed, dora's account to reach)."""
    world.fixture("enterprise_user")
    enterprise = world.objects("enterprise:reporting")["own"]
    return {"actor": _bob(world), "enterprise": enterprise, "year": REPORTING_YEAR}


def _anomaly(world: World) -> dict[str, Any]:
    """Bob dismisses an anomaly flag planted on his unit's submitted data."""
    from reporting.models import AnnualSubmission

    submission = _own(world, "submission:submitted")
    flag = {
        "kind": "inconsistent",
        "field_or_indicator": "co2",
        "message": "",
        "figures": {},
        "dismissed": None,
    }
    AnnualSubmission.objects.filter(pk=submission.pk).update(anomaly_flags=[flag])
    submission.refresh_from_db()
    return {
        "actor": _bob(world),
        "submission": submission,
        "kind": "inconsistent",
        "field_or_indicator": "co2",
        "reason": "已核对能源台账",
    }


AUDITED: dict[str, Write] = {
    # accounts
    "factories.services.user_create": Write(
        "user.create",
        lambda w: {"actor": w.city, "username": "zoe", "role": "auditor", "password": STRONG_PASSWORD},
    ),
    "factories.services.user_invite": Write(
        "user.create",
        lambda w: {
            "actor": _bob(w),
            "username": "zoe",
            "role": "enterprise",
            "enterprise_credit_code": w.enterprises["own"].credit_code,
        },
    ),
    "factories.services.user_update": Write(
        "user.update",
        lambda w: {"actor": _bob(w), "user": w.fixture("enterprise_user"), "first_name": "王芳"},
    ),
    "factories.services.user_deactivate": Write(
        "user.deactivate",
        lambda w: {"actor": _bob(w), "user": w.fixture("enterprise_user"), "reason": "已离职"},
    ),
    "factories.services.user_reactivate": Write(
        "user.reactivate",
        lambda w: {"actor": _bob(w), "user": _own(w, "user:inactive"), "reason": "重新入职"},
    ),
    "factories.services.user_reset_password": Write(
        "user.reset_password",
        lambda w: {"actor": _bob(w), "user": w.fixture("enterprise_user"), "reason": "忘记密码"},
    ),
    # self-registration (issue 14 item 1)
    "factories.services.registration_submit": Write(
        "registration.submit",
        lambda w: {
            "credit_code": _credit_code(),
            "enterprise_name": "重庆新注册制造有限公司",
            "district": w.fixture("yuzhong"),
            "industry": w.enterprises["own"].industry,
            "legal_form": "legal_person",
            "contact_name": "张伟",
            "mobile": "13800138000",
            "email": "zhangwei@example.cn",
            "letter": registration_letter(),
            "address": "192.0.2.10",
        },
    ),
    "factories.services.registration_approve": Write(
        "registration.approve", lambda w: {"actor": _bob(w), "registration": _own(w, "registration")}
    ),
    "factories.services.registration_resend_activation": Write(
        "registration.resend", lambda w: {"actor": _bob(w), "registration": _own(w, "registration:approved")}
    ),
    "factories.services.registration_reject": Write(
        "registration.reject",
        lambda w: {"actor": _bob(w), "registration": _own(w, "registration"), "reason": "委托书未盖章"},
    ),
    # the register
    "factories.services.district_merge": Write(
        "district.merge",
        lambda w: {
            "actor": w.city,
            "unit": w.fixture("jiangjin"),
            "successor": w.fixture("yuzhong"),
            "effective_on": _today(),
        },
    ),
    "factories.services.enterprise_create": Write(
        "enterprise.create",
        lambda w: {
            "actor": w.city,
            "name": "重庆新登记制造有限公司",
            "credit_code": _credit_code(),
            "district": w.fixture("yuzhong"),
            "industry": w.enterprises["own"].industry,
            "legal_form": "legal_person",
        },
    ),
    "factories.services.enterprise_update": Write(
        "enterprise.update",
        lambda w: {"actor": w.city, "enterprise": w.enterprises["own"], "contact_name": "李娜"},
    ),
    "factories.services.green_factory_recognize": Write(
        "green_factory.recognize",
        lambda w: {
            "actor": w.city,
            "enterprise": w.enterprises["own"],
            "tier": "city",
            "recognized_year": 2024,
        },
    ),
    "factories.services.revocation_propose": Write(
        "revocation.propose",
        lambda w: {
            "actor": w.city,
            "factory": _own(w, "green_factory"),
            "revoked_on": _today(),
            "reason": "重大安全事故",
        },
    ),
    "factories.services.green_factory_revoke": Write(
        "green_factory.revoke",
        lambda w: {
            "actor": w.city,
            "proposal": _confirmed_by_alice(w),
            "revoked_on": _today(),
            "reason": "重大安全事故",
        },
    ),
    # grading
    "factories.grading.services.grading_standard_new_version": Write(
        "grading_standard.create", lambda w: {"actor": w.city, "base": _own(w, "standard")}
    ),
    "factories.grading.services.grading_standard_update": Write(
        "grading_standard.update",
        lambda w: {
            "actor": w.city,
            "standard": _own(w, "standard:draft"),
            "parameters": _own(w, "standard:draft").parameters,
            "note": "调整说明",
        },
    ),
    "factories.grading.services.grading_standard_adopt": Write(
        "grading_standard.adopt",
        lambda w: {
            "actor": w.city,
            "standard": _own(w, "standard:draft"),
            "valid_from": dt.date(_today().year + 1, 1, 1),
        },
    ),
    "factories.grading.services.grading_run_start": Write(
        "grading_run.start", lambda w: _after_the_window(w, {"actor": w.city, "year": 2024})
    ),
    "factories.grading.services.grading_run_publish": Write(
        "grading_run.publish",
        lambda w: {
            "actor": w.city,
            "run": _own(w, "run:succeeded"),
            "notice_from": _today(),
            "notice_to": _today(7),
        },
    ),
    "factories.grading.services.grading_run_finalize": Write(
        "grading_run.finalize", lambda w: {"actor": w.city, "run": _own(w, "run:notice_over")}
    ),
    "factories.grading.services.grading_run_retry": Write(
        "grading_run.retry", lambda w: {"actor": w.city, "run": _own(w, "run:failed")}
    ),
    "factories.grading.services.incident_record": Write(
        "incident.record",
        lambda w: {
            "actor": w.city,
            "enterprise": _own(w, "green_factory").enterprise,
            "kind": "safety",
            "severity": "general",
            "occurred_on": _today(-10),
            "description": "一般安全事故",
        },
    ),
    "factories.grading.services.revocation_confirm": Write(
        "revocation.confirm", lambda w: {"actor": w.city, "proposal": _own(w, "proposal"), "note": "确认撤销"}
    ),
    "factories.grading.services.revocation_dismiss": Write(
        "revocation.dismiss",
        lambda w: {"actor": w.city, "proposal": _own(w, "proposal"), "note": "已完成整改"},
    ),
    "factories.grading.services.objection_file": Write(
        "objection.file",
        lambda w: {
            "actor": None,
            "result": _own(w, "grade"),
            "name": "张伟",
            "email": "zhangwei@example.cn",
            "statement": "该厂去年曾发生环境污染事件。",
        },
    ),
    "factories.grading.services.objection_accept": Write(
        "objection.accept",
        lambda w: {
            "actor": w.city,
            "objection": _own(w, "objection"),
            "reason": "情况属实。",
            "remedy_kind": "method_note",
            "note": "补充说明计算口径",
        },
    ),
    "factories.grading.services.objection_reject": Write(
        "objection.reject",
        lambda w: {"actor": w.city, "objection": _own(w, "objection"), "reason": "不属实。"},
    ),
    "factories.grading.services.objection_link_run": Write(
        "objection.link_run",
        lambda w: {"actor": w.city, "objection": _own(w, "objection:accepted"), "run": w.rerun},
    ),
    # reporting
    "reporting.services.reporting_year_open": Write(
        "reporting_year.open",
        lambda w: {
            "actor": w.city,
            "year": 2024,
            "opens_on": dt.date(2025, 1, 1),
            "closes_on": dt.date(2025, 3, 31),
        },
    ),
    "reporting.services.reporting_year_update": Write(
        "reporting_year.update",
        lambda w: {
            "actor": w.city,
            "reporting_year": _own(w, "reporting_year"),
            "opens_on": _today(-30),
            "closes_on": _today(60),
        },
    ),
    "reporting.services.submission_save_draft": Write(
        "submission.create",
        lambda w: {
            "actor": w.fixture("enterprise_user"),
            "enterprise": w.objects("enterprise:reporting")["own"],
            "year": REPORTING_YEAR,
            "values": GOOD_VALUES,
        },
    ),
    "reporting.services.submission_submit": Write(
        "submission.submit",
        lambda w: {"actor": w.fixture("enterprise_user"), "submission": _own(w, "submission:draft")},
    ),
    "reporting.services.submission_approve": Write(
        "submission.approve", lambda w: {"actor": _bob(w), "submission": _own(w, "submission:submitted")}
    ),
    "reporting.services.submission_verify": Write(
        "submission.verify", lambda w: {"actor": w.city, "submission": _own(w, "submission:approved")}
    ),
    "reporting.services.submission_return": Write(
        "submission.return",
        lambda w: {"actor": _bob(w), "submission": _own(w, "submission:submitted"), "reason": "请核实用电量"},
    ),
    "reporting.services.correction_request": Write(
        "correction.request",
        lambda w: {
            "actor": _bob(w),
            "submission": _own(w, "submission:verified"),
            "reason": "统计口径错误",
            "new_values": {"cod": "1400"},
        },
    ),
    "reporting.services.correction_decide": Write(
        "correction.approve",
        lambda w: {"actor": w.city, "correction": _own(w, "correction"), "approve": True},
    ),
    "reporting.services.submissions_import": Write("submission.import", _import_rows),
    "reporting.services.import_upload": Write(
        "import.dry_run",
        lambda w: {
            "actor": _bob(w),
            "year": REPORTING_YEAR,
            "name": "年度数据.xlsx",
            "data": filled_workbook([w.objects("enterprise:reporting")["own"]]),
        },
    ),
    "reporting.services.import_commit": Write(
        "import.commit", lambda w: {"actor": _bob(w), "job": _own(w, "import")}
    ),
    "reporting.services.reminder_send": Write("reminder.send", _reminder),
    "reporting.services.evidence_add": Write(
        "evidence.add",
        lambda w: {
            "actor": _bob(w),
            "submission": _own(w, "submission:draft"),
            "field": "electricity",
            "upload": SimpleUploadedFile("电费发票.pdf", b"%PDF-1.7\n%%EOF\n"),
        },
    ),
    "reporting.services.field_note_add": Write(
        "submission.note",
        lambda w: {
            "actor": _bob(w),
            "submission": _own(w, "submission:submitted"),
            "field": "electricity",
            "note": "请核对电费发票金额",
        },
    ),
    "reporting.services.evidence_remove": Write(
        "evidence.remove",
        lambda w: {"actor": _bob(w), "item": _own(w, "submission:evidence").evidence.get()},
    ),
    "reporting.services.anomaly_dismiss": Write("anomaly.dismiss", _anomaly),
    "reporting.services.anomaly_scan_request": Write(
        "anomaly.scan", lambda w: {"actor": w.city, "year": _own(w, "reporting_year").year}
    ),
    "reporting.services.anomaly_settings_change": Write(
        "anomaly.configure", lambda w: {"actor": w.city, "z_threshold": "4", "full_renewable_kwh": "500000"}
    ),
    "reporting.jobs.export_request": Write(
        "export.request", lambda w: {"actor": w.city, "kind": "enterprises"}
    ),
    # the cultivation pool
    "cultivation.services.pool.pool_application_submit": Write(
        "pool_application.submit",
        lambda w: {
            "actor": _bob(w),
            "enterprise": w.enterprises["own"],
            "intention": "愿意参与梯度培育",
            "plan": "三年创建计划",
            "lawful_declaration": True,
        },
    ),
    "cultivation.services.pool.pool_application_accept": Write(
        "pool_application.accept", lambda w: {"actor": _bob(w), "application": _own(w, "pool:application")}
    ),
    "cultivation.services.pool.pool_application_reject": Write(
        "pool_application.reject",
        lambda w: {"actor": _bob(w), "application": _own(w, "pool:application"), "reason": "创建计划不完整"},
    ),
    "cultivation.services.pool.membership_exit": Write(
        "pool_membership.exit",
        lambda w: {"actor": _bob(w), "membership": _own(w, "pool:member"), "reason": "企业自愿退出"},
    ),
    "cultivation.services.pool.membership_graduate": Write("pool_membership.graduate", _graduating_factory),
    "cultivation.services.pool.end_certifications": Write(
        "b_certification.withdraw",
        lambda w: {
            "actor": _bob(w),
            "membership": _own(w, "pool:certification").membership,
            "statuses": ("applied",),
            "reason": "退出培育库",
        },
    ),
    "cultivation.services.pool.supervision_record_add": Write(
        "supervision_record.add",
        lambda w: {
            "actor": _bob(w),
            "membership": _own(w, "pool:member"),
            "kind": "energy_inspection",
            "date": _today(-1),
        },
    ),
    "cultivation.services.pool.district_standard_in_force": Write(
        "district_standard.create", lambda w: {"district": w.fixture("yuzhong")}
    ),
    "cultivation.services.pool.district_standard_new_version": Write(
        "district_standard.new_version",
        lambda w: {
            "actor": _bob(w),
            "district": w.fixture("yuzhong"),
            "parameters": {"b_level_min": 61},
            "note": "提高B级水平得分下限",
        },
    ),
    "cultivation.services.levels.level_job_start": Write(
        "level_job.start",
        lambda w: {"actor": _bob(w), "district": w.fixture("yuzhong"), "year": REPORTING_YEAR},
    ),
    "cultivation.services.levels.level_job_execute": Write("level_decision.compute", _queued_level_job),
    "cultivation.services.levels.b_certification_apply": Write(
        "b_certification.apply",
        lambda w: {
            "actor": _bob(w),
            "enterprise": w.enterprises["own"],
            "year": _own(w, "pool:level:b").year,
        },
    ),
    "cultivation.services.levels.b_certification_certify": Write(
        "b_certification.certify",
        lambda w: {"actor": _bob(w), "certification": _own(w, "pool:certification")},
    ),
    "cultivation.services.levels.b_certification_reject": Write(
        "b_certification.reject",
        lambda w: {"actor": _bob(w), "certification": _own(w, "pool:certification"), "reason": "资料不实"},
    ),
    "cultivation.services.levels.b_certification_confirm_loss": Write(
        "b_certification.lose",
        lambda w: {
            "actor": _bob(w),
            "certification": _own(w, "pool:certification:under_review"),
            "reason": "等级降至C级",
        },
    ),
    "cultivation.services.levels.b_certification_keep": Write(
        "b_certification.keep",
        lambda w: {
            "actor": _bob(w),
            "certification": _own(w, "pool:certification:under_review"),
            "reason": "整改后仍符合",
        },
    ),
    "cultivation.services.levels.irregular_review_open": Write(
        "irregular_review.open",
        lambda w: {"actor": _bob(w), "membership": _own(w, "pool:member"), "scope_note": "核查能耗数据"},
    ),
    "cultivation.services.levels.irregular_review_close": Write(
        "irregular_review.close",
        lambda w: {
            "actor": _bob(w),
            "review": _own(w, "pool:review"),
            "findings": "未发现问题",
            "falsification": False,
        },
    ),
    "cultivation.services.reports.district_report_generate": Write(
        "district_report.generate",
        lambda w: {"actor": _bob(w), "district": w.fixture("yuzhong"), "year": REPORTING_YEAR},
    ),
    "cultivation.services.reports.district_report_save_narrative": Write(
        "district_report.edit",
        lambda w: {"actor": _bob(w), "report": _own(w, "pool:report"), "narrative": "补充监管与服务情况"},
    ),
    "cultivation.services.reports.district_report_submit": Write(
        "district_report.submit", lambda w: {"actor": _bob(w), "report": _own(w, "pool:report")}
    ),
    "cultivation.services.reports.district_report_acknowledge": Write(
        "district_report.acknowledge",
        lambda w: {"actor": w.city, "report": _own(w, "pool:report:submitted"), "comment": "已阅"},
    ),
    "cultivation.services.reports.district_report_return": Write(
        "district_report.return",
        lambda w: {"actor": w.city, "report": _own(w, "pool:report:submitted"), "reason": "请补充监管情况"},
    ),
}

# Public functions of the service modules that record no audit entry, and why. Keep it short: a function
# that changes what users see belongs in AUDITED.
NOT_AUDITED: dict[str, str] = {
    "factories.services.ban_end": "pure: the first day a revoked factory may be recognised again",
    "factories.grading.services.evidence_problem": "pure check of an uploaded file",
    "factories.services.letter_problem": "pure check of an uploaded authorisation letter",
    "factories.grading.services.standard_in_force": "read: the adopted standard of a year",
    "factories.grading.services.objection_window_problem": "read: why no objection can be filed about a run "
    "today (outside its notice period)",
    "cultivation.services.levels.year_catalogue": "read: the indicator catalogue a year reports on",
    "cultivation.services.levels.on_year_catalogue": "pure: a pool standard carried onto the year's catalogue "
    "(its thresholds kept) before a level run is computed",
    "cultivation.services.levels.open_certification": "read: the member's open B certification, so the form "
    "is not offered when the application would be refused",
    "cultivation.services.pool.pool_application_blocker": "read: why an enterprise cannot apply to join the "
    "pool, said before the form is filled in",
    "factories.grading.services.execute_run": "the worker half of grading_run_start (audited there): computes "
    "the run's results, which carry the run",
    "factories.grading.services.grading_run_resume_stale": "the watchdog: re-sends stalled or lost runs to the "
    "worker; changes no data",
    "factories.grading.services.grading_run_announce": "sends the notifications of a notice (公示) on its first "
    "day, once; the publication that set the dates is audited",
    "factories.grading.services.grading_notices_announce": "beat: announces the notices that begin today",
    "reporting.services.today": "pure: the local date",
    "reporting.services.edit_blocker": "read: why a form cannot be edited",
    "reporting.services.notification_mark_read": "a person's own read marks on their notifications",
    "reporting.jobs.clean_filters": "pure: validates export filters",
    "reporting.jobs.export_execute": "the worker half of export_request (audited there): builds the file",
    "reporting.jobs.requeue_waiting_exports": "the watchdog: re-sends stalled or lost exports to the worker; "
    "changes no data",
    "reporting.services.import_validate": "the worker half of import_upload (audited there, as import.dry_run "
    "or import.refused): checks the stored file",
    "reporting.services.overdue_notices_send": "beat: the overdue notice after the close date, recorded once "
    "per enterprise and year as a Reminder row (the platform's own act, no actor)",
    "reporting.services.review_reminders_send": "beat: reminds reviewers of items waiting in their queue, "
    "recorded once per item and stay as a Reminder row (the platform's own act, no actor)",
    "reporting.services.requeue_waiting_imports": "the watchdog: re-sends stalled or lost import checks to the "
    "worker; changes no data",
    "reporting.services.anomaly_scan_execute": "the worker half of anomaly_scan_request (audited there, as "
    "anomaly.scan): recomputes the year's flags, keeping dismissals",
    "reporting.services.anomaly_scans_when_complete": "beat: starts the year's check once its window has "
    "closed; each check it starts is audited as anomaly.scan by _anomaly_scan_enqueue (actor beat)",
    "reporting.services.requeue_waiting_anomaly_scans": "the watchdog: re-sends stalled or lost anomaly checks "
    "to the worker; changes no data",
    "cultivation.services.evidence.uploads_problems": "guard: checks uploaded files, stores nothing",
    "cultivation.services.evidence.store": "part of pool_application_submit and b_certification_apply, whose "
    "audit entries list the stored files under 佐证材料",
    "cultivation.services.evidence.discard": "clean-up: removes files written by a refused application",
    "cultivation.services.evidence.in_words": "pure: the stored files' names for the audit entry",
    "cultivation.services.common.today": "pure: the local date",
    "cultivation.services.common.ensure_own_district": "guard: raises NotAllowed",
    "cultivation.services.common.ensure_year": "guard: validates a year",
    "cultivation.services.common.required_text": "guard: validates a text",
    "cultivation.services.pool.application_checklist": "pure: the Art. 10 checklist",
    "cultivation.services.levels.b_checklist": "pure: the B-level checklist of a decision",
    "cultivation.services.levels.gaps_text": "pure: the checklist's gaps in words",
    "cultivation.services.levels.next_certificate_no": "read: the next certificate number",
    "cultivation.services.levels.level_job_resume_stale": "the watchdog: re-sends stalled or lost level jobs to "
    "the worker; changes no data",
}


def _credit_code() -> str:
    from factories.creditcode import make_credit_code

    return make_credit_code("91", "500103", "66660001")


def test_every_public_service_function_is_either_audited_or_explained():
    functions = set(public_functions())
    unlisted = sorted(functions - set(AUDITED) - set(NOT_AUDITED))
    assert not unlisted, (
        "service functions in neither AUDITED nor NOT_AUDITED "
        "(tests/system/test_security.py):\n" + "\n".join(unlisted)
    )
    gone = sorted((set(AUDITED) | set(NOT_AUDITED)) - functions)
    assert not gone, "entries for functions that no longer exist:\n" + "\n".join(gone)
    assert not set(AUDITED) & set(NOT_AUDITED)


@pytest.mark.parametrize("path", sorted(AUDITED))
def test_a_service_that_writes_leaves_an_audit_entry(path, world):
    write = AUDITED[path]
    module, name = path.rsplit(".", 1)
    function = getattr(importlib.import_module(module), name)
    kwargs = write.kwargs(world)
    before = AuditEntry.objects.filter(action=write.action).count()
    function(**kwargs)
    after = AuditEntry.objects.filter(action=write.action).count()
    assert after > before, f"{path} recorded no {write.action!r} entry"
