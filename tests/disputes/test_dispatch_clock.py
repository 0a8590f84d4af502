"""The dispatch clock (派单): from reporting to dispatch, 30 minutes by default, its limit
per SLA policy; warning to the street's dispatchers, level 1 to the center's heads,
level 2 to the supervisors; restarted by a return to the queue."""

from datetime import timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.urls import reverse

from dispatch.models import Role
from disputes import services
from disputes.models import Alarm, Escalation, EventKind, Order, State
from disputes.notices import notify_raised
from disputes.selectors import available_actions
from disputes.stages import Stage
from disputes.sweep import sla_sweep
from notifications.levels import EscalationLevel
from notifications.models import Notification
from supervision.reports import StageMicroseconds
from tests.factories import T0, SlaPolicyFactory, report_order, user_with_role

W, L1, L2 = EscalationLevel.WARNING, EscalationLevel.LEVEL1, EscalationLevel.LEVEL2
MIN = timedelta(minutes=1)


@pytest.fixture
def center_head(world):
    return user_with_role(Role.UNIT_HEAD, world.hb_center, username="center_head")


def dispatch(world, order, at):
    return services.order_dispatch(
        order_id=order.pk, actor=world.dispatcher, lead_unit_id=world.hb_police.pk, now=at
    )


def told(level: int) -> set[str]:
    return set(
        Notification.objects.filter(kind=f"escalation_{level}").values_list(
            "recipient__username", flat=True
        )
    )


def test_reporting_starts_the_clock_and_the_timeline_records_its_deadline(world):
    order = report_order(world, now=T0)
    assert order.dispatch_limit == timedelta(minutes=30)
    assert order.dispatch_due_at == T0 + 30 * MIN
    assert order.dispatch_on_time is None
    alarm = Alarm.objects.get(order=order)
    assert (alarm.stage, alarm.level, alarm.fire_at) == (Stage.DISPATCH, W, T0 + 24 * MIN)
    reported = order.events.get(kind=EventKind.REPORTED)
    assert reported.data == {"dispatch_due_at": "2026-11-10T09:30:00+08:00"}


def test_the_limit_comes_from_the_policy(world):
    SlaPolicyFactory(category=world.wages, risk_level="high", dispatch_minutes=10)
    urgent = report_order(world, now=T0, risk_level="high")
    ordinary = report_order(world, now=T0)
    assert urgent.dispatch_due_at == T0 + 10 * MIN
    assert ordinary.dispatch_due_at == T0 + 30 * MIN


@pytest.mark.parametrize(("after", "on_time"), [(30 * MIN, True), (31 * MIN, False)])
def test_dispatching_meets_it_on_time_or_late(world, after, on_time):
    order = dispatch(world, report_order(world, now=T0), T0 + after)
    assert order.dispatch_on_time is on_time
    assert not Alarm.objects.filter(order=order, stage=Stage.DISPATCH).exists()
    event = order.events.get(kind=EventKind.DISPATCHED)
    assert event.data["on_time"] is on_time
    # A reassignment later restarts the sign clock and leaves the dispatch one alone.
    order = services.order_reassign(
        order_id=order.pk,
        actor=world.dispatcher,
        lead_unit_id=world.hb_committee.pk,
        now=T0 + 2 * after,
    )
    assert order.dispatch_on_time is on_time
    assert "on_time" not in order.events.get(kind=EventKind.REASSIGNED).data


def test_a_waiting_order_escalates_to_the_center_and_then_the_supervisors(world, center_head):
    order = report_order(world, now=T0)
    cases = [
        (T0 + 24 * MIN, W, {"center"}),  # 80% of 30 minutes: the street's dispatchers
        (T0 + 30 * MIN, L1, {"center_head"}),  # the deadline: the center's heads
        (T0 + 60 * MIN, L2, {"supervisor", "hb_supervisor"}),  # overdue by the limit again
    ]
    for at, level, people in cases:
        assert sla_sweep(now=at - timedelta(microseconds=1)).raised == 0
        assert sla_sweep(now=at).raised == 1
        notify_raised(now=at)
        assert told(level) == people
        escalation = Escalation.objects.get(order=order, level=level)
        assert (escalation.stage, escalation.stage_due_at) == (Stage.DISPATCH, T0 + 30 * MIN)
    # Other streets' people and the units that handle orders hear nothing of it.
    everyone = {"center", "center_head", "supervisor", "hb_supervisor"}
    assert set(Notification.objects.values_list("recipient__username", flat=True)) <= (
        everyone | {"center"}  # the report's own notice to the dispatchers
    )
    # Dispatching resolves them.
    dispatch(world, order, T0 + 70 * MIN)
    assert not Escalation.objects.filter(order=order, resolved_at__isnull=True).exists()


