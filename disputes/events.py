"""The one writer of timeline events, one at a time (the transitions) or in bulk (the
sweep), inside the transaction of the change they record.

The caller holds the orders' row locks (the transition services and the sweep do), so
the events of one order are numbered and chained one after the other, and the order's
head (``timeline_seq``, ``timeline_hash``) moves with them.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from notifications.levels import EscalationLevel
from shishi_mediation.bulk import insert_rows, update_rows

from .chain import chain_event, event_hash
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


@dataclass(frozen=True, slots=True)
class NewEvent:
    """An event to append in bulk (``append_events``); no actor, no state change."""

    order_id: int
    kind: str
    at: datetime
    note: str
    data: dict[str, Any]


def append_events(events: list[NewEvent], *, heads: dict[int, tuple[int, str]]) -> None:
    """Append ``events`` in their order, each after its order's head in ``heads``
    (order id → (seq, hash), moved as they are chained): one insert for the events and
    one update for the heads. The order rows change in no indexed column, so PostgreSQL
    updates them in place (HOT)."""
    rows = []
    for e in events:
        seq, prev = heads[e.order_id]
        seq += 1
        digest = event_hash(
            prev=prev,
            order_id=e.order_id,
            seq=seq,
            kind=str(e.kind),
            actor_id=None,
            at=e.at,
            from_state="",
            to_state="",
            note=e.note,
            data=e.data,
        )
        heads[e.order_id] = (seq, digest)
        rows.append((e.order_id, e.kind, None, e.at, "", "", e.note, e.data, seq, digest))
    insert_rows(OrderEvent, _EVENT_COLUMNS, rows)
    update_rows(
        Order,
        ("timeline_seq", "timeline_hash"),
        [(pk, *heads[pk]) for pk in dict.fromkeys(e.order_id for e in events)],
    )


_EVENT_COLUMNS = ("order", "kind", "actor", "at", "from_state", "to_state", "note", "data")
_EVENT_COLUMNS += ("seq", "hash")
