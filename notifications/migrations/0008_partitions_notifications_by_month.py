# The inbox and the outbox partitioned by month on PostgreSQL (docs/ARCHITECTURE.md,
# "Partitioned tables"); nothing changes on SQLite or in Django's model state.
#
# dispatch_notification: key created_at, primary key (id, created_at).
# dispatch_delivery: key notification_created_at (its notification's month), primary
# key (id, notification_created_at); its foreign key becomes (notification_id,
# notification_created_at) -> dispatch_notification (id, created_at), which also
# proves the copied time right. delivery_once gains notification_created_at: still
# exactly "one delivery per notification and channel", as the notification fixes it.

from django.db import migrations

from partitions.migration_ops import partition_table

# The name Django gave the single-column key (a hash of the table and column names, the
# same on every database): the constraint keeps it.
NAME = "dispatch_delivery_notification_id_8e51399d_fk_dispatch_"
FOREIGN_KEY = f"""
ALTER TABLE dispatch_delivery ADD CONSTRAINT {NAME}
FOREIGN KEY (notification_id, notification_created_at)
REFERENCES dispatch_notification (id, created_at) DEFERRABLE INITIALLY DEFERRED
"""


def add_foreign_key(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_constraint WHERE conname = %s", [NAME])
        if cursor.fetchone() is None:
            cursor.execute(FOREIGN_KEY)


class Migration(migrations.Migration):
    dependencies = [("notifications", "0007_partitions_delivery_notification_time_required")]

    operations = [
        partition_table("dispatch_notification", "created_at", referenced_by=("dispatch_delivery",)),
        partition_table(
            "dispatch_delivery",
            "notification_created_at",
            unique={"delivery_once": "UNIQUE (notification_id, channel, notification_created_at)"},
        ),
        migrations.RunPython(add_foreign_key, migrations.RunPython.noop, elidable=False),
    ]
