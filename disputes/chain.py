"""The timeline's keyed hash chain (docs/TIMELINE.md).

Each event's link is an HMAC-SHA256, under a key kept out of the database
(``settings.TIMELINE_CHAIN_KEYS``), of its content and the previous event's link; the
order keeps the last link (its head). A link reads ``<key id>:<hex>``, so a chain may span
a key rotation and each event is checked under its own key. Verification also replays
the events into the order's state, outcome, grade, on-time flags and due times and
compares them with the order's row. Editing, inserting or deleting an event, or editing
those fields, in the database behind the application's back is found by
``verify_timeline``; recomputing the chain needs the key.
"""

import hashlib
import hmac
import json
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from django.conf import settings

from .models import EVENT_MOMENTS, RETURN_CLEARS, EventKind
from .stages import CLOCKS

# The order's fields that its timeline vouches for (``timeline_fields``).
VOUCHED_FIELDS = (
    "state",
    "outcome",
    "grade",
    *(c.on_time_field for c in CLOCKS),
    *(c.due_field for c in CLOCKS),
    *(c.met_field for c in CLOCKS if c.met_label),
)


def _payload(content: list) -> bytes:
    return json.dumps(content, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def _content(*, prev, order_id, seq, kind, actor_id, at, from_state, to_state, note, data):
    return [
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
    ]


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
    key_id: str | None = None,
) -> str:
    """The event's link, ``<key id>:<HMAC-SHA256 hex>``, under the current key or
    ``key_id``'s. The key id is part of the signed content."""
    key_id = key_id or settings.TIMELINE_CHAIN_KEY_ID
    content = _content(
        prev=prev,
        order_id=order_id,
        seq=seq,
        kind=kind,
        actor_id=actor_id,
        at=at,
        from_state=from_state,
        to_state=to_state,
        note=note,
        data=data,
    )
    key = settings.TIMELINE_CHAIN_KEYS[key_id].encode()
    digest = hmac.new(key, _payload([key_id, *content]), hashlib.sha256).hexdigest()
    return f"{key_id}:{digest}"


def _fields(event, *, prev: str, seq: int) -> dict[str, Any]:
    return {
        "prev": prev,
        "order_id": event.order_id,
        "seq": seq,
        "kind": event.kind,
        "actor_id": event.actor_id,
        "at": event.at,
        "from_state": event.from_state,
        "to_state": event.to_state,
        "note": event.note,
        "data": event.data,
    }


def _unkeyed_hash(event, *, prev: str, seq: int) -> str:
    """The link of an event written before the chain was keyed (plain SHA-256): only
    ``rechain_timeline`` accepts it, to re-key a chain that was intact."""
    return hashlib.sha256(_payload(_content(**_fields(event, prev=prev, seq=seq)))).hexdigest()


def chain_event(event, *, prev: str, seq: int) -> None:
    """Number and hash an unsaved event after the one hashed ``prev``."""
    event.seq, event.hash = seq, event_hash(**_fields(event, prev=prev, seq=seq))


def relinked(events: Iterable) -> list[str]:
    """The events' links recomputed under the current key, in order (for re-keying a
    chain that verified)."""
    links, prev = [], ""
    for event in events:
        prev = event_hash(**_fields(event, prev=prev, seq=event.seq))
        links.append(prev)
    return links


def _moment(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def timeline_fields(events: Iterable) -> dict[str, Any]:
    """The order's ``VOUCHED_FIELDS`` as its events tell them, replayed in order (the
    events' data carry what each transition set; see ``disputes.services``)."""
    out: dict[str, Any] = dict.fromkeys(VOUCHED_FIELDS)
    out.update(state="", outcome="", grade="")
    for event in events:
        data = event.data or {}
        if event.to_state:
            out["state"] = event.to_state
        moment = EVENT_MOMENTS.get(event.kind)
        for c in CLOCKS:
            own_met = {c.met_field: None} if c.met_label else {}
            if event.kind == EventKind.RETURNED and c.starts in RETURN_CLEARS:
                out.update({c.due_field: None, c.on_time_field: None, **own_met})
            if moment and c.stops == moment and "on_time" in data:
                out[c.on_time_field] = data["on_time"]
                if c.met_label:
                    out[c.met_field] = event.at
            if c.due_field in data:  # the step started this clock (or a pause moved it)
                out.update(
                    {c.due_field: _moment(data[c.due_field]), c.on_time_field: None, **own_met}
                )
        if event.kind == EventKind.CLOSED:
            out.update(outcome=data.get("outcome", ""), grade=data.get("grade", ""))
        if event.kind == EventKind.GRADE_REVIEWED:  # the center confirmed or changed it
            out["grade"] = data.get("grade", out["grade"])
    return out


def _shown(value) -> str:
    return value.isoformat() if isinstance(value, datetime) else repr(value)


def broken_link(order, events: Iterable, *, accept_unkeyed: bool = False) -> str | None:
    """Why the order's stored timeline does not verify, or None when it does. ``order``
    needs ``timeline_seq``, ``timeline_hash`` and the ``VOUCHED_FIELDS``."""
    events = list(events)
    keys = settings.TIMELINE_CHAIN_KEYS
    prev, seq = "", 0
    for event in events:
        seq += 1
        if event.seq != seq:
            return f"event #{event.pk}: sequence {event.seq}, expected {seq} (missing event)"
        key_id, keyed, _digest = event.hash.partition(":")
        if keyed and key_id not in keys:
            return f"event #{event.pk} (seq {seq}): hashed under an unknown key {key_id!r}"
        if keyed:
            expected = event_hash(**_fields(event, prev=prev, seq=seq), key_id=key_id)
        elif accept_unkeyed:
            expected = _unkeyed_hash(event, prev=prev, seq=seq)
        else:
            return (
                f"event #{event.pk} (seq {seq}): unkeyed hash, written before the chain was "
                "keyed (manage.py rechain_timeline re-keys an intact chain)"
            )
        if not hmac.compare_digest(event.hash, expected):
            return f"event #{event.pk} (seq {seq}, {event.kind}): content does not match its hash"
        prev = event.hash
    if (seq, prev) != (order.timeline_seq, order.timeline_hash):
        return f"the order records {order.timeline_seq} events, {seq} found (last event removed?)"
    told = timeline_fields(events)
    for name in VOUCHED_FIELDS:
        if getattr(order, name) != told[name]:
            return (
                f"the order's {name} is {_shown(getattr(order, name))}, "
                f"its timeline says {_shown(told[name])}"
            )
    return None
