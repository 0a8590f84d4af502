"""The monthly report's two indexes that ``rollups`` 0002 built with raw SQL
(``rollups_order_cancelled``, ``rollups_escalation_resolved``) become part of the
models' state, with no change on PostgreSQL. SQLite cannot add a NOT NULL column in
place: Django rebuilds the table and recreates only the indexes its state lists, so
until now such a column (0018) silently dropped these two. On SQLite they are built
again here if an earlier rebuild lost them."""

from django.db import migrations, models
from django.db.models import Q

ORDER_CANCELLED = models.Index(
    name="rollups_order_cancelled", fields=["cancelled_at"], condition=Q(state="cancelled")
)
ESCALATION_RESOLVED = models.Index(
    name="rollups_escalation_resolved", fields=["resolved_at", "raised_at"]
)


def rebuild_on_sqlite(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return
    for model, index in (("Order", ORDER_CANCELLED), ("Escalation", ESCALATION_RESOLVED)):
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = %s", [index.name]
            )
            if cursor.fetchone() is None:
                schema_editor.add_index(apps.get_model("disputes", model), index)


class Migration(migrations.Migration):
    dependencies = [
        ("disputes", "0016_attachment_thumbnail"),
        ("rollups", "0002_report_indexes"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunPython(rebuild_on_sqlite, migrations.RunPython.noop)
            ],
            state_operations=[
                migrations.AddIndex(model_name="order", index=ORDER_CANCELLED),
                migrations.AddIndex(model_name="escalation", index=ESCALATION_RESOLVED),
            ],
        ),
    ]
