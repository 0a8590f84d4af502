"""The SLA sweep: raises each escalation of each running stage exactly once.

Each order carries, per stage, the instant of its next escalation (``<stage>_alert_at``,
a partial index) and the level it raises. A sweep reads only those columns: for each
stage it locks a capped batch of orders whose instant has passed (SKIP LOCKED, so a
second sweep takes other rows), raises every level that has come due since (a sweep
after hours of downtime catches up), moves the instant on, and writes the escalations,
their timeline events and notifications in bulk. The unique constraint on
(order, stage, level, stage due time) is the last word: a row that already exists is
not inserted again, and only rows this sweep inserted are announced.
"""

import logging
import uuid
from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction

from disputes.chain import chain_event
from disputes.models import EventKind, Order, OrderEvent
from shishi_mediation.text import local_iso

from .models import Escalation, EscalationLevel, Stage, escalation_fire_at
from .notifications import escalation_subject, notify_escalations

log = logging.getLogger(__name__)

BATCH_SIZE = 500


@dataclass
class SweepResult:
    raised: int = 0
    batches: int = 0
    by_level: dict[str, int] = field(default_factory=dict)


def sla_sweep(*, now: datetime, batch_size: int = BATCH_SIZE) -> SweepResult:
    """Raise everything due by ``now``. Safe to run twice, concurrently, or late."""
    result = SweepResult()
    for stage in Stage.values:
        while _sweep_batch(stage=stage, now=now, batch_size=batch_size, result=result):
            pass
    if result.raised:
        log.info(
            "sla sweep at %s raised %d escalations %s",
            now.isoformat(),
            result.raised,
            result.by_level,
        )
    return result


def _sweep_batch(*, stage: str, now: datetime, batch_size: int, result: SweepResult) -> bool:
    """One locked batch of one stage; True when the batch was full (more may wait)."""
    alert_at, alert_level = f"{stage}_alert_at", f"{stage}_alert_level"
    due_field, limit_field = f"{stage}_due_at", f"{stage}_limit"
    token = uuid.uuid4()
    with transaction.atomic():
        orders = list(
            Order.objects.filter(**{f"{alert_at}__lte": now})
            .select_related("community", "assignee")
            .select_for_update(skip_locked=True, of=("self",))
            .order_by(alert_at, "id")[:batch_size]
        )
        if not orders:
            return False
        result.batches += 1
        escalations = []
        for order in orders:
            due, limit = getattr(order, due_field), getattr(order, limit_field)
            level = getattr(order, alert_level)
            while level <= EscalationLevel.LEVEL2:
                fire_at = escalation_fire_at(due=due, limit=limit, level=level)
                if fire_at > now:
                    break
                escalations.append(
                    Escalation(
                        order=order,
                        stage=stage,
                        level=level,
                        stage_due_at=due,
                        fire_at=fire_at,
                        raised_at=now,
                        unit_id=order.lead_unit_id,
                        sweep_token=token,
                    )
                )
                level += 1
            if level > EscalationLevel.LEVEL2:
                setattr(order, alert_at, None)
                setattr(order, alert_level, None)
            else:
                setattr(order, alert_at, escalation_fire_at(due=due, limit=limit, level=level))
                setattr(order, alert_level, level)
        Escalation.objects.bulk_create(escalations, ignore_conflicts=True)
        raised = list(Escalation.objects.filter(sweep_token=token).order_by("order_id", "level"))
        by_id = {o.pk: o for o in orders}
        events = []
        for e in raised:
            order = by_id[e.order_id]
            event = OrderEvent(
                order_id=e.order_id,
                kind=EventKind.ESCALATED,
                actor=None,
                at=now,
                note=escalation_subject(e, order.number),
                data={
                    "escalation_id": e.pk,
                    "stage": e.stage,
                    "level": e.level,
                    "stage_due_at": local_iso(e.stage_due_at),
                },
            )
            # Chained after the order's last event; the rows are locked, so no one else
            # appends to these timelines meanwhile.
            chain_event(event, prev=order.timeline_hash, seq=order.timeline_seq + 1)
            order.timeline_seq, order.timeline_hash = event.seq, event.hash
            events.append(event)
        OrderEvent.objects.bulk_create(events)
        Order.objects.bulk_update(orders, [alert_at, alert_level, "timeline_seq", "timeline_hash"])
        notify_escalations(raised, by_id, now=now)
        result.raised += len(raised)
        for e in raised:
            key = f"{e.stage}:{e.level}"
            result.by_level[key] = result.by_level.get(key, 0) + 1
    return len(orders) == batch_size


def resolve_escalations(*, order: Order, now: datetime) -> int:
    """Resolve the order's open escalations whose stage clock no longer runs (the stage
    was met, the order returned, reassigned, closed or cancelled). Called inside the
    transition's transaction."""
    running = order.running_clocks()
    stale = Escalation.objects.filter(order=order, resolved_at__isnull=True)
    for stage, due in running.items():
        stale = stale.exclude(stage=stage, stage_due_at=due)
    return stale.update(resolved_at=now)
