from celery import shared_task
from django.utils import timezone

from .sweep import sweep


@shared_task(name="deadlines.sweep", ignore_result=True)
def run_sweep() -> int:
    return sweep(now=timezone.now())
