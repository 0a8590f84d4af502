"""Timeline events, written inside the transaction of the change they record.

The caller holds the order's row lock (the transition services do), so events of one
order are numbered and chained one after the other.
"""

from datetime import datetime
from typing import Any

from notifications.levels import EscalationLevel

from .chain import chain_event
from .models import EventKind, Order, OrderEvent


def event_label(event: OrderEvent) -> str:
    """An event's name on the timeline (page and API): an escalation is named by its
    level (临期预警, 一级督办, 二级督办), any other event by its kind."""
    if event.kind == EventKind.ESCALATED:
        level = (event.data or {}).get("level")
        if level in EscalationLevel.values:
            return str(EscalationLevel(level).label)
    return str(EventKind(event.kind).label) if event.kind in EventKind.values else event.kind


def record_event(
    *,
    order: Order,
    kind: EventKind,
    actor,
    at: datetime,
    from_state: str = "",
    to_state: str = "",
    note: str = "",
    data: dict[str, Any] | None = None,
) -> OrderEvent:
    event = OrderEvent(
        order=order,
        kind=kind,
        actor=actor,
        at=at,
        from_state=from_state,
        to_state=to_state,
        note=note,
        data=data or {},
    )
    chain_event(event, prev=order.timeline_hash, seq=order.timeline_seq + 1)
    event.save()
    order.timeline_seq, order.timeline_hash = event.seq, event.hash
    Order.objects.filter(pk=order.pk).update(
        timeline_seq=order.timeline_seq, timeline_hash=order.timeline_hash
    )
    return event
