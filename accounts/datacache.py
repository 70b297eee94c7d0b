"""Dependency-tracked caching of what pages and API lists read: exact, never stale, shared by all workers.

How it works
------------
Every SQL statement of every connection passes through `_watch` (installed by `install` when a
connection opens):

- A write (INSERT / UPDATE / DELETE on table T) bumps T's *generation* right after it runs, and once more
  when its transaction commits. A statement that cannot be read that simply (DDL, TRUNCATE, a CTE that
  writes) bumps the generation of everything (`*`).
- While `fetch` computes a value, the tables its SELECTs read are recorded.

`fetch(key, compute)` stores the value together with the generations of the tables it read (and `*`),
and serves it again only while every one of those generations is unchanged. A page therefore changes the
moment any row it shows could have changed — including rows written by bulk operations, by the Celery
worker or by another web process — and no list has to name its tables by hand.

Choices:
- Correctness against a write that commits *while* a value is computed: the computation starts by reading
  a global write clock (bumped with every generation) and stores its value only if the clock has not
  moved when it finishes. Under a stream of writes fewer values are stored; none is stored stale.
- The second bump at commit covers readers that computed between the statement and its commit (they
  could not see the write yet); the first bump lets the writing connection itself, inside its
  transaction, see its own write on the next read.
- Generations start from the clock in nanoseconds, so a generation key lost from the cache never comes
  back with a number an old entry was stored under.
- If the cache server is unreachable, values are computed and not stored; writes log and carry on. A
  process that missed a bump invalidates everything before it uses the cache again, so a cache that comes
  back with its old entries (Redis with persistence, a network cut) cannot serve them.
- Only a cache shared by every process can do this: the setting `DATA_CACHE_ENABLED` defaults to on when
  REDIS_URL is set. The single-machine default (per-process memory cache) leaves it off.

What is *not* tracked, and so must be part of the key: who asks (the caller includes the user's identity,
role and unit), the language, and the date (`page_key` adds these).
"""

from __future__ import annotations

import hashlib
import logging
import re
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import EmptyResultSet
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.utils import timezone, translation
from django.utils.functional import cached_property

log = logging.getLogger(__name__)
T = TypeVar("T")

GEN = "dc:gen:"
ENTRY = "dc:v1:"
CLOCK = "dc:clock"
EVERYTHING = "*"
ENTRY_SECONDS = 600

_READ_TABLE = re.compile(r'\b(?:FROM|JOIN)\s+"?([A-Za-z_]\w*)"?', re.IGNORECASE)
_WRITE_TABLE = re.compile(r'^\s*(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+"?([A-Za-z_]\w*)"?', re.IGNORECASE)
_WRITES_IN_CTE = re.compile(r"\b(?:INSERT|UPDATE|DELETE)\b", re.IGNORECASE)
_NOT_DATA = ("SAVEPOINT", "RELEASE", "ROLLBACK", "BEGIN", "COMMIT", "SET ", "SHOW", "EXPLAIN", "SELECT")

_local = threading.local()


def enabled() -> bool:
    return bool(getattr(settings, "DATA_CACHE_ENABLED", False))


# --- what a statement touches ------------------------------------------------------------------------


def written_tables(sql: str) -> tuple[str, ...]:
    """The tables a statement writes: () for reads and transaction control, ('*',) when unsure."""
    head = sql.lstrip()[:9].upper()
    if head.startswith(("INSERT", "UPDATE", "DELETE")):
        match = _WRITE_TABLE.match(sql)
        return (match.group(1),) if match else (EVERYTHING,)
    if head.startswith("WITH"):
        return (EVERYTHING,) if _WRITES_IN_CTE.search(sql) else ()
    if head.startswith(_NOT_DATA) or not head:
        return ()
    return (EVERYTHING,)  # DDL, TRUNCATE, VACUUM, PRAGMA …: forget everything, it is rare


DERIVED: dict[str, set[str]] = {}
"""Summary tables kept by database triggers, with the tables they are kept from (registered by the models that
declare them). The hook never sees a trigger's writes, so a value that read a summary table depends on the
tables whose writes change it."""


