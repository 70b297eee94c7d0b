"""Load benchmark (issue 7): pages and API lists under 20 concurrent clients behind gunicorn, beside a
trivial view on the same server, on the PostgreSQL benchmark database (100,000 enterprises with two
years of data — run `python -m bench.grading` first, or this script generates them).

    python -m bench.load            # 15 s per URL, 20 connections
    python -m bench.load --quick    # 5 s per URL

Load comes from wrk (Debian package `wrk`) on loopback, bounded in time; every request carries the
signed-in city user's session cookie. Prints p50/p95 latency and throughput per URL, the ratio to the
trivial view, and the SQL queries each page runs at two data sizes.
"""

from __future__ import annotations

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

from bench.common import ROOT, bench_env, ensure_database, phase, setup_django, table

PORT = 8791
PASSWORD = "bench-load-password-2026"
LUA = """
done = function(summary, latency, requests)
  io.write(string.format('{"p50": %f, "p95": %f, "requests": %d, "seconds": %f, "errors": %d, "non2xx": %d}\\n',
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, summary.requests, summary.duration / 1e6,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.errors.status))
end
"""


def server_env() -> dict[str, str]:
    env = bench_env()
    env.update({"DEBUG": "false", "SECRET_KEY": "bench-" + "k" * 60, "ALLOWED_HOSTS": "127.0.0.1,localhost",
                "SECURE_SSL_REDIRECT": "false", "BEHIND_TLS_PROXY": "true", "AXES_ENABLED": "false",
                "LOG_LEVEL": "ERROR"})
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
        GradingRun.objects.filter(pk=run.pk).update(status="final", notice_from=dt.date(2026, 1, 1),
                                                    notice_to=dt.date(2026, 1, 10))
    enterprise = Enterprise.objects.order_by("-pk").first()
    # Autovacuum's work in production: fresh statistics and the visibility map for index-only counts.
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    return {"enterprise": enterprise.pk if enterprise else 0, "count": Enterprise.objects.count()}


def queries_per_page(urls: list[str]) -> dict[str, int]:
    """SQL queries each URL runs for the city user (Django test client against the benchmark data)."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from accounts.models import User

    client = Client(HTTP_X_FORWARDED_PROTO="https")
    client.force_login(User.objects.get(username="bench_load"))
    out = {}
    for url in urls:
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(url)
        out[url] = len(ctx.captured_queries) if response.status_code == 200 else -response.status_code
    return out


def login(base: str) -> str:
    """Sign in through the real form. The cookies are Secure (production settings), so they are carried by
    hand over loopback HTTP while X-Forwarded-Proto tells Django the request came through HTTPS."""
    import http.client

    host = base.split("//", 1)[1]

    def request(method: str, path: str, body: bytes | None = None, cookies: dict[str, str] | None = None,
                extra: dict[str, str] | None = None) -> tuple[Any, str]:
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
    body = urllib.parse.urlencode({"username": "bench_load", "password": PASSWORD,
                                   "csrfmiddlewaretoken": token}).encode()
    response, _page = request("POST", "/accounts/login/", body, cookies, {
        "Content-Type": "application/x-www-form-urlencoded", "Referer": f"https://{host}/accounts/login/"})
    cookies.update(cookies_of(response))
    if "sessionid" not in cookies:
        raise SystemExit(f"login failed: HTTP {response.status}")
    return "; ".join(f"{k}={v}" for k, v in cookies.items())


def wrk(url: str, cookie: str, seconds: int, connections: int) -> dict[str, Any]:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(LUA)
    out = subprocess.run(["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s", "-s", script.name,
                          "-H", f"Cookie: {cookie}", "-H", "X-Forwarded-Proto: https", url],
                         capture_output=True, text=True, timeout=seconds + 60)
    os.unlink(script.name)
    line = [x for x in out.stdout.splitlines() if x.startswith("{")][-1]
    data = json.loads(line)
    data["rps"] = data["requests"] / data["seconds"]
    return data


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("command", nargs="?", default="all", choices=["all", "prepare", "queries"])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--urls", default="")
    args = parser.parse_args()
    if args.command == "prepare":
        setup_django()
        print(json.dumps(prepare()))
        return
    if args.command == "queries":
        setup_django()
        print(json.dumps(queries_per_page(args.urls.split(","))))
        return
    if not shutil.which("wrk"):
        raise SystemExit("wrk is needed: apt-get install wrk")
    ensure_database()
    info = phase("bench.load", "prepare")
    if info["count"] < 100000:
        print("generating 100,000 enterprises with two years of data …", file=sys.stderr)
        phase("bench.grading", "generate", "--n", "100000")
        phase("bench.grading", "run")
        info = phase("bench.load", "prepare")
    urls = ["/ping/", "/healthz", "/factories/enterprises/", f"/factories/enterprises/{info['enterprise']}/",
            "/reporting/submissions/", "/reporting/dashboard/", "/api/v1/enterprises/", "/api/v1/submissions/",
            "/api/v1/grades/"]
    subprocess.run([sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=ROOT, env=server_env(),
                   check=True)
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "config.wsgi:application", "--bind", f"127.0.0.1:{PORT}", "--workers",
         "4", "--worker-class", "sync", "--log-level", "error"], cwd=ROOT, env=server_env())
    base = f"http://127.0.0.1:{PORT}"
    try:
        for _ in range(50):
            try:
                urllib.request.urlopen(base + "/healthz", timeout=1)
                break
            except OSError:
                time.sleep(0.2)
        cookie = login(base)
        seconds = 5 if args.quick else 15
        rows, trivial = [], None
        for url in urls:
            wrk(base + url, cookie, 2, 20)  # warm-up
            result = wrk(base + url, cookie, seconds, 20)
            trivial = trivial or result["rps"]
            rows.append([url, f"{result['p50']:.1f}", f"{result['p95']:.1f}", f"{result['rps']:.0f}",
                         f"{100 * result['rps'] / trivial:.0f}%", result["errors"], result["non2xx"]])
    finally:
        server.terminate()
        server.wait(timeout=30)
    print(f"\nLoad: 20 concurrent connections, {seconds} s per URL, gunicorn 4 sync workers, "
          f"{info['count']} enterprises on PostgreSQL")
    print(table(rows, ["url", "p50 ms", "p95 ms", "req/s", "vs trivial", "errors", "non-2xx"]))
    big = phase("bench.load", "queries", "--urls", ",".join(urls[2:]))
    print("\nSQL queries per page (city user) at this data size:")
    print(table([[u, big[u]] for u in urls[2:]], ["url", "queries"]))


if __name__ == "__main__":
    main()
