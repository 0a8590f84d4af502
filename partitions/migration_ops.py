"""The conversion of a plain table into a monthly partitioned one, for the apps'
migrations (PostgreSQL only; on SQLite the operation does nothing and the tables stay
plain). Django's model state is unchanged: same columns, and every constraint and index
keeps the name Django gave it, so a later migration that alters one by name still finds
it.

What the conversion does, in the migration's transaction: create the partitioned table
with the old one's columns, defaults and identity; create the months the rows span, the
months ahead and the default partition; copy the rows; drop the old table; rename the new
one (and its identity sequence) to the old names and move the sequence past the old
one's last value and max(id);
recreate the primary key as (id, key), every unique constraint with the partition key
added where the caller says how (PostgreSQL requires the key in every unique index of a
partitioned table), the check and foreign-key constraints as they were, and every other
index as it was.
"""

from datetime import datetime

from django.db import migrations
from django.utils import timezone

from .services import add_months, create_month, ensure_default, month_of, partition_name
from .tables import PartitionedTable

# Months created ahead by the conversion; the daily task keeps them coming.
AHEAD = 3


def partition_table(
    table: str,
    key: str,
    *,
    unique: dict[str, str] | None = None,
    referenced_by: tuple[str, ...] = (),
) -> migrations.RunPython:
    """Convert ``table`` into one partitioned by month on ``key``.

    ``unique`` gives, by constraint name, the new definition of a unique constraint that
    lacks the key (e.g. ``"UNIQUE (order_id, seq, at)"``); a unique constraint or index
    without the key and not listed stops the migration. ``referenced_by`` names the
    tables whose foreign keys point at this one: those are dropped, and the caller
    recreates them against the new primary key, which includes the key; a foreign key
    from any other table stops the migration."""

    def forwards(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        with schema_editor.connection.cursor() as cursor:
            _convert(
                cursor,
                PartitionedTable(table, key),
                unique=unique or {},
                referenced_by=referenced_by,
                now=timezone.now(),
            )

    return migrations.RunPython(forwards, migrations.RunPython.noop, elidable=False)


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _convert(cursor, spec, *, unique, referenced_by, now: datetime) -> None:
    t, k = spec.table, spec.key
    cursor.execute("SELECT relkind FROM pg_class WHERE oid = %s::regclass", [t])
    if cursor.fetchone()[0] == "p":
        return  # converted already
    cursor.execute(
        "SELECT conname, contype, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE conrelid = %s::regclass ORDER BY contype, conname",
        [t],
    )
    constraints = cursor.fetchall()
    cursor.execute(
        "SELECT c.relname, pg_get_indexdef(i.indexrelid), i.indisunique FROM pg_index i "
        "JOIN pg_class c ON c.oid = i.indexrelid WHERE i.indrelid = %s::regclass "
        "AND NOT EXISTS (SELECT 1 FROM pg_constraint n WHERE n.conindid = i.indexrelid "
        "AND n.conrelid = i.indrelid) ORDER BY c.relname",
        [t],
    )
    indexes = cursor.fetchall()
    for name, _definition, is_unique in indexes:
        if is_unique and name not in unique:
            raise RuntimeError(f"{t}: unique index {name} lacks the partition key {k}")
    cursor.execute(
        "SELECT conname, conrelid::regclass::text FROM pg_constraint "
        "WHERE confrelid = %s::regclass AND contype = 'f'",
        [t],
    )
    for name, other in cursor.fetchall():
        if other not in referenced_by:
            raise RuntimeError(f"{other}.{name} references {t}: say how to recreate it")
        cursor.execute(f"ALTER TABLE {_q(other)} DROP CONSTRAINT {_q(name)}")
    cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [t])
    sequence = cursor.fetchone()[0]
    used = 0  # the last id the old sequence gave: no id is ever used again
    if sequence:
        cursor.execute(f"SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM {sequence}")
        used = cursor.fetchone()[0]

    new = f"{t}__partitioned"
    cursor.execute(
        f"CREATE TABLE {_q(new)} (LIKE {_q(t)} INCLUDING DEFAULTS INCLUDING IDENTITY "
        f"INCLUDING STORAGE INCLUDING COMMENTS) PARTITION BY RANGE ({_q(k)})"
    )
    # The months the rows span (Asia/Shanghai), and the months ahead.
    cursor.execute(
        f"SELECT DISTINCT date_trunc('month', {_q(k)} AT TIME ZONE 'Asia/Shanghai')::date "
        f"FROM {_q(t)}"
    )
    months = {m for (m,) in cursor.fetchall()}
    months |= {add_months(month_of(now), n) for n in range(AHEAD + 1)}
    staged = PartitionedTable(new, k)
    for month in sorted(months):
        create_month(cursor, staged, month)
    ensure_default(cursor, staged)
    cursor.execute(
        "SELECT string_agg(quote_ident(attname), ', ' ORDER BY attnum) FROM pg_attribute "
        "WHERE attrelid = %s::regclass AND attnum > 0 AND NOT attisdropped",
        [t],
    )
    columns = cursor.fetchone()[0]
    cursor.execute(
        f"INSERT INTO {_q(new)} ({columns}) OVERRIDING SYSTEM VALUE SELECT {columns} FROM {_q(t)}"
    )
    cursor.execute(f"DROP TABLE {_q(t)}")
    cursor.execute(f"ALTER TABLE {_q(new)} RENAME TO {_q(t)}")
    # Partitions and the default were named after the staging table: give them theirs.
    for month in sorted(months):
        cursor.execute(
            f"ALTER TABLE {_q(partition_name(new, month))} RENAME TO {_q(partition_name(t, month))}"
        )
    cursor.execute(f"ALTER TABLE {_q(new + '_default')} RENAME TO {_q(t + '_default')}")
    cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [t])
    staged_sequence = cursor.fetchone()[0]
    if sequence and staged_sequence != sequence:
        cursor.execute(f"ALTER SEQUENCE {staged_sequence} RENAME TO {_q(sequence.split('.')[-1])}")
    cursor.execute(
        f"SELECT setval(pg_get_serial_sequence(%s, 'id'), greatest(max(id), %s)) FROM {_q(t)} "
        f"HAVING greatest(max(id), %s) > 0",
        [t, used, used],
    )
    for name, kind, definition in constraints:
        if kind == "p":
            definition = f"PRIMARY KEY (id, {_q(k)})"
        elif kind == "u" and name in unique:
            definition = unique[name]
        elif kind == "u" and f"{k})" not in definition and f"{k}," not in definition:
            raise RuntimeError(f"{t}: unique constraint {name} lacks the partition key {k}")
        cursor.execute(f"ALTER TABLE {_q(t)} ADD CONSTRAINT {_q(name)} {definition}")
    for name, definition, _is_unique in indexes:
        cursor.execute(unique.get(name, definition))
