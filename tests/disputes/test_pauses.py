"""Pausing a clock (暂停计时): the handler asks, the center approves or rejects, the due
time moves by exactly the time paused, and the sweep, the timeline and the notices follow."""

import pytest
from django.core.management import call_command

from disputes import services
from disputes.models import ClockPause, ContactMethod, Escalation, EventKind, Order, State
from disputes.stages import Stage
from disputes.sweep import sla_sweep
from notifications.levels import EscalationLevel
from notifications.models import Notification
from shishi_mediation.errors import Conflict, Forbidden, InvalidInput, NotFound
from tests.disputes.lifecycle import HOUR, MIN, SEC, instant, last_event, snapshot
from tests.factories import STEP_OFFSETS, T0

pytestmark = pytest.mark.django_db

SIGNED_AT = T0 + STEP_OFFSETS[State.SIGNED]
MEET_DUE = SIGNED_AT + 48 * HOUR
ASKED = SIGNED_AT + HOUR  # when the handler asks
DECIDED = SIGNED_AT + 2 * HOUR  # when the center approves
DAY = 24 * 60
PauseState = ClockPause.PauseState


def ask(world, order, *, stage=Stage.MEET, minutes=DAY, reason="hospital", note="", now=ASKED):
    return services.order_pause(
        order_id=order.pk,
        actor=world.handler,
        stage=stage,
        reason=reason,
        minutes=minutes,
        note=note,
        now=now,
    )


def approve(world, order, *, now=DECIDED, stage=None):
    return services.order_pause_decide(
        order_id=order.pk, actor=world.dispatcher, approve=True, stage=stage, now=now
    )


@pytest.fixture
def signed(world):
    return world.order(State.SIGNED, assignee=world.handler)


def fresh(order) -> Order:
    return Order.objects.get(pk=order.pk)


# --- asking ----------------------------------------------------------------------------------


def test_a_request_changes_no_clock_and_asks_the_streets_dispatchers(world, signed):
    pause = ask(world, signed, note="当事人骨折住院")
    assert pause.state == PauseState.REQUESTED
    assert fresh(signed).meet_due_at == MEET_DUE  # runs on until approved
    event = last_event(signed)
    assert event.kind == EventKind.PAUSE_REQUESTED
    assert event.data == {
        "pause_id": pause.pk,
        "stage": "meet",
        "reason": "hospital",
        "requested_minutes": DAY,
    }
    told = Notification.objects.filter(order=signed, kind="pause_requested")
    assert set(told.values_list("recipient", flat=True)) == {world.dispatcher.pk}


@pytest.mark.parametrize(
    ("minutes", "ok"),
    [(0, False), (1, True), (7 * DAY, True), (7 * DAY + 1, False), ("60", False), (True, False)],
)
def test_the_time_asked_is_bounded(world, signed, minutes, ok):
    if ok:
        assert ask(world, signed, minutes=minutes).requested_minutes == minutes
        return
    before = snapshot(signed.pk)
    with pytest.raises(InvalidInput) as e:
        ask(world, signed, minutes=minutes)
    assert set(e.value.errors) == {"requested_minutes"}
    assert snapshot(signed.pk) == before


def test_the_bound_is_a_setting(world, signed, settings):
    settings.PAUSE_MAX_MINUTES = 60
    with pytest.raises(InvalidInput) as e:
        ask(world, signed, minutes=61)
    assert "60" in str(e.value.errors["requested_minutes"])
    assert ask(world, signed, minutes=60).requested_minutes == 60


def test_other_needs_a_note_and_the_reason_comes_from_the_list(world, signed):
    with pytest.raises(InvalidInput) as e:
        ask(world, signed, reason="other", note="  ")
    assert set(e.value.errors) == {"note"}
    with pytest.raises(InvalidInput) as e:
        ask(world, signed, reason="tired")
    assert set(e.value.errors) == {"reason"}
    assert ask(world, signed, reason="other", note="等待村委会调查").note == "等待村委会调查"


