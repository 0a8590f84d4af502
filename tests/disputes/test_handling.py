"""The lead unit's work through ``disputes.services``: the whole path, sign, contact,
meet and close."""

from datetime import date, timedelta

import pytest

from disputes import services
from disputes.duties import duty_data
from disputes.models import (
    ClosingProposal,
    ContactMethod,
    EventKind,
    Grade,
    Order,
    Outcome,
    Party,
    Referral,
    State,
)
from shishi_mediation.errors import InvalidInput
from tests.disputes.lifecycle import (
    HOUR,
    MIN,
    SEC,
    act,
    expect,
    instant,
    last_event,
    later,
    snapshot,
    timeline,
)
from tests.factories import AGREEMENT, close_jointly

pytestmark = pytest.mark.django_db


# --- the whole path --------------------------------------------------------------------------


def test_full_lifecycle_records_each_step_on_the_timeline(world, t0):
    order = world.report(now=t0)
    services.order_dispatch(
        order_id=order.pk,
        actor=world.dispatcher,
        lead_unit_id=world.hb_police.pk,
        assignee_id=world.handler.pk,
        assisting_unit_ids=[world.hb_committee.pk],
        note="请派出所牵头",
        now=t0 + 5 * MIN,
    )
    services.order_sign(order_id=order.pk, actor=world.handler, now=t0 + 10 * MIN)
    services.order_record_contact(
        order_id=order.pk, actor=world.handler, method="visit", note="上门", now=t0 + HOUR
    )
    services.order_record_meeting(
        order_id=order.pk,
        actor=world.handler,
        place="曾坑调解室",
        participants="双方",
        result="达成协议",
        now=t0 + 20 * HOUR,
    )
    close_jointly(
        order,
        world.handler,
        outcome=Outcome.MEDIATED,
        summary="分期付款",
        grade=Grade.SIMPLE,
        now=t0 + 21 * HOUR,
    )

    order = Order.objects.get(pk=order.pk)
    assert order.state == State.CLOSED
    assert not order.is_open
    assert (order.sign_on_time, order.contact_on_time, order.meet_on_time) == (True, True, True)
    assert [(e.kind, e.from_state, e.to_state, e.actor_id, e.at - t0) for e in timeline(order)] == [
        ("reported", "", "reported", world.reporter.pk, timedelta(0)),
        ("dispatched", "reported", "dispatched", world.dispatcher.pk, 5 * MIN),
        ("signed", "dispatched", "signed", world.handler.pk, 10 * MIN),
        ("contacted", "signed", "contacted", world.handler.pk, HOUR),
        ("met", "contacted", "met", world.handler.pk, 20 * HOUR),
        ("close_proposed", "met", "confirming", world.handler.pk, 21 * HOUR),
        # Each party through its own link (no login), then the reporter and the center.
        *[("party_confirmed", "", "", None, 21 * HOUR)] * order.parties.count(),
        ("closing_signed", "", "", world.reporter.pk, 21 * HOUR),
        ("closing_signed", "", "", world.dispatcher.pk, 21 * HOUR),
        ("closed", "confirming", "closed", world.dispatcher.pk, 21 * HOUR),
    ]


# --- sign ------------------------------------------------------------------------------------


def test_sign_takes_the_order_and_starts_contact_and_meet_clocks(order_in, world):
    order = order_in(State.DISPATCHED)
    at = order.dispatched_at + 10 * MIN
    services.order_sign(order_id=order.pk, actor=world.handler2, now=at)

    order = Order.objects.get(pk=order.pk)
    assert order.state == State.SIGNED
    assert order.signed_at == at
    assert order.sign_on_time is True
    assert order.assignee == world.handler2  # the signer takes an unnamed order
    assert order.contact_limit == timedelta(hours=24)
    assert order.meet_limit == timedelta(hours=48)
    assert order.contact_due_at == at + timedelta(hours=24)
    assert order.meet_due_at == at + timedelta(hours=48)

    event = last_event(order)
    assert (event.kind, event.from_state, event.to_state, event.actor) == (
        EventKind.SIGNED,
        State.DISPATCHED,
        State.SIGNED,
        world.handler2,
    )
    assert event.data["on_time"] is True
    assert instant(event.data["contact_due_at"]) == at + timedelta(hours=24)
    assert instant(event.data["meet_due_at"]) == at + timedelta(hours=48)


