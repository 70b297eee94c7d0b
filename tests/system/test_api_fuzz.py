"""API fuzzing: every operation of the OpenAPI schema, as every role, must never answer with a server error.

Schemathesis generates requests from /api/schema/ (valid ones and, as often, ones that break the schema)
and sends them in-process to the WSGI application, authenticated with each persona's token. The checks:

- ``not_a_server_error`` everywhere: a 5xx is a defect, whatever the input;
- the response conformance checks everywhere: the status code is one the operation documents (the errors
  of API.md included), the content type and headers are the documented ones, and the body has the
  documented shape (``response_schema_conformance``; nullable fields declared so, error bodies too).

Operations are read from the schema at collection time, so a new endpoint is fuzzed without a change here.
Path parameters are drawn half of the time from rows that exist, so detail routes and workflow actions
are reached, not only their 404. Bounded for CI: ``MAX_EXAMPLES`` per operation and role, no shrinking,
derandomized (the same cases on every run).
"""

from __future__ import annotations

import datetime as dt
import io
import random
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.conf import settings as settings_module
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections, transaction
from django.test import override_settings
from django.utils import timezone
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

MAX_EXAMPLES = 8
ROLES = ("city", "district", "enterprise", "auditor", "anonymous")
# Demo accounts (factories/demo.py): 渝中's clerk, a 渝中 green factory's reporter.
DEMO_USERS = {"city": "city", "district": "district", "enterprise": "enterprise", "auditor": "auditor"}

APP = get_wsgi_application()
SCHEMA = schemathesis.openapi.from_wsgi("/api/schema/", APP)
OPERATIONS = {result.ok().label: result.ok() for result in SCHEMA.get_all_operations()}

# Answers that can be null and once were declared otherwise (or shaped otherwise): each is pinned by
# `test_the_schema_describes_what_the_api_returns` with a request whose answer holds the null, so the
# declaration cannot drift back even where the fuzz happens not to meet such a row.
NULLABLE_ANSWERS: dict[str, tuple[str | None, str]] = {
    "District": ("successor", "null for a unit in force"),
    "Enterprise": ("tier", "null (as green_factory_status) for an enterprise that is not a green factory"),
    "User": ("district", "null for city, enterprise and auditor accounts"),
    "Me": ("district", "null (as district_name and enterprise_name) for a city user"),
    "Correction": ("decided_by", "null while a correction is pending"),
    "Indicator": (None, "a plain list (not a paginated object)"),
    "GradingResult": ("composite_score", "null when the grade was decided without a score (no data)"),
    "GradingRun": ("started_by", "null for the draft run the platform creates once a window closes"),
    "RevocationProposal": ("decided_by", "null while the proposal awaits a second city user"),
}


@pytest.fixture(scope="module")
def fuzz_world(django_db_setup, django_db_blocker, tmp_path_factory) -> Iterator[dict[str, Any]]:  # type: ignore[no-untyped-def]
    """The demo data (every review state, the pool) plus a published grading run, an incident, a correction,
    exports and an import; built once for the module inside a transaction that is rolled back at the end."""
    from config.celery import app as celery_app

    celery_app.conf.task_always_eager = True
    media = tmp_path_factory.mktemp("media")
    with (
        django_db_blocker.unblock(),
        override_settings(
            PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"], MEDIA_ROOT=media
        ),
    ):
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            yield {**_build_world(), "media": media}
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


