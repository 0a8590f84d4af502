"""The timeline and the state cannot be changed past the services; notifications
commit with the change."""

import pytest
from django.db import transaction
from django.db.models.deletion import ProtectedError

from disputes.models import (
    Order,
    OrderEvent,
    State,
)
from notifications.models import Notification
from shishi_mediation.errors import Conflict
from tests.disputes.lifecycle import (
    act,
    snapshot,
)

pytestmark = pytest.mark.django_db


# --- timeline and state are tamper-proof -----------------------------------------------------


def test_timeline_events_cannot_be_changed_or_deleted(order_in):
    order = order_in(State.SIGNED)
    before = snapshot(order.pk)
    event = OrderEvent.objects.filter(order=order).first()

    event.note = "改写历史"
    with pytest.raises(TypeError):
        event.save()
    with pytest.raises(TypeError):
        event.delete()
    with pytest.raises(TypeError):
        OrderEvent.objects.filter(order=order).update(note="改写历史")
    with pytest.raises(TypeError):
        OrderEvent.objects.filter(order=order).delete()
    with pytest.raises(TypeError):
        order.events.update(note="改写历史")
    # bulk_update runs inside atomic(savepoint=False); give it a savepoint to spoil.
    with pytest.raises(TypeError), transaction.atomic():
        OrderEvent.objects.bulk_update([event], ["note"])
    assert snapshot(order.pk) == before


def test_an_order_with_a_timeline_cannot_be_deleted(order_in):
    order = order_in(State.REPORTED)
    with pytest.raises(ProtectedError):
        order.delete()
    assert Order.objects.filter(pk=order.pk).exists()


def test_state_cannot_be_assigned_directly(order_in):
    order = order_in(State.DISPATCHED)
    with pytest.raises(AttributeError):
        order.state = State.CLOSED
    order.refresh_from_db()  # still possible: the mixin lifts the guard to reload
    assert order.state == State.DISPATCHED


def test_notifications_commit_with_the_change_and_not_with_a_conflict(
    order_in, world, django_capture_on_commit_callbacks
):
    order = order_in(State.REPORTED)
    with django_capture_on_commit_callbacks() as callbacks:
        act("dispatch", order=order, actor=world.dispatcher, world=world)
    # The committee's handler and head are told; sending waits for the commit.
    told = set(
        Notification.objects.filter(order=order, kind="dispatched").values_list(
            "recipient_id", flat=True
        )
    )
    assert told == {world.committee_handler.pk, world.committee_head.pk}
    assert len(callbacks) >= 1

    count = Notification.objects.count()
    with django_capture_on_commit_callbacks() as callbacks, pytest.raises(Conflict):
        act("dispatch", order=order, actor=world.dispatcher, world=world)
    assert callbacks == []
    assert Notification.objects.count() == count