def test_only_the_handlers_clocks_may_be_paused(world, order_in):
    order = order_in(State.DISPATCHED)
    with pytest.raises(InvalidInput) as e:
        ask(world, order, stage=Stage.SIGN)
    assert set(e.value.errors) == {"stage"}


def test_a_clock_not_running_is_409(world, order_in):
    contacted = order_in(State.CONTACTED, assignee=world.handler)
    now = contacted.contacted_at + MIN
    with pytest.raises(Conflict):
        ask(world, contacted, stage=Stage.CONTACT, now=now)  # met already
    assert ask(world, contacted, stage=Stage.MEET, now=now).stage == "meet"
    dispatched = order_in(State.DISPATCHED)
    with pytest.raises((Conflict, Forbidden)):
        ask(world, dispatched, now=dispatched.dispatched_at + MIN)


def test_an_overdue_clock_is_not_paused_afterwards(world, signed):
    with pytest.raises(Conflict):
        ask(world, signed, now=MEET_DUE)
    pause = ask(world, signed, now=MEET_DUE - SEC)
    with pytest.raises(Conflict):
        approve(world, signed, now=MEET_DUE)
    assert fresh(signed).meet_due_at == MEET_DUE
    assert ClockPause.objects.get(pk=pause.pk).state == PauseState.REQUESTED


def test_a_second_pause_of_the_same_clock_is_refused(world, signed):
    ask(world, signed)
    with pytest.raises(Conflict):
        ask(world, signed, minutes=60)
    approve(world, signed)
    with pytest.raises(Conflict):
        ask(world, signed, minutes=60, now=DECIDED + HOUR)
    # The other clock may have its own.
    assert ask(world, signed, stage=Stage.CONTACT, now=DECIDED + HOUR).stage == "contact"
    # Once the pause's time is up, the clock may be paused again.
    again = ask(world, signed, minutes=60, now=DECIDED + DAY * MIN)
    assert again.state == PauseState.REQUESTED
    first = ClockPause.objects.filter(stage="meet").earliest("pk")
    assert (first.state, first.ended_at) == (PauseState.ENDED, DECIDED + DAY * MIN)


def test_one_open_pause_per_clock_is_a_database_rule(world, signed):
    from django.db import IntegrityError, transaction

    pause = ask(world, signed)
    with pytest.raises(IntegrityError), transaction.atomic():
        ClockPause.objects.create(
            order=signed,
            stage="meet",
            unit=world.hb_police,
            reason="away",
            requested_minutes=5,
            requested_by=world.handler,
            requested_at=ASKED,
        )
    pause.state = PauseState.REJECTED
    pause.save()
    ask(world, signed, minutes=5)


# --- deciding --------------------------------------------------------------------------------


def test_approval_moves_the_due_time_by_exactly_the_minutes_asked(world, signed):
    pause = ask(world, signed, minutes=90)
    approve(world, signed)
    order = fresh(signed)
    assert order.meet_due_at == MEET_DUE + 90 * MIN
    assert order.contact_due_at == SIGNED_AT + 24 * HOUR  # the other clock runs on
    pause.refresh_from_db()
    assert (pause.state, pause.started_at, pause.ends_at) == (
        PauseState.APPROVED,
        DECIDED,
        DECIDED + 90 * MIN,
    )
    assert (pause.decided_by, pause.paused_minutes) == (world.dispatcher, 90)
    event = last_event(signed)
    assert event.kind == EventKind.PAUSED
    assert instant(event.data["due_before"]) == MEET_DUE
    assert instant(event.data["meet_due_at"]) == MEET_DUE + 90 * MIN
    # The assignee is told; the alarm moved with the due time.
    assert Notification.objects.filter(order=signed, kind="paused", recipient=world.handler)
    alarm = order.alarms.get(stage="meet")
    assert alarm.fire_at == MEET_DUE + 90 * MIN - 48 * HOUR / 5


