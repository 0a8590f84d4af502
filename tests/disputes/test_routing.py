"""Dispatch, reassign and return through ``disputes.services``: where an order goes,
the sign clock each starts, the targets they reject."""

from datetime import timedelta

import pytest
from django.utils import timezone

from disputes import services
from disputes.models import (
    EventKind,
    Order,
    State,
)
from disputes.selectors import orders_visible_to
from shishi_mediation.errors import InvalidInput, NotFound
from tests.disputes.lifecycle import (
    HOUR,
    MIN,
    SEC,
    act,
    expect,
    instant,
    last_event,
    later,
    snapshot,
)
from tests.factories import (
    UnitFactory,
)

pytestmark = pytest.mark.django_db


# --- dispatch --------------------------------------------------------------------------------


def test_dispatch_sends_the_order_to_a_unit_and_starts_the_sign_clock(world, t0):
    order = world.report(now=t0)
    at = t0 + 5 * MIN
    result = services.order_dispatch(
        order_id=order.pk,
        actor=world.dispatcher,
        lead_unit_id=world.hb_police.pk,
        assignee_id=world.handler.pk,
        assisting_unit_ids=[world.hb_committee.pk, world.hb_labour.pk],
        note="请派出所牵头",
        now=at,
    )
    assert result.state == State.DISPATCHED

    order = Order.objects.get(pk=order.pk)
    assert order.state == State.DISPATCHED
    assert order.lead_unit == world.hb_police
    assert order.assignee == world.handler
    assert set(order.assisting_units.all()) == {world.hb_committee, world.hb_labour}
    assert order.dispatched_at == at
    assert order.sign_limit == timedelta(minutes=30)
    assert order.sign_due_at == at + timedelta(minutes=30)
    assert order.sign_on_time is None
    assert order.signed_at is None

    event = last_event(order)
    assert (event.kind, event.from_state, event.to_state) == (
        EventKind.DISPATCHED,
        State.REPORTED,
        State.DISPATCHED,
    )
    assert event.actor == world.dispatcher
    assert event.at == at
    assert event.note == "请派出所牵头"
    assert event.data["lead_unit"] == "湖滨派出所"
    assert event.data["assignee"] == "张警官"  # the full name when there is one
    assert sorted(event.data["assisting_units"]) == sorted(
        ["曾坑社区人民调解委员会", "湖滨劳动保障所"]
    )
    assert instant(event.data["sign_due_at"]) == at + timedelta(minutes=30)
    assert "previous_unit" not in event.data


def test_dispatch_without_an_assignee_records_none(world, t0):
    order = world.report(now=t0)
    services.order_dispatch(
        order_id=order.pk, actor=world.dispatcher, lead_unit_id=world.hb_police.pk, now=t0
    )
    order.refresh_from_db()
    assert order.assignee is None
    assert last_event(order).data["assignee"] == ""
    assert last_event(order).data["assisting_units"] == []


def test_dispatch_names_an_assignee_without_full_name_by_username(world, t0):
    order = world.report(now=t0)
    services.order_dispatch(
        order_id=order.pk,
        actor=world.dispatcher,
        lead_unit_id=world.hb_police.pk,
        assignee_id=world.handler2.pk,
        now=t0,
    )
    assert last_event(order).data["assignee"] == "police2"


BAD_TARGETS = {
    "unknown-unit": (lambda w: {"lead_unit_id": 999_999}, "lead_unit"),
    "no-unit": (lambda w: {"lead_unit_id": None}, "lead_unit"),
    "inactive-unit": (lambda w: {"lead_unit_id": UnitFactory(is_active=False).pk}, "lead_unit"),
    # The committee's handler is not in the police station.
    "assignee-of-another-unit": (
        lambda w: {"lead_unit_id": w.hb_police.pk, "assignee_id": w.committee_handler.pk},
        "assignee",
    ),
    # A reporter of the lead unit is not one of its handlers.
    "assignee-not-a-handler": (
        lambda w: {"lead_unit_id": w.fl_police.pk, "assignee_id": w.fl_reporter.pk},
        "assignee",
    ),
    "unknown-assisting": (
        lambda w: {"lead_unit_id": w.hb_police.pk, "assisting_unit_ids": [999_999]},
        "assisting_units",
    ),
    "lead-also-assisting": (
        lambda w: {"lead_unit_id": w.hb_police.pk, "assisting_unit_ids": [w.hb_police.pk]},
        "assisting_units",
    ),
}


