"""The roll-up rows written before ``received_red`` / ``_yellow`` / ``_green`` existed hold
0 for them: dropped, so the report reads those months live (correct, if slower) until the
next ``rollups_refresh`` (nightly, or ``manage.py refresh_report_rollups``) rebuilds every
row with the colour counts. Re-runnable; the roll-up is a cache of the orders."""

from django.db import migrations


def drop_rollups(apps, schema_editor):
    apps.get_model("supervision", "MonthlyRollup").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("supervision", "0004_rollup_colour")]

    operations = [migrations.RunPython(drop_rollups, migrations.RunPython.noop, elidable=True)]
