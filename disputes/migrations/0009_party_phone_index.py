"""An index on the parties' phones, for the order search by phone
(``disputes.filters.OrderFilter.filter_search``: ``phone IN (…)``).

Built without locking the party table (``shishi_mediation.migration_ops``: on
PostgreSQL concurrently, so not atomic; re-runnable)."""

from django.db import migrations, models

from shishi_mediation.migration_ops import change_indexes

INDEX = models.Index(fields=["phone"], name="party_phone")


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("disputes", "0008_timeline_keyed_hash")]

    operations = [change_indexes("disputes.Party", add=(INDEX,))]
