"""培训 on a 390 px phone: the 湖滨 center's dispatcher records a session — times, the
trainer, two officers ticked in the attendee picker, one marked absent, a committee's
headcount — and lands on the session with its attendance; nothing is wider than the
phone. The officer then finds it under 我的培训."""

import pytest

from training.models import TrainingSession

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_dispatcher_records_a_training_session_on_a_phone(world, open_as):
    page = open_as(world.dispatcher, phone=True)
    page.goto("/training/")
    with page.expect_navigation():
        page.get_by_role("link", name="登记培训").click()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.get_by_label("主题").fill("调解技巧实务")
    page.get_by_label("类型").select_option("mediation")
    page.get_by_label("日期").fill("2026-11-18")
    page.get_by_label("开始时间").fill("14:00")
    page.get_by_label("结束时间").fill("16:30")
    page.locator("#id_trainer_name").fill("陈老师")
    picker = page.locator("#picker-attendees")
    picker.locator("summary", has_text="湖滨派出所").click()
    picker.get_by_label("张警官").check()
    picker.locator("summary", has_text="曾坑社区人民调解委员会").click()
    picker.get_by_label("committee", exact=True).check()
    absent = page.locator("#picker-absentees")
    absent.locator("summary", has_text="湖滨派出所").click()
    absent.get_by_label("head", exact=True).check()
    page.locator("details.headcounts > summary").click()
    page.get_by_label("曾坑社区居委会").fill("6")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    with page.expect_navigation():
        page.get_by_role("button", name="保存").click()

    s = TrainingSession.objects.get()
    assert page.url.endswith(f"/training/{s.pk}/")
    assert page.locator("#session-hours").inner_text() == "2.50"
    assert page.locator("#session-people").inner_text() == "8"  # 2 attended + 6
    assert "张警官" in page.locator("#attended").inner_text()
    assert "head" in page.locator("#absent").inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390

    officer = open_as(world.handler, phone=True)
    officer.goto("/training/mine/")
    assert "调解技巧实务" in officer.locator("main").inner_text()
    assert "累计 2.50 小时" in officer.locator("#my-hours").inner_text()
