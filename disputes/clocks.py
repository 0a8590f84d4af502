"""The order's clocks as the pages show them: countdowns, urgency, each stage's row."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils import timezone
from django.utils.translation import gettext as _

from notifications.levels import urgency  # noqa: F401 - re-exported for the views
from shishi_mediation.text import duration_text

from .models import Order
from .stages import CLOCK, CLOCKS


@dataclass
class Clock:
    """The running deadline an order is measured against now, for display."""

    stage: str
    label: str
    due: datetime
    limit: timedelta | None
    urgency: str  # "ok", "warning" (past 80% of the limit) or "overdue"
    remaining: timedelta

    @property
    def text(self) -> str:
        if self.urgency == "overdue":
            return _("超时 %(t)s") % {"t": duration_text(-self.remaining)}
        return _("剩余 %(t)s") % {"t": duration_text(self.remaining)}


def order_clock(order: Order, now: datetime | None = None) -> Clock | None:
    """The nearest running deadline (of two due at once, the first in ``CLOCKS``)."""
    now = now or timezone.now()
    running = order.running_clocks()
    if not running:
        return None
    stage, due = min(running.items(), key=lambda item: item[1])
    if due is None:
        return None
    limit = getattr(order, CLOCK[stage].limit_attr)
    return Clock(
        stage=stage,
        label=CLOCK[stage].label,
        due=due,
        limit=limit,
        urgency=urgency(due=due, limit=limit, now=now),
        remaining=due - now,
    )


def stage_rows(order: Order, now: datetime | None = None) -> list[dict]:
    """Each SLA stage of the order: its due time and whether it was met on time, is
    running (with its clock), or has not started."""
    now = now or timezone.now()
    running = order.running_clocks()
    rows = []
    for c in CLOCKS:
        due = getattr(order, c.due_field)
        limit = getattr(order, c.limit_attr)
        row = {
            "stage": c.name,
            "label": c.label,
            "due": due,
            "done_at": getattr(order, c.stops),
            "on_time": getattr(order, c.on_time_field),
            "clock": None,
        }
        if c.name in running and due is not None:
            row["clock"] = Clock(
                stage=c.name,
                label=c.label,
                due=due,
                limit=limit,
                urgency=urgency(due=due, limit=limit, now=now),
                remaining=due - now,
            )
        rows.append(row)
    return rows


def with_clocks(orders, now: datetime | None = None):
    """Attach ``.clock`` to each order of a page (no queries)."""
    now = now or timezone.now()
    for order in orders:
        order.clock = order_clock(order, now)
    return orders
