"""The SLA sweep: each (order, stage clock, level) raised exactly once, at the right instant."""

from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from disputes import services
from disputes.models import Escalation, EventKind, OrderEvent, State
from disputes.notices import notify_raised
from disputes.stages import Stage
from disputes.sweep import sla_sweep
from notifications.levels import EscalationLevel
from notifications.models import Notification
from tests.factories import STEP_OFFSETS, T0, SlaPolicyFactory

W, L1, L2 = EscalationLevel.WARNING, EscalationLevel.LEVEL1, EscalationLevel.LEVEL2
DISPATCHED_AT = T0 + STEP_OFFSETS[State.DISPATCHED]
SIGNED_AT = T0 + STEP_OFFSETS[State.SIGNED]
US = timedelta(microseconds=1)

# (stage, state the order waits in, clock start, level, fire offset from clock start)
# sign: 30 min → warning at 24 min, level 1 at 30, level 2 at 60.
# contact: 24 h → 19.2 h, 24 h, 48 h. meet: 48 h → 38.4 h, 48 h, 96 h.
BOUNDARIES = [
    (Stage.SIGN, State.DISPATCHED, DISPATCHED_AT, W, timedelta(minutes=24)),
    (Stage.SIGN, State.DISPATCHED, DISPATCHED_AT, L1, timedelta(minutes=30)),
    (Stage.SIGN, State.DISPATCHED, DISPATCHED_AT, L2, timedelta(minutes=60)),
    (Stage.CONTACT, State.SIGNED, SIGNED_AT, W, timedelta(hours=19, minutes=12)),
    (Stage.CONTACT, State.SIGNED, SIGNED_AT, L1, timedelta(hours=24)),
    (Stage.CONTACT, State.SIGNED, SIGNED_AT, L2, timedelta(hours=48)),
    (Stage.MEET, State.CONTACTED, SIGNED_AT, W, timedelta(hours=38, minutes=24)),
    (Stage.MEET, State.CONTACTED, SIGNED_AT, L1, timedelta(hours=48)),
    (Stage.MEET, State.CONTACTED, SIGNED_AT, L2, timedelta(hours=96)),
]


def raised(order, stage=None):
    qs = Escalation.objects.filter(order=order)
    if stage:
        qs = qs.filter(stage=stage)
    return sorted(qs.values_list("stage", "level"))


@pytest.mark.parametrize(("stage", "state", "start", "level", "offset"), BOUNDARIES)
def test_each_level_fires_exactly_at_its_instant(world, stage, state, start, level, offset):
    order = world.order(state)
    fire = start + offset

    sla_sweep(now=fire - US)
    assert (stage, level) not in raised(order, stage), "raised a microsecond early"

    sla_sweep(now=fire)
    assert (stage, level) in raised(order, stage), "not raised at its instant"
    assert raised(order, stage) == [(stage, lv) for lv in range(level + 1)]

    sla_sweep(now=fire + timedelta(seconds=1))
    assert Escalation.objects.filter(order=order, stage=stage, level=level).count() == 1


def test_escalation_records_due_and_raise_times_and_the_unit(world):
    order = world.order(State.DISPATCHED)
    now = DISPATCHED_AT + timedelta(minutes=31)
    sla_sweep(now=now)
    l1 = Escalation.objects.get(order=order, stage=Stage.SIGN, level=L1)
    assert l1.stage_due_at == DISPATCHED_AT + timedelta(minutes=30)
    assert l1.fire_at == l1.stage_due_at
    assert l1.raised_at == now
    assert l1.resolved_at is None
    assert l1.unit == world.hb_police


def test_a_category_policy_changes_every_instant(world):
    SlaPolicyFactory(category=world.wages, sign_minutes=10, contact_minutes=60, meet_minutes=120)
    order = world.order(State.DISPATCHED)
    assert order.sign_due_at == DISPATCHED_AT + timedelta(minutes=10)
    sla_sweep(now=DISPATCHED_AT + timedelta(minutes=8) - US)  # warning at 80% = 8 min
    assert raised(order) == []
    sla_sweep(now=DISPATCHED_AT + timedelta(minutes=8))
    assert raised(order) == [(Stage.SIGN, W)]
    sla_sweep(now=DISPATCHED_AT + timedelta(minutes=20))  # level 2 at 10 + 10 min
    assert raised(order) == [(Stage.SIGN, W), (Stage.SIGN, L1), (Stage.SIGN, L2)]


