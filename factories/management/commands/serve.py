"""manage.py serve: the web server and a Celery worker (with its beat) together, for `make run`."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from factories.demo import DEMO_PASSWORD, DEMO_USERS


class Command(BaseCommand):
    help = "启动网页服务和后台任务进程（Start the web server and a Celery worker)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))

    def handle(self, *args: Any, **options: Any) -> None:
        settings.RUN_DIR.mkdir(parents=True, exist_ok=True)
        for sub in ("broker", "broker-processed"):
            (settings.RUN_DIR / sub).mkdir(parents=True, exist_ok=True)
        python = sys.executable
        # Ctrl+C and a plain `kill` both stop the pair in order, even where SIGINT came in ignored (a
        # command started in the background by a script).
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.signal(signal.SIGTERM, signal.default_int_handler)
        # Both children get their own session, so the terminal's Ctrl+C reaches only this command, which
        # then stops them in order; otherwise Celery also took the Ctrl+C as a warm shutdown and waited
        # for whatever task was running (a minute and more during a grading run or an export).
        worker = subprocess.Popen(
            [
                python,
                "-m",
                "celery",
                "-A",
                "config",
                "worker",
                "-B",
                "--loglevel",
                "WARNING",
                "--concurrency",
                "2",
                "--schedule",
                str(settings.RUN_DIR / "celerybeat-schedule"),
            ],
            start_new_session=True,
        )
        web = subprocess.Popen(
            [python, "manage.py", "runserver", f"{options['host']}:{options['port']}", "--noreload"],
            start_new_session=True,
        )
        try:
            self.announce(options)
            while web.poll() is None and worker.poll() is None:
                time.sleep(0.5)
        except KeyboardInterrupt:
            pass
        finally:
            self.stdout.write("正在停止… / stopping…")
            stop(web, worker)

    def announce(self, options: dict[str, Any]) -> None:
        url = f"http://{'127.0.0.1' if options['host'] in ('0.0.0.0', '') else options['host']}:{options['port']}/"
        time.sleep(2)
        lines = [
            "",
            "=" * 64,
            f"  重庆市绿色工厂平台已启动 / Platform running at: {url}",
            f"  接口文档 / API docs: {url}api/docs/",
            f"  演示账号（密码均为 {DEMO_PASSWORD}）/ demo logins (password {DEMO_PASSWORD}):",
            *[f"    {u.username:<12} {u.description}" for u in DEMO_USERS],
            "  按 Ctrl+C 停止 / press Ctrl+C to stop",
            "=" * 64,
            "",
        ]
        self.stdout.write("\n".join(lines))


GRACE_SECONDS = 1


def stop(web: subprocess.Popen[bytes], worker: subprocess.Popen[bytes]) -> None:
    """The web server at once; the worker with a short warm shutdown, then a cold one (SIGQUIT), and
    after three more seconds the whole process group is killed: stopping takes at most about 4 s.

    A task cut short is safe: every background job runs under the job runner, whose claim lapses without a
    heartbeat and is resumed by the next worker (see accounts/jobs.py)."""
    for process, sig in ((web, signal.SIGTERM), (worker, signal.SIGTERM)):
        if process.poll() is None:
            process.send_signal(sig)
    deadline = time.monotonic() + GRACE_SECONDS
    while worker.poll() is None and time.monotonic() < deadline:
        time.sleep(0.1)
    if worker.poll() is None:
        worker.send_signal(signal.SIGQUIT)
    for process in (web, worker):
        try:
            process.wait(timeout=3)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)  # its own session: the pool's children go with it
            process.wait()
