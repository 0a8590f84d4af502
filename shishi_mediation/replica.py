"""Reads from a streaming read replica (issue 19), when ``DATABASE_REPLICA_URL`` is set.

- Views that only show figures or lists are marked ``@replica_reads`` (a function view or
  an APIView class; a viewset names its actions: ``@replica_reads(actions=("list",))``).
- ``ReplicaMiddleware`` lets a safe request (GET, HEAD, OPTIONS) to a marked view read
  from the replica; ``ReplicaRouter`` then sends its reads to ``"replica"`` only when the
  replica is healthy, the user has no write the replica has not replayed yet, the
  primary's connection is outside any atomic block, and the model is not one of the
  login/session tables. Every write, and every other read, goes to ``"default"``.
- Read-your-own-write: after a request of a user that wrote on the primary commits, the
  primary's WAL position (``pg_current_wal_insert_lsn()``) is kept in the cache under the
  user's id for ``REPLICA_OWN_WRITE_SECONDS``; the user reads from the replica again once its
  replayed position (``pg_last_wal_replay_lsn()``) has passed it.
- Health: a probe cached for ``REPLICA_CHECK_SECONDS`` (reachable, in recovery, the
  replayed position and how old the last replayed transaction is). It lags when it is
  behind the primary's position *and* its last replay is older than
  ``REPLICA_MAX_LAG_SECONDS`` (an idle primary is no lag). Down or lagging: the primary.
- Never an error: a replica query that fails mid-request marks the replica down and the
  view runs again on the primary. The outage is logged once, and its end once (per cache:
  once in all with a shared ``CACHE_URL``, once per process with the local default).
"""

from __future__ import annotations

import contextlib
import logging
from contextvars import ContextVar
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, InterfaceError, OperationalError, connections, transaction

log = logging.getLogger(__name__)

REPLICA = "replica"
# Login, sessions, tokens, the lockout and content types: always the primary (a login, a
# new token or a lockout must be seen at once by the next request).
PRIMARY_ONLY_APPS = frozenset({"auth", "sessions", "authtoken", "axes", "contenttypes"})
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
HEALTH_KEY = "replica:health"
OUTAGE_KEY = "replica:outage"
WROTE_KEY = "replica:wrote:{}"


# --- marking views ------------------------------------------------------------------------


def replica_reads(view=None, *, actions: tuple[str, ...] | None = None):
    """Mark a view whose safe requests may read from the replica: a function view or an
    APIView class (``@replica_reads``), or some actions of a viewset
    (``@replica_reads(actions=("list", "retrieve"))``)."""

    def mark(view):
        view.replica_reads = frozenset(actions) if actions else True
        return view

    return mark(view) if view is not None else mark


def _marked(view_func, method: str) -> bool:
    marks = getattr(view_func, "replica_reads", None)
    if marks is None:  # DRF's as_view(): the class carries the mark
        marks = getattr(getattr(view_func, "cls", None), "replica_reads", None)
    if marks is True:
        return True
    if marks:  # a viewset: the action this method maps to
        return (getattr(view_func, "actions", None) or {}).get(method.lower()) in marks
    return False


# --- the request's state ------------------------------------------------------------------


@dataclass
class _Scope:
    request: object
    allowed: bool | None = None  # decided at the first routed read
    used: bool = False  # a read went to the replica
    wrote: bool = False  # a write statement ran on the primary
    view: tuple | None = None  # (view, args, kwargs) of a marked view, to run it again


_scope: ContextVar[_Scope | None] = ContextVar("replica_scope", default=None)


# --- positions and health -----------------------------------------------------------------


@dataclass(frozen=True)
class Health:
    up: bool
    replay_lsn: int | None = None  # bytes; None: not known (not PostgreSQL, or a mirror)
    lagging: bool = False
    reason: str = ""

    @property
    def usable(self) -> bool:
        return self.up and not self.lagging


