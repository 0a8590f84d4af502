"""Migration helpers for a model that moves to another app with its table.

The move is two state-only migrations (``SeparateDatabaseAndState`` with no database
operations): the old app forgets the model, the new app declares it with the old
``db_table``, so no row is copied and nothing is lost. The model's content type is
relabelled too, so its permissions (and the admin's history) follow it. Used by
migrations, so it imports nothing from the apps.
"""

from django.db import migrations


def state_only(*operations) -> migrations.SeparateDatabaseAndState:
    return migrations.SeparateDatabaseAndState(state_operations=list(operations))


def move_content_types(old_label: str, new_label: str, *models: str) -> migrations.RunPython:
    """Relabel the content types of ``models`` (lower-case names) from the old app to
    the new one. A fresh database has none yet (they are made after migrating)."""

    def forwards(apps, schema_editor):
        _relabel(apps, schema_editor, old_label, new_label)

    def backwards(apps, schema_editor):
        _relabel(apps, schema_editor, new_label, old_label)

    def _relabel(apps, schema_editor, src: str, dst: str) -> None:
        ContentType = apps.get_model("contenttypes", "ContentType")
        db = schema_editor.connection.alias
        taken = set(
            ContentType.objects.using(db)
            .filter(app_label=dst, model__in=models)
            .values_list("model", flat=True)
        )
        ContentType.objects.using(db).filter(app_label=src, model__in=models).exclude(
            model__in=taken
        ).update(app_label=dst)

    return migrations.RunPython(forwards, backwards, elidable=False)
