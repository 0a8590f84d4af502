"""Indexes for the order lists (disputes/selectors.py): each visibility
branch read in the list's order, so a page never sorts a street's orders.

- ``order_street_next_due`` / ``order_unit_next_due``: a street's / a lead unit's open
  orders by the next deadline (the board, the handler list); partial, so they hold only
  the open orders (~2 % of them).
- ``order_street_newest``: a street's orders newest first (the search list).

Built without locking the order table (``shishi_mediation.migration_ops``: on
PostgreSQL concurrently, so not atomic; re-runnable)."""

from django.db import migrations, models
from django.db.models.functions import Least

from shishi_mediation.migration_ops import change_indexes

OPEN_STATES = ("reported", "dispatched", "signed", "contacted", "met")


def next_due_index(column: str, name: str) -> models.Index:
    return models.Index(
        models.F(column),
        models.Case(
            models.When(state="dispatched", then=models.F("sign_due_at")),
            models.When(state="signed", then=Least("contact_due_at", "meet_due_at")),
            models.When(state="contacted", then=models.F("meet_due_at")),
            default=models.Value(None),
            output_field=models.DateTimeField(),
        ),
        models.F("reported_at"),
        models.F("id"),
        condition=models.Q(state__in=OPEN_STATES),
        name=name,
    )


def indexes() -> list[models.Index]:
    return [
        next_due_index("street", "order_street_next_due"),
        next_due_index("lead_unit", "order_unit_next_due"),
        models.Index(fields=["street", "-reported_at", "-id"], name="order_street_newest"),
    ]


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("disputes", "0005_timeline_seq_unique")]

    operations = [change_indexes("disputes.Order", add=tuple(indexes()))]
