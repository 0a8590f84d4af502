"""Colour grades (红/黄/绿) and 包案: the colour from risk and vulnerable parties, set at
reporting and confirmed or overridden at dispatch, changed by 改色; a red order's named
street leader sees it, is told, and must review it before it closes; the SLA policy of
the order's colour sets its clocks."""

from datetime import timedelta

import pytest

from dispatch.models import Role
from disputes import services
from disputes.colours import Colour, colour_for
from disputes.models import EventKind, Order, State
from disputes.selectors import (
    allowed_actions,
    dispatch_queue,
    orders_visible_to,
    sla_policy_for,
)
from notifications.models import Notification
from shishi_mediation.errors import Conflict, Forbidden, InvalidInput, NotFound
from tests.factories import (
    MembershipFactory,
    SlaPolicyFactory,
    confirm_closing,
    party_input,
    propose_close,
    report_order,
    set_default_sla_policy,
    street_leader,
    user_with_role,
)

pytestmark = pytest.mark.django_db

MIN = timedelta(minutes=1)


class P:
    def __init__(self, vulnerable: bool):
        self.is_vulnerable = vulnerable


@pytest.mark.parametrize(
    ("risk", "vulnerable", "colour"),
    [
        ("high", False, Colour.RED),
        ("high", True, Colour.RED),
        ("medium", False, Colour.YELLOW),
        ("low", True, Colour.YELLOW),
        ("medium", True, Colour.YELLOW),
        ("low", False, Colour.GREEN),
    ],
)
def test_the_colour_comes_from_risk_and_vulnerable_parties(risk, vulnerable, colour):
    assert colour_for(risk_level=risk, parties=[P(False), P(vulnerable)]) == colour


def test_reporting_sets_the_colour(world, t0):
    minor = report_order(world, now=t0, parties=[party_input(is_minor=True)])
    assert minor.colour == Colour.YELLOW
    assert report_order(world, now=t0, risk_level="high").colour == Colour.RED
    assert report_order(world, now=t0).colour == Colour.GREEN


def dispatch(world, order, **kw):
    return services.order_dispatch(
        order_id=order.pk,
        actor=kw.pop("actor", world.dispatcher),
        lead_unit_id=world.hb_police.pk,
        now=kw.pop("now", order.reported_at + 5 * MIN),
        **kw,
    )


def test_dispatch_confirms_the_computed_colour_and_an_override_needs_a_reason(world, t0):
    order = report_order(world, now=t0)
    with pytest.raises(InvalidInput) as refused:
        dispatch(world, order, colour=Colour.YELLOW)
    assert set(refused.value.errors) == {"colour_reason"}
    assert Order.objects.get(pk=order.pk).state == State.REPORTED

    dispatched = dispatch(world, order, colour=Colour.YELLOW, colour_reason="当事人情绪激动")
    assert dispatched.colour == Colour.YELLOW
    event = dispatched.events.get(kind=EventKind.DISPATCHED)
    assert event.data["colour"] == "yellow"
    assert event.data["computed_colour"] == "green"
    assert event.data["colour_reason"] == "当事人情绪激动"


def test_the_computed_colour_needs_no_reason(world, t0):
    order = report_order(world, now=t0, risk_level="medium")
    assert dispatch(world, order, colour=Colour.YELLOW).colour == Colour.YELLOW


def test_a_red_order_needs_a_leader_of_its_street(world, t0):
    order = report_order(world, now=t0, risk_level="high")
    with pytest.raises(InvalidInput) as refused:
        dispatch(world, order)
    assert set(refused.value.errors) == {"case_leader"}
    # A leader of another street, or a handler of this one, will not do.
    fl_leader = street_leader(world.fl)
    for wrong in (fl_leader, world.handler):
        with pytest.raises(InvalidInput) as refused:
            dispatch(world, order, case_leader_id=wrong.pk)
        assert set(refused.value.errors) == {"case_leader"}
    assert Order.objects.get(pk=order.pk).state == State.REPORTED

    leader = street_leader(world.hb)
    dispatched = dispatch(world, order, case_leader_id=leader.pk)
    assert dispatched.colour == Colour.RED and dispatched.case_leader == leader
    told = Notification.objects.get(recipient=leader, order=order)
    assert told.kind == "case_leader" and order.number in told.subject


