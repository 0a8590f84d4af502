"""Merging a duplicate into the order it repeats (重复报单合并, ``services.order_merge``):
who may, which orders, what ends and what both timelines say."""

import pytest
from django.db import IntegrityError, transaction

from disputes import services
from disputes.chain import timeline_fields
from disputes.models import (
    Alarm,
    ClockPause,
    ClosingProposal,
    Duty,
    Escalation,
    EventKind,
    Order,
    OrderEvent,
    State,
)
from disputes.stages import Stage
from disputes.sweep import sla_sweep
from notifications.models import Notification
from shishi_mediation.errors import Conflict, Forbidden, InvalidInput, NotFound
from tests.disputes.lifecycle import HOUR, MIN, last_event, later, snapshot, timeline
from tests.factories import STEP_OFFSETS, T0, MembershipFactory, UserFactory, fresh

pytestmark = pytest.mark.django_db

OPEN = [
    State.REPORTED,
    State.DISPATCHED,
    State.SIGNED,
    State.CONTACTED,
    State.MET,
    State.CONFIRMING,
]


def merge(world, duplicate, kept, *, actor=None, reason="同一纠纷重复报单", now=None, into=None):
    return services.order_merge(
        order_id=duplicate.pk,
        actor=actor or world.dispatcher,
        into=into if into is not None else kept.number,
        reason=reason,
        now=now or later(duplicate) + HOUR,
    )


def read(order) -> Order:
    return Order.objects.get(pk=order.pk)


@pytest.fixture
def kept(world):
    return world.order(State.SIGNED, start=T0 - 2 * HOUR)


# --- the merge itself ------------------------------------------------------------------------


@pytest.mark.parametrize("from_state", OPEN)
def test_merge_from_each_open_state_records_both_sides(world, kept, from_state):
    duplicate = world.order(from_state)
    at = later(duplicate) + HOUR
    merge(world, duplicate, kept, reason=" 同一纠纷重复报单 ", now=at)

    duplicate, kept = read(duplicate), read(kept)
    assert duplicate.state == State.MERGED and not duplicate.is_open
    assert (duplicate.merged_into_id, duplicate.merged_at) == (kept.pk, at)
    assert duplicate.merge_reason == "同一纠纷重复报单"
    event = last_event(duplicate)
    assert (event.kind, event.from_state, event.to_state, event.actor, event.at) == (
        EventKind.MERGED,
        from_state,
        State.MERGED,
        world.dispatcher,
        at,
    )
    assert event.data["merged_into"] == {"order_id": kept.pk, "number": kept.number}
    mine = last_event(kept)
    assert (mine.kind, mine.from_state, mine.to_state, mine.note) == (
        EventKind.MERGED_IN,
        "",
        "",
        "同一纠纷重复报单",
    )
    assert mine.data["duplicate"] == {"order_id": duplicate.pk, "number": duplicate.number}
    # The kept order goes on as it was.
    assert kept.state == State.SIGNED and kept.merged_into_id is None
    # Both chains still vouch for their rows.
    assert timeline_fields(timeline(duplicate))["state"] == State.MERGED


def test_merge_ends_every_clock_of_the_duplicate(world, kept):
    """As a cancellation: the order's clocks and alarms, its escalations, its units'
    duties and a pause running."""
    duplicate = world.order(
        State.SIGNED, assignee=world.handler, assisting_units=[world.hb_committee]
    )
    signed_at = T0 + STEP_OFFSETS[State.SIGNED]
    services.order_pause(
        order_id=duplicate.pk,
        actor=world.handler,
        stage=Stage.MEET,
        reason="hospital",
        minutes=24 * 60,
        note="",
        now=signed_at + HOUR,
    )
    services.order_pause_decide(
        order_id=duplicate.pk,
        actor=world.dispatcher,
        approve=True,
        stage=None,
        now=signed_at + 2 * HOUR,
    )
    # The contact clock runs late: the sweep raises its escalation.
    overdue = signed_at + 25 * HOUR
    sla_sweep(now=overdue)
    assert Escalation.objects.filter(order=duplicate, resolved_at=None).exists()
    assert Duty.objects.filter(order=duplicate).running().exists()

    merge(world, duplicate, kept, now=overdue + MIN)

    assert not Alarm.objects.filter(order=duplicate).exists()
    assert not Escalation.objects.filter(order=duplicate, resolved_at=None).exists()
    assert not Duty.objects.filter(order=duplicate).running().exists()
    pause = ClockPause.objects.get(order=duplicate)
    assert pause.ended_at == overdue + MIN
    assert read(duplicate).running_clocks() == {}
    # The kept order's own clocks run on; the sweep raises nothing more on the duplicate.
    assert Alarm.objects.filter(order=kept).exists()
    raised = Escalation.objects.filter(order=duplicate).count()
    sla_sweep(now=overdue + 72 * HOUR)
    assert Escalation.objects.filter(order=duplicate).count() == raised


