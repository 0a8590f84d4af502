"""The care register on a 390 px phone: the community officer opens an elderly woman's
page from the list, records a visit (the form posted as the browser posts it), and the
countdown starts again; the center's dispatcher sees only her masked name."""

import pytest
from django.utils import timezone

from care.models import CareKind, CareVisit
from care.services import SubjectInput, care_subject_register

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _no_broker(monkeypatch):
    monkeypatch.setattr("notifications.services.kick_delivery", lambda: None)


def test_an_officer_records_a_visit_on_a_phone(world, open_as, screenshot):
    subject = care_subject_register(
        actor=world.handler,
        data=SubjectInput(
            name="陈秀琴",
            kind=CareKind.ELDERLY_ALONE,
            community_id=world.zk.pk,
            address="曾坑北路8号",
            phone="13960718825",
            needs="腿脚不便",
        ),
        now=timezone.now() - timezone.timedelta(days=26),
    )
    page = open_as(world.handler, phone=True)
    page.goto("/care/")
    assert "warning" in page.locator(f"[data-subject='{subject.pk}']").get_attribute("class")
    page.get_by_role("link", name="陈秀琴").click()
    page.wait_for_url(f"**/care/{subject.pk}/")
    assert "还剩 4 天" in page.locator("#care-countdown").inner_text()
    page.locator("#care-visit-link").click()
    page.fill("#id_condition", "精神尚好，家中用电安全。")
    page.fill("#id_needs_found", "需要更换老化插座。")
    screenshot(page, "care-visit-phone")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    with page.expect_navigation():
        page.get_by_role("button", name="提交").click()
    assert "还剩 30 天" in page.locator("#care-countdown").inner_text()
    assert "精神尚好" in page.locator("#care-visits").inner_text()
    assert CareVisit.objects.get().on_time is True
    assert page.evaluate("document.documentElement.scrollWidth") <= 390

    center = open_as(world.dispatcher, phone=True)
    center.goto("/care/")
    assert center.locator(".care-name").inner_text() == "陈*"
    assert center.evaluate("document.documentElement.scrollWidth") <= 390
