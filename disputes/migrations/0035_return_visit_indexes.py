"""The index of reopened orders (重新调解): the orders that name the one they reopen, for
its page's link and the report's count. Built without locking the order table
(``shishi_mediation.migration_ops``): on PostgreSQL concurrently, so not atomic."""

from django.db import migrations, models

from shishi_mediation.migration_ops import change_indexes


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("disputes", "0034_return_visit_schedule")]

    operations = [
        change_indexes(
            "disputes.Order",
            add=(
                models.Index(
                    fields=["reopened_from"],
                    condition=models.Q(reopened_from__isnull=False),
                    name="order_reopened_from",
                ),
            ),
        )
    ]