def _is_mirror() -> bool:
    """The alias names the primary's own database (the test mirror): nothing to lag."""
    replica, default = (
        connections[REPLICA].settings_dict,
        connections[DEFAULT_DB_ALIAS].settings_dict,
    )
    return all(replica.get(k) == default.get(k) for k in ("ENGINE", "HOST", "PORT", "NAME"))


def primary_lsn() -> int | None:
    conn = connections[DEFAULT_DB_ALIAS]
    if conn.vendor != "postgresql":
        return None
    with conn.cursor() as cursor:
        # Where the next WAL record goes: past every commit made so far, even one not yet
        # written out (synchronous_commit=off); pg_current_wal_lsn() may be behind it.
        cursor.execute("SELECT (pg_current_wal_insert_lsn() - '0/0'::pg_lsn)::bigint")
        return cursor.fetchone()[0]


def probe() -> Health:
    """Ask the replica (and the primary, for its position) how far it has replayed."""
    if _is_mirror():
        return Health(up=True)
    try:
        conn = connections[REPLICA]
        with conn.cursor() as cursor:
            if conn.vendor != "postgresql":
                cursor.execute("SELECT 1")
                return Health(up=True)
            cursor.execute(
                "SELECT pg_is_in_recovery(),"
                " (pg_last_wal_replay_lsn() - '0/0'::pg_lsn)::bigint,"
                " extract(epoch FROM now() - pg_last_xact_replay_timestamp())"
            )
            in_recovery, replay_lsn, replay_age = cursor.fetchone()
    except (OperationalError, InterfaceError) as exc:
        _close_replica()
        return Health(up=False, reason=f"unreachable: {exc}".strip())
    if not in_recovery:  # promoted, or not a standby at all: its data may have forked
        return Health(up=False, reason="not in recovery")
    lagging = is_lagging(replay_lsn, primary_lsn(), replay_age)
    reason = (
        f"last replay {float(replay_age or 0):.1f} s ago, behind the primary" if lagging else ""
    )
    return Health(up=True, replay_lsn=replay_lsn, lagging=lagging, reason=reason)


def is_lagging(replay_lsn: int | None, primary_lsn: int | None, replay_age) -> bool:
    """Behind the primary's position and nothing replayed for REPLICA_MAX_LAG_SECONDS (an
    idle primary, whose replica has replayed everything, is no lag however old)."""
    if replay_lsn is None or primary_lsn is None or replay_lsn >= primary_lsn:
        return False
    return replay_age is None or float(replay_age) > settings.REPLICA_MAX_LAG_SECONDS


def health(*, fresh: bool = False) -> Health:
    """The cached probe; a new one every ``REPLICA_CHECK_SECONDS`` (or when ``fresh``)."""
    state = None if fresh else cache.get(HEALTH_KEY)
    if state is None:
        state = probe()
        cache.set(HEALTH_KEY, state, settings.REPLICA_CHECK_SECONDS)
        _note_outage(state)
    return state


def mark_down(reason: str) -> None:
    state = Health(up=False, reason=reason)
    cache.set(HEALTH_KEY, state, settings.REPLICA_CHECK_SECONDS)
    _note_outage(state)


def _note_outage(state: Health) -> None:
    """One line when reads leave the replica, one when they come back (any process)."""
    if not state.usable:
        if cache.add(OUTAGE_KEY, state.reason, None):
            log.warning("Read replica unusable, reading from the primary: %s", state.reason)
    elif cache.delete(OUTAGE_KEY):
        log.warning("Read replica usable again")


def _close_replica() -> None:
    with contextlib.suppress(Exception):  # a broken connection may fail to close; it is gone
        connections[REPLICA].close()


def remember_write(user_id: int) -> None:
    """The user wrote: they read the primary until the replica has replayed this far."""
    cache.set(WROTE_KEY.format(user_id), primary_lsn(), settings.REPLICA_OWN_WRITE_SECONDS)