def test_a_leader_of_a_community_unit_of_the_street_qualifies(world, t0):
    leader = user_with_role(Role.LEADER, world.zk_residents, username="zk_leader")
    order = report_order(world, now=t0, risk_level="high")
    assert dispatch(world, order, case_leader_id=leader.pk).case_leader == leader


def test_the_leader_sees_its_orders_only_and_may_review_them(world, t0):
    leader = street_leader(world.hb)
    red = dispatch(world, report_order(world, now=t0, risk_level="high"), case_leader_id=leader.pk)
    other = dispatch(world, report_order(world, now=t0))
    visible = set(orders_visible_to(leader).values_list("pk", flat=True))
    assert visible == {red.pk}
    assert allowed_actions(leader, red) == {"leader_review"}
    assert other.pk not in visible


def test_close_is_refused_until_the_leader_reviews(world, order_in, t0):
    leader = street_leader(world.hb)
    order = order_in(State.MET, risk_level="high")
    assert order.case_leader == leader

    def close():
        return propose_close(
            order,
            world.handler,
            outcome="mediated",
            summary="达成协议",
            grade="ordinary",
            now=t0 + timedelta(days=2),
        )

    with pytest.raises(Conflict) as refused:
        close()
    assert "包案领导审核" in str(refused.value.message)
    assert Order.objects.get(pk=order.pk).state == State.MET

    # Only its leader reviews, with a note.
    with pytest.raises(Forbidden):
        services.order_leader_review(order_id=order.pk, actor=world.dispatcher, note="同意")
    with pytest.raises(InvalidInput) as missing:
        services.order_leader_review(order_id=order.pk, actor=leader, note=" ")
    assert set(missing.value.errors) == {"note"}
    reviewed_at = t0 + timedelta(days=1, hours=2)
    services.order_leader_review(
        order_id=order.pk, actor=leader, note="同意按协议结单", now=reviewed_at
    )
    assert Order.objects.get(pk=order.pk).leader_reviewed_at == reviewed_at
    assert close().state == State.CONFIRMING
    assert confirm_closing(order, now=t0 + timedelta(days=2)).state == State.CLOSED
    kinds = list(order.events.values_list("kind", flat=True))
    assert kinds.index(EventKind.LEADER_REVIEWED) < kinds.index(EventKind.CLOSED)


def test_a_green_order_closes_without_a_review(world, order_in):
    assert order_in(State.CLOSED).leader_reviewed_at is None


def test_review_of_an_order_that_is_not_red_is_a_conflict(world, t0):
    leader = street_leader(world.hb)
    order = dispatch(world, report_order(world, now=t0), case_leader_id=leader.pk)
    with pytest.raises(Conflict):
        services.order_leader_review(order_id=order.pk, actor=leader, note="同意")


