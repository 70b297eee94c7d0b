"""DRF's settings name classes in this project by dotted path. Django runs its system checks in no fixed
order, so any one of those settings may be the first thing to import its module: each must load when it
is read first, in a fresh interpreter (a half-initialised `accounts.drf` once failed CI this way)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]
PROJECT_SETTINGS = sorted(
    key
    for key, value in settings.REST_FRAMEWORK.items()
    if any(
        str(v).startswith(("accounts.", "factories.", "reporting.", "cultivation."))
        for v in (value if isinstance(value, list) else [value])
    )
)


def test_the_project_names_classes_in_drf_settings() -> None:
    assert {"DEFAULT_PAGINATION_CLASS", "DEFAULT_PARSER_CLASSES", "EXCEPTION_HANDLER"} <= set(
        PROJECT_SETTINGS
    )


@pytest.mark.parametrize("key", PROJECT_SETTINGS)
def test_each_drf_setting_loads_when_it_is_read_first(key: str) -> None:
    script = (
        "import django; django.setup()\n"
        "from rest_framework.settings import api_settings\n"
        f"print(getattr(api_settings, {key!r}))\n"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings"}
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-2000:]
