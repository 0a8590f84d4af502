"""督办 on a 390 px phone: the supervisor presses the lead unit from the order page, the
station head answers from the same page; nothing sticks out of the screen."""

from datetime import timedelta

import pytest
from django.utils import timezone

from disputes.models import Directive, State

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _no_broker(monkeypatch):
    monkeypatch.setattr("notifications.services.kick_delivery", lambda: None)


def test_direct_and_reply_on_a_phone(world, open_as, screenshot):
    order = world.order(State.SIGNED, assignee=world.handler)
    page = open_as(world.supervisor, phone=True)
    page.goto(f"/orders/{order.pk}/")
    page.fill("#id_demand", "双方争执已近一天，请今日内组织调解并报告进展。" * 3)
    due = timezone.localtime(timezone.now() + timedelta(hours=6)).strftime("%Y-%m-%dT%H:%M")
    page.fill("#id_reply_due_at", due)
    with page.expect_navigation():
        page.locator("#direct-form button[type=submit]").click()
    assert Directive.objects.filter(order=order, issued_by=world.supervisor).exists()
    section = page.locator("#directives")
    assert "请今日内组织调解" in section.inner_text() and "剩余" in section.inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390

    page = open_as(world.head, phone=True)
    page.goto(f"/orders/{order.pk}/")
    page.fill("#id_reply", "已约定明早九点在所内调解室调解。")
    screenshot(page, "directive-phone")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    with page.expect_navigation():
        page.get_by_role("button", name="回复督办").click()
    assert "按时回复" in page.locator("#directives").inner_text()
    assert Directive.objects.get().on_time is True
