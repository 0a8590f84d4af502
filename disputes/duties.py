"""Starting, meeting and ending duties (``stages.DUTIES``, ``models.Duty``): the clocks
one unit owes on an order beside the order's own. Called inside the order's transition
(``services._transition``: the order row is locked), never on their own.

A running duty has an alarm (``Alarm`` with ``duty`` = its id) that the sweep moves
through the levels like an order clock's; meeting or ending it deletes the alarm and
resolves its open escalations.
"""

from collections.abc import Iterable
from datetime import datetime, timedelta

from django.utils.translation import gettext as _

from notifications.levels import EscalationLevel
from shishi_mediation.errors import InvalidInput
from shishi_mediation.text import local_iso

from .models import Alarm, Duty, Escalation, Order
from .stages import DUTIES, DUTY, escalation_fire_at


def duty_start(
    *,
    order: Order,
    kind: str,
    unit_id: int,
    at: datetime,
    limit: timedelta,
    due: datetime | None = None,
) -> Duty:
    """Start ``kind`` owed by the unit: due ``limit`` after ``at``, or at ``due`` when
    given (``limit`` then sets when the warning and level 2 fire, as for an order clock:
    a fifth of it before the deadline, all of it after)."""
    if kind not in DUTY:
        raise ValueError(f"unknown duty {kind!r}")
    if limit <= timedelta(0):
        raise InvalidInput({"due_at": _("截止时间必须晚于当前时间。")})
    due = due if due is not None else at + limit
    duty = Duty.objects.create(
        order=order, kind=kind, unit_id=unit_id, started_at=at, limit=limit, due_at=due
    )
    level = EscalationLevel.WARNING
    Alarm.objects.create(
        order=order,
        stage=kind,
        duty=duty.pk,
        level=level,
        fire_at=escalation_fire_at(due=due, limit=limit, level=level),
    )
    return duty


def duty_meet(duty: Duty, *, at: datetime) -> bool:
    """The unit did what it owed at ``at``: on time or not (returned)."""
    if not duty.is_running:
        raise ValueError(f"duty {duty.pk} is not running")
    duty.met_at, duty.on_time = at, at <= duty.due_at
    duty.save(update_fields=["met_at", "on_time"])
    _silence(duty.order_id, [duty.pk], at)
    return duty.on_time


def duties_end(duties: Iterable[Duty], *, at: datetime) -> int:
    """End these duties unmet at ``at`` (those still running): the order went back to the
    queue, closed or was cancelled, or the unit was withdrawn."""
    running = [d for d in duties if d.is_running]
    if not running:
        return 0
    ids = [d.pk for d in running]
    Duty.objects.filter(pk__in=ids).update(ended_at=at)
    for d in running:
        d.ended_at = at
    _silence(running[0].order_id, ids, at)
    return len(ids)


def order_duties_end(order: Order, *, at: datetime, kinds: Iterable[str] | None = None) -> int:
    """End the order's running duties (of ``kinds``, or all)."""
    duties = order.duties.running()
    if kinds is not None:
        duties = duties.filter(kind__in=list(kinds))
    return duties_end(list(duties), at=at)


def order_closing_ends(order: Order, *, at: datetime) -> int:
    """The order closed, was cancelled or merged: what it owed ends, but for the duties
    that run after closing (``DutyClock.after_close``), which only a cancellation or a
    merge ends."""
    if order.state in ("cancelled", "merged"):
        return order_duties_end(order, at=at)
    return order_duties_end(order, at=at, kinds=[d.name for d in DUTIES if not d.after_close])


def _silence(order_id: int, duty_ids: list[int], at: datetime) -> None:
    Alarm.objects.filter(order_id=order_id, duty__in=duty_ids).delete()
    Escalation.objects.filter(order_id=order_id, duty__in=duty_ids, resolved_at=None).update(
        resolved_at=at
    )


def duty_data(duty: Duty) -> dict:
    """The timeline's record of a duty a step started or met."""
    data = {"duty_id": duty.pk, "duty": duty.kind, "due_at": local_iso(duty.due_at)}
    if duty.met_at is not None:
        data["on_time"] = duty.on_time
    return data
