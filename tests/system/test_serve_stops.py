"""`make run`'s `manage.py serve` stops the web server and the worker promptly on Ctrl+C.

The worker used to share the terminal's process group, took the Ctrl+C as a warm shutdown of its own and
waited for any running task; now the command stops both itself, cold after a short grace, and nothing of
either is left behind.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return Path(f"/proc/{pid}").exists() and "zombie" not in Path(f"/proc/{pid}/status").read_text().lower()


def _descendants(pid: int) -> list[int]:
    out = subprocess.run(["ps", "-eo", "pid=,ppid="], capture_output=True, text=True, check=True).stdout
    children: dict[int, list[int]] = {}
    for line in out.splitlines():
        child, parent = (int(x) for x in line.split())
        children.setdefault(parent, []).append(child)
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


@pytest.mark.timeout(120)
def test_ctrl_c_stops_the_web_server_and_the_worker_within_seconds(tmp_path):
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE"}
    }
    env.update(
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        RUN_DIR=str(tmp_path / "run"),
        PYTHONUNBUFFERED="1",
    )
    log = (tmp_path / "serve.log").open("w+")
    serve = subprocess.Popen(
        [sys.executable, "manage.py", "serve", "--port", str(_free_port())],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # like a terminal: Ctrl+C goes to this process group only
    )
    try:
        deadline = time.monotonic() + 60
        while "Ctrl+C" not in (tmp_path / "serve.log").read_text() and time.monotonic() < deadline:
            assert serve.poll() is None, (tmp_path / "serve.log").read_text()
            time.sleep(0.5)
        time.sleep(3)  # let the worker finish starting its pool and beat
        children = _descendants(serve.pid)
        assert len(children) >= 2, "the web server and the worker run"
        started = time.monotonic()
        os.killpg(serve.pid, signal.SIGINT)
        serve.wait(timeout=30)
        took = time.monotonic() - started
        time.sleep(0.5)
        assert took < 8, f"stopping took {took:.1f} s"
        assert [pid for pid in children if _alive(pid)] == []
        assert "正在停止" in (tmp_path / "serve.log").read_text()
    finally:
        if serve.poll() is None:
            os.killpg(serve.pid, signal.SIGKILL)
        for pid in _descendants(serve.pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
