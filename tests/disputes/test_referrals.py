"""Referrals that are followed (移交跟踪): closing with a referral starts the lead unit's
follow-up clock (30 days); the unit records what the receiving body made of it; the
first result meets the clock, a final one ends the follow-up."""

from datetime import date, timedelta

import pytest
from django.core.management import call_command

from disputes import services
from disputes.models import (
    Duty,
    EventKind,
    OrderEvent,
    Outcome,
    Referral,
    ReferralOutcome,
    SlaPolicy,
    State,
)
from disputes.sweep import sla_sweep
from shishi_mediation.errors import Conflict, Forbidden, InvalidInput, NotFound
from tests.factories import STEP_OFFSETS, T0, close_jointly

pytestmark = pytest.mark.django_db
CLOSED_AT = T0 + STEP_OFFSETS[State.CLOSED]  # 2026-11-11 10:00 in Shanghai
CLOSING_DAY = date(2026, 11, 11)
DUE = CLOSED_AT + timedelta(days=30)
US = timedelta(microseconds=1)


@pytest.fixture
def referred(world):
    """A failed wage dispute the 湖滨 police station referred to court, signed (so
    assigned) by ``handler``."""
    return world.order(State.CLOSED, outcome=Outcome.FAILED)


def record(order, actor, *, now=None, **kwargs):
    args = {
        "body": "石狮市人民法院",
        "case_number": "(2026)闽0581民初1234号",
        "outcome": ReferralOutcome.ACCEPTED,
        "decided_on": CLOSING_DAY + timedelta(days=3),
        "note": "",
        **kwargs,
    }
    return services.order_record_referral_result(
        order_id=order.pk, actor=actor, now=now or CLOSED_AT + timedelta(days=5), **args
    )


def close(world, order, *, outcome, referral, grade=""):
    return close_jointly(
        order,
        world.handler,
        outcome=outcome,
        summary="结果",
        grade=grade,
        referral=referral,
        now=CLOSED_AT,
    )


# --- the clock ------------------------------------------------------------------------------


def test_closing_with_a_referral_owes_the_lead_unit_its_follow_up(world, referred):
    duty = Duty.objects.get(order=referred, kind="referral")
    assert (duty.unit, duty.started_at, duty.due_at, duty.is_running) == (
        world.hb_police,
        CLOSED_AT,
        DUE,
        True,
    )
    closed = OrderEvent.objects.get(order=referred, kind=EventKind.CLOSED)
    assert closed.data["referral"] == "court"
    assert closed.data["referral_follow_up"]["duty_id"] == duty.pk


def test_a_case_closed_without_referral_owes_no_follow_up(world):
    order = world.order(State.CLOSED)  # mediated
    assert not Duty.objects.filter(order=order, kind="referral").exists()
    with pytest.raises(Conflict):  # nothing to follow
        record(order, world.handler)


def test_the_limit_comes_from_the_sla_policy(world):
    SlaPolicy.objects.update_or_create(
        category=None, risk_level="", colour="", defaults={"referral_minutes": 7 * 24 * 60}
    )
    order = world.order(State.CLOSED, outcome=Outcome.FAILED)
    assert Duty.objects.get(order=order, kind="referral").due_at == CLOSED_AT + timedelta(days=7)


def test_a_first_result_at_the_due_time_is_on_time(world, referred):
    record(referred, world.handler, now=DUE)
    duty = Duty.objects.get(order=referred, kind="referral")
    assert (duty.met_at, duty.on_time) == (DUE, True)
    event = OrderEvent.objects.get(order=referred, kind=EventKind.REFERRAL_RESULT)
    assert (event.data["outcome"], event.data["final"], event.data["on_time"]) == (
        "accepted",
        False,
        True,
    )


def test_a_first_result_a_moment_later_is_late(world, referred):
    record(referred, world.handler, now=DUE + US)
    assert Duty.objects.get(order=referred, kind="referral").on_time is False


def test_the_follow_up_escalates_to_the_lead_unit(world, referred):
    sla_sweep(now=DUE - timedelta(days=6) - US)  # the warning is at 80 %: 24 days in
    assert not referred.escalations.filter(stage="referral").exists()
    sla_sweep(now=DUE - timedelta(days=6))
    assert referred.escalations.filter(stage="referral", level=0).count() == 1
    sla_sweep(now=DUE - US)
    assert not referred.escalations.filter(stage="referral", level=1).exists()
    sla_sweep(now=DUE)
    assert referred.escalations.filter(stage="referral", level=1, unit=world.hb_police).exists()
    record(referred, world.head, now=DUE + timedelta(hours=1))
    assert not referred.escalations.filter(stage="referral", resolved_at=None).exists()


