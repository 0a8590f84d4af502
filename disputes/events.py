"""Timeline events, written inside the transaction of the change they record."""

from datetime import datetime
from typing import Any

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
    return OrderEvent.objects.create(
        order=order,
        kind=kind,
        actor=actor,
        at=at,
        from_state=from_state,
        to_state=to_state,
        note=note,
        data=data or {},
    )
