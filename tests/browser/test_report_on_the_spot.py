"""当场已化解 on a 390 px phone: ticking it reveals the agreement; one submit records the
settlement, and the order page shows it closed as 就地化解 with the review links."""

import pytest

from disputes.models import Order, State

from .test_offline_report import fill_report

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _no_broker(monkeypatch):
    monkeypatch.setattr("notifications.services.kick_delivery", lambda: None)


def test_settled_on_the_spot_on_a_phone(world, open_as):
    page = open_as(world.reporter, phone=True)
    page.goto("/report/")
    fill_report(page, "楼上孩子夜间跑跳，当场协商解决。")
    agreement = page.locator("#id_summary")
    assert not agreement.is_visible()  # shown only once ticked
    page.get_by_label("当场已化解").check()
    assert agreement.is_visible()
    agreement.fill("楼上铺设地垫，晚十点后不再跑跳。")
    # Nothing sticks out of the 390 px screen.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    with page.expect_navigation():
        page.get_by_role("button", name="提交报单").click()

    order = Order.objects.get()
    assert order.state == State.CLOSED and order.on_the_spot
    assert page.url.endswith(f"/orders/{order.pk}/")
    head = page.locator(".order-head")
    assert "就地化解" in head.inner_text() and "已结单" in head.inner_text()
    assert "楼上铺设地垫" in page.content()
    token = order.reviews.get().token
    assert token in page.content()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