def test_recolour_needs_a_reason_and_a_leader_to_turn_red(world, t0):
    order = report_order(world, now=t0)
    with pytest.raises(InvalidInput) as refused:
        services.order_recolour(
            order_id=order.pk, actor=world.dispatcher, colour=Colour.YELLOW, reason=""
        )
    assert set(refused.value.errors) == {"reason"}
    with pytest.raises(InvalidInput) as refused:
        services.order_recolour(
            order_id=order.pk, actor=world.dispatcher, colour=Colour.RED, reason="扬言报复"
        )
    assert set(refused.value.errors) == {"case_leader"}
    with pytest.raises(InvalidInput) as refused:
        services.order_recolour(
            order_id=order.pk, actor=world.dispatcher, colour=Colour.GREEN, reason="无变化"
        )
    assert set(refused.value.errors) == {"colour"}
    assert Order.objects.get(pk=order.pk).colour == Colour.GREEN

    leader = street_leader(world.hb)
    at = t0 + 3 * MIN
    services.order_recolour(
        order_id=order.pk,
        actor=world.dispatcher,
        colour=Colour.RED,
        reason="扬言报复",
        case_leader_id=leader.pk,
        now=at,
    )
    order.refresh_from_db()
    assert (order.colour, order.case_leader) == (Colour.RED, leader)
    event = order.events.get(kind=EventKind.RECOLOURED)
    assert (event.note, event.at, event.actor) == ("扬言报复", at, world.dispatcher)
    assert event.data["previous_colour"] == "green" and event.data["colour"] == "red"
    assert Notification.objects.filter(recipient=leader, kind="case_leader").count() == 1


def test_who_may_recolour(world, t0):
    order = report_order(world, now=t0)
    center_head = user_with_role(Role.UNIT_HEAD, world.hb_center, username="center_head")
    services.order_recolour(
        order_id=order.pk, actor=center_head, colour=Colour.YELLOW, reason="独居老人"
    )
    for refused, error in ((world.reporter, Forbidden), (world.fl_dispatcher, NotFound)):
        with pytest.raises(error):
            services.order_recolour(
                order_id=order.pk, actor=refused, colour=Colour.GREEN, reason="误判"
            )
    assert Order.objects.get(pk=order.pk).colour == Colour.YELLOW


def test_a_closed_order_keeps_its_colour(world, order_in):
    order = order_in(State.CLOSED)
    with pytest.raises(Conflict):
        services.order_recolour(
            order_id=order.pk, actor=world.dispatcher, colour=Colour.RED, reason="补记"
        )


# --- SLA policy by colour ---------------------------------------------------------------


def test_a_red_order_must_be_signed_within_its_colours_limit(world, t0):
    set_default_sla_policy(sign_minutes=30)
    SlaPolicyFactory(category=None, colour=Colour.RED, sign_minutes=15)
    leader = street_leader(world.hb)
    red = dispatch(
        world, report_order(world, now=t0, risk_level="high"), case_leader_id=leader.pk, now=t0
    )
    green = dispatch(world, report_order(world, now=t0), now=t0)
    assert red.sign_due_at == t0 + 15 * MIN and red.sign_limit == 15 * MIN
    assert green.sign_due_at == t0 + 30 * MIN
    # Signed at the 15th minute is on time; a minute later is not.
    services.order_sign(order_id=red.pk, actor=world.handler, now=t0 + 15 * MIN)
    assert Order.objects.get(pk=red.pk).sign_on_time is True
    late = dispatch(
        world, report_order(world, now=t0, risk_level="high"), case_leader_id=leader.pk, now=t0
    )
    services.order_sign(order_id=late.pk, actor=world.handler, now=t0 + 16 * MIN)
    assert Order.objects.get(pk=late.pk).sign_on_time is False


def test_a_colour_override_at_dispatch_picks_that_colours_policy(world, t0):
    SlaPolicyFactory(category=None, colour=Colour.YELLOW, sign_minutes=20)
    order = dispatch(
        world, report_order(world, now=t0), colour="yellow", colour_reason="涉老", now=t0
    )
    assert order.sign_due_at == t0 + 20 * MIN


def test_colour_is_more_specific_than_category_and_risk(world):
    set_default_sla_policy(sign_minutes=30)
    red_any = SlaPolicyFactory(category=None, colour=Colour.RED, sign_minutes=15)
    wages_high = SlaPolicyFactory(category=world.wages, risk_level="high", sign_minutes=5)
    wages_red = SlaPolicyFactory(category=world.wages, colour=Colour.RED, sign_minutes=10)

    def pick(colour, risk="high", category=world.wages):
        return sla_policy_for(category_id=category.pk, risk_level=risk, colour=colour)

    assert pick(Colour.RED) == wages_red  # colour and category
    assert pick(Colour.RED, category=world.neighbours) == red_any  # colour beats risk
    assert pick(Colour.YELLOW) == wages_high  # no yellow policy: category and risk
    wages_red.delete()
    assert pick(Colour.RED) == red_any  # colour beats category


