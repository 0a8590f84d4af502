"""Seed the default SLA policy (30 min / 24 h / 48 h) so every install has one."""

from django.db import migrations


def create_default(apps, schema_editor):
    SlaPolicy = apps.get_model("dispatch", "SlaPolicy")
    SlaPolicy.objects.get_or_create(
        category=None,
        risk_level="",
        defaults={"sign_minutes": 30, "contact_minutes": 24 * 60, "meet_minutes": 48 * 60},
    )


class Migration(migrations.Migration):
    dependencies = [("dispatch", "0002_initial")]

    operations = [migrations.RunPython(create_default, migrations.RunPython.noop)]