def _build_world() -> dict[str, Any]:
    from accounts.tokens import token_issue
    from tests.conftest import restore_reference_data

    restore_reference_data()  # a transactional test that ran before this module may have flushed it

    from accounts.models import User
    from factories import demo
    from factories.grading import services as grading
    from factories.models import GreenFactory
    from reporting import imports, jobs
    from reporting import services as reporting
    from reporting.models import AnnualSubmission

    state: dict[str, Any] = {"rng": random.Random(2024), "count": 10, "stdout": io.StringIO()}
    for _label, step in demo.steps():
        step(state)
    users = {role: User.objects.get(username=name) for role, name in DEMO_USERS.items()}
    city = users["city"]
    factory = GreenFactory.objects.filter(status="active").select_related("enterprise").first()
    grading.incident_record(
        actor=city,
        enterprise=factory.enterprise,
        kind="safety",
        severity="general",
        occurred_on=dt.date(2024, 5, 1),
        description="一般安全事故",
    )
    run = grading.grading_run_start(actor=city, year=2024)
    grading.execute_run(run.pk)
    today = timezone.localdate()
    grading.grading_run_publish(
        actor=city, run=run, notice_from=today, notice_to=today + dt.timedelta(days=7)
    )
    verified = AnnualSubmission.objects.filter(status="city_verified", year=2025).select_related("enterprise")
    for submission in verified[:1]:
        reviewer = User.objects.filter(role="district", district=submission.enterprise.district_id).first()
        if reviewer is not None:
            reporting.correction_request(
                actor=reviewer, submission=submission, reason="单位填错", new_values={"cod": "1.5"}
            )
    for user in users.values():
        jobs.export_request(actor=user, kind="enterprises")
    district = users["district"]
    template = imports.build_template(year=2025, enterprises=[], catalogue_version="GBT36132-2018")
    reporting.import_upload(actor=district, year=2025, name="空模板.xlsx", data=template)
    return {
        "tokens": {role: token_issue(user=user)[1] for role, user in users.items()},
        "existing": _existing_keys(),
    }


@pytest.fixture
def wsgi_calls_keep_the_test_connection():  # type: ignore[no-untyped-def]
    """The WSGI handler closes "old" connections on each request, which would end the test's transaction;
    Django's test client disconnects the same receivers."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


def _existing_keys() -> dict[str, list[Any]]:
    """For each /api/v1/ resource, the lookup values of some rows that exist (from the router's registry, so a
    new viewset is covered): path parameters drawn from these reach detail routes and workflow actions."""
    from config.api_router import router

    keys = {}
    for prefix, viewset, _basename in router.registry:
        lookup = getattr(viewset, "lookup_field", "pk")
        manager = viewset.queryset.model._default_manager
        keys[f"/api/v1/{prefix}/{{"] = list(manager.order_by("pk").values_list(lookup, flat=True)[:8])
    return keys


def _cases(operation: Any, existing: dict[str, list[Any]]) -> st.SearchStrategy[Any]:
    """Schema-driven cases, valid and invalid; half of them aimed at rows that exist."""
    anywhere = st.one_of(
        operation.as_strategy(GenerationMode.POSITIVE), operation.as_strategy(GenerationMode.NEGATIVE)
    )
    names = [parameter.name for parameter in operation.path_parameters]
    keys = next((values for start, values in existing.items() if operation.path.startswith(start)), [])
    if len(names) != 1 or not keys:
        return anywhere
    aimed = st.sampled_from(keys).flatmap(
        lambda key: operation.as_strategy(GenerationMode.POSITIVE, path_parameters={names[0]: key})
    )
    return st.one_of(aimed, anywhere)


def _params() -> list[Any]:
    return [pytest.param(label, role, id=f"{label} {role}") for label in sorted(OPERATIONS) for role in ROLES]


@pytest.fixture
def _media_in_tmp(settings, fuzz_world):  # type: ignore[no-untyped-def]
    """The module's media folder (the exports built with the world are there), not a test's own."""
    settings.MEDIA_ROOT = fuzz_world["media"]


@pytest.mark.parametrize(("label", "role"), _params())
def test_no_request_makes_the_api_fail_with_a_server_error(
    label, role, fuzz_world, db, wsgi_calls_keep_the_test_connection
):
    operation = OPERATIONS[label]
    token = fuzz_world["tokens"].get(role)
    headers = {"Authorization": f"Token {token}"} if token else {}
    checks = [
        not_a_server_error,
        status_code_conformance,
        content_type_conformance,
        response_headers_conformance,
        response_schema_conformance,
    ]

    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=_cases(operation, fuzz_world["existing"]))
    def fuzz(case: Any) -> None:
        # Each case in its own savepoint: one case's writes do not steer the next into a different state.
        with transaction.atomic():
            response = case.call(headers=headers)
            transaction.set_rollback(True)
        case.validate_response(response, checks=checks, headers=headers)

    fuzz()


def test_the_schema_lists_every_api_route_and_nothing_else():
    """The fuzz (and every integrator) sees the operations the URL configuration really answers."""
    from urllib.parse import unquote

    from django.urls import reverse

    from tests.system.conftest import discover_endpoints

    routed = set()
    for endpoint in discover_endpoints().values():
        if not endpoint.is_api or endpoint.refused or endpoint.name == "api:api-root":
            continue
        placeholders = {name: "{id}" if name == "pk" else f"{{{name}}}" for name in endpoint.kwargs}
        path = unquote(reverse(endpoint.name, kwargs=placeholders))
        routed.add(f"{endpoint.method} {path}")
    assert sorted(routed - set(OPERATIONS)) == [], "routes missing from /api/schema/"
    assert sorted(set(OPERATIONS) - routed) == [], "schema operations no route answers"


# --- pinned defects ---------------------------------------------------------------------------------


def _pinned_request(component: str) -> tuple[str, str, dict[str, Any], dict[str, Any]]:
    """(operation, role, path parameters, query) of a request whose answer shows the component's defect."""
    from accounts.models import User
    from factories.models import Enterprise, GradingResult, GradingRun, RevocationProposal
    from reporting.models import AnnualSubmission, CorrectionRequest

    if component == "District":
        return "GET /api/v1/districts/{code}/", "city", {"code": "500103"}, {}
    if component == "Enterprise":
        plain = Enterprise.objects.filter(green_factory__isnull=True).first()
        return "GET /api/v1/enterprises/{id}/", "city", {"id": plain.pk}, {}
    if component == "User":
        return "GET /api/v1/users/{id}/", "city", {"id": User.objects.get(username="city").pk}, {}
    if component == "Me":
        return "GET /api/v1/me/", "city", {}, {}
    if component == "Correction":
        pending = CorrectionRequest.objects.filter(status="pending").first()
        return "GET /api/v1/corrections/{id}/", "city", {"id": pending.pk}, {}
    if component == "GradingResult":
        unscored = GradingResult.objects.filter(composite_score__isnull=True).first()
        return (
            "GET /api/v1/grading-runs/{id}/results/",
            "city",
            {"id": unscored.run_id},
            {"page_size": 500},
        )
    if component == "GradingRun":
        # The state of a draft run the platform created itself (factories.draft_runs_after_reporting).
        run = GradingRun.objects.first()
        GradingRun.objects.filter(pk=run.pk).update(started_by=None)
        return "GET /api/v1/grading-runs/{id}/", "city", {"id": run.pk}, {}
    if component == "RevocationProposal":
        result = GradingResult.objects.select_related("run").first()
        pending = RevocationProposal.objects.create(
            run=result.run, enterprise_id=result.enterprise_id, reason="no_data_two_years"
        )
        return "GET /api/v1/revocation-proposals/{id}/", "city", {"id": pending.pk}, {}
    if component == "Indicator":
        return (
            "GET /api/v1/submissions/{id}/indicators/",
            "city",
            {"id": AnnualSubmission.objects.first().pk},
            {},
        )
    raise AssertionError(f"no pinned request for {component}")