def test_unit_head_signs_for_a_named_assignee_who_stays_assigned(order_in, world):
    order = order_in(State.DISPATCHED, assignee=world.handler)
    services.order_sign(order_id=order.pk, actor=world.head, now=later(order))
    order.refresh_from_db()
    assert order.state == State.SIGNED
    assert order.assignee == world.handler
    assert last_event(order).actor == world.head


# --- contact ---------------------------------------------------------------------------------


def test_record_contact_stores_how_and_when(order_in, world):
    order = order_in(State.SIGNED)
    at = order.signed_at + 3 * HOUR
    services.order_record_contact(
        order_id=order.pk, actor=world.handler, method="visit", note=" 上门走访 ", now=at
    )
    order = Order.objects.get(pk=order.pk)
    assert order.state == State.CONTACTED
    assert order.contacted_at == at
    assert order.contact_on_time is True
    assert order.contact_method == ContactMethod.VISIT
    assert order.contact_note == "上门走访"
    event = last_event(order)
    assert (event.kind, event.from_state, event.to_state, event.actor) == (
        EventKind.CONTACTED,
        State.SIGNED,
        State.CONTACTED,
        world.handler,
    )
    assert event.note == "上门走访"
    assert (event.data["method"], event.data["on_time"]) == ("visit", True)
    assert instant(event.data["contacted_at"]) == at


def test_contact_entered_afterwards_counts_from_when_it_happened(order_in, world):
    order = order_in(State.SIGNED)
    happened = order.contact_due_at - MIN
    entered = order.contact_due_at + 5 * HOUR
    services.order_record_contact(
        order_id=order.pk, actor=world.handler, method="phone", contacted_at=happened, now=entered
    )
    order.refresh_from_db()
    assert order.contacted_at == happened
    assert order.contact_on_time is True
    # The timeline records when it was entered, the data when it happened.
    assert last_event(order).at == entered
    assert instant(last_event(order).data["contacted_at"]) == happened


def test_record_contact_rejects_bad_input(order_in, world):
    order = order_in(State.SIGNED)
    now = order.signed_at + HOUR
    before = snapshot(order.pk)
    cases = {
        "no-method": ({"method": ""}, "method"),
        "unknown-method": ({"method": "pigeon"}, "method"),
        "in-the-future": ({"method": "phone", "contacted_at": now + SEC}, "contacted_at"),
        "before-signing": (
            {"method": "phone", "contacted_at": order.signed_at - SEC},
            "contacted_at",
        ),
    }
    for case, (kwargs, field) in cases.items():
        exc = expect(
            InvalidInput,
            lambda kwargs=kwargs: services.order_record_contact(
                order_id=order.pk, actor=world.handler, now=now, **kwargs
            ),
            case,
        )
        assert field in exc.errors, (case, exc.errors)
        assert snapshot(order.pk) == before, case


# --- meet ------------------------------------------------------------------------------------


def test_record_meeting_stores_place_people_and_result(order_in, world):
    order = order_in(State.CONTACTED)
    at = order.signed_at + 30 * HOUR
    services.order_record_meeting(
        order_id=order.pk,
        actor=world.handler,
        place=" 曾坑社区调解室 ",
        participants="王某、李某、调解员",
        result="达成协议",
        now=at,
    )
    order = Order.objects.get(pk=order.pk)
    assert order.state == State.MET
    assert order.met_at == at
    assert order.meet_on_time is True
    assert order.meeting_place == "曾坑社区调解室"
    assert order.meeting_participants == "王某、李某、调解员"
    assert order.meeting_result == "达成协议"
    event = last_event(order)
    assert (event.kind, event.from_state, event.to_state) == ("met", "contacted", "met")
    assert event.note == "达成协议"
    assert (event.data["place"], event.data["on_time"]) == ("曾坑社区调解室", True)
    assert instant(event.data["met_at"]) == at


def test_record_meeting_rejects_bad_input(order_in, world):
    order = order_in(State.CONTACTED)
    now = order.contacted_at + HOUR
    before = snapshot(order.pk)
    cases = {
        "no-place": ({"place": ""}, "place"),
        "blank-participants": ({"participants": " "}, "participants"),
        "no-result": ({"result": ""}, "result"),
        "in-the-future": ({"met_at": now + SEC}, "met_at"),
        "before-contact": ({"met_at": order.contacted_at - SEC}, "met_at"),
    }
    for case, (kwargs, field) in cases.items():
        args = {"place": "调解室", "participants": "双方", "result": "达成协议"} | kwargs
        exc = expect(
            InvalidInput,
            lambda args=args: services.order_record_meeting(
                order_id=order.pk, actor=world.handler, now=now, **args
            ),
            case,
        )
        assert field in exc.errors, (case, exc.errors)
        assert snapshot(order.pk) == before, case


