"""API fuzzing: every operation of the OpenAPI schema, as every role, must never answer with a server error.

Schemathesis generates requests from /api/schema/ (valid ones and, as often, ones that break the schema)
and sends them in-process to the WSGI application, authenticated with each persona's token. The checks:

- ``not_a_server_error`` everywhere: a 5xx is a defect, whatever the input;
- ``response_schema_conformance`` everywhere except the operations listed in ``NO_SCHEMA_CHECK`` (with
  the reason), so the documented shapes are the ones clients get.

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
from schemathesis.specs.openapi.checks import response_schema_conformance

MAX_EXAMPLES = 8
ROLES = ("city", "district", "enterprise", "auditor", "anonymous")
# Demo accounts (factories/demo.py): 渝中's clerk, a 渝中 green factory's reporter.
DEMO_USERS = {"city": "city", "district": "district", "enterprise": "enterprise", "auditor": "auditor"}

APP = get_wsgi_application()
SCHEMA = schemathesis.openapi.from_wsgi("/api/schema/", APP)
OPERATIONS = {result.ok().label: result.ok() for result in SCHEMA.get_all_operations()}

# Operations whose responses may legitimately differ from the documented body (the reason is given).
NO_SCHEMA_CHECK: dict[str, str] = {
    "GET /api/v1/exports/{id}/download/": "answers the xlsx file, not JSON",
}

# Schema components the API does not honour: every operation whose response uses one is left out of the
# conformance check (its server-error check stays), and `test_the_schema_describes_what_the_api_returns`
# pins each with one request. Remove an entry once the schema or the serializer is fixed.
SCHEMA_DEFECTS: dict[str, str] = {
    "District": "successor is null for a unit in force; the schema says string (not nullable)",
    "Enterprise": "tier and green_factory_status are null for an enterprise that is not a green factory; "
    "the schema says string",
    "User": "district is null for city, enterprise and auditor accounts and email may be blank; the schema says "
    "a non-null string and format email",
    "Me": "district, district_name and enterprise_name are null for a city user; the schema says string",
    "Correction": "decided_by is null while a correction is pending; the schema says string",
    "Indicator": "GET /submissions/{id}/indicators/ answers a plain list; the schema documents a paginated "
    "object (PaginatedIndicatorList)",
}


# Inputs known to make an operation fail with a 5xx: skipped by the fuzz, so it keeps exploring the rest of
# the operation, and pinned with a minimal request by `test_a_known_server_error_is_fixed`.
def _field(case: Any, name: str) -> Any:
    return case.body.get(name) if isinstance(case.body, dict) else None


def _year_outside(case: Any, low: int, high: int) -> bool:
    try:
        return not low <= int(_field(case, "year")) <= high
    except (TypeError, ValueError):
        return False


def _not_an_object(case: Any) -> bool:
    value = _field(case, "parameters")
    return value is not None and not isinstance(value, dict)


def _datetime_beyond_the_database(case: Any) -> bool:
    """An ISO datetime in `since`/`until` whose UTC value leaves years 1-9999, or whose offset PostgreSQL
    refuses (beyond ±15:59)."""
    for name in ("since", "until"):
        try:
            moment = dt.datetime.fromisoformat(str((case.query or {}).get(name)))
        except ValueError:
            continue
        offset = moment.utcoffset() or dt.timedelta(0)
        if moment.year in (1, 9999) or abs(offset) >= dt.timedelta(hours=16):
            return True
    return False


KNOWN_SERVER_ERRORS: dict[str, Any] = {
    "GET /api/v1/audit/": _datetime_beyond_the_database,
    "POST /api/v1/grading-standards/": _not_an_object,
    "PATCH /api/v1/grading-standards/{id}/": _not_an_object,
    "POST /api/v1/reporting-years/": lambda case: _year_outside(case, 1, 9999),
    "POST /api/v1/imports/": lambda case: _year_outside(case, 0, 32767),
}


def _components(node: Any, schemas: dict[str, Any], seen: set[str]) -> set[str]:
    """Every component a schema fragment refers to, directly or through other components."""
    if isinstance(node, dict):
        ref = node.get("$ref", "")
        if ref.startswith("#/components/schemas/"):
            name = ref.rsplit("/", 1)[-1]
            if name not in seen:
                seen.add(name)
                _components(schemas.get(name, {}), schemas, seen)
        for value in node.values():
            _components(value, schemas, seen)
    elif isinstance(node, list):
        for value in node:
            _components(value, schemas, seen)
    return seen


def _response_components(operation: Any) -> set[str]:
    raw = SCHEMA.raw_schema
    responses = raw["paths"][operation.path][operation.method.lower()].get("responses", {})
    return _components(responses, raw.get("components", {}).get("schemas", {}), set())


def _conformance_exempt(label: str) -> str | None:
    """Why an operation's responses are not checked against the schema, or None."""
    if label in NO_SCHEMA_CHECK:
        return NO_SCHEMA_CHECK[label]
    broken = sorted(_response_components(OPERATIONS[label]) & set(SCHEMA_DEFECTS))
    return ("schema defect: " + ", ".join(broken)) if broken else None


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
    checks = (
        [not_a_server_error]
        if _conformance_exempt(label)
        else [not_a_server_error, response_schema_conformance]
    )
    known = KNOWN_SERVER_ERRORS.get(label, lambda case: False)

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
        if known(case):
            return
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
    from factories.models import Enterprise
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
    [pytest.param(name, id=name) for name in SCHEMA_DEFECTS],
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
    case.validate_response(response, checks=[response_schema_conformance], headers=headers)


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

    draft = grading_standard_new_version(actor=city_user, base=GradingStandard.objects.get(version=1))
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
