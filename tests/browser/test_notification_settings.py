"""The "通知设置" page on a 390×844 phone in Chromium: reached from the header, the phone
saved and shown masked, quiet hours across midnight, a device removed.

The push opt-in itself is not driven here: a real ``pushManager.subscribe`` needs the
browser's push service (Google's, for Chromium), which nothing on this machine can
reach, and the service worker it waits for is served by another part (/sw.js). The
page is tested with the 'notifications' permission granted; the subscribe path is
covered over HTTP by tests/notifications/test_webpush.py and test_push_api.py."""

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
    # No service worker on this page's origin in this branch's test: the push toggles stay
    # hidden rather than offering a button that cannot work.
    assert page.locator("[data-push-toggle]").count() == 2
    assert page.locator("header.top [data-push-toggle]").is_hidden()
    assert page.locator("#devices [data-push-toggle]").is_hidden()

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
