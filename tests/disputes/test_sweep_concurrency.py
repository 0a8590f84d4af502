"""Two sweeps at once on PostgreSQL: each escalation raised and announced once."""

import threading
import time
from datetime import timedelta

import pytest
from django.db import connection, connections, transaction
from django.db.models import Count

from disputes import services
from disputes.models import Escalation, EventKind, OrderEvent, State
from disputes.notices import notify_raised
from disputes.sweep import sla_sweep
from notifications.models import Notification
from tests.factories import STEP_OFFSETS, T0
from tests.threads import race_ok

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

    def sweep():
        result = sla_sweep(now=now, batch_size=7)
        notify_raised(now=now, batch_size=7)
        return result

    results = race_ok([sweep, sweep])

    assert sum(r.raised for r in results) == len(orders) * 3
    assert Escalation.objects.count() == len(orders) * 3
    assert OrderEvent.objects.filter(kind=EventKind.ESCALATED).count() == len(orders) * 3
    # Rows a worker deferred because the other held their clock's top level wait for the
    # next round (the next minute's task): it marks them superseded and tells nobody.
    notify_raised(now=now)
    # Both workers announced, each stage once and only at its highest level: the six
    # people the three levels concern (assignees, unit head, center, two supervisors) get
    # one level-2 notice each per order, never a second nor a lower-level one.
    assert not Escalation.objects.filter(notified_at=None).exists()
    notices = Notification.objects.filter(kind__startswith="escalation")
    assert set(notices.values_list("kind", flat=True)) == {"escalation_2"}
    per_person = notices.values("order", "recipient").annotate(n=Count("id"))
    assert {row["n"] for row in per_person} == {1}
    assert notices.count() == len(orders) * 6
    assert notices.filter(recipient__in=[world.supervisor, world.hb_supervisor]).count() == (
        len(orders) * 2
    )


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


def test_lower_levels_wait_while_another_worker_holds_the_top_one(world):
    """After downtime one order has all three levels of its sign clock untold. Another
    worker holds the level-2 row while this one runs: this one must neither announce nor
    mark the lower levels, or the worker holding level 2 would read them as told and
    leave their people (assignees, head, center) without any notice."""
    from django.db import transaction

    order = world.order(State.DISPATCHED)
    now = T0 + STEP_OFFSETS[State.DISPATCHED] + timedelta(hours=2)
    assert sla_sweep(now=now).raised == 3
    top = Escalation.objects.get(order=order, level=2)
    locked, release = threading.Event(), threading.Event()
    errors = []

    def other_worker():
        try:
            with transaction.atomic():
                Escalation.objects.select_for_update().get(pk=top.pk)
                locked.set()
                release.wait(timeout=30)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    thread = threading.Thread(target=other_worker)
    thread.start()
    assert locked.wait(timeout=30)
    assert notify_raised(now=now) == 0
    assert Escalation.objects.filter(order=order, notified_at=None).count() == 3
    release.set()
    thread.join(timeout=30)
    assert errors == []

    notify_raised(now=now)
    notices = Notification.objects.filter(order=order, kind__startswith="escalation")
    assert set(notices.values_list("kind", flat=True)) == {"escalation_2"}
    assert notices.count() == 6  # police, police2, head, center, both supervisors
    assert notices.values("recipient").distinct().count() == 6
    assert not Escalation.objects.filter(order=order, notified_at=None).exists()


def test_signing_while_its_escalations_are_being_announced_is_no_deadlock(world):
    """The load test's 500 on sign: ``notify_raised`` holds an order's escalations and
    writes a notice that refers to the order, while the sign transition holds the order
    and resolves those escalations. With the order locked FOR UPDATE the notice's foreign
    key waited for the transition and the transition for the escalations: deadlock. The
    order is locked FOR NO KEY UPDATE, so the notice goes through and the sign waits."""
    order = world.order(State.DISPATCHED)
    now = T0 + STEP_OFFSETS[State.DISPATCHED] + timedelta(hours=2)
    assert sla_sweep(now=now).raised
    held, signing = threading.Event(), threading.Event()
    errors = []

    def announce():
        try:
            with transaction.atomic():
                list(Escalation.objects.filter(order=order).select_for_update(of=("self",)))
                held.set()
                signing.wait(10)
                time.sleep(0.5)  # the transition now holds the order and waits for us
                with connection.cursor() as cur:
                    cur.execute("SET LOCAL lock_timeout = '5s'")
                Notification.objects.create(
                    recipient=world.head,
                    order=order,
                    kind="escalation_1",
                    subject="x",
                    created_at=now,
                )
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    thread = threading.Thread(target=announce)
    thread.start()
    assert held.wait(10)
    signing.set()
    signed = services.order_sign(order_id=order.pk, actor=world.handler, now=now)
    thread.join(timeout=30)

    assert errors == []
    assert signed.state == State.SIGNED
    assert Notification.objects.filter(order=order, kind="escalation_1", subject="x").exists()
    assert not Escalation.objects.filter(order=order, resolved_at=None).exists()