def test_a_high_risk_policy_applies_to_high_risk_orders_only(world):
    SlaPolicyFactory(category=None, risk_level="high", sign_minutes=15)
    high = world.order(State.DISPATCHED, risk_level="high")
    low = world.order(State.DISPATCHED)
    sla_sweep(now=DISPATCHED_AT + timedelta(minutes=15))
    assert (Stage.SIGN, L1) in raised(high)
    assert raised(low) == []


def test_running_the_sweep_twice_raises_nothing_more(world):
    orders = [world.order(State.DISPATCHED) for _ in range(3)]
    now = DISPATCHED_AT + timedelta(hours=2)
    first = sla_sweep(now=now)
    second = sla_sweep(now=now)
    assert first.raised == 9 and second.raised == 0
    assert Escalation.objects.count() == 9
    assert OrderEvent.objects.filter(kind=EventKind.ESCALATED).count() == 9
    for order in orders:
        assert raised(order) == [(Stage.SIGN, W), (Stage.SIGN, L1), (Stage.SIGN, L2)]


def test_the_unique_constraint_refuses_a_second_row(world):
    order = world.order(State.DISPATCHED)
    sla_sweep(now=DISPATCHED_AT + timedelta(minutes=24))
    first = Escalation.objects.get(order=order)
    with pytest.raises(IntegrityError), transaction.atomic():
        Escalation.objects.create(
            order=order,
            stage=first.stage,
            level=first.level,
            stage_due_at=first.stage_due_at,
            fire_at=first.fire_at,
            raised_at=first.raised_at,
        )


def test_a_sweep_after_six_hours_down_catches_up_once(world):
    """Beat was down from T0 to T0+6h. Everything due in between is raised by the first
    sweep back, once; a stage met during the outage raises nothing."""
    waiting = world.order(State.DISPATCHED)
    signed_in_time = world.order(State.SIGNED)  # signed at +15 min, before any deadline
    signed_late = world.order(State.DISPATCHED)
    services.order_sign(
        order_id=signed_late.pk, actor=world.handler, now=DISPATCHED_AT + timedelta(minutes=45)
    )  # after warning + L1
    contacted = world.order(State.CONTACTED)

    back = T0 + timedelta(hours=6)
    result = sla_sweep(now=back)

    assert raised(waiting) == [(Stage.SIGN, W), (Stage.SIGN, L1), (Stage.SIGN, L2)]
    assert raised(signed_in_time) == []
    # Nobody swept while it was late, and it was signed before the sweep: nothing to say.
    assert raised(signed_late) == []
    assert raised(contacted) == []
    assert result.raised == 3
    assert sla_sweep(now=back).raised == 0
    assert sla_sweep(now=back + timedelta(minutes=1)).raised == 0


def test_meeting_a_stage_resolves_its_open_escalations(world):
    order = world.order(State.DISPATCHED)
    sla_sweep(now=DISPATCHED_AT + timedelta(minutes=40))
    assert Escalation.objects.filter(order=order, resolved_at__isnull=True).count() == 2
    signed_at = DISPATCHED_AT + timedelta(minutes=41)
    services.order_sign(order_id=order.pk, actor=world.handler, now=signed_at)
    assert set(Escalation.objects.filter(order=order).values_list("resolved_at", flat=True)) == {
        signed_at
    }
    # The sign stage never escalates again; the contact clock now runs.
    sla_sweep(now=signed_at + timedelta(hours=1))
    assert raised(order) == [(Stage.SIGN, W), (Stage.SIGN, L1)]


def test_contact_resolves_contact_but_not_the_meeting_clock(world):
    order = world.order(State.SIGNED)
    sla_sweep(now=SIGNED_AT + timedelta(hours=40))  # contact W+L1, meet W
    contacted_at = SIGNED_AT + timedelta(hours=40, minutes=1)
    services.order_record_contact(
        order_id=order.pk, actor=world.handler, method="phone", now=contacted_at
    )
    open_ = Escalation.objects.filter(order=order, resolved_at__isnull=True)
    assert sorted(open_.values_list("stage", "level")) == [(Stage.MEET, W)]


