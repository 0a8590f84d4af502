"""Faults: a sweep killed half-way, a database error mid-write, a clock that jumps back."""

from datetime import timedelta
from unittest import mock

import pytest
from django.db import OperationalError

from disputes import notices, services
from disputes import sweep as sla
from disputes.models import (
    Escalation,
    EventKind,
    Order,
    OrderEvent,
    OrderNumberCounter,
    Party,
    State,
)
from disputes.notices import notify_raised
from disputes.sweep import sla_sweep
from disputes.tasks import run_sla_sweep
from notifications.models import Notification
from tests.factories import STEP_OFFSETS, T0, report_input

DUE = T0 + STEP_OFFSETS[State.DISPATCHED] + timedelta(hours=2)


class WorkerKilled(BaseException):
    """Stands for SIGKILL: not an Exception, so nothing on the way catches it."""


def test_a_sweep_killed_mid_batch_leaves_nothing_and_the_rerun_raises_once(world):
    orders = [world.order(State.DISPATCHED) for _ in range(3)]
    # Killed after the escalations and events are written, before the alarms move on.
    with (
        mock.patch.object(sla, "update_rows", side_effect=WorkerKilled),
        pytest.raises(WorkerKilled),
    ):
        sla_sweep(now=DUE)
    # The batch's transaction rolled back: no escalation, no event, clocks untouched.
    assert Escalation.objects.count() == 0
    assert not OrderEvent.objects.filter(kind=EventKind.ESCALATED).exists()
    assert all(list(o.alarms.values_list("stage", "level")) == [("sign", 0)] for o in orders)

    assert sla_sweep(now=DUE).raised == 9  # the retried task
    assert sla_sweep(now=DUE).raised == 0
    assert Escalation.objects.count() == 9
    assert notify_raised(now=DUE) == 3 * (2 + 2 + 2)
    assert Notification.objects.filter(kind__startswith="escalation").count() == 3 * (2 + 2 + 2)


def test_notices_killed_mid_batch_are_written_once_by_the_next_round(world):
    for _ in range(3):
        world.order(State.DISPATCHED)
    assert sla_sweep(now=DUE).raised == 9
    with (
        mock.patch.object(notices, "transaction") as tx,
        pytest.raises(WorkerKilled),
    ):
        tx.atomic.side_effect = WorkerKilled
        notify_raised(now=DUE)
    assert not Notification.objects.filter(kind__startswith="escalation").exists()
    # The next sweep's round announces them, once (the sweep itself finds nothing due).
    with mock.patch("disputes.tasks.timezone.now", return_value=DUE):
        run_sla_sweep()
        run_sla_sweep()
    assert Notification.objects.filter(kind__startswith="escalation").count() == 3 * (2 + 2 + 2)
    assert not Escalation.objects.filter(notified_at=None).exists()


def test_a_sweep_killed_in_its_second_batch_keeps_the_first(world):
    for _ in range(4):
        world.order(State.DISPATCHED)
    real = sla.update_rows
    calls = {"n": 0}

    def die_on_second(*args, **kwargs):  # the second batch's alarms
        calls["n"] += 1
        if calls["n"] == 2:  # once per batch, the alarms (events.py moves the heads)
            raise WorkerKilled
        return real(*args, **kwargs)

    with mock.patch.object(sla, "update_rows", die_on_second), pytest.raises(WorkerKilled):
        sla_sweep(now=DUE, batch_size=2)
    assert Escalation.objects.count() == 6  # the first batch (2 orders × 3 levels) committed
    assert sla_sweep(now=DUE, batch_size=2).raised == 6
    assert Escalation.objects.count() == 12
    assert OrderEvent.objects.filter(kind=EventKind.ESCALATED).count() == 12


def test_a_database_error_mid_report_writes_no_half_order(world):
    before = (Order.objects.count(), OrderEvent.objects.count(), Party.objects.count())
    counters = list(OrderNumberCounter.objects.values_list("month", "last"))
    data = report_input(community=world.zk, category=world.wages)
    with (
        mock.patch.object(
            Party.objects,
            "bulk_create",
            side_effect=OperationalError("server closed the connection"),
        ),
        pytest.raises(OperationalError),
    ):
        services.order_report(actor=world.reporter, data=data, now=T0)
    assert (Order.objects.count(), OrderEvent.objects.count(), Party.objects.count()) == before
    assert list(OrderNumberCounter.objects.values_list("month", "last")) == counters
    assert not Notification.objects.exists()
    # The next report takes the number the failed one would have had: no gap, no reuse.
    order = services.order_report(actor=world.reporter, data=data, now=T0)
    assert order.number == "HB-202611-00001"


def test_a_database_error_mid_transition_leaves_the_order_as_it_was(world):
    order = world.order(State.DISPATCHED)
    with (
        mock.patch("disputes.services.record_event", side_effect=OperationalError("gone")),
        pytest.raises(OperationalError),
    ):
        services.order_sign(order_id=order.pk, actor=world.handler, now=DUE)
    order.refresh_from_db()
    assert order.state == State.DISPATCHED and order.signed_at is None
    assert order.alarms.filter(stage="sign").exists()  # still watched by the sweep
    services.order_sign(order_id=order.pk, actor=world.handler, now=DUE)
    assert Order.objects.get(pk=order.pk).state == State.SIGNED


def test_a_clock_jumping_back_does_no_harm(world):
    order = world.order(State.DISPATCHED)
    assert sla_sweep(now=DUE).raised == 3
    raised_at = set(Escalation.objects.values_list("raised_at", flat=True))
    # An operator runs the sweep with --now in the past, or the host clock jumps back.
    assert sla_sweep(now=T0 - timedelta(days=365)).raised == 0
    assert sla_sweep(now=T0).raised == 0
    assert set(Escalation.objects.values_list("raised_at", flat=True)) == raised_at
    assert Escalation.objects.filter(order=order, resolved_at__isnull=True).count() == 3
