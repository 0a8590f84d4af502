"""移交跟踪 on a 390 px phone: the station's handler records the court's 立案 from the
order page of a failed, referred case; nothing sticks out of the screen."""

import pytest

from disputes.models import Duty, Outcome, ReferralResult, State

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _no_broker(monkeypatch):
    monkeypatch.setattr("notifications.services.kick_delivery", lambda: None)


def test_record_a_referral_result_on_a_phone(world, open_as, screenshot):
    order = world.order(State.CLOSED, outcome=Outcome.FAILED)  # referred to court
    page = open_as(world.handler2, phone=True)
    page.goto(f"/orders/{order.pk}/#referral")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.fill("#id_body", "石狮市人民法院")
    page.select_option("#id_outcome", "accepted")
    page.fill("#id_case_number", "(2026)闽0581民初1234号")
    page.fill("#id_decided_on", "2026-11-20")
    page.fill("#id_note", "法院已立案，排期开庭。")
    screenshot(page, "referral-phone")
    with page.expect_navigation():
        page.get_by_role("button", name="记录移交结果").click()
    section = page.locator("#referral").inner_text()
    assert "(2026)闽0581民初1234号" in section and "按时跟踪" in section
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert ReferralResult.objects.get().recorded_by == world.handler2
    assert Duty.objects.get(order=order, kind="referral").on_time is True
