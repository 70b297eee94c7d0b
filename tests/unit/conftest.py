"""The unit tests cover pure modules: they run without Django (`-p no:django`), so the project-wide
autouse fixtures that need Django's settings and database are replaced by no-ops here."""

from __future__ import annotations

from collections.abc import Iterator

import pytest


@pytest.fixture(autouse=True)
def _fast_and_eager() -> Iterator[None]:
    yield


@pytest.fixture(autouse=True)
def _reference_data_survives_flushes() -> Iterator[None]:
    yield
