"""Who gets what: per-person channels and quiet hours. A notice that is not on a clock's
critical path waits for the end of the quiet hours; a critical one does not."""

from datetime import datetime, time, timedelta

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext

from dispatch.models import Profile
from disputes import services
from disputes.models import State
from notifications.delivery import deliver_due
from notifications.models import Delivery, NotificationPreference, PushSubscription
from notifications.reach import is_critical, quiet_until
from notifications.services import notify_rows
from notifications.webpush import generate_vapid_keys
from shishi_mediation.text import SHANGHAI
from tests.factories import close_jointly

NIGHT = datetime(2026, 11, 10, 23, 0, tzinfo=SHANGHAI)
MORNING = datetime(2026, 11, 11, 7, 0, tzinfo=SHANGHAI)


SENT: list[tuple[str, str, str]] = []


def record(delivery):
    """A stand-in sender for SMS and Web Push: nothing leaves the machine."""
    SENT.append(
        (delivery.notification.recipient.username, delivery.notification.kind, delivery.channel)
    )


@pytest.fixture
def channels(settings):
    private, public = generate_vapid_keys()
    settings.WEBPUSH_VAPID_PRIVATE_KEY, settings.WEBPUSH_VAPID_PUBLIC_KEY = private, public
    settings.NOTIFICATION_CHANNELS = ["email", "sms", "webpush"]
    here = f"{__name__}.record"
    settings.NOTIFICATION_SENDERS = {**settings.NOTIFICATION_SENDERS, "sms": here, "webpush": here}
    SENT.clear()
    yield SENT


def reachable(user, *, phone="13812345678", push=True):
    user.email = f"{user.username}@example.cn"
    user.save(update_fields=["email"])
    Profile.objects.update_or_create(user=user, defaults={"phone": phone})
    if push:
        PushSubscription.objects.create(
            user=user,
            endpoint=f"https://push.example.com/{user.username}",
            p256dh="x",
            auth="y",
            created_at=NIGHT,
        )


def deliveries(user, kind):
    return {
        d.channel: d.next_attempt_at
        for d in Delivery.objects.filter(notification__recipient=user, notification__kind=kind)
    }


def quiet(user, start=time(22, 0), end=time(7, 0), **channels):
    NotificationPreference.objects.create(user=user, quiet_start=start, quiet_end=end, **channels)


def test_a_closing_notice_at_night_waits_for_the_end_of_quiet_hours(world, channels):
    reachable(world.reporter)
    quiet(world.reporter)
    order = world.order(State.MET)
    close_jointly(
        order,
        world.dispatcher,
        outcome="mediated",
        summary="和解",
        grade="simple",
        now=NIGHT,
    )
    assert deliveries(world.reporter, "closed") == {
        "email": MORNING,
        "sms": MORNING,
        "webpush": MORNING,
    }
    # The inbox has it at once; the outbox sends it at 07:00, not before.
    assert world.reporter.notifications.filter(kind="closed", created_at=NIGHT).exists()
    deliver_due(now=MORNING - timedelta(seconds=1))
    assert ("grid", "closed", "sms") not in channels
    assert len(mail.outbox) == 0
    deliver_due(now=MORNING)
    assert {c for who, kind, c in channels if kind == "closed"} == {"sms", "webpush"}
    # The closing, and before it the request to sign it off (提交结单), both at 07:00.
    assert [m.to for m in mail.outbox if "已结单" in m.subject] == [["grid@example.cn"]]
    assert len(mail.outbox) == 2


def test_a_dispatch_at_night_ignores_quiet_hours(world, channels):
    reachable(world.handler)
    quiet(world.handler)
    order = world.report(now=NIGHT)
    services.order_dispatch(
        order_id=order.pk,
        actor=world.dispatcher,
        lead_unit_id=world.hb_police.pk,
        assignee_id=world.handler.pk,
        now=NIGHT,
    )
    assert deliveries(world.handler, "dispatched") == {
        "email": NIGHT,
        "sms": NIGHT,
        "webpush": NIGHT,
    }


def test_outside_quiet_hours_nothing_waits(world, channels):
    reachable(world.reporter)
    quiet(world.reporter, start=time(22, 0), end=time(7, 0))
    noon = datetime(2026, 11, 10, 12, 0, tzinfo=SHANGHAI)
    notify_rows([(world.reporter.pk, None, "closed", "已结单", "", noon)], now=noon)
    assert set(deliveries(world.reporter, "closed").values()) == {noon}


def test_channels_follow_the_persons_choice_and_what_is_possible(world, channels):
    reachable(world.handler)
    quiet(world.handler, start=None, end=None, email=False, sms=True, webpush=False)
    reachable(world.handler2, phone="0595-88881234", push=False)  # a landline: no SMS
    reachable(world.head)  # no preference row: every channel
    world.nobody.email = ""
    world.nobody.save(update_fields=["email"])
    rows = [(u.pk, None, "closed", "s", "", NIGHT) for u in (world.handler, world.handler2)]
    rows += [(u.pk, None, "closed", "s", "", NIGHT) for u in (world.head, world.nobody)]
    notify_rows(rows, now=NIGHT)
    assert set(deliveries(world.handler, "closed")) == {"sms"}
    assert set(deliveries(world.handler2, "closed")) == {"email"}
    assert set(deliveries(world.head, "closed")) == {"email", "sms", "webpush"}
    assert deliveries(world.nobody, "closed") == {}


def test_the_reach_of_many_recipients_is_one_read(world, channels):
    people = [world.handler, world.handler2, world.head, world.reporter, world.supervisor]
    for user in people:
        reachable(user)

    def count(users):
        rows = [(u.pk, None, "closed", "s", "", NIGHT) for u in users]
        with CaptureQueriesContext(connection) as ctx:
            notify_rows(rows, now=NIGHT)
        return len(ctx.captured_queries)

    assert count(people[:1]) == count(people) <= 4


@pytest.mark.parametrize(
    ("local", "start", "end", "until"),
    [
        ((23, 0), (22, 0), (7, 0), (1, 7, 0)),  # wraps midnight: ends tomorrow
        ((22, 0), (22, 0), (7, 0), (1, 7, 0)),  # the start is inside
        ((3, 30), (22, 0), (7, 0), (0, 7, 0)),  # after midnight: ends today
        ((7, 0), (22, 0), (7, 0), None),  # the end is outside
        ((12, 0), (22, 0), (7, 0), None),
        ((13, 0), (12, 0), (14, 0), (0, 14, 0)),  # a window within the day
        ((14, 0), (12, 0), (14, 0), None),
        ((12, 0), (12, 0), (12, 0), None),  # start == end: no window
    ],
)
def test_quiet_until(local, start, end, until):
    now = datetime(2026, 11, 10, *local, tzinfo=SHANGHAI)
    expected = None
    if until is not None:
        days, hour, minute = until
        expected = datetime(2026, 11, 10, hour, minute, tzinfo=SHANGHAI) + timedelta(days=days)
    assert quiet_until(now=now, start=time(*start), end=time(*end)) == expected


def test_which_notices_are_critical():
    for kind in ("reported", "returned", "dispatched", "reassigned"):
        assert is_critical(kind)
    for kind in ("escalation_0", "escalation_1", "escalation_2"):
        assert is_critical(kind)
    for kind in ("closed", "cancelled", "info", "escalation_9"):
        assert not is_critical(kind)
