"""The beat task that keeps the report's roll-ups: it calls one service with the time."""

from celery import shared_task
from django.utils import timezone

from .rollups import rollups_refresh


# A year of orders at a million a year takes 30-60 s on two cores: more than the
# project's one-minute default limits, which are meant for the every-minute tasks.
@shared_task(name="rollups.refresh", ignore_result=True, soft_time_limit=1200, time_limit=1500)
def refresh_report_rollups() -> int:
    return rollups_refresh(now=timezone.now()).rows
