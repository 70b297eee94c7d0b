"""Shared fixtures: personas (alice of the city, bob of 渝中, charlie of 江津, …) and service markers."""

from __future__ import annotations

import os

import pytest

REQUIRE_SERVICES = os.environ.get("REQUIRE_SERVICES") == "1"


def _missing(what: str, why: str) -> None:
    message = f"needs {what}: {why}"
    if REQUIRE_SERVICES:
        pytest.fail(f"{message} (REQUIRE_SERVICES=1, so this may not be skipped)")
    pytest.skip(message)


def pytest_runtest_setup(item: pytest.Item) -> None:
    if item.get_closest_marker("postgres"):
        from django.conf import settings

        if "postgresql" not in settings.DATABASES["default"]["ENGINE"]:
            _missing("PostgreSQL", "set DATABASE_URL=postgres://… (select_for_update and real concurrency)")
    if item.get_closest_marker("redis") and not os.environ.get("REDIS_URL"):
        _missing("Redis", "set REDIS_URL=redis://… for a real Celery broker")


@pytest.fixture(autouse=True)
def _fast_and_eager(settings):  # type: ignore[no-untyped-def]
    """Cheap password hashing; Celery tasks run inline unless a test starts a real worker."""
    from config.celery import app

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.DASHBOARD_CACHE_SECONDS = 0  # tests see every change at once; caching has its own test
    # The whole suite runs with the dependency-tracked data cache on, so every test that writes and
    # reads again also checks that nothing stale is served. A rolled-back test leaves generations
    # behind, so each test starts by invalidating everything.
    settings.DATA_CACHE_ENABLED = True
    # Staff sign in with the password alone unless a test switches two-factor sign-in on (tests/accounts/
    # test_twofactor.py), whatever REQUIRE_STAFF_2FA the environment sets.
    settings.REQUIRE_STAFF_2FA = False
    from tests.helpers import cold_cache

    cold_cache()
    app.conf.task_always_eager = True
    app.conf.task_eager_propagates = True
    yield
    app.conf.task_always_eager = True


def restore_reference_data() -> None:
    """What the data migrations put in a fresh database: units, industries, the default standard and the
    shipped catalogue versions."""
    import importlib

    from django.apps import apps

    from factories.models import CatalogueVersion, District
    from factories.reference import load

    if not CatalogueVersion.objects.exists():
        importlib.import_module("factories.migrations.0015_shipped_catalogues").load(apps, None)
    if District.objects.exists():
        return
    load(apps.get_model("factories", "District"), apps.get_model("factories", "Industry"))
    importlib.import_module("factories.migrations.0004_default_grading_standard").create_default(apps, None)


@pytest.fixture(autouse=True)
def _reference_data_survives_flushes(request, django_db_blocker):  # type: ignore[no-untyped-def]
    """A transactional test ends with a flush that also empties the migrations' reference data. Tests
    that pytest-django runs after it find the data put back before they start."""
    uses_db = request.node.get_closest_marker("django_db") is not None or bool(
        {"db", "transactional_db", "live_server"} & set(request.fixturenames)
    )
    if uses_db:
        request.getfixturevalue("django_db_setup")
        with django_db_blocker.unblock():
            restore_reference_data()
    yield


@pytest.fixture
def yuzhong(db):  # type: ignore[no-untyped-def]
    from factories.models import District

    restore_reference_data()
    return District.objects.get(code="500103")


@pytest.fixture
def jiangjin(db):  # type: ignore[no-untyped-def]
    from factories.models import District

    restore_reference_data()
    return District.objects.get(code="500116")


@pytest.fixture
def enterprise(yuzhong):  # type: ignore[no-untyped-def]
    from tests.model_factories import EnterpriseFactory

    return EnterpriseFactory(name="重庆渝中绿色汽车部件有限公司", district=yuzhong)


@pytest.fixture
def other_enterprise(yuzhong):  # type: ignore[no-untyped-def]
    from tests.model_factories import EnterpriseFactory

    return EnterpriseFactory(name="重庆渝中电子有限公司", district=yuzhong)


@pytest.fixture
def jiangjin_enterprise(jiangjin):  # type: ignore[no-untyped-def]
    from factories.creditcode import make_credit_code
    from tests.model_factories import EnterpriseFactory

    return EnterpriseFactory(
        name="重庆江津机械有限公司",
        district=jiangjin,
        credit_code=make_credit_code("91", "500116", "77777777"),
    )


@pytest.fixture
def city_user(db):  # type: ignore[no-untyped-def]
    from tests.model_factories import UserFactory

    return UserFactory(username="alice", role="city", first_name="市经信委 Alice")


@pytest.fixture
def second_city_user(db):  # type: ignore[no-untyped-def]
    from tests.model_factories import UserFactory

    return UserFactory(username="alan", role="city", first_name="市经信委 Alan")


@pytest.fixture
def district_user(yuzhong):  # type: ignore[no-untyped-def]
    from tests.model_factories import UserFactory

    return UserFactory(username="bob", role="district", district=yuzhong)


@pytest.fixture
def other_district_user(jiangjin):  # type: ignore[no-untyped-def]
    from tests.model_factories import UserFactory

    return UserFactory(username="charlie", role="district", district=jiangjin)


@pytest.fixture
def enterprise_user(enterprise):  # type: ignore[no-untyped-def]
    from tests.model_factories import UserFactory

    return UserFactory(username="dora", role="enterprise", enterprise=enterprise)


@pytest.fixture
def other_enterprise_user(other_enterprise):  # type: ignore[no-untyped-def]
    from tests.model_factories import UserFactory

    return UserFactory(username="erin", role="enterprise", enterprise=other_enterprise)


@pytest.fixture
def auditor(db):  # type: ignore[no-untyped-def]
    from tests.model_factories import UserFactory

    return UserFactory(username="frank", role="auditor")


@pytest.fixture
def api():  # type: ignore[no-untyped-def]
    """A DRF client; `api.as_user(user)` authenticates it."""
    from rest_framework.test import APIClient

    class Client(APIClient):
        def as_user(self, user):  # type: ignore[no-untyped-def]
            self.force_authenticate(user=user)
            return self

    return Client()
