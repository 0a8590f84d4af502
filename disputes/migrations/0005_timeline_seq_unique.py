from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("disputes", "0004_backfill_timeline_chain")]

    operations = [
        migrations.AlterField(
            model_name="orderevent",
            name="seq",
            field=models.PositiveIntegerField(editable=False, verbose_name="序号"),
        ),
        migrations.AddConstraint(
            model_name="orderevent",
            constraint=models.UniqueConstraint(
                fields=("order", "seq"), name="order_event_seq_unique"
            ),
        ),
    ]
