"""Issue 18's pages in English on a 390 px phone, on the demo's data: the community
officer records a visit to the registered elderly woman living alone (陈秀琴) and her
countdown starts again; the hazard list and a hazard, the screening log; the alliance,
its joint activities and the volunteer's own orders; training; and the monthly report's
new sections. Each page is English (``<html lang="en">``), says so in its own words,
and never scrolls sideways."""

import pytest
from django.core.management import call_command

from care.models import CareSubject, CareVisit
from hazards.models import Hazard
from training.selectors import sessions_visible_to

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


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


def test_issue_18_pages_in_english_on_a_phone(open_as, live_server, django_user_model):
    call_command("seed_demo", verbosity=0)
    users = django_user_model.objects

    police = in_english(open_as, live_server, users.get(username="police"))
    elderly = CareSubject.objects.get(name="陈秀琴")
    check(police, "/care/", "Person in care", "陈秀琴")
    check(police, f"/care/{elderly.pk}/", "Next visit", "days left")
    police.locator("#care-visit-link").click()
    police.wait_for_url(f"**/care/{elderly.pk}/visit/")
    police.fill("#id_condition", "Well; the stove is switched off at night.")
    with police.expect_navigation():
        police.locator("main form button[type=submit]").last.click()
    assert "30 days left" in police.locator("#care-countdown").inner_text()
    assert CareVisit.objects.filter(subject=elderly).latest("visited_at").on_time is True
    hazard = Hazard.objects.filter(state="reported").order_by("due_at").first()
    check(police, "/hazards/", "Hazard screening")
    check(police, f"/hazards/{hazard.pk}/", "Rectification deadline")
    check(police, "/training/mine/", "My training")

    center_user = users.get(username="center")
    center = in_english(open_as, live_server, center_user)
    check(center, "/alliance/", "Mediation alliance of social forces", "Volunteer team")
    check(center, "/alliance/activities/", "Joint activit")
    check(center, "/hazards/screenings/", "Screening log")
    session = sessions_visible_to(center_user).first()
    check(center, "/training/", "Training", session.topic)
    check(center, f"/training/{session.pk}/", session.topic)
    check(center, "/care/", "Person in care")  # masked names only

    minnan = in_english(open_as, live_server, users.get(username="minnan"))
    check(minnan, "/my-assists/", "My assistance")

    supervisor = in_english(open_as, live_server, users.get(username="supervisor"))
    check(
        supervisor,
        "/reports/monthly/",
        "Hazard screening",
        "Mediation alliance",
        "trainings held this month",
        "Person in care",
    )
