"""What one save or submission costs the server (issue 19.4): each request of the filing season's clients
(bench.season) made in this process through Django's test client, one at a time, on the season's database,
with the production settings the season's server has (DEBUG off, Redis for the cache); the CPU time of this
process per request (the web worker's share: PostgreSQL's own is not in it), its wall time and queries.

    python -m bench.season --enterprises 20000 --seed-only   # once: the database (BENCH_SEASON_DATABASE_URL)
    python -m bench.save_cost                                 # 30 of each request: median and p95 ms
    python -m bench.save_cost --profile "save draft (form)"   # and cProfile's top functions of one of them

Each run starts alike: the accounts' 2026 submissions are removed first. Enterprise accounts `savecost_e…`
are made on the first run (no password: the test client signs them in).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import statistics
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from typing import Any

from bench.common import count_queries, table

DATABASE_URL = os.environ.get(
    "BENCH_SAVE_DATABASE_URL",
    os.environ.get("BENCH_SEASON_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/bench_season"),
)
REDIS_URL = os.environ.get(
    "BENCH_SAVE_REDIS_URL", os.environ.get("BENCH_SEASON_REDIS_URL", "redis://127.0.0.1:6379/5")
)
YEAR = 2026
ACCOUNT_PREFIX = "savecost_e"
ORDER = [
    "open form (GET, no draft yet)",
    "save draft (form, first)",
    "form after the redirect (GET)",
    "save draft (form)",
    "save + submit (form)",
    "submission page (GET)",
    "API save draft (POST)",
    "API save draft (PATCH)",
    "API submit",
]


def configure() -> None:
    """The season server's settings (bench.season.server_env), in this process."""
    os.environ.update(
        {
            "DATABASE_URL": DATABASE_URL,
            "REDIS_URL": REDIS_URL,
            "DEBUG": "false",
            "SECRET_KEY": "bench-" + "k" * 60,
            "ALLOWED_HOSTS": "testserver,127.0.0.1",
            "SECURE_SSL_REDIRECT": "false",
            "BEHIND_TLS_PROXY": "true",
            "AXES_ENABLED": "false",
            "REQUIRE_STAFF_2FA": "false",
            "LOG_LEVEL": "ERROR",
        }
    )
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("collectstatic", interactive=False, verbosity=0)  # the manifest DEBUG off reads


