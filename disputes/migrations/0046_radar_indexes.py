"""The radar's lookups (``disputes.radar``): partial indexes on the keys (empty keys left
out), each giving the order (or the time) without reading the table; a party's name
with its order for the same-name match. Built without locking the tables
(``shishi_mediation.migration_ops``): on PostgreSQL concurrently, so not atomic."""

from django.db import migrations, models

from shishi_mediation.migration_ops import change_indexes


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("disputes", "0045_radar_keys_backfill")]

    operations = [
        change_indexes(
            "disputes.Order",
            add=(
                models.Index(
                    fields=["address_key", "reported_at"],
                    condition=~models.Q(address_key=""),
                    name="order_radar_address",
                ),
            ),
        ),
        change_indexes(
            "disputes.Party",
            add=(
                models.Index(
                    fields=["phone_key", "order"],
                    condition=~models.Q(phone_key=""),
                    name="party_radar_phone",
                ),
                models.Index(
                    fields=["id_key", "order"],
                    condition=~models.Q(id_key=""),
                    name="party_radar_id",
                ),
                models.Index(fields=["name", "order"], name="party_radar_name"),
            ),
        ),
        change_indexes(
            "disputes.Incident",
            add=(
                models.Index(
                    fields=["caller_phone_key", "received_at"],
                    condition=~models.Q(caller_phone_key=""),
                    name="incident_radar_phone",
                ),
                models.Index(
                    fields=["address_key", "received_at"],
                    condition=~models.Q(address_key=""),
                    name="incident_radar_address",
                ),
                models.Index(
                    fields=["community", "caller_name", "received_at"],
                    name="incident_radar_name",
                ),
            ),
        ),
    ]
