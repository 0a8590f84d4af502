"""Reviewed returns (退单审核) and final assignment (终审派单): the lead unit asks, the
street's center approves (back to the queue) or rejects (nothing changes) within the
review duty; after ``FINAL_ASSIGNMENT_AFTER_RETURNS`` returns the next dispatch is final."""

from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction

from disputes import services
from disputes.models import (
    Duty,
    Escalation,
    EventKind,
    Order,
    OrderEvent,
    ReturnRequest,
    State,
)
from disputes.selectors import available_actions
from disputes.stages import CLOCKS
from disputes.sweep import sla_sweep
from notifications.models import Notification
from shishi_mediation.errors import Conflict, Forbidden, InvalidInput, NotFound
from tests.factories import STEP_OFFSETS, T0

pytestmark = pytest.mark.django_db

MIN = timedelta(minutes=1)
HOUR = timedelta(hours=1)
US = timedelta(microseconds=1)
SIGNED_AT = T0 + STEP_OFFSETS[State.SIGNED]
ASKED_AT = SIGNED_AT + 10 * MIN


def clocks(order: Order) -> dict:
    order = Order.objects.get(pk=order.pk)
    fields = [f for c in CLOCKS for f in (c.due_field, c.on_time_field, c.limit_attr)]
    return {f: getattr(order, f) for f in fields} | {
        "state": order.state,
        "lead_unit": order.lead_unit_id,
        "assignee": order.assignee_id,
    }


def ask(world, order, *, at=ASKED_AT, actor=None, reason="非本单位职责"):
    return services.order_return_request(
        order_id=order.pk, actor=actor or world.handler, reason=reason, now=at
    )


def review(world, order, *, approve, note="", at=ASKED_AT + 5 * MIN, actor=None):
    return services.order_return_review(
        order_id=order.pk, actor=actor or world.dispatcher, approve=approve, note=note, now=at
    )


def test_a_request_changes_nothing_on_the_order_and_starts_the_review_clock(world, order_in):
    order = order_in(State.SIGNED, assignee=world.handler)
    before = clocks(order)
    ask(world, order)
    assert clocks(order) == before  # the unit keeps it, its clocks run on
    request = ReturnRequest.objects.get(order=order)
    assert (request.unit, request.requested_by, request.reason) == (
        world.hb_police,
        world.handler,
        "非本单位职责",
    )
    assert request.is_pending and Order.objects.get(pk=order.pk).return_pending
    duty = request.duty
    assert (duty.kind, duty.unit, duty.due_at) == ("review", world.hb_center, ASKED_AT + 30 * MIN)
    event = OrderEvent.objects.filter(order=order).last()
    assert (event.kind, event.note, event.actor) == (
        EventKind.RETURN_REQUESTED,
        "非本单位职责",
        world.handler,
    )
    assert event.data["duty_id"] == duty.pk and event.data["unit"] == "湖滨派出所"
    told = Notification.objects.filter(order=order, kind="return_requested")
    assert {n.recipient for n in told} == {world.dispatcher}
    assert "请于" in told.get().subject


def test_approval_sends_it_back_and_restarts_the_dispatch_clock_at_that_instant(world, order_in):
    order = order_in(State.SIGNED, assisting_units=[world.hb_committee])
    ask(world, order)
    approved_at = ASKED_AT + 30 * MIN  # the last instant on time
    order = review(world, order, approve=True, at=approved_at)
    assert order.state == State.REPORTED and order.lead_unit is None
    assert order.dispatch_due_at == approved_at + 30 * MIN
    assert not order.assisting_units.exists()
    request = ReturnRequest.objects.get(order=order)
    assert (request.approved, request.decided_by, request.decided_at) == (
        True,
        world.dispatcher,
        approved_at,
    )
    assert (request.duty.met_at, request.duty.on_time) == (approved_at, True)
    event = OrderEvent.objects.filter(order=order).last()
    assert (event.kind, event.note) == (EventKind.RETURNED, "非本单位职责")
    assert event.data["returned_by_unit"] == "湖滨派出所" and event.data["approved"] is True
    assert not Order.objects.get(pk=order.pk).return_pending


