"""回访 on a 390 px phone: the visits due with their dates, the form's choice after an
unsatisfied visit shown only then; reopening links the two orders; nothing sticks out
of the screen."""

import pytest

from disputes.models import Order, State

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _no_broker(monkeypatch):
    monkeypatch.setattr("notifications.services.kick_delivery", lambda: None)


def test_an_unsatisfied_visit_reopens_the_dispute_on_a_phone(world, open_as, screenshot):
    old = world.order(State.CLOSED, risk_level="high")
    page = open_as(world.handler, phone=True)
    page.goto(f"/orders/{old.pk}/#visit")
    due = page.locator("ul.scheduled-visits li")
    assert due.count() == 3  # a red order: 3, 7 and 30 days after closing
    follow_up = page.locator(".follow-up")
    assert not follow_up.is_visible()
    page.get_by_label("不满意").check()
    assert follow_up.is_visible()
    page.get_by_label("部分履行").check()
    page.get_by_label("重新调解（作为新订单报单）").check()
    page.fill("#id_note", "对方只付了一半，拒绝再付，双方再起争执。")
    screenshot(page, "return-visit-phone")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    with page.expect_navigation():
        page.get_by_role("button", name="记录回访").click()
    new = Order.objects.get(reopened_from=old)
    assert new.number in page.locator("#reopened").inner_text()
    assert "超时回访" in page.locator("#visit").inner_text()  # closed in November
    page.locator("#reopened a").click()
    page.wait_for_url(f"**/orders/{new.pk}/")
    assert old.number in page.locator("#reopened-from").inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
