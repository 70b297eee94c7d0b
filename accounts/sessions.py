"""Sessions live in the database alone, so ending one there ends it everywhere.

The former engine kept a copy in Redis (Django's `cached_db`). Sign-out then had to reach two stores:
with Redis down it answered 500 after deleting the database row but not the cached copy, and when Redis
came back with its data the old cookie opened pages again (issue 13, finding 2). A cached copy may only
be honoured after asking the database whether its row still exists — the very query the cache saves —
and Redis restored from an older snapshot can bring back a copy even after a delete that succeeded. So
the database is read directly: one primary-key lookup per request, no Redis step that can fail at
sign-out, and copies the former engine left in Redis are never read.
"""

from __future__ import annotations

from django.contrib.sessions.backends import db


class SessionStore(db.SessionStore):
    """A session is valid exactly while its database row exists and has not expired."""
