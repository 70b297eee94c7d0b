"""The dependency-tracked data cache (accounts/datacache.py): pages and API lists are served from the cache
only while nothing they read has changed, whoever changed it and however."""

from __future__ import annotations

import re
import threading

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from accounts import datacache
from factories.models import Enterprise

LIST = "/factories/enterprises/"


def page(client, url: str = LIST) -> str:  # type: ignore[no-untyped-def]
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def register(name: str) -> Enterprise:
    """A new enterprise of 渝中, written straight through the ORM (no service, no signal of ours)."""
    return Enterprise.objects.create(
        name=name,
        credit_code="91500103MA5U000015",
        district_id="500103",
        industry_id="36",
        industry_code="36",
    )


def data_queries(client, url: str) -> list[str]:  # type: ignore[no-untyped-def]
    """The SQL a request runs beyond loading the session and the signed-in user."""
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return [
        q["sql"]
        for q in ctx.captured_queries
        if "django_session" not in q["sql"] and 'FROM "accounts_user"' not in q["sql"]
    ]


# --- what a statement touches ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sql", "tables"),
    [
        ('INSERT INTO "factories_enterprise" ("name") VALUES (%s)', ("factories_enterprise",)),
        (
            'UPDATE "reporting_annualsubmission" SET "status" = %s WHERE id = 1',
            ("reporting_annualsubmission",),
        ),
        ('DELETE FROM "django_session" WHERE 1', ("django_session",)),
        ("  update factories_enterprise set name = 'x'", ("factories_enterprise",)),
        ('WITH x AS (UPDATE "a" SET b = 1 RETURNING *) SELECT * FROM x', ("*",)),
        ('TRUNCATE "factories_enterprise", "factories_greenfactory"', ("*",)),
        ('ALTER TABLE "factories_enterprise" ADD COLUMN "x" int', ("*",)),
        ('SELECT * FROM "factories_enterprise" FOR UPDATE', ()),
        ('SAVEPOINT "s1"', ()),
        ("WITH x AS (SELECT 1) SELECT * FROM x", ()),
    ],
)
def test_writes_are_recognised_by_their_statement(sql: str, tables: tuple[str, ...]) -> None:
    assert datacache.written_tables(sql) == tables


def test_reads_name_every_table_they_join() -> None:
    sql = (
        'SELECT 1 FROM "factories_enterprise" INNER JOIN "factories_district" ON (1=1) '
        'LEFT OUTER JOIN "factories_greenfactory" ON (1=1) WHERE EXISTS (SELECT 1 FROM reporting_x U0)'
    )
    assert {
        "factories_enterprise",
        "factories_district",
        "factories_greenfactory",
        "reporting_x",
    } <= datacache.read_tables(sql)


# --- pages ---------------------------------------------------------------------------------------------


def test_a_repeated_page_runs_no_data_queries_and_a_new_row_shows_at_once(client, city_user, enterprise):
    client.force_login(city_user)
    assert enterprise.name in page(client)
    assert data_queries(client, LIST) == []  # served from the cache
    register("重庆新登记精密铸造有限公司")
    assert "重庆新登记精密铸造有限公司" in page(client)


def test_a_bulk_update_without_signals_still_invalidates(client, city_user, enterprise):
    client.force_login(city_user)
    detail = f"/factories/enterprises/{enterprise.pk}/"
    page(client, detail)
    page(client)
    Enterprise.objects.filter(pk=enterprise.pk).update(name="重庆改名后的企业有限公司")
    assert "重庆改名后的企业有限公司" in page(client, detail)
    assert "重庆改名后的企业有限公司" in page(client)


def test_a_change_to_a_joined_table_invalidates_the_page(client, city_user, enterprise):
    from factories.models import District

    client.force_login(city_user)
    assert "渝中区" in page(client)
    District.objects.filter(code="500103").update(name="渝中区（测试更名）")
    assert "渝中区（测试更名）" in page(client)


def test_viewers_never_share_a_cached_page(
    client, city_user, district_user, enterprise, jiangjin_enterprise, api
):
    client.force_login(city_user)
    assert jiangjin_enterprise.name in page(client)
    assert jiangjin_enterprise.name in str(api.as_user(city_user).get("/api/v1/enterprises/").json())
    client.force_login(district_user)
    assert jiangjin_enterprise.name not in page(client)
    assert jiangjin_enterprise.name not in str(api.as_user(district_user).get("/api/v1/enterprises/").json())
    assert client.get(f"/factories/enterprises/{jiangjin_enterprise.pk}/").status_code == 404


def test_a_cached_page_carries_the_askers_own_csrf_token(city_user, enterprise):
    from django.test import Client

    first = Client(enforce_csrf_checks=True)
    first.force_login(city_user)
    page(first)
    second = Client(enforce_csrf_checks=True)  # a new session: a new CSRF secret
    second.force_login(city_user)
    html = page(second)
    assert datacache.enabled()
    assert "csrf-placeholder" not in html
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)  # type: ignore[union-attr]
    response = second.post("/i18n/setlang/", {"language": "en", "next": LIST, "csrfmiddlewaretoken": token})
    assert response.status_code == 302


def test_a_pending_message_is_shown_once_even_on_a_cached_page(client, city_user, enterprise):
    from django.contrib.messages import constants
    from django.contrib.messages.storage.base import Message
    from django.contrib.messages.storage.cookie import CookieStorage
    from django.http import HttpRequest

    client.force_login(city_user)
    page(client)
    client.cookies["messages"] = CookieStorage(HttpRequest())._encode(
        [Message(constants.SUCCESS, "企业信息已保存测试")]
    )
    assert "企业信息已保存测试" in page(client)
    assert "企业信息已保存测试" not in page(client)


