"""One dispute from the street to the supervisor's count, in a real browser.

A community police officer on a 390×844 phone reports a noise dispute; the street
center dispatches it to the community mediation committee (the routing rules' first
suggestion); the committee member signs, records contact and meeting and closes it on
the phone; the order page's timeline shows every step in order; the supervisor sees
it counted. With SAVE_SCREENSHOTS=1 the key pages are saved under docs/screenshots/.
"""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from dispatch.models import Role
from disputes.models import EventKind, Order, State
from disputes.sweep import sla_sweep
from tests.browser.conftest import PHONE
from tests.factories import MembershipFactory, RoutingRuleFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# A 1×1 PNG: the officer's "photo".
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360f8cfc0f01f0005fe02fea7356e1a0000000049454e44ae426082"
)


def name(user, last: str, first: str) -> None:
    user.last_name, user.first_name = last, first
    user.save(update_fields=["last_name", "first_name"])


@pytest.fixture
def street(world, order_in, media_root, settings):
    """湖滨 with people named as in the demo, a routing rule for neighbour disputes in
    曾坑, and a few other orders so the queue and the board are not empty."""
    settings.BOARD_REFRESH_SECONDS = 1
    name(world.handler, "蔡", "志强")
    name(world.committee_handler, "王", "秀英")
    name(world.dispatcher, "林", "晓燕")
    name(world.supervisor, "施", "明辉")
    # The officer both handles and reports, like the demo's ``police``.
    MembershipFactory(user=world.handler, unit=world.hb_police, role=Role.REPORTER)
    RoutingRuleFactory(category=world.neighbours, area=world.zk, unit=world.hb_committee)
    RoutingRuleFactory(category=world.neighbours, area=world.hb, unit=world.hb_police, rank=2)
    now = timezone.now()
    order_in(State.REPORTED, start=now - timedelta(minutes=20), risk_level="high")
    order_in(State.DISPATCHED, start=now - timedelta(minutes=12))  # on time
    order_in(State.DISPATCHED, start=now - timedelta(minutes=32), category=world.neighbours)
    order_in(State.DISPATCHED, start=now - timedelta(minutes=50), community=world.sg)  # late
    order_in(State.SIGNED, start=now - timedelta(hours=3), assisting_units=[world.hb_labour])
    order_in(State.CONTACTED, start=now - timedelta(hours=40))  # meeting due in 7h45m
    order_in(
        State.CLOSED,
        start=now - timedelta(days=3),
        reporter=world.fl_reporter,
        community=world.fl_community,
    )
    sla_sweep(now=now)  # the late ones carry their warnings and escalations
    return world


