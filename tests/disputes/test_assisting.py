"""Assisting units (协办): each signs for its part within the signing limit and files its
opinion by the meeting deadline; both are duties that escalate to that unit."""

from datetime import timedelta

import pytest

from disputes import services
from disputes.models import Assistance, Duty, EventKind, OrderEvent, State
from disputes.sweep import sla_sweep
from notifications.models import Notification
from shishi_mediation.errors import Conflict, Forbidden, InvalidInput, NotFound
from tests.factories import STEP_OFFSETS, T0, close_jointly

DISPATCHED_AT = T0 + STEP_OFFSETS[State.DISPATCHED]
SIGNED_AT = T0 + STEP_OFFSETS[State.SIGNED]
MIN = timedelta(minutes=1)
US = timedelta(microseconds=1)


def part(order, unit) -> Assistance:
    return Assistance.objects.select_related("sign_duty", "opinion_duty").get(
        order=order, unit=unit, ended_at=None
    )


def assisted(world, state=State.DISPATCHED, units=None):
    return world.order(state, assisting_units=units or [world.hb_committee])


def test_dispatch_sends_each_assisting_unit_its_part_and_tells_it(world):
    order = assisted(world, units=[world.hb_committee, world.hb_labour])
    for unit in (world.hb_committee, world.hb_labour):
        p = part(order, unit)
        assert p.sign_duty.due_at == DISPATCHED_AT + timedelta(minutes=30)
        assert p.sign_duty.kind == "assist_sign" and p.sign_duty.unit == unit
    told = Notification.objects.filter(order=order, kind="assist")
    assert set(told.values_list("recipient__username", flat=True)) == {
        "committee",
        "committee_head",
        "labour",
    }
    assert "请于 11-10 09:35 前签收" in told.first().subject  # Asia/Shanghai


def test_signing_at_the_limit_is_on_time_and_a_microsecond_later_is_late(world):
    a = assisted(world)
    services.order_assist_sign(
        order_id=a.pk, actor=world.committee_handler, now=DISPATCHED_AT + timedelta(minutes=30)
    )
    assert part(a, world.hb_committee).sign_duty.on_time is True
    b = assisted(world)
    services.order_assist_sign(
        order_id=b.pk,
        actor=world.committee_head,
        now=DISPATCHED_AT + timedelta(minutes=30) + US,
    )
    p = part(b, world.hb_committee)
    assert (p.sign_duty.on_time, p.signed_by) == (False, world.committee_head)
    event = OrderEvent.objects.filter(order=b, kind=EventKind.ASSIST_SIGNED).get()
    assert event.data == {"units": ["曾坑社区人民调解委员会"], "on_time": False}


def test_the_sign_duty_escalates_to_the_assisting_unit_not_the_lead(world):
    order = assisted(world)
    sla_sweep(now=DISPATCHED_AT + timedelta(minutes=31))
    duty = part(order, world.hb_committee).sign_duty
    assert sorted(duty_levels(duty)) == [0, 1]


def duty_levels(duty):
    return list(duty.order.escalations.filter(duty=duty.pk).values_list("level", flat=True))


def test_signing_twice_is_a_conflict_and_others_cannot_sign(world):
    order = assisted(world)
    services.order_assist_sign(order_id=order.pk, actor=world.committee_handler, now=DISPATCHED_AT)
    with pytest.raises(Conflict):
        services.order_assist_sign(order_id=order.pk, actor=world.committee_head, now=DISPATCHED_AT)
    with pytest.raises(Forbidden):  # the lead unit's handler has no part
        services.order_assist_sign(order_id=order.pk, actor=world.handler, now=DISPATCHED_AT)
    with pytest.raises(NotFound):  # another street's handler does not see it
        services.order_assist_sign(order_id=order.pk, actor=world.fl_handler, now=DISPATCHED_AT)


def test_the_opinion_falls_due_at_the_meeting_deadline_once_both_have_signed(world):
    order = assisted(world)
    at = DISPATCHED_AT + 3 * MIN
    services.order_assist_sign(order_id=order.pk, actor=world.committee_handler, now=at)
    assert part(order, world.hb_committee).opinion_duty is None  # the lead has not signed
    services.order_sign(order_id=order.pk, actor=world.handler, now=SIGNED_AT)
    order.refresh_from_db()
    duty = part(order, world.hb_committee).opinion_duty
    assert (duty.kind, duty.started_at, duty.due_at) == (
        "assist_opinion",
        SIGNED_AT,
        order.meet_due_at,
    )


def test_an_assisting_unit_signing_after_the_lead_owes_its_opinion_from_then(world):
    order = assisted(world, State.SIGNED)
    at = SIGNED_AT + 10 * MIN
    services.order_assist_sign(order_id=order.pk, actor=world.committee_handler, now=at)
    duty = part(order, world.hb_committee).opinion_duty
    assert (duty.started_at, duty.due_at) == (at, order.meet_due_at)


