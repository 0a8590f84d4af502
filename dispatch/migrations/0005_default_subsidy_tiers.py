"""Seed a default per-case subsidy (以案定补) per grade, so a new install's statement has
rates. Keyed on (grade, effective_from): re-running adds only what is missing and never
changes a rate someone has edited since."""

import datetime
from decimal import Decimal

from django.db import migrations

EFFECTIVE_FROM = datetime.date(2024, 1, 1)
DEFAULT_TIERS = {
    "simple": Decimal("50.00"),  # 简易
    "ordinary": Decimal("100.00"),  # 一般
    "complex": Decimal("200.00"),  # 复杂
    "major": Decimal("500.00"),  # 重大疑难
}


def create_default_tiers(apps, schema_editor):
    SubsidyTier = apps.get_model("dispatch", "SubsidyTier")
    for grade, amount in DEFAULT_TIERS.items():
        SubsidyTier.objects.get_or_create(
            grade=grade, effective_from=EFFECTIVE_FROM, defaults={"amount": amount}
        )


def remove_default_tiers(apps, schema_editor):
    # Only rows still exactly as seeded; an edited rate is someone's data.
    SubsidyTier = apps.get_model("dispatch", "SubsidyTier")
    for grade, amount in DEFAULT_TIERS.items():
        SubsidyTier.objects.filter(
            grade=grade, effective_from=EFFECTIVE_FROM, amount=amount
        ).delete()


class Migration(migrations.Migration):
    dependencies = [("dispatch", "0004_subsidy_tiers")]

    operations = [migrations.RunPython(create_default_tiers, remove_default_tiers)]