def read_tables(sql: str) -> set[str]:
    tables = set(_READ_TABLE.findall(sql))
    for derived in [table for table in tables if table in DERIVED]:
        tables |= DERIVED[derived]
    return tables


# --- the statement hook -------------------------------------------------------------------------------


def _frames() -> list[_Frame]:
    frames = getattr(_local, "frames", None)
    if frames is None:
        frames = _local.frames = []
    return frames


class _Frame:
    __slots__ = ("tables", "wrote")

    def __init__(self) -> None:
        self.tables: set[str] = set()
        self.wrote = False


def _watch(execute: Callable[..., Any], sql: str, params: Any, many: bool, context: dict[str, Any]) -> Any:
    if not enabled():
        return execute(sql, params, many, context)
    frames = _frames()
    if frames:
        tables = read_tables(sql)
        for frame in frames:
            frame.tables |= tables
    result = execute(sql, params, many, context)
    written = written_tables(sql)
    if written:
        for frame in frames:
            frame.wrote = True
        _written(context["connection"], written)
    return result


class _Pending:
    """Tables written in the current transaction, bumped again when it commits."""

    def __init__(self) -> None:
        self.tables: set[str] = set()

    def __call__(self) -> None:
        bump(self.tables)


def _written(connection: Any, tables: Iterable[str]) -> None:
    bump(tables)
    if not connection.in_atomic_block:
        return  # autocommit: the statement has committed, the bump above is the commit bump
    pending: _Pending | None = getattr(connection, "_datacache_pending", None)
    if pending is None or not any(entry[1] is pending for entry in connection.run_on_commit):
        pending = _Pending()
        connection._datacache_pending = pending
        connection.on_commit(pending)
    pending.tables.update(tables)


def install(sender: Any = None, connection: Any = None, **kwargs: Any) -> None:
    """`connection_created` receiver: watch every statement of the new connection (the hook does nothing
    while the setting is off, so tests can switch it per test)."""
    if connection is not None and _watch not in connection.execute_wrappers:
        connection.execute_wrappers.insert(0, _watch)  # outermost; `execute_wrapper()` pops the last


# --- generations --------------------------------------------------------------------------------------


# Set when a bump failed in this process: everything is invalidated once the cache answers again. A process
# starts with it set, since a process that died with a missed bump may have been the one it replaces.
_missed = threading.Event()
_missed.set()


def bump(tables: Iterable[str]) -> None:
    """Mark tables as changed (and move the write clock). Failures are logged, never raised: a write
    must not fail because the cache is away. A failed bump is made good by invalidating everything as soon
    as the cache answers this process again (a cache that kept its entries would otherwise serve them)."""
    tables = set(tables)
    if _missed.is_set():
        tables.add(EVERYTHING)
    keys = [GEN + table for table in tables] + [CLOCK]
    try:
        for key in keys:
            try:
                cache.incr(key)
            except ValueError:
                cache.set(key, time.time_ns(), None)
    except Exception:
        _missed.set()
        log.warning("data cache: could not bump %s", keys, exc_info=True)
    else:
        if EVERYTHING in tables:
            _missed.clear()


def _generations(tables: Iterable[str]) -> tuple[dict[str, int], int | None]:
    """The current generations of `tables` (starting any that are missing) and the write clock."""
    keys = [GEN + table for table in tables]
    found = cache.get_many([*keys, CLOCK])
    clock = found.pop(CLOCK, None)
    for key in keys:
        if key not in found:
            cache.add(key, time.time_ns(), None)
            found[key] = cache.get(key)
    return found, clock


# --- fetch ----------------------------------------------------------------------------------------------


class Uncacheable(Exception):
    """Raised by a computation whose result must be returned but not stored (a redirect, an error page)."""

    def __init__(self, value: Any) -> None:
        super().__init__("uncacheable")
        self.value = value


def _note(tables: Iterable[str]) -> None:
    for frame in _frames():
        frame.tables.update(tables)


