"""Co-handling (协办) and reviewed returns on a 390 px phone, clicked through as people do.

* The center dispatches with an assisting unit; its handler signs for its part with one
  tap and files an opinion; the lead unit's handler reads it, marked 按时.
* The lead unit asks to return the order; the center rejects with a reason and the unit
  keeps it. After two returns the next dispatch is final (终审派单): the page offers
  申请协办 instead of 申请退单, and a forged return is refused.
* The board shows a paused clock (暂停中) and a red order's colour, within the screen.
"""

from datetime import timedelta

import pytest
from django.utils import timezone

from disputes import services
from disputes.models import Assistance, ClockPause, Order, ReturnRequest, State
from tests.factories import report_order

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

FITS = "document.documentElement.scrollWidth"


@pytest.fixture(autouse=True)
def _no_broker(monkeypatch):
    monkeypatch.setattr("notifications.services.kick_delivery", lambda: None)


def test_an_assisting_unit_signs_and_files_its_opinion(world, open_as, screenshot):
    order = report_order(world)

    center = open_as(world.dispatcher, phone=True)
    center.goto(f"/orders/{order.pk}/dispatch/")
    center.select_option("#id_lead_unit", str(world.hb_police.pk))
    center.check(f'input[name="assisting_units"][value="{world.hb_committee.pk}"]')
    assert center.evaluate(FITS) <= 390
    with center.expect_navigation():
        center.get_by_role("button", name="派单").click()
    order.refresh_from_db()
    assert order.state == State.DISPATCHED and order.lead_unit == world.hb_police
    part = Assistance.objects.get(order=order)
    assert part.unit == world.hb_committee and part.sign_duty.is_running

    helper = open_as(world.committee_handler, phone=True)
    helper.goto(f"/orders/{order.pk}/")
    assert "截止" in helper.locator("#assistances").inner_text()  # its signing clock runs
    assert helper.evaluate(FITS) <= 390
    with helper.expect_navigation():
        helper.locator("#actions").get_by_role("button", name="协办签收").click()
    part.refresh_from_db()
    assert part.signed_by == world.committee_handler and part.sign_duty.on_time is True
    assert helper.locator("#actions").get_by_role("button", name="协办签收").count() == 0

    services.order_sign(order_id=order.pk, actor=world.handler)  # the lead unit signs
    helper.goto(f"/orders/{order.pk}/")
    opinion = "双方系同村邻居，建议由调委会老调解员参与，先稳定工人情绪再谈分期。"
    helper.locator("#opinion-form textarea").fill(opinion)
    screenshot(helper, "assist-opinion-phone")
    with helper.expect_navigation():
        helper.locator("#opinion-form button[type=submit]").click()
    assert helper.locator("#opinion-form").count() == 0
    part.refresh_from_db()
    assert part.opinion == opinion and part.opinion_duty.on_time is True

    lead = open_as(world.handler, phone=True)
    lead.goto(f"/orders/{order.pk}/")
    row = lead.locator(f'#assistances li[data-unit="{world.hb_committee.pk}"]')
    text = row.inner_text()
    assert opinion in text and "按时" in text
    assert lead.locator("#opinion-form").count() == 0  # the lead unit files none
    assert lead.evaluate(FITS) <= 390


