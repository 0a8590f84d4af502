"""The outbox worker: sends pending deliveries (and the SMS outbox, ``SmsMessage``) with
retries and exponential backoff. A sender raising an exception with a true ``permanent``
attribute (``notifications.sms.SmsError`` for a bad number) fails the row at once."""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction

from shishi_mediation.bulk import update_rows
from shishi_mediation.logs import order_log_context

from .channels import sender_for
from .models import Delivery, SmsMessage
from .sms import SmsError, send_sms

log = logging.getLogger(__name__)


@dataclass
class DeliveryResult:
    sent: int = 0
    retried: int = 0
    failed: int = 0


def backoff(attempts: int) -> timedelta:
    """1, 2, 4, 8 … minutes after each failure, at most an hour."""
    return timedelta(minutes=min(2 ** (attempts - 1), 60))


def deliver_due(*, now: datetime, batch_size: int = 100) -> DeliveryResult:
    """Send every pending delivery due by ``now``, batch by batch.

    Rows are locked with SKIP LOCKED, so two workers never send the same delivery. A
    sent row is never picked again; a send that succeeds but whose commit fails is sent
    again (at least once) and carries the same id for the receiver to deduplicate.
    """
    result = DeliveryResult()
    while True:
        with transaction.atomic():
            batch = list(
                Delivery.objects.filter(status=Delivery.Status.PENDING, next_attempt_at__lte=now)
                .select_related("notification__recipient", "notification__order")
                .select_for_update(skip_locked=True, of=("self",))
                .order_by("next_attempt_at", "id")[:batch_size]
            )
            for delivery in batch:
                _attempt(delivery, now=now, result=result)
            update_rows(Delivery, FIELDS, [(d.pk, *(getattr(d, f) for f in FIELDS)) for d in batch])
        if len(batch) < batch_size:
            return result


FIELDS = (
    "status",
    "attempts",
    "next_attempt_at",
    "sent_at",
    "last_error",
    "provider_id",
    "provider_status",
    "provider_message",
)


def deliver_sms_due(*, now: datetime, batch_size: int = 100) -> DeliveryResult:
    """Send every pending ``SmsMessage`` due by ``now``, as ``deliver_due`` does."""
    result = DeliveryResult()
    while True:
        with transaction.atomic():
            batch = list(
                SmsMessage.objects.filter(
                    status=SmsMessage.Status.PENDING, next_attempt_at__lte=now
                )
                .select_related("order")
                .select_for_update(skip_locked=True, of=("self",))
                .order_by("next_attempt_at", "id")[:batch_size]
            )
            for message in batch:
                number = message.order.number if message.order_id else None
                with order_log_context(number):
                    what = f"sms {message.pk} ({message.kind}, order {number or '-'})"
                    _try(
                        message,
                        send=lambda m=message: _send_text(m),
                        what=what,
                        now=now,
                        result=result,
                    )
            update_rows(
                SmsMessage, FIELDS, [(m.pk, *(getattr(m, f) for f in FIELDS)) for m in batch]
            )
        if len(batch) < batch_size:
            return result


def _attempt(delivery: Delivery, *, now: datetime, result: DeliveryResult) -> None:
    note = delivery.notification
    number = note.order.number if note.order_id else None
    # Whatever the sender or this function logs names the notification's order.
    with order_log_context(number):
        what = f"delivery {delivery.pk} ({delivery.channel}, order {number or '-'})"

        def send() -> None:  # an unknown channel fails inside the attempt, like a send
            sender_for(delivery.channel)(delivery)

        _try(delivery, send=send, what=what, now=now, result=result)


def _send_text(message: SmsMessage) -> None:
    try:
        sent = send_sms(phone=message.phone, kind=message.kind, params=list(message.params))
    except SmsError as exc:
        message.provider_status, message.provider_message = exc.code[:64], exc.message[:255]
        raise
    message.provider_id = sent.serial_no[:64]
    message.provider_status, message.provider_message = sent.code[:64], sent.message[:255]


def _try(row, *, send, what: str, now: datetime, result: DeliveryResult) -> None:
    """One attempt at ``row`` (a ``Delivery`` or an ``SmsMessage``): sent, retried with
    backoff, or failed (attempts used up, or a permanent failure)."""
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
