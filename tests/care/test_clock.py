"""The care visit clock at its boundaries: registration starts it (elderly: 30 days),
the sweep warns the community police at 80 %, escalates to the station's head at the
due time and to the heads (station, committees) as long again past due; a visit meets
it, on time at the due time itself, late a microsecond after, and starts the next."""

from datetime import timedelta

import pytest

from care.models import CareKind, CareVisitInterval
from care.selectors import open_deadlines, subjects_listed, visit_overdue_q
from care.services import care_subject_set_active, care_visit_record
from deadlines.selectors import open_deadline
from deadlines.sweep import sweep
from notifications.models import Notification
from shishi_mediation.errors import InvalidInput
from tests.factories import T0

pytestmark = pytest.mark.django_db

DAY = timedelta(days=1)
MICRO = timedelta(microseconds=1)
WARNING, DUE, LEVEL2 = T0 + 24 * DAY, T0 + 30 * DAY, T0 + 60 * DAY


def told(level: int) -> set[str]:
    return set(
        Notification.objects.filter(kind=f"escalation_{level}").values_list(
            "recipient__username", flat=True
        )
    )


def test_registration_starts_the_clock_due_after_the_kinds_interval(world, elder, register):
    clock = open_deadline("care_visit", elder.pk)
    assert (clock.started_at, clock.due_at, clock.unit_id) == (T0, DUE, world.hb_police.pk)
    CareVisitInterval.objects.create(kind=CareKind.MENTAL_ILLNESS, days=14)
    other = register(name="李某", kind=CareKind.MENTAL_ILLNESS, phone="", id_number="")
    assert open_deadline("care_visit", other.pk).due_at == T0 + 14 * DAY


def test_the_sweep_warns_then_escalates_at_each_boundary(world, elder):
    assert sweep(now=WARNING - MICRO) == 0
    assert sweep(now=WARNING) == 1
    assert told(0) == {"police", "police2"}
    note = Notification.objects.filter(kind="escalation_0").first()
    assert note.link == f"/care/{elder.pk}/"
    assert "陈*" in note.subject and "陈阿婆" not in note.subject  # notices leave the site

    assert sweep(now=DUE - MICRO) == 0
    assert not subjects_listed(world.handler).filter(visit_overdue_q(DUE)).exists()
    assert sweep(now=DUE) == 1
    assert told(1) == {"police", "police2", "head"}
    assert subjects_listed(world.handler).filter(visit_overdue_q(DUE + MICRO)).exists()

    assert sweep(now=LEVEL2 - MICRO) == 0
    assert sweep(now=LEVEL2) == 1
    assert told(2) == {"head", "committee_head"}
    assert sweep(now=LEVEL2 + 100 * DAY) == 0


@pytest.mark.parametrize(
    ("offset", "on_time"), [(-MICRO, True), (timedelta(0), True), (MICRO, False)]
)
def test_a_visit_meets_the_clock_and_starts_the_next(world, elder, offset, on_time):
    visited = DUE + offset
    visit = care_visit_record(
        actor=world.handler,
        subject_id=elder.pk,
        visited_at=visited,
        condition="身体尚可",
        now=visited + DAY,
    )
    assert visit.on_time is on_time
    clocks = open_deadlines([elder.pk])
    assert clocks[elder.pk].started_at == visited
    assert clocks[elder.pk].due_at == visited + 30 * DAY


def test_a_visit_in_the_future_or_before_the_last_is_refused(world, elder):
    with pytest.raises(InvalidInput) as e:
        care_visit_record(
            actor=world.handler,
            subject_id=elder.pk,
            visited_at=T0 + DAY + MICRO,
            condition="好",
            now=T0 + DAY,
        )
    assert "visited_at" in e.value.errors
    care_visit_record(
        actor=world.handler, subject_id=elder.pk, visited_at=T0 + DAY, condition="好", now=T0 + DAY
    )
    with pytest.raises(InvalidInput) as e:
        care_visit_record(
            actor=world.handler,
            subject_id=elder.pk,
            visited_at=T0 + DAY - MICRO,
            condition="好",
            now=T0 + 2 * DAY,
        )
    assert "visited_at" in e.value.errors
    with pytest.raises(InvalidInput) as e:
        care_visit_record(
            actor=world.handler,
            subject_id=elder.pk,
            visited_at=T0 + DAY,
            condition=" ",
            now=T0 + 2 * DAY,
        )
    assert "condition" in e.value.errors


def test_taking_a_subject_off_the_register_ends_its_clock(world, elder):
    care_subject_set_active(actor=world.handler, subject_id=elder.pk, active=False, now=T0 + DAY)
    assert open_deadline("care_visit", elder.pk) is None
    assert sweep(now=LEVEL2) == 0
    care_subject_set_active(actor=world.handler, subject_id=elder.pk, active=True, now=T0 + 2 * DAY)
    assert open_deadline("care_visit", elder.pk).due_at == T0 + 32 * DAY
