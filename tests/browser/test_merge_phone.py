"""重复报单合并 on a 390 px phone: the center's dispatcher opens a duplicate, merges it
into the order it repeats by number, sees 已合并至 N, and follows the link to the kept
order, which shows the duplicate's party and note as from the duplicate."""

from datetime import timedelta

import pytest
from django.utils import timezone

from disputes import services
from disputes.models import Order, State
from tests.factories import party_input

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _no_broker(monkeypatch):
    monkeypatch.setattr("notifications.services.kick_delivery", lambda: None)


def test_a_dispatcher_merges_a_duplicate_from_its_page(world, open_as):
    start = timezone.now() - timedelta(hours=2)
    kept = world.order(State.SIGNED, start=start)
    duplicate = world.order(
        State.REPORTED,
        start=start + timedelta(hours=1),
        reporter=world.other_reporter,
        parties=[party_input(name="陈某某", phone="13900001111")],
    )
    services.order_add_note(order_id=duplicate.pk, actor=world.other_reporter, note="工头已失联")

    page = open_as(world.dispatcher, phone=True)
    page.goto(f"/orders/{duplicate.pk}/")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    with page.expect_navigation():
        page.get_by_role("link", name="合并", exact=True).click()
    page.get_by_label("保留订单编号").fill(kept.number)
    page.get_by_label("合并原因").fill("同一欠薪纠纷重复报单")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    with page.expect_navigation():
        page.get_by_role("button", name="合并").click()

    assert Order.objects.get(pk=duplicate.pk).merged_into_id == kept.pk
    banner = page.locator("#merged-into")
    assert "已合并至" in banner.inner_text() and kept.number in banner.inner_text()
    assert page.get_by_role("link", name="合并", exact=True).count() == 0
    with page.expect_navigation():
        banner.get_by_role("link", name=kept.number).click()
    section = page.locator("#merged")
    text = section.inner_text()
    assert f"来自订单 {duplicate.number}" in text
    assert "陈某某" in text and "工头已失联" in text
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