def test_rejection_keeps_every_clock_and_tells_the_unit_why(world, order_in):
    order = order_in(State.SIGNED, assignee=world.handler)
    ask(world, order)
    before = clocks(order)
    with pytest.raises(InvalidInput) as exc:
        review(world, order, approve=False, note=" ")
    assert "note" in exc.value.errors
    late = ASKED_AT + 30 * MIN + US
    review(world, order, approve=False, note="属本所辖区", at=late)
    assert clocks(order) == before
    request = ReturnRequest.objects.get(order=order)
    assert (request.approved, request.decision_note) == (False, "属本所辖区")
    assert (request.duty.met_at, request.duty.on_time) == (late, False)
    event = OrderEvent.objects.filter(order=order).last()
    assert (event.kind, event.note) == (EventKind.RETURN_REJECTED, "属本所辖区")
    assert {n.recipient for n in Notification.objects.filter(kind="return_rejected")} == {
        world.handler
    }
    # Rejected, the unit may ask again.
    ask(world, order, at=late + MIN, reason="确非本所职责")
    assert ReturnRequest.objects.filter(order=order).count() == 2


def test_a_second_request_while_one_awaits_review_is_refused(world, order_in):
    order = order_in(State.DISPATCHED)
    ask(world, order)
    with pytest.raises(Conflict):
        ask(world, order, at=ASKED_AT + MIN, actor=world.head)
    assert ReturnRequest.objects.filter(order=order).count() == 1
    with pytest.raises(IntegrityError), transaction.atomic():  # the database says so too
        ReturnRequest.objects.create(
            order=order,
            unit=world.hb_police,
            requested_by=world.head,
            requested_at=ASKED_AT,
            reason="x",
        )


def test_a_request_closes_when_the_order_moves_on(world, order_in):
    order = order_in(State.DISPATCHED)
    ask(world, order)
    services.order_sign(order_id=order.pk, actor=world.handler, now=ASKED_AT + MIN)
    assert ReturnRequest.objects.get(order=order).is_pending  # signing keeps it
    services.order_cancel(
        order_id=order.pk, actor=world.dispatcher, reason="重复报单", now=ASKED_AT + 2 * MIN
    )
    request = ReturnRequest.objects.get(order=order)
    assert request.closed_at == ASKED_AT + 2 * MIN and request.approved is None
    assert request.duty.ended_at == ASKED_AT + 2 * MIN
    assert not Order.objects.get(pk=order.pk).return_pending


def test_a_request_is_not_approvable_once_the_unit_changed(world, order_in):
    order = order_in(State.DISPATCHED)
    ask(world, order)
    services.order_reassign(
        order_id=order.pk,
        actor=world.dispatcher,
        lead_unit_id=world.hb_committee.pk,
        now=ASKED_AT + MIN,
    )
    request = ReturnRequest.objects.get(order=order)
    assert request.closed_at == ASKED_AT + MIN and not Duty.objects.running().exists()
    with pytest.raises(Conflict):
        review(world, order, approve=True, at=ASKED_AT + 2 * MIN)
    assert Order.objects.get(pk=order.pk).lead_unit == world.hb_committee


@pytest.mark.parametrize(("level", "offset"), [(1, 30 * MIN), (2, 60 * MIN)])
def test_the_review_escalates_at_its_limit(world, order_in, level, offset):
    order = order_in(State.SIGNED)
    ask(world, order)
    sla_sweep(now=ASKED_AT + offset - US)
    review_escalations = Escalation.objects.filter(order=order, stage="review")
    assert level not in set(review_escalations.values_list("level", flat=True))
    sla_sweep(now=ASKED_AT + offset)
    esc = review_escalations.get(level=level)
    assert (esc.unit_id, esc.stage_due_at) == (world.hb_center.pk, ASKED_AT + 30 * MIN)
    # Reviewing resolves it.
    review(world, order, approve=False, note="属本所职责", at=ASKED_AT + offset + MIN)
    assert not review_escalations.filter(resolved_at=None).exists()


