"""Existing orders get their colour (``disputes.colours.colour_for``): red for high risk,
yellow for medium risk or a vulnerable party, green (the column's default) otherwise.

One UPDATE per colour, never a loop over orders (the table may hold millions of rows).
Re-runnable: it only raises green orders. Open red orders it makes have no 包案 leader
yet; a dispatcher names one by 改色 (recolour) before they can close.
"""

from django.db import migrations
from django.db.models import Exists, OuterRef, Q


def backfill(apps, schema_editor):
    Order = apps.get_model("disputes", "Order")
    Party = apps.get_model("disputes", "Party")
    Order.objects.filter(risk_level="high").exclude(colour="red").update(colour="red")
    vulnerable = Party.objects.filter(order_id=OuterRef("pk")).filter(
        Q(is_elderly_alone=True)
        | Q(is_disabled=True)
        | Q(has_mental_illness=True)
        | Q(is_minor=True)
    )
    Order.objects.filter(colour="green").filter(
        Q(risk_level="medium") | Q(Exists(vulnerable))
    ).update(colour="yellow")


class Migration(migrations.Migration):
    dependencies = [("disputes", "0027_colour_grades")]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop, elidable=True)]
