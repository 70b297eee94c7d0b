"""Load benchmark (issue 7): pages and API lists under 20 concurrent clients behind gunicorn, beside a
trivial view on the same server, on the PostgreSQL benchmark database (100,000 enterprises with two
years of data — run `python -m bench.grading` first, or this script generates them).

    python -m bench.load            # 15 s per URL and scenario, 20 connections
    python -m bench.load --quick    # 5 s

Load comes from wrk (Debian package `wrk`) on loopback, bounded in time; every request carries the
signed-in city user's session cookie, except those to the public pages (公示 and certificate status), which
are driven as their visitors reach them: without signing in, no cookie. The server runs as production does (DEBUG off, Redis for cache
and sessions) and is measured three ways:

- *same page*: every request asks for the same URL — what the data cache serves after the first;
- *spread*: each request picks one of 400 pages (or any of the 100,000 enterprises for the detail page)
  at random — repeats are served from the cache, first visits compute;
- *no data cache*: the server started with DATA_CACHE_ENABLED=false — every request computes.

Then each computed page one request at a time with the data cache off, as the city and as a district user
(`serial`: wall p50/p95, the web process's CPU, SQL time, queries) — what a page costs even when other work
shares the machine — and the SQL queries each page runs when it computes, at 1,000 and at 100,000 enterprises.

    python -m bench.load --scenarios cold --only enterprise,submission,dashboard,API   # issue 19's cold pages
"""

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from typing import Any

from bench.common import DEFAULT_URL, ROOT, bench_env, ensure_database, phase, setup_django, table

PORT = int(os.environ.get("BENCH_PORT", "8791"))
SMALL_URL = os.environ.get("BENCH_SMALL_DATABASE_URL", DEFAULT_URL + "_small")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/3")
PASSWORD = "bench-load-password-2026"
LUA = """
done = function(summary, latency, requests)
  io.write(string.format('{"p50": %f, "p95": %f, "requests": %d, "seconds": %f, "errors": %d, "non2xx": %d}\\n',
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, summary.requests, summary.duration / 1e6,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.errors.status))
end
"""
SPREAD = """
init = function(args)
  math.randomseed(os.time() * 1000 + math.floor(os.clock() * 1e6) + #tostring({}))
end
request = function()
  return wrk.format("GET", (string.gsub(PATTERN, "{n}", tostring(math.random(LOW, HIGH)))))
end
"""


def server_env(data_cache: bool = True) -> dict[str, str]:
    env = bench_env()
    env.update(
        {
            "DEBUG": "false",
            "SECRET_KEY": "bench-" + "k" * 60,
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "SECURE_SSL_REDIRECT": "false",
            "BEHIND_TLS_PROXY": "true",
            "AXES_ENABLED": "false",
            # The benchmark user signs in with a password only; with two-factor sign-in required every page
            # would answer the setup page's redirect (and the API 403), which is not what is measured.
            "REQUIRE_STAFF_2FA": "false",
            "LOG_LEVEL": "ERROR",
            "REDIS_URL": REDIS_URL,
            "DATA_CACHE_ENABLED": str(data_cache).lower(),
            # Cold means cold: without the data cache the dashboard's short per-scope cache is off too,
            # so every request computes every figure.
            "DASHBOARD_CACHE_SECONDS": "120" if data_cache else "0",
        }
    )
    return env


