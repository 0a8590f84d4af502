"""The index of merged duplicates (重复报单合并): the orders merged into one, for its page
and its API detail. Built without locking the order table
(``shishi_mediation.migration_ops``): on PostgreSQL concurrently, so not atomic."""

from django.db import migrations, models

from shishi_mediation.migration_ops import change_indexes


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("disputes", "0041_order_merge")]

    operations = [
        change_indexes(
            "disputes.Order",
            add=(
                models.Index(
                    fields=["merged_into"],
                    condition=models.Q(merged_into__isnull=False),
                    name="order_merged_into",
                ),
            ),
        )
    ]
