"""Return visits on a schedule (回访): due a set time after closing (7 days; a red order
also 3 and 30 days), met by the visit recorded, escalated when overdue; an unsatisfied
visit or a bad review asks for a second visit, or the visitor reopens the dispute as a
new order linked to the old one."""

from datetime import timedelta

import pytest
from django.core.management import call_command

from disputes import services
from disputes.models import (
    Duty,
    EventKind,
    Order,
    OrderEvent,
    Outcome,
    ReturnVisit,
    Review,
    ScheduledVisit,
    State,
)
from disputes.sweep import sla_sweep
from notifications.models import Notification
from shishi_mediation.errors import Conflict, Forbidden, InvalidInput, NotFound
from tests.factories import STEP_OFFSETS, T0, party_input, report_input, set_default_sla_policy

pytestmark = pytest.mark.django_db
CLOSED_AT = T0 + STEP_OFFSETS[State.CLOSED]
US = timedelta(microseconds=1)
DAY = timedelta(days=1)


def visits(order) -> list[Duty]:
    return list(Duty.objects.filter(order=order, kind="visit").order_by("due_at"))


def visit(world, order, *, actor=None, at, **kw):
    kw.setdefault("satisfied", True)
    return services.order_record_return_visit(
        order_id=order.pk, actor=actor or world.handler, visited_at=at, now=at, **kw
    )


def test_closing_owes_the_lead_unit_a_visit_due_seven_days_later(world):
    order = world.order(State.CLOSED)
    [duty] = visits(order)
    assert (duty.unit, duty.started_at, duty.due_at) == (
        world.hb_police,
        CLOSED_AT,
        CLOSED_AT + 7 * DAY,
    )
    scheduled = duty.scheduled_visit
    assert (scheduled.cause, scheduled.second) == (ScheduledVisit.Cause.CLOSING, False)
    closed = order.events.get(kind=EventKind.CLOSED)
    assert [v["duty_id"] for v in closed.data["return_visits"]] == [duty.pk]


def test_a_visit_at_seven_days_exactly_is_on_time(world):
    order = world.order(State.CLOSED)
    visit(world, order, at=CLOSED_AT + 7 * DAY, agreement_kept="yes")
    [duty] = visits(order)
    assert (duty.met_at, duty.on_time) == (CLOSED_AT + 7 * DAY, True)
    event = order.events.get(kind=EventKind.RETURN_VISIT)
    assert (event.data["met"]["on_time"], event.data["agreement_kept"]) == (True, "yes")


def test_a_visit_a_moment_after_is_late(world):
    order = world.order(State.CLOSED)
    visit(world, order, at=CLOSED_AT + 7 * DAY + US)
    assert visits(order)[0].on_time is False


def test_a_red_order_is_visited_at_three_seven_and_thirty_days(world):
    order = world.order(State.CLOSED, risk_level="high")
    assert order.colour == "red"
    assert [d.due_at - CLOSED_AT for d in visits(order)] == [3 * DAY, 7 * DAY, 30 * DAY]
    # Each visit meets the earliest still due: day 4 is the 3-day one, late.
    visit(world, order, at=CLOSED_AT + 4 * DAY)
    visit(world, order, at=CLOSED_AT + 5 * DAY)
    assert [(d.on_time, d.is_running) for d in visits(order)] == [
        (False, False),
        (True, False),
        (None, True),
    ]


def test_the_limits_come_from_the_policy_and_the_settings(world, settings):
    set_default_sla_policy(visit_minutes=24 * 60)
    settings.RETURN_VISIT_RED_DAYS = (10,)
    red = world.order(State.CLOSED, risk_level="high")
    assert [d.limit for d in visits(red)] == [DAY, 10 * DAY]


def test_a_dispute_settled_on_the_spot_is_visited_by_its_reporters_unit(world):
    order = services.order_settle_on_the_spot(
        actor=world.reporter,
        data=report_input(community=world.zk, category=world.wages),
        summary="当场化解",
        now=T0,
    )
    [duty] = visits(order)
    assert (duty.unit, duty.due_at) == (world.zk_residents, T0 + 7 * DAY)
    visit(world, order, actor=world.reporter, at=T0 + DAY)
    assert visits(order)[0].on_time is True


def test_an_overdue_visit_escalates_to_the_unit_and_resolves_when_made(world):
    order = world.order(State.CLOSED)
    due = CLOSED_AT + 7 * DAY
    sla_sweep(now=due - US)
    assert order.escalations.filter(stage="visit", level=0).count() == 1  # the reminder
    sla_sweep(now=due)
    level1 = order.escalations.get(stage="visit", level=1)
    assert level1.unit == world.hb_police and level1.resolved_at is None
    visit(world, order, at=due + DAY)
    level1.refresh_from_db()
    assert level1.resolved_at == due + DAY
    assert visits(order)[0].on_time is False