# --- close -----------------------------------------------------------------------------------


def test_close_records_the_outcome_and_every_party_confirmation(order_in, world):
    order = order_in(State.MET)
    at = later(order)
    close_jointly(
        order,
        world.handler,
        outcome=Outcome.MEDIATED,
        summary=" 分三期支付 ",
        grade=Grade.COMPLEX,
        now=at,
    )
    order = Order.objects.get(pk=order.pk)
    assert order.state == State.CLOSED
    assert order.closed_at == at
    assert order.outcome == Outcome.MEDIATED
    assert order.agreement_summary == "分三期支付"
    assert order.grade == Grade.COMPLEX
    assert order.referral == ""
    assert [p.confirmed_at for p in order.parties.all()] == [at, at]
    event = last_event(order)
    # The center's sign-off was the last confirmation: it closed the order.
    assert (event.kind, event.from_state, event.to_state, event.actor) == (
        EventKind.CLOSED,
        State.CONFIRMING,
        State.CLOSED,
        world.dispatcher,
    )
    assert event.note == "分三期支付"
    assert {k: event.data[k] for k in ("outcome", "grade", "referral")} == {
        "outcome": "mediated",
        "grade": "complex",
        "referral": "",
    }
    assert event.data["closing"]["on_time"] is True
    visit = order.duties.get(kind="visit")  # the return visit falls due (回访)
    assert event.data["return_visits"] == [duty_data(visit)]


@pytest.mark.parametrize(
    ("outcome", "grade", "referral"),
    [
        (Outcome.PARTLY_MEDIATED, Grade.SIMPLE, ""),
        (Outcome.FAILED, "", Referral.ARBITRATION),
        (Outcome.WITHDRAWN, "", ""),
    ],
)
def test_close_with_other_outcomes(order_in, world, outcome, grade, referral):
    order = order_in(State.MET)
    close_jointly(
        order,
        world.handler,
        outcome=outcome,
        summary="结果",
        grade=grade,
        referral=referral,
        now=later(order),
    )
    order.refresh_from_db()
    assert (order.state, order.outcome, order.grade, order.referral) == (
        State.CLOSED,
        outcome,
        grade,
        referral,
    )


def test_the_street_dispatcher_may_propose_the_close(order_in, world):
    order = order_in(State.MET)
    act("close", order=order, actor=world.dispatcher, world=world)
    order.refresh_from_db()
    assert order.state == State.CONFIRMING
    assert last_event(order).actor == world.dispatcher


CLOSE_CASES = {
    "mediated-without-facts": ({"facts": " "}, "facts"),
    "mediated-without-terms": ({"terms": ""}, "terms"),
    "mediated-without-performance": ({"performance": ""}, "performance"),
    "perform-by-in-the-past": ({"perform_by": date(2020, 1, 1)}, "perform_by"),
    "overlong-terms": ({"terms": "条" * 5001}, "terms"),
    "mediated-without-grade": ({"grade": ""}, "grade"),
    "partly-mediated-without-grade": ({"outcome": Outcome.PARTLY_MEDIATED, "grade": ""}, "grade"),
    "unknown-grade": ({"grade": "legendary"}, "grade"),
    "failed-without-referral": ({"outcome": Outcome.FAILED, "grade": ""}, "referral"),
    "unknown-referral": ({"outcome": Outcome.FAILED, "referral": "oracle"}, "referral"),
    "no-outcome": ({"outcome": ""}, "outcome"),
    "unknown-outcome": ({"outcome": "solved"}, "outcome"),
    "no-summary": ({"summary": "  "}, "summary"),
}


def test_close_rejects_bad_input_and_confirms_nobody(order_in, world):
    order = order_in(State.MET)
    before = snapshot(order.pk)
    for case, (kwargs, field) in CLOSE_CASES.items():
        args = {
            "outcome": Outcome.MEDIATED,
            "summary": "协议",
            "grade": Grade.SIMPLE,
            **AGREEMENT,
        } | kwargs
        exc = expect(
            InvalidInput,
            lambda args=args: services.order_propose_close(
                order_id=order.pk, actor=world.handler, now=later(order), **args
            ),
            case,
        )
        assert field in exc.errors, (case, exc.errors)
        assert snapshot(order.pk) == before, case
    assert not ClosingProposal.objects.exists()
    assert not Party.objects.filter(confirmed_at__isnull=False).exists()
