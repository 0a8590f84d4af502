"""The order's alarm columns, copied to ``dispatch.Alarm`` by dispatch 0006, go, as does the
timeline's single-column order index (the (order, seq) index leads with it); and on
PostgreSQL the order table leaves room on each page so that the sweep's and the
timeline's updates of the head columns (no index covers them) can stay on the page
(HOT) instead of adding an entry to every index. Setting the fill factor rewrites
nothing: it applies to pages written from now on."""

import django.db.models.deletion
from django.db import migrations, models


def leave_room(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE disputes_order SET (fillfactor = 85)")


def fill_up(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE disputes_order RESET (fillfactor)")


class Migration(migrations.Migration):
    dependencies = [
        ("disputes", "0006_list_indexes"),
        ("dispatch", "0006_alarms"),
    ]

    operations = [
        migrations.RemoveIndex(model_name="order", name="order_sign_alert"),
        migrations.RemoveIndex(model_name="order", name="order_contact_alert"),
        migrations.RemoveIndex(model_name="order", name="order_meet_alert"),
        migrations.RemoveField(model_name="order", name="contact_alert_at"),
        migrations.RemoveField(model_name="order", name="contact_alert_level"),
        migrations.RemoveField(model_name="order", name="meet_alert_at"),
        migrations.RemoveField(model_name="order", name="meet_alert_level"),
        migrations.RemoveField(model_name="order", name="sign_alert_at"),
        migrations.RemoveField(model_name="order", name="sign_alert_level"),
        migrations.RunPython(leave_room, fill_up),
        # Indexed as the leading column of (order, seq): the single-column index goes.
        migrations.AlterField(
            model_name="orderevent",
            name="order",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="events",
                to="disputes.order",
            ),
        ),
    ]
