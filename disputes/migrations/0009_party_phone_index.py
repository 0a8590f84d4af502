"""An index on the parties' phones, for the order search by phone
(``disputes.filters.OrderFilter.filter_search``: ``phone IN (…)``).

On PostgreSQL it is built with ``CREATE INDEX CONCURRENTLY`` (the party table stays
writable), so the migration is not atomic; an index left invalid by an interrupted build
is dropped and built again when the migration is run again. Elsewhere (SQLite) a plain
``CREATE INDEX``. The model state gets the same index as ``Party.Meta.indexes``."""

from django.db import migrations, models

INDEX = models.Index(fields=["phone"], name="party_phone")


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


def add_index(apps, schema_editor):
    party = apps.get_model("disputes", "Party")
    if schema_editor.connection.vendor != "postgresql":
        schema_editor.add_index(party, INDEX)
        return
    state = _pg_index_state(schema_editor, INDEX.name)
    if state is True:
        return
    if state is False:
        schema_editor.remove_index(party, INDEX, concurrently=True)
    schema_editor.add_index(party, INDEX, concurrently=True)


def remove_index(apps, schema_editor):
    party = apps.get_model("disputes", "Party")
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.remove_index(party, INDEX, concurrently=True)
    else:
        schema_editor.remove_index(party, INDEX)


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("disputes", "0008_timeline_keyed_hash")]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunPython(add_index, remove_index)],
            state_operations=[migrations.AddIndex(model_name="party", index=INDEX)],
        )
    ]
