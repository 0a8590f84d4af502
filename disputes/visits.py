"""Return visits on a schedule (回访): the visits a closed order owes, as ``visit`` duties
(``stages.DUTIES``) with a ``ScheduledVisit`` row each. Called inside the order's
transition (``services._transition``: the order row is locked), never on their own.

- At closing (``schedule_return_visits``): one visit due ``SlaPolicy.visit_minutes``
  (7 days) after it; a red order also ``RETURN_VISIT_RED_DAYS`` (3 and 30) days after.
- A visit recorded meets the earliest visit still running, on time or late
  (``visit_meet_earliest``).
- An unsatisfied visit or a bad review schedules a second visit (二次回访),
  ``RETURN_VISIT_SECOND_DAYS`` (3) days later, unless one is running already
  (``second_visit_schedule``).

The duty is owed by the unit that handled the order (its lead unit; for a dispute settled
on the spot, its reporter's unit). Its reminders and escalations are the duty machinery's:
the sweep warns at 80 % of the limit, escalates at the due time and again as long after.
"""

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings

from .colours import Colour
from .duties import duties_end, duty_data, duty_meet, duty_start
from .models import Duty, Order, ReturnVisit, ScheduledVisit
from .selectors import sla_policy_for

KIND = "visit"


def visit_unit_id(order: Order) -> int | None:
    """The unit that owes the order's return visits: its lead unit, or for a dispute
    settled on the spot (no lead unit) its reporter's unit; None if neither."""
    if order.lead_unit_id is not None:
        return order.lead_unit_id
    return order.reporter_unit_id if order.on_the_spot else None


def visit_limits(order: Order) -> list[timedelta]:
    """When the visits fall due after closing, soonest first: the policy's limit
    (``SlaPolicy.visit_minutes``, default 7 days); for a red order also each of
    ``RETURN_VISIT_RED_DAYS`` (default 3 and 30 days)."""
    policy = sla_policy_for(
        category_id=order.category_id, risk_level=order.risk_level, colour=order.colour
    )
    limits = {policy.duty_limit(KIND)}
    if order.colour == Colour.RED:
        limits |= {timedelta(days=d) for d in settings.RETURN_VISIT_RED_DAYS if d > 0}
    return sorted(limits)


def _start(order: Order, *, unit_id: int, at: datetime, limit: timedelta, cause: str) -> Duty:
    duty = duty_start(order=order, kind=KIND, unit_id=unit_id, at=at, limit=limit)
    ScheduledVisit.objects.create(
        order=order, duty=duty, cause=cause, second=cause != ScheduledVisit.Cause.CLOSING
    )
    return duty


def schedule_return_visits(order: Order, *, now: datetime) -> list[dict[str, Any]]:
    """At closing: start the order's return visits (``visit_limits``), owed by
    ``visit_unit_id`` (none if no unit). Returns their timeline records, for the closing
    event's data."""
    unit_id = visit_unit_id(order)
    if unit_id is None:
        return []
    return [
        duty_data(
            _start(order, unit_id=unit_id, at=now, limit=limit, cause=ScheduledVisit.Cause.CLOSING)
        )
        for limit in visit_limits(order)
    ]


def running_visits(order: Order):
    """The order's visits due and not yet made, soonest first."""
    return order.duties.running().filter(kind=KIND).order_by("due_at", "pk")


def visit_meet_earliest(order: Order, visit: ReturnVisit) -> dict[str, Any] | None:
    """The visit made meets the earliest visit still due (on time if made by its due
    time); None when none is due (an extra visit)."""
    duty = running_visits(order).first()
    if duty is None:
        return None
    duty_meet(duty, at=visit.visited_at)
    ScheduledVisit.objects.filter(duty=duty).update(visit=visit)
    return duty_data(duty)


def second_visit_schedule(order: Order, *, now: datetime, cause: str) -> dict[str, Any] | None:
    """An unsatisfied visit or a bad review: a second visit (二次回访) falls due
    ``RETURN_VISIT_SECOND_DAYS`` days from ``now``, unless a second visit is due already
    (one at a time), the dispute was reopened as a new order (visited there), or no unit
    owes the order's visits. Its timeline record, or None."""
    unit_id = visit_unit_id(order)
    if unit_id is None or order.reopened_as.exists():
        return None
    if running_visits(order).filter(scheduled_visit__second=True).exists():
        return None
    limit = timedelta(days=settings.RETURN_VISIT_SECOND_DAYS)
    return duty_data(_start(order, unit_id=unit_id, at=now, limit=limit, cause=cause))


def visits_end(order: Order, *, at: datetime) -> int:
    """The dispute was reopened as a new order: the old order's visits still due end."""
    return duties_end(list(running_visits(order)), at=at)
