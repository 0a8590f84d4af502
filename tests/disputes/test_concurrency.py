"""Simultaneous transitions on one order: exactly one wins, the rest get 409, and the
timeline records one step. The races need real row locks, so they run on PostgreSQL only
(``DATABASE_URL=postgres://… pytest``); the optimistic state check runs everywhere."""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django_fsm import ConcurrentTransition

from dispatch.models import Role
from dispatch.selectors import memberships_of
from disputes import services
from disputes.models import EventKind, Order, OrderEvent, State
from shishi_mediation.errors import Conflict, Forbidden, NotFound
from tests.factories import MembershipFactory, UserFactory
from tests.threads import race

User = get_user_model()

on_postgres = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="needs PostgreSQL row locks (select_for_update) and one connection per thread; "
    "SQLite serialises writers. Run with DATABASE_URL=postgres://…",
)


@pytest.fixture(autouse=True)
def _no_broker(monkeypatch):
    # Committed transitions kick the notification worker; these tests need no broker.
    monkeypatch.setattr("notifications.services.kick_delivery", lambda: None)


def as_actor(user_pk: int):
    """Load the user in the thread's own connection, memberships included."""
    user = User.objects.get(pk=user_pk)
    memberships_of(user)
    return user


@on_postgres
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_twenty_simultaneous_signs_exactly_one_wins(world):
    """The named assignee on several devices and the unit's heads all press "sign" at
    once. Everyone stays entitled to sign, so every loser must hear 409."""
    order = world.order(State.DISPATCHED, assignee=world.handler)
    heads = [world.head] + [
        MembershipFactory(unit=world.hb_police, role=Role.UNIT_HEAD).user for _ in range(9)
    ]
    signers = [world.handler] * 10 + heads
    now = order.dispatched_at + timedelta(minutes=10)

    def attempt(user):
        return (
            lambda: as_actor(user.pk),
            lambda actor: services.order_sign(order_id=order.pk, actor=actor, now=now),
        )

    results = race([attempt(u) for u in signers])

    winners = [u for u, r in zip(signers, results, strict=True) if isinstance(r, Order)]
    losers = [r for r in results if not isinstance(r, Order)]
    assert len(winners) == 1, results
    assert len(losers) == 19
    assert all(isinstance(r, Conflict) for r in losers), losers
    assert {r.state for r in losers} == {State.SIGNED}
    assert {r.status_code for r in losers} == {409}

    order = Order.objects.get(pk=order.pk)
    assert order.state == State.SIGNED
    assert order.assignee_id == world.handler.pk  # a head signing keeps the named assignee
    assert order.signed_at == now
    assert order.sign_on_time is True
    assert order.contact_due_at == now + timedelta(hours=24)
    signed = OrderEvent.objects.filter(order=order, kind=EventKind.SIGNED)
    assert signed.count() == 1
    assert signed.get().actor_id == winners[0].pk


@on_postgres
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_twenty_handlers_racing_for_an_unnamed_order_one_takes_it(world):
    """Twenty different handlers race for an order with no named assignee: one takes it,
    the timeline has one ``signed`` step, and nobody gets a 500 or a half-signed order.
    (Which 4xx the losers get is pinned down, as a known bug, in test_services.py.)"""
    order = world.order(State.DISPATCHED)
    handlers = [world.handler, world.handler2] + [
        MembershipFactory(unit=world.hb_police, role=Role.HANDLER).user for _ in range(18)
    ]
    now = order.dispatched_at + timedelta(minutes=10)

    def attempt(user):
        return (
            lambda: as_actor(user.pk),
            lambda actor: services.order_sign(order_id=order.pk, actor=actor, now=now),
        )

    results = race([attempt(u) for u in handlers])

    winners = [u for u, r in zip(handlers, results, strict=True) if isinstance(r, Order)]
    losers = [r for r in results if not isinstance(r, Order)]
    assert len(winners) == 1, results
    assert all(isinstance(r, Conflict | Forbidden) for r in losers), losers

    order = Order.objects.get(pk=order.pk)
    assert order.state == State.SIGNED
    assert order.assignee_id == winners[0].pk
    signed = OrderEvent.objects.filter(order=order, kind=EventKind.SIGNED)
    assert signed.count() == 1
    assert signed.get().actor_id == winners[0].pk


