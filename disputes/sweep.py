"""The SLA sweep: raises each escalation of each running stage exactly once.

Each running stage of an order has an alarm (``disputes.Alarm``): the level it raises
next and when. A sweep locks a capped batch of due alarms, then their orders (SKIP
LOCKED, so a second sweep takes other rows and a transition is never waited on), raises
every level that has come due since (a sweep after hours of downtime catches up), moves
each alarm on or deletes it after the last level, and writes the escalations and their
timeline events, chained after each order's head. The unique constraint on
(order, stage, level, stage due time) is the last word: a row that already exists is
not inserted again, and only the rows this sweep inserted get a timeline event. Their
notices are written right after, by ``disputes.notices.notify_raised``.

Several workers share a large backlog: when the beat task's first batch comes back full,
``share`` asks ``SLA_SWEEP_FANOUT`` more workers of the ``sla`` queue to sweep at the same
instant (``disputes.tasks.run_sla_sweep_batch``); SKIP LOCKED gives each its own batches.

A batch is a handful of set-based statements whatever its size (``shishi_mediation.bulk``):
rows are tuples, not model instances, because at thousands of due stages the per-row
Python of ``bulk_create``/``bulk_update`` was most of the sweep's time.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from notifications.levels import EscalationLevel
from shishi_mediation.bulk import insert_rows, update_rows
from shishi_mediation.text import local_iso

from .events import NewEvent, append_events
from .models import Alarm, Duty, Escalation, EventKind, Order
from .notices import escalation_subject
from .stages import CLOCKS, STAGE_CHOICES, escalation_fire_at

log = logging.getLogger(__name__)

BATCH_SIZE = 1000

_ESCALATION_COLUMNS = (
    "order",
    "stage",
    "duty",
    "level",
    "stage_due_at",
    "fire_at",
    "raised_at",
    "unit",
)


@dataclass
class SweepResult:
    raised: int = 0
    batches: int = 0
    by_level: dict[str, int] = field(default_factory=dict)


def sla_sweep(
    *,
    now: datetime,
    batch_size: int = BATCH_SIZE,
    share: Callable[[int], None] | None = None,
) -> SweepResult:
    """Raise everything due by ``now``. Safe to run twice, concurrently, or late.

    ``share(k)``, when given, is called once, as soon as the first batch is found full
    (more may wait), with k = ``settings.SLA_SWEEP_FANOUT``: it should start k more sweeps
    at the same ``now`` elsewhere. They start while this batch is still locked, so they take
    the next ones; if this batch then rolls back they sweep what is due anyway."""
    result = SweepResult()
    fanout = settings.SLA_SWEEP_FANOUT if share else 0

    def found_full() -> None:
        nonlocal fanout
        if fanout > 0:
            share(fanout)
            fanout = 0

    while _sweep_batch(now=now, batch_size=batch_size, result=result, found_full=found_full):
        pass
    if result.raised:
        log.info(
            "sla sweep at %s raised %d escalations %s",
            now.isoformat(),
            result.raised,
            result.by_level,
        )
    return result


_ORDER_COLUMNS = (
    "number",
    "lead_unit_id",
    *(column for c in CLOCKS for column in (c.due_field, c.limit_attr)),
    "timeline_seq",
    "timeline_hash",
)


def _sweep_batch(
    *, now: datetime, batch_size: int, result: SweepResult, found_full: Callable[[], None]
) -> bool:
    """One locked batch of due alarms; True when the batch was full (more may wait).

    The alarm rows, then their orders, are locked with SKIP LOCKED: the sweep never
    waits, and a transition that wants an order or an alarm of this batch waits for it.
    """
    with transaction.atomic():
        alarms = list(
            Alarm.objects.filter(fire_at__lte=now)
            .select_for_update(skip_locked=True, of=("self",))
            .order_by("fire_at", "id")
            .values_list("id", "order_id", "stage", "duty", "level")[:batch_size]
        )
        if not alarms:
            return False
        full = len(alarms) == batch_size
        if full:
            found_full()
        orders = {
            row[0]: _OrderInfo(row)
            for row in Order.objects.filter(pk__in={a[1] for a in alarms})
            .select_for_update(skip_locked=True, of=("self",), no_key=True)
            .values_list("pk", *_ORDER_COLUMNS)
        }
        # An order a transition holds keeps its alarm for the next sweep: the transition
        # may meet the stage, and then nothing is to be raised.
        alarms = [a for a in alarms if a[1] in orders]
        if not alarms:
            return False
        result.batches += 1
        # A duty's clock is its own row's (the order row, locked, guards it too).
        duties = {
            row[0]: row[1:]
            for row in Duty.objects.filter(pk__in={a[3] for a in alarms if a[3]}).values_list(
                "pk", "due_at", "limit", "unit_id"
            )
        }
        wanted, moved, spent = [], [], []
        for alarm_id, order_id, stage, duty, level in alarms:
            if duty:
                due, limit, unit_id = duties[duty]
            else:
                due, limit = orders[order_id].clock(stage)
                unit_id = orders[order_id].lead_unit_id
            while level <= EscalationLevel.LEVEL2:
                fire_at = escalation_fire_at(due=due, limit=limit, level=level)
                if fire_at > now:
                    break
                wanted.append((order_id, stage, duty, level, due, fire_at, now, unit_id))
                level += 1
            if level > EscalationLevel.LEVEL2:
                spent.append(alarm_id)
            else:
                moved.append(
                    (alarm_id, level, escalation_fire_at(due=due, limit=limit, level=level))
                )
        inserted = insert_rows(
            Escalation,
            _ESCALATION_COLUMNS,
            wanted,
            returning=("id", "order", "stage", "duty", "level"),
            ignore_conflicts=True,
        )
        # Timeline events in the order a reader expects: per order, stage, then level.
        inserted.sort(key=lambda e: (e[1], _STAGE_ORDER[e[2]], e[3], e[4]))
        subject = escalation_subject(now=now)
        tz = timezone.get_current_timezone()
        events = []
        for escalation_id, order_id, stage, duty, level in inserted:
            order = orders[order_id]
            due = duties[duty][0] if duty else order.clock(stage)[0]
            data = {
                "escalation_id": escalation_id,
                "stage": stage,
                "level": level,
                "stage_due_at": local_iso(due, tz),
            }
            if duty:
                data["duty_id"] = duty
            note = subject(level, order.number, stage, due)
            events.append(NewEvent(order_id, EventKind.ESCALATED, now, note, data))
        heads = {pk: (info.timeline_seq, info.timeline_hash) for pk, info in orders.items()}
        append_events(events, heads=heads)
        update_rows(Alarm, ("level", "fire_at"), moved)
        if spent:
            Alarm.objects.filter(pk__in=spent).delete()
        result.raised += len(inserted)
        for _id, _order, stage, _duty, level in inserted:
            key = f"{stage}:{level}"
            result.by_level[key] = result.by_level.get(key, 0) + 1
    return full


_STAGE_ORDER = {name: i for i, (name, _label) in enumerate(STAGE_CHOICES)}


class _OrderInfo:
    """The columns of an alarm's order that the sweep reads (``_ORDER_COLUMNS``)."""

    __slots__ = ("id", "number", "lead_unit_id", "clocks", "timeline_seq", "timeline_hash")

    def __init__(self, row: tuple):
        self.id, self.number, self.lead_unit_id = row[:3]
        self.timeline_seq, self.timeline_hash = row[-2:]
        pairs = row[3:-2]
        self.clocks = {c.name: pairs[2 * i : 2 * i + 2] for i, c in enumerate(CLOCKS)}

    def clock(self, stage: str) -> tuple[datetime, timedelta]:
        return self.clocks[stage]


