"""Thin Celery task: the event tables' monthly partitions (daily, CELERY_BEAT_SCHEDULE)."""

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from .services import maintain_partitions


@shared_task(name="partitions.maintain", ignore_result=True)
def maintain() -> dict:
    done = maintain_partitions(
        now=timezone.now(),
        months_ahead=settings.PARTITION_MONTHS_AHEAD,
        retention_months=settings.PARTITION_RETENTION_MONTHS,
    )
    return {"created": [c.partition for c in done.created], "detached": done.detached}
