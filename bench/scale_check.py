"""`make scale-check`: the platform past one machine, proven on this one (issue 19.5).

Starts, all on loopback and all as real processes:

- PgBouncer (Debian) in front of PostgreSQL with two pools on one database: `gf_web` in **transaction**
  mode for the web processes (DB_POOL_MODE=transaction: no server-side cursors, no session locks) and
  `gf_jobs` in **session** mode for the Celery workers, which hold a session advisory lock across a job
  and stream large exports through server-side cursors (see config/settings.py, DB_POOL_MODE);
- two gunicorn instances of the web app behind Debian's nginx as a round-robin load balancer;
- two Celery workers and exactly one beat (Redis broker, database 9).

Then a scripted scenario, every step checked:

1. sign in through instance A and continue on instance B with the same session (sessions live in the
   database, not in a process), and see the balancer spread requests over both;
2. start a grading run (a 预评价 of the benchmark population, so it may run at any time) through the
   balancer, find the worker that picked it up, SIGKILL that worker's whole process group mid-run, and see
   the other worker finish it after the watchdog (beat) sends it again;
3. run the same grading once more, undisturbed, and compare every result row of the two runs;
4. run an export job of all green factories through the API and open the file: one row per factory.

    python -m bench.scale_check              # 20,000 factories (about two minutes)
    python -m bench.scale_check --factories 5000

Needs PostgreSQL on 127.0.0.1:5432 (user postgres) and Redis on 127.0.0.1:6379; installs nginx and
pgbouncer with apt when they are missing. Not part of CI: it needs more time than the suite's budget.
"""

from __future__ import annotations

import argparse
import contextlib
import http.cookies
import io
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DB = "gf_scale_check"
DIRECT_URL = f"postgres://postgres@127.0.0.1:5432/{DB}"
BOUNCER_PORT = 6439
WEB_PORTS = (8161, 8162)
BALANCER_PORT = 8160
REDIS_URL = "redis://127.0.0.1:6379/9"
PASSWORD = "lvse-demo-2026"
YEAR = 2025


def say(text: str) -> None:
    print(text, flush=True)


def need(binary: str, package: str) -> str:
    """The path of a Debian tool, installed with apt when missing (the script that needs it installs it)."""
    found = shutil.which(binary) or (f"/usr/sbin/{binary}" if Path(f"/usr/sbin/{binary}").exists() else None)
    if found:
        return found
    say(f"installing {package} with apt …")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(
        ["apt-get", "install", "-y", "-q", package], check=True, env=env, stdout=subprocess.DEVNULL
    )
    return shutil.which(binary) or f"/usr/sbin/{binary}"


def wait_port(port: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise SystemExit(f"nothing listens on 127.0.0.1:{port} after {timeout:.0f} s")


class Client:
    """A tiny HTTP client that keeps cookies itself (the app's cookies are Secure: a TLS proxy is simulated
    with X-Forwarded-Proto from a trusted peer, so a stock cookie jar would not send them back over http)."""

    def __init__(self) -> None:
        self.cookies: dict[str, str] = {}
        self.token = ""

    def request(
        self, port: int, path: str, *, data: dict[str, Any] | None = None, json_body: Any = None
    ) -> tuple[int, dict[str, str], bytes]:
        headers = {"X-Forwarded-Proto": "https", "Host": "127.0.0.1", "Accept-Language": "zh-hans"}
        body = None
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if self.token:
            headers["Authorization"] = f"Token {self.token}"
        if data is not None:
            body = urllib.parse.urlencode(data).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Referer"] = f"https://127.0.0.1{path}"
            if "csrftoken" in self.cookies:
                headers["X-CSRFToken"] = self.cookies["csrftoken"]
        elif json_body is not None:
            body = json.dumps(json_body).encode()
            headers["Content-Type"] = "application/json"
        req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=body, headers=headers)
        opener = urllib.request.build_opener(NoRedirect)
        try:
            with opener.open(req, timeout=60) as response:
                status, reply_headers, content = response.status, response.headers, response.read()
        except urllib.error.HTTPError as error:
            status, reply_headers, content = error.code, error.headers, error.read()
        for header in reply_headers.get_all("Set-Cookie") or []:
            cookie = http.cookies.SimpleCookie()
            cookie.load(header)
            for name, morsel in cookie.items():
                self.cookies[name] = morsel.value
        return status, dict(reply_headers.items()), content

    def json(self, port: int, path: str, body: Any = None) -> tuple[int, Any]:
        status, _headers, content = self.request(port, path, json_body=body)
        try:
            return status, json.loads(content or b"null")
        except ValueError:
            return status, content[:300]


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