def test_reassign_starts_a_new_clock_that_escalates_again(world):
    order = world.order(State.DISPATCHED)
    sla_sweep(now=DISPATCHED_AT + timedelta(minutes=31))  # W + L1 on the first clock
    reassigned_at = DISPATCHED_AT + timedelta(minutes=32)
    services.order_reassign(
        order_id=order.pk,
        actor=world.dispatcher,
        lead_unit_id=world.hb_committee.pk,
        now=reassigned_at,
    )
    old = Escalation.objects.filter(order=order)
    assert all(e.resolved_at == reassigned_at for e in old)

    sla_sweep(now=reassigned_at + timedelta(minutes=30))
    new = Escalation.objects.filter(order=order, resolved_at__isnull=True)
    assert sorted(new.values_list("level", flat=True)) == [W, L1]
    assert {e.stage_due_at for e in new} == {reassigned_at + timedelta(minutes=30)}
    assert {e.unit_id for e in new} == {world.hb_committee.pk}


def test_return_resolves_and_stops_the_sign_clock(world):
    order = world.order(State.DISPATCHED)
    sla_sweep(now=DISPATCHED_AT + timedelta(minutes=25))
    services.order_return(
        order_id=order.pk,
        actor=world.dispatcher,
        reason="不属于本单位职责",
        now=DISPATCHED_AT + timedelta(minutes=26),
    )
    sla_sweep(now=T0 + timedelta(days=3))
    assert raised(order, Stage.SIGN) == [(Stage.SIGN, W)]
    assert not Escalation.objects.filter(
        order=order, stage=Stage.SIGN, resolved_at__isnull=True
    ).exists()
    # Back in the queue it waits under a new dispatch clock, from the return: left
    # waiting for days, that one escalates to the end.
    assert raised(order, Stage.DISPATCH) == [
        (Stage.DISPATCH, W),
        (Stage.DISPATCH, L1),
        (Stage.DISPATCH, L2),
    ]
    assert {
        e.stage_due_at for e in Escalation.objects.filter(order=order, stage=Stage.DISPATCH)
    } == {DISPATCHED_AT + timedelta(minutes=26 + 30)}


@pytest.mark.parametrize("cancel_from", [State.DISPATCHED, State.SIGNED, State.CONTACTED])
def test_cancelled_orders_never_escalate(world, cancel_from):
    order = world.order(State.CANCELLED, cancel_from=cancel_from)
    assert sla_sweep(now=T0 + timedelta(days=10)).raised == 0
    assert raised(order) == []


def test_closed_orders_escalate_only_their_return_visit(world):
    order = world.order(State.CLOSED)
    # Closed 11-11 10:00; its return visit (回访) falls due 7 days later, the 18th.
    assert sla_sweep(now=T0 + timedelta(days=10)).raised == 2
    assert {e.stage for e in Escalation.objects.filter(order=order)} == {"visit"}


def test_each_escalation_appears_on_the_timeline(world):
    order = world.order(State.DISPATCHED)
    sla_sweep(now=DISPATCHED_AT + timedelta(minutes=30))
    events = list(order.events.filter(kind=EventKind.ESCALATED).order_by("id"))
    assert [e.data["level"] for e in events] == [W, L1]
    assert "临期预警" in events[0].note and order.number in events[0].note
    assert "一级督办" in events[1].note
    assert all(e.actor is None and e.at == DISPATCHED_AT + timedelta(minutes=30) for e in events)


def recipients(order, kind):
    return set(
        Notification.objects.filter(order=order, kind=kind).values_list(
            "recipient__username", flat=True
        )
    )


def sweep_and_notify(now):
    """What the beat task does: raise, then announce."""
    sla_sweep(now=now)
    return notify_raised(now=now)


def test_the_sweep_raises_and_the_notices_follow_once(world):
    order = world.order(State.DISPATCHED)
    now = DISPATCHED_AT + timedelta(minutes=24)
    sla_sweep(now=now)
    assert raised(order) == [(Stage.SIGN, W)]
    assert not Notification.objects.filter(order=order, kind__startswith="escalation").exists()
    assert notify_raised(now=now) == 2  # the unit's two handlers
    assert notify_raised(now=now) == 0
    assert Escalation.objects.get(order=order).notified_at == now
    assert recipients(order, "escalation_0") == {"police", "police2"}