def test_noise_dispute_from_report_to_supervisor(
    street, open_as, screenshot, settings, browser, live_server
):
    world = street

    # --- 1. the officer reports on a phone ------------------------------------------------
    phone = open_as(world.handler, phone=True)
    phone.get_by_role("link", name="报单", exact=True).click()
    phone.select_option("#id_category", label="邻里纠纷")
    phone.select_option("#id_community", label="曾坑社区")
    phone.fill("#id_address", "金曾花园3幢")
    phone.get_by_label("中", exact=True).check()
    phone.fill("#id_parties-0-name", "施秀琴")
    phone.fill("#id_parties-0-phone", "13860712235")
    phone.check("#id_parties-0-is_elderly_alone")
    phone.click("#add-party")  # htmx brings the second party's fields
    phone.fill("#id_parties-1-name", "邱建伟")
    phone.select_option("#id_parties-1-role", "respondent")
    phone.fill(
        "#id_narrative", "6楼孩子夜间跑跳拖动桌椅，5楼住户多次交涉未果，今晚双方在楼道争吵。"
    )
    phone.set_input_files(
        "#id_files", files=[{"name": "现场.png", "mimeType": "image/png", "buffer": PNG}]
    )
    phone.click("summary")
    phone.fill("#id_title", "金曾花园楼上楼下噪音纠纷")
    screenshot(phone, "report-form-phone")
    phone.get_by_role("button", name="提交报单").click()
    phone.wait_for_url(re.compile(r"/orders/\d+/$"))
    order = Order.objects.get(title="金曾花园楼上楼下噪音纠纷")
    assert phone.locator(".messages").inner_text().startswith(f"已报单，编号 {order.number}")
    assert order.parties.count() == 2 and order.attachments.count() == 1
    assert phone.locator(".attachments a").inner_text() == "现场.png"

    # --- 2. the center dispatches it to the suggested committee ---------------------------
    desk = open_as(world.dispatcher)
    assert desk.url.endswith("/queue/")
    card = desk.locator(f'li[data-order="{order.number}"]')
    suggestion = card.get_by_role("link", name="派至 曾坑社区人民调解委员会")
    assert "primary" in suggestion.get_attribute("class")  # the best fit comes first
    screenshot(desk, "dispatch-queue")
    suggestion.click()
    assert desk.input_value("#id_lead_unit") == str(world.hb_committee.pk)
    # Choosing another lead unit reloads the people to name (htmx), and back again.
    desk.select_option("#id_lead_unit", str(world.hb_police.pk))
    desk.wait_for_selector("#id_assignee option:text('蔡志强')", state="attached")
    desk.select_option("#id_lead_unit", str(world.hb_committee.pk))
    desk.wait_for_selector("#id_assignee option:text('王秀英')", state="attached")
    desk.select_option("#id_assignee", label="王秀英")
    desk.get_by_label("曾坑社区居委会").check()
    desk.fill("#id_note", "涉及独居老人，请尽快上门。")
    screenshot(desk, "dispatch-form")
    desk.click("#action-form button[type=submit]")
    desk.wait_for_url(f"**/orders/{order.pk}/")
    assert desk.locator(".order-head .state").inner_text() == "待签收"

    # The live board shows it with its sign countdown, and refreshes itself.
    desk.goto("/board/")
    row = desk.locator(f'tr[data-order="{order.number}"]')
    assert "签收 剩余" in row.locator(".clock").inner_text()
    assert "clock-ok" in row.locator(".clock").get_attribute("class")
    stamp = desk.locator("#board-stamp").inner_text()
    desk.wait_for_function(
        "s => document.querySelector('#board-stamp').innerText !== s", arg=stamp, timeout=5000
    )
    assert desk.locator(f'tr[data-order="{order.number}"]').count() == 1
    if screenshot.enabled:
        settings.BOARD_REFRESH_SECONDS = 30  # what people see
        desk.reload()
        screenshot(desk, "board")

    # --- 3. the committee member handles it on a phone ------------------------------------
    mediator = open_as(world.committee_handler, phone=True)
    assert mediator.url.endswith("/handling/")
    card = mediator.locator(f'li[data-order="{order.number}"]')
    screenshot(mediator, "handling-phone", full_page=False)
    card.get_by_role("button", name="签收").click()  # one tap
    mediator.wait_for_load_state()
    assert f"已签收 {order.number}" in mediator.locator(".messages").inner_text()

    card = mediator.locator(f'li[data-order="{order.number}"]')
    card.get_by_role("link", name="记录联系").click()
    mediator.get_by_label("上门").check()
    mediator.fill("#id_note", "与网格员一同上门，分别走访5楼施秀琴、6楼邱建伟。")
    mediator.click("#action-form button[type=submit]")
    mediator.wait_for_url(f"**/orders/{order.pk}/")
    assert "已记录联系" in mediator.locator(".messages").inner_text()

    mediator.locator("#actions").get_by_role("link", name="记录调解").click()
    mediator.fill("#id_place", "曾坑社区人民调解室")
    mediator.fill("#id_participants", "调委会王秀英、网格员、双方当事人")
    mediator.fill("#id_result", "6楼同意铺设地垫、晚9点后不再跑跳；5楼有问题先找网格员。")
    mediator.click("#action-form button[type=submit]")
    mediator.wait_for_url(f"**/orders/{order.pk}/")

    mediator.locator("#actions").get_by_role("link", name="提交结单").click()
    mediator.get_by_label("调解成功").check()
    mediator.fill("#id_summary", "双方签订调解协议：6楼铺设地垫并控制夜间噪音。")
    mediator.select_option("#id_grade", "simple")
    mediator.fill("#id_terms", "6楼铺设地垫，晚9点后不再跑跳；5楼有问题先找网格员。")
    mediator.fill("#id_performance", "6楼一周内铺设地垫，网格员回访确认。")
    screenshot(mediator, "close-form-phone")
    mediator.click("#action-form button[type=submit]")
    mediator.wait_for_url(f"**/orders/{order.pk}/")
    assert mediator.locator(".order-head .state").inner_text() == "待确认结单"

    # Each party confirms through her own link; the reporter and the center sign off.
    links = mediator.locator("#closing code.review-url").all_inner_texts()
    assert len(links) == 2
    confirming = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", **PHONE)
    try:
        for link in links:
            page = confirming.new_page()
            page.goto(link)
            with page.expect_navigation():
                page.click("#confirm-button")
            assert "已确认" in page.locator("#answered").inner_text()
    finally:
        confirming.close()
    for signer in (phone, desk):
        signer.goto(f"/orders/{order.pk}/")
        with signer.expect_navigation():
            signer.click("#closing-sign")
    mediator.goto(f"/orders/{order.pk}/")
    assert mediator.locator(".order-head .state").inner_text() == "已结单"

    # --- 4. the timeline shows every step, in order ---------------------------------------
    kinds = mediator.eval_on_selector_all("#timeline li", "els => els.map(e => e.dataset.kind)")
    steps = [EventKind.REPORTED, EventKind.DISPATCHED, EventKind.SIGNED]
    steps += [EventKind.CONTACTED, EventKind.MET, EventKind.CLOSED]
    assert [k for k in kinds if k in steps] == steps
    assert kinds.count(EventKind.ATTACHMENT) == 1  # the officer's photo
    order.refresh_from_db()
    assert order.state == State.CLOSED and order.assignee == world.committee_handler
    # The handling unit sees full phone numbers and one review link per party.
    assert "13860712235" in mediator.locator("#parties").inner_text()
    assert mediator.locator("#reviews .review-url").count() == 2

    review_urls = mediator.locator("#reviews .review-url").all_inner_texts()

    desk.goto(f"/orders/{order.pk}/")
    screenshot(desk, "order-page")

    # --- 4b. a party rates the service from her own phone, with no login ------------------
    # The page sends only its origin as Referer (the token stays private) while the form's
    # POST still carries a real Origin, so Django's CSRF check lets it through.
    public = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", **PHONE)
    try:
        party = public.new_page()
        party.goto(review_urls[0])
        party.get_by_label("好评").check()
        party.fill("#id_comment", "调解员很耐心，问题解决了。")
        screenshot(party, "review-phone")
        with party.expect_response(lambda r: r.request.method == "POST") as posted:
            party.get_by_role("button", name="提交评价").click()
        request_headers = posted.value.request.all_headers()
        assert posted.value.status == 302, posted.value.status  # not 403 (CSRF)
        assert request_headers["origin"] == live_server.url
        assert request_headers.get("referer", "").rstrip("/") == live_server.url  # no token
        party.wait_for_load_state()
        assert "您的评价已收到" in party.locator("main").inner_text()
        assert "{#" not in party.locator("body").inner_text()  # no template text leaks
    finally:
        public.close()
    assert order.reviews.filter(rating="good", submitted_at__isnull=False).count() == 1

    # The officer, as reporter only, sees the phone he typed; ID numbers stay masked.
    phone.goto(f"/orders/{order.pk}/")
    assert "13860712235" in phone.locator("#parties").inner_text()
    assert "身份证号已脱敏" in phone.locator("#parties").inner_text()

    # --- 5. the supervisor sees it counted ------------------------------------------------
    boss = open_as(world.supervisor)
    assert boss.url.endswith("/overview/")
    hb = boss.locator('tr[data-street="湖滨街道"]')
    assert hb.locator('td[data-state="closed"]').inner_text() == "1"
    assert boss.locator('tr[data-street="凤里街道"] td[data-state="closed"]').inner_text() == "1"
    screenshot(boss, "overview")
    # The party's 好评 is counted in the month's report: 1 good of 1 submitted.
    boss.goto("/reports/monthly/")
    assert boss.locator(".kpi", has_text="好评率").locator("b").inner_text() == "100.0%"
    boss.goto("/overview/")

    # And in English, with one click.
    boss.get_by_role("button", name="English").click()
    boss.wait_for_selector("html[lang=en]")
    assert boss.locator("h1").inner_text() == "Overview"
    screenshot(boss, "overview-en")
