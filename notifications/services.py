"""Who is told what, written inside the caller's transaction: the inbox row and its
outbox deliveries commit, or roll back, with their cause. Sending is the delivery
worker's job (``notifications.delivery``), kicked after commit."""

import logging
import time
from collections.abc import Iterable
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from shishi_mediation.bulk import insert_rows

from .models import Delivery, Notification, SmsMessage

log = logging.getLogger(__name__)


def notifications_mark_read(
    *, user, ids: list[int] | None = None, now: datetime | None = None
) -> int:
    """Mark the user's own notifications read (all unread ones when ``ids`` is None)."""
    qs = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if ids is not None:
        qs = qs.filter(pk__in=ids)
    return qs.update(read_at=now or timezone.now())


def channels_for(email: str) -> list[str]:
    """The external channels a user with this e-mail address gets (no address, no mail)."""
    return [c for c in settings.NOTIFICATION_CHANNELS if c != "email" or email]


# After a failed publish, skip kicks for a while: requests stay fast while the broker
# is down, and the periodic delivery catches up.
KICK_BACKOFF_SECONDS = 30.0
_kick_paused_until = 0.0


def kick_delivery() -> None:
    """Ask a worker to deliver now. If the broker is down the rows wait in the outbox and
    the periodic delivery task picks them up once it is back: nothing is lost."""
    global _kick_paused_until
    from .tasks import deliver_notifications

    if time.monotonic() < _kick_paused_until:
        return
    try:
        deliver_notifications.apply_async(retry=False)
    except Exception as exc:  # noqa: BLE001 - any broker failure: the outbox keeps it
        _kick_paused_until = time.monotonic() + KICK_BACKOFF_SECONDS
        log.warning("could not queue notification delivery (%s); the outbox keeps it", exc)


def notify(
    *,
    recipients: Iterable,
    order,
    kind: str,
    subject: str,
    body: str = "",
    now: datetime,
    exclude=None,
) -> list[Notification]:
    """Write one inbox row per distinct recipient, plus its outbox deliveries."""
    seen: dict[int, object] = {}
    for user in recipients:
        if user is not None and user.pk != getattr(exclude, "pk", None) and user.is_active:
            seen.setdefault(user.pk, user)
    return notify_many([(user, order, kind, subject, body) for user in seen.values()], now=now)


def notify_many(items: list[tuple], *, now: datetime) -> list[Notification]:
    """Bulk form of ``notify``: items are (recipient, order, kind, subject, body)."""
    if not items:
        return []
    notes = Notification.objects.bulk_create(
        Notification(
            recipient=user, order=order, kind=kind, subject=subject[:200], body=body, created_at=now
        )
        for user, order, kind, subject, body in items
    )
    Delivery.objects.bulk_create(
        Delivery(notification=note, channel=channel, next_attempt_at=now)
        for note, (user, *_rest) in zip(notes, items, strict=True)
        for channel in channels_for(user.email)
    )
    transaction.on_commit(kick_delivery)
    return notes


def notify_rows(rows: list[tuple], *, emails: dict[int, str], now: datetime) -> int:
    """Bulk form for many notices at once, as tuples (recipient id, order id, kind,
    subject, body, created at); ``emails`` maps each recipient to their address. Two
    inserts whatever the number of rows."""
    notes = insert_rows(
        Notification,
        ("recipient", "order", "kind", "subject", "body", "created_at"),
        rows,
        returning=("id", "recipient"),
    )
    insert_rows(
        Delivery,
        ("notification", "channel", "status", "attempts", "next_attempt_at", "last_error"),
        [
            (note_id, channel, Delivery.Status.PENDING, 0, now, "")
            for note_id, user_id in notes
            for channel in channels_for(emails[user_id])
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
