"""Indexes for the order lists (disputes/selectors.py ``visible_slice``): each visibility
branch read in the list's order, so a page never sorts a street's orders.

- ``order_street_next_due`` / ``order_unit_next_due``: a street's / a lead unit's open
  orders by the next deadline (the board, the handler list); partial, so they hold only
  the open orders (~2 % of them).
- ``order_street_newest``: a street's orders newest first (the search list).

On PostgreSQL they are built with ``CREATE INDEX CONCURRENTLY`` (the order table stays
writable), so the migration is not atomic; an index left invalid by an interrupted build
is dropped and built again when the migration is run again. Elsewhere (SQLite) a plain
``CREATE INDEX``. The model state gets the same indexes as ``Order.Meta.indexes``."""

from django.db import migrations, models
from django.db.models.functions import Least

OPEN_STATES = ("reported", "dispatched", "signed", "contacted", "met")


def next_due_index(column: str, name: str) -> models.Index:
    return models.Index(
        models.F(column),
        models.Case(
            models.When(state="dispatched", then=models.F("sign_due_at")),
            models.When(state="signed", then=Least("contact_due_at", "meet_due_at")),
            models.When(state="contacted", then=models.F("meet_due_at")),
            default=models.Value(None),
            output_field=models.DateTimeField(),
        ),
        models.F("reported_at"),
        models.F("id"),
        condition=models.Q(state__in=OPEN_STATES),
        name=name,
    )


def indexes() -> list[models.Index]:
    return [
        next_due_index("street", "order_street_next_due"),
        next_due_index("lead_unit", "order_unit_next_due"),
        models.Index(fields=["street", "-reported_at", "-id"], name="order_street_newest"),
    ]


def _pg_index_state(schema_editor, name: str) -> bool | None:
    """True if a valid index of that name exists, False if an invalid one, None if none."""
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            "SELECT x.indisvalid FROM pg_class c JOIN pg_index x ON x.indexrelid = c.oid "
            "WHERE c.relname = %s AND c.relkind = 'i' AND pg_table_is_visible(c.oid)",
            [name],
        )
        row = cursor.fetchone()
    return None if row is None else row[0]


def add_indexes(apps, schema_editor):
    order = apps.get_model("disputes", "Order")
    postgres = schema_editor.connection.vendor == "postgresql"
    for index in indexes():
        if postgres:
            state = _pg_index_state(schema_editor, index.name)
            if state is True:
                continue
            if state is False:
                schema_editor.remove_index(order, index, concurrently=True)
            schema_editor.add_index(order, index, concurrently=True)
        else:
            schema_editor.add_index(order, index)


def remove_indexes(apps, schema_editor):
    order = apps.get_model("disputes", "Order")
    postgres = schema_editor.connection.vendor == "postgresql"
    for index in indexes():
        if postgres:
            schema_editor.remove_index(order, index, concurrently=True)
        else:
            schema_editor.remove_index(order, index)


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("disputes", "0005_timeline_seq_unique")]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunPython(add_indexes, remove_indexes)],
            state_operations=[
                migrations.AddIndex(model_name="order", index=index) for index in indexes()
            ],
        )
    ]
