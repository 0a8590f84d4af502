"""Bulk dispatch (``services.orders_dispatch_bulk``): each ticked order goes to its first
suggested unit as its own checked dispatch; one that cannot go is reported with its
reason and the others still go."""

from datetime import timedelta

import pytest
from django.db import connection

from dispatch.models import RoutingRule
from disputes import services
from disputes.models import EventKind, Order, OrderEvent, State
from notifications.models import Notification
from shishi_mediation.errors import Forbidden, InvalidInput
from tests.disputes.lifecycle import MIN, snapshot
from tests.disputes.test_concurrency import as_actor, on_postgres, race
from tests.factories import RoutingRuleFactory

pytestmark = pytest.mark.django_db

NOT_FOUND = "订单不存在或无权查看。"


@pytest.fixture
def routing(world):
    """Neighbour disputes in 曾坑 go first to its mediation committee, then the station;
    wage disputes in HB to the labour department."""
    return [
        RoutingRuleFactory(
            category=world.neighbours, area=world.zk, unit=world.hb_committee, rank=1
        ),
        RoutingRuleFactory(category=world.neighbours, area=world.hb, unit=world.hb_police, rank=1),
        RoutingRuleFactory(category=world.wages, area=world.hb, unit=world.hb_labour, rank=1),
    ]


def reported(world, t0, category, **kwargs) -> Order:
    return world.order(State.REPORTED, category=category, start=t0, **kwargs)


def dispatched_events(order: Order) -> list[OrderEvent]:
    return list(OrderEvent.objects.filter(order_id=order.pk, kind=EventKind.DISPATCHED))


def test_every_order_goes_to_its_first_suggested_unit(world, routing, t0):
    neighbours = reported(world, t0, world.neighbours)
    wages = reported(world, t0, world.wages)
    at = t0 + 10 * MIN

    outcomes = services.orders_dispatch_bulk(
        order_ids=[neighbours.pk, wages.pk], actor=world.dispatcher, now=at
    )

    assert [(o.order_id, o.number, o.dispatched, o.reason) for o in outcomes] == [
        (neighbours.pk, neighbours.number, True, ""),
        (wages.pk, wages.number, True, ""),
    ]
    assert [o.lead_unit for o in outcomes] == [world.hb_committee, world.hb_labour]
    for order, unit in ((neighbours, world.hb_committee), (wages, world.hb_labour)):
        order.refresh_from_db()
        assert order.state == State.DISPATCHED and order.lead_unit == unit
        assert order.dispatched_at == at
        assert order.sign_due_at == at + timedelta(minutes=30)  # the single dispatch's clock
        [event] = dispatched_events(order)
        assert event.actor == world.dispatcher and event.at == at
        assert event.data["lead_unit"] == unit.name


def test_notifications_are_those_of_a_single_dispatch(world, routing, t0):
    single = reported(world, t0, world.neighbours)
    bulk = reported(world, t0, world.neighbours)
    at = t0 + 10 * MIN
    services.order_dispatch(
        order_id=single.pk, actor=world.dispatcher, lead_unit_id=world.hb_committee.pk, now=at
    )
    services.orders_dispatch_bulk(order_ids=[bulk.pk], actor=world.dispatcher, now=at)

    def told(order):
        return sorted(
            Notification.objects.filter(order=order, created_at__gte=at).values_list(
                "recipient__username", "kind"
            )
        )

    assert told(bulk) == told(single)
    assert {u for u, _k in told(bulk)} >= {world.committee_handler.username}


def test_one_already_dispatched_the_others_still_go(world, routing, t0):
    first = reported(world, t0, world.neighbours)
    taken = reported(world, t0, world.neighbours)
    last = reported(world, t0, world.wages)
    # Another dispatcher's tab sent it a moment earlier, to another unit.
    services.order_dispatch(
        order_id=taken.pk, actor=world.dispatcher, lead_unit_id=world.hb_police.pk, now=t0
    )
    before = snapshot(taken.pk)

    outcomes = services.orders_dispatch_bulk(
        order_ids=[first.pk, taken.pk, last.pk], actor=world.dispatcher, now=t0 + MIN
    )

    assert [o.dispatched for o in outcomes] == [True, False, True]
    assert outcomes[1].number == taken.number
    assert outcomes[1].reason == "当前状态“待签收”不能执行此操作。"
    assert snapshot(taken.pk) == before  # still with the station, one dispatch on record
    assert Order.objects.get(pk=first.pk).state == State.DISPATCHED
    assert Order.objects.get(pk=last.pk).state == State.DISPATCHED


def test_an_order_without_a_suggestion_is_reported_and_left_in_the_queue(world, routing, t0):
    fine = reported(world, t0, world.neighbours)
    # Without HB's street-wide rule, only 曾坑's committee rule is left: 石光 has none.
    stray = reported(world, t0, world.neighbours, community=world.sg)
    RoutingRule.objects.filter(area=world.hb).delete()
    before = snapshot(stray.pk)

    outcomes = services.orders_dispatch_bulk(
        order_ids=[stray.pk, fine.pk], actor=world.dispatcher, now=t0 + MIN
    )

    assert (outcomes[0].number, outcomes[0].dispatched) == (stray.number, False)
    assert "没有建议单位" in outcomes[0].reason
    assert snapshot(stray.pk) == before
    assert outcomes[1].dispatched and outcomes[1].lead_unit == world.hb_committee


