"""Inbox rows and outbox deliveries: written with their cause, delivered with retries."""

import json
from datetime import timedelta
from unittest import mock

import pytest
from django.core import mail
from kombu.exceptions import OperationalError

from disputes import services
from disputes.models import State
from notifications import services as notifications
from notifications.delivery import backoff, deliver_due
from notifications.models import Delivery, Notification
from notifications.services import notifications_mark_read
from shishi_mediation.errors import Conflict
from tests.factories import T0, close_jointly


def told(kind, order=None):
    qs = Notification.objects.filter(kind=kind)
    if order is not None:
        qs = qs.filter(order=order)
    return set(qs.values_list("recipient__username", flat=True))


@pytest.fixture
def emails(world):
    """Give every demo user an address so e-mail deliveries are written."""
    for user in [
        world.dispatcher,
        world.handler,
        world.handler2,
        world.head,
        world.reporter,
        world.supervisor,
    ]:
        user.email = f"{user.username}@example.cn"
        user.save(update_fields=["email"])
    return world


@pytest.fixture(autouse=True)
def _kick_always(monkeypatch):
    monkeypatch.setattr(notifications, "_kick_paused_until", 0.0)


def test_each_step_tells_the_people_it_concerns(world):
    order = world.report(now=T0)
    assert told("reported", order) == {"center"}  # the street's dispatchers
    services.order_dispatch(
        order_id=order.pk, actor=world.dispatcher, lead_unit_id=world.hb_police.pk, now=T0
    )
    assert told("dispatched", order) == {"police", "police2", "head"}
    services.order_return_request(
        order_id=order.pk, actor=world.handler, reason="非本单位职责", now=T0
    )
    assert told("return_requested", order) == {"center"}
    services.order_return_review(
        order_id=order.pk, actor=world.dispatcher, approve=False, note="属本所职责", now=T0
    )
    assert told("return_rejected", order) == {"police", "police2", "head"}
    services.order_return(order_id=order.pk, actor=world.dispatcher, reason="派错单位", now=T0)
    services.order_dispatch(
        order_id=order.pk,
        actor=world.dispatcher,
        lead_unit_id=world.hb_police.pk,
        assignee_id=world.handler2.pk,
        now=T0,
    )
    assert Notification.objects.filter(order=order, kind="dispatched").count() == 4
    assert told("dispatched", order) == {"police", "police2", "head"}
    latest = Notification.objects.filter(order=order, kind="dispatched").latest("id")
    assert latest.recipient == world.handler2 and "请于" in latest.subject


def test_the_actor_is_not_told_of_its_own_step(world):
    order = world.order(State.MET)
    close_jointly(
        order,
        world.dispatcher,
        outcome="mediated",
        summary="和解",
        grade="simple",
        now=T0 + timedelta(days=2),
    )
    assert told("closed", order) == {"grid"}  # the reporter; the closing dispatcher is not


def test_a_failed_transition_writes_no_notification(world):
    order = world.order(State.SIGNED)
    before = Notification.objects.count()
    with pytest.raises(Conflict):
        services.order_dispatch(
            order_id=order.pk, actor=world.dispatcher, lead_unit_id=world.hb_police.pk, now=T0
        )
    assert Notification.objects.count() == before


def test_deliveries_are_written_for_users_with_an_address(emails):
    order = emails.report(now=T0)
    note = Notification.objects.get(order=order, kind="reported")
    assert list(note.deliveries.values_list("channel", "status")) == [("email", "pending")]
    # Without an address (and no phone, no device) a person gets the inbox only.
    emails.dispatcher.email = ""
    emails.dispatcher.save(update_fields=["email"])
    again = emails.report(now=T0)
    assert not Delivery.objects.filter(notification__order=again).exists()


def test_delivery_sends_each_message_once(emails):
    emails.report(now=T0)
    result = deliver_due(now=T0 + timedelta(seconds=1))
    assert result.sent == 1
    assert [m.to for m in mail.outbox] == [["center@example.cn"]]
    assert "新报单" in mail.outbox[0].subject
    delivery = Delivery.objects.get()
    assert delivery.status == "sent" and delivery.attempts == 1
    assert delivery.sent_at == T0 + timedelta(seconds=1)
    assert deliver_due(now=T0 + timedelta(hours=1)).sent == 0
    assert len(mail.outbox) == 1


def test_failures_back_off_then_give_up(emails, settings):
    settings.NOTIFICATION_MAX_ATTEMPTS = 3
    emails.report(now=T0)
    delivery = Delivery.objects.get()
    with mock.patch("notifications.channels.send_mail", side_effect=OSError("smtp down")):
        now = T0
        r1 = deliver_due(now=now)
        delivery.refresh_from_db()
        assert (r1.retried, delivery.status, delivery.attempts) == (1, "pending", 1)
        assert delivery.next_attempt_at == now + timedelta(minutes=1)
        assert "smtp down" in delivery.last_error
        assert deliver_due(now=now + timedelta(seconds=59)).retried == 0  # not yet due
        deliver_due(now=now + timedelta(minutes=1))
        delivery.refresh_from_db()
        assert delivery.attempts == 2
        assert delivery.next_attempt_at == now + timedelta(minutes=1) + timedelta(minutes=2)
        r3 = deliver_due(now=now + timedelta(minutes=3))
        delivery.refresh_from_db()
        assert (r3.failed, delivery.status, delivery.attempts) == (1, "failed", 3)
    assert deliver_due(now=now + timedelta(days=1)).sent == 0  # failed for good: not retried


