"""Bulk dispatch on a 390 px phone: a dispatcher ticks two orders in the queue, sends
them to their first suggested units, reads the summary, and both orders are dispatched;
the page never scrolls sideways."""

import pytest

from disputes.models import EventKind, Order, OrderEvent, State
from tests.factories import RoutingRuleFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTH = "() => document.documentElement.scrollWidth"


def test_a_dispatcher_sends_two_ticked_orders_from_the_queue(world, open_as, screenshot):
    RoutingRuleFactory(category=world.neighbours, area=world.zk, unit=world.hb_committee)
    RoutingRuleFactory(category=world.wages, area=world.hb, unit=world.hb_labour)
    first = world.order(State.REPORTED, category=world.neighbours)
    second = world.order(State.REPORTED, category=world.wages)
    left = world.order(State.REPORTED, category=world.wages)

    page = open_as(world.dispatcher, phone=True)
    page.goto("/queue/")
    assert page.evaluate(WIDTH) <= 390
    for order in (first, second):
        tick = page.locator(f'input[name=ids][value="{order.pk}"]')
        tick.tap()
        assert tick.is_checked()
    button = page.get_by_role("button", name="派给首选单位")
    assert button.is_visible()
    box = button.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 390
    screenshot(page, "queue-bulk-phone")
    with page.expect_navigation():
        button.tap()

    assert page.url.endswith("/queue/")
    summary = page.locator(".messages").inner_text()
    assert "已派出 2 张订单" in summary
    assert f"{first.number} → {world.hb_committee.name}" in summary
    assert f"{second.number} → {world.hb_labour.name}" in summary
    assert page.evaluate(WIDTH) <= 390
    # The two left the queue; the unticked one is still waiting.
    cards = page.locator("li.card[data-order]")
    assert [cards.nth(i).get_attribute("data-order") for i in range(cards.count())] == [left.number]
    for order, unit in ((first, world.hb_committee), (second, world.hb_labour)):
        order = Order.objects.get(pk=order.pk)
        assert order.state == State.DISPATCHED and order.lead_unit == unit
        assert OrderEvent.objects.filter(order=order, kind=EventKind.DISPATCHED).count() == 1
    assert Order.objects.get(pk=left.pk).state == State.REPORTED