def save_alarms(*, order: Order) -> None:
    """Write the alarm changes a transition noted (``Order.alarm_changes``): an armed stage
    gets its row (replacing a previous clock's), a disarmed one loses it."""
    changes = order.__dict__.pop("_alarm_changes", {})
    armed = [
        Alarm(order=order, stage=stage, duty=0, level=change[0], fire_at=change[1])
        for stage, change in changes.items()
        if change is not None
    ]
    disarmed = [stage for stage, change in changes.items() if change is None]
    if disarmed:
        Alarm.objects.filter(order=order, stage__in=disarmed, duty=0).delete()
    if armed:
        Alarm.objects.bulk_create(
            armed,
            update_conflicts=True,
            unique_fields=["order", "stage", "duty"],
            update_fields=["level", "fire_at"],
        )


def resolve_escalations(*, order: Order, now: datetime) -> int:
    """Resolve the order's open escalations whose stage clock no longer runs (the stage
    was met, the order returned, reassigned, closed or cancelled). Called inside the
    transition's transaction. A duty's are resolved with it (``disputes.duties``)."""
    running = order.running_clocks()
    stale = Escalation.objects.filter(order=order, resolved_at__isnull=True, duty=0)
    for stage, due in running.items():
        stale = stale.exclude(stage=stage, stage_due_at=due)
    return stale.update(resolved_at=now)
