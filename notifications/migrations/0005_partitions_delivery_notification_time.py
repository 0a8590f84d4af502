# A delivery carries its notification's created_at: the partition key of the delivery
# table and half of its foreign key once partitioned (0008). Nullable until 0006 fills it.

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("notifications", "0004_notification_link")]

    operations = [
        migrations.AddField(
            model_name="delivery",
            name="notification_created_at",
            field=models.DateTimeField(editable=False, null=True, verbose_name="通知时间"),
        ),
    ]
