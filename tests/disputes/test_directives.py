"""督办 (``services.order_direct``) and its reply (``order_direct_reply``): who may, when,
the reply clock at its boundaries, the timeline and the notices."""

from datetime import timedelta

import pytest

from disputes import services
from disputes.models import Directive, Duty, Escalation, EventKind, OrderEvent, State
from disputes.notices import notify_raised
from disputes.selectors import allowed_actions
from disputes.sweep import sla_sweep
from notifications.levels import EscalationLevel
from notifications.models import Notification
from shishi_mediation.errors import Conflict, Forbidden, InvalidInput, NotFound
from tests.factories import STEP_OFFSETS, T0, UnitFactory, close_jointly, user_with_role

pytestmark = pytest.mark.django_db

W, L1, L2 = EscalationLevel.WARNING, EscalationLevel.LEVEL1, EscalationLevel.LEVEL2
US = timedelta(microseconds=1)
SIGNED_AT = T0 + STEP_OFFSETS[State.SIGNED]
ISSUED = SIGNED_AT + timedelta(minutes=10)
DUE = ISSUED + timedelta(hours=10)


def direct(world, order, *, actor=None, due=DUE, now=ISSUED, demand="请今日内联系当事人"):
    return services.order_direct(
        order_id=order.pk,
        actor=actor or world.supervisor,
        demand=demand,
        reply_due_at=due,
        now=now,
    )


def reply(world, order, directive, *, actor=None, now, text="已联系双方，明日调解"):
    return services.order_direct_reply(
        order_id=order.pk,
        actor=actor or world.head,
        directive_id=directive.pk,
        reply=text,
        now=now,
    )


@pytest.fixture
def center_head(world):
    return user_with_role("unit_head", world.hb_center, username="center_head")


# --- issuing -------------------------------------------------------------------------------


def test_a_supervisor_presses_the_lead_unit_which_owes_a_reply_by_the_deadline(world):
    order = world.order(State.SIGNED, assignee=world.handler)
    directive = direct(world, order)
    assert (directive.unit, directive.issued_by, directive.reply_due_at) == (
        world.hb_police,
        world.supervisor,
        DUE,
    )
    duty = directive.duty
    assert (duty.kind, duty.unit, duty.due_at, duty.limit) == (
        "reply",
        world.hb_police,
        DUE,
        timedelta(hours=10),
    )
    event = OrderEvent.objects.filter(order=order).last()
    assert (event.kind, event.actor, event.note) == (
        EventKind.DIRECTED,
        world.supervisor,
        "请今日内联系当事人",
    )
    assert event.data["directive_id"] == directive.pk and event.data["duty"] == "reply"
    assert event.data["due_at"].startswith("2026-11-10T19:25")  # Asia/Shanghai
    # The order's state is untouched.
    order.refresh_from_db()
    assert order.state == State.SIGNED
    # The lead unit's head and the assignee are told, with the demand and deadline.
    told = Notification.objects.filter(order=order, kind="directed")
    assert {n.recipient for n in told} == {world.head, world.handler}
    assert all("11-10 19:25" in n.subject and n.body == "请今日内联系当事人" for n in told)


def test_the_street_centers_head_may_direct(world, center_head):
    order = world.order(State.DISPATCHED)
    directive = direct(world, order, actor=center_head)
    assert directive.issued_by == center_head


@pytest.mark.parametrize("user", ["supervisor", "hb_supervisor"])
def test_a_supervisor_whose_jurisdiction_holds_the_order_may_direct_and_nothing_else(world, user):
    order = world.order(State.SIGNED)
    assert allowed_actions(getattr(world, user), order) == {"direct"}


def test_a_supervisor_outside_the_jurisdiction_does_not_find_the_order(world):
    fl_supervision = UnitFactory(supervision=True, name="凤里街道督导组", area=world.fl)
    fl_supervisor = user_with_role("supervisor", fl_supervision, username="fl_sup")
    order = world.order(State.SIGNED)
    with pytest.raises(NotFound):
        direct(world, order, actor=fl_supervisor)
    assert not Directive.objects.exists()


@pytest.mark.parametrize("user", ["handler", "head", "dispatcher", "reporter"])
def test_nobody_else_may_direct(world, user):
    order = world.order(State.SIGNED)
    with pytest.raises(Forbidden):
        direct(world, order, actor=getattr(world, user))
    assert not Directive.objects.exists()


def test_a_reported_order_has_nobody_to_answer(world):
    order = world.order(State.REPORTED)
    with pytest.raises(Conflict) as e:
        direct(world, order, now=T0 + timedelta(minutes=1))
    assert "待派单" in str(e.value.message)