@pytest.mark.parametrize(
    "component",
    [pytest.param(name, id=name) for name in NULLABLE_ANSWERS],
)
def test_the_schema_describes_what_the_api_returns(
    component, fuzz_world, db, wsgi_calls_keep_the_test_connection
):
    label, role, path, query = _pinned_request(component)
    operation = OPERATIONS[label]
    headers = {"Authorization": f"Token {fuzz_world['tokens'][role]}"}
    case = operation.Case(path_parameters=path, query=query)
    response = case.call(headers=headers)
    assert response.status_code == 200, response.text[:200]
    field = NULLABLE_ANSWERS[component][0]
    assert field is None or _holds_null(response.json(), field), f"the pinned answer has no null {field}"
    case.validate_response(response, checks=[response_schema_conformance], headers=headers)


def _holds_null(node: Any, field: str) -> bool:
    if isinstance(node, dict):
        return (field in node and node[field] is None) or any(_holds_null(v, field) for v in node.values())
    if isinstance(node, list):
        return any(_holds_null(v, field) for v in node)
    return False


STANDARD_PARAMETERS = (
    "GradingStandardSerializer.parameters is a bare JSONField; grading_standard_new_version (dict(parameters)) "
    "and grading_standard_update ({**parameters}) assume a mapping: TypeError/ValueError"
)
YEAR_RANGE = (
    "reporting_year_open adds the year error but goes on to compute dt.date(year, 1, 1): "
    "ValueError for a year past 9999"
)
IMPORT_YEAR = (
    "ImportJobSerializer.year is an unbounded IntegerField and import_upload saves the job with it: "
    "a negative year fails the CHECK constraint (IntegrityError, 500); past 32767 PostgreSQL's "
    "smallint overflows (DataError, 500) while SQLite stores it (201)"
)


