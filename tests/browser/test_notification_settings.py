"""The "通知设置" page on a 390×844 phone in Chromium: reached from the header, the phone
saved and shown masked, quiet hours across midnight, a device removed.

A real ``pushManager.subscribe`` is not made here: it needs the browser's push service
(Google's, for Chromium), which nothing on this machine can reach. The pages run with the
'notifications' permission granted; the header button's test swaps the browser's push
machinery for a stand-in, so push.js and the server run for real up to that call. What
a push service receives is tested over HTTP in tests/notifications/test_webpush.py."""

import pytest
from django.utils import timezone

from dispatch.models import Profile
from notifications.models import NotificationPreference, PushSubscription
from notifications.webpush import generate_vapid_keys

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def push_keys(settings):
    settings.WEBPUSH_VAPID_PRIVATE_KEY, settings.WEBPUSH_VAPID_PUBLIC_KEY = generate_vapid_keys()


def test_settings_on_a_phone(world, open_as, push_keys, screenshot):
    user = world.handler
    device = PushSubscription.objects.create(
        user=user,
        endpoint="https://fcm.googleapis.com/fcm/send/abc",
        p256dh="x",
        auth="y",
        user_agent="Chrome · Android",
        created_at=timezone.now(),
    )
    page = open_as(user, phone=True)
    page.context.grant_permissions(["notifications"])
    page.goto("/board/")
    with page.expect_navigation():
        page.click("header.top a.settings-link")
    assert page.locator("h1").inner_text() == "通知设置"
    # The service worker (/sw.js) is ready, so both push toggles are offered, off.
    assert page.locator("[data-push-toggle]").count() == 2
    for toggle in ("header.top [data-push-toggle]", "#devices [data-push-toggle]"):
        page.locator(toggle).wait_for(state="visible")
        assert page.locator(toggle).get_attribute("aria-pressed") == "false"

    page.fill("#id_phone", "13812345678")
    page.uncheck("#id_email")
    page.fill("#id_quiet_start", "22:00")
    page.fill("#id_quiet_end", "07:00")
    with page.expect_navigation():
        page.click("main button.primary")
    assert "通知设置已保存" in page.locator(".messages").inner_text()
    assert page.locator("#saved-phone").inner_text().endswith("138****5678")
    assert "13812345678" not in page.content()
    assert page.input_value("#id_quiet_start") == "22:00"
    assert not page.is_checked("#id_email") and page.is_checked("#id_webpush")
    pref = NotificationPreference.objects.get(user=user)
    assert (pref.email, pref.sms, pref.quiet_start.hour, pref.quiet_end.hour) == (
        False,
        True,
        22,
        7,
    )
    assert Profile.objects.get(user=user).phone == "13812345678"

    # Nothing sticks out sideways on the phone.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(page, "notification-settings-phone")

    row = page.locator(f'li[data-device="{device.pk}"]')
    assert "Chrome · Android" in row.inner_text()
    with page.expect_navigation():
        row.locator("button").click()
    assert "已移除该设备" in page.locator(".messages").inner_text()
    assert page.locator("li[data-device]").count() == 0
    assert not PushSubscription.objects.exists()


def test_an_invalid_phone_is_shown_on_the_page(world, open_as):
    page = open_as(world.handler, phone=True)
    page.goto("/settings/notifications/")
    page.fill("#id_phone", "0595-88881234")
    with page.expect_navigation():
        page.click("main button.primary")
    assert "11位手机号" in page.locator(".has-error").inner_text()
    assert not Profile.objects.filter(user=world.handler).exists()


# The browser's push machinery replaced by a stand-in before the page's scripts run: a
# service worker registration whose pushManager hands out one fixed subscription. What
# runs for real is push.js and the server: the permission, the key it subscribes with,
# the POST with the CSRF token, the list and the DELETE when toggled off.
STAND_IN = """
(() => {
  const data = %s;
  // The browser keeps a subscription across pages: so does the stand-in.
  const kept = () => localStorage.getItem("stand-in-subscribed") === "1";
  const sub = {
    endpoint: data.endpoint,
    toJSON: () => data,
    unsubscribe: () => {
      localStorage.removeItem("stand-in-subscribed");
      return Promise.resolve(true);
    },
  };
  const pushManager = {
    getSubscription: () => Promise.resolve(kept() ? sub : null),
    subscribe: (options) => {
      window.__subscribed = {
        userVisibleOnly: options.userVisibleOnly,
        key: Array.from(new Uint8Array(options.applicationServerKey)),
      };
      localStorage.setItem("stand-in-subscribed", "1");
      return Promise.resolve(sub);
    },
  };
  Object.defineProperty(navigator, "serviceWorker", {
    configurable: true,
    value: {
      ready: Promise.resolve({ pushManager }),
      register: () => Promise.resolve({ scope: "/" }),  // pwa.js registers /sw.js
    },
  });
  if (!("PushManager" in window)) window.PushManager = function () {};
})();
"""


def test_the_header_button_subscribes_and_unsubscribes_this_device(world, open_as, push_keys):
    import json

    from django.conf import settings

    from tests.notifications.pushfake import Device, unb64url

    data = Device("/fcm/send/header").subscription("https://fcm.googleapis.com")
    page = open_as(world.handler, phone=True)
    page.context.grant_permissions(["notifications"])
    page.context.add_init_script(STAND_IN % json.dumps(data))
    page.goto("/board/")
    button = page.locator("header.top [data-push-toggle]")
    button.wait_for(state="visible")
    assert button.inner_text() == "开推送"
    assert page.evaluate("document.documentElement.scrollWidth") <= 390

    button.click()
    page.wait_for_function(
        "() => document.querySelector('header.top [data-push-toggle]')"
        ".getAttribute('aria-pressed') === 'true'"
    )
    assert button.inner_text() == "关推送"
    subscribed = page.evaluate("window.__subscribed")
    assert subscribed["userVisibleOnly"] is True
    assert bytes(subscribed["key"]) == unb64url(settings.WEBPUSH_VAPID_PUBLIC_KEY)
    stored = PushSubscription.objects.get()
    assert (stored.user, stored.endpoint, stored.p256dh) == (
        world.handler,
        data["endpoint"],
        data["keys"]["p256dh"],
    )

    page.reload()  # the state survives a new page: the server knows this device
    page.locator("header.top [data-push-toggle][aria-pressed=true]").wait_for()

    page.locator("header.top [data-push-toggle]").click()
    page.wait_for_function(
        "() => document.querySelector('header.top [data-push-toggle]')"
        ".getAttribute('aria-pressed') === 'false'"
    )
    assert not PushSubscription.objects.exists()