def test_who_may_review(world, order_in):
    order = order_in(State.SIGNED, assisting_units=[world.hb_committee])
    ask(world, order)
    for who in (world.reporter, world.handler, world.committee_handler, world.hb_supervisor):
        with pytest.raises(Forbidden):
            review(world, order, approve=False, note="x", actor=who)
    with pytest.raises(NotFound):
        review(world, order, approve=False, note="x", actor=world.fl_dispatcher)
    with pytest.raises(Forbidden):  # an assisting unit may not ask either
        ask(world, order, actor=world.committee_handler)
    assert ReturnRequest.objects.get(order=order).is_pending


def back_and_again(world, order, *, at, n):
    """Return the order ``n`` times (a reviewed request, then the center's pulls) and
    dispatch it again after each; the order as last dispatched."""
    for i in range(n):
        at += 10 * MIN
        if i == 0:
            ask(world, order, at=at)
            review(world, order, approve=True, at=at + MIN)
        else:
            services.order_return(
                order_id=order.pk, actor=world.dispatcher, reason="派错单位", now=at + MIN
            )
        order = services.order_dispatch(
            order_id=order.pk,
            actor=world.dispatcher,
            lead_unit_id=world.hb_police.pk,
            now=at + 2 * MIN,
        )
    return order


def test_the_dispatch_after_exactly_n_returns_is_final(world, order_in, settings):
    settings.FINAL_ASSIGNMENT_AFTER_RETURNS = 2
    order = back_and_again(world, order_in(State.DISPATCHED), at=ASKED_AT, n=1)
    assert order.final_assignment is False
    assert "return_request" in available_actions(world.handler, order)
    order = back_and_again(world, order, at=ASKED_AT + 20 * MIN, n=1)
    assert Order.objects.get(pk=order.pk).final_assignment is True
    event = OrderEvent.objects.filter(order=order, kind=EventKind.DISPATCHED).last()
    assert event.data["final_assignment"] is True
    # No return offered or taken; assistance instead.
    actions = available_actions(world.handler, order)
    assert "return_request" not in actions and "ask_assistance" in actions
    with pytest.raises(Conflict) as exc:
        ask(world, order, at=ASKED_AT + HOUR)
    assert str(exc.value.message) == "终审派单，不能退单，可申请协办。"
    assert not ReturnRequest.objects.filter(order=order, decided_at=None).exists()
    with pytest.raises(InvalidInput):
        services.order_ask_assistance(order_id=order.pk, actor=world.handler, note=" ")
    services.order_ask_assistance(
        order_id=order.pk, actor=world.handler, note="需要劳动监察大队协助", now=ASKED_AT + HOUR
    )
    event = OrderEvent.objects.filter(order=order).last()
    assert (event.kind, event.note) == (EventKind.ASSISTANCE_ASKED, "需要劳动监察大队协助")
    told = Notification.objects.filter(order=order, kind="assistance_asked")
    assert {n.recipient for n in told} == {world.dispatcher}
    # The center may still pull it back; the next dispatch is final again.
    services.order_return(
        order_id=order.pk, actor=world.dispatcher, reason="派错", now=ASKED_AT + 2 * HOUR
    )
    assert Order.objects.get(pk=order.pk).final_assignment is False
    order = services.order_dispatch(
        order_id=order.pk,
        actor=world.dispatcher,
        lead_unit_id=world.hb_committee.pk,
        now=ASKED_AT + 3 * HOUR,
    )
    assert order.final_assignment is True


def test_assistance_is_only_for_a_final_assignment(world, order_in):
    order = order_in(State.SIGNED)
    with pytest.raises(Conflict):
        services.order_ask_assistance(
            order_id=order.pk, actor=world.handler, note="需要协助", now=ASKED_AT
        )
    with pytest.raises(Forbidden):
        services.order_ask_assistance(
            order_id=order.pk, actor=world.dispatcher, note="需要协助", now=ASKED_AT
        )
