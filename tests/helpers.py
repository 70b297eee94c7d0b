"""Small helpers shared by tests of different apps."""

from __future__ import annotations


def cold_cache() -> None:
    """Invalidate every data-cache entry, so the next request computes (for tests that count queries:
    the count of a computed page must not depend on the data size; a served page runs none)."""
    from accounts import datacache

    datacache.bump([datacache.EVERYTHING])
