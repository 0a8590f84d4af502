"""Thin Celery tasks: each calls one function with the current time. The task names
are what the broker and the beat schedule carry, kept from before the apps were split."""

import logging

from celery import shared_task
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from .notices import notify_raised
from .results import deliver_results_due
from .sweep import sla_sweep

log = logging.getLogger(__name__)


@shared_task(name="dispatch.sla_sweep", ignore_result=True)
def run_sla_sweep(now_iso: str | None = None) -> int:
    """Raise what is due, then tell its people; the telling also catches up escalations
    an earlier sweep raised but did not get to announce (it died in between). ``now_iso``
    sweeps as of that instant instead (the bench's data is due at a fixed one)."""
    now = parse_datetime(now_iso) if now_iso else timezone.now()
    raised = sla_sweep(now=now, share=lambda k: _share_sweep(now, k)).raised
    notify_raised(now=timezone.now())
    return raised


@shared_task(name="dispatch.sla_sweep_batch", ignore_result=True)
def run_sla_sweep_batch(now_iso: str) -> int:
    """A share of a large sweep (``disputes.sweep.sla_sweep``'s ``share``): batches due at
    the beat task's instant while full ones are found, then the telling, as above."""
    raised = sla_sweep(now=parse_datetime(now_iso)).raised
    notify_raised(now=timezone.now())
    return raised


def _share_sweep(now, k: int) -> None:
    """Queue k ``sla_sweep_batch`` tasks on the ``sla`` queue (settings' task routes). A
    broker failure is logged: the beat task sweeps the rest alone."""
    try:
        for _ in range(k):
            run_sla_sweep_batch.apply_async(args=[now.isoformat()], expires=55, retry=False)
    except Exception as exc:  # noqa: BLE001 - any broker failure: this worker goes on alone
        log.warning("could not share the SLA sweep (%s); sweeping alone", exc)


@shared_task(name="disputes.deliver_incident_results", ignore_result=True)
def deliver_incident_results() -> int:
    """Results back to the command system (``disputes.results``): kicked after commit and
    run every minute to catch up."""
    return deliver_results_due(now=timezone.now()).sent