@on_postgres
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_dispatchers_dispatching_one_order_one_wins(world):
    order = world.order(State.REPORTED)
    second = UserFactory(username="center2")
    MembershipFactory(user=second, unit=world.hb_center, role=Role.DISPATCHER)
    now = order.reported_at + timedelta(minutes=5)
    targets = [(world.dispatcher, world.hb_police), (second, world.hb_committee)]

    def attempt(user, unit):
        return (
            lambda: as_actor(user.pk),
            lambda actor: services.order_dispatch(
                order_id=order.pk, actor=actor, lead_unit_id=unit.pk, now=now
            ),
        )

    results = race([attempt(u, unit) for u, unit in targets])

    won = [i for i, r in enumerate(results) if isinstance(r, Order)]
    assert len(won) == 1, results
    [loser] = [r for r in results if not isinstance(r, Order)]
    assert isinstance(loser, Conflict) and loser.state == State.DISPATCHED, loser

    dispatcher, unit = targets[won[0]]
    order = Order.objects.get(pk=order.pk)
    assert order.state == State.DISPATCHED
    assert order.lead_unit_id == unit.pk
    events = OrderEvent.objects.filter(order=order, kind=EventKind.DISPATCHED)
    assert events.count() == 1
    assert events.get().actor_id == dispatcher.pk
    # Only the winning unit was told; the loser's notifications rolled back with it.
    told = set(order.notifications.filter(kind="dispatched").values_list("recipient", flat=True))
    members = {
        world.hb_police.pk: {world.handler.pk, world.handler2.pk, world.head.pk},
        world.hb_committee.pk: {world.committee_handler.pk, world.committee_head.pk},
    }
    assert told == members[unit.pk]


@on_postgres
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_sign_racing_reassign_leaves_one_consistent_outcome(world):
    order = world.order(State.DISPATCHED, assignee=world.handler)
    now = order.dispatched_at + timedelta(minutes=10)

    results = race(
        [
            (
                lambda: as_actor(world.handler.pk),
                lambda actor: services.order_sign(order_id=order.pk, actor=actor, now=now),
            ),
            (
                lambda: as_actor(world.dispatcher.pk),
                lambda actor: services.order_reassign(
                    order_id=order.pk,
                    actor=actor,
                    lead_unit_id=world.hb_committee.pk,
                    now=now,
                ),
            ),
        ]
    )
    sign, reassign = results
    order = Order.objects.get(pk=order.pk)
    kinds = list(
        OrderEvent.objects.filter(order=order).order_by("pk").values_list("kind", flat=True)
    )
    if isinstance(sign, Order):
        # Signed first: the order is no longer the dispatcher's to move.
        assert isinstance(reassign, Conflict) and reassign.state == State.SIGNED, reassign
        assert (order.state, order.lead_unit_id) == (State.SIGNED, world.hb_police.pk)
        assert kinds[-1] == EventKind.SIGNED
        assert EventKind.REASSIGNED not in kinds
    else:
        # Reassigned first: the station lost the order, so to its handler it is gone.
        assert isinstance(reassign, Order), reassign
        assert isinstance(sign, NotFound), sign
        assert (order.state, order.lead_unit_id) == (State.DISPATCHED, world.hb_committee.pk)
        assert kinds[-1] == EventKind.REASSIGNED
        assert EventKind.SIGNED not in kinds


@pytest.mark.django_db
def test_a_stale_copy_cannot_overwrite_a_newer_state(world):
    """The optimistic check ConcurrentTransitionMixin adds to the UPDATE, for any writer
    that skipped the row lock: the second of two stale copies fails and changes nothing."""
    order = world.order(State.DISPATCHED)
    first, second = Order.objects.get(pk=order.pk), Order.objects.get(pk=order.pk)
    at = order.dispatched_at + timedelta(minutes=1)
    limits = {"contact": timedelta(hours=24), "meet": timedelta(hours=48)}

    first.sign(by=world.handler, at=at, limits=limits)
    first.save()
    second.cancel(at=at, reason="重复")
    # save() runs in atomic(savepoint=False); a savepoint keeps the test's transaction usable.
    with pytest.raises(ConcurrentTransition), transaction.atomic():
        second.save()

    order.refresh_from_db()
    assert order.state == State.SIGNED
    assert order.cancel_reason == ""