# --- the queue ------------------------------------------------------------------------------


def test_the_queue_puts_red_then_vulnerable_then_risk_then_oldest(world, t0):
    def at(minutes, **kw):
        return report_order(world, now=t0 + minutes * MIN, **kw)

    oldest_green = at(0)
    medium = at(1, risk_level="medium")
    vulnerable_low = at(2, parties=[party_input(is_elderly_alone=True)])
    red_late = at(3, risk_level="high")
    red_early = at(4, risk_level="high")
    services.order_recolour(
        order_id=red_early.pk,
        actor=world.dispatcher,
        colour=Colour.GREEN,
        reason="已核实无风险",
    )
    red_early.refresh_from_db()
    assert red_early.colour == Colour.GREEN
    queue = list(dispatch_queue(world.dispatcher).values_list("pk", flat=True))
    # red; then yellow: the vulnerable party before medium risk; then green: high risk
    # (recoloured) before the oldest low.
    assert queue == [red_late.pk, vulnerable_low.pk, medium.pk, red_early.pk, oldest_green.pk]


def test_leaders_do_not_report(world):
    from disputes.selectors import can_report

    leader = street_leader(world.hb)
    assert not can_report(leader)
    both = MembershipFactory(user=leader, unit=world.zk_residents, role=Role.REPORTER).user
    assert can_report(both)


def test_dispatch_keeps_the_colour_a_recolour_gave(world, t0):
    order = report_order(world, now=t0)
    leader = street_leader(world.hb)
    services.order_recolour(
        order_id=order.pk,
        actor=world.dispatcher,
        colour=Colour.RED,
        reason="当事人扬言报复",
        case_leader_id=leader.pk,
        now=t0 + MIN,
    )
    dispatched = dispatch(world, order)  # no colour given: the 改色's red, no new reason
    assert (dispatched.colour, dispatched.case_leader) == (Colour.RED, leader)
    assert dispatched.events.get(kind=EventKind.DISPATCHED).data["recoloured"] is True


def test_bulk_dispatch_leaves_a_red_order_for_a_leader_to_be_named(world, t0):
    from tests.factories import RoutingRuleFactory

    RoutingRuleFactory(category=world.wages, area=world.hb, unit=world.hb_police)
    red = report_order(world, now=t0, risk_level="high")
    green = report_order(world, now=t0)
    outcomes = services.orders_dispatch_bulk(
        order_ids=[red.pk, green.pk], actor=world.dispatcher, now=t0 + MIN
    )
    assert [o.dispatched for o in outcomes] == [False, True]
    assert outcomes[0].reason == "红色订单须指定包案领导。"
    assert Order.objects.get(pk=red.pk).state == State.REPORTED


def test_the_backfill_colours_existing_orders_as_reporting_would(world, t0):
    """Migration 0020: one UPDATE per colour gives old orders the colour ``colour_for``
    gives new ones."""
    import importlib

    from django.apps import apps

    backfill = importlib.import_module("disputes.migrations.0028_colour_grades_backfill")
    orders = [
        report_order(world, now=t0, risk_level="high"),
        report_order(world, now=t0, risk_level="medium"),
        report_order(world, now=t0, parties=[party_input(), party_input(is_disabled=True)]),
        report_order(world, now=t0),
    ]
    Order.objects.update(colour=Colour.GREEN)
    backfill.backfill(apps, None)
    colours = dict(Order.objects.values_list("pk", "colour"))
    assert [colours[o.pk] for o in orders] == ["red", "yellow", "yellow", "green"]
