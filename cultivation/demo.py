"""Demo data for the cultivation pool (filled in below)."""

from __future__ import annotations


def register() -> None:
    return None
