"""Duties (``stages.DUTIES``): clocks one unit owes beside the order's own, swept,
escalated and told like them, by the same rows."""

from datetime import timedelta

import pytest
from django.db import transaction

from disputes import services
from disputes.duties import duties_end, duty_meet, duty_start
from disputes.models import Alarm, Duty, Escalation, EventKind, OrderEvent, State
from disputes.notices import notify_raised
from disputes.sweep import sla_sweep
from notifications.levels import EscalationLevel
from notifications.models import Notification
from tests.factories import STEP_OFFSETS, T0, user_with_role

W, L1, L2 = EscalationLevel.WARNING, EscalationLevel.LEVEL1, EscalationLevel.LEVEL2
DISPATCHED_AT = T0 + STEP_OFFSETS[State.DISPATCHED]
US = timedelta(microseconds=1)
LIMIT = timedelta(minutes=30)


def start(order, unit, *, kind="assist_sign", at=DISPATCHED_AT, limit=LIMIT, due=None):
    with transaction.atomic():
        return duty_start(order=order, kind=kind, unit_id=unit.pk, at=at, limit=limit, due=due)


def levels(duty):
    return sorted(Escalation.objects.filter(duty=duty.pk).values_list("level", flat=True))


@pytest.mark.parametrize(
    ("level", "offset"),
    [(W, timedelta(minutes=24)), (L1, timedelta(minutes=30)), (L2, timedelta(minutes=60))],
)
def test_a_duty_escalates_at_each_instant_like_an_order_clock(world, level, offset):
    order = world.order(State.DISPATCHED)
    duty = start(order, world.hb_committee)
    sla_sweep(now=DISPATCHED_AT + offset - US)
    assert level not in levels(duty)
    sla_sweep(now=DISPATCHED_AT + offset)
    assert levels(duty) == list(range(level + 1))
    esc = Escalation.objects.get(duty=duty.pk, level=level)
    assert (esc.stage, esc.unit_id, esc.stage_due_at) == (
        "assist_sign",
        world.hb_committee.pk,
        DISPATCHED_AT + LIMIT,
    )
    event = OrderEvent.objects.filter(order=order, kind=EventKind.ESCALATED).last()
    assert event.data["duty_id"] == duty.pk and event.data["stage"] == "assist_sign"


def test_two_units_owing_the_same_duty_at_the_same_time_each_escalate(world):
    order = world.order(State.DISPATCHED)
    a, b = start(order, world.hb_committee), start(order, world.hb_labour)
    sla_sweep(now=DISPATCHED_AT + timedelta(hours=2))
    assert levels(a) == levels(b) == [W, L1, L2]
    # The lead unit's own sign clock escalated beside them, once per level.
    assert Escalation.objects.filter(order=order, stage="sign", duty=0).count() == 3


def test_the_duty_unit_and_then_its_heads_are_told(world):
    order = world.order(State.DISPATCHED)
    duty = start(order, world.hb_committee)
    sla_sweep(now=DISPATCHED_AT + timedelta(minutes=25))
    notify_raised(now=DISPATCHED_AT + timedelta(minutes=25))
    told = set(
        Notification.objects.filter(order=order, subject__contains="协办签收").values_list(
            "recipient__username", flat=True
        )
    )
    assert told == {"committee"}  # the warning: the assisting unit's handler
    sla_sweep(now=DISPATCHED_AT + timedelta(minutes=31))
    notify_raised(now=DISPATCHED_AT + timedelta(minutes=31))
    l1 = Notification.objects.filter(order=order, subject__contains="协办签收").exclude(
        recipient__username="committee"
    )
    assert set(l1.values_list("recipient__username", flat=True)) == {"committee_head"}
    assert levels(duty) == [W, L1]


