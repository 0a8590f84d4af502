"""Issue 17's pages in English on a 390 px phone, on the demo's data: the incident desk
and an incident (the command room), the map (the city supervisor), and the order a
duplicate was merged into, with its repeat radar (the center). Each page is English
(``<html lang="en">``), says so in its own words, and never scrolls sideways."""

import pytest
from django.core.management import call_command
from django.utils import timezone

from disputes.models import Incident, Order

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("radar_on"),  # the demo's repeats are flagged as in production
]


@pytest.fixture(autouse=True)
def _no_broker(monkeypatch):
    monkeypatch.setattr("notifications.services.kick_delivery", lambda: None)


def in_english(open_as, live_server, user):
    page = open_as(user, phone=True, password="demo12345")
    page.context.add_cookies([{"name": "django_language", "value": "en", "url": live_server.url}])
    return page


def check(page, path: str, *texts: str) -> None:
    assert page.goto(path).status == 200, path
    assert page.locator("html").get_attribute("lang") == "en", path
    body = page.locator("main").inner_text()
    for text in texts:
        assert text in body, (path, text)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390, path


def test_issue_17_pages_in_english_on_a_phone(open_as, live_server, django_user_model):
    call_command("seed_demo", verbosity=0)
    users = django_user_model.objects

    duty = in_english(open_as, live_server, users.get(username="duty"))
    pushed = Incident.objects.filter(order__isnull=False).order_by("-received_at").first()
    day = timezone.localtime(pushed.received_at).date().isoformat()
    check(duty, f"/incidents/?date={day}", "Share of non-police incidents", "By community")
    check(duty, f"/incidents/{pushed.number}/", pushed.order.number)

    supervisor = in_english(open_as, live_server, users.get(username="supervisor"))
    check(supervisor, "/map/", "Orders by community", "approximate")

    kept = Order.objects.filter(merged_duplicates__isnull=False).first()
    center = in_english(open_as, live_server, users.get(username="center"))
    check(center, f"/orders/{kept.pk}/", "Merged duplicate reports", "From order")
    repeat = Order.objects.filter(is_repeat=True, street__code="HB").first()
    check(center, f"/orders/{repeat.pk}/", "Repeat dispute")
