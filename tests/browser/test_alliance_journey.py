"""On 390 px phones: the center invites a 闽南话-speaking volunteer to an order; she finds
it under 我的协助, sees the parties' phones masked, adds a note that the timeline
attributes to her; the lead unit grants her the phones; another order stays a 404 to
her; once the center withdraws the invitation the order is a 404 too. Forms are posted
as the browser posts them."""

import pytest

from disputes.models import Invitation, OrderEvent
from tests.alliance.conftest import Alliance

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _no_broker(monkeypatch):
    monkeypatch.setattr("notifications.services.kick_delivery", lambda: None)


def fits(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth") <= 390


def test_the_center_invites_a_volunteer_who_adds_a_note(world, order_in, open_as, screenshot):
    alliance = Alliance(world)
    order = order_in("signed")
    other = order_in("signed")

    center = open_as(world.dispatcher, phone=True)
    center.goto(f"/orders/{order.pk}/")
    with center.expect_navigation():
        center.locator("#invite").click()
    center.select_option("#id_invitee", value=f"m:{alliance.vol.pk}")
    assert "闽南话" in center.locator("#id_invitee option:checked").inner_text()
    center.fill("#id_message", "当事人只会讲闽南话，请协助沟通。")
    assert fits(center)
    with center.expect_navigation():
        center.locator("form button[type=submit]").last.click()
    assert center.url.endswith(f"/orders/{order.pk}/")
    assert "阿珠" in center.locator("main").inner_text()
    invitation = Invitation.objects.get(order=order)
    assert invitation.member_id == alliance.vol.pk

    volunteer = open_as(alliance.vol, phone=True)
    volunteer.goto("/")
    assert volunteer.url.endswith("/my-assists/")
    cards = volunteer.locator("[data-order]")
    assert cards.count() == 1 and order.number in cards.inner_text()
    assert "请协助沟通" in cards.inner_text()
    assert fits(volunteer)
    with volunteer.expect_navigation():
        cards.get_by_role("link", name=order.number).click()
    phones = volunteer.locator("#parties td.phone").all_inner_texts()
    assert phones and all("****" in p for p in phones)
    volunteer.fill(
        "#note textarea[name=note]", "已用闽南话与当事人通话，双方同意周六到调解室面谈。"
    )
    assert fits(volunteer)
    with volunteer.expect_navigation():
        volunteer.get_by_role("button", name="添加备注/附件").click()
    note = volunteer.locator("#timeline li[data-kind=note]").last
    assert "周六到调解室面谈" in note.inner_text() and "阿珠" in note.inner_text()
    event = OrderEvent.objects.filter(order=order, kind="note").latest("id")
    assert event.actor_id == alliance.vol.pk
    screenshot(volunteer, "alliance-note-phone")

    # The lead unit grants her the parties' phones; her next look shows them whole.
    handler = open_as(world.handler, phone=True)
    handler.goto(f"/orders/{order.pk}/")
    with handler.expect_navigation():
        handler.get_by_role("button", name="授权查看联系方式").click()
    volunteer.reload()
    phones = volunteer.locator("#parties td.phone").all_inner_texts()
    assert phones and not any("****" in p for p in phones)

    # Any other order is a 404 to her, and so is this one once the center withdraws.
    assert volunteer.goto(f"/orders/{other.pk}/").status == 404
    center.goto(f"/orders/{order.pk}/")
    with center.expect_navigation():
        center.get_by_role("button", name="撤回邀请").click()
    assert volunteer.goto(f"/orders/{order.pk}/").status == 404
    volunteer.goto("/my-assists/")
    assert volunteer.locator("[data-order]").count() == 0