def test_an_unsatisfied_visit_schedules_a_second_visit_three_days_later(world):
    order = world.order(State.CLOSED)
    at = CLOSED_AT + 2 * DAY
    recorded = visit(world, order, at=at, satisfied=False, note="对方未按期付款")
    assert recorded.follow_up == ReturnVisit.FollowUp.SECOND_VISIT
    second, first = visits(order)  # the second visit falls due before the 7-day one
    assert first.on_time is True and first.met_at == at
    assert (second.started_at, second.due_at, second.unit) == (at, at + 3 * DAY, world.hb_police)
    assert (second.scheduled_visit.second, second.scheduled_visit.cause) == (True, "unsatisfied")
    event = order.events.get(kind=EventKind.RETURN_VISIT)
    assert event.data["second_visit"]["duty_id"] == second.pk
    # The second visit is met by the next visit made.
    visit(world, order, at=at + 3 * DAY)
    assert Duty.objects.get(pk=second.pk).scheduled_visit.visit.visited_at == at + 3 * DAY


def test_a_bad_review_schedules_one_second_visit(world):
    order = world.order(State.CLOSED, parties=[party_input(name="甲"), party_input(name="乙")])
    tokens = list(Review.objects.filter(order=order).values_list("token", flat=True))
    at = CLOSED_AT + DAY
    services.review_submit(token=tokens[0], rating="bad", comment="没解决", now=at)
    services.review_submit(token=tokens[1], rating="bad", now=at + DAY)  # one is enough
    second = [d for d in visits(order) if d.scheduled_visit.second]
    assert [(d.due_at, d.scheduled_visit.cause) for d in second] == [(at + 3 * DAY, "bad_review")]
    reviewed = order.events.filter(kind=EventKind.REVIEWED).order_by("at")
    assert reviewed[0].data["second_visit"]["duty_id"] == second[0].pk
    assert "second_visit" not in reviewed[1].data


def test_a_good_review_schedules_nothing(world):
    order = world.order(State.CLOSED)
    token = Review.objects.filter(order=order).values_list("token", flat=True)[0]
    services.review_submit(token=token, rating="good", now=CLOSED_AT + DAY)
    assert len(visits(order)) == 1


def test_reopening_reports_a_new_order_linked_to_the_old(world, capsys):
    old = world.order(
        State.CLOSED, parties=[party_input(name="王某", phone="13812345678", sms_consent=True)]
    )
    at = CLOSED_AT + 3 * DAY
    visit(world, old, at=at, satisfied=False, follow_up="reopen", note="又起争执")
    new = Order.objects.get(reopened_from=old)
    assert new.title == f"（重新调解）{old.title}"
    assert (new.state, new.category, new.community, new.reporter, new.reported_at) == (
        State.REPORTED,
        old.category,
        old.community,
        world.handler,
        at,
    )
    assert new.number != old.number and new.dispatch_due_at is not None
    assert [(p.name, p.phone) for p in new.parties.all()] == [("王某", "13812345678")]
    reported = new.events.get(kind=EventKind.REPORTED)
    assert reported.data["reopened_from"] == {"order_id": old.pk, "number": old.number}
    event = old.events.get(kind=EventKind.RETURN_VISIT)
    assert event.data["reopened"] == {"order_id": new.pk, "number": new.number}
    assert "second_visit" not in event.data
    assert Notification.objects.filter(order=new, recipient=world.dispatcher).exists()
    assert all(not d.is_running for d in visits(old))  # nothing more is owed on the old
    with pytest.raises(Conflict):  # once
        visit(world, old, at=at + DAY, satisfied=False, follow_up="reopen")
    token = Review.objects.filter(order=old).values_list("token", flat=True)[0]
    services.review_submit(token=token, rating="bad", now=at + DAY)
    assert all(not d.is_running for d in visits(old))  # the new order is visited now
    call_command("verify_timeline")
    assert "0 with a broken timeline" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("who", "error"),
    [
        ("handler", None),  # the lead unit
        ("head", None),
        ("committee_handler", NotFound),  # not its unit's order
        ("reporter", Forbidden),
        ("dispatcher", Forbidden),
        ("fl_handler", NotFound),
        ("nobody", NotFound),
    ],
)
def test_who_records_a_visit(world, who, error):
    order = world.order(State.CLOSED)
    at = CLOSED_AT + DAY
    if error is None:
        visit(world, order, actor=getattr(world, who), at=at)
        assert not visits(order)[0].is_running
        return
    with pytest.raises(error):
        visit(world, order, actor=getattr(world, who), at=at)
    assert visits(order)[0].is_running


@pytest.mark.parametrize(
    ("kw", "field"),
    [
        ({"agreement_kept": "maybe"}, "agreement_kept"),
        ({"follow_up": "later", "satisfied": False}, "follow_up"),
        ({"follow_up": "reopen", "satisfied": True}, "follow_up"),
        ({"follow_up": "second_visit", "satisfied": None}, "follow_up"),
    ],
)
def test_bad_input_names_the_field(world, kw, field):
    order = world.order(State.CLOSED)
    with pytest.raises(InvalidInput) as e:
        visit(world, order, at=CLOSED_AT + DAY, **kw)
    assert field in e.value.errors


def test_no_agreement_no_agreement_kept(world):
    order = world.order(State.CLOSED, outcome=Outcome.FAILED)
    with pytest.raises(InvalidInput) as e:
        visit(world, order, at=CLOSED_AT + DAY, agreement_kept="yes")
    assert "agreement_kept" in e.value.errors
    visit(world, order, at=CLOSED_AT + DAY)  # without it, fine
    assert OrderEvent.objects.filter(order=order, kind=EventKind.RETURN_VISIT).count() == 1