def test_an_interim_result_then_a_final_one_ends_the_follow_up(world, referred):
    record(
        referred,
        world.handler,
        decided_on=CLOSING_DAY + timedelta(days=1),
        now=CLOSED_AT + timedelta(days=2),
    )
    record(
        referred,
        world.handler2,  # any handler of the lead unit, not only the assignee
        outcome=ReferralOutcome.JUDGED,
        decided_on=CLOSING_DAY + timedelta(days=40),
        now=CLOSED_AT + timedelta(days=41),
    )
    duty = Duty.objects.get(order=referred, kind="referral")
    assert (duty.met_at, duty.on_time) == (CLOSED_AT + timedelta(days=2), True)
    assert list(referred.referral_results.values_list("outcome", flat=True)) == [
        "accepted",
        "judged",
    ]
    with pytest.raises(Conflict):  # the final result is in
        record(referred, world.handler, outcome=ReferralOutcome.OTHER, case_number="")
    assert referred.referral_results.count() == 2


# --- referral kinds and outcomes --------------------------------------------------------


def test_a_mediated_agreement_may_go_to_judicial_confirmation(world):
    order = close(
        world,
        world.order(State.MET),
        outcome=Outcome.MEDIATED,
        grade="ordinary",
        referral=Referral.JUDICIAL_CONFIRMATION,
    )
    assert order.referral == "judicial_confirmation"
    assert Duty.objects.get(order=order, kind="referral").due_at == DUE
    record(
        order, world.handler, outcome=ReferralOutcome.CONFIRMED, case_number="(2026)闽0581民特5号"
    )
    assert order.referral_results.get().is_final


@pytest.mark.parametrize(
    ("outcome", "grade", "referral"),
    [
        (Outcome.MEDIATED, "ordinary", Referral.COURT),  # a mediated case is not sued
        (Outcome.PARTLY_MEDIATED, "simple", Referral.PETITION),
        (Outcome.FAILED, "", Referral.JUDICIAL_CONFIRMATION),  # no agreement to confirm
    ],
)
def test_a_referral_that_does_not_fit_the_outcome_is_refused(world, outcome, grade, referral):
    order = world.order(State.MET)
    with pytest.raises(InvalidInput) as e:
        close(world, order, outcome=outcome, grade=grade, referral=referral)
    assert "referral" in e.value.errors
    order.refresh_from_db()
    assert order.state == State.MET and not Duty.objects.filter(order=order).exists()


def test_court_mediation_is_followed_like_a_lawsuit(world):
    order = close(
        world, world.order(State.MET), outcome=Outcome.FAILED, referral=Referral.COURT_MEDIATION
    )
    record(order, world.handler, outcome=ReferralOutcome.MEDIATED, case_number="")
    assert Duty.objects.get(order=order, kind="referral").on_time is True


# --- bad input: 400 with the field named ------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"decided_on": CLOSING_DAY - timedelta(days=1)}, "decided_on"),  # before the closing
        ({"decided_on": date(2026, 11, 17)}, "decided_on"),  # after "today" (11-16)
        ({"decided_on": "2026-11-12"}, "decided_on"),  # not a date
        ({"body": "  "}, "body"),
        ({"outcome": "won"}, "outcome"),
        ({"case_number": ""}, "case_number"),  # 立案 has a case number
        ({"outcome": ReferralOutcome.CONFIRMED}, "outcome"),  # only from 司法确认
    ],
)
def test_bad_input_names_the_field_and_records_nothing(world, referred, change, field):
    with pytest.raises(InvalidInput) as e:
        record(referred, world.handler, **change)
    assert field in e.value.errors
    assert not referred.referral_results.exists()
    assert Duty.objects.get(order=referred, kind="referral").is_running


def test_a_result_on_the_closing_day_and_today_is_accepted(world, referred):
    record(referred, world.handler, decided_on=CLOSING_DAY)
    record(
        referred,
        world.handler,
        decided_on=date(2026, 11, 16),
        outcome=ReferralOutcome.WITHDRAWN,
        case_number="",
    )
    assert referred.referral_results.count() == 2


# --- who may -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "error"),
    [
        ("fl_handler", NotFound),  # another street
        ("fl_dispatcher", NotFound),
        ("committee_handler", NotFound),  # not its unit's order
        ("nobody", NotFound),
        ("dispatcher", Forbidden),  # the street center sees it but does not follow it
        ("reporter", Forbidden),
        ("supervisor", Forbidden),
    ],
)
def test_only_the_lead_unit_records_results(world, referred, who, error):
    with pytest.raises(error):
        record(referred, getattr(world, who))
    assert not referred.referral_results.exists()


def test_an_open_order_has_no_result_to_record(world):
    order = world.order(State.MET)
    with pytest.raises(Conflict):
        record(order, world.handler)


def test_cancelling_is_not_closing(world):
    order = world.order(State.CANCELLED, cancel_from=State.SIGNED)
    with pytest.raises(Conflict):
        record(order, world.handler)


# --- the timeline ------------------------------------------------------------------------------


def test_results_keep_the_timeline_verified(world, referred, capsys):
    record(referred, world.handler)
    record(
        referred,
        world.head,
        outcome=ReferralOutcome.MEDIATED,
        case_number="",
        note="诉中调解结案",
        now=CLOSED_AT + timedelta(days=6),
    )
    call_command("verify_timeline")
    assert "0 with a broken timeline" in capsys.readouterr().out
    kinds = list(referred.events.values_list("kind", flat=True))
    assert kinds[-2:] == [EventKind.REFERRAL_RESULT, EventKind.REFERRAL_RESULT]