def sweep_each_level(order):
    """A beat that never missed a minute: each sign level announced at its instant."""
    for minutes in (24, 30, 60):
        sweep_and_notify(DISPATCHED_AT + timedelta(minutes=minutes))


def test_who_is_told_at_each_level(world):
    order = world.order(State.DISPATCHED)  # HB police station, no named assignee
    sweep_each_level(order)
    assert recipients(order, "escalation_0") == {"police", "police2"}  # the unit's handlers
    assert recipients(order, "escalation_1") == {"head", "center"}  # head + HB dispatchers
    assert recipients(order, "escalation_2") == {"supervisor", "hb_supervisor"}


def test_warning_goes_to_the_named_assignee_only(world):
    order = world.order(State.DISPATCHED, assignee=world.handler2)
    sweep_and_notify(DISPATCHED_AT + timedelta(minutes=24))
    assert recipients(order, "escalation_0") == {"police2"}


def test_level_two_stays_within_the_supervisors_jurisdiction(world):
    order = world.order(State.DISPATCHED, community=world.fl_community)
    sweep_each_level(order)
    assert recipients(order, "escalation_1") == {"fl_center"}  # FL has no unit head
    assert recipients(order, "escalation_2") == {"supervisor"}  # not HB's supervisor


def subjects(order):
    return list(
        Notification.objects.filter(order=order, kind__startswith="escalation")
        .order_by("id")
        .values_list("kind", "subject")
    )


def test_a_catch_up_sweep_announces_only_the_highest_level_once(world):
    """Down from before the warning until a second after level 2: three rows, three
    timeline events, and one level-2 notice per person, worded as past."""
    order = world.order(State.DISPATCHED)  # sign due at DISPATCHED_AT + 30 min
    back = DISPATCHED_AT + timedelta(minutes=60, seconds=1)
    sweep_and_notify(back)
    assert raised(order) == [(Stage.SIGN, W), (Stage.SIGN, L1), (Stage.SIGN, L2)]
    assert order.events.filter(kind=EventKind.ESCALATED).count() == 3
    notices = Notification.objects.filter(order=order, kind__startswith="escalation")
    assert set(notices.values_list("kind", flat=True)) == {"escalation_2"}
    # Everyone the three levels concern is told once, of the highest level.
    names = list(notices.values_list("recipient__username", flat=True))
    assert sorted(names) == sorted(
        {"police", "police2", "head", "center", "supervisor", "hb_supervisor"}
    )
    due = "11-10 09:35"  # Asia/Shanghai
    for subject in notices.values_list("subject", flat=True):
        assert subject == f"【二级督办】{order.number} 签收已于 {due} 到期，超时 30分钟"
    assert not any("将于" in s for _k, s in subjects(order))
    assert not Escalation.objects.filter(order=order, notified_at__isnull=True).exists()
    assert notify_raised(now=back) == 0


def test_a_late_warning_is_worded_as_past(world):
    """The sweep raised the warning in time but its notice goes out after the due time:
    it says when the stage fell due and by how much it is late."""
    order = world.order(State.DISPATCHED, assignee=world.handler2)
    sla_sweep(now=DISPATCHED_AT + timedelta(minutes=29))
    assert notify_raised(now=DISPATCHED_AT + timedelta(minutes=42, seconds=30)) == 1
    assert subjects(order) == [
        ("escalation_0", f"【临期预警】{order.number} 签收已于 11-10 09:35 到期，超时 12分钟")
    ]


def test_a_warning_in_time_says_when_it_falls_due(world):
    order = world.order(State.DISPATCHED, assignee=world.handler2)
    sweep_and_notify(DISPATCHED_AT + timedelta(minutes=24))
    sweep_and_notify(DISPATCHED_AT + timedelta(minutes=30))
    assert dict(subjects(order)) == {
        "escalation_0": f"【临期预警】{order.number} 签收将于 11-10 09:35 到期",
        "escalation_1": f"【一级督办】{order.number} 签收已于 11-10 09:35 到期",
    }


def test_a_level_told_before_is_not_told_again_by_a_catch_up(world):
    """Warned in time, then down past level 2: the handlers were warned already, so the
    level-2 notice goes to the level-1 and level-2 people only."""
    order = world.order(State.DISPATCHED)
    sweep_and_notify(DISPATCHED_AT + timedelta(minutes=24))
    sweep_and_notify(DISPATCHED_AT + timedelta(hours=3))
    assert recipients(order, "escalation_0") == {"police", "police2"}
    assert recipients(order, "escalation_1") == set()
    assert recipients(order, "escalation_2") == {"head", "center", "supervisor", "hb_supervisor"}
    assert "超时 2小时30分" in subjects(order)[-1][1]


