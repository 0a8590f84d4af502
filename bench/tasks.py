"""A Celery task for the bench: the SLA sweep at a given instant, in a real worker, so
the worker's peak RSS during a 10,000-stage sweep can be read. The production task
(``dispatch.sla_sweep``) is the same call with ``timezone.now()``."""

import json
from pathlib import Path

from celery import shared_task
from django.utils.dateparse import parse_datetime

from disputes.sweep import sla_sweep

DONE = Path(__file__).resolve().parent / "out" / "celery_sweep_done.json"


@shared_task(name="bench.sweep_at", ignore_result=True)
def sweep_at(now_iso: str) -> int:
    result = sla_sweep(now=parse_datetime(now_iso))
    DONE.write_text(json.dumps({"raised": result.raised, "batches": result.batches}))
    return result.raised
