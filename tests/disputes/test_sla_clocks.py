"""The SLA clocks the services start and stop: on time against each deadline, and the
policy that sets them."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from dispatch.models import RiskLevel
from disputes import services
from disputes.models import (
    SlaPolicy,
    State,
)
from tests.disputes.lifecycle import (
    HOUR,
    MIN,
    SEC,
    act,
    last_event,
)
from tests.factories import (
    CategoryFactory,
    SlaPolicyFactory,
    set_default_sla_policy,
)

pytestmark = pytest.mark.django_db


# --- SLA clocks ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("after_dispatch", "on_time"),
    [
        (timedelta(0), True),
        (timedelta(minutes=29, seconds=59), True),
        (timedelta(minutes=30), True),  # exactly at the deadline counts
        (timedelta(minutes=30, seconds=1), False),
        (timedelta(hours=5), False),
    ],
)
def test_sign_on_time_against_the_30_minute_deadline(order_in, world, after_dispatch, on_time):
    order = order_in(State.DISPATCHED)
    assert order.sign_due_at == order.dispatched_at + timedelta(minutes=30)
    services.order_sign(
        order_id=order.pk, actor=world.handler, now=order.dispatched_at + after_dispatch
    )
    order.refresh_from_db()
    assert order.sign_on_time is on_time
    assert last_event(order).data["on_time"] is on_time


@pytest.mark.parametrize(("late_by", "on_time"), [(timedelta(0), True), (SEC, False)])
def test_sign_deadline_with_a_frozen_clock(world, late_by, on_time):
    dispatched = datetime(2026, 11, 10, 1, 0, tzinfo=UTC)
    with time_machine.travel(dispatched - HOUR, tick=False):
        order = world.report()
    with time_machine.travel(dispatched, tick=False):
        services.order_dispatch(
            order_id=order.pk, actor=world.dispatcher, lead_unit_id=world.hb_police.pk
        )
    with time_machine.travel(dispatched + timedelta(minutes=30) + late_by, tick=False):
        services.order_sign(order_id=order.pk, actor=world.handler)
    order.refresh_from_db()
    assert order.dispatched_at == dispatched
    assert order.sign_due_at == dispatched + timedelta(minutes=30)
    assert order.signed_at == dispatched + timedelta(minutes=30) + late_by
    assert order.sign_on_time is on_time


@pytest.mark.parametrize(("late_by", "on_time"), [(timedelta(0), True), (SEC, False)])
def test_contact_is_due_24_hours_after_signing(order_in, world, late_by, on_time):
    order = order_in(State.SIGNED)
    assert order.contact_due_at == order.signed_at + timedelta(hours=24)
    services.order_record_contact(
        order_id=order.pk,
        actor=world.handler,
        method="phone",
        now=order.signed_at + timedelta(hours=24) + late_by,
    )
    order.refresh_from_db()
    assert order.contact_on_time is on_time
    assert last_event(order).data["on_time"] is on_time


@pytest.mark.parametrize(("late_by", "on_time"), [(timedelta(0), True), (SEC, False)])
def test_meeting_is_due_48_hours_after_signing(order_in, world, late_by, on_time):
    order = order_in(State.CONTACTED)
    assert order.meet_due_at == order.signed_at + timedelta(hours=48)
    with time_machine.travel(order.signed_at + timedelta(hours=48) + late_by, tick=False):
        services.order_record_meeting(
            order_id=order.pk, actor=world.handler, place="调解室", participants="双方", result="好"
        )
    order.refresh_from_db()
    assert order.met_at == order.signed_at + timedelta(hours=48) + late_by
    assert order.meet_on_time is on_time


def test_a_late_contact_does_not_make_the_meeting_late(order_in, world):
    order = order_in(State.SIGNED)
    contacted = order.signed_at + timedelta(hours=30)
    services.order_record_contact(
        order_id=order.pk, actor=world.handler, method="phone", now=contacted
    )
    act("meet", order=order, actor=world.handler, world=world, now=contacted + HOUR)
    order.refresh_from_db()
    assert (order.contact_on_time, order.meet_on_time) == (False, True)


SLA_POLICIES = {
    # name: (category code or None, risk level, sign, contact, meet minutes)
    "wages-high": ("wages", RiskLevel.HIGH, 5, 60, 120),
    "wages-any": ("wages", "", 10, 120, 240),
    "any-high": (None, RiskLevel.HIGH, 15, 180, 360),
}


@pytest.mark.parametrize(
    ("policies", "category", "risk", "expected"),
    [
        ([], "wages", RiskLevel.HIGH, (30, 24 * 60, 48 * 60)),
        (["wages-any"], "wages", RiskLevel.LOW, (10, 120, 240)),
        (["wages-any"], "neighbours", RiskLevel.LOW, (30, 24 * 60, 48 * 60)),
        (["any-high"], "neighbours", RiskLevel.HIGH, (15, 180, 360)),
        (["any-high"], "neighbours", RiskLevel.MEDIUM, (30, 24 * 60, 48 * 60)),
        (["wages-high", "wages-any", "any-high"], "wages", RiskLevel.HIGH, (5, 60, 120)),
        (["wages-any", "any-high"], "wages", RiskLevel.HIGH, (10, 120, 240)),
        (["wages-high", "wages-any", "any-high"], "wages", RiskLevel.LOW, (10, 120, 240)),
        (["wages-high", "wages-any", "any-high"], "neighbours", RiskLevel.HIGH, (15, 180, 360)),
    ],
)
def test_the_most_specific_sla_policy_sets_the_clocks(
    order_in, world, policies, category, risk, expected
):
    set_default_sla_policy(sign_minutes=30, contact_minutes=24 * 60, meet_minutes=48 * 60)
    for name in policies:
        code, risk_level, sign, contact, meet = SLA_POLICIES[name]
        SlaPolicyFactory(
            category=CategoryFactory(code=code) if code else None,
            risk_level=risk_level,
            sign_minutes=sign,
            contact_minutes=contact,
            meet_minutes=meet,
        )
    order = order_in(State.SIGNED, category=getattr(world, category), risk_level=risk)
    sign, contact, meet = expected
    assert order.sign_due_at == order.dispatched_at + timedelta(minutes=sign)
    assert order.contact_due_at == order.signed_at + timedelta(minutes=contact)
    assert order.meet_due_at == order.signed_at + timedelta(minutes=meet)
    assert order.sign_limit == timedelta(minutes=sign)


def test_an_edited_default_policy_applies_to_new_clocks(order_in, world):
    set_default_sla_policy(sign_minutes=60, contact_minutes=12 * 60, meet_minutes=36 * 60)
    order = order_in(State.SIGNED)
    assert order.sign_due_at == order.dispatched_at + HOUR
    assert order.contact_due_at == order.signed_at + 12 * HOUR
    assert order.meet_due_at == order.signed_at + 36 * HOUR


def test_a_policy_change_does_not_move_a_running_clock(order_in, world):
    order = order_in(State.DISPATCHED)
    due = order.sign_due_at
    SlaPolicy.objects.update_or_create(
        category=None, risk_level="", defaults={"sign_minutes": 5, "contact_minutes": 60}
    )
    order.refresh_from_db()
    assert order.sign_due_at == due
    # Signed after 10 minutes: on time by the clock that was started, not the new limit.
    services.order_sign(order_id=order.pk, actor=world.handler, now=order.dispatched_at + 10 * MIN)
    order.refresh_from_db()
    assert order.sign_on_time is True
    # The contact clock starts now, from the policy in force now.
    assert order.contact_due_at == order.signed_at + HOUR
