"""The national filing season (issue 19.4): 500,000 enterprises with two years of verified data, and 200
concurrent clients for 60 s saving drafts and submitting through the real web form and the API, while a
district reviewer pages its queue and the city opens the dashboard. Then every acknowledged write is looked
up in the database, the database size printed, and a 500,000-row export job run with its peak memory.

    python -m bench.season                 # 500,000 enterprises, 200 clients, 60 s (seeding: minutes)
    python -m bench.season --reuse         # keep the seeded database of an earlier run
    python -m bench.season --quick         # 20,000 enterprises, 20 clients, 15 s (its own database)

Not part of CI nor of `make bench` (its seeding alone takes minutes): `make bench-season`.

The database (`BENCH_SEASON_DATABASE_URL`, default `postgres://postgres@127.0.0.1:5432/bench_season`) is
generated in SQL (COPY of the register, INSERT … SELECT of the submissions from 400 plausible profiles, each
enterprise's figures scaled by its own factor so no two are copies; the stored indicators are ratios, so the
profile's serve). Besides 2024 and 2025 (verified), the 2026 season is under way: a share of the enterprises
(`--in-flight`, default 30%) has already submitted, which is what fills the district queues and what each
new submission's anomaly check compares against.

The server runs as in production (DEBUG off, Redis for the cache, `gunicorn --workers 4` sync as in the
Dockerfile, staff two-factor off: the reviewer and the city open their sessions beforehand). Clients:

- web clients (75%): each signs in through the real sign-in form before the clock starts (PBKDF2 at
  Django's default cost, about 0.5 s of CPU: 200 of them inside a 60-s window would be most of the
  machine), then, per enterprise account: opens its 2026 form, saves a draft (the real form POST with its
  CSRF token; the browser's redirect back to the form is followed), saves again, and sometimes submits
  (then the submission page); after a submission it goes on with its next account, whose session was
  opened beforehand;
- API clients (25%): `Authorization: Token …` (tokens issued beforehand, as after `POST /api/v1/auth/token/`),
  `POST /api/v1/submissions/` then `PATCH` for the drafts, `POST …/submit/`;
- one district reviewer paging its 区县审核 queue and one city user opening the dashboard.

Each client waits a think time (`--think`, uniform between half and 1.5× the mean, default 2 s) between
requests. Every 2xx/redirect save or submit is recorded with its enterprise and value, then counted in the
database: acknowledged vs present.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections import defaultdict
from pathlib import Path
from typing import Any

from bench.common import ROOT, ensure_database, measure, phase, setup_django, table

SEASON_URL = os.environ.get("BENCH_SEASON_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/bench_season")
REDIS_URL = os.environ.get("BENCH_SEASON_REDIS_URL", "redis://127.0.0.1:6379/5")
PORT = int(os.environ.get("BENCH_SEASON_PORT", "8650"))
YEAR = 2026  # the season being filed; 2024 and 2025 are verified
PASSWORD = "Season-bench-2026!"
PREFIX = "季基准企业"
PROFILES = 400
ACCOUNT_PREFIX = "season_e"
REVIEWER = "season_district"
CITY = "season_city"


# --- the database ------------------------------------------------------------------------------------------


def seed(n: int, in_flight: float) -> dict[str, Any]:
    """N enterprises (5% green factories) with verified 2024 and 2025 data, and the 2026 season under way."""
    import io

    from django.db import connection, transaction

    from factories.creditcode import make_credit_code
    from factories.models import District, Industry
    from reporting.values import compute_indicators, indicators_to_storage
    from tests.model_factories import plausible_raw

    started = time.perf_counter()
    steps: dict[str, float] = {}

    def step(name: str, since: float) -> float:
        now = time.perf_counter()
        steps[name] = round(now - since, 1)
        print(f"  {name}: {steps[name]} s", file=sys.stderr, flush=True)
        return now

    units = list(District.objects.filter(valid_to__isnull=True).values_list("code", flat=True))
    divisions = list(Industry.objects.values_list("code", flat=True))
    rng = random.Random(19)
    mark = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        buffer = io.StringIO()
        for i in range(n):
            code = make_credit_code("91", "500000", f"{i + 1:08d}")
            buffer.write(
                f"{PREFIX}{i + 1:07d}\t{code}\t\tlegal_person\t\t\t\t\tnow()\tnow()\t"
                f"{units[rng.randrange(len(units))]}\t{divisions[rng.randrange(len(divisions))]}\n"
            )
        buffer.seek(0)
        cursor.execute("SET LOCAL synchronous_commit = off")
        cursor.copy_expert(
            "COPY factories_enterprise (name, credit_code, industry_code, legal_form, address, contact_name,"
            " contact_phone, contact_email, created_at, updated_at, district_id, industry_id) FROM STDIN",
            buffer,
        )
        mark = step("enterprises (COPY)", mark)
        cursor.execute(
            "INSERT INTO factories_greenfactory (tier, recognized_year, status, revoke_reason, created_at,"
            " updated_at, enterprise_id) SELECT CASE WHEN id % 7 = 0 THEN 'national' ELSE 'city' END,"
            " 2019 + id % 7, 'active', '', now(), now(), id FROM factories_enterprise WHERE id % 20 = 0"
        )
        mark = step("green factories (5%)", mark)
        # The submissions' own indexes (the GIN of the copy check above all) are built once after the rows
        # are in, rather than row by row; the constraints' indexes stay.
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'reporting_annualsubmission'"
            " AND indexname NOT IN (SELECT conname FROM pg_constraint)"
        )
        indexes = cursor.fetchall()
        for name, _definition in indexes:
            cursor.execute(f'DROP INDEX "{name}"')
        cursor.execute("SET LOCAL maintenance_work_mem = '512MB'")
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # foreign keys checked per statement, not at commit
        cursor.execute("CREATE TEMP TABLE season_profile (k int, year int, raw jsonb, ind jsonb)")
        rows = []
        for year in (YEAR - 2, YEAR - 1):
            for k in range(PROFILES):
                raw = plausible_raw(k, year)
                ind = indicators_to_storage(compute_indicators(raw, "GBT36132-2018"))
                rows.append((k, year, json.dumps(raw), json.dumps(ind)))
        cursor.executemany("INSERT INTO season_profile VALUES (%s, %s, %s, %s)", rows)
        # Each enterprise: profile k, every figure × its own factor f (0.7 … 1.3); 2 decimals, as typed.
        scaled = (
            "(SELECT jsonb_object_agg(key, trim_scale(round(value::numeric * {f}, 2))::text)"
            " FROM jsonb_each_text({raw}))"
        )
        factor = "(0.7 + (e.id % 600000) / 1000000.0)"
        profile = f"(e.id * 7919) % {PROFILES}"
        cursor.execute(
            "INSERT INTO reporting_annualsubmission (year, status, late, catalogue_version, raw_values,"
            " explanation, yoy_flags, indicators, version, submitted_at, approved_at, verified_at,"
            " return_reason, created_at, updated_at, district_id, enterprise_id, anomaly_flags, compliance,"
            " major_changes, evidence_requested)"
            f" SELECT p.year, 'city_verified', false, 'GBT36132-2018', {scaled.format(f=factor, raw='p.raw')},"
            " '', '[]', p.ind, 1, make_date(p.year + 1, 3, 1), make_date(p.year + 1, 3, 20),"
            " make_date(p.year + 1, 4, 10), '', now(), now(), e.district_id, e.id, '[]', '{}', '{}', '[]'"
            f" FROM factories_enterprise e JOIN season_profile p ON p.k = {profile}"
        )
        mark = step("2024 and 2025 submissions (verified)", mark)
        # The 2026 season under way: a share has submitted (last year's figures × 1.03).
        share = int(in_flight * 1000)
        cursor.execute(
            "INSERT INTO reporting_annualsubmission (year, status, late, catalogue_version, raw_values,"
            " explanation, yoy_flags, indicators, version, submitted_at, created_at, updated_at, district_id,"
            " enterprise_id, anomaly_flags, compliance, major_changes, evidence_requested, return_reason)"
            f" SELECT %s, 'submitted', false, 'GBT36132-2018', {scaled.format(f='1.03', raw='s.raw_values')},"
            " '', '[]', '{}', 1, now() - (e.id %% 1000) * interval '1 hour', now(), now(), e.district_id, e.id,"
            " '[]', '{}', '{}', '[]', ''"
            " FROM factories_enterprise e JOIN reporting_annualsubmission s ON s.enterprise_id = e.id"
            " AND s.year = %s WHERE (e.id * 13) %% 1000 < %s",
            [YEAR, YEAR - 1, share],
        )
        mark = step(f"2026 submitted ({in_flight:.0%})", mark)
        for _name, definition in indexes:
            cursor.execute(definition)
        mark = step(f"{len(indexes)} indexes of the submissions", mark)
        cursor.execute(
            "INSERT INTO reporting_reportingyear (year, opens_on, closes_on, catalogue_version, created_at)"
            " VALUES (%s, %s, %s, 'GBT36132-2018', now()), (%s, %s, %s, 'GBT36132-2018', now()),"
            " (%s, %s, %s, 'GBT36132-2018', now()) ON CONFLICT DO NOTHING",
            [
                *(YEAR - 2, f"{YEAR - 1}-01-01", f"{YEAR - 1}-03-31"),
                *(YEAR - 1, f"{YEAR}-01-01", f"{YEAR}-03-31"),
                *(YEAR, f"{YEAR}-01-01", f"{YEAR}-12-31"),
            ],
        )
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    step("VACUUM ANALYZE", mark)
    return {"enterprises": n, "seconds": round(time.perf_counter() - started, 1), "steps": steps}


def prepare(accounts: int, api_share: float) -> dict[str, Any]:
    """Enterprise accounts (one password hash, computed once), their sessions and tokens, a district reviewer
    and the city; the accounts' 2026 submissions removed, so each run starts alike. Writes the plan to a
    file and returns its path."""
    import datetime as dt

    from django.contrib.auth.hashers import make_password
    from django.db import connection, transaction
    from django.db.models import Count
    from django.test import Client
    from django.utils import timezone

    from accounts.models import User
    from accounts.tokens import token_issue
    from factories.models import Enterprise
    from reporting.models import AnnualSubmission, ReportingYear

    ReportingYear.objects.filter(year=YEAR).update(
        opens_on=dt.date(YEAR, 1, 1), closes_on=dt.date(YEAR, 12, 31)
    )
    count = Enterprise.objects.count()
    # The accounts' enterprises: those of the accounts made by an earlier run (their 2026 data is removed
    # below), then more spread evenly over the register among those the seeding left without 2026 data.
    enterprise_ids = list(
        User.objects.filter(username__startswith=ACCOUNT_PREFIX, enterprise__isnull=False)
        .order_by("enterprise_id")
        .values_list("enterprise_id", flat=True)[:accounts]
    )
    if len(enterprise_ids) < accounts:
        need = accounts - len(enterprise_ids)
        free = (
            "FROM factories_enterprise e WHERE e.name LIKE %s AND NOT EXISTS (SELECT 1 FROM"
            " reporting_annualsubmission s WHERE s.enterprise_id = e.id AND s.year = %s) AND NOT EXISTS"
            " (SELECT 1 FROM accounts_user u WHERE u.enterprise_id = e.id)"
        )
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT count(*) {free}", [PREFIX + "%", YEAR])
            stride = max(1, cursor.fetchone()[0] // need)
            cursor.execute(
                f"SELECT id FROM (SELECT e.id, row_number() OVER (ORDER BY e.id) AS rn {free}) t"
                " WHERE t.rn %% %s = 0 ORDER BY id LIMIT %s",
                [PREFIX + "%", YEAR, stride, need],
            )
            enterprise_ids += [row[0] for row in cursor.fetchall()]
    AnnualSubmission.objects.filter(year=YEAR, enterprise_id__in=enterprise_ids).delete()
    password = make_password(PASSWORD)  # once: every account gets the same hash
    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM django_session")
        cursor.execute(
            "DELETE FROM accounts_apitoken WHERE user_id IN (SELECT id FROM accounts_user WHERE username"
            " LIKE 'season_%%')"
        )
        cursor.execute(
            "INSERT INTO accounts_user (password, is_superuser, username, first_name, last_name, email,"
            " is_staff, is_active, date_joined, role, phone, enterprise_id, must_change_password,"
            " password_changed_at, two_factor_enabled)"
            " SELECT %s, false, %s || lpad(e.id::text, 7, '0'), '填报人', '', '', false, true, %s,"
            " 'enterprise', '', e.id, false, %s, false FROM factories_enterprise e WHERE e.id = ANY(%s)"
            " ON CONFLICT (username) DO UPDATE SET password = EXCLUDED.password,"
            " password_changed_at = EXCLUDED.password_changed_at",
            [password, ACCOUNT_PREFIX, now, now, enterprise_ids],
        )
    reviewer_unit = (
        Enterprise.objects.filter(pk__in=enterprise_ids)
        .values("district_id")
        .annotate(n=Count("id"))
        .order_by("-n")
        .values_list("district_id", flat=True)
        .first()
    )
    staff = {}
    for username, role, unit in ((REVIEWER, "district", reviewer_unit), (CITY, "city", None)):
        user, _created = User.objects.update_or_create(
            username=username,
            defaults={"role": role, "district_id": unit, "password_changed_at": now, "first_name": role},
        )
        staff[username] = user
    users = {u.enterprise_id: u for u in User.objects.filter(enterprise_id__in=enterprise_ids)}
    previous = dict(
        AnnualSubmission.objects.filter(year=YEAR - 1, enterprise_id__in=enterprise_ids).values_list(
            "enterprise_id", "raw_values"
        )
    )
    n_api = int(len(enterprise_ids) * api_share)
    plan: dict[str, Any] = {"web": [], "api": []}
    with transaction.atomic():  # one commit for the whole lot: signing 2,000 accounts in is many small writes
        for index, enterprise_id in enumerate(enterprise_ids):
            user = users[enterprise_id]
            entry = {"username": user.username, "enterprise": enterprise_id, "base": previous[enterprise_id]}
            if index < n_api:
                _token, entry["token"] = token_issue(user=user)
                plan["api"].append(entry)
            else:
                client = Client()
                client.force_login(user)
                entry["session"] = client.cookies["sessionid"].value
                plan["web"].append(entry)
        for username, user in staff.items():
            client = Client()
            client.force_login(user)
            plan[username] = client.cookies["sessionid"].value
    queue = AnnualSubmission.objects.filter(
        year=YEAR, status="submitted", enterprise__district_id=reviewer_unit
    ).count()
    plan.update({"enterprises": count, "reviewer_unit": reviewer_unit, "queue": queue})
    out = Path(tempfile.gettempdir()) / "bench_season_plan.json"
    out.write_text(json.dumps(plan))
    return {"plan": str(out), "accounts": len(enterprise_ids), "enterprises": count, "queue": queue}


def verify(acks_path: str, since: float) -> dict[str, Any]:
    """Every acknowledged write looked up: the last acknowledged draft of each enterprise is its stored value,
    each acknowledged save has its audit entry, each acknowledged submission is submitted."""
    import datetime as dt

    from accounts.models import AuditEntry
    from reporting.models import AnnualSubmission, SubmissionTransition

    acks = json.loads(Path(acks_path).read_text())
    started = dt.datetime.fromtimestamp(since, tz=dt.UTC)
    last: dict[int, str] = {}
    later: dict[int, set[str]] = defaultdict(set)  # values sent after the last acknowledged one, unanswered
    saves: dict[int, int] = defaultdict(int)
    submitted: set[int] = set()
    for enterprise, kind, value in acks:  # in the order each client sent them
        if kind == "save":
            last[enterprise] = value
            later[enterprise] = set()
            saves[enterprise] += 1
        elif kind == "tried":
            later[enterprise].add(value)
        else:
            submitted.add(enterprise)
    stored = {
        e: (raw.get("output_value"), status, pk)
        for e, raw, status, pk in AnnualSubmission.objects.filter(
            year=YEAR, enterprise_id__in=list(last)
        ).values_list("enterprise_id", "raw_values", "status", "pk")
    }
    ids = {pk: e for e, (_v, _s, pk) in stored.items()}
    audited: dict[int, int] = defaultdict(int)
    for object_id in AuditEntry.objects.filter(
        object_type="reporting.annualsubmission",
        action__in=["submission.create", "submission.save"],
        object_id__in=[str(pk) for pk in ids],
        at__gte=started,
    ).values_list("object_id", flat=True):
        audited[ids[int(object_id)]] += 1
    transitions = set(
        SubmissionTransition.objects.filter(
            submission_id__in=list(ids), to_status="submitted", at__gte=started
        ).values_list("submission_id", flat=True)
    )
    return {
        "saves_acknowledged": sum(saves.values()),
        "saves_audited": sum(min(audited[e], n) for e, n in saves.items()),
        "enterprises_saved": len(last),
        "last_value_present": sum(1 for e, v in last.items() if e in stored and stored[e][0] == v),
        # A save the client gave up on (timeout) or got an error for, done by the server after all: not lost.
        "overwritten_by_unanswered": sum(
            1 for e, v in last.items() if e in stored and stored[e][0] != v and stored[e][0] in later[e]
        ),
        "submits_acknowledged": len(submitted),
        "submits_present": sum(
            1
            for e in submitted
            if e in stored and stored[e][1] == "submitted" and stored[e][2] in transitions
        ),
    }


def sizes() -> dict[str, Any]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_database_size(current_database())")
        total = cursor.fetchone()[0]
        cursor.execute(
            "SELECT relname, pg_total_relation_size(c.oid) FROM pg_class c JOIN pg_namespace n ON"
            " n.oid = c.relnamespace WHERE n.nspname = 'public' AND c.relkind = 'r'"
            " ORDER BY 2 DESC LIMIT 4"
        )
        tables = cursor.fetchall()
        cursor.execute(
            "SELECT year, status, count(*) FROM reporting_annualsubmission GROUP BY 1, 2 ORDER BY 1, 2"
        )
        counts = cursor.fetchall()
    return {"total": total, "tables": tables, "counts": counts}


def export(year: int) -> dict[str, Any]:
    """The real `submissions` export of one year through the job runner (export_request → export_execute)."""
    from accounts.models import User
    from reporting.jobs import export_execute, export_request
    from reporting.models import ExportJob

    city = User.objects.get(username=CITY)
    holder: dict[str, Any] = {}

    def go() -> None:
        job, _sent = export_request(actor=city, kind="submissions", filters={"year": year})
        export_execute(job.pk)
        holder["job"] = ExportJob.objects.get(pk=job.pk)

    out = measure(go)
    job = holder["job"]
    out.update({"rows": job.done, "status": job.status, "file_mib": round(job.file.size / 2**20, 1)})
    job.file.delete(save=False)
    return out


# --- the clients ---------------------------------------------------------------------------------------------


class Recorder:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.times: dict[str, list[float]] = defaultdict(list)
        self.ends: list[
            float
        ] = []  # when each answer came (time.monotonic), for the throughput in the window
        self.errors: dict[str, int] = defaultdict(int)
        self.samples: list[str] = []
        self.acks: list[tuple[int, str, str]] = []

    def add(self, action: str, ms: float, ok: bool, detail: str = "") -> None:
        with self.lock:
            self.times[action].append(ms)
            if "before the clock" not in action:
                self.ends.append(time.monotonic())
            if not ok:
                self.errors[action] += 1
                if len(self.samples) < 10:
                    self.samples.append(f"{action}: {detail}")

    def fail(self, action: str, detail: str) -> None:
        """An answer that looked right (a redirect) but was not: an error, its time already counted."""
        with self.lock:
            self.errors[action] += 1
            if len(self.samples) < 10:
                self.samples.append(f"{action}: {detail}")

    def ack(self, enterprise: int, kind: str, value: str) -> None:
        with self.lock:
            self.acks.append((enterprise, kind, value))


class Http:
    """One browser or integration: its cookies, its token; each request on a new connection, as gunicorn's
    sync workers close them. Secure cookies are carried by hand (loopback http, X-Forwarded-Proto https)."""

    def __init__(self, recorder: Recorder, session: str = "", token: str = "") -> None:
        self.recorder = recorder
        self.cookies = {"sessionid": session} if session else {}
        self.token = token

    def call(
        self, action: str, method: str, path: str, body: bytes | None = None, kind: str = "", ok=(200,)
    ) -> tuple[int, dict[str, str], str]:
        headers = {"X-Forwarded-Proto": "https", "Host": "127.0.0.1", "Accept-Language": "zh-hans"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if self.token:
            headers["Authorization"] = f"Token {self.token}"
        if kind == "form":
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Referer"] = f"https://127.0.0.1{path}"
        elif kind == "json":
            headers["Content-Type"] = "application/json"
        started = time.perf_counter()
        try:
            connection = http.client.HTTPConnection("127.0.0.1", PORT, timeout=120)
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            text = response.read().decode(errors="replace")
            connection.close()
        except OSError as error:
            self.recorder.add(action, (time.perf_counter() - started) * 1000, False, repr(error))
            return 0, {}, ""
        ms = (time.perf_counter() - started) * 1000
        for header in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]
        good = response.status in ok
        self.recorder.add(action, ms, good, f"HTTP {response.status} {path} {text[:200]!r}")
        return response.status, dict(response.headers.items()), text


CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def figures(base: dict[str, str], rng: random.Random) -> dict[str, str]:
    """Last year's figures × one factor near 1 (no ×3 jump); output_value varied alone too, so every save
    carries a value of its own."""
    factor = rng.uniform(0.97, 1.03)
    values = {k: f"{float(v) * factor:.2f}" for k, v in base.items() if v is not None}
    values["output_value"] = f"{float(base['output_value']) * factor + rng.randrange(1, 10**6) / 100:.2f}"
    return values


class Season:
    def __init__(self, plan: dict[str, Any], seconds: float, think: float, submit_every: int) -> None:
        self.plan = plan
        self.seconds = seconds
        self.think_mean = think
        self.submit_every = submit_every
        self.recorder = Recorder()
        self.start_at = 0.0
        self.deadline = 0.0

    def think(self, rng: random.Random) -> None:
        time.sleep(rng.uniform(0.5, 1.5) * self.think_mean if self.think_mean else 0)

    def live(self) -> bool:
        return time.monotonic() < self.deadline

    def sign_in(self, account: dict[str, Any]) -> Http:
        """The real sign-in form (before the clock)."""
        client = Http(self.recorder)
        _status, _h, page = client.call("sign-in form (before the clock)", "GET", "/accounts/login/")
        match = CSRF.search(page)
        body = urllib.parse.urlencode(
            {
                "username": account["username"],
                "password": PASSWORD,
                "csrfmiddlewaretoken": match.group(1) if match else "",
            }
        ).encode()
        client.call("sign-in POST (before the clock)", "POST", "/accounts/login/", body, "form", ok=(302,))
        return client

    def web(self, accounts: list[dict[str, Any]], first: Http, seed: int, ready: threading.Barrier) -> None:
        rng = random.Random(seed)
        ready.wait()
        client = first
        for account in accounts:
            if not self.live():
                return
            url = f"/reporting/submissions/{account['enterprise']}/{YEAR}/edit/"
            status, _h, page = client.call("open form", "GET", url)
            saves = 0
            while self.live():
                self.think(rng)
                match = CSRF.search(page)
                values = figures(account["base"], rng)
                submit = 0 < self.submit_every <= saves + 1 and rng.random() < 0.5
                body = {**values, "explanation": "", "csrfmiddlewaretoken": match.group(1) if match else ""}
                if submit:
                    body["action"] = "submit"
                action = "save + submit (form)" if submit else "save draft (form)"
                status, headers, _text = client.call(
                    action, "POST", url, urllib.parse.urlencode(body).encode(), "form", ok=(302,)
                )
                if status != 302:
                    self.recorder.ack(account["enterprise"], "tried", values["output_value"])
                    page = client.call("open form", "GET", url)[2]
                    continue
                saves += 1
                self.recorder.ack(account["enterprise"], "save", values["output_value"])
                location = headers.get("Location", "")
                if submit:
                    if "/edit/" not in location:  # to the submission page: submitted
                        self.recorder.ack(account["enterprise"], "submit", "")
                        client.call("submission page", "GET", location)
                        break
                    self.recorder.fail("save + submit (form)", f"submit refused: back to {location}")
                page = client.call("open form", "GET", location or url)[2]
            client = Http(self.recorder, session=account_session(accounts, account))

    def api(self, accounts: list[dict[str, Any]], seed: int, ready: threading.Barrier) -> None:
        rng = random.Random(seed)
        ready.wait()
        for account in accounts:
            if not self.live():
                return
            client = Http(self.recorder, token=account["token"])
            pk = None
            saves = 0
            while self.live():
                self.think(rng)
                values = figures(account["base"], rng)
                if pk is None:
                    payload = {"enterprise": account["enterprise"], "year": YEAR, **values}
                    status, _h, text = client.call(
                        "API save draft (POST)",
                        "POST",
                        "/api/v1/submissions/",
                        json.dumps(payload).encode(),
                        "json",
                        ok=(201,),
                    )
                else:
                    status, _h, text = client.call(
                        "API save draft (PATCH)",
                        "PATCH",
                        f"/api/v1/submissions/{pk}/",
                        json.dumps(values).encode(),
                        "json",
                    )
                if status not in (200, 201):
                    self.recorder.ack(account["enterprise"], "tried", values["output_value"])
                    continue
                pk = json.loads(text)["id"]
                saves += 1
                self.recorder.ack(account["enterprise"], "save", values["output_value"])
                if 0 < self.submit_every <= saves and rng.random() < 0.5:
                    self.think(rng)
                    status, _h, _text = client.call("API submit", "POST", f"/api/v1/submissions/{pk}/submit/")
                    if status == 200:
                        self.recorder.ack(account["enterprise"], "submit", "")
                        break

    def reviewer(self, ready: threading.Barrier) -> None:
        rng = random.Random(1)
        client = Http(self.recorder, session=self.plan[REVIEWER])
        pages = max(1, min(200, (self.plan["queue"] + 24) // 25))
        ready.wait()
        page = 1
        while self.live():
            client.call("district queue page", "GET", f"/reporting/review/district/?page={page}")
            page = page % pages + 1
            self.think(rng)

    def city(self, ready: threading.Barrier) -> None:
        rng = random.Random(2)
        client = Http(self.recorder, session=self.plan[CITY])
        ready.wait()
        while self.live():
            client.call(
                "dashboard (city)", "GET", f"/reporting/dashboard/?year={rng.choice([YEAR, YEAR - 1])}"
            )
            self.think(rng)

    def warm_up(self, web: list[list[dict[str, Any]]], api: list[list[dict[str, Any]]]) -> None:
        """Each page once per worker or so before the clock (templates compiled, connections open),
        read-only and not recorded."""
        scratch = Recorder()
        calls = []
        for hand in web[:8]:
            calls.append(
                (hand[-1]["session"], "", f"/reporting/submissions/{hand[-1]['enterprise']}/{YEAR}/edit/")
            )
        for hand in api[:8]:
            calls.append(("", hand[-1]["token"], f"/api/v1/submissions/?year={YEAR}"))
        for _ in range(4):
            calls.append((self.plan[REVIEWER], "", "/reporting/review/district/"))
            calls.append((self.plan[CITY], "", f"/reporting/dashboard/?year={YEAR}"))
        threads = [
            threading.Thread(
                target=Http(scratch, session=session, token=token).call, args=("warm", "GET", path)
            )
            for session, token, path in calls
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    def run(self, clients: int, api_share: float) -> dict[str, Any]:
        n_api = max(1, round(clients * api_share))
        n_web = clients - n_api
        web_accounts = deal(self.plan["web"], n_web)
        api_accounts = deal(self.plan["api"], n_api)
        # Sign-in through the real form, all web clients at once, before the clock starts.
        signed: list[Http | None] = [None] * n_web
        started = time.perf_counter()

        def sign(index: int) -> None:
            signed[index] = self.sign_in(web_accounts[index][0])

        threads = [threading.Thread(target=sign, args=(i,)) for i in range(n_web)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        sign_in_seconds = time.perf_counter() - started
        self.warm_up(web_accounts, api_accounts)
        ready = threading.Barrier(n_web + n_api + 3)
        workers = [
            threading.Thread(target=self.web, args=(web_accounts[i], signed[i], 100 + i, ready))
            for i in range(n_web)
        ]
        workers += [
            threading.Thread(target=self.api, args=(api_accounts[i], 10000 + i, ready)) for i in range(n_api)
        ]
        workers += [
            threading.Thread(target=self.reviewer, args=(ready,)),
            threading.Thread(target=self.city, args=(ready,)),
        ]
        for worker in workers:
            worker.start()
        self.start_at = time.time()
        self.deadline = time.monotonic() + self.seconds  # set before the barrier lets the clients go
        cpu = time.process_time()
        ready.wait()
        for worker in workers:
            worker.join()
        elapsed = time.time() - self.start_at
        return {
            "web": n_web,
            "api": n_api,
            "sign_in_seconds": sign_in_seconds,
            "elapsed": elapsed,
            "client_cpu": time.process_time() - cpu,
        }


def deal(accounts: list[dict[str, Any]], clients: int) -> list[list[dict[str, Any]]]:
    """The accounts dealt round-robin to `clients` clients, so each has its own (no two write one draft)."""
    hands: list[list[dict[str, Any]]] = [[] for _ in range(clients)]
    for index, account in enumerate(accounts):
        hands[index % clients].append(account)
    if any(not hand for hand in hands):
        raise SystemExit(f"{len(accounts)} accounts are too few for {clients} clients: raise --accounts")
    return hands


def account_session(accounts: list[dict[str, Any]], current: dict[str, Any]) -> str:
    """The session opened beforehand for the account after `current` (empty after the last)."""
    index = accounts.index(current)
    return accounts[index + 1]["session"] if index + 1 < len(accounts) else ""


# --- the server and the report -------------------------------------------------------------------------------


def server_env() -> dict[str, str]:
    from bench.load import server_env as load_server_env

    env = load_server_env()
    env.update(
        {
            "DATABASE_URL": SEASON_URL,
            "REDIS_URL": REDIS_URL,
            "REQUIRE_STAFF_2FA": "false",
            "MEDIA_ROOT": str(Path(tempfile.gettempdir()) / "bench_season_media"),
            "DB_CONN_MAX_AGE": "60",
        }
    )
    return env


def start_server(workers: int) -> subprocess.Popen[bytes]:
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()  # the benchmark's own Redis database: start cold
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "config.wsgi:application",
            "--bind",
            f"127.0.0.1:{PORT}",
            "--workers",
            str(workers),
            "--worker-class",
            "sync",
            "--timeout",
            "120",
            "--backlog",
            "2048",
            "--log-level",
            "error",
        ],
        cwd=ROOT,
        env=server_env(),
    )
    for _ in range(150):
        try:
            connection = http.client.HTTPConnection("127.0.0.1", PORT, timeout=2)
            connection.request("GET", "/healthz", headers={"X-Forwarded-Proto": "https"})
            connection.getresponse().read()
            return server
        except OSError:
            time.sleep(0.2)
    server.terminate()
    raise SystemExit("gunicorn did not answer /healthz")


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def report(season: Season, run: dict[str, Any], check: dict[str, Any], args: argparse.Namespace) -> list[str]:
    rec = season.recorder
    lines = []
    rows = []
    order = [
        "sign-in form (before the clock)",
        "sign-in POST (before the clock)",
        "open form",
        "save draft (form)",
        "save + submit (form)",
        "submission page",
        "API save draft (POST)",
        "API save draft (PATCH)",
        "API submit",
        "district queue page",
        "dashboard (city)",
    ]
    total = 0
    for action in order + sorted(set(rec.times) - set(order)):
        times = rec.times.get(action)
        if not times:
            continue
        if "before the clock" not in action:
            total += len(times)
        rows.append(
            [
                action,
                len(times),
                f"{statistics.median(times):.0f}",
                f"{percentile(times, 0.95):.0f}",
                f"{max(times):.0f}",
                rec.errors.get(action, 0),
            ]
        )
    saves = sum(len(rec.times.get(a, [])) for a in order if "save" in a)
    lines.append(
        f"Filing season: {season.plan['enterprises']:,} enterprises, {run['web']} web + {run['api']} API clients"
        f" + 1 district reviewer ({season.plan['queue']:,} waiting in its queue) + the city, "
        f"{run['elapsed']:.0f} s, think time {args.think} s (±50%), "
        + (
            f"submitting after {args.submit_every} saves (even odds), "
            if args.submit_every
            else "drafts only, "
        )
        + f"gunicorn {args.workers} sync workers on "
        f"{os.cpu_count()} cores shared with PostgreSQL, Redis, the clients (Python threads) and other work"
    )
    lines.append(
        f"(sign-in of the {run['web']} web clients through the form, before the clock: "
        f"{run['sign_in_seconds']:.1f} s; the clients themselves used {run['client_cpu']:.1f} CPU-s of the "
        f"{run['elapsed'] * (os.cpu_count() or 1):.0f} the machine had during the window)"
    )
    lines.append(table(rows, ["action", "requests", "p50 ms", "p95 ms", "max ms", "errors"]))
    window_end = season.deadline
    answered = sum(1 for end in rec.ends if end <= window_end)
    lines.append(
        f"throughput {answered / season.seconds:.1f} req/s answered within the {season.seconds:.0f}-s window "
        f"({total} answers in all, the last {run['elapsed'] - season.seconds:.0f} s after it); "
        f"saves and submissions {saves / run['elapsed']:.1f}/s; "
        f"errors {sum(rec.errors.values())} (after the clock started: "
        f"{sum(v for k, v in rec.errors.items() if 'before the clock' not in k)})"
    )
    lines.append(
        f"acknowledged writes: saves {check['saves_acknowledged']} → audited {check['saves_audited']}, "
        f"last value of {check['enterprises_saved']} enterprises present {check['last_value_present']}"
        f" (+{check['overwritten_by_unanswered']} overwritten by a later save the client gave up on and the "
        "server did after all); "
        f"submissions {check['submits_acknowledged']} → present {check['submits_present']}"
    )
    if rec.samples:
        lines.append("first errors: " + " | ".join(rec.samples[:5]))
    return lines


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "command", nargs="?", default="all", choices=["all", "seed", "prepare", "verify", "sizes", "export"]
    )
    parser.add_argument("--quick", action="store_true", help="20,000 enterprises, 20 clients, 15 s")
    parser.add_argument("--reuse", action="store_true", help="keep the seeded database if it has the size")
    parser.add_argument("--enterprises", type=int, default=0)
    parser.add_argument("--clients", type=int, default=0)
    parser.add_argument("--seconds", type=float, default=0)
    parser.add_argument("--accounts", type=int, default=0, help="enterprise accounts (default 10 per client)")
    parser.add_argument("--api-share", type=float, default=0.25)
    parser.add_argument("--in-flight", type=float, default=0.3, help="share of 2026 already submitted")
    parser.add_argument("--think", type=float, default=2.0, help="mean seconds between a client's requests")
    parser.add_argument(
        "--submit-every", type=int, default=2, help="saves before a client may submit (0: drafts only)"
    )
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--no-export", action="store_true")
    parser.add_argument("--seed-only", action="store_true", help="seed (or, with --reuse, keep) and stop")
    parser.add_argument("--year", type=int, default=YEAR - 1)
    parser.add_argument("--file", default="")
    parser.add_argument("--since", type=float, default=0)
    args = parser.parse_args()
    if args.command != "all":
        setup_django()
        result = {
            "seed": lambda: seed(args.enterprises, args.in_flight),
            "prepare": lambda: prepare(args.accounts, args.api_share),
            "verify": lambda: verify(args.file, args.since),
            "sizes": sizes,
            "export": lambda: export(args.year),
        }[args.command]()
        print(json.dumps(result, default=str))
        return
    global SEASON_URL  # the quick run has its own database, so the big one stays
    if args.quick:
        SEASON_URL += "_quick"
    n = args.enterprises or (20000 if args.quick else 500000)
    clients = args.clients or (20 if args.quick else 200)
    seconds = args.seconds or (15 if args.quick else 60)
    accounts = args.accounts or clients * 10
    args.workers = args.workers
    started = time.perf_counter()
    env = server_env()
    extra = {k: env[k] for k in ("REDIS_URL", "MEDIA_ROOT", "SECRET_KEY", "DEBUG", "REQUIRE_STAFF_2FA")}
    database = SEASON_URL.rsplit("/", 1)[1]
    have = 0
    if args.reuse:
        out = subprocess.run(
            [
                "psql",
                SEASON_URL,
                "-Atc",
                f"SELECT count(*) FROM factories_enterprise WHERE name LIKE '{PREFIX}%'",
            ],
            capture_output=True,
            text=True,
        )
        have = int(out.stdout.strip() or 0) if out.returncode == 0 else 0
    if have != n:
        print(f"seeding {n:,} enterprises into {database} …", file=sys.stderr, flush=True)
        subprocess.run(
            [
                "psql",
                SEASON_URL.rsplit("/", 1)[0] + "/postgres",
                "-qc",
                f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)',
            ],
            check=True,
        )
        ensure_database(SEASON_URL)
        seeded = phase(
            "bench.season",
            "seed",
            "--enterprises",
            str(n),
            "--in-flight",
            str(args.in_flight),
            url=SEASON_URL,
        )
        print(
            f"seeded in {seeded['seconds']} s ("
            + ", ".join(f"{name} {seconds} s" for name, seconds in seeded["steps"].items())
            + ")",
            file=sys.stderr,
        )
    else:
        print(
            f"reusing {database} ({have:,} enterprises); migrating it if the code is newer", file=sys.stderr
        )
        ensure_database(SEASON_URL)
    if args.seed_only:
        return
    prepared = phase(
        "bench.season",
        "prepare",
        "--accounts",
        str(accounts),
        "--api-share",
        str(args.api_share),
        url=SEASON_URL,
        extra=extra,
    )
    plan = json.loads(Path(prepared["plan"]).read_text())
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=ROOT, env=env, check=True
    )
    server = start_server(args.workers)
    try:
        season = Season(plan, seconds, args.think, args.submit_every)
        run = season.run(clients, args.api_share)
    finally:
        server.terminate()
        server.wait(timeout=60)
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
        json.dump(season.recorder.acks, handle)
    check = phase(
        "bench.season",
        "verify",
        "--file",
        handle.name,
        "--since",
        str(season.start_at - 1),
        url=SEASON_URL,
        extra=extra,
    )
    os.unlink(handle.name)
    lines = report(season, run, check, args)
    size = phase("bench.season", "sizes", url=SEASON_URL, extra=extra)
    lines.append(
        f"database {size['total'] / 2**30:.2f} GiB; largest tables: "
        + ", ".join(f"{name} {bytes_ / 2**30:.2f} GiB" for name, bytes_ in size["tables"])
    )
    lines.append("submissions: " + ", ".join(f"{y} {s} {c:,}" for y, s, c in size["counts"]))
    if not args.no_export:
        exported = phase("bench.season", "export", "--year", str(args.year), url=SEASON_URL, extra=extra)
        lines.append(
            f"export job `submissions` of {args.year}: {exported['rows']:,} rows in {exported['seconds']} s "
            f"(CPU {exported['cpu_seconds']} s, {exported['queries']} queries), peak RSS {exported['peak_mib']} MiB "
            f"({exported['growth_mib']} MiB of it while exporting), "
            f"{exported['file_mib']} MiB xlsx, status {exported['status']}"
        )
    shutil.rmtree(env["MEDIA_ROOT"], ignore_errors=True)
    print("\n" + "\n".join(lines))
    print(f"(benchmark wall time {time.perf_counter() - started:.0f} s)", file=sys.stderr)


if __name__ == "__main__":
    main()