def test_a_batch_boundary_inside_a_clock_still_announces_once(world):
    """Notice batches of one row: the warning and level 1 are superseded even though
    level 2 comes in a later batch."""
    order = world.order(State.DISPATCHED)
    now = DISPATCHED_AT + timedelta(minutes=61)
    sla_sweep(now=now)
    notify_raised(now=now, batch_size=1)
    assert set(
        Notification.objects.filter(order=order, kind__startswith="escalation").values_list(
            "kind", flat=True
        )
    ) == {"escalation_2"}
    assert recipients(order, "escalation_2") == {
        "police",
        "police2",
        "head",
        "center",
        "supervisor",
        "hb_supervisor",
    }


def count_queries(fn):
    with CaptureQueriesContext(connection) as ctx:
        fn()
    return len(ctx.captured_queries)


def test_query_count_does_not_grow_with_orders_in_the_table(world):
    """Two orders come due each time; ten times more orders that are not due (later
    clocks, closed) cost no query."""
    for _ in range(2):
        world.order(State.DISPATCHED)
    small = count_queries(lambda: sla_sweep(now=DISPATCHED_AT + timedelta(hours=2)))

    later = T0 + timedelta(days=1)
    for _ in range(2):
        world.order(State.DISPATCHED, start=later)
    for _ in range(10):
        world.order(State.DISPATCHED, start=later + timedelta(days=1))
    for _ in range(10):
        world.order(State.CLOSED)
    big = count_queries(lambda: sla_sweep(now=later + (DISPATCHED_AT - T0) + timedelta(hours=2)))
    assert Escalation.objects.count() == 4 * 3
    assert small == big


def test_query_count_does_not_grow_with_due_orders_in_a_batch(world):
    """2 or 20 orders due at once: the same queries (bulk reads and writes), and an idle
    sweep is one indexed probe of the alarms."""
    for _ in range(2):
        world.order(State.DISPATCHED)
    small = count_queries(lambda: sla_sweep(now=DISPATCHED_AT + timedelta(hours=2)))
    idle_small = count_queries(lambda: sla_sweep(now=DISPATCHED_AT + timedelta(hours=2)))

    later = T0 + timedelta(days=1)
    for _ in range(20):
        world.order(State.DISPATCHED, start=later)
    big = count_queries(lambda: sla_sweep(now=later + timedelta(hours=2)))
    idle_big = count_queries(lambda: sla_sweep(now=later + timedelta(hours=2)))

    assert Escalation.objects.count() == 22 * 3
    assert small == big
    # savepoint, probe, release
    assert idle_small == idle_big == 3


def test_batches_cap_the_work_per_transaction(world):
    for _ in range(5):
        world.order(State.DISPATCHED)
    result = sla_sweep(now=DISPATCHED_AT + timedelta(hours=2), batch_size=2)
    assert result.raised == 15
    assert result.batches == 3  # 2 + 2 + 1 orders


def test_the_command_sweeps_as_of_the_given_time(world, capsys):
    order = world.order(State.DISPATCHED)
    call_command("sla_sweep", "--now", "2026-11-10T09:35:00+08:00")  # = DISPATCHED_AT + 30 min
    assert raised(order) == [(Stage.SIGN, W), (Stage.SIGN, L1)]
    assert "raised 2" in capsys.readouterr().out
    call_command("sla_sweep", "--now", "2026-11-10T09:35:00")  # naive → Asia/Shanghai
    assert "raised 0" in capsys.readouterr().out


def test_the_command_rejects_a_bad_time(db):
    with pytest.raises(CommandError, match="not an ISO"):
        call_command("sla_sweep", "--now", "yesterday")


def test_a_sweep_in_the_past_does_nothing(world):
    order = world.order(State.DISPATCHED)
    assert sla_sweep(now=T0 - timedelta(days=1)).raised == 0
    assert raised(order) == []
    assert list(order.alarms.values_list("stage", "level", "fire_at")) == [
        (Stage.SIGN, W, DISPATCHED_AT + timedelta(minutes=24))
    ]