def accounts(n: int) -> list[Any]:
    """N enterprise accounts on enterprises with 2025 data, their 2026 submissions removed."""
    from django.db.models import Exists, OuterRef
    from django.utils import timezone

    from accounts.models import User
    from factories.models import Enterprise
    from reporting.models import AnnualSubmission

    users = list(User.objects.filter(username__startswith=ACCOUNT_PREFIX).order_by("pk")[:n])
    if len(users) < n:
        taken = User.objects.filter(enterprise_id=OuterRef("pk"))
        filed = AnnualSubmission.objects.filter(enterprise_id=OuterRef("pk"), year=YEAR)
        last = AnnualSubmission.objects.filter(enterprise_id=OuterRef("pk"), year=YEAR - 1)
        free = (
            Enterprise.objects.filter(Exists(last))
            .exclude(Exists(taken))
            .exclude(Exists(filed))
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        now = timezone.now()
        for enterprise_id in list(free[: n - len(users)]):
            user = User(
                username=f"{ACCOUNT_PREFIX}{enterprise_id:07d}",
                role="enterprise",
                enterprise_id=enterprise_id,
                first_name="填报人",
                password_changed_at=now,
            )
            user.set_unusable_password()
            user.save()
            users.append(user)
    AnnualSubmission.objects.filter(year=YEAR, enterprise_id__in=[u.enterprise_id for u in users]).delete()
    return users


def base_values(enterprise_id: int, factor: float) -> dict[str, str]:
    """Last year's figures × a factor near 1 (no ×3 jump), as bench.season's clients send them."""
    from reporting.models import AnnualSubmission

    base = AnnualSubmission.objects.get(enterprise_id=enterprise_id, year=YEAR - 1).raw_values
    return {k: f"{float(v) * factor:.2f}" for k, v in base.items() if v is not None}


class Meter:
    """CPU and wall ms and queries of each request, by kind; cProfile of one kind on request."""

    def __init__(self, profiled: str) -> None:
        self.cpu: dict[str, list[float]] = defaultdict(list)
        self.wall: dict[str, list[float]] = defaultdict(list)
        self.queries: dict[str, list[int]] = defaultdict(list)
        self.profiled = profiled
        self.profile = cProfile.Profile() if profiled else None

    def __call__(self, kind: str, request: Callable[[], Any], expect: int) -> Any:
        profile = self.profile if kind == self.profiled else None
        with count_queries() as queries:
            started, cpu = time.perf_counter(), time.process_time()
            if profile is not None:
                profile.enable()
            response = request()
            if profile is not None:
                profile.disable()
            cpu, wall = time.process_time() - cpu, time.perf_counter() - started
        if response.status_code != expect:
            raise SystemExit(
                f"{kind}: HTTP {response.status_code}, expected {expect}: {response.content[:300]!r}"
            )
        self.cpu[kind].append(cpu * 1000)
        self.wall[kind].append(wall * 1000)
        self.queries[kind].append(queries[0])
        return response


def web(meter: Meter, client: Any, user: Any) -> None:
    """One clerk's season: the form, a first save, the form again, a second save, save and submit."""
    client.force_login(user)
    url = f"/reporting/submissions/{user.enterprise_id}/{YEAR}/edit/"
    meter("open form (GET, no draft yet)", lambda: client.get(url), 200)
    for kind, factor in (("save draft (form, first)", 1.0), ("save draft (form)", 1.01)):
        body = {**base_values(user.enterprise_id, factor), "explanation": ""}
        response = meter(kind, lambda body=body: client.post(url, body), 302)
        location = response["Location"]
        meter("form after the redirect (GET)", lambda location=location: client.get(location), 200)
    body = {**base_values(user.enterprise_id, 1.02), "explanation": "", "action": "submit"}
    response = meter("save + submit (form)", lambda: client.post(url, body), 302)
    if "/edit/" in response["Location"]:
        raise SystemExit(f"submit refused for enterprise {user.enterprise_id}")
    meter("submission page (GET)", lambda: client.get(response["Location"]), 200)


def api(meter: Meter, client: Any, user: Any) -> None:
    """One integration's season: create the draft, change it, submit it."""
    from accounts.tokens import token_issue

    _token, key = token_issue(user=user)
    client.defaults["HTTP_AUTHORIZATION"] = f"Token {key}"
    payload = {"enterprise": user.enterprise_id, "year": YEAR, **base_values(user.enterprise_id, 1.0)}
    response = meter(
        "API save draft (POST)",
        lambda: client.post("/api/v1/submissions/", payload, content_type="application/json"),
        201,
    )
    pk = response.json()["id"]
    values = base_values(user.enterprise_id, 1.01)
    meter(
        "API save draft (PATCH)",
        lambda: client.patch(f"/api/v1/submissions/{pk}/", values, content_type="application/json"),
        200,
    )
    meter("API submit", lambda: client.post(f"/api/v1/submissions/{pk}/submit/"), 200)


def peer_check(user: Any, fresh: int) -> str:
    """The anomaly check of one submission (part of each submit above) alone: with the division's peers kept
    in the cache as on the server, and derived afresh as before they were kept (and as for a division below
    PEER_CACHE_FROM)."""
    from reporting import anomalies
    from reporting.models import AnnualSubmission

    submission = AnnualSubmission.objects.select_related("enterprise").get(
        enterprise_id=user.enterprise_id, year=YEAR
    )
    division = submission.enterprise.industry_id
    peers = (
        AnnualSubmission.objects.filter(year=YEAR, enterprise__industry_id=division)
        .exclude(status="draft")
        .count()
    )
    rows = []
    kept_from = anomalies.PEER_CACHE_FROM
    for label, cache_from, times in (("kept", kept_from, 30), ("derived afresh", 10**9, fresh)):
        anomalies.PEER_CACHE_FROM = cache_from
        spent = []
        for _ in range(times):
            cpu = time.process_time()
            anomalies.flags_for_submission(submission)
            spent.append((time.process_time() - cpu) * 1000)
        rows.append(
            [f"peers {label}", times, f"{statistics.median(spent):.1f}", f"{percentile(spent, 0.95):.1f}"]
        )
    anomalies.PEER_CACHE_FROM = kept_from
    head = f"anomaly check of one submission (division {division}: {peers:,} submitted peers; kept from {kept_from:,})"
    return head + "\n" + table(rows, ["check", "n", "CPU p50 ms", "CPU p95 ms"])


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=30, help="enterprises per flow (web and API)")
    parser.add_argument("--profile", default="", choices=["", *ORDER], help="cProfile this request")
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--fresh", type=int, default=3, help="anomaly checks with the peers derived afresh")
    args = parser.parse_args()
    configure()
    from django.test import Client

    users = accounts(2 * args.requests)
    meter = Meter(args.profile)
    # One client each for the pages and the API, as a server process loads its middleware once (a test
    # client does at its first request: WhiteNoise's scan of the static files alone is tens of ms).
    browser, integration = Client(), Client()
    # One clerk and one integration first, not counted: the first request of a process compiles templates
    # and fills the catalogue's caches, as the season's warm-up does before its clock starts.
    web(Meter(""), browser, users[0])
    api(Meter(""), integration, users[1])
    accounts(2 * args.requests)
    for user in users[: args.requests]:
        web(meter, browser, user)
    for user in users[args.requests :]:
        api(meter, integration, user)
    rows = [
        [
            kind,
            len(meter.cpu[kind]),
            f"{statistics.median(meter.cpu[kind]):.1f}",
            f"{percentile(meter.cpu[kind], 0.95):.1f}",
            f"{statistics.median(meter.wall[kind]):.1f}",
            f"{statistics.median(meter.queries[kind]):.0f}",
        ]
        for kind in ORDER
    ]
    print(table(rows, ["request", "n", "CPU p50 ms", "CPU p95 ms", "wall p50 ms", "queries"]))
    print()
    print(peer_check(users[-1], args.fresh))
    if meter.profile is not None:
        out = io.StringIO()
        stats = pstats.Stats(meter.profile, stream=out).sort_stats("cumulative")
        stats.print_stats(args.top)
        print(f"\ncProfile of {len(meter.cpu[args.profile])} × {args.profile}:", out.getvalue(), sep="\n")
        out = io.StringIO()
        pstats.Stats(meter.profile, stream=out).sort_stats("tottime").print_stats(args.top)
        print(out.getvalue())
    sys.stdout.flush()


if __name__ == "__main__":
    main()