@pytest.mark.parametrize("state", [State.CLOSED, State.CANCELLED])
def test_an_ended_order_cannot_be_directed(world, state):
    order = world.order(state)
    with pytest.raises(Conflict):
        direct(world, order, now=T0 + timedelta(days=2), due=T0 + timedelta(days=3))


def test_one_directive_awaits_its_reply_at_a_time(world):
    order = world.order(State.SIGNED)
    first = direct(world, order)
    with pytest.raises(Conflict):
        direct(world, order, now=ISSUED + timedelta(minutes=1))
    reply(world, order, first, now=ISSUED + timedelta(hours=1))
    second = direct(world, order, now=ISSUED + timedelta(hours=2))
    assert list(order.directives.all()) == [first, second]


@pytest.mark.parametrize(
    ("due", "message"),
    [
        (ISSUED, "晚于当前时间"),
        (ISSUED - timedelta(hours=1), "晚于当前时间"),
        (ISSUED + timedelta(days=30) + US, "30天"),
        (None, "必填"),
    ],
)
def test_the_deadline_must_be_ahead_and_within_thirty_days(world, due, message):
    order = world.order(State.SIGNED)
    with pytest.raises(InvalidInput) as e:
        direct(world, order, due=due)
    assert message in str(e.value.errors["reply_due_at"])


def test_a_deadline_thirty_days_ahead_exactly_is_accepted(world):
    order = world.order(State.SIGNED)
    assert direct(world, order, due=ISSUED + timedelta(days=30)).pk


@pytest.mark.parametrize("demand", ["", "   ", "x" * 2001])
def test_the_demand_is_required_and_bounded(world, demand):
    order = world.order(State.SIGNED)
    with pytest.raises(InvalidInput) as e:
        direct(world, order, demand=demand)
    assert "demand" in e.value.errors


# --- replying ------------------------------------------------------------------------------


def test_a_reply_at_the_deadline_itself_is_on_time(world):
    order = world.order(State.SIGNED, assignee=world.handler)
    directive = reply(world, order, direct(world, order), now=DUE)
    assert (directive.replied_at, directive.on_time, directive.replied_by) == (
        DUE,
        True,
        world.head,
    )
    duty = Duty.objects.get(pk=directive.duty_id)
    assert (duty.met_at, duty.on_time) == (DUE, True)
    event = OrderEvent.objects.filter(order=order).last()
    assert event.kind == EventKind.DIRECT_REPLIED and event.data["on_time"] is True
    assert event.note == "已联系双方，明日调解"
    told = Notification.objects.get(order=order, kind="direct_replied")
    assert told.recipient == world.supervisor and told.body == "已联系双方，明日调解"


def test_a_reply_a_microsecond_late_is_late(world):
    order = world.order(State.SIGNED)
    directive = reply(world, order, direct(world, order), now=DUE + US)
    assert directive.on_time is False
    assert Duty.objects.get(pk=directive.duty_id).on_time is False
    assert OrderEvent.objects.filter(order=order).last().data["on_time"] is False
    assert "超时" in Notification.objects.get(kind="direct_replied").subject


@pytest.mark.parametrize(
    ("user", "error"),
    [
        ("handler", Forbidden),  # the assignee, not a head
        ("dispatcher", Forbidden),
        ("supervisor", Forbidden),
        ("committee_head", NotFound),  # another unit's head does not see the order
    ],
)
def test_only_the_lead_units_heads_reply(world, user, error):
    order = world.order(State.SIGNED, assignee=world.handler)
    directive = direct(world, order)
    with pytest.raises(error):
        reply(world, order, directive, actor=getattr(world, user), now=ISSUED + US)
    directive.refresh_from_db()
    assert directive.replied_at is None


def test_a_reply_once(world):
    order = world.order(State.SIGNED)
    directive = reply(world, order, direct(world, order), now=ISSUED + timedelta(hours=1))
    with pytest.raises(Conflict):
        reply(world, order, directive, now=ISSUED + timedelta(hours=2))


def test_a_reply_names_a_directive_of_this_order(world):
    order, other = world.order(State.SIGNED), world.order(State.SIGNED)
    directive = direct(world, other)
    with pytest.raises(InvalidInput) as e:
        reply(world, order, directive, now=ISSUED + US)
    assert "directive" in e.value.errors
    with pytest.raises(InvalidInput) as e:
        services.order_direct_reply(
            order_id=order.pk, actor=world.head, directive_id=directive.pk, reply=" ", now=DUE
        )
    assert "reply" in e.value.errors


# --- the reply clock escalates -----------------------------------------------------------------


def levels(directive):
    return sorted(Escalation.objects.filter(duty=directive.duty_id).values_list("level", flat=True))


