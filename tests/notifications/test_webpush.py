"""Web Push end to end: a device subscribes over the API, a real notice is written by the
dispatch service, the outbox worker sends it to a push service on loopback, which
decrypts the payload with the device's private key and checks the VAPID JWT."""

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from disputes import services
from notifications.delivery import backoff, deliver_due
from notifications.models import Delivery, Notification, PushSubscription
from notifications.webpush import generate_vapid_keys
from tests.factories import T0
from tests.notifications.pushfake import Device, PushService, verify_vapid

SUBJECT = "mailto:ops@shishi.example"


@pytest.fixture
def push(settings):
    """Web Push on, with a fresh VAPID pair, and a push service on loopback."""
    private, public = generate_vapid_keys()
    settings.WEBPUSH_VAPID_PRIVATE_KEY = private
    settings.WEBPUSH_VAPID_PUBLIC_KEY = public
    settings.WEBPUSH_VAPID_SUBJECT = SUBJECT
    settings.WEBPUSH_ALLOW_LOOPBACK_HTTP = True
    settings.WEBPUSH_TIMEOUT = 0.5
    settings.NOTIFICATION_CHANNELS = ["email", "webpush"]
    with PushService(hang=1.5) as service:
        service.public_key = public
        yield service


def subscribe(user, device: Device, service: PushService, *, expect=201) -> dict:
    client = APIClient()
    client.force_authenticate(user)
    resp = client.post(
        "/api/v1/push/subscriptions/", device.subscription(service.origin), format="json"
    )
    assert resp.status_code == expect, resp.content
    return resp.json()


def dispatch_to(world, user, *, now=T0):
    order = world.report(now=now)
    services.order_dispatch(
        order_id=order.pk,
        actor=world.dispatcher,
        lead_unit_id=world.hb_police.pk,
        assignee_id=user.pk,
        now=now,
    )
    return order


def test_a_dispatch_arrives_encrypted_and_signed_at_the_device(world, push):
    phone = Device("/push/phone-1")
    subscribe(world.handler, phone, push)

    order = dispatch_to(world, world.handler)
    result = deliver_due(now=timezone.now())

    assert result.sent >= 1 and result.retried == 0
    [arrived] = push.at(phone.path)
    assert arrived.headers["content-encoding"] == "aes128gcm"
    assert arrived.headers["urgency"] == "high"  # a new order to sign: critical
    assert int(arrived.headers["ttl"]) > 0
    payload = phone.decrypt(arrived.body)
    note = Notification.objects.get(order=order, kind="dispatched", recipient=world.handler)
    assert payload == {
        "title": note.subject,
        "body": order.title,
        "url": f"/orders/{order.pk}/",
        "tag": str(note.pk),
    }
    assert payload["title"].startswith("新派单")
    claims = verify_vapid(arrived.headers["authorization"], audience=push.origin)
    assert claims["sub"] == SUBJECT
    assert claims["k"] == push.public_key
    delivery = Delivery.objects.get(notification=note, channel="webpush")
    assert delivery.status == "sent"
    assert PushSubscription.objects.get(user=world.handler).last_success_at is not None


def test_a_forged_or_stale_vapid_token_is_refused_by_the_check(world, push):
    """The receiver's check can fail: a token for another origin or one signed by another
    key is refused."""
    phone = Device("/push/phone-1")
    subscribe(world.handler, phone, push)
    dispatch_to(world, world.handler)
    deliver_due(now=timezone.now())
    header = push.at(phone.path)[0].headers["authorization"]
    with pytest.raises(AssertionError, match="aud"):
        verify_vapid(header, audience="https://fcm.googleapis.com")
    _private, other_public = generate_vapid_keys()
    with pytest.raises(AssertionError, match="signature"):
        verify_vapid(header.rsplit("k=", 1)[0] + "k=" + other_public, audience=push.origin)
    with pytest.raises(AssertionError, match="exp"):
        verify_vapid(header, audience=push.origin, now=timezone.now().timestamp() + 25 * 3600)


def test_a_notice_without_an_order_opens_the_inbox(world, push):
    from notifications.services import notify

    phone = Device("/push/p")
    subscribe(world.head, phone, push)
    notify(recipients=[world.head], order=None, kind="info", subject="系统维护", now=T0)
    deliver_due(now=timezone.now())
    payload = phone.decrypt(push.at(phone.path)[0].body)
    assert payload["url"] == "/inbox/" and payload["title"] == "系统维护"
    assert push.at(phone.path)[0].headers["urgency"] == "normal"


@pytest.mark.parametrize("gone", [410, 404])
def test_an_expired_subscription_is_removed_and_the_others_still_get_it(world, push, gone):
    old, new = Device("/push/old"), Device("/push/new")
    subscribe(world.handler, old, push)
    subscribe(world.handler, new, push)
    push.answers[old.path] = [gone]

    order = dispatch_to(world, world.handler)
    result = deliver_due(now=timezone.now())

    assert result.retried == 0 and result.failed == 0
    endpoints = set(PushSubscription.objects.values_list("endpoint", flat=True))
    assert endpoints == {push.origin + new.path}
    assert len(push.at(new.path)) == 1 and len(push.at(old.path)) == 1
    delivery = Delivery.objects.get(
        notification__order=order, notification__recipient=world.handler, channel="webpush"
    )
    assert delivery.status == "sent"
    # Nothing more goes to the removed device.
    dispatch_to(world, world.handler)
    deliver_due(now=timezone.now())
    assert len(push.at(old.path)) == 1 and len(push.at(new.path)) == 2


@pytest.mark.parametrize("failure", [500, "timeout"])
def test_a_failure_is_retried_with_the_outbox_backoff(world, push, failure):
    phone = Device("/push/flaky")
    subscribe(world.handler, phone, push)
    push.answers[phone.path] = [failure]
    order = dispatch_to(world, world.handler)
    delivery = Delivery.objects.get(
        notification__order=order, notification__recipient=world.handler, channel="webpush"
    )

    now = timezone.now()
    first = deliver_due(now=now)
    delivery.refresh_from_db()
    assert first.retried == 1
    assert (delivery.status, delivery.attempts) == ("pending", 1)
    assert delivery.next_attempt_at == now + backoff(1)
    assert PushSubscription.objects.filter(pk__isnull=False).count() == 1  # kept
    assert deliver_due(now=now + backoff(1) - timedelta(seconds=1)).retried == 0  # not due

    second = deliver_due(now=now + backoff(1))
    delivery.refresh_from_db()
    assert second.sent == 1 and delivery.status == "sent" and delivery.attempts == 2
    payload = phone.decrypt(push.at(phone.path)[-1].body)
    assert payload["url"] == f"/orders/{order.pk}/"


def test_only_people_with_a_device_get_a_webpush_delivery(world, push):
    subscribe(world.handler, Device("/push/h"), push)
    order = world.report(now=T0)
    services.order_dispatch(
        order_id=order.pk, actor=world.dispatcher, lead_unit_id=world.hb_police.pk, now=T0
    )
    channels = dict(
        Delivery.objects.filter(notification__order=order, notification__kind="dispatched")
        .filter(channel="webpush")
        .values_list("notification__recipient__username", "channel")
    )
    assert channels == {"police": "webpush"}  # police2 and head have no device


def test_no_keys_no_push_channel(world, push, settings):
    subscribe(world.handler, Device("/push/h"), push)
    settings.WEBPUSH_VAPID_PRIVATE_KEY = settings.WEBPUSH_VAPID_PUBLIC_KEY = ""
    dispatch_to(world, world.handler)
    assert not Delivery.objects.filter(channel="webpush").exists()
