"""The incident desk's non-police share: which of the seeded incident types are police
matters (刑事、治安、交通事故、火灾) and which are not (纠纷、群众求助、无效警情).
Re-runnable; types added by hand keep what the admin chose."""

from django.db import migrations

POLICE_MATTERS = ("XS", "ZA", "JT", "HZ")
NOT_POLICE_MATTERS = ("QZ", "WX")


def set_defaults(apps, schema_editor):
    IncidentType = apps.get_model("disputes", "IncidentType")
    IncidentType.objects.filter(code__in=POLICE_MATTERS).update(is_police_matter=True)
    IncidentType.objects.filter(code__in=NOT_POLICE_MATTERS).update(is_police_matter=False)
    # A dispute is the very thing that is not a police matter (纠纷类警情).
    IncidentType.objects.filter(is_dispute=True).update(is_police_matter=False)


class Migration(migrations.Migration):
    dependencies = [("disputes", "0038_incident_desk")]

    operations = [migrations.RunPython(set_defaults, migrations.RunPython.noop)]