def prepare() -> dict[str, Any]:
    """A city user with a password, a published grading run, and the ids the URLs need."""
    import datetime as dt

    from accounts.models import User
    from factories.models import Enterprise, GradingRun

    user, _ = User.objects.get_or_create(username="bench_load", defaults={"role": "city"})
    user.set_password(PASSWORD)
    user.role = "city"
    user.save()
    run = GradingRun.objects.filter(year=2025, is_simulation=False, status__in=["succeeded", "final"]).first()
    if run is not None and run.status != "final":
        GradingRun.objects.filter(pk=run.pk).update(
            status="final",
            notice_from=dt.date(2026, 1, 1),
            notice_to=dt.date(2026, 1, 10),
            finalized_at=dt.datetime(2026, 1, 11, tzinfo=dt.UTC),
        )
    enterprise = Enterprise.objects.order_by("-pk").first()
    first = Enterprise.objects.order_by("pk").first()
    # The public pages (issue 17): the final run's notice page and a certificate's status page. A run made
    # final by the update above has no certificates yet: issue them as finalisation does.
    code = ""
    if run is not None:
        from factories.certificates import issue_for_results
        from factories.models import Certificate

        if not Certificate.objects.filter(result__run=run).exists():
            issue_for_results(actor=user, results=run.results.only("id", "enterprise_id"), run=run)
        code = Certificate.objects.filter(result__run=run).values_list("code", flat=True).first() or ""
    # Autovacuum's work in production: fresh statistics and the visibility map for index-only counts.
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    return {
        "enterprise": enterprise.pk if enterprise else 0,
        "first": first.pk if first else 0,
        "count": Enterprise.objects.count(),
        "run": run.pk if run else 0,
        "certificate": code,
    }


