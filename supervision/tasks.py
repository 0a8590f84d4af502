"""The beat tasks of the reports: each calls one service with the time."""

from celery import shared_task
from django.utils import timezone

from .bulletins import bulletins_publish_due
from .rollups import rollups_refresh


# A year of orders at a million a year takes 30-60 s on two cores: more than the
# project's one-minute default limits, which are meant for the every-minute tasks.
@shared_task(name="rollups.refresh", ignore_result=True, soft_time_limit=1200, time_limit=1500)
def refresh_report_rollups() -> int:
    return rollups_refresh(now=timezone.now()).rows


# The 1st of each month at 09:00 Asia/Shanghai: last month's bulletin to every unit.
@shared_task(name="supervision.publish_bulletins", ignore_result=True, soft_time_limit=600)
def publish_bulletins() -> int:
    return len(bulletins_publish_due(now=timezone.now()))