def test_rejection_needs_a_reason_and_changes_no_clock(world, signed):
    pause = ask(world, signed)
    with pytest.raises(InvalidInput) as e:
        services.order_pause_decide(
            order_id=signed.pk, actor=world.dispatcher, approve=False, note=" ", now=DECIDED
        )
    assert set(e.value.errors) == {"note"}
    services.order_pause_decide(
        order_id=signed.pk, actor=world.dispatcher, approve=False, note="可电话联系", now=DECIDED
    )
    pause.refresh_from_db()
    assert (pause.state, pause.decision_note) == (PauseState.REJECTED, "可电话联系")
    assert fresh(signed).meet_due_at == MEET_DUE
    assert last_event(signed).kind == EventKind.PAUSE_REJECTED
    assert Notification.objects.filter(order=signed, kind="pause_rejected", recipient=world.handler)
    with pytest.raises(Conflict):  # nothing left to decide
        approve(world, signed)


def test_two_requests_need_the_stage_named(world, signed):
    ask(world, signed)
    ask(world, signed, stage=Stage.CONTACT, minutes=60)
    with pytest.raises(InvalidInput) as e:
        approve(world, signed)
    assert set(e.value.errors) == {"stage"}
    approve(world, signed, stage="contact")
    assert fresh(signed).contact_due_at == SIGNED_AT + 25 * HOUR
    assert fresh(signed).meet_due_at == MEET_DUE


# --- ending ----------------------------------------------------------------------------------


def test_resuming_early_gives_back_the_minutes_not_used(world, signed):
    ask(world, signed, minutes=DAY)
    approve(world, signed)
    # 3 h 10 min and a few seconds paused: 191 minutes count, 1249 given back.
    services.order_resume(
        order_id=signed.pk, actor=world.handler, now=DECIDED + 190 * MIN + 5 * SEC
    )
    pause = ClockPause.objects.get(order=signed)
    assert (pause.state, pause.paused_minutes) == (PauseState.ENDED, 191)
    assert fresh(signed).meet_due_at == MEET_DUE + 191 * MIN
    event = last_event(signed)
    assert event.kind == EventKind.RESUMED
    assert instant(event.data["due_before"]) == MEET_DUE + DAY * MIN
    assert instant(event.data["meet_due_at"]) == MEET_DUE + 191 * MIN
    assert event.data["paused_minutes"] == 191
    # Resumed by the handler: the dispatchers hear of it.
    assert Notification.objects.filter(order=signed, kind="resumed", recipient=world.dispatcher)
    with pytest.raises(Conflict):
        services.order_resume(order_id=signed.pk, actor=world.dispatcher, now=DECIDED + 4 * HOUR)


def test_a_pause_whose_time_is_up_cannot_be_resumed(world, signed):
    ask(world, signed, minutes=60)
    approve(world, signed)
    with pytest.raises(Conflict):
        services.order_resume(order_id=signed.pk, actor=world.handler, now=DECIDED + HOUR)
    assert fresh(signed).meet_due_at == MEET_DUE + HOUR


def test_meeting_while_paused_ends_the_pause_there(world, order_in):
    order = order_in(State.CONTACTED, assignee=world.handler)
    ask(world, order, minutes=DAY)
    approve(world, order)
    met_at = DECIDED + 5 * HOUR
    services.order_record_meeting(
        order_id=order.pk,
        actor=world.handler,
        place="调解室",
        participants="双方",
        result="达成协议",
        met_at=met_at,
        now=met_at + HOUR,
    )
    pause = ClockPause.objects.get(order=order)
    assert (pause.state, pause.ended_at, pause.paused_minutes) == (
        PauseState.ENDED,
        met_at,
        300,
    )
    order = fresh(order)
    assert order.meet_due_at == MEET_DUE + DAY * MIN  # nothing given back: it is met
    assert order.meet_on_time is True
    assert last_event(order).data["pause_ended"] is True


def test_a_request_lapses_when_its_clock_stops(world, signed):
    ask(world, signed, stage=Stage.CONTACT, minutes=60)
    services.order_record_contact(
        order_id=signed.pk, actor=world.handler, method=ContactMethod.PHONE, now=DECIDED
    )
    pause = ClockPause.objects.get(order=signed)
    assert (pause.state, pause.ended_at) == (PauseState.LAPSED, DECIDED)