def test_merge_withdraws_a_pending_closing(world, kept):
    duplicate = world.order(State.CONFIRMING)
    merge(world, duplicate, kept)
    proposal = ClosingProposal.objects.get(order=duplicate)
    assert proposal.status == ClosingProposal.Status.WITHDRAWN
    assert not Duty.objects.filter(order=duplicate, kind="closing").running().exists()


def test_merge_tells_the_duplicates_reporter_and_handler(world, kept):
    duplicate = world.order(State.SIGNED, assignee=world.handler)
    merge(world, duplicate, kept)
    told = set(
        Notification.objects.filter(order=duplicate, kind="merged").values_list(
            "recipient_id", flat=True
        )
    )
    assert told == {world.reporter.pk, world.handler.pk}
    subject = Notification.objects.filter(order=duplicate, kind="merged").first().subject
    assert duplicate.number in subject and kept.number in subject


# --- who may ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "who", ["handler", "head", "reporter", "hb_supervisor", "supervisor", "committee_handler"]
)
def test_only_the_streets_dispatchers_merge(world, kept, who):
    duplicate = world.order(State.DISPATCHED, lead_unit=world.hb_police)
    before, kept_before = snapshot(duplicate.pk), snapshot(kept.pk)
    actor = getattr(world, who)
    with pytest.raises((Forbidden, NotFound)) as exc:
        merge(world, duplicate, kept, actor=actor)
    # Those who see it hear 403; the committee does not see the police's order.
    assert isinstance(exc.value, NotFound if who == "committee_handler" else Forbidden)
    assert snapshot(duplicate.pk) == before and snapshot(kept.pk) == kept_before


def test_the_center_head_reads_but_may_not_merge(world, kept):
    head = UserFactory(username="center_head")
    MembershipFactory(user=head, unit=world.hb_center, role="unit_head")
    duplicate = world.order(State.REPORTED)
    with pytest.raises(Forbidden):
        merge(world, duplicate, kept, actor=fresh(head))


def test_another_streets_dispatcher_gets_404(world, kept):
    duplicate = world.order(State.REPORTED)
    with pytest.raises(NotFound):
        merge(world, duplicate, kept, actor=world.fl_dispatcher)


# --- which orders ----------------------------------------------------------------------------


def test_into_itself_is_refused(world, kept):
    with pytest.raises(InvalidInput) as exc:
        merge(world, kept, kept)
    assert "into" in exc.value.errors
    assert read(kept).state == State.SIGNED


@pytest.mark.parametrize("number", ["HB-209901-00001", "无此编号"])
def test_an_unknown_number_is_refused(world, kept, number):
    duplicate = world.order(State.REPORTED)
    with pytest.raises(InvalidInput) as exc:
        merge(world, duplicate, kept, into=number)
    assert "into" in exc.value.errors


def test_another_streets_order_is_not_a_keeper(world):
    """Both orders in the actor's street: an order of 凤里 is not found from 湖滨."""
    duplicate = world.order(State.REPORTED)
    other = world.order(State.REPORTED, community=world.fl_community)
    with pytest.raises(InvalidInput) as exc:
        merge(world, duplicate, other)
    assert "into" in exc.value.errors