def test_the_opinion_is_filed_once_after_signing_and_the_lead_is_told(world):
    order = assisted(world, State.SIGNED)
    with pytest.raises(Conflict):
        services.order_assist_opinion(
            order_id=order.pk, actor=world.committee_handler, opinion="x", now=SIGNED_AT
        )
    services.order_assist_sign(order_id=order.pk, actor=world.committee_handler, now=SIGNED_AT)
    with pytest.raises(InvalidInput) as e:
        services.order_assist_opinion(
            order_id=order.pk, actor=world.committee_handler, opinion="  ", now=SIGNED_AT
        )
    assert "opinion" in e.value.errors
    services.order_assist_opinion(
        order_id=order.pk,
        actor=world.committee_handler,
        opinion="建议先行垫付一半工资",
        now=order.meet_due_at,
    )
    p = part(order, world.hb_committee)
    assert (p.opinion, p.opinion_duty.on_time) == ("建议先行垫付一半工资", True)
    assert Notification.objects.filter(
        order=order, kind="assist_opinion", recipient=world.handler
    ).exists()
    with pytest.raises(Conflict):
        services.order_assist_opinion(
            order_id=order.pk, actor=world.committee_handler, opinion="再说", now=SIGNED_AT
        )


def test_reassigning_restarts_only_unsigned_parts_and_withdraws_dropped_units(world):
    order = assisted(world, units=[world.hb_committee, world.hb_labour])
    services.order_assist_sign(order_id=order.pk, actor=world.labour_handler, now=DISPATCHED_AT)
    old_sign = part(order, world.hb_committee).sign_duty
    at = DISPATCHED_AT + 10 * MIN
    services.order_reassign(
        order_id=order.pk,
        actor=world.dispatcher,
        lead_unit_id=world.hb_police.pk,
        assisting_unit_ids=[world.hb_labour.pk, world.zk_residents.pk],
        now=at,
    )
    old_sign.refresh_from_db()
    assert old_sign.ended_at == at  # the committee was dropped
    assert not Assistance.objects.filter(order=order, unit=world.hb_committee, ended_at=None)
    assert part(order, world.hb_labour).signed_at == DISPATCHED_AT  # kept, signed
    assert part(order, world.zk_residents).sign_duty.due_at == at + timedelta(minutes=30)


def test_a_return_to_the_queue_withdraws_every_part_and_ends_its_duties(world):
    order = assisted(world)
    at = DISPATCHED_AT + 5 * MIN
    services.order_return(order_id=order.pk, actor=world.dispatcher, reason="派错", now=at)
    assert not Assistance.objects.filter(order=order, ended_at=None).exists()
    assert not Duty.objects.filter(order=order).running().exists()


def test_the_center_adds_an_assisting_unit_after_signing(world):
    order = world.order(State.SIGNED)
    at = SIGNED_AT + 30 * MIN
    with pytest.raises(Forbidden):
        services.order_add_assisting(
            order_id=order.pk, actor=world.handler, unit_ids=[world.hb_labour.pk], now=at
        )
    with pytest.raises(InvalidInput) as e:
        services.order_add_assisting(
            order_id=order.pk, actor=world.dispatcher, unit_ids=[world.hb_police.pk], now=at
        )
    assert "units" in e.value.errors  # the lead unit itself
    services.order_add_assisting(
        order_id=order.pk, actor=world.dispatcher, unit_ids=[world.hb_labour.pk], now=at
    )
    p = part(order, world.hb_labour)
    assert p.sign_duty.due_at == at + timedelta(minutes=30)
    services.order_assist_sign(order_id=order.pk, actor=world.labour_handler, now=at + MIN)
    order.refresh_from_db()
    assert part(order, world.hb_labour).opinion_duty.due_at == order.meet_due_at
    assert list(order.assisting_units.all()) == [world.hb_labour]


def test_closing_ends_an_unfiled_opinion(world):
    order = assisted(world, State.SIGNED)
    services.order_assist_sign(order_id=order.pk, actor=world.committee_handler, now=SIGNED_AT)
    services.order_record_contact(
        order_id=order.pk, actor=world.handler, method="phone", now=SIGNED_AT + MIN
    )
    services.order_record_meeting(
        order_id=order.pk,
        actor=world.handler,
        place="调解室",
        participants="双方",
        result="和解",
        now=SIGNED_AT + 2 * MIN,
    )
    close_jointly(
        order,
        world.handler,
        outcome="mediated",
        summary="和解",
        grade="simple",
        now=SIGNED_AT + 3 * MIN,
    )
    duty = part(order, world.hb_committee).opinion_duty
    assert duty.ended_at == SIGNED_AT + 3 * MIN and duty.met_at is None


def test_a_closed_order_takes_no_more_assisting_steps(world):
    order = assisted(world, State.CLOSED)
    with pytest.raises(Conflict):
        services.order_assist_sign(order_id=order.pk, actor=world.committee_handler)
    with pytest.raises(Conflict):
        services.order_add_assisting(
            order_id=order.pk, actor=world.dispatcher, unit_ids=[world.hb_labour.pk]
        )
