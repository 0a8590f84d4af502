"""Two indexes for the monthly report's live part (``dispatch.reports``), which reads what
the roll-up does not hold:

- ``rollups_escalation_resolved`` on ``dispatch_escalation (resolved_at, raised_at)``:
  the escalations open at a month's end that are not resolved yet, or were resolved
  since the roll-up's cutoff, raised before the month's end: two short ranges.
- ``rollups_order_cancelled`` on ``disputes_order (cancelled_at)`` for cancelled orders
  only (about 3 % of them): the orders cancelled since the cutoff. Partial, so the
  updates of every other order never touch it.

Both tables are big and written all day, so on PostgreSQL the indexes are built with
``CREATE INDEX CONCURRENTLY`` (the tables stay writable; hence ``atomic = False``), and
an index left invalid by an interrupted build is dropped and built again when the
migration is run again. Elsewhere (SQLite) a plain ``CREATE INDEX``. The indexes are the
database's only: the models belong to the dispatch and disputes apps, whose state does
not list them."""

from django.db import migrations

INDEXES = {
    "rollups_escalation_resolved": "dispatch_escalation (resolved_at, raised_at)",
    "rollups_order_cancelled": "disputes_order (cancelled_at) WHERE state = 'cancelled'",
}


def _invalid(connection, name: str) -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT NOT x.indisvalid FROM pg_class c JOIN pg_index x ON x.indexrelid = c.oid "
            "WHERE c.relname = %s AND pg_table_is_visible(c.oid)",
            [name],
        )
        row = cursor.fetchone()
    return bool(row and row[0])


def add_indexes(apps, schema_editor):
    connection = schema_editor.connection
    postgres = connection.vendor == "postgresql"
    for name, definition in INDEXES.items():
        if not postgres:
            schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {definition}")
            continue
        if _invalid(connection, name):
            schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {name}")
        schema_editor.execute(f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {name} ON {definition}")


def drop_indexes(apps, schema_editor):
    concurrently = "CONCURRENTLY " if schema_editor.connection.vendor == "postgresql" else ""
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX {concurrently}IF EXISTS {name}")


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("rollups", "0001_initial"),
        ("dispatch", "0005_default_subsidy_tiers"),
        ("disputes", "0005_timeline_seq_unique"),
    ]

    operations = [migrations.RunPython(add_indexes, drop_indexes)]
