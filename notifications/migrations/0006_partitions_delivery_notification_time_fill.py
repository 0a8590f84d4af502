# Fill the deliveries' notification_created_at from their notifications (re-runnable).

from django.db import migrations

FILL = """
UPDATE dispatch_delivery SET notification_created_at = (
    SELECT n.created_at FROM dispatch_notification n WHERE n.id = dispatch_delivery.notification_id
) WHERE notification_created_at IS NULL
"""


class Migration(migrations.Migration):
    dependencies = [("notifications", "0005_partitions_delivery_notification_time")]

    operations = [migrations.RunSQL(FILL, migrations.RunSQL.noop, elidable=False)]
