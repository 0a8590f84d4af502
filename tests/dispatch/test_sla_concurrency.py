"""Two sweeps at once on PostgreSQL: each escalation raised and announced once."""

import threading
from datetime import timedelta

import pytest
from django.db import connection, connections

from dispatch.models import Escalation, Notification
from dispatch.notifications import notify_raised
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
            notify_raised(now=now, batch_size=7)
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
    # Both workers announced: each escalation once, level 2 to two supervisors per order.
    assert not Escalation.objects.filter(notified_at=None).exists()
    assert Notification.objects.filter(kind="escalation_2").count() == len(orders) * 2


def test_an_order_held_by_a_transition_is_left_for_the_next_sweep(world):
    """A handler signs (the order row is locked) while the sweep runs: the sweep neither
    waits nor raises for that order; once the sign commits there is nothing to raise."""
    from disputes import services
    from disputes.models import Order

    held, other = world.order(State.DISPATCHED), world.order(State.DISPATCHED)
    now = T0 + STEP_OFFSETS[State.DISPATCHED] + timedelta(minutes=25)  # warnings due
    locked, release = threading.Event(), threading.Event()
    errors = []

    def transition():
        try:
            from django.db import transaction

            with transaction.atomic():
                Order.objects.select_for_update().get(pk=held.pk)
                locked.set()
                release.wait(timeout=30)
            services.order_sign(order_id=held.pk, actor=world.handler, now=now)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    thread = threading.Thread(target=transition)
    thread.start()
    assert locked.wait(timeout=30)
    assert sla_sweep(now=now).raised == 1  # the other order's warning only
    release.set()
    thread.join(timeout=30)
    assert errors == []
    assert list(Escalation.objects.values_list("order_id", flat=True)) == [other.pk]
    # Signed now: its sign alarm is gone, so the next sweep raises nothing for it.
    assert sla_sweep(now=now).raised == 0
    assert not held.alarms.filter(stage="sign").exists()
