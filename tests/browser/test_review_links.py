"""The review links of a closed order on a handler's phone (issue 12): the copy button
works under the strict CSP and says so; the QR code is drawn inline."""

import pytest

from disputes.models import State

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_copy_a_review_link_on_a_phone(world, order_in, open_as, live_server):
    order = order_in(State.CLOSED)
    page = open_as(world.handler, phone=True)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    page.goto(f"/orders/{order.pk}/")
    first = page.locator("#reviews li.review-link").first
    link = first.locator("button.copy").get_attribute("data-copy")
    assert "/review/" in link
    first.locator("button.copy").click()
    page.wait_for_function("() => document.querySelector('.copy-status').textContent !== ''")
    assert first.locator(".copy-status").inner_text() == "已复制"
    assert page.evaluate("navigator.clipboard.readText()") == link
    first.locator(".qr-box summary").click()
    box = first.locator("svg.qr").bounding_box()
    assert box and 100 < box["width"] <= 390  # scannable, and it fits the phone