def test_the_api_list_is_cached_and_invalidated_like_the_pages(api, city_user, enterprise):
    client = api.as_user(city_user)
    assert client.get("/api/v1/enterprises/").json()["count"] == 1
    register("重庆接口新增企业有限公司")
    body = client.get("/api/v1/enterprises/").json()
    assert body["count"] == 2 and "重庆接口新增企业有限公司" in str(body)


# --- the fetch contract ---------------------------------------------------------------------------------


def test_a_write_committed_during_the_computation_keeps_its_value_out_of_the_cache(db):
    calls = []

    def compute() -> int:
        calls.append(1)
        datacache.bump(["factories_enterprise"])  # another process commits while this one computes
        return Enterprise.objects.count()

    assert datacache.fetch(("t", "clock"), compute) == 0
    assert datacache.fetch(("t", "clock"), compute) == 0
    assert len(calls) == 2


def test_a_computation_that_writes_is_not_stored(db, enterprise):
    calls = []

    def compute() -> int:
        calls.append(1)
        Enterprise.objects.filter(pk=enterprise.pk).update(address="重庆市渝中区新地址")
        return 1

    datacache.fetch(("t", "writes"), compute)
    datacache.fetch(("t", "writes"), compute)
    assert len(calls) == 2


def test_counts_follow_inserts_made_by_bulk_create(db, enterprise):
    from tests.model_factories import EnterpriseFactory

    queryset = Enterprise.objects.filter(district_id="500103")
    assert datacache.cached_count(queryset) == 1
    with CaptureQueriesContext(connection) as ctx:
        assert datacache.cached_count(queryset) == 1
    assert ctx.captured_queries == []
    Enterprise.objects.bulk_create([EnterpriseFactory.build(credit_code="91500103MA5U000015")])
    assert datacache.cached_count(queryset) == 2
    assert datacache.cached_count(Enterprise.objects.none()) == 0


def test_an_unreachable_cache_costs_speed_not_answers(client, city_user, enterprise, monkeypatch):
    def down(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise ConnectionError("cache server down")

    client.force_login(city_user)
    assert enterprise.name in page(client)  # stored while the cache is up
    for name in ("get", "get_many", "set", "add", "incr"):
        monkeypatch.setattr(datacache.cache, name, down)
    assert enterprise.name in page(client)
    Enterprise.objects.filter(pk=enterprise.pk).update(name="重庆缓存故障时改名有限公司")  # the write stands
    assert "重庆缓存故障时改名有限公司" in page(client)
    monkeypatch.undo()  # the cache is back, with the entry stored before the write it missed
    assert "重庆缓存故障时改名有限公司" in page(client)
    assert not datacache._missed.is_set()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)  # like every transactional test here
def test_a_reader_between_another_connections_write_and_its_commit_is_corrected_at_commit(
    client, city_user, enterprise
):
    """The writer's first bump happens before it commits; a reader then caches the old name under the new
    generation. The bump at commit must make the next read fresh."""
    client.force_login(city_user)
    written, read = threading.Event(), threading.Event()

    def writer() -> None:
        try:
            with transaction.atomic():
                Enterprise.objects.filter(pk=enterprise.pk).update(name="重庆提交后才可见有限公司")
                written.set()
                read.wait(30)
        finally:
            connection.close()

    thread = threading.Thread(target=writer)
    thread.start()
    assert written.wait(30)
    assert enterprise.name in page(client)  # not committed yet: the old name, now cached
    read.set()
    thread.join(30)
    assert "重庆提交后才可见有限公司" in page(client)


@pytest.mark.parametrize(
    "ordering", [("name", "pk"), ("-district_id", "pk"), ("-green_factory__recognized_year", "pk")]
)
def test_pages_read_keys_first_yet_hold_what_django_would_show(db, ordering):
    from django.core.paginator import Paginator

    from factories.views import with_sequence
    from tests.model_factories import EnterpriseFactory, GreenFactoryFactory

    for n in range(22):
        unit = ("500103", "500116", "500101")[n % 3]
        e = EnterpriseFactory(name=f"重庆分页测试{(n * 7) % 22:02d}有限公司", district_id=unit)
        if n % 2:
            GreenFactoryFactory(enterprise=e, recognized_year=2019 + n % 5)
    queryset = with_sequence(Enterprise.objects.select_related("district")).order_by(*ordering)
    ours, django = datacache.LargeTablePaginator(queryset, 5, orphans=2), Paginator(queryset, 5, orphans=2)
    assert ours.num_pages == django.num_pages == 4
    for number in range(1, 5):
        assert [e.pk for e in ours.page(number)] == [e.pk for e in django.page(number)]
    assert ours.page(2)[0].district.name  # the rows come with their joins


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_write_by_another_process_invalidates_the_page(client, city_user, enterprise):
    """What a Celery worker or another gunicorn worker writes reaches this process through Redis."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    client.force_login(city_user)
    assert enterprise.name in page(client)
    db = connection.settings_dict
    url = f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    code = (
        "import django; django.setup()\n"
        "from accounts import datacache\n"
        "datacache._missed.clear()  # only the write's own table is bumped, not everything\n"
        "from factories.models import Enterprise\n"
        f"Enterprise.objects.filter(pk={enterprise.pk}).update(name='重庆另一进程改名有限公司')\n"
    )
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "config.settings"}
    subprocess.run([sys.executable, "-c", code], env=env, check=True, cwd=Path(__file__).resolve().parents[2])
    assert "重庆另一进程改名有限公司" in page(client)
