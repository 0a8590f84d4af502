"""Cancelling an order through ``disputes.services``."""

import pytest

from disputes import services
from disputes.models import (
    EventKind,
    Order,
    State,
)
from shishi_mediation.errors import InvalidInput
from tests.disputes.lifecycle import (
    last_event,
    later,
    snapshot,
)

pytestmark = pytest.mark.django_db


# --- cancel ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "from_state", [State.REPORTED, State.DISPATCHED, State.SIGNED, State.CONTACTED, State.MET]
)
def test_cancel_from_each_open_state(order_in, world, from_state):
    order = order_in(from_state)
    at = later(order)
    services.order_cancel(order_id=order.pk, actor=world.dispatcher, reason=" 重复报单 ", now=at)
    order = Order.objects.get(pk=order.pk)
    assert order.state == State.CANCELLED
    assert not order.is_open
    assert order.cancelled_at == at
    assert order.cancel_reason == "重复报单"
    event = last_event(order)
    assert (event.kind, event.from_state, event.to_state, event.actor) == (
        EventKind.CANCELLED,
        from_state,
        State.CANCELLED,
        world.dispatcher,
    )
    assert event.note == "重复报单"
    assert event.at == at


@pytest.mark.parametrize("reason", ["", "  "])
def test_cancel_requires_a_reason(order_in, world, reason):
    order = order_in(State.REPORTED)
    before = snapshot(order.pk)
    with pytest.raises(InvalidInput) as exc:
        services.order_cancel(order_id=order.pk, actor=world.dispatcher, reason=reason)
    assert "reason" in exc.value.errors
    assert snapshot(order.pk) == before
