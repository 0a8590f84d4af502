"""Helpers shared by the service tests (``tests/disputes/test_*.py`` on each service
family): reading an order's timeline, snapshots, and attempting any action."""

from datetime import datetime, timedelta

import pytest

from disputes import services
from disputes.models import (
    Attachment,
    ContactMethod,
    Order,
    OrderEvent,
    Outcome,
)
from notifications.models import Notification

MIN = timedelta(minutes=1)
SEC = timedelta(seconds=1)
HOUR = timedelta(hours=1)


# --- helpers ---------------------------------------------------------------------------------


def timeline(order) -> list[OrderEvent]:
    return list(OrderEvent.objects.filter(order_id=order.pk).order_by("at", "id"))


def instant(value: str) -> datetime:
    """An ISO timestamp from event data, compared as an instant whatever its offset."""
    return datetime.fromisoformat(value)


def last_event(order) -> OrderEvent:
    return timeline(order)[-1]


def snapshot(order_id: int):
    """Everything a user could see change on an order: fields, units, parties, timeline."""
    order = Order.objects.get(pk=order_id)
    fields = {f.attname: getattr(order, f.attname) for f in Order._meta.concrete_fields}
    return (
        fields,
        sorted(order.assisting_units.values_list("pk", flat=True)),
        list(order.parties.order_by("pk").values_list("pk", "confirmed_at")),
        list(
            OrderEvent.objects.filter(order_id=order_id)
            .order_by("pk")
            .values_list("pk", "kind", "from_state", "to_state", "actor_id", "note", "data")
        ),
        list(Attachment.objects.filter(order_id=order_id).values_list("pk", flat=True)),
        list(Notification.objects.filter(order_id=order_id).values_list("pk", flat=True)),
    )


def later(order) -> datetime:
    """An instant after every step the order has been through."""
    stamps = [
        order.reported_at,
        order.dispatched_at,
        order.signed_at,
        order.contacted_at,
        order.met_at,
        order.closed_at,
        order.cancelled_at,
    ]
    return max(s for s in stamps if s) + HOUR


def act(action: str, *, order, actor, world, now=None):
    """Attempt ``action`` with otherwise valid input, as a user pressing its button."""
    now = now or later(order)
    if action == "dispatch":
        return services.order_dispatch(
            order_id=order.pk, actor=actor, lead_unit_id=world.hb_committee.pk, now=now
        )
    if action == "reassign":
        return services.order_reassign(
            order_id=order.pk, actor=actor, lead_unit_id=world.hb_committee.pk, now=now
        )
    if action == "sign":
        return services.order_sign(order_id=order.pk, actor=actor, now=now)
    if action == "return":
        return services.order_return(order_id=order.pk, actor=actor, reason="非本单位职责", now=now)
    if action == "contact":
        return services.order_record_contact(
            order_id=order.pk, actor=actor, method=ContactMethod.PHONE, now=now
        )
    if action == "meet":
        return services.order_record_meeting(
            order_id=order.pk,
            actor=actor,
            place="调解室",
            participants="双方",
            result="达成协议",
            now=now,
        )
    if action == "close":
        # 提交结单: the order awaits every confirmation (``tests.factories.confirm_closing``).
        return services.order_propose_close(
            order_id=order.pk,
            actor=actor,
            outcome=Outcome.WITHDRAWN,
            summary="当事人撤回",
            now=now,
        )
    if action == "cancel":
        return services.order_cancel(order_id=order.pk, actor=actor, reason="重复报单", now=now)
    if action == "note":
        return services.order_add_note(order_id=order.pk, actor=actor, note="补充情况", now=now)
    raise ValueError(action)


ACTIONS = ["dispatch", "reassign", "sign", "return", "contact", "meet", "close", "cancel"]
DISPATCHER_ACTIONS = {"dispatch", "reassign", "return", "cancel"}


def expect(error: type, attempt, what: str):
    """Run ``attempt``; fail, naming ``what``, unless it raises ``error``."""
    try:
        attempt()
    except error as exc:
        return exc
    except Exception as exc:  # noqa: BLE001 - reported with what was tried
        pytest.fail(f"{what}: expected {error.__name__}, got {exc!r}")
    pytest.fail(f"{what}: expected {error.__name__}, but it succeeded")
