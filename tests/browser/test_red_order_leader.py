"""A red order with its 包案 leader on a 390 px phone: the dispatcher names the leader
when dispatching a high-risk order (refused without one), the leader opens the order
from the inbox, records the review, and the order page says it was reviewed."""

import pytest

from disputes.models import Order, State
from tests.factories import report_order, street_leader

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _no_broker(monkeypatch):
    monkeypatch.setattr("notifications.services.kick_delivery", lambda: None)


def test_a_red_order_with_its_leader_on_a_phone(world, open_as):
    order = report_order(world, risk_level="high")
    leader = street_leader(world.hb)

    page = open_as(world.dispatcher, phone=True)
    page.goto(f"/orders/{order.pk}/dispatch/")
    assert "系统判定：红" in page.content()
    page.select_option("#id_lead_unit", str(world.hb_police.pk))
    with page.expect_navigation():
        page.get_by_role("button", name="派单").click()
    assert "红色订单须指定包案领导" in page.content()  # refused, the form again
    page.select_option("#id_case_leader", str(leader.pk))
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    with page.expect_navigation():
        page.get_by_role("button", name="派单").click()
    assert Order.objects.get(pk=order.pk).state == State.DISPATCHED

    page = open_as(leader, phone=True)
    page.goto(f"/orders/{order.pk}/")
    assert page.locator("#colour").inner_text().strip() == "红"
    assert "待审核" in page.locator("#case-leader").inner_text()
    page.get_by_role("link", name="包案审核").click()
    page.fill("#id_note", "已了解情况，要求人社局牵头三日内化解。")
    with page.expect_navigation():
        page.get_by_role("button", name="提交审核").click()
    assert "已审核" in page.locator("#case-leader").inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert Order.objects.get(pk=order.pk).leader_reviewed_at is not None
