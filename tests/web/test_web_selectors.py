"""The read functions added for the web pages agree with the ones they batch."""

import pytest

from dispatch.selectors import suggested_units
from disputes.models import Order, State
from disputes.selectors import handlers_of_unit, suggested_units_by_order
from tests.factories import RoutingRuleFactory

pytestmark = pytest.mark.django_db


def test_suggestions_in_one_query_match_suggested_units(
    world, order_in, routing, django_assert_num_queries
):
    # A community rule beats a street rule, which beats a city rule; rank within one.
    RoutingRuleFactory(category=world.wages, area=world.zk, unit=world.hb_committee, rank=5)
    RoutingRuleFactory(category=world.neighbours, area=world.hb, unit=world.hb_labour, rank=0)
    orders = [
        order_in(State.REPORTED, category=category, community=community)
        for category in (world.wages, world.neighbours)
        for community in (world.zk, world.sg, world.fl_community)
    ]
    # With their communities loaded, as the queue's select_related does.
    orders = list(Order.objects.filter(pk__in=[o.pk for o in orders]).select_related("community"))
    with django_assert_num_queries(1):
        batched = suggested_units_by_order(orders)
    for order in orders:
        expected = suggested_units(category_id=order.category_id, community=order.community)
        assert batched[order.pk] == expected, order
    wages_zk = next(o for o in orders if o.category == world.wages and o.community == world.zk)
    assert batched[wages_zk.pk] == [world.hb_committee, world.hb_labour, world.hb_police]
    assert suggested_units_by_order([]) == {}


def test_handlers_of_unit(world):
    assert handlers_of_unit(world.hb_police.pk) == sorted(
        [world.handler, world.handler2, world.head],
        key=lambda u: (u.last_name, u.first_name, u.username),
    )
    assert handlers_of_unit(10**30) == []