def test_a_rejected_return_then_final_assignment(world, open_as, settings):
    settings.FINAL_ASSIGNMENT_AFTER_RETURNS = 2
    start = timezone.now() - timedelta(hours=1)
    order = world.order(State.DISPATCHED, assignee=world.handler, start=start)

    handler = open_as(world.handler, phone=True)
    handler.goto(f"/orders/{order.pk}/")
    with handler.expect_navigation():
        handler.locator("#actions").get_by_role("link", name="申请退单").click()
    handler.fill("#id_reason", "工地欠薪，属劳动保障所职责，建议改派。")
    assert handler.evaluate(FITS) <= 390
    with handler.expect_navigation():
        handler.get_by_role("button", name="提交退单申请").click()
    request = ReturnRequest.objects.get(order=order)
    assert request.decided_at is None and Order.objects.get(pk=order.pk).return_pending

    center = open_as(world.dispatcher, phone=True)
    center.goto(f"/orders/{order.pk}/")
    assert "属劳动保障所职责" in center.locator("#pending-return").inner_text()
    center.fill("#id_reject_note", "欠薪涉及治安隐患，仍由派出所牵头，劳动保障所可协办。")
    assert center.evaluate(FITS) <= 390
    with center.expect_navigation():
        center.locator("#review-reject button[type=submit]").click()
    assert "已驳回退单申请" in center.content()
    assert center.locator("#pending-return").count() == 0
    request.refresh_from_db()
    assert request.approved is False and "治安隐患" in request.decision_note
    kept = Order.objects.get(pk=order.pk)
    assert kept.state == State.DISPATCHED and kept.lead_unit == world.hb_police
    assert not kept.return_pending

    # Two returns to the queue by the center, re-dispatched in between: the next is final.
    for _ in range(2):
        services.order_return(order_id=order.pk, actor=world.dispatcher, reason="需重新研判")
        services.order_dispatch(
            order_id=order.pk,
            actor=world.dispatcher,
            lead_unit_id=world.hb_police.pk,
            assignee_id=world.handler.pk,
        )
    order = Order.objects.get(pk=order.pk)
    assert order.final_assignment and order.state == State.DISPATCHED

    handler.goto(f"/orders/{order.pk}/")
    assert "终审派单" in handler.locator("#final-assignment").inner_text()
    actions = handler.locator("#actions")
    assert actions.get_by_role("link", name="申请退单").count() == 0
    assert actions.get_by_role("link", name="申请协办").count() == 1
    assert handler.evaluate(FITS) <= 390

    # A return forged as a browser would post it (the page's own CSRF token) is refused.
    requests_before = ReturnRequest.objects.count()
    with handler.expect_navigation():
        handler.evaluate(
            """(pk) => {
                const token = document.querySelector('input[name=csrfmiddlewaretoken]').value;
                const form = document.createElement('form');
                form.method = 'post';
                form.action = `/orders/${pk}/return/`;
                for (const [name, value] of [['csrfmiddlewaretoken', token],
                                             ['reason', '不属本单位职责']]) {
                    const input = document.createElement('input');
                    input.type = 'hidden';
                    input.name = name;
                    input.value = value;
                    form.appendChild(input);
                }
                document.body.appendChild(form);
                form.submit();
            }""",
            order.pk,
        )
    assert handler.url.endswith(f"/orders/{order.pk}/")
    assert "终审派单，不能退单" in handler.content()
    assert ReturnRequest.objects.count() == requests_before
    order = Order.objects.get(pk=order.pk)
    assert order.state == State.DISPATCHED and order.lead_unit == world.hb_police
    assert not order.return_pending


def test_the_board_shows_a_paused_clock_and_a_red_order(world, open_as):
    start = timezone.now() - timedelta(hours=1)
    paused = world.order(State.SIGNED, assignee=world.handler, start=start)
    services.order_pause(
        order_id=paused.pk,
        actor=world.handler,
        stage="meet",
        reason=ClockPause.Reason.HOSPITAL,
        minutes=24 * 60,
        note="被申请人住院，出院后再调解。",
    )
    services.order_pause_decide(order_id=paused.pk, actor=world.dispatcher, approve=True)
    red = world.order(State.DISPATCHED, risk_level="high", start=start)
    assert red.colour == "red"

    page = open_as(world.dispatcher, phone=True)
    page.goto("/board/")
    row = page.locator(f'tr[data-order="{paused.number}"]')
    # The badge is an element, not its markup shown as text.
    assert "<span" not in row.inner_text()
    assert "暂停中" in row.locator(".state-paused").inner_text()
    red_row = page.locator(f'tr[data-order="{red.number}"]')
    assert red_row.locator(".colour-red").inner_text().strip() == "红"
    assert page.locator(".state-paused").count() == 1  # the red order is not paused
    assert page.evaluate(FITS) <= 390
