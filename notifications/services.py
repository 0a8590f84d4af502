"""Who is told what, written inside the caller's transaction: the inbox row and its
outbox deliveries commit, or roll back, with their cause. Sending is the delivery
worker's job (``notifications.delivery``), kicked after commit."""

import logging
import time
from collections.abc import Iterable
from datetime import datetime
from datetime import time as day_time

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dispatch.models import Profile
from shishi_mediation.bulk import insert_rows
from shishi_mediation.errors import InvalidInput

from .models import Delivery, Notification, NotificationPreference, SmsMessage
from .reach import NOBODY, Reach, is_critical, reach_of
from .webpush import webpush_enabled

log = logging.getLogger(__name__)


def notifications_mark_read(
    *, user, ids: list[int] | None = None, now: datetime | None = None
) -> int:
    """Mark the user's own notifications read (all unread ones when ``ids`` is None)."""
    qs = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if ids is not None:
        qs = qs.filter(pk__in=ids)
    return qs.update(read_at=now or timezone.now())


# The channels a person chooses and needs an address for; any other configured channel
# (the webhook) gets every notice.
PERSONAL_CHANNELS = frozenset({"email", "sms", "webpush"})


def channels_for(reach: Reach) -> list[str]:
    """The external channels one recipient gets: the configured ones
    (``NOTIFICATION_CHANNELS``) they want and can be reached on - e-mail needs an address,
    SMS a mobile number on their profile, Web Push a subscribed device and the VAPID keys."""
    return [
        c
        for c in settings.NOTIFICATION_CHANNELS
        if c not in PERSONAL_CHANNELS
        or (c in reach.wants and c in reach.possible and (c != "webpush" or webpush_enabled()))
    ]


def _deliveries(
    notes: list[tuple[int, int, str, datetime]], *, now: datetime
) -> list[tuple[int, datetime, str, datetime]]:
    """(notification id, its created_at, channel, first attempt) for notices given as
    (notification id, recipient id, kind, created_at): one query for all recipients. A
    notice that is not critical waits for the end of its recipient's quiet hours, never
    dropped; the inbox row is there at once either way."""
    reach = reach_of(user_id for _note, user_id, _kind, _created in notes)
    rows = []
    for note_id, user_id, kind, created in notes:
        person = reach.get(user_id, NOBODY)
        at = now if is_critical(kind) else (person.quiet_until(now) or now)
        rows.extend((note_id, created, channel, at) for channel in channels_for(person))
    return rows


def preferences_update(
    *,
    user,
    email: bool,
    sms: bool,
    webpush: bool,
    quiet_start: day_time | None,
    quiet_end: day_time | None,
    phone: str | None = None,
) -> NotificationPreference:
    """The person's own channel choices and quiet hours (Asia/Shanghai), and, unless
    ``phone`` is None, the mobile phone on their profile ("" removes it). Only the person
    themself calls this (the settings page)."""
    if (quiet_start is None) != (quiet_end is None):
        raise InvalidInput({"quiet_end": [_("免打扰时段须同时填写开始和结束时间。")]})
    with transaction.atomic():
        pref, _created = NotificationPreference.objects.update_or_create(
            user=user,
            defaults={
                "email": email,
                "sms": sms,
                "webpush": webpush,
                "quiet_start": quiet_start,
                "quiet_end": quiet_end,
            },
        )
        if phone is not None:
            Profile.objects.update_or_create(user=user, defaults={"phone": phone})
    return pref


# After a failed publish, skip kicks for a while: requests stay fast while the broker
# is down, and the periodic delivery catches up.
KICK_BACKOFF_SECONDS = 30.0
_kick_paused_until = 0.0


def kick_delivery() -> None:
    """Ask a worker to deliver now. If the broker is down the rows wait in the outbox and
    the periodic delivery task picks them up once it is back: nothing is lost."""
    from .tasks import deliver_notifications

    kick(deliver_notifications, what="notification delivery")


def kick(task, *, what: str) -> None:
    """Queue ``task`` (an outbox's delivery task, no arguments) now, unless a publish
    failed less than ``KICK_BACKOFF_SECONDS`` ago; a broker failure is logged, never
    raised: the outbox keeps the rows and its periodic task sends them."""
    global _kick_paused_until
    if time.monotonic() < _kick_paused_until:
        return
    try:
        task.apply_async(retry=False)
    except Exception as exc:  # noqa: BLE001 - any broker failure: the outbox keeps it
        _kick_paused_until = time.monotonic() + KICK_BACKOFF_SECONDS
        log.warning("could not queue %s (%s); the outbox keeps it", what, exc)


def notify(
    *,
    recipients: Iterable,
    order,
    kind: str,
    subject: str,
    body: str = "",
    now: datetime,
    exclude=None,
    link: str = "",
) -> list[Notification]:
    """Write one inbox row per distinct recipient, plus its outbox deliveries. ``link``
    is the page a notice about something other than an order opens."""
    seen: dict[int, object] = {}
    for user in recipients:
        if user is not None and user.pk != getattr(exclude, "pk", None) and user.is_active:
            seen.setdefault(user.pk, user)
    return notify_many(
        [(user, order, kind, subject, body) for user in seen.values()], now=now, link=link
    )


def notify_many(items: list[tuple], *, now: datetime, link: str = "") -> list[Notification]:
    """Bulk form of ``notify``: items are (recipient, order, kind, subject, body)."""
    if not items:
        return []
    notes = Notification.objects.bulk_create(
        Notification(
            recipient=user,
            order=order,
            kind=kind,
            subject=subject[:200],
            body=body,
            link=link,
            created_at=now,
        )
        for user, order, kind, subject, body in items
    )
    deliveries = _deliveries([(n.pk, n.recipient_id, n.kind, n.created_at) for n in notes], now=now)
    Delivery.objects.bulk_create(
        Delivery(
            notification_id=note_id,
            notification_created_at=created,
            channel=channel,
            next_attempt_at=at,
        )
        for note_id, created, channel, at in deliveries
    )
    transaction.on_commit(kick_delivery)
    return notes


def notify_rows(rows: list[tuple], *, now: datetime) -> int:
    """Bulk form for many notices at once, as tuples (recipient id, order id, kind,
    subject, body, created at). One read of the recipients' reach and two inserts,
    whatever the number of rows."""
    notes = insert_rows(
        Notification,
        ("recipient", "order", "kind", "subject", "body", "created_at"),
        rows,
        returning=("id", "recipient", "kind", "created_at"),
    )
    insert_rows(
        Delivery,
        (
            "notification",
            "notification_created_at",
            "channel",
            "status",
            "attempts",
            "next_attempt_at",
            "last_error",
        ),
        [
            (note_id, created, channel, Delivery.Status.PENDING, 0, at, "")
            for note_id, created, channel, at in _deliveries(notes, now=now)
        ],
    )
    transaction.on_commit(kick_delivery)
    return len(notes)


def sms_enqueue(
    *, key: str, order, phone: str, kind: str, params: list[str], now: datetime
) -> bool:
    """Queue one text to a person without a login (a party), inside the caller's
    transaction; sent after commit with retries. Once per ``key``: False (and nothing
    written) when that key was queued before."""
    _message, created = SmsMessage.objects.get_or_create(
        key=key,
        defaults={
            "order": order,
            "phone": phone,
            "kind": kind,
            "params": list(params),
            "created_at": now,
            "next_attempt_at": now,
        },
    )
    if created:
        transaction.on_commit(kick_delivery)
    return created