def test_backoff_doubles_up_to_an_hour():
    assert [backoff(n).total_seconds() // 60 for n in (1, 2, 3, 4, 7, 8, 20)] == [
        1,
        2,
        4,
        8,
        60,
        60,
        60,
    ]


def test_a_recovered_channel_delivers_what_waited(emails):
    emails.report(now=T0)
    with mock.patch("notifications.channels.send_mail", side_effect=OSError("smtp down")):
        deliver_due(now=T0)
    assert deliver_due(now=T0 + timedelta(minutes=1)).sent == 1
    assert len(mail.outbox) == 1


def test_webhook_channel_posts_json_with_an_idempotency_key(world, settings):
    settings.NOTIFICATION_CHANNELS = ["webhook"]
    settings.NOTIFICATION_WEBHOOK_URL = "http://127.0.0.1:9/hook"
    order = world.report(now=T0)
    posted = []

    class Response:
        status = 204

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

    def fake_urlopen(request, timeout):
        posted.append(request)
        return Response()

    with mock.patch("notifications.channels.urllib.request.urlopen", fake_urlopen):
        assert deliver_due(now=T0 + timedelta(seconds=1)).sent == 1
    request = posted[0]
    body = json.loads(request.data)
    delivery = Delivery.objects.get()
    assert request.full_url == "http://127.0.0.1:9/hook"
    assert request.get_header("Idempotency-key") == str(delivery.pk)
    assert body["id"] == delivery.pk and body["order"] == order.number
    assert body["kind"] == "reported" and body["recipient"] == "center"


def test_webhook_without_url_is_retried_not_lost(world, settings):
    settings.NOTIFICATION_CHANNELS = ["webhook"]
    settings.NOTIFICATION_WEBHOOK_URL = ""
    world.report(now=T0)
    assert deliver_due(now=T0).retried == 1
    assert Delivery.objects.get().status == "pending"


def test_broker_down_loses_nothing(emails, django_capture_on_commit_callbacks):
    """Reporting and dispatching succeed with the broker unreachable; the outbox holds
    their notifications and the periodic delivery sends them once it runs again."""
    failing = mock.patch(
        "notifications.tasks.deliver_notifications.apply_async",
        side_effect=OperationalError("Error 111 connecting to redis. Connection refused."),
    )
    with failing as publish, django_capture_on_commit_callbacks(execute=True):
        order = emails.report(now=T0)
        services.order_dispatch(
            order_id=order.pk, actor=emails.dispatcher, lead_unit_id=emails.hb_police.pk, now=T0
        )
    assert publish.call_count == 1  # tried once, then paused instead of slowing requests
    order.refresh_from_db()
    assert order.state == State.DISPATCHED
    pending = Delivery.objects.filter(status="pending")
    assert pending.count() == 4  # center; police, police2, head
    assert mail.outbox == []

    # The broker is back: beat's periodic delivery task runs.
    from notifications.tasks import deliver_notifications

    assert deliver_notifications.run() == 4
    assert sorted(m.to[0] for m in mail.outbox) == [
        "center@example.cn",
        "head@example.cn",
        "police2@example.cn",
        "police@example.cn",
    ]


def test_a_healthy_broker_is_asked_to_deliver_after_commit(
    world, django_capture_on_commit_callbacks
):
    with mock.patch("notifications.tasks.deliver_notifications.apply_async") as publish:
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            world.report(now=T0)
        assert publish.call_count == 0  # nothing is published inside the transaction
        for callback in callbacks:
            callback()
        assert publish.call_count == 1


def test_mark_read_touches_only_the_users_own(world):
    order = world.order(State.DISPATCHED)
    mine = Notification.objects.filter(recipient=world.handler, order=order)
    theirs = Notification.objects.filter(recipient=world.head, order=order)
    assert notifications_mark_read(user=world.handler, ids=[theirs.get().pk]) == 0
    assert notifications_mark_read(user=world.handler) == 1
    assert mine.get().read_at is not None and theirs.get().read_at is None


def test_inbox_page_shows_unread_count_and_marks_read(client, world):
    world.order(State.DISPATCHED)
    client.force_login(world.handler)
    page = client.get("/inbox/")
    assert page.status_code == 200
    assert 'id="unread-count">1<' in page.content.decode()
    assert "新派单" in page.content.decode()
    client.post("/inbox/read/")
    assert 'id="unread-count"' not in client.get("/inbox/").content.decode()


def test_inbox_requires_login(client, db):
    assert client.get("/inbox/").status_code == 302


def test_mark_read_never_redirects_off_site(client, world):
    client.force_login(world.handler)
    response = client.post("/inbox/read/", {"next": "https://evil.example.com/phish"})
    assert response.status_code == 302 and response["Location"] == "/inbox/"
    response = client.post("/inbox/read/", {"next": "/orders/"})
    assert response["Location"] == "/orders/"
