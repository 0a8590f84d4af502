"""Thin Celery tasks: each calls one function with the current time."""

from celery import shared_task
from django.utils import timezone

from .delivery import deliver_due, deliver_sms_due


@shared_task(name="dispatch.deliver_notifications", ignore_result=True)
def deliver_notifications() -> int:
    """The outbox (notices on external channels), then the SMS outbox (texts to parties)."""
    now = timezone.now()
    return deliver_due(now=now).sent + deliver_sms_due(now=now).sent
