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
        )
        web = subprocess.Popen(
            [python, "manage.py", "runserver", f"{options['host']}:{options['port']}", "--noreload"],
        )
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
        try:
            while web.poll() is None and worker.poll() is None:
                time.sleep(0.5)
        except KeyboardInterrupt:
            pass
        finally:
            for process in (web, worker):
                if process.poll() is None:
                    process.send_signal(signal.SIGTERM)
            for process in (web, worker):
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()