def test_meeting_a_duty_stops_its_alarm_and_resolves_its_escalations(world):
    order = world.order(State.DISPATCHED)
    duty = start(order, world.hb_committee)
    sla_sweep(now=DISPATCHED_AT + timedelta(minutes=31))
    with transaction.atomic():
        on_time = duty_meet(duty, at=DISPATCHED_AT + timedelta(minutes=31))
    assert on_time is False
    assert not Alarm.objects.filter(duty=duty.pk).exists()
    assert not Escalation.objects.filter(duty=duty.pk, resolved_at=None).exists()
    sla_sweep(now=DISPATCHED_AT + timedelta(hours=3))
    assert levels(duty) == [W, L1]  # nothing more after it was met


def test_met_exactly_at_the_due_time_is_on_time(world):
    order = world.order(State.DISPATCHED)
    duty = start(order, world.hb_committee)
    with transaction.atomic():
        assert duty_meet(duty, at=DISPATCHED_AT + LIMIT) is True
    duty.refresh_from_db()
    assert (duty.met_at, duty.on_time) == (DISPATCHED_AT + LIMIT, True)


def test_a_given_due_time_is_kept_and_the_limit_times_the_levels(world):
    order = world.order(State.DISPATCHED)
    due = DISPATCHED_AT + timedelta(hours=10)
    duty = start(order, world.hb_committee, kind="reply", limit=timedelta(hours=10), due=due)
    assert duty.due_at == due
    sla_sweep(now=due - timedelta(hours=2) - US)  # warning at 80% of 10 h
    assert levels(duty) == []
    sla_sweep(now=due - timedelta(hours=2))
    assert levels(duty) == [W]


def test_closing_or_cancelling_the_order_ends_its_running_duties(world):
    order = world.order(State.DISPATCHED)
    duty = start(order, world.hb_committee)
    now = DISPATCHED_AT + timedelta(minutes=5)
    services.order_cancel(order_id=order.pk, actor=world.dispatcher, reason="重复", now=now)
    duty.refresh_from_db()
    assert duty.ended_at == now and duty.met_at is None
    assert not Alarm.objects.filter(order=order).exists()
    sla_sweep(now=DISPATCHED_AT + timedelta(hours=5))
    assert levels(duty) == []


def test_ending_leaves_met_duties_alone(world):
    order = world.order(State.DISPATCHED)
    a, b = start(order, world.hb_committee), start(order, world.hb_labour)
    with transaction.atomic():
        duty_meet(a, at=DISPATCHED_AT + timedelta(minutes=1))
        assert duties_end([a, b], at=DISPATCHED_AT + timedelta(minutes=2)) == 1
    a.refresh_from_db(), b.refresh_from_db()
    assert a.ended_at is None and a.on_time is True
    assert b.ended_at == DISPATCHED_AT + timedelta(minutes=2)


def test_a_duty_is_met_or_ended_never_both(world):
    order = world.order(State.DISPATCHED)
    duty = start(order, world.hb_committee)
    with pytest.raises(Exception), transaction.atomic():  # noqa: B017, PT011
        Duty.objects.filter(pk=duty.pk).update(
            met_at=DISPATCHED_AT, on_time=True, ended_at=DISPATCHED_AT
        )


def test_escalations_of_duties_are_filtered_in_the_api(world, client):
    order = world.order(State.DISPATCHED)
    start(order, world.hb_committee)
    sla_sweep(now=DISPATCHED_AT + timedelta(minutes=31))
    client.force_login(world.dispatcher)
    rows = client.get("/api/v1/escalations/", {"stage": "assist_sign"}).json()["results"]
    assert {(r["stage"], r["level"]) for r in rows} == {("assist_sign", W), ("assist_sign", L1)}
    assert all(r["duty"] for r in rows)
    assert client.get("/api/v1/escalations/", {"stage": "nonsense"}).status_code == 400


def test_an_inactive_member_of_the_duty_unit_is_not_told(world):
    # A user of the duty's unit who is no longer active is not told.
    user = user_with_role("handler", world.hb_committee, username="gone", is_active=False)
    order = world.order(State.DISPATCHED)
    start(order, world.hb_committee)
    sla_sweep(now=DISPATCHED_AT + timedelta(minutes=25))
    notify_raised(now=DISPATCHED_AT + timedelta(minutes=25))
    assert not Notification.objects.filter(recipient=user).exists()