AUDIT_SINCE = (
    "AuditEntryFilter's IsoDateTimeFilter passes any ISO datetime to the query: on SQLite one whose UTC value "
    "leaves years 1-9999 raises OverflowError"
)
AUDIT_OFFSET = (
    "AuditEntryFilter's IsoDateTimeFilter accepts UTC offsets up to ±24 h; PostgreSQL refuses beyond ±15:59 "
    "(DataError: time zone displacement out of range)"
)
DATABASE = "postgresql" if "postgresql" in settings_module.DATABASES["default"]["ENGINE"] else "sqlite"


def _draft_standard(city_user: Any) -> str:
    from factories.grading.services import grading_standard_new_version
    from factories.models import GradingStandard

    draft = grading_standard_new_version(
        actor=city_user, base=GradingStandard.objects.get(code="CQ-GF-2024", version=1)
    )
    return f"/api/v1/grading-standards/{draft.pk}/"


def _upload(year: Any) -> dict[str, Any]:
    from django.core.files.uploadedfile import SimpleUploadedFile

    return {"year": year, "file": SimpleUploadedFile("年度数据.xlsx", b"PK not really a workbook")}


def _defect(method: str, url: Any, body: Any, fmt: str, reason: str) -> Any:
    """A request that once made the API fail with a 5xx (`reason` says why); it must now answer 400."""
    return pytest.param(method, url, body, fmt)


def _on(database: str, method: str, url: str, reason: str) -> Any:
    """A request that fails with a 5xx on one database only."""
    if database == DATABASE:
        return _defect(method, url, None, "json", reason)
    return pytest.param(method, url, None, "json")


@pytest.mark.parametrize(
    ("method", "url", "body", "fmt"),
    [
        _defect(
            "post",
            "/api/v1/grading-standards/",
            {"name": "修订草案", "parameters": 0.1},
            "json",
            STANDARD_PARAMETERS,
        ),
        _defect(
            "post",
            "/api/v1/grading-standards/",
            {"name": "修订草案", "parameters": [1]},
            "json",
            STANDARD_PARAMETERS,
        ),
        _defect("patch", _draft_standard, {"parameters": "abc"}, "json", STANDARD_PARAMETERS),
        _defect(
            "post",
            "/api/v1/reporting-years/",
            {"year": 10000, "opens_on": "2024-01-01", "closes_on": "2024-03-31"},
            "json",
            YEAR_RANGE,
        ),
        _defect("post", "/api/v1/imports/", lambda: _upload(-1), "multipart", IMPORT_YEAR),
        _defect("post", "/api/v1/imports/", lambda: _upload(40000), "multipart", IMPORT_YEAR),
        # Which of these fails depends on the database: SQLite converts to UTC in Python (years 1 and 9999
        # overflow), PostgreSQL does it itself (and refuses the offset).
        _on("sqlite", "get", "/api/v1/audit/?since=0001-01-01T00:00:00%2B01:00", AUDIT_SINCE),
        _on("sqlite", "get", "/api/v1/audit/?until=9999-12-31T23:59:59-01:00", AUDIT_SINCE),
        _on("postgresql", "get", "/api/v1/audit/?since=2025-01-01T00:00:00-21:00", AUDIT_OFFSET),
    ],
)
def test_a_known_server_error_answers_400(method, url, body, fmt, api, city_user):
    """Each request answered 500 when the fuzz found it: a bad value must be a 400 with the field named (a
    filter may also ignore a value it cannot use: 200)."""
    if callable(url):
        url = url(city_user)
    api.raise_request_exception = False
    client = api.as_user(city_user)
    if method == "get":
        assert client.get(url).status_code in (200, 400)
        return
    response = getattr(client, method)(url, body() if callable(body) else body, format=fmt)
    assert response.status_code == 400, response.status_code


@pytest.mark.parametrize("query", ["since=abc", "until=2025-13-45"])
def test_the_audit_page_ignores_or_refuses_a_date_it_cannot_read(query, client, city_user):
    client.raise_request_exception = False
    client.force_login(city_user)
    assert client.get(f"/accounts/audit/?{query}").status_code in (200, 400)