class Stack:
    """The processes of the check; each in its own process group so a SIGKILL takes a worker whole."""

    def __init__(self, work: Path, env: dict[str, str]) -> None:
        self.work = work
        self.env = env
        self.procs: dict[str, subprocess.Popen[bytes]] = {}

    def start(self, name: str, argv: list[str], env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
        log = open(self.work / f"{name}.log", "wb")  # noqa: SIM115 - closed with the process
        proc = subprocess.Popen(
            argv, cwd=ROOT, env=env or self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        self.procs[name] = proc
        return proc

    def kill(self, name: str, sig: int = signal.SIGKILL) -> None:
        proc = self.procs[name]
        if proc.poll() is None:
            os.killpg(proc.pid, sig)
            proc.wait(timeout=30)

    def stop_all(self) -> None:
        for name, proc in reversed(list(self.procs.items())):
            if proc.poll() is None:
                try:
                    os.killpg(proc.pid, signal.SIGTERM)
                    proc.wait(timeout=15)
                except (ProcessLookupError, subprocess.TimeoutExpired):
                    with contextlib.suppress(ProcessLookupError):
                        os.killpg(proc.pid, signal.SIGKILL)
            say(f"  stopped {name}")


def prepare_database(factories: int) -> None:
    """A fresh database: migrations, a city account, and N green factories with two years of data."""
    env = {**os.environ, "DATABASE_URL": DIRECT_URL, "DEBUG": "true"}
    subprocess.run(
        ["psql", "-h", "127.0.0.1", "-U", "postgres", "-qc", f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)"],
        check=True,
    )
    subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-qc", f"CREATE DATABASE {DB}"], check=True)
    py = sys.executable
    subprocess.run([py, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True)
    code = (
        "from bench.common import setup_django; setup_django()\n"
        f"from bench.grading import generate; generate({factories}, 19)\n"
        "from django.utils import timezone\nfrom accounts.models import User\n"
        f"User.objects.create_user('city', password='{PASSWORD}', role='city', first_name='市经信委',"
        " password_changed_at=timezone.now())\n"
    )
    subprocess.run([py, "-c", code], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)


def sql(query: str) -> list[tuple[str, ...]]:
    out = subprocess.run(
        ["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", DB, "-Atqc", query],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return [tuple(line.split("|")) for line in out.splitlines() if line]


def bouncer_config(work: Path) -> Path:
    """PgBouncer drops root for the postgres account (`-u postgres`): its files live in a folder it owns."""
    work = work / "pgbouncer"
    work.mkdir()
    shutil.chown(work, "postgres", "postgres")
    (work / "users.txt").write_text('"postgres" ""\n')
    ini = work / "pgbouncer.ini"
    ini.write_text(
        "[databases]\n"
        f"gf_web = host=127.0.0.1 port=5432 dbname={DB} pool_mode=transaction\n"
        f"gf_jobs = host=127.0.0.1 port=5432 dbname={DB} pool_mode=session\n"
        "[pgbouncer]\n"
        f"listen_addr = 127.0.0.1\nlisten_port = {BOUNCER_PORT}\nunix_socket_dir =\n"
        f"auth_type = trust\nauth_file = {work / 'users.txt'}\n"
        "max_client_conn = 400\ndefault_pool_size = 20\n"
        "ignore_startup_parameters = extra_float_digits,options\n"
        f"logfile = {work / 'pgbouncer.log'}\npidfile = {work / 'pgbouncer.pid'}\n"
    )
    return ini


def balancer_config(work: Path) -> Path:
    conf = work / "nginx.conf"
    upstream = "".join(f"    server 127.0.0.1:{port};\n" for port in WEB_PORTS)
    conf.write_text(
        f"pid {work / 'nginx.pid'};\nerror_log {work / 'nginx-error.log'};\nworker_processes 1;\n"
        "events { worker_connections 512; }\n"
        "http {\n"
        f"  access_log {work / 'nginx-access.log'};\n"
        f"  client_body_temp_path {work / 'nginx-body'};\n  proxy_temp_path {work / 'nginx-proxy'};\n"
        f"  fastcgi_temp_path {work / 'nginx-fcgi'};\n  uwsgi_temp_path {work / 'nginx-uwsgi'};\n"
        f"  scgi_temp_path {work / 'nginx-scgi'};\n"
        "  client_max_body_size 25m;\n"
        f"  upstream app {{\n{upstream}  }}\n"
        f"  server {{\n    listen 127.0.0.1:{BALANCER_PORT};\n"
        "    location / {\n"
        "      proxy_pass http://app;\n"
        "      proxy_set_header Host $host;\n"
        "      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;\n"
        "      proxy_set_header X-Forwarded-Proto https;\n"
        "      add_header X-Upstream $upstream_addr always;\n"
        "    }\n  }\n}\n"
    )
    return conf


def active_worker() -> dict[str, list[Any]]:
    """Which worker executes which task now: Celery's remote control over the broker (no Django needed)."""
    from celery import Celery

    control = Celery(broker=REDIS_URL).control
    return control.inspect(timeout=0.5).active() or {}


def wait_run(client: Client, run_id: int, timeout: float) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status, body = client.json(BALANCER_PORT, f"/api/v1/grading-runs/{run_id}/")
        if status == 200 and body["status"] in ("succeeded", "failed"):
            return body
        time.sleep(0.5)
    raise SystemExit(f"run {run_id} did not finish within {timeout:.0f} s")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--factories", type=int, default=20000)
    parser.add_argument("--keep", action="store_true", help="keep the work folder with the logs")
    args = parser.parse_args()
    nginx = need("nginx", "nginx-light")
    pgbouncer = need("pgbouncer", "pgbouncer")
    work = Path(tempfile.mkdtemp(prefix="gf-scale-"))
    work.chmod(0o755)
    checks: list[tuple[str, bool, str]] = []

    def check(name: str, ok: bool, detail: str = "") -> None:
        checks.append((name, ok, detail))
        say(f"  {'✓' if ok else '✗'} {name}{'：' + detail if detail else ''}")

    say(f"preparing {DB} with {args.factories:,} green factories …")
    started = time.perf_counter()
    prepare_database(args.factories)
    say(f"  ready in {time.perf_counter() - started:.1f} s")

    common = {
        **os.environ,
        "DEBUG": "false",
        "SECRET_KEY": "scale-check-" + "x" * 60,
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "CSRF_TRUSTED_ORIGINS": "https://127.0.0.1",
        "REDIS_URL": REDIS_URL,
        "REQUIRE_STAFF_2FA": "false",  # the demo's city account has no second factor
        "MEDIA_ROOT": str(work / "media"),
        "RUN_DIR": str(work / "run"),
        "JOB_STALE_AFTER_SECONDS": "20",
        "JOB_WATCHDOG_SECONDS": "5",
        "LOG_LEVEL": "WARNING",
    }
    web_env = {
        **common,
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:{BOUNCER_PORT}/gf_web",
        "DB_POOL_MODE": "transaction",
    }
    job_env = {
        **common,
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:{BOUNCER_PORT}/gf_jobs",
        "DB_POOL_MODE": "session",
    }
    subprocess.run(["redis-cli", "-n", "9", "flushdb"], check=True, stdout=subprocess.DEVNULL)
    static_env = web_env
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"],
        cwd=ROOT,
        env=static_env,
        check=True,
    )
    stack = Stack(work, common)
    try:
        stack.start("pgbouncer", [pgbouncer, "-u", "postgres", str(bouncer_config(work))])
        wait_port(BOUNCER_PORT)
        for index, port in enumerate(WEB_PORTS):
            stack.start(
                f"web{index + 1}",
                [
                    sys.executable,
                    "-m",
                    "gunicorn",
                    "config.wsgi",
                    "-b",
                    f"127.0.0.1:{port}",
                    "-w",
                    "2",
                    "--timeout",
                    "120",
                ],
                env=static_env,
            )
        stack.start("nginx", [nginx, "-c", str(balancer_config(work)), "-g", "daemon off;"])
        for port in (*WEB_PORTS, BALANCER_PORT):
            wait_port(port)
        celery = [sys.executable, "-m", "celery", "-A", "config"]
        for name in ("worker1", "worker2"):
            stack.start(
                name, [*celery, "worker", "-n", f"{name}@scale", "-c", "1", "--loglevel", "INFO"], env=job_env
            )
        stack.start(
            "beat", [*celery, "beat", "--loglevel", "INFO", "-s", str(work / "beat-schedule")], env=job_env
        )
        say(
            f"stack: pgbouncer :{BOUNCER_PORT}, web :{WEB_PORTS[0]} :{WEB_PORTS[1]} behind nginx "
            f":{BALANCER_PORT}, 2 workers, 1 beat"
        )

        # 1. Sign in on A, continue on B; the balancer uses both.
        say("1. one session, two instances")
        browser = Client()
        status, _h, _b = browser.request(WEB_PORTS[0], "/accounts/login/")
        status, headers, _b = browser.request(
            WEB_PORTS[0], "/accounts/login/", data={"username": "city", "password": PASSWORD}
        )
        check(
            "signed in through instance A",
            status == 302 and "sessionid" in browser.cookies,
            f"HTTP {status} → {headers.get('Location', '')}",
        )
        status, _h, body = browser.request(WEB_PORTS[1], "/")
        page = body.decode("utf-8", "replace")
        check("instance B knows the session", status == 200 and "退出" in page, f"HTTP {status}")
        upstreams = Counter()
        for _ in range(10):
            status, headers, _b = browser.request(BALANCER_PORT, "/")
            upstreams[headers.get("X-Upstream", "?")] += status == 200
        check(
            "the balancer sends requests to both instances",
            len([u for u in upstreams if u != "?"]) == 2 and sum(upstreams.values()) == 10,
            ", ".join(f"{u} × {n}" for u, n in sorted(upstreams.items())),
        )

        api = Client()
        status, body = api.json(
            BALANCER_PORT, "/api/v1/auth/token/", {"username": "city", "password": PASSWORD}
        )
        api.token = body.get("token", "") if isinstance(body, dict) else ""
        check("API token through the balancer", status == 200 and bool(api.token), f"HTTP {status}")

        # 2. A run, its worker killed mid-run, finished by the other.
        say("2. a grading run survives SIGKILL of its worker")
        status, body = api.json(BALANCER_PORT, "/api/v1/grading-runs/", {"year": YEAR, "is_simulation": True})
        if status not in (201, 202):
            raise SystemExit(f"starting the run answered HTTP {status}: {body}")
        first = int(body["id"])
        victim, progress = "", ""
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not victim:
            for worker, tasks in active_worker().items():
                if any(t.get("name") == "factories.run_grading" for t in tasks):
                    victim = worker.split("@")[0]
            if not victim:
                time.sleep(0.1)
        # Kill once part of the results is written, so the take-over must complete a half-written run.
        query = f"SELECT status, phase, done, total, attempts FROM factories_gradingrun WHERE id={first}"
        row = sql(query)[0]
        while victim and time.monotonic() < deadline and row[0] == "running" and int(row[2]) == 0:
            time.sleep(0.02)
            row = sql(query)[0]
        progress = f"status {row[0]}, phase {row[1]}, {row[2]}/{row[3]} written, attempt {row[4]}"
        killed_mid_run = bool(victim) and row[0] == "running" and 0 < int(row[2]) < int(row[3])
        if victim:
            stack.kill(victim)
        check("the run's worker was SIGKILLed mid-run", killed_mid_run, f"{victim or '—'} at {progress}")
        kill_time = time.perf_counter()
        finished = wait_run(api, first, timeout=240)
        row = sql(f"SELECT attempts, done, total FROM factories_gradingrun WHERE id={first}")[0]
        check(
            "the other worker finished it",
            finished["status"] == "succeeded" and int(row[0]) >= 2,
            f"status {finished['status']}, attempts {row[0]}, {row[1]}/{row[2]} results, "
            f"{time.perf_counter() - kill_time:.1f} s after the kill",
        )
        survivor = "worker2" if victim == "worker1" else "worker1"
        log = (work / f"{survivor}.log").read_text(errors="replace")
        check(f"{survivor}'s log shows the run", f"[{first}]" in log or "run_grading" in log)

        # 3. The same run undisturbed: identical results.
        say("3. the resumed run equals an undisturbed one")
        status, body = api.json(BALANCER_PORT, "/api/v1/grading-runs/", {"year": YEAR, "is_simulation": True})
        second = int(body["id"])
        wait_run(api, second, timeout=240)
        columns = (
            "enterprise_id, grade, computed_grade, decided_by, level_score, improvement_score, "
            "composite_score, q, peer_group, peer_count, revocation_proposed, flags, reasons, details"
        )
        differing = sql(
            f"SELECT count(*) FROM ((SELECT {columns} FROM factories_gradingresult WHERE run_id={first} "
            f"EXCEPT SELECT {columns} FROM factories_gradingresult WHERE run_id={second}) UNION ALL "
            f"(SELECT {columns} FROM factories_gradingresult WHERE run_id={second} "
            f"EXCEPT SELECT {columns} FROM factories_gradingresult WHERE run_id={first})) d"
        )[0][0]
        counts = sql(
            f"SELECT count(*) FILTER (WHERE run_id={first}), count(*) FILTER (WHERE run_id={second}),"
            f" count(DISTINCT grade) FROM factories_gradingresult WHERE run_id IN ({first},{second})"
        )[0]
        check(
            "every result row identical",
            differing == "0" and counts[0] == counts[1] and int(counts[0]) > 0,
            f"{counts[0]} and {counts[1]} rows, {differing} differ, {counts[2]} distinct grades",
        )

        # 4. An export job through the balancer, picked up by the surviving worker.
        say("4. an export job")
        status, body = api.json(BALANCER_PORT, "/api/v1/exports/", {"kind": "green_factories"})
        export_id = body.get("id") if isinstance(body, dict) else None
        deadline = time.monotonic() + 180
        while export_id and time.monotonic() < deadline:
            status, body = api.json(BALANCER_PORT, f"/api/v1/exports/{export_id}/")
            if body.get("status") in ("succeeded", "failed"):
                break
            time.sleep(0.5)
        ok = isinstance(body, dict) and body.get("status") == "succeeded"
        rows = 0
        if ok:
            path = urllib.parse.urlsplit(body["download_url"]).path
            status, headers, content = api.request(BALANCER_PORT, path)
            import openpyxl

            sheet = openpyxl.load_workbook(io.BytesIO(content), read_only=True).worksheets[0]
            rows = sum(
                1
                for row in sheet.iter_rows(values_only=True)
                if any(isinstance(cell, str) and cell.startswith("基准工厂") for cell in row)
            )
        check(
            "the export finished and holds every factory",
            ok and rows == args.factories,
            f"status {body.get('status') if isinstance(body, dict) else status}, "
            f"{rows:,} factory rows for {args.factories:,} factories",
        )
    finally:
        say("stopping …")
        stack.stop_all()
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
        else:
            say(f"logs kept in {work}")
    failed = [name for name, ok, _detail in checks if not ok]
    say(f"\nscale check: {len(checks) - len(failed)}/{len(checks)} checks passed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
