"""The roll-up models moved to supervision with their tables: state only."""

from django.db import migrations


from shishi_mediation.moves import state_only


class Migration(migrations.Migration):

    dependencies = [
        ('supervision', '0001_initial'),
        ('rollups', '0002_report_indexes'),
    ]

    operations = [
        state_only(
            migrations.DeleteModel(
                name='MedianSnapshot',
            ),
            migrations.DeleteModel(
                name='MonthlyRollup',
            ),
        ),
    ]
