"""发布通报 → the inbox → 本单位通报, in Chromium on a 390×844 phone: the supervisor
publishes November's bulletin with the button (a form posted as a browser posts it),
a police handler taps the notice in the inbox and reads its own row as a card, with
nothing scrolling sideways. Screenshots: /tmp/standing-phone-*.png."""

import pytest

from tests.supervision import conftest as report_data

built_month = report_data.built_month
visits_due_later = report_data.visits_due_later  # built_month's return visits fall due later

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE_WIDTH = 390


def fits(page) -> bool:
    width, inner = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    return width <= inner == PHONE_WIDTH


def test_publish_then_a_unit_reads_its_standing_on_a_phone(built_month, open_as):
    w = built_month.world
    page = open_as(w.supervisor, phone=True)
    page.goto("/reports/bulletin/?month=2026-11")
    page.get_by_role("button", name="发布通报").click()
    page.wait_for_selector("[data-published]")
    assert "2026年11月通报已发布，5个单位可在“本单位通报”查看。" in page.content()
    assert fits(page)
    page.screenshot(path="/tmp/standing-phone-published.png")

    page = open_as(w.handler, phone=True)
    page.goto("/inbox/")
    page.get_by_role("link", name="2026年11月考核通报已发布").click()
    page.wait_for_url("**/reports/standing/")
    card = page.locator("article.standing-card")
    assert card.count() == 1
    text = card.inner_text()
    assert "2026年11月 · 湖滨派出所" in text
    assert "未排名（案件数不足5件）" in text
    assert "1天5小时" in text  # the contact median, 1740 minutes
    # One column of figures on the phone: every figure row is as wide as the card.
    widths = page.evaluate(
        "() => [...document.querySelectorAll('.standing-figures > div')]"
        ".map(d => Math.round(d.getBoundingClientRect().width))"
    )
    assert len(set(widths)) == 1 and widths[0] > 250
    assert fits(page)
    page.screenshot(path="/tmp/standing-phone-card.png", full_page=True)