def _caught_up(user_id: int | None, state: Health) -> bool:
    if user_id is None:
        return True
    key = WROTE_KEY.format(user_id)
    sentinel = object()
    wrote_at = cache.get(key, sentinel)
    if wrote_at is sentinel:
        return True
    if wrote_at is None or state.replay_lsn is None:
        return False  # a position cannot be compared: the primary until the key expires
    if state.replay_lsn >= wrote_at:
        return True
    state = health(fresh=True)  # the cached position may be a few seconds old
    return state.usable and state.replay_lsn is not None and state.replay_lsn >= wrote_at


def _allowed(scope: _Scope) -> bool:
    if scope.allowed is None:
        state = health()
        user = getattr(scope.request, "user", None)
        user_id = user.pk if user is not None and user.is_authenticated else None
        scope.allowed = state.usable and _caught_up(user_id, state)
    return scope.allowed


def reads_from() -> str | None:
    """``"replica"`` or ``"primary"`` inside a marked request, else None."""
    scope = _scope.get()
    if scope is None:
        return None
    return "replica" if scope.used else "primary"


# --- the router ---------------------------------------------------------------------------


def _in_transaction() -> bool:
    return connections[DEFAULT_DB_ALIAS].in_atomic_block


class ReplicaRouter:
    """Installed by the settings only when ``DATABASE_REPLICA_URL`` is set."""

    def db_for_read(self, model, **hints):
        scope = _scope.get()
        if (
            scope is None
            or model._meta.app_label in PRIMARY_ONLY_APPS
            or _in_transaction()  # reads inside a transaction see its own writes
            or not _allowed(scope)
        ):
            return DEFAULT_DB_ALIAS
        scope.used = True
        return REPLICA

    def db_for_write(self, model, **hints):
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints):
        if {obj1._state.db, obj2._state.db} <= {DEFAULT_DB_ALIAS, REPLICA}:
            return True
        return None

    def allow_migrate(self, db, app_label, **hints):
        return db == DEFAULT_DB_ALIAS


# --- the middleware -----------------------------------------------------------------------

_WRITES = ("INSERT", "UPDATE", "DELETE", "MERGE")


class ReplicaMiddleware:
    """Sets the request's replica scope for safe requests to marked views; remembers a
    user's write; runs a view again on the primary when the replica failed under it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = _scope.set(None)
        scope = _Scope(request)
        request._replica_scope = scope
        try:
            with connections[DEFAULT_DB_ALIAS].execute_wrapper(_note_writes(scope)):
                response = self.get_response(request)
        finally:
            _scope.reset(token)
        if scope.wrote or request.method not in SAFE_METHODS:
            user = getattr(request, "user", None)
            if user is not None and user.is_authenticated:
                # After the commit: a test's or a caller's open transaction has not written yet.
                transaction.on_commit(lambda: remember_write(user.pk))
        if scope.view is not None:
            response.headers["X-Read-From"] = "replica" if scope.used else "primary"
        return response

    def process_view(self, request, view_func, view_args, view_kwargs):
        if request.method in SAFE_METHODS and _marked(view_func, request.method):
            scope = request._replica_scope
            scope.view = (view_func, view_args, view_kwargs)
            _scope.set(scope)
        return None

    def process_exception(self, request, exception):
        scope = getattr(request, "_replica_scope", None)
        if not (
            scope is not None
            and scope.used
            and isinstance(exception, (OperationalError, InterfaceError))
            and request.method in SAFE_METHODS
        ):
            return None
        mark_down(f"failed mid-request: {exception}".strip())
        _close_replica()
        scope.allowed, scope.used = False, False
        view_func, args, kwargs = scope.view
        return view_func(request, *args, **kwargs)


def _note_writes(scope: _Scope):
    def wrapper(execute, sql, params, many, context):
        if not scope.wrote and sql.lstrip().upper().startswith(_WRITES):
            scope.wrote = True
        return execute(sql, params, many, context)

    return wrapper
