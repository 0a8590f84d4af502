"""The outbox worker: sends pending deliveries (and the SMS outbox, ``SmsMessage``; other
apps' outbox tables through ``deliver_rows_due``) with retries and exponential backoff.
A sender raising an exception with a true ``permanent`` attribute
(``notifications.sms.SmsError`` for a bad number) fails the row at once."""

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet

from shishi_mediation.bulk import update_rows
from shishi_mediation.logs import order_log_context

from .channels import sender_for
from .models import Delivery, SmsMessage
from .sms import SmsError, send_sms

log = logging.getLogger(__name__)


# The columns every outbox table has and an attempt changes (``_try``).
OUTBOX_FIELDS = ("status", "attempts", "next_attempt_at", "sent_at", "last_error")


@dataclass
class DeliveryResult:
    sent: int = 0
    retried: int = 0
    failed: int = 0


def backoff(attempts: int) -> timedelta:
    """1, 2, 4, 8 … minutes after each failure, at most an hour."""
    return timedelta(minutes=min(2 ** (attempts - 1), 60))


def deliver_due(*, now: datetime, batch_size: int = 100) -> DeliveryResult:
    """Send every pending delivery due by ``now``, batch by batch (``deliver_rows_due``)."""
    return deliver_rows_due(
        Delivery.objects.select_related("notification__recipient", "notification__order"),
        send=lambda d: sender_for(d.channel)(d),  # an unknown channel fails like a send
        describe=_describe_delivery,
        fields=FIELDS,
        now=now,
        batch_size=batch_size,
    )


def due_batch(rows: QuerySet, *, now: datetime, batch_size: int) -> QuerySet:
    """The next batch of an outbox's pending rows due by ``now``, locked, in the order of
    its ``*_pending_due`` index (next_attempt_at, id): read off the index, not sorted."""
    return (
        rows.filter(status=Delivery.Status.PENDING, next_attempt_at__lte=now)
        .select_for_update(skip_locked=True, of=("self",))
        .order_by("next_attempt_at", "id")[:batch_size]
    )


def deliver_rows_due(
    rows: QuerySet,
    *,
    send: Callable[[Any], None],
    describe: Callable[[Any], tuple[str, str | None]],
    now: datetime,
    fields: tuple[str, ...] = OUTBOX_FIELDS,
    batch_size: int = 100,
) -> DeliveryResult:
    """Send every pending row of an outbox table (``rows``: its queryset, with what
    ``send`` needs selected) due by ``now``, batch by batch, each through ``_try``.
    ``describe(row)`` is (what the log calls it, the order number it is about); ``fields``
    are the columns an attempt changes.

    Rows are locked with SKIP LOCKED, so two workers never send the same row. A sent row
    is never picked again; a send that succeeds but whose commit fails is sent again (at
    least once) and carries the same id for the receiver to deduplicate.
    """
    result = DeliveryResult()
    while True:
        with transaction.atomic():
            batch = list(due_batch(rows, now=now, batch_size=batch_size))
            for row in batch:
                what, number = describe(row)
                # Whatever the sender or ``_try`` logs names the row's order.
                with order_log_context(number):
                    _try(row, send=lambda r=row: send(r), what=what, now=now, result=result)
            update_rows(
                rows.model, fields, [(r.pk, *(getattr(r, f) for f in fields)) for r in batch]
            )
        if len(batch) < batch_size:
            return result


FIELDS = (
    *OUTBOX_FIELDS,
    "provider_id",
    "provider_status",
    "provider_message",
)


def deliver_sms_due(*, now: datetime, batch_size: int = 100) -> DeliveryResult:
    """Send every pending ``SmsMessage`` due by ``now``, as ``deliver_due`` does."""
    return deliver_rows_due(
        SmsMessage.objects.select_related("order"),
        send=_send_text,
        describe=_describe_sms,
        fields=FIELDS,
        now=now,
        batch_size=batch_size,
    )


def _describe_delivery(delivery: Delivery) -> tuple[str, str | None]:
    note = delivery.notification
    number = note.order.number if note.order_id else None
    return f"delivery {delivery.pk} ({delivery.channel}, order {number or '-'})", number


def _describe_sms(message: SmsMessage) -> tuple[str, str | None]:
    number = message.order.number if message.order_id else None
    return f"sms {message.pk} ({message.kind}, order {number or '-'})", number


def _send_text(message: SmsMessage) -> None:
    try:
        sent = send_sms(phone=message.phone, kind=message.kind, params=list(message.params))
    except SmsError as exc:
        message.provider_status, message.provider_message = exc.code[:64], exc.message[:255]
        raise
    message.provider_id = sent.serial_no[:64]
    message.provider_status, message.provider_message = sent.code[:64], sent.message[:255]


def _try(row, *, send, what: str, now: datetime, result: DeliveryResult) -> None:
    """One attempt at ``row`` (a ``Delivery``, an ``SmsMessage`` or another outbox row
    with ``OUTBOX_FIELDS``): sent, retried with backoff, or failed (attempts used up, or a
    permanent failure)."""
    row.attempts += 1
    try:
        send()
    except Exception as exc:  # noqa: BLE001 - any failure is retried, then recorded
        row.last_error = f"{type(exc).__name__}: {exc}"[:2000]
        if getattr(exc, "permanent", False) or row.attempts >= settings.NOTIFICATION_MAX_ATTEMPTS:
            row.status = Delivery.Status.FAILED
            result.failed += 1
            log.error("%s failed for good: %s", what, row.last_error)
        else:
            row.next_attempt_at = now + backoff(row.attempts)
            result.retried += 1
            log.warning("%s failed, retry at %s: %s", what, row.next_attempt_at, row.last_error)
        return
    row.status = Delivery.Status.SENT
    row.sent_at = now
    row.last_error = ""
    result.sent += 1
