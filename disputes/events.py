"""Timeline events, written inside the transaction of the change they record.

The caller holds the order's row lock (the transition services do), so events of one
order are numbered and chained one after the other.
"""

from datetime import datetime
from typing import Any

from .chain import chain_event
from .models import EventKind, Order, OrderEvent


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
