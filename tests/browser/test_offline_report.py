"""The installable app and offline reporting in Chromium on a 390 px phone.

A grid worker opens the report form; the service worker is registered for the whole
site and the manifest is valid. The phone loses its network: the report is kept on the
phone and listed as waiting, and no order exists. The network returns: exactly one order
is made (the Idempotency-Key guards the resend) and the list shows it sent, with its
number linking to the order.
"""

import json
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


def test_post_failing_on_the_way_is_kept_by_the_worker_and_sent_once(world, open_as, screenshot):
    """The phone believes it is online (navigator.onLine true) but the post cannot reach
    the server: the service worker keeps the report, shows the form again from its cached
    copy, and the report goes out once the network is back."""
    page = open_as(world.reporter, phone=True)
    page.goto("/report/")
    page.evaluate("async () => (await navigator.serviceWorker.ready).scope")
    page.reload()  # now through the worker, which keeps this copy of the form
    assert page.evaluate("!!navigator.serviceWorker.controller")

    page.context.set_offline(True)
    page.goto("/my-reports/")  # any other page: the offline notice
    assert page.get_by_role("heading", name="网络未连接").is_visible()
    assert world.reporter.username not in page.content()
    screenshot(page, "offline-page")
    page.goto("/report/")  # the form: its last copy
    assert page.locator("#report-form").is_visible()
    page.evaluate(  # the page still believes it is online
        "Object.defineProperty(Navigator.prototype, 'onLine', {get: () => true})"
    )
    fill_report(page, "信号断了的报单。")
    with page.expect_navigation():
        page.get_by_role("button", name="提交报单").click()
    assert page.url.endswith("/report/?queued=1")
    assert page.locator("#outbox-kept").is_visible()
    item = page.locator("#outbox .outbox-item")
    item.wait_for()
    assert "等待发送" in item.inner_text()
    assert Order.objects.count() == 0

    page.context.set_offline(False)
    assert wait_for_orders(1) == 1
    assert Order.objects.get().narrative == "信号断了的报单。"
    page.locator("#outbox .outbox-item.sent").wait_for()
    page.wait_for_timeout(500)
    assert Order.objects.count() == 1


def test_report_the_server_refuses_stays_listed_with_the_reasons(world, open_as):
    page = open_as(world.reporter, phone=True)
    page.goto("/report/")
    page.context.set_offline(True)
    fill_report(page, "电话写错了。")
    page.fill("#id_parties-0-phone", "12345")  # only the server checks a phone number
    page.get_by_role("button", name="提交报单").click()
    page.locator("#outbox .outbox-item").wait_for()

    page.context.set_offline(False)
    failed = page.locator("#outbox .outbox-item.failed")
    failed.wait_for()
    assert "未能报单" in failed.inner_text()
    assert "parties[0].phone" in failed.inner_text()
    assert Order.objects.count() == 0
    page.reload()  # still there, not resent
    page.locator("#outbox .outbox-item.failed").wait_for()
    failed.get_by_role("button", name="删除").click()
    page.locator("#outbox").wait_for(state="hidden")


def test_form_posts_as_usual_when_online(world, open_as):
    page = open_as(world.reporter, phone=True)
    page.goto("/report/")
    fill_report(page, "在线报单。")
    with page.expect_navigation():
        page.get_by_role("button", name="提交报单").click()
    order = Order.objects.get()
    assert page.url.endswith(f"/orders/{order.pk}/")
    assert page.locator("#outbox").count() == 0


def test_pushed_notice_is_shown_and_a_resend_with_its_tag_replaces_it(world, open_as, live_server):
    """The agreed payload {title, body, url, tag}, delivered to the worker through the
    DevTools protocol (what the push service would hand the browser)."""
    page = open_as(world.handler, phone=True)
    context = page.context
    context.grant_permissions(["notifications"], origin=live_server.url)
    page.goto("/")
    page.evaluate("async () => (await navigator.serviceWorker.ready).scope")
    cdp = context.new_cdp_session(page)
    registrations: list[str] = []
    cdp.on(
        "ServiceWorker.workerRegistrationUpdated",
        lambda event: registrations.extend(
            r["registrationId"] for r in event["registrations"] if not r["isDeleted"]
        ),
    )
    cdp.send("ServiceWorker.enable")
    page.wait_for_timeout(300)
    assert registrations, "no service worker registration seen"

    def push(payload: dict) -> None:
        cdp.send(
            "ServiceWorker.deliverPushMessage",
            {
                "origin": live_server.url + "/",
                "registrationId": registrations[-1],
                "data": json.dumps(payload, ensure_ascii=False),
            },
        )

    shown = """async () => {
      const registration = await navigator.serviceWorker.ready;
      return (await registration.getNotifications()).map(
        (n) => ({title: n.title, body: n.body, tag: n.tag, url: n.data && n.data.url}));
    }"""
    push({"title": "新订单待签收", "body": "HB-1 邻里纠纷", "url": "/orders/7/", "tag": "n-41"})
    page.wait_for_function(
        "async () => (await (await navigator.serviceWorker.ready).getNotifications()).length > 0"
    )
    assert page.evaluate(shown) == [
        {"title": "新订单待签收", "body": "HB-1 邻里纠纷", "tag": "n-41", "url": "/orders/7/"}
    ]
    resend = {"title": "新订单待签收", "body": "HB-1 邻里纠纷（重发）", "url": "/orders/7/"}
    push(resend | {"tag": "n-41"})
    page.wait_for_timeout(500)
    assert [n["body"] for n in page.evaluate(shown)] == ["HB-1 邻里纠纷（重发）"]
    # A url off this site is never opened from a notice.
    push({"title": "x", "body": "y", "url": "https://evil.example/", "tag": "n-42"})
    page.wait_for_timeout(500)
    assert {n["tag"]: n["url"] for n in page.evaluate(shown)}["n-42"] == "/"