def queries_per_page(urls: list[str]) -> dict[str, int]:
    """SQL queries each URL runs for the city user (Django test client against the benchmark data)."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from accounts.models import User

    client = Client(HTTP_X_FORWARDED_PROTO="https")
    user, _ = User.objects.get_or_create(username="bench_load", defaults={"role": "city"})
    client.force_login(user)
    out = {}
    for url in urls:
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(url)
        out[url] = len(ctx.captured_queries) if response.status_code == 200 else -response.status_code
    return out


def serial(urls: list[str], repeat: int) -> dict[str, list[float]]:
    """Each URL computed `repeat` times in a row in this process (data cache off), as the city user and a
    district user: {"who url": [wall p50, wall p95, web CPU mean, SQL p50 (ms), queries]}. One request at a
    time, so the figures say what a page costs even when other work shares the machine (wrk's latencies
    under 20 connections then mostly measure the queue)."""
    import statistics

    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from accounts.models import User
    from factories.models import Enterprise

    city, _ = User.objects.get_or_create(username="bench_load", defaults={"role": "city"})
    unit = Enterprise.objects.order_by("-pk").values_list("district_id", flat=True).first()
    district, _ = User.objects.get_or_create(
        username="bench_district", defaults={"role": "district", "district_id": unit}
    )
    out: dict[str, list[float]] = {}
    for user in (city, district):
        client = Client(HTTP_X_FORWARDED_PROTO="https")
        client.force_login(user)
        own = Enterprise.objects.visible_to(user).order_by("-pk").values_list("pk", flat=True).first()
        for url in urls:
            url = re.sub(r"/enterprises/[0-9]+/", f"/enterprises/{own}/", url)
            client.get(url)
            walls, cpus, sqls, count = [], [], [], 0
            for _ in range(repeat):
                with CaptureQueriesContext(connection) as captured:
                    wall, cpu = time.perf_counter(), time.process_time()
                    response = client.get(url)
                    walls.append((time.perf_counter() - wall) * 1000)
                    cpus.append((time.process_time() - cpu) * 1000)
                if response.status_code != 200:
                    raise SystemExit(f"{url} answers HTTP {response.status_code} to {user.username}")
                sqls.append(sum(float(q["time"]) for q in captured.captured_queries) * 1000)
                count = len(captured.captured_queries)
            walls.sort()
            out[f"{user.role} {url}"] = [
                statistics.median(walls),
                walls[int(0.95 * (repeat - 1))],
                statistics.mean(cpus),
                statistics.median(sqls),
                count,
            ]
    return out


def login(base: str) -> str:
    """Sign in through the real form. The cookies are Secure (production settings), so they are carried by
    hand over loopback HTTP while X-Forwarded-Proto tells Django the request came through HTTPS."""
    import http.client

    host = base.split("//", 1)[1]

    def request(
        method: str,
        path: str,
        body: bytes | None = None,
        cookies: dict[str, str] | None = None,
        extra: dict[str, str] | None = None,
    ) -> tuple[Any, str]:
        connection = http.client.HTTPConnection(host, timeout=30)
        headers = {"X-Forwarded-Proto": "https", **(extra or {})}
        if cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        return response, response.read().decode(errors="replace")

    def cookies_of(response: Any) -> dict[str, str]:
        jar = {}
        for header in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            jar[name.strip()] = rest.split(";", 1)[0]
        return jar

    response, page = request("GET", "/accounts/login/")
    cookies = cookies_of(response)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    body = urllib.parse.urlencode(
        {"username": "bench_load", "password": PASSWORD, "csrfmiddlewaretoken": token}
    ).encode()
    response, _page = request(
        "POST",
        "/accounts/login/",
        body,
        cookies,
        {"Content-Type": "application/x-www-form-urlencoded", "Referer": f"https://{host}/accounts/login/"},
    )
    cookies.update(cookies_of(response))
    if "sessionid" not in cookies:
        raise SystemExit(f"login failed: HTTP {response.status}")
    return "; ".join(f"{k}={v}" for k, v in cookies.items())


def wrk(
    url: str, cookie: str, seconds: int, connections: int, spread: tuple[str, int, int] | None = None
) -> dict[str, Any]:
    """Drive `url` (or, with `spread` = (pattern, low, high), a random `{n}` of the pattern per request)."""
    cookie_header = ["-H", f"Cookie: {cookie}"] if cookie else []
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        if spread:
            pattern, low, high = spread
            script.write(f"PATTERN = {json.dumps(pattern)}\nLOW = {low}\nHIGH = {high}\n" + SPREAD)
        script.write(LUA)
    out = subprocess.run(
        [
            "wrk",
            "-t2",
            f"-c{connections}",
            f"-d{seconds}s",
            "--timeout",
            "10s",
            "-s",
            script.name,
            *cookie_header,
            "-H",
            "X-Forwarded-Proto: https",
            url,
        ],
        capture_output=True,
        text=True,
        timeout=seconds + 60,
    )
    os.unlink(script.name)
    line = [x for x in out.stdout.splitlines() if x.startswith("{")][-1]
    data = json.loads(line)
    data["rps"] = data["requests"] / data["seconds"]
    return data


PUBLIC_PREFIXES = ("/gongshi/", "/verify/")
"""Pages anyone reads without signing in: the benchmark sends them no session cookie."""

ONLY: list[str] = []
"""`--only`: words of the labels to drive (the trivial view is always driven, as the yardstick)."""


def pages(info: dict[str, Any]) -> list[tuple[str, str, tuple[str, int, int] | None]]:
    """(label, URL, spread) for every page driven (`--only` narrows them), the trivial view first."""
    every = all_pages(info)
    return [every[0]] + [p for p in every[1:] if not ONLY or any(word in p[0] for word in ONLY)]


def all_pages(info: dict[str, Any]) -> list[tuple[str, str, tuple[str, int, int] | None]]:
    """(label, URL, spread) for every page: the spread picks one of 400 list pages, any enterprise."""
    first, last = info["first"], info["enterprise"]
    return [
        ("/ping/ (trivial, signed-in)", "/ping/", None),
        ("enterprise list", "/factories/enterprises/", ("/factories/enterprises/?page={n}", 1, 400)),
        (
            "enterprise detail",
            f"/factories/enterprises/{last}/",
            ("/factories/enterprises/{n}/", first, last),
        ),
        ("submission list", "/reporting/submissions/", ("/reporting/submissions/?page={n}", 1, 400)),
        ("dashboard", "/reporting/dashboard/", ("/reporting/dashboard/?year={n}", 2024, 2025)),
        ("API enterprises", "/api/v1/enterprises/", ("/api/v1/enterprises/?page={n}", 1, 400)),
        ("API submissions", "/api/v1/submissions/", ("/api/v1/submissions/?page={n}", 1, 400)),
        ("API grades", "/api/v1/grades/", ("/api/v1/grades/?page={n}", 1, 400)),
        # The public pages (issue 17), driven anonymously (`PUBLIC_PREFIXES`): the same for everybody, so
        # `spread` pages through a run's factories.
        ("/gongshi/ notice list (anonymous)", "/gongshi/", None),
        (
            "/gongshi/ run page (anonymous)",
            f"/gongshi/runs/{info['run']}/",
            (f"/gongshi/runs/{info['run']}/?page={{n}}", 1, max(1, min(400, info["count"] // 100))),
        ),
        ("/gongshi/ AA+ list (anonymous)", f"/gongshi/runs/{info['run']}/?list=recommended", None),
        ("/verify/ certificate status (anonymous)", f"/verify/{info['certificate']}/", None),
    ]


def status_of(url: str, cookie: str) -> int:
    """The HTTP status of one GET as the benchmark sends it (redirects are not followed)."""
    import http.client

    parts = urllib.parse.urlsplit(url)
    connection = http.client.HTTPConnection(parts.netloc, timeout=60)
    headers = {"X-Forwarded-Proto": "https", **({"Cookie": cookie} if cookie else {})}
    connection.request("GET", parts.path + (f"?{parts.query}" if parts.query else ""), headers=headers)
    response = connection.getresponse()
    response.read()
    return response.status


def public_headers(url: str) -> str:
    """What a public page tells browsers and shared caches: its Cache-Control and Vary."""
    request = urllib.request.Request(url, headers={"X-Forwarded-Proto": "https"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return f"{response.headers.get('Cache-Control', '—')}; Vary: {response.headers.get('Vary', '—')}"


def drive(info: dict[str, Any], seconds: int, data_cache: bool, spread: bool) -> dict[str, dict[str, Any]]:
    """Start gunicorn (4 sync workers, as on a 2-core server), sign in, drive every page; {label: figures}."""
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
            "4",
            "--worker-class",
            "sync",
            "--log-level",
            "error",
        ],
        cwd=ROOT,
        env=server_env(data_cache),
    )
    base = f"http://127.0.0.1:{PORT}"
    out = {}
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(base + "/healthz", timeout=1)
                break
            except OSError:
                time.sleep(0.2)
        cookie = login(base)
        for label, url, pattern in pages(info):
            chosen = pattern if spread else None
            sent = "" if url.startswith(PUBLIC_PREFIXES) else cookie
            answered = status_of(base + url, sent)
            if answered != 200:  # a redirect or a refusal is fast and would be measured as the page
                raise SystemExit(f"{url} answers HTTP {answered}, not 200: nothing to measure")
            wrk(base + url, sent, 2, 20, chosen)  # warm-up (imports, connections; the same page is cached)
            out[label] = wrk(base + url, sent, seconds, 20, chosen)
            if url.startswith(PUBLIC_PREFIXES):
                out[label]["cache_control"] = public_headers(base + url)
    finally:
        server.terminate()
        server.wait(timeout=30)
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("command", nargs="?", default="all", choices=["all", "prepare", "queries", "serial"])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--urls", default="")
    parser.add_argument(
        "--enterprises", type=int, default=100000, help="size of the benchmark register (a short run: 2000)"
    )
    parser.add_argument(
        "--scenarios",
        default="same,spread,cold",
        help="comma-separated scenarios to drive: same (same page), spread (400 pages), cold (no data cache)",
    )
    parser.add_argument(
        "--only",
        default="",
        help="comma-separated words: drive only the pages whose label has one (and /ping/)",
    )
    args = parser.parse_args()
    if args.command == "prepare":
        setup_django()
        print(json.dumps(prepare()))
        return
    if args.command == "queries":
        setup_django()
        print(json.dumps(queries_per_page(args.urls.split(","))))
        return
    if args.command == "serial":
        setup_django()
        print(json.dumps(serial(args.urls.split(","), 5 if args.quick else 20)))
        return
    ONLY[:] = [word for word in args.only.split(",") if word]
    if not shutil.which("wrk"):
        raise SystemExit("wrk is needed: apt-get install wrk")
    ensure_database()
    info = phase("bench.load", "prepare")
    if info["count"] < args.enterprises:
        print(f"generating {args.enterprises:,} enterprises with two years of data …", file=sys.stderr)
        phase("bench.grading", "generate", "--n", str(args.enterprises))
        phase("bench.grading", "run")
        info = phase("bench.load", "prepare")
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
        cwd=ROOT,
        env=server_env(),
        check=True,
    )
    seconds = 5 if args.quick else 15
    scenarios = {
        "same": ("same page", True, False),
        "spread": ("spread", True, True),
        "cold": ("no data cache", False, False),
    }
    chosen = [word for word in args.scenarios.split(",") if word]
    runs = {
        scenarios[word][0]: drive(info, seconds, data_cache=scenarios[word][1], spread=scenarios[word][2])
        for word in chosen
    }
    rows = []
    for label, _url, _pattern in pages(info):
        row = [label]
        for results in runs.values():
            trivial = results[pages(info)[0][0]]["rps"]
            figures = results.get(label)
            if figures is None:
                row += ["", "", ""]
                continue
            errors = figures["errors"] + figures["non2xx"]
            row += [
                f"{figures['p50']:.1f} / {figures['p95']:.1f}",
                f"{figures['rps']:.0f}",
                f"{100 * figures['rps'] / trivial:.0f}%" + (f" ({errors} errors)" if errors else ""),
            ]
        rows.append(row)
    print(
        f"\nLoad: 20 concurrent connections, {seconds} s per URL, gunicorn 4 sync workers on {os.cpu_count()} "
        f"cores (shared with PostgreSQL, Redis and wrk), {info['count']} enterprises on PostgreSQL"
    )
    header = ["page"]
    for name in runs:
        header += [f"{name}: p50 / p95 ms", "req/s", "vs trivial"]
    print(table(rows, header))
    said = {
        label: f["cache_control"] for label, f in runs.get("same page", {}).items() if "cache_control" in f
    }
    if said:
        print("\nWhat the public pages answer (anonymous, Cache-Control; Vary):")
        print(table([[label, value] for label, value in said.items()], ["page", "headers"]))

    urls = [url for _label, url, _pattern in pages(info)[1:]]
    no_cache = {"DATA_CACHE_ENABLED": "false"}
    computed = [u for u in urls if not u.startswith(PUBLIC_PREFIXES)]
    one_at_a_time = phase(
        "bench.load",
        "serial",
        "--urls",
        ",".join(computed),
        *(["--quick"] if args.quick else []),
        extra={**no_cache, "DASHBOARD_CACHE_SECONDS": "0", "REQUIRE_STAFF_2FA": "false"},
    )
    print(
        "\nOne request at a time, data cache off (ms; web CPU is the web process's own, SQL the queries' time):"
    )
    print(
        table(
            [
                [key, *(f"{v:.1f}" for v in figures[:4]), int(figures[4])]
                for key, figures in one_at_a_time.items()
            ],
            ["role and url", "p50", "p95", "web CPU", "SQL p50", "queries"],
        )
    )
    if ONLY:  # a short run of some pages: their queries on the benchmark database only
        counted = phase("bench.load", "queries", "--urls", ",".join(urls), extra=no_cache)
        print("\nSQL queries per page when it is computed (city user, data cache off):")
        print(table([[u, counted[u]] for u in urls], ["url", f"{info['count']} enterprises"]))
        return
    ensure_database(SMALL_URL)
    small_info = phase("bench.load", "prepare", url=SMALL_URL)
    if small_info["count"] != 1000:
        phase("bench.grading", "generate", "--n", "1000", url=SMALL_URL)
        phase("bench.grading", "run", url=SMALL_URL)
        small_info = phase("bench.load", "prepare", url=SMALL_URL)
    big = phase("bench.load", "queries", "--urls", ",".join(urls), extra=no_cache)
    small_urls = [u.replace(f"/{info['enterprise']}/", f"/{small_info['enterprise']}/") for u in urls]
    small = phase("bench.load", "queries", "--urls", ",".join(small_urls), url=SMALL_URL, extra=no_cache)
    print("\nSQL queries per page when it is computed (city user, data cache off):")
    print(
        table(
            [[u, small[su], big[u]] for u, su in zip(urls, small_urls, strict=True)],
            ["url", f"{small_info['count']} enterprises", f"{info['count']} enterprises"],
        )
    )


if __name__ == "__main__":
    main()