def test_a_return_to_the_queue_starts_it_again(world, order_in):
    order = order_in(State.DISPATCHED)
    returned_at = order.dispatched_at + 10 * MIN
    order = services.order_return(
        order_id=order.pk, actor=world.dispatcher, reason="非本单位职责", now=returned_at
    )
    assert order.dispatch_due_at == returned_at + 30 * MIN
    assert order.dispatch_on_time is None
    assert Alarm.objects.get(order=order, stage=Stage.DISPATCH).fire_at == (returned_at + 24 * MIN)
    order = dispatch(world, order, returned_at + 40 * MIN)
    assert order.dispatch_on_time is False


def test_the_timeline_vouches_for_the_clock(world, order_in, capsys):
    dispatched = dispatch(world, report_order(world, now=T0), T0 + 45 * MIN)
    returned = order_in(State.DISPATCHED)
    services.order_return(
        order_id=returned.pk,
        actor=world.dispatcher,
        reason="非本单位职责",
        now=returned.dispatched_at + MIN,
    )
    call_command("verify_timeline")
    assert "0 with a broken timeline" in capsys.readouterr().out
    # The check reads the clock's fields: a forged on-time flag is caught.
    type(dispatched).objects.filter(pk=dispatched.pk).update(dispatch_on_time=True)
    with pytest.raises(Exception, match="failed verification"):
        call_command("verify_timeline")


def test_the_queue_and_the_order_page_show_its_countdown(world, client):
    order = report_order(world, now=T0)
    client.force_login(world.dispatcher)
    with time_machine.travel(T0 + 26 * MIN, tick=False):
        queue = client.get(reverse("queue")).content.decode()
        page = client.get(reverse("order-detail", args=[order.pk])).content.decode()
    assert "剩余 4分钟" in queue
    assert "派单" in page and "剩余 4分钟" in page


def test_the_api_gives_its_deadline_and_filters_its_escalations(world, client):
    order = report_order(world, now=T0)
    sla_sweep(now=T0 + 30 * MIN)
    client.force_login(world.dispatcher)
    detail = client.get(f"/api/v1/orders/{order.pk}/").json()
    assert detail["dispatch_due_at"] == "2026-11-10T09:30:00+08:00"
    assert detail["dispatch_on_time"] is None
    listed = client.get("/api/v1/escalations/?stage=dispatch").json()["results"]
    assert [(e["stage"], e["level"]) for e in listed] == [("dispatch", L1), ("dispatch", W)]


def test_the_center_head_reads_what_it_is_told_of_and_cannot_dispatch(world, center_head, client):
    order = report_order(world, now=T0)
    sla_sweep(now=T0 + 30 * MIN)
    notify_raised(now=T0 + 30 * MIN)
    notice = Notification.objects.get(recipient=center_head, kind="escalation_1")
    client.force_login(center_head)
    page = client.get(reverse("order-detail", args=[notice.order_id]))
    assert page.status_code == 200 and order.number in page.content.decode()
    # Of the street's orders it may change the colour (改色) only, never dispatch.
    assert available_actions(center_head, order) == {"recolour"}
    # Another street's orders stay out of sight.
    other = report_order(world, now=T0, community=world.fl_community, actor=world.fl_reporter)
    assert client.get(reverse("order-detail", args=[other.pk])).status_code == 404


def test_its_time_is_from_its_start_to_the_dispatch_that_met_it(world):
    """A reassign moves ``dispatched_at`` but not the moment the clock was met; a return
    to the queue starts the clock, and its time, again."""
    order = dispatch(world, report_order(world, now=T0), T0 + 5 * MIN)
    order = services.order_reassign(
        order_id=order.pk,
        actor=world.dispatcher,
        lead_unit_id=world.hb_committee.pk,
        now=T0 + 20 * MIN,
    )
    assert (order.dispatched_at, order.dispatch_met_at) == (T0 + 20 * MIN, T0 + 5 * MIN)
    assert minutes(order) == 5
    order = services.order_return(
        order_id=order.pk,
        actor=world.dispatcher,
        reason="非本单位职责",
        now=T0 + 30 * MIN,
    )
    assert order.dispatch_met_at is None
    order = dispatch(world, order, T0 + 40 * MIN)
    assert (order.dispatch_on_time, minutes(order)) == (True, 10)  # from the return


def minutes(order) -> float:
    row = Order.objects.annotate(us=StageMicroseconds(Stage.DISPATCH)).get(pk=order.pk)
    return row.us / 60_000_000
