"""Set-based writes for the periodic jobs (the SLA sweep, its notices, the outbox worker).

``bulk_create``/``bulk_update`` build a model instance per row and render
``CASE WHEN id = … THEN …`` per row and column; at thousands of rows that Python is most
of a sweep's time. These write plain tuples in one statement per batch. On PostgreSQL
each column travels as one array parameter (``unnest``), which the server parses far
faster than thousands of literals; elsewhere (SQLite, the embedded default) as a
``VALUES`` list, values prepared by the model's fields exactly as the ORM prepares them.
"""

import json
from collections.abc import Sequence

from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.db.models import Model

# Values of these fields go to the database as they are; the others (dates, durations,
# JSON, UUIDs) are converted by their field as the ORM would.
_AS_IS = {
    "AutoField",
    "BigAutoField",
    "BigIntegerField",
    "BooleanField",
    "CharField",
    "ForeignKey",
    "IntegerField",
    "PositiveIntegerField",
    "PositiveSmallIntegerField",
    "SmallIntegerField",
    "TextField",
}


def _fields(model: type[Model], names: Sequence[str]):
    return [model._meta.get_field(name) for name in names]


def _chunks(fields, rows: Sequence[Sequence]):
    size = max(connection.ops.bulk_batch_size(fields, rows) or len(rows), 1)
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


def _prepared(fields, rows) -> list:
    conn = connections[DEFAULT_DB_ALIAS]  # the ``connection`` proxy costs a lookup per use
    preps = [
        None
        if {f.get_internal_type(), getattr(f, "target_field", f).get_internal_type()} <= _AS_IS
        else f.get_db_prep_save
        for f in fields
    ]
    params = []
    for row in rows:
        params.extend(
            v if prep is None else prep(v, conn) for prep, v in zip(preps, row, strict=True)
        )
    return params


def _quoted(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _array_item_writer(field):
    """How one column's values are written as elements of a PostgreSQL array literal."""
    kind = field.get_internal_type()
    if kind == "JSONField":
        encoder = field.encoder
        return lambda v: _quoted(json.dumps(v, cls=encoder))
    if kind == "BooleanField":
        return lambda v: "t" if v else "f"
    if kind == "DurationField":
        return lambda v: f'"{v.total_seconds()} seconds"'
    if kind in ("DateTimeField", "DateField"):
        written: dict = {}  # a batch repeats its ``now`` in every row

        def write(v) -> str:
            text = written.get(v)
            if text is None:
                text = written[v] = v.isoformat()
            return text

        return write
    if kind in ("CharField", "TextField", "SlugField", "EmailField", "UUIDField"):
        return lambda v: _quoted(str(v))
    return str  # numbers and keys


def _arrays(fields, rows) -> tuple[str, list[str]]:
    """``unnest(%s::type[], …)`` and its parameters: one array literal per column."""
    params = []
    for field, column in zip(fields, zip(*rows, strict=True), strict=True):
        write = _array_item_writer(field)
        params.append("{" + ",".join("NULL" if v is None else write(v) for v in column) + "}")
    sql = "unnest(" + ", ".join(f"%s::{f.db_type(connection)}[]" for f in fields) + ")"
    return sql, params


def insert_rows(
    model: type[Model],
    names: Sequence[str],
    rows: Sequence[Sequence],
    *,
    returning: Sequence[str] = (),
    ignore_conflicts: bool = False,
) -> list[tuple]:
    """Insert the rows; with ``ignore_conflicts`` a row that breaks a unique constraint is
    skipped (``ON CONFLICT DO NOTHING``) and only the rows inserted come back from
    ``returning``."""
    if not rows:
        return []
    qn = connection.ops.quote_name
    fields = _fields(model, names)
    head = f"INSERT INTO {qn(model._meta.db_table)} ({', '.join(qn(f.column) for f in fields)})"
    tail = " ON CONFLICT DO NOTHING" if ignore_conflicts else ""
    if returning:
        tail += " RETURNING " + ", ".join(qn(f.column) for f in _fields(model, returning))
    out: list[tuple] = []
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            source, params = _arrays(fields, rows)
            batches = [(f"{head} SELECT * FROM {source}{tail}", params)]
        else:
            placeholder = "(" + ", ".join(["%s"] * len(fields)) + ")"
            batches = [
                (
                    f"{head} VALUES {', '.join([placeholder] * len(chunk))}{tail}",
                    _prepared(fields, chunk),
                )
                for chunk in _chunks(fields, rows)
            ]
        for sql, params in batches:
            cur.execute(sql, params)
            if returning:
                out.extend(cur.fetchall())
    return out


def update_rows(model: type[Model], names: Sequence[str], rows: Sequence[Sequence]) -> int:
    """Set each row's columns by primary key: ``rows`` are (pk, value, …) in the order of
    ``names``."""
    if not rows:
        return 0
    qn = connection.ops.quote_name
    pk = model._meta.pk
    fields = [pk, *_fields(model, names)]
    table = qn(model._meta.db_table)
    columns = [f"c{i}" for i in range(len(fields))]
    sets = ", ".join(f"{qn(f.column)} = v.{columns[i]}" for i, f in enumerate(fields) if i)
    where = f"{table}.{qn(pk.column)} = v.c0"
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            source, params = _arrays(fields, rows)
            cur.execute(
                f"UPDATE {table} SET {sets} FROM {source} AS v ({', '.join(columns)}) "
                f"WHERE {where}",
                params,
            )
            return cur.rowcount
        updated = 0
        placeholder = "(" + ", ".join(["%s"] * len(fields)) + ")"
        named = ", ".join(f"column{i + 1} AS {c}" for i, c in enumerate(columns))
        for chunk in _chunks(fields, rows):
            values = ", ".join([placeholder] * len(chunk))
            # (Not a WITH clause: sqlite3 reports no row count for a statement opening so.)
            cur.execute(
                f"UPDATE {table} SET {sets} FROM (SELECT {named} FROM (VALUES {values})) AS v "
                f"WHERE {where}",
                _prepared(fields, chunk),
            )
            updated += cur.rowcount
        return updated
