"""The outbox worker: sends pending deliveries with retries and exponential backoff."""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction

from shishi_mediation.bulk import update_rows
from shishi_mediation.logs import order_log_context

from .channels import sender_for
from .models import Delivery

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
            fields = ("status", "attempts", "next_attempt_at", "sent_at", "last_error")
            update_rows(Delivery, fields, [(d.pk, *(getattr(d, f) for f in fields)) for d in batch])
        if len(batch) < batch_size:
            return result


def _attempt(delivery: Delivery, *, now: datetime, result: DeliveryResult) -> None:
    note = delivery.notification
    number = note.order.number if note.order_id else None
    # Whatever the sender or this function logs names the notification's order.
    with order_log_context(number):
        delivery.attempts += 1
        what = f"delivery {delivery.pk} ({delivery.channel}, order {number or '-'})"
        try:
            sender_for(delivery.channel)(delivery)
        except Exception as exc:  # noqa: BLE001 - any failure is retried, then recorded
            delivery.last_error = f"{type(exc).__name__}: {exc}"[:2000]
            if delivery.attempts >= settings.NOTIFICATION_MAX_ATTEMPTS:
                delivery.status = Delivery.Status.FAILED
                result.failed += 1
                log.error("%s failed for good: %s", what, delivery.last_error)
            else:
                delivery.next_attempt_at = now + backoff(delivery.attempts)
                result.retried += 1
                log.warning(
                    "%s failed, retry at %s: %s",
                    what,
                    delivery.next_attempt_at,
                    delivery.last_error,
                )
            return
    delivery.status = Delivery.Status.SENT
    delivery.sent_at = now
    delivery.last_error = ""
    result.sent += 1
