"""External notification channels. A sender takes a ``Delivery`` and either returns
(sent) or raises (retried later). ``settings.NOTIFICATION_SENDERS`` maps channel names to
senders, so an SMS gateway is one function and one setting away."""

import json
import urllib.request

from django.conf import settings
from django.core.mail import send_mail
from django.utils.module_loading import import_string

from .models import Delivery


def send_email(delivery: Delivery) -> None:
    note = delivery.notification
    send_mail(
        subject=note.subject,
        message=note.body or note.subject,
        from_email=settings.DEFAULT_FROM_EMAIL,
        recipient_list=[note.recipient.email],
        fail_silently=False,
    )


def webhook_payload(delivery: Delivery) -> dict:
    note = delivery.notification
    return {
        "id": delivery.pk,  # receivers deduplicate on this: a retry resends the same id
        "kind": note.kind,
        "recipient": note.recipient.get_username(),
        "order": note.order.number if note.order_id else None,
        "subject": note.subject,
        "body": note.body,
        "created_at": note.created_at.isoformat(),
    }


def send_webhook(delivery: Delivery) -> None:
    url = settings.NOTIFICATION_WEBHOOK_URL
    if not url:
        raise RuntimeError("NOTIFICATION_WEBHOOK_URL is not set")
    request = urllib.request.Request(
        url,
        data=json.dumps(webhook_payload(delivery), ensure_ascii=False).encode(),
        headers={"Content-Type": "application/json", "Idempotency-Key": str(delivery.pk)},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=settings.NOTIFICATION_WEBHOOK_TIMEOUT) as resp:
        if resp.status >= 300:
            raise RuntimeError(f"webhook answered {resp.status}")


def sender_for(channel: str):
    return import_string(settings.NOTIFICATION_SENDERS[channel])
