"""Existing parties, orders and incidents get their radar keys (``disputes.radar``) under
the current RADAR_KEY. Re-runnable: rows already right are not written. Existing orders
are not flagged as repeats after the fact (the flag is the radar's finding at report);
their pages show the matches all the same."""

from django.db import migrations


def forwards(apps, schema_editor):
    from disputes.radar_keys import rebuild_keys  # pure functions of the values and the key

    rebuild_keys(
        {
            "disputes.party": apps.get_model("disputes", "Party"),
            "disputes.order": apps.get_model("disputes", "Order"),
            "disputes.incident": apps.get_model("disputes", "Incident"),
        }
    )


class Migration(migrations.Migration):
    dependencies = [("disputes", "0044_radar_keys")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop, elidable=False)]