def test_an_unanswered_directive_escalates_at_80_percent_the_deadline_and_twice_it(world):
    order = world.order(State.SIGNED)
    directive = direct(world, order)
    # A limit of 10 h: the warning 2 h before the deadline, level 2 10 h after it.
    for at, expected in [
        (DUE - timedelta(hours=2) - US, []),
        (DUE - timedelta(hours=2), [W]),
        (DUE - US, [W]),
        (DUE, [W, L1]),
        (DUE + timedelta(hours=10) - US, [W, L1]),
        (DUE + timedelta(hours=10), [W, L1, L2]),
    ]:
        sla_sweep(now=at)
        assert levels(directive) == expected, at
    raised = Escalation.objects.get(duty=directive.duty_id, level=L2)
    assert (raised.stage, raised.unit_id, raised.stage_due_at) == ("reply", world.hb_police.pk, DUE)


def test_the_heads_then_the_center_then_the_supervisors_are_told(world, center_head):
    order = world.order(State.SIGNED)
    direct(world, order)

    def told_at(at):
        sla_sweep(now=at)
        notify_raised(now=at)
        return set(
            Notification.objects.filter(order=order, subject__contains="督办回复").values_list(
                "recipient__username", flat=True
            )
        )

    assert told_at(DUE - timedelta(hours=2)) == {"head"}
    assert told_at(DUE) == {"head", "center_head"}
    assert told_at(DUE + timedelta(hours=10)) >= {"head", "center_head", "supervisor"}


def test_a_reply_stops_the_escalations(world):
    order = world.order(State.SIGNED)
    directive = direct(world, order)
    sla_sweep(now=DUE)
    reply(world, order, directive, now=DUE + timedelta(minutes=1))
    assert not Escalation.objects.filter(duty=directive.duty_id, resolved_at=None).exists()
    sla_sweep(now=DUE + timedelta(days=2))
    assert levels(directive) == [W, L1]


# --- the lead unit changes, the order ends -----------------------------------------------------


def test_a_return_to_the_queue_ends_what_the_unit_owed(world):
    order = world.order(State.DISPATCHED)
    directive = direct(world, order, now=SIGNED_AT, due=SIGNED_AT + timedelta(hours=4))
    at = SIGNED_AT + timedelta(minutes=5)
    services.order_return(order_id=order.pk, actor=world.dispatcher, reason="派错单位", now=at)
    directive.refresh_from_db()
    assert directive.duty.ended_at == at and not directive.is_awaiting_reply
    assert OrderEvent.objects.filter(order=order).last().data["directive_ended"] is True
    sla_sweep(now=SIGNED_AT + timedelta(days=1))
    assert levels(directive) == []
    # Dispatched again to the same unit: the old directive stays ended, a new one may go.
    services.order_dispatch(
        order_id=order.pk, actor=world.dispatcher, lead_unit_id=world.hb_police.pk, now=at + US
    )
    with pytest.raises(Conflict):
        reply(world, order, directive, now=at + 2 * US)
    assert direct(world, order, now=at + 3 * US, due=at + timedelta(hours=1)).pk


def test_a_reassignment_to_another_unit_ends_it_and_to_the_same_unit_keeps_it(world):
    order = world.order(State.DISPATCHED)
    directive = direct(world, order, now=SIGNED_AT, due=SIGNED_AT + timedelta(hours=4))
    services.order_reassign(
        order_id=order.pk,
        actor=world.dispatcher,
        lead_unit_id=world.hb_police.pk,
        assignee_id=world.handler2.pk,
        now=SIGNED_AT + US,
    )
    directive.refresh_from_db()
    assert directive.is_awaiting_reply
    services.order_reassign(
        order_id=order.pk,
        actor=world.dispatcher,
        lead_unit_id=world.hb_committee.pk,
        now=SIGNED_AT + 2 * US,
    )
    directive.refresh_from_db()
    assert not directive.is_awaiting_reply and directive.duty.ended_at == SIGNED_AT + 2 * US
    # The new lead unit's head owes nothing for it.
    with pytest.raises(Conflict):
        reply(world, order, directive, actor=world.committee_head, now=SIGNED_AT + 3 * US)


def test_closing_the_order_ends_the_reply_owed(world):
    order = world.order(State.MET)
    met_at = T0 + STEP_OFFSETS[State.MET]
    directive = direct(world, order, now=met_at, due=met_at + timedelta(hours=4))
    close_jointly(
        order,
        world.handler,
        outcome="mediated",
        summary="达成协议",
        grade="simple",
        now=met_at + timedelta(hours=1),
    )
    directive.refresh_from_db()
    assert directive.duty.ended_at == met_at + timedelta(hours=1)
    with pytest.raises(Conflict):
        reply(world, order, directive, now=met_at + timedelta(hours=2))
