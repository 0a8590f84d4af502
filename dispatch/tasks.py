"""Thin Celery tasks: each calls one function with the current time."""

from celery import shared_task
from django.utils import timezone

from .delivery import deliver_due
from .notifications import notify_raised
from .sla import sla_sweep


@shared_task(name="dispatch.sla_sweep", ignore_result=True)
def run_sla_sweep() -> int:
    raised = sla_sweep(now=timezone.now()).raised
    notify_raised(now=timezone.now())
    return raised


@shared_task(name="dispatch.deliver_notifications", ignore_result=True)
def deliver_notifications() -> int:
    # Escalations a sweep raised but did not get to announce (it died in between).
    notify_raised(now=timezone.now())
    return deliver_due(now=timezone.now()).sent