def test_an_order_outside_the_scope_is_not_found_and_its_number_not_shown(world, routing, t0):
    ours = reported(world, t0, world.neighbours)
    theirs = world.order(
        State.REPORTED, community=world.fl_community, reporter=world.fl_reporter, start=t0
    )
    RoutingRuleFactory(category=theirs.category, area=world.fl, unit=world.fl_police)
    before = snapshot(theirs.pk)

    outcomes = services.orders_dispatch_bulk(
        order_ids=[theirs.pk, 987654321, 2**70, ours.pk], actor=world.dispatcher, now=t0 + MIN
    )

    assert [(o.number, o.dispatched, o.reason) for o in outcomes[:3]] == [
        ("", False, NOT_FOUND),
        ("", False, NOT_FOUND),
        ("", False, NOT_FOUND),
    ]
    assert snapshot(theirs.pk) == before
    assert outcomes[3].dispatched


def test_a_suggestion_the_street_may_not_use_fails_validation_alone(world, routing, t0):
    """A rule naming another street's unit is offered, but the dispatch refuses it as the
    single dispatch would; the order's neighbour in the batch still goes."""
    odd = reported(world, t0, world.wages, community=world.sg)
    fine = reported(world, t0, world.neighbours)
    RoutingRuleFactory(category=world.wages, area=world.sg, unit=world.fl_police, rank=1)
    before = snapshot(odd.pk)

    outcomes = services.orders_dispatch_bulk(
        order_ids=[odd.pk, fine.pk], actor=world.dispatcher, now=t0 + MIN
    )

    assert (outcomes[0].dispatched, outcomes[0].reason) == (False, "请选择有效的责任单位。")
    assert snapshot(odd.pk) == before
    assert outcomes[1].dispatched


def test_a_repeated_id_is_dispatched_once(world, routing, t0):
    order = reported(world, t0, world.neighbours)
    outcomes = services.orders_dispatch_bulk(
        order_ids=[order.pk, order.pk], actor=world.dispatcher, now=t0 + MIN
    )
    assert len(outcomes) == 1 and outcomes[0].dispatched
    assert len(dispatched_events(order)) == 1


@pytest.mark.parametrize("who", ["reporter", "handler", "head", "supervisor", "nobody"])
def test_only_dispatchers(world, routing, t0, who):
    order = reported(world, t0, world.neighbours)
    before = snapshot(order.pk)
    with pytest.raises(Forbidden):
        services.orders_dispatch_bulk(order_ids=[order.pk], actor=getattr(world, who))
    assert snapshot(order.pk) == before


@pytest.mark.parametrize(
    "ids", [[], "1", None, [1, "2"], [True], [1.0], list(range(1, 6))], ids=repr
)
def test_bad_ids_name_the_field(world, settings, ids):
    settings.BULK_DISPATCH_MAX = 4
    with pytest.raises(InvalidInput) as caught:
        services.orders_dispatch_bulk(order_ids=ids, actor=world.dispatcher)
    assert set(caught.value.errors) == {"ids"}


def test_the_cap_counts_distinct_orders(world, routing, t0, settings):
    settings.BULK_DISPATCH_MAX = 2
    a, b = reported(world, t0, world.neighbours), reported(world, t0, world.wages)
    outcomes = services.orders_dispatch_bulk(
        order_ids=[a.pk, b.pk, a.pk, b.pk], actor=world.dispatcher, now=t0 + MIN
    )
    assert [o.dispatched for o in outcomes] == [True, True]


@on_postgres
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_bulk_dispatch_racing_a_single_dispatch_sends_the_order_once(world, routing, t0):
    """While the queue's bulk dispatch runs, a second dispatcher sends one of its orders
    by hand: that order is dispatched exactly once, by whoever locked it first; the
    bulk reports it if it lost, and its other orders go either way."""
    from tests.factories import MembershipFactory

    other = MembershipFactory(unit=world.hb_center, role="dispatcher").user
    orders = [reported(world, t0, world.neighbours) for _ in range(6)]
    contested = orders[3]
    at = t0 + MIN

    results = race(
        [
            (
                lambda: as_actor(world.dispatcher.pk),
                lambda actor: services.orders_dispatch_bulk(
                    order_ids=[o.pk for o in orders], actor=actor, now=at
                ),
            ),
            (
                lambda: as_actor(other.pk),
                lambda actor: services.order_dispatch(
                    order_id=contested.pk,
                    actor=actor,
                    lead_unit_id=world.hb_police.pk,
                    now=at,
                ),
            ),
        ]
    )

    outcomes, single = results
    assert isinstance(outcomes, list), outcomes
    by_id = {o.order_id: o for o in outcomes}
    for order in orders:
        assert len(dispatched_events(order)) == 1
        assert Order.objects.get(pk=order.pk).state == State.DISPATCHED
        if order != contested:
            assert by_id[order.pk].dispatched
    won_by_bulk = by_id[contested.pk].dispatched
    assert won_by_bulk == (not isinstance(single, Order))
    if not won_by_bulk:
        assert by_id[contested.pk].reason.startswith("当前状态")
        assert Order.objects.get(pk=contested.pk).lead_unit == world.hb_police
    assert connection.vendor == "postgresql"
