"""The report pages on a 390×844 phone, in Chinese and in English: nothing scrolls the
page sideways (wide tables reflow or scroll inside their own box).

Screenshots go to /tmp/reports-phone-<page>-<lang>-<part>.png for a look by eye.
"""

import pytest

from tests.supervision import conftest as report_data

built_month = report_data.built_month  # November 2026's orders, cases and escalations
visits_due_later = report_data.visits_due_later  # built_month's return visits fall due later

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE_WIDTH = 390
PAGES = {
    "monthly": "/reports/monthly/?month=2026-11",
    "bulletin": "/reports/bulletin/?month=2026-11",
    "bulletin-now": "/reports/bulletin/",
    "subsidy": "/reports/subsidy/?month=2026-11",
    "subsidy-print": "/reports/subsidy/?month=2026-11&print=1",
}


def save_screens(page, stem: str, *, height: int = 1200) -> None:
    """The whole page in parts a person can read (a 390 px wide strip per part)."""
    total = page.evaluate("() => document.documentElement.scrollHeight")
    for i, top in enumerate(range(0, total, height)):
        clip = {"x": 0, "y": top, "width": PHONE_WIDTH, "height": min(height, total - top)}
        page.screenshot(path=f"{stem}-{i}.png", full_page=True, clip=clip)


@pytest.mark.parametrize("lang", ["zh-hans", "en"])
def test_report_pages_fit_a_phone(built_month, open_as, live_server, lang):
    page = open_as(built_month.world.supervisor, phone=True)
    page.context.add_cookies([{"name": "django_language", "value": lang, "url": live_server.url}])
    too_wide = {}
    for name, url in PAGES.items():
        response = page.goto(url)
        assert response.status == 200, name
        assert page.locator("html").get_attribute("lang") == lang
        save_screens(page, f"/tmp/reports-phone-{name}-{lang}")
        widths = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
        # A phone zooms out to show a too-wide page, which widens the layout viewport:
        # the page fits only if that stays at the device's 390 px.
        if not widths[0] <= widths[1] == PHONE_WIDTH:
            too_wide[name] = widths
    assert not too_wide
