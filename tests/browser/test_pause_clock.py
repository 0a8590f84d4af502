"""A paused clock (暂停计时) on phones: the handler asks to pause the meeting clock, the
center approves on the order page, and the board shows the order "暂停中 至 …"."""

from datetime import timedelta

import pytest
from django.utils import timezone

from disputes.models import ClockPause, State

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _no_broker(monkeypatch):
    monkeypatch.setattr("notifications.services.kick_delivery", lambda: None)


def test_a_paused_clock_shown_on_the_board(world, open_as):
    start = timezone.now() - timedelta(hours=1)
    order = world.order(State.SIGNED, assignee=world.handler, start=start)

    page = open_as(world.handler, phone=True)
    page.goto(f"/orders/{order.pk}/")
    with page.expect_navigation():
        page.get_by_role("link", name="申请暂停计时").first.click()
    page.get_by_label("暂停环节").select_option("meet")
    page.get_by_label("暂停原因").select_option("hospital")
    page.get_by_label("暂停时长").select_option(str(24 * 60))
    page.get_by_label("说明").fill("被申请人住院，出院后再调解。")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    with page.expect_navigation():
        page.get_by_role("button", name="提交申请").click()
    assert ClockPause.objects.get().state == "requested"

    center = open_as(world.dispatcher, phone=True)
    center.goto(f"/orders/{order.pk}/")
    assert "当事人住院" in center.locator("#pauses").inner_text()
    assert center.evaluate("document.documentElement.scrollWidth") <= 390
    with center.expect_navigation():
        center.locator("#pauses").get_by_role("link", name="审批暂停").click()
    center.get_by_label("批准").check()
    with center.expect_navigation():
        center.get_by_role("button", name="提交").click()
    pause = ClockPause.objects.get()
    assert pause.state == "approved"

    center.goto("/board/")
    until = timezone.localtime(pause.ends_at).strftime("%m-%d %H:%M")
    row = center.locator(f'tr[data-order="{order.number}"]')
    assert f"暂停中 至 {until}" in row.inner_text()