def fetch(key: Sequence[Any], compute: Callable[[], T], timeout: int = ENTRY_SECONDS) -> T:
    """The value of `compute()`, from the cache while nothing it read has changed.

    `key` must hold everything else the value depends on (who asks, language, date, parameters).
    A computation that writes is never stored. `Uncacheable(value)` raised inside returns `value`.
    """
    if not enabled():
        try:
            return compute()
        except Uncacheable as stop:
            return stop.value  # type: ignore[no-any-return]
    if _missed.is_set():
        bump([EVERYTHING])
    entry_key = ENTRY + hashlib.sha1(repr(tuple(key)).encode(), usedforsecurity=False).hexdigest()
    try:
        if _missed.is_set():
            raise ConnectionError("the cache missed a write of this process and still does not answer")
        found = cache.get_many([entry_key, CLOCK])  # one round trip for the entry and the write clock
        entry, clock = found.get(entry_key), found.get(CLOCK)
        if entry is not None:
            tables, generations, value = entry
            if cache.get_many(list(generations)) == generations:
                _note(tables)
                return value  # type: ignore[no-any-return]
    except Exception:
        log.warning("data cache: unavailable", exc_info=True)
        clock, entry_key = None, ""
    frame = _Frame()
    _frames().append(frame)
    try:
        value = compute()
    except Uncacheable as stop:
        return stop.value  # type: ignore[no-any-return]
    finally:
        _frames().pop()
        _note(frame.tables)
        if frame.wrote:
            for outer in _frames():
                outer.wrote = True
    if entry_key and not frame.wrote:
        try:
            tables = frame.tables | {EVERYTHING}
            generations, clock_now = _generations(tables)
            if clock_now == clock:
                cache.set(entry_key, (tables, generations, value), timeout)
        except Exception:
            log.warning("data cache: could not store", exc_info=True)
    return value


def scope_key(user: Any) -> tuple[Any, ...]:
    """What a viewer may see (role, unit, enterprise), not who it is: answers that depend only on the scope
    share an entry."""
    return (user.role, user.district_id, user.enterprise_id)


def viewer_key(user: Any) -> tuple[Any, ...]:
    """Who asks, as far as what they may see and how their name shows: part of every page key."""
    return (user.pk, str(user), *scope_key(user))


def page_key(kind: str, request: Any) -> tuple[Any, ...]:
    """The key of a whole page or API answer: path with query, viewer, language and today's date."""
    return (
        kind,
        request.get_full_path(),
        *viewer_key(request.user),
        translation.get_language(),
        timezone.localdate().isoformat(),
    )


def cached_count(queryset: Any) -> int:
    """`queryset.count()`, kept while the tables it reads are unchanged (the COUNT of a 100,000-row
    register costs more than rendering its page)."""
    try:
        sql, params = queryset.query.sql_with_params()
    except EmptyResultSet:
        return 0
    return fetch(("count", queryset.db, sql, tuple(map(repr, params))), queryset.count)


class LargeTablePaginator(Paginator):
    """Django's paginator for registers of 100,000 rows.

    - The total comes from `cached_count` (exact: recounted after any write to the tables it reads), or is
      given (`total=`) by a list that knows it from a summary table.
    - A page is read in two steps: the primary keys of the page first (narrow rows, so a deep OFFSET skips
      keys, not wide rows with their JSON details), then those rows with all their joins, in the same
      order. Querysets this cannot apply to (DISTINCT, UNION, already sliced) are paged as Django does.
    """

    def __init__(self, *args: Any, total: int | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if total is not None:
            self.count = total  # known exactly without counting (a summary table: `known_total`)

    @cached_property
    def count(self) -> int:
        if isinstance(self.object_list, QuerySet):
            return cached_count(self.object_list)
        return super().count

    def page(self, number: Any) -> Any:
        queryset = self.object_list
        query = getattr(queryset, "query", None)
        if (
            not isinstance(queryset, QuerySet)
            or query is None
            or query.distinct
            or query.combinator
            or query.is_sliced
            or getattr(queryset, "_fields", None) is not None  # a values() queryset
        ):
            return super().page(number)
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = min(bottom + self.per_page, self.count)
        if top + self.orphans >= self.count:
            top = self.count
        keys = list(queryset.values_list("pk", flat=True)[bottom:top])
        rows = {row.pk: row for row in queryset.order_by().filter(pk__in=keys)}
        # Paginator._get_page is Django's own hook for building a Page (not in the type stubs).
        return self._get_page([rows[key] for key in keys if key in rows], number, self)  # type: ignore[attr-defined]
