from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("notifications", "0006_partitions_delivery_notification_time_fill")]

    operations = [
        migrations.AlterField(
            model_name="delivery",
            name="notification_created_at",
            field=models.DateTimeField(editable=False, verbose_name="通知时间"),
        ),
    ]
