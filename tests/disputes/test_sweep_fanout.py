"""A large sweep shared by several `sla` workers: the beat task asks for help only when a
batch comes back full, and helpers on PostgreSQL raise and announce each stage once."""

from datetime import timedelta
from unittest import mock

import pytest
from django.db import connection
from django.db.models import Count
from kombu.exceptions import OperationalError

from disputes.models import Alarm, Escalation, EventKind, Order, OrderEvent, State
from disputes.sweep import BATCH_SIZE, sla_sweep
from disputes.tasks import run_sla_sweep, run_sla_sweep_batch
from notifications.models import Notification
from tests.factories import STEP_OFFSETS, T0
from tests.threads import race_ok

# The sign clock's warning (24 min after dispatch) is due; its level 1 (30 min) is not.
WARNING_DUE = T0 + STEP_OFFSETS[State.DISPATCHED] + timedelta(minutes=25)
PUBLISH = "disputes.tasks.run_sla_sweep_batch.apply_async"


def dispatched_orders(world, n: int) -> list[int]:
    """n dispatched orders whose sign clock runs: one walked through the services, the
    rest copies of its row and its alarm (thousands through the services take minutes)."""
    model = world.order(State.DISPATCHED)
    fields = [f.attname for f in Order._meta.concrete_fields if not f.primary_key]
    copies = []
    for i in range(n - 1):
        copy = Order(**{name: getattr(model, name) for name in fields})
        copy.number = f"{model.number}-{i}"
        copies.append(copy)
    Order.objects.bulk_create(copies, batch_size=500)
    alarm = Alarm.objects.get(order=model)
    Alarm.objects.bulk_create(
        [
            Alarm(order=c, stage=alarm.stage, duty=0, level=alarm.level, fire_at=alarm.fire_at)
            for c in copies
        ],
        batch_size=500,
    )
    return [model.pk, *(c.pk for c in copies)]


def test_a_full_batch_asks_fanout_more_workers_at_the_same_instant(world, settings):
    settings.SLA_SWEEP_FANOUT = 3
    dispatched_orders(world, BATCH_SIZE + 1)
    with (
        mock.patch("disputes.tasks.timezone.now", return_value=WARNING_DUE),
        mock.patch(PUBLISH) as publish,
    ):
        assert run_sla_sweep() == BATCH_SIZE + 1  # the helpers were not run: it did all
    assert publish.call_count == 3
    assert {call.kwargs["args"][0] for call in publish.call_args_list} == {WARNING_DUE.isoformat()}
    assert not Escalation.objects.filter(notified_at=None).exists()


def test_a_batch_that_is_not_full_asks_no_one(world, settings):
    settings.SLA_SWEEP_FANOUT = 3
    for _ in range(2):
        world.order(State.DISPATCHED)
    with (
        mock.patch("disputes.tasks.timezone.now", return_value=WARNING_DUE),
        mock.patch(PUBLISH) as publish,
    ):
        assert run_sla_sweep() == 2
    publish.assert_not_called()


def test_asked_once_per_sweep_however_many_full_batches(world, settings):
    settings.SLA_SWEEP_FANOUT = 2
    for _ in range(5):
        world.order(State.DISPATCHED)
    share = mock.Mock()
    result = sla_sweep(now=WARNING_DUE, batch_size=2, share=share)
    assert result.batches == 3
    share.assert_called_once_with(2)


def test_with_the_broker_down_the_beat_task_sweeps_alone(world, settings):
    settings.SLA_SWEEP_FANOUT = 2
    dispatched_orders(world, BATCH_SIZE + 1)
    with (
        mock.patch("disputes.tasks.timezone.now", return_value=WARNING_DUE),
        mock.patch(PUBLISH, side_effect=OperationalError("broker down")) as publish,
    ):
        assert run_sla_sweep() == BATCH_SIZE + 1
    assert publish.call_count == 1
    assert Escalation.objects.count() == BATCH_SIZE + 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="row locks with SKIP LOCKED need PostgreSQL; SQLite serialises writers",
)
def test_two_batch_tasks_raise_and_announce_each_of_3000_stages_once(world):
    orders = dispatched_orders(world, 3000)
    raised = race_ok([lambda: run_sla_sweep_batch(WARNING_DUE.isoformat())] * 2, timeout=120)

    assert sum(raised) == 3000
    assert Escalation.objects.count() == 3000
    assert set(Escalation.objects.values_list("order", flat=True)) == set(orders)
    assert OrderEvent.objects.filter(kind=EventKind.ESCALATED).count() == 3000
    assert not Alarm.objects.filter(fire_at__lte=WARNING_DUE).exists()
    # Told by one worker or the other, never both: one warning per order and person.
    assert not Escalation.objects.filter(notified_at=None).exists()
    notices = Notification.objects.filter(kind__startswith="escalation")
    assert set(notices.values_list("order", flat=True)) == set(orders)
    per_person = notices.values("order", "recipient").annotate(n=Count("id"))
    assert {row["n"] for row in per_person} == {1}


def test_the_beat_task_can_sweep_as_of_a_given_instant(world):
    """The bench's data is due at a fixed instant: only the warning is due then (the
    clock's own time, years later, would raise all three levels)."""
    world.order(State.DISPATCHED)
    with mock.patch(PUBLISH) as publish:
        assert run_sla_sweep(WARNING_DUE.isoformat()) == 1
    assert list(Escalation.objects.values_list("level", "raised_at")) == [(0, WARNING_DUE)]
    publish.assert_not_called()
