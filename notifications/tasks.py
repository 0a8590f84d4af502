"""Thin Celery tasks: each calls one function with the current time."""

from celery import shared_task
from django.utils import timezone

from .delivery import deliver_due


@shared_task(name="dispatch.deliver_notifications", ignore_result=True)
def deliver_notifications() -> int:
    return deliver_due(now=timezone.now()).sent
