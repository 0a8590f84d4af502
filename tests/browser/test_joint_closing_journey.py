"""The joint closing on phones (issue 16): the handler proposes the closing with the
agreement; the first party refuses through its own link and the order goes back to
mediation; a second proposal is confirmed by both parties through their links; the
reporter and the center sign off and the order closes. The agreement's PDF opens and
carries its text."""

import io

import pytest
from pypdf import PdfReader

from disputes.models import ClosingProposal, Order, State
from tests.browser.conftest import PHONE
from tests.conftest import needs_pdf

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TERMS = "楼上住户出资重做卫生间防水，并承担楼下天花板修复费用2600元。"


@pytest.fixture
def party_phone(browser, live_server):
    """A party's own phone: no login, Chinese."""
    contexts = []

    def open_link(url: str):
        context = browser.new_context(
            base_url=live_server.url, locale="zh-CN", timezone_id="Asia/Shanghai", **PHONE
        )
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = context.new_page()
        page.goto(url)
        return page

    yield open_link
    for context in contexts:
        context.close()


def propose(page, order):
    page.goto(f"/orders/{order.pk}/")
    page.click("#actions a:has-text('提交结单')")
    page.check("input[name=outcome][value=mediated]")
    page.fill("#id_summary", "双方达成协议")
    page.select_option("#id_grade", "ordinary")
    page.fill("#id_terms", TERMS)
    page.fill("#id_performance", "银行转账，一次付清。")
    page.fill("#id_perform_by", "2030-06-30")
    with page.expect_navigation():
        page.click("#action-form button[type=submit]")
    assert page.locator("#closing").is_visible()


def party_links(page) -> list[str]:
    return [c.inner_text() for c in page.locator("#closing code.review-url").all()]


@needs_pdf
def test_propose_refuse_confirm_sign_and_close_on_phones(
    world, order_in, open_as, party_phone, live_server
):
    order = order_in(State.MET)
    handler = open_as(world.handler, phone=True)
    propose(handler, order)
    assert "待确认结单" in handler.locator("header, main").first.inner_text() or (
        Order.objects.get(pk=order.pk).state == State.CONFIRMING
    )
    # The phone fits the section: nothing wider than the screen.
    assert handler.evaluate("document.documentElement.scrollWidth") <= 390
    first_link, second_link = party_links(handler)

    # The first party refuses, with a reason (empty first: the page asks for one).
    first = party_phone(first_link)
    assert TERMS in first.locator("#agreement").inner_text()
    with first.expect_navigation():
        first.click("#refuse-button")
    assert "理由" in first.locator(".errors").first.inner_text()
    first.fill("#id_reason", "修复费用偏低")
    with first.expect_navigation():
        first.click("#refuse-button")
    assert "不同意" in first.locator("#answered").inner_text()
    assert Order.objects.get(pk=order.pk).state == State.MET

    # The other party's link died with the proposal.
    second = party_phone(second_link)
    assert second.locator("#expired").is_visible()

    # Mediation goes on; the handler proposes again; both parties confirm.
    propose(handler, order)
    links = party_links(handler)
    assert set(links).isdisjoint({first_link, second_link})
    pdf_url = None
    for link in links:
        party = party_phone(link)
        pdf_url = party.locator("#pdf-link").get_attribute("href")
        with party.expect_navigation():
            party.click("#confirm-button")
        assert "已确认" in party.locator("#answered").inner_text()

    # The PDF opens from the party's page and carries the agreement.
    response = party.request.get(pdf_url)
    assert response.status == 200 and response.headers["content-type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(response.body()))
    text = "".join("".join(p.extract_text().split()) for p in reader.pages)
    assert "人民调解协议书" in text and TERMS.rstrip("。") in text

    # The reporter, then the center sign off: the order closes.
    reporter = open_as(world.reporter, phone=True)
    reporter.goto(f"/orders/{order.pk}/")
    with reporter.expect_navigation():
        reporter.click("#closing-sign")
    assert Order.objects.get(pk=order.pk).state == State.CONFIRMING
    center = open_as(world.dispatcher, phone=True)
    center.goto(f"/orders/{order.pk}/")
    with center.expect_navigation():
        center.click("#closing-sign")
    assert "已结单" in center.locator(".messages, main").first.inner_text()
    order.refresh_from_db()
    assert order.state == State.CLOSED
    proposals = ClosingProposal.objects.filter(order=order).order_by("pk")
    assert [p.status for p in proposals] == ["refused", "closed"]
