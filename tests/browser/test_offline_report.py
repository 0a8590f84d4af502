"""The installable app and offline reporting in Chromium on a 390 px phone.

A grid worker opens the report form; the service worker is registered for the whole
site and the manifest is valid. The phone loses its network: the report is kept on the
phone and listed as waiting, and no order exists. The network returns: exactly one order
is made (the Idempotency-Key guards the resend) and the list shows it sent, with its
number linking to the order.
"""

import time

import pytest

from disputes.models import Order

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _no_broker(monkeypatch):
    monkeypatch.setattr("notifications.services.kick_delivery", lambda: None)


def wait_for_orders(count: int, *, seconds: float = 10.0) -> int:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if Order.objects.count() >= count:
            break
        time.sleep(0.1)
    return Order.objects.count()


def fill_report(page, narrative: str) -> None:
    page.select_option("#id_category", label="邻里纠纷")
    page.select_option("#id_community", label="曾坑社区")
    page.fill("#id_address", "金曾花园3幢")
    page.fill("#id_parties-0-name", "施秀琴")
    page.fill("#id_parties-0-phone", "13860712235")
    page.fill("#id_narrative", narrative)


def test_service_worker_and_manifest(world, open_as, live_server):
    page = open_as(world.reporter, phone=True)
    page.goto("/report/")
    scope = page.evaluate("async () => (await navigator.serviceWorker.ready).scope")
    assert scope == live_server.url + "/"
    assert page.evaluate("window.isSecureContext")

    response = page.request.get("/manifest.webmanifest")
    assert response.status == 200
    assert response.headers["content-type"].startswith("application/manifest+json")
    manifest = response.json()
    assert manifest["name"] == "石狮订单分包调处平台"
    assert manifest["short_name"] == "石狮调处"
    assert (manifest["start_url"], manifest["scope"], manifest["display"]) == (
        "/",
        "/",
        "standalone",
    )
    sizes = {(icon["sizes"], icon.get("purpose", "any")) for icon in manifest["icons"]}
    assert {("192x192", "any"), ("512x512", "any"), ("512x512", "maskable")} <= sizes
    for icon in manifest["icons"]:
        image = page.request.get(icon["src"])
        assert image.status == 200, icon
        assert image.headers["content-type"] == "image/png"
        assert image.body()[:8] == b"\x89PNG\r\n\x1a\n"
    # The page links the manifest the browser just read.
    assert page.locator("link[rel=manifest]").get_attribute("href") == "/manifest.webmanifest"

    worker = page.request.get("/sw.js")
    assert worker.status == 200
    assert "javascript" in worker.headers["content-type"]
    assert "no-cache" in worker.headers["cache-control"]


def test_report_written_offline_is_sent_once_when_back_online(
    world, open_as, live_server, screenshot
):
    page = open_as(world.reporter, phone=True)
    page.goto("/report/")
    page.evaluate("async () => (await navigator.serviceWorker.ready).scope")
    context = page.context

    context.set_offline(True)
    assert page.evaluate("navigator.onLine") is False
    fill_report(page, "离线时写的报单：楼上装修噪音扰民。")
    page.get_by_role("button", name="提交报单").click()
    item = page.locator("#outbox .outbox-item")
    item.wait_for()
    assert item.count() == 1
    assert "等待发送" in item.inner_text()
    assert page.locator("#outbox-kept").is_visible()
    assert page.url.endswith("/report/")  # no page load: the form stayed
    page.wait_for_timeout(500)
    assert Order.objects.count() == 0
    screenshot(page, "report-offline-waiting")

    context.set_offline(False)
    assert wait_for_orders(1) == 1
    order = Order.objects.get()
    assert order.reporter == world.reporter
    assert order.narrative == "离线时写的报单：楼上装修噪音扰民。"
    assert order.title == "曾坑社区邻里纠纷"  # the form's default title
    assert [p.name for p in order.parties.all()] == ["施秀琴"]
    sent = page.locator("#outbox .outbox-item.sent")
    sent.wait_for()
    assert "已发送" in sent.inner_text()
    assert sent.get_by_role("link", name=order.number).get_attribute("href") == (
        f"/orders/{order.pk}/"
    )
    screenshot(page, "report-offline-sent")

    # A reload sends nothing again; still one order.
    page.reload()
    page.locator("#outbox .outbox-item.sent").wait_for()
    page.wait_for_timeout(500)
    assert Order.objects.count() == 1


def test_form_posts_as_usual_when_online(world, open_as):
    page = open_as(world.reporter, phone=True)
    page.goto("/report/")
    fill_report(page, "在线报单。")
    with page.expect_navigation():
        page.get_by_role("button", name="提交报单").click()
    order = Order.objects.get()
    assert page.url.endswith(f"/orders/{order.pk}/")
    assert page.locator("#outbox").count() == 0
