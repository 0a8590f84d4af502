"""Thin Celery tasks: each calls one function with the current time. The task names
are what the broker and the beat schedule carry, kept from before the apps were split."""

from celery import shared_task
from django.utils import timezone

from .notices import notify_raised
from .results import deliver_results_due
from .sweep import sla_sweep


@shared_task(name="dispatch.sla_sweep", ignore_result=True)
def run_sla_sweep() -> int:
    """Raise what is due, then tell its people; the telling also catches up escalations
    an earlier sweep raised but did not get to announce (it died in between)."""
    raised = sla_sweep(now=timezone.now()).raised
    notify_raised(now=timezone.now())
    return raised


@shared_task(name="disputes.deliver_incident_results", ignore_result=True)
def deliver_incident_results() -> int:
    """Results back to the command system (``disputes.results``): kicked after commit and
    run every minute to catch up."""
    return deliver_results_due(now=timezone.now()).sent
