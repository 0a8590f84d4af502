"""The timeline's hash chain: each event's hash covers its content and the previous
event's hash, and the order keeps the head. Editing, inserting or deleting an event in
the database behind the application's back breaks the chain (``verify_timeline``)."""

import hashlib
import json
from datetime import UTC, datetime
from typing import Any


def event_hash(
    *,
    prev: str,
    order_id: int,
    seq: int,
    kind: str,
    actor_id: int | None,
    at: datetime,
    from_state: str,
    to_state: str,
    note: str,
    data: dict[str, Any],
) -> str:
    payload = json.dumps(
        [
            prev,
            order_id,
            seq,
            kind,
            actor_id,
            at.astimezone(UTC).isoformat(),
            from_state,
            to_state,
            note,
            data,
        ],
        ensure_ascii=False,
        sort_keys=True,
        separators=(",", ":"),
    )
    return hashlib.sha256(payload.encode()).hexdigest()


def _hash_of(event, *, prev: str, seq: int) -> str:
    return event_hash(
        prev=prev,
        order_id=event.order_id,
        seq=seq,
        kind=event.kind,
        actor_id=event.actor_id,
        at=event.at,
        from_state=event.from_state,
        to_state=event.to_state,
        note=event.note,
        data=event.data,
    )


def chain_event(event, *, prev: str, seq: int) -> None:
    """Number and hash an unsaved event after the one hashed ``prev``."""
    event.seq, event.hash = seq, _hash_of(event, prev=prev, seq=seq)


def broken_link(order, events) -> str | None:
    """Why the order's stored timeline does not verify, or None when it does."""
    prev, seq = "", 0
    for event in events:
        seq += 1
        if event.seq != seq:
            return f"event #{event.pk}: sequence {event.seq}, expected {seq} (missing event)"
        expected = _hash_of(event, prev=prev, seq=seq)
        if event.hash != expected:
            return f"event #{event.pk} (seq {seq}, {event.kind}): content does not match its hash"
        prev = event.hash
    if (seq, prev) != (order.timeline_seq, order.timeline_hash):
        return f"the order records {order.timeline_seq} events, {seq} found (last event removed?)"
    return None
