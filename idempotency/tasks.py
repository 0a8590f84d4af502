"""Thin Celery task: forget expired idempotency keys (nightly, CELERY_BEAT_SCHEDULE)."""

from celery import shared_task
from django.utils import timezone

from .services import purge_expired


@shared_task(name="idempotency.purge_keys", ignore_result=True)
def purge_idempotency_keys() -> int:
    return purge_expired(now=timezone.now())
