"""The incident desk in Chromium (issue 17): the command room finds a call for help
(群众求助, a type without a category) on its desk, pushes it to the community's officer
choosing the category; the officer signs it on a phone; contact, meeting and the joint
closing go through the services; the desk then shows that incident's order closed
(已结单) with its outcome. The desk fits a 390 px phone."""

from datetime import timedelta

import pytest
from django.utils import timezone

from disputes import services
from disputes.models import ContactMethod, Incident, Order, Source, State
from shishi_mediation.text import SHANGHAI
from tests.desk_world import command_room, desk_types, desk_user, make_incident
from tests.factories import close_jointly

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_command_room_pushes_a_call_for_help_and_sees_it_closed(world, open_as, screenshot):
    types = desk_types(world)
    duty = desk_user(command_room(world))
    received = timezone.now() - timedelta(seconds=30)
    day = timezone.localtime(received, SHANGHAI).strftime("%Y-%m-%d")
    incident = make_incident(
        types,
        "QZ",
        world.zk,
        received,
        number="J3505812026QZ0001",
        summary="独居老人求助：楼上漏水至卧室，与楼上住户争执不下",
        address="曾坑社区新村12号",
        caller_name="黄阿婆",
        caller_phone="13812345678",
    )
    other = make_incident(types, "XS", world.fl_community, received, summary="电动车被盗")

    # --- 1. the command room's desk: the day's incidents and the share -------------------
    room = open_as(duty)
    room.get_by_role("link", name="警情工作台").click()
    room.wait_for_load_state()
    room.fill("#id_date", day)
    with room.expect_navigation():
        room.click("#desk-filters .search-row button[type=submit]")
    assert "警情 2 起，非警务类 1 起" in room.locator("#share-day").inner_text()
    assert "50.0%" in room.locator("#share-day").inner_text()
    card = room.locator(f'li[data-incident="{incident.number}"]')
    assert "138****5678" in card.inner_text()  # masked on the desk
    assert room.locator(f'li[data-incident="{other.number}"]').count() == 1

    # --- 2. push it to the community's officer, choosing the category ---------------------
    with room.expect_navigation():
        card.get_by_role("link", name="推送给社区民警").click()
    # A call for help has no category of its own: the form asks for one.
    assert room.locator("#id_category").get_attribute("required") is not None
    room.select_option("#id_category", label=world.neighbours.name)
    with room.expect_navigation():
        room.click("#push button[type=submit]")
    assert "已推送" in room.locator(".messages").inner_text()
    order = Order.objects.get(source=Source.POLICE_INCIDENT)
    assert Incident.objects.get(pk=incident.pk).order_id == order.pk
    assert order.state == State.DISPATCHED and order.lead_unit == world.hb_police
    section = room.locator("#incident-order")
    assert order.number in section.inner_text() and "湖滨派出所" in section.inner_text()

    # --- 3. the officer signs it on a phone; the order page names the incident ------------
    officer = open_as(world.handler, phone=True)
    officer.goto("/handling/")
    officer_card = officer.locator(f'li[data-order="{order.number}"]')
    officer_card.get_by_role("button", name="签收").click()
    officer.wait_for_load_state()
    assert f"已签收 {order.number}" in officer.locator(".messages").inner_text()
    officer.goto(f"/orders/{order.pk}/")
    assert incident.number in officer.locator("#order-incidents").inner_text()
    assert officer.evaluate("document.documentElement.scrollWidth") <= 390

    # --- 4. contact, meeting and the joint closing, through the services ------------------
    now = timezone.now()
    services.order_record_contact(
        order_id=order.pk,
        actor=world.handler,
        method=ContactMethod.PHONE,
        note="已电话联系双方",
        now=now + timedelta(minutes=5),
    )
    services.order_record_meeting(
        order_id=order.pk,
        actor=world.handler,
        place="曾坑社区调解室",
        participants="黄阿婆、楼上住户、调解员",
        result="楼上住户同意修复防水",
        now=now + timedelta(minutes=10),
    )
    closed = close_jointly(order, world.handler, now=now + timedelta(minutes=15))
    assert closed.state == State.CLOSED

    # --- 5. the desk shows the result for that incident -----------------------------------
    room.goto(f"/incidents/?date={day}")
    result = room.locator(f'li[data-incident="{incident.number}"] .incident-order')
    text = result.inner_text()
    assert order.number in text and "已结单" in text and "调解成功" in text
    assert "湖滨派出所" in text
    screenshot(room, "incident-desk")

    # --- 6. the desk on a 390 px phone -----------------------------------------------------
    phone = open_as(duty, phone=True)
    phone.goto(f"/incidents/?date={day}")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    assert phone.locator("#share").is_visible()
    phone_card = phone.locator(f'li[data-incident="{incident.number}"]')
    assert phone_card.is_visible() and "已结单" in phone_card.inner_text()
    screenshot(phone, "incident-desk-phone")
    phone.goto(f"/incidents/{incident.number}/")
    assert "调解成功" in phone.locator("#incident-order").inner_text()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