@pytest.mark.parametrize("action", ["dispatch", "reassign"])
def test_routing_rejects_bad_targets_naming_the_field(order_in, world, action):
    order = order_in(State.REPORTED if action == "dispatch" else State.DISPATCHED)
    before = snapshot(order.pk)
    service = services.order_dispatch if action == "dispatch" else services.order_reassign
    for case, (kwargs, field) in BAD_TARGETS.items():
        exc = expect(
            InvalidInput,
            lambda kwargs=kwargs: service(
                order_id=order.pk, actor=world.dispatcher, now=later(order), **kwargs(world)
            ),
            f"{action} with {case}",
        )
        assert field in exc.errors, (case, exc.errors)
        assert snapshot(order.pk) == before, case


# --- reassign --------------------------------------------------------------------------------


def test_reassign_moves_the_order_and_restarts_the_sign_clock(order_in, world):
    order = order_in(State.DISPATCHED, assignee=world.handler, assisting_units=[world.hb_labour])
    at = order.dispatched_at + 25 * MIN
    services.order_reassign(
        order_id=order.pk,
        actor=world.dispatcher,
        lead_unit_id=world.hb_committee.pk,
        assignee_id=world.committee_handler.pk,
        assisting_unit_ids=[world.zk_residents.pk],
        note="属邻里纠纷，改派调委会",
        now=at,
    )

    order = Order.objects.get(pk=order.pk)
    assert order.state == State.DISPATCHED
    assert order.lead_unit == world.hb_committee
    assert order.assignee == world.committee_handler
    assert list(order.assisting_units.all()) == [world.zk_residents]
    assert order.dispatched_at == at
    assert order.sign_due_at == at + timedelta(minutes=30)

    event = last_event(order)
    assert (event.kind, event.from_state, event.to_state) == (
        EventKind.REASSIGNED,
        State.DISPATCHED,
        State.DISPATCHED,
    )
    assert event.actor == world.dispatcher
    assert event.note == "属邻里纠纷，改派调委会"
    assert event.data["previous_unit"] == "湖滨派出所"
    assert event.data["lead_unit"] == "曾坑社区人民调解委员会"
    assert instant(event.data["sign_due_at"]) == at + timedelta(minutes=30)

    # The old lead and assisting units lost the order; the new one has it.
    assert not orders_visible_to(world.handler).filter(pk=order.pk).exists()
    assert not orders_visible_to(world.labour_handler).filter(pk=order.pk).exists()
    assert orders_visible_to(world.committee_handler).filter(pk=order.pk).exists()


def test_reassign_restarts_the_sign_clock_for_on_time(order_in, world):
    order = order_in(State.DISPATCHED)
    first_due = order.sign_due_at
    reassigned_at = order.dispatched_at + 25 * MIN
    services.order_reassign(
        order_id=order.pk,
        actor=world.dispatcher,
        lead_unit_id=world.hb_committee.pk,
        now=reassigned_at,
    )
    # Later than the first clock allowed, within the new one.
    sign_at = first_due + 10 * MIN
    services.order_sign(order_id=order.pk, actor=world.committee_handler, now=sign_at)
    order.refresh_from_db()
    assert order.sign_due_at == reassigned_at + timedelta(minutes=30)
    assert order.sign_on_time is True


# --- return ----------------------------------------------------------------------------------