def test_a_cancelled_order_is_not_a_keeper(world):
    duplicate = world.order(State.REPORTED)
    cancelled = world.order(State.CANCELLED)
    with pytest.raises(InvalidInput) as exc:
        merge(world, duplicate, cancelled)
    assert "into" in exc.value.errors


@pytest.mark.parametrize("reason", ["", "  "])
def test_a_reason_is_required(world, kept, reason):
    duplicate = world.order(State.REPORTED)
    with pytest.raises(InvalidInput) as exc:
        merge(world, duplicate, kept, reason=reason)
    assert "reason" in exc.value.errors


def test_a_merged_target_is_followed_to_its_keeper(world, kept):
    first = world.order(State.REPORTED)
    merge(world, first, kept)
    second = world.order(State.REPORTED)
    merge(world, second, first)  # names the merged one
    second = read(second)
    assert second.merged_into_id == kept.pk
    assert last_event(second).data["requested"] == read(first).number
    assert [e.data["duplicate"]["order_id"] for e in timeline(kept) if e.kind == "merged_in"] == [
        first.pk,
        second.pk,
    ]


def test_no_cycle_a_keeper_cannot_be_merged_into_its_duplicate(world, kept):
    duplicate = world.order(State.REPORTED)
    merge(world, duplicate, kept)
    # kept → duplicate would close a loop: the duplicate's keeper is kept itself.
    with pytest.raises(InvalidInput) as exc:
        merge(world, kept, duplicate)
    assert "into" in exc.value.errors
    assert read(kept).state == State.SIGNED


@pytest.mark.parametrize("state", [State.CLOSED, State.CANCELLED])
def test_a_settled_order_cannot_be_merged(world, kept, state):
    duplicate = world.order(state)
    with pytest.raises(Conflict):
        merge(world, duplicate, kept)


def test_an_order_is_merged_once(world, kept):
    duplicate = world.order(State.REPORTED)
    merge(world, duplicate, kept)
    other = world.order(State.REPORTED)
    with pytest.raises(Conflict) as exc:
        merge(world, duplicate, other)
    assert exc.value.state == State.MERGED
    assert read(duplicate).merged_into_id == kept.pk


def test_a_closed_order_may_keep_a_duplicate(world):
    closed = world.order(State.CLOSED)
    duplicate = world.order(State.REPORTED, start=T0 + 3 * 24 * HOUR)
    merge(world, duplicate, closed)
    assert read(duplicate).merged_into_id == closed.pk


# --- the database's check --------------------------------------------------------------------


def test_the_database_refuses_a_link_without_the_state(world, kept):
    other = world.order(State.REPORTED)
    with pytest.raises(IntegrityError), transaction.atomic():
        Order.objects.filter(pk=other.pk).update(merged_into=kept)


def test_the_database_refuses_an_order_merged_into_itself(world, kept):
    duplicate = world.order(State.REPORTED)
    merge(world, duplicate, kept)
    with pytest.raises(IntegrityError), transaction.atomic():
        Order.objects.filter(pk=duplicate.pk).update(merged_into=duplicate)


def test_the_database_refuses_the_state_without_the_link(world):
    other = world.order(State.REPORTED)
    with pytest.raises(IntegrityError), transaction.atomic():
        Order.objects.filter(pk=other.pk).update(state=State.MERGED)


def test_timeline_events_are_append_only_on_both_sides(world, kept):
    duplicate = world.order(State.REPORTED)
    merge(world, duplicate, kept)
    assert OrderEvent.objects.filter(order=kept, kind=EventKind.MERGED_IN).count() == 1
    assert OrderEvent.objects.filter(order=duplicate, kind=EventKind.MERGED).count() == 1


def test_the_number_may_be_typed_in_lower_case_with_spaces(world, kept):
    duplicate = world.order(State.REPORTED)
    merge(world, duplicate, kept, into=f"  {kept.number.lower()} ")
    assert read(duplicate).merged_into_id == kept.pk
