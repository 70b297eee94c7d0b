"""Fixed-window counters in the cache for the public forms (password reset, self-registration, objections).

One mechanism instead of a copy per form: `hit(key, window)` counts this attempt and answers how many the
key has had in the current window, this one included. Keys carry no personal data: callers pass a digest.
"""

from __future__ import annotations

import hashlib

from django.core.cache import cache


def digest(text: str) -> str:
    """A stable, non-reversible key part for an address or an e-mail."""
    return hashlib.sha256(text.encode()).hexdigest()


def hit(key: str, window: int) -> int:
    """Count one attempt on `key` in a window of `window` seconds; the count including this one."""
    cache.add(key, 0, timeout=window)
    try:
        return int(cache.incr(key))
    except ValueError:  # the key expired between add and incr
        cache.set(key, 1, timeout=window)
        return 1
