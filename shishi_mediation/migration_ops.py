"""Index changes on big tables, for non-atomic migrations.

On PostgreSQL an index is built with ``CREATE INDEX CONCURRENTLY`` (the table stays
writable while it builds) and dropped with ``DROP INDEX CONCURRENTLY``, so the migration
must say ``atomic = False``. Running it again is harmless: an index already built and
valid is kept, one left invalid by an interrupted build is dropped and built again.
Elsewhere (SQLite) a plain ``CREATE INDEX``. The model state gets the same change as
the model's ``Meta.indexes``. Used by migrations, so it imports nothing from the apps.
"""

from django.db import migrations, models


def change_indexes(
    model: str, *, drop: tuple[models.Index, ...] = (), add: tuple[models.Index, ...] = ()
) -> migrations.SeparateDatabaseAndState:
    """Drop the indexes ``drop`` and build ``add`` on ``model`` ("app_label.Model"); an
    index in both is rebuilt (same name, new definition). Reversible."""
    app_label, model_name = model.split(".")

    def forwards(apps, schema_editor):
        _apply(apps.get_model(app_label, model_name), schema_editor, drop=drop, add=add)

    def backwards(apps, schema_editor):
        _apply(apps.get_model(app_label, model_name), schema_editor, drop=add, add=drop)

    return migrations.SeparateDatabaseAndState(
        database_operations=[migrations.RunPython(forwards, backwards, elidable=False)],
        state_operations=[
            *(migrations.RemoveIndex(model_name=model_name.lower(), name=i.name) for i in drop),
            *(migrations.AddIndex(model_name=model_name.lower(), index=i) for i in add),
        ],
    )


def _apply(model, schema_editor, *, drop, add) -> None:
    postgres = schema_editor.connection.vendor == "postgresql"
    # PostgreSQL builds no index CONCURRENTLY on a partitioned table (the event tables,
    # docs/ARCHITECTURE.md "Partitioned tables"): a plain build, locking it meanwhile.
    concurrently = postgres and not _pg_partitioned(schema_editor, model._meta.db_table)
    kwargs = {"concurrently": True} if concurrently else {}
    rebuilt = {i.name for i in drop} & {i.name for i in add}
    for index in drop:
        if not postgres or _pg_index_state(schema_editor, index.name) is not None:
            schema_editor.remove_index(model, index, **kwargs)
    for index in add:
        if postgres:
            state = _pg_index_state(schema_editor, index.name)
            if state is True and index.name not in rebuilt:
                continue
            if state is not None:
                schema_editor.remove_index(model, index, **kwargs)
        schema_editor.add_index(model, index, **kwargs)


def _pg_index_state(schema_editor, name: str) -> bool | None:
    """True if a valid index of that name exists, False if an invalid one, None if none."""
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            "SELECT x.indisvalid FROM pg_class c JOIN pg_index x ON x.indexrelid = c.oid "
            "WHERE c.relname = %s AND c.relkind IN ('i', 'I') AND pg_table_is_visible(c.oid)",
            [name],
        )
        row = cursor.fetchone()
    return None if row is None else row[0]


def _pg_partitioned(schema_editor, table: str) -> bool:
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT relkind = 'p' FROM pg_class WHERE oid = to_regclass(%s)", [table])
        row = cursor.fetchone()
    return bool(row and row[0])