def test_a_return_to_the_queue_ends_the_pause(world, signed):
    ask(world, signed)
    approve(world, signed)
    services.order_return(
        order_id=signed.pk, actor=world.dispatcher, reason="派错单位", now=DECIDED + HOUR
    )
    pause = ClockPause.objects.get(order=signed)
    assert (pause.state, pause.paused_minutes) == (PauseState.ENDED, 60)


# --- the sweep -------------------------------------------------------------------------------


def test_the_sweep_does_not_escalate_during_the_pause_and_does_after(world, order_in):
    order = order_in(State.CONTACTED, assignee=world.handler)
    ask(world, order, minutes=DAY)
    approve(world, order)
    new_due = MEET_DUE + DAY * MIN
    sla_sweep(now=MEET_DUE + HOUR)  # past the old deadline: nothing (the warning moved too)
    assert not Escalation.objects.filter(order=order).exists()
    sla_sweep(now=new_due - 48 * HOUR / 5)
    assert Escalation.objects.get(order=order).stage_due_at == new_due  # the warning
    sla_sweep(now=new_due - SEC)
    assert not Escalation.objects.filter(order=order, level=EscalationLevel.LEVEL1).exists()
    sla_sweep(now=new_due)
    escalation = Escalation.objects.get(order=order, level=EscalationLevel.LEVEL1)
    assert escalation.stage_due_at == new_due


def test_approval_resolves_a_warning_raised_for_the_old_due(world, order_in):
    order = order_in(State.CONTACTED, assignee=world.handler)
    warned = MEET_DUE - 48 * HOUR / 5
    sla_sweep(now=warned)
    ask(world, order, minutes=DAY, now=warned + MIN)
    approve(world, order, now=warned + 2 * MIN)
    old = Escalation.objects.get(order=order, stage_due_at=MEET_DUE)
    assert old.resolved_at == warned + 2 * MIN


# --- who may ---------------------------------------------------------------------------------


def test_who_may_ask_decide_and_resume(world, signed, order_in):
    before = snapshot(signed.pk)
    with pytest.raises(NotFound):
        services.order_pause(
            order_id=signed.pk,
            actor=world.fl_dispatcher,
            stage="meet",
            reason="away",
            minutes=60,
            now=ASKED,
        )
    for outsider in (world.reporter, world.dispatcher, world.supervisor):
        with pytest.raises((Forbidden, NotFound)):
            services.order_pause(
                order_id=signed.pk,
                actor=outsider,
                stage="meet",
                reason="away",
                minutes=60,
                now=ASKED,
            )
    assert snapshot(signed.pk) == before
    ask(world, signed)
    for not_center in (world.handler, world.head, world.reporter):
        with pytest.raises(Forbidden):
            services.order_pause_decide(
                order_id=signed.pk, actor=not_center, approve=True, now=DECIDED
            )
    approve(world, signed)
    with pytest.raises(Forbidden):
        services.order_resume(order_id=signed.pk, actor=world.reporter, now=DECIDED + HOUR)
    services.order_resume(order_id=signed.pk, actor=world.dispatcher, now=DECIDED + HOUR)


def test_an_assisting_unit_may_not_ask(world, order_in):
    order = order_in(State.SIGNED, assignee=world.handler, assisting_units=[world.hb_committee])
    with pytest.raises(Forbidden):
        services.order_pause(
            order_id=order.pk,
            actor=world.committee_handler,
            stage="meet",
            reason="away",
            minutes=60,
            now=ASKED,
        )


# --- the timeline ----------------------------------------------------------------------------


def test_the_timeline_still_verifies_with_moved_due_times(world, signed, capsys):
    ask(world, signed, minutes=DAY)
    approve(world, signed)
    services.order_resume(order_id=signed.pk, actor=world.handler, now=DECIDED + HOUR)
    call_command("verify_timeline")
    assert "0 with a broken timeline" in capsys.readouterr().out
