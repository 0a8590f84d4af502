"""The small configuration tables an order shows (units, areas, categories), held per
process and looked up by id: list pages, the order API and the filter form name them
without a join or a query.

They are tens to hundreds of rows, edited now and then in the admin. Saving or deleting
one clears this process's copy and moves a version number in Django's cache, which every
process compares at most once a second: with a shared cache (Redis, as production sets
``CACHE_URL``) the other workers reload within a second; with a per-process cache
(``locmem``, the default) after ``MAX_AGE`` at the latest. Rows are shared between
requests: read them, never change them.
"""

import threading
import time

from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_delete, post_save

from dispatch.models import Area, Category, Unit

MODELS = (Unit, Area, Category)
VERSION_KEY = "disputes.reference.version"
CHECK_EVERY = 1.0  # seconds between looks at the shared version
MAX_AGE = 300.0  # seconds a copy is kept even if no version change is seen

_lock = threading.Lock()
_tables: dict[type, dict[int, object]] = {}
_loaded_at = 0.0
_checked_at = 0.0
_version = None


def _current() -> dict[type, dict[int, object]]:
    """This process's copy, reloaded when another process changed a table (or it aged)."""
    global _checked_at, _loaded_at, _version
    now = time.monotonic()
    if _tables and now - _checked_at < CHECK_EVERY:
        return _tables
    version = cache.get(VERSION_KEY)
    with _lock:
        _checked_at = now
        if _tables and version == _version and now - _loaded_at < MAX_AGE:
            return _tables
        _tables.clear()
        _version, _loaded_at = version, now
    return _tables


def _load(model) -> dict[int, object]:
    rows = {obj.pk: obj for obj in model._default_manager.all()}
    _current()[model] = rows
    return rows


def _table(model) -> dict[int, object]:
    rows = _current().get(model)
    return rows if rows is not None else _load(model)


def get(model, pk):
    """The row of ``model`` with this id (``None`` for ``None``); a table is read again
    when it lacks the id (a row added since), and a missing row raises DoesNotExist."""
    if pk is None:
        return None
    row = _table(model).get(pk)
    if row is None:
        row = _load(model).get(pk)
    if row is None:
        raise model.DoesNotExist(f"{model.__name__} {pk} does not exist")
    return row


def attach(objs, *fields: str) -> None:
    """Set the foreign keys ``fields`` of each object (to units, areas or categories)
    from this process's copy, as ``select_related`` would from a join."""
    for obj in objs:
        for name in fields:
            field = obj._meta.get_field(name)
            field.set_cached_value(obj, get(field.related_model, getattr(obj, field.attname)))


def rows(model) -> list:
    """Every row of ``model``, in its default ordering."""
    return list(_table(model).values())


def _forget() -> None:
    global _checked_at
    with _lock:
        _tables.clear()
        _checked_at = 0.0


def _announce() -> None:
    try:
        cache.incr(VERSION_KEY)
    except ValueError:  # no version yet
        cache.set(VERSION_KEY, 1, None)
    _forget()


def clear(**kwargs) -> None:
    """Forget every table here now, and tell the other processes once the change is
    committed (before that they would read the old rows again). A signal receiver."""
    _forget()
    transaction.on_commit(_announce)


for _model in MODELS:
    post_save.connect(clear, sender=_model, dispatch_uid=f"reference-{_model.__name__}-save")
    post_delete.connect(clear, sender=_model, dispatch_uid=f"reference-{_model.__name__}-delete")
