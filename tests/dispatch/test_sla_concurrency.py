"""Two sweeps at once on PostgreSQL: each escalation raised and announced once."""

import threading
from datetime import timedelta

import pytest
from django.db import connection, connections

from dispatch.models import Escalation, Notification
from dispatch.sla import sla_sweep
from disputes.models import EventKind, OrderEvent, State
from tests.factories import STEP_OFFSETS, T0

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="row locks with SKIP LOCKED need PostgreSQL; SQLite serialises writers",
    ),
]


def test_two_concurrent_sweeps_raise_each_escalation_once(world):
    orders = [world.order(State.DISPATCHED) for _ in range(40)]
    now = T0 + STEP_OFFSETS[State.DISPATCHED] + timedelta(hours=2)
    barrier = threading.Barrier(2)
    results, errors = [], []

    def sweep():
        try:
            barrier.wait()
            results.append(sla_sweep(now=now, batch_size=7))
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=sweep) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)

    assert errors == []
    assert sum(r.raised for r in results) == len(orders) * 3
    assert Escalation.objects.count() == len(orders) * 3
    assert OrderEvent.objects.filter(kind=EventKind.ESCALATED).count() == len(orders) * 3
    # Level 2 goes to two supervisors per order, once each.
    assert Notification.objects.filter(kind="escalation_2").count() == len(orders) * 2
