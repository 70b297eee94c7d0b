"""A gunicorn worker imports ``config.wsgi``: the views are loaded before its first request, and what was
loaded is set aside from the cyclic garbage collector (issue 19, cold pages), in a fresh interpreter."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_importing_the_wsgi_module_loads_the_views_and_freezes_what_was_loaded() -> None:
    script = (
        "import gc, sys\n"
        "import config.wsgi\n"
        "print(gc.get_freeze_count())\n"
        "print('reporting.views' in sys.modules, 'factories.views' in sys.modules)\n"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings"}
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    frozen, loaded = done.stdout.split("\n")[:2]
    assert int(frozen) > 50_000
    assert loaded == "True True"