@pytest.mark.parametrize("from_state", [State.DISPATCHED, State.SIGNED])
def test_return_puts_the_order_back_in_the_queue(order_in, world, from_state):
    order = order_in(from_state, assignee=world.handler, assisting_units=[world.hb_committee])
    at = later(order)
    services.order_return(
        order_id=order.pk, actor=world.dispatcher, reason=" 非本单位职责 ", now=at
    )

    order = Order.objects.get(pk=order.pk)
    assert order.state == State.REPORTED
    assert order.lead_unit is None and order.assignee is None
    assert not order.assisting_units.exists()
    assert order.dispatched_at is None and order.signed_at is None
    assert order.sign_due_at is None and order.contact_due_at is None
    assert order.meet_due_at is None and order.sign_on_time is None
    assert order.sign_limit is None and order.contact_limit is None and order.meet_limit is None

    event = last_event(order)
    assert (event.kind, event.from_state, event.to_state, event.actor) == (
        EventKind.RETURNED,
        from_state,
        State.REPORTED,
        world.dispatcher,
    )
    assert event.at == at
    assert event.note == "非本单位职责"
    # Back in the queue, the order waits under a new dispatch deadline from the return.
    assert order.dispatch_due_at == at + timedelta(minutes=30)
    assert order.dispatch_on_time is None
    assert event.data == {
        "returned_by_unit": "湖滨派出所",
        "dispatch_due_at": timezone.localtime(at + timedelta(minutes=30)).isoformat(),
    }

    # Back in the street's queue; gone from the unit that returned it.
    assert orders_visible_to(world.dispatcher).filter(pk=order.pk, state="reported").exists()
    assert not orders_visible_to(world.handler).filter(pk=order.pk).exists()
    assert not orders_visible_to(world.committee_handler).filter(pk=order.pk).exists()
    with pytest.raises(NotFound):
        act("sign", order=order, actor=world.handler, world=world)


@pytest.mark.parametrize("from_state", [State.DISPATCHED, State.SIGNED])
def test_return_then_dispatch_restarts_the_sign_clock(order_in, world, from_state):
    order = order_in(from_state)
    returned_at = later(order)
    services.order_return(
        order_id=order.pk, actor=world.dispatcher, reason="非本单位职责", now=returned_at
    )
    redispatched_at = returned_at + 3 * HOUR
    services.order_dispatch(
        order_id=order.pk,
        actor=world.dispatcher,
        lead_unit_id=world.hb_committee.pk,
        now=redispatched_at,
    )
    order.refresh_from_db()
    assert order.dispatched_at == redispatched_at
    assert order.sign_due_at == redispatched_at + timedelta(minutes=30)
    assert order.sign_on_time is None

    # One second late on the new clock: late, whatever happened on the first round.
    signed_at = redispatched_at + timedelta(minutes=30) + SEC
    services.order_sign(order_id=order.pk, actor=world.committee_handler, now=signed_at)
    order.refresh_from_db()
    assert order.sign_on_time is False
    assert order.contact_due_at == signed_at + timedelta(hours=24)
    assert order.meet_due_at == signed_at + timedelta(hours=48)
    assert order.assignee == world.committee_handler


@pytest.mark.parametrize("reason", ["", "   ", None])
def test_return_requires_a_reason(order_in, world, reason):
    order = order_in(State.SIGNED)
    before = snapshot(order.pk)
    with pytest.raises(InvalidInput) as exc:
        services.order_return(order_id=order.pk, actor=world.handler, reason=reason)
    assert "reason" in exc.value.errors
    assert snapshot(order.pk) == before


def test_dispatcher_can_return_a_dispatched_order_to_the_queue(order_in, world):
    order = order_in(State.DISPATCHED)
    services.order_return(
        order_id=order.pk, actor=world.dispatcher, reason="派错单位", now=later(order)
    )
    order.refresh_from_db()
    assert order.state == State.REPORTED
