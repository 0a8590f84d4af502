"""The dispatch clock's indexes: its due time while an order waits in the queue, and the
lists' next-deadline indexes rebuilt so a queued order's next deadline is its dispatch
deadline (the expression must stay that of ``selectors.next_due_expression``).

Built without locking the order table (``shishi_mediation.migration_ops``): on
PostgreSQL concurrently, so not atomic. While the two list indexes are rebuilt the lists
read without them (seconds at a million orders)."""

from django.db import migrations, models
from django.db.models.functions import Least

from shishi_mediation.migration_ops import change_indexes

OPEN_STATES = ["reported", "dispatched", "signed", "contacted", "met"]


def next_due(column: str, name: str, *, queued: bool = True) -> models.Index:
    """The list index; ``queued=False`` is its form before the dispatch clock."""
    queue = [models.When(state="reported", then=models.F("dispatch_due_at"))] if queued else []
    return models.Index(
        models.F(column),
        models.Case(
            *queue,
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


LISTS = (
    next_due("street", "order_street_next_due"),
    next_due("lead_unit", "order_unit_next_due"),
)
OLD_LISTS = (
    next_due("street", "order_street_next_due", queued=False),
    next_due("lead_unit", "order_unit_next_due", queued=False),
)


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("disputes", "0013_dispatch_clock")]

    operations = [
        change_indexes(
            "disputes.Order",
            drop=OLD_LISTS,
            add=(
                models.Index(
                    fields=["dispatch_due_at"],
                    condition=models.Q(state="reported"),
                    name="order_dispatch_due_open",
                ),
                *LISTS,
            ),
        )
    ]
