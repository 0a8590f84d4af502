"""The repeat-dispute radar (issue 17): keyed hashes of parties' phones and ID numbers,
orders' and incidents' addresses and callers' phones, stored beside the values; an
order's repeat flag and its reasons. Filled by 0038, indexed by 0039."""

from django.db import migrations, models


def key_field():
    return models.CharField(blank=True, default="", editable=False, max_length=32)


class Migration(migrations.Migration):
    dependencies = [("disputes", "0043_merge_map_choices")]

    operations = [
        migrations.AddField(model_name="party", name="phone_key", field=key_field()),
        migrations.AddField(model_name="party", name="id_key", field=key_field()),
        migrations.AddField(model_name="order", name="address_key", field=key_field()),
        migrations.AddField(
            model_name="order",
            name="is_repeat",
            field=models.BooleanField(default=False, editable=False, verbose_name="重复纠纷"),
        ),
        migrations.AddField(
            model_name="order",
            name="repeat_reasons",
            field=models.CharField(blank=True, default="", editable=False, max_length=64),
        ),
        migrations.AddField(model_name="incident", name="caller_phone_key", field=key_field()),
        migrations.AddField(model_name="incident", name="address_key", field=key_field()),
    ]
