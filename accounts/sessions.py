"""Sessions read from the cache and written through to the database, surviving a cache outage.

Django's `cached_db` engine already logs a failed cache write on save, but a failed write while loading,
and a failed lookup in `exists` or `delete`, raise — so with Redis down every signed-in request would
answer 500. Here each cache step that fails is logged and the database, which always holds the session,
answers alone.

`delete` (sign-out) is left as Django has it: if the cached copy cannot be removed, sign-out fails
visibly rather than leaving a session that would still open pages once the cache is back.
"""

from __future__ import annotations

import logging
from typing import Any

from django.contrib.sessions.backends import cached_db
from django.contrib.sessions.backends.db import SessionStore as DBStore

log = logging.getLogger(__name__)


class SessionStore(cached_db.SessionStore):
    def load(self) -> dict[str, Any]:
        try:
            return super().load()  # type: ignore[no-any-return]
        except Exception:
            log.warning("session cache unavailable; reading the session from the database", exc_info=True)
            stored = self._get_session_from_db()  # type: ignore[attr-defined]
            return self.decode(stored.session_data) if stored else {}

    def exists(self, session_key: str) -> bool:
        try:
            return super().exists(session_key)  # type: ignore[no-any-return]
        except Exception:
            log.warning("session cache unavailable; checking the database", exc_info=True)
            return DBStore.exists(self, session_key)
