"""Recording a session: who may, the hours, and each bad field named (400)."""

from datetime import date, time
from decimal import Decimal

import pytest

from shishi_mediation.errors import Forbidden, InvalidInput, NotFound
from training.models import Attendance, TrainingSession
from training.services import (
    AttendeeInput,
    HeadcountInput,
    session_delete,
    session_update,
)

from .conftest import record, session_input


def errors_of(call) -> dict:
    with pytest.raises(InvalidInput) as e:
        call()
    return e.value.errors


def test_a_dispatcher_records_a_session_with_hours_from_its_times(world):
    s = record(
        world,
        attendance=[
            AttendeeInput(user_id=world.handler.pk),
            AttendeeInput(user_id=world.head.pk, status=Attendance.Status.ABSENT),
            AttendeeInput(user_id=world.committee_handler.pk),
        ],
        headcounts=[HeadcountInput(unit_id=world.zk_residents.pk, count=8)],
    )
    assert s.hours == Decimal("2.50")
    rows = {a.user_id: (a.unit_id, a.status) for a in s.attendances.all()}
    assert rows == {
        world.handler.pk: (world.hb_police.pk, "attended"),
        world.head.pk: (world.hb_police.pk, "absent"),
        world.committee_handler.pk: (world.hb_committee.pk, "attended"),
    }
    assert [(h.unit_id, h.count) for h in s.headcounts.all()] == [(world.zk_residents.pk, 8)]
    assert s.created_by == world.dispatcher


def test_hours_alone_and_twenty_minutes_to_the_hundredth(world):
    assert record(world, start_time=None, end_time=None, hours=Decimal("3")).hours == 3
    twenty = record(world, start_time=time(9, 0), end_time=time(9, 20))
    assert twenty.hours == Decimal("0.33")


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"start_time": time(16, 0), "end_time": time(15, 0)}, "end_time"),
        ({"start_time": time(16, 0), "end_time": time(16, 0)}, "end_time"),
        ({"start_time": None, "end_time": None, "hours": Decimal("0")}, "hours"),
        ({"start_time": None, "end_time": None, "hours": Decimal("-1")}, "hours"),
        ({"start_time": None, "end_time": None, "hours": Decimal("24.01")}, "hours"),
        ({"start_time": None, "end_time": None, "hours": None}, "hours"),
        ({"start_time": None, "end_time": time(10, 0), "hours": Decimal("1")}, "start_time"),
        ({"hours": Decimal("3")}, "hours"),  # 14:00–16:30 is 2.5 hours
        ({"topic": "  \u200b "}, "topic"),
        ({"trainer_name": ""}, "trainer_name"),
        ({"kind": "party"}, "kind"),
    ],
)
def test_bad_input_names_the_field(world, kwargs, field):
    assert field in errors_of(lambda: record(world, **kwargs))
    assert not TrainingSession.objects.exists()


def test_twenty_four_hours_is_the_most_a_session_may_last(world):
    s = record(world, start_time=None, end_time=None, hours=Decimal("24"))
    assert s.hours == 24


def test_an_attendee_outside_the_sessions_area_is_refused(world):
    # 凤里派出所's officer is not of 湖滨.
    errors = errors_of(
        lambda: record(world, attendance=[AttendeeInput(user_id=world.fl_handler.pk)])
    )
    assert list(errors) == ["attendance[0].user"]
    # Nor is a user with no unit, or a unit the person is not a member of.
    errors = errors_of(
        lambda: record(
            world,
            attendance=[
                AttendeeInput(user_id=world.nobody.pk),
                AttendeeInput(user_id=world.handler.pk, unit_id=world.hb_committee.pk),
            ],
        )
    )
    assert set(errors) == {"attendance[0].user", "attendance[1].unit"}


def test_a_duplicate_attendee_is_refused(world):
    errors = errors_of(
        lambda: record(
            world,
            attendance=[
                AttendeeInput(user_id=world.handler.pk),
                AttendeeInput(user_id=world.handler.pk, status=Attendance.Status.ABSENT),
            ],
        )
    )
    assert list(errors) == ["attendance[1].user"]


def test_headcounts_outside_the_area_or_twice_are_refused(world):
    errors = errors_of(
        lambda: record(
            world,
            headcounts=[
                HeadcountInput(unit_id=world.zk_residents.pk, count=3),
                HeadcountInput(unit_id=world.zk_residents.pk, count=4),
                HeadcountInput(unit_id=world.fl_police.pk, count=4),
                HeadcountInput(unit_id=world.hb_police.pk, count=0),
            ],
        )
    )
    assert set(errors) == {"headcounts[1].unit", "headcounts[2].unit", "headcounts[3].count"}


def test_a_dispatcher_records_only_in_its_street(world):
    errors = errors_of(lambda: record(world, area_id=world.fl.pk))
    assert "area" in errors
    errors = errors_of(lambda: record(world, organizer_id=world.fl_center.pk))
    assert list(errors) == ["organizer"]


def test_who_may_record(world, center_head):
    assert record(world, actor=center_head).pk
    assert record(world, actor=world.hb_supervisor).pk
    assert record(world, actor=world.supervisor, area_id=world.city.pk).pk
    for user in (world.handler, world.head, world.reporter, world.nobody):
        with pytest.raises(Forbidden):
            record(world, actor=user)
    # a street supervisor may not record for the city
    assert "area" in errors_of(
        lambda: record(world, actor=world.hb_supervisor, area_id=world.city.pk)
    )


def test_update_and_delete_404_outside_the_scope_403_for_an_attendee(world, hb_session):
    data = session_input(world, topic="改过")
    with pytest.raises(NotFound):
        session_update(actor=world.fl_dispatcher, session_id=hb_session.pk, data=data)
    with pytest.raises(Forbidden):  # 张警官 attended: sees it, may not change it
        session_update(actor=world.handler, session_id=hb_session.pk, data=data)
    with pytest.raises(NotFound):
        session_delete(actor=world.handler2, session_id=hb_session.pk)
    s = session_update(actor=world.dispatcher, session_id=hb_session.pk, data=data)
    assert s.topic == "改过"
    session_delete(actor=world.hb_supervisor, session_id=hb_session.pk)
    assert not TrainingSession.objects.exists()


def test_an_update_without_lists_keeps_the_attendance(world, hb_session):
    from training.services import session_input_of

    data = session_input_of(hb_session)
    data.date = date(2026, 11, 6)
    session_update(actor=world.dispatcher, session_id=hb_session.pk, data=data)
    assert list(hb_session.attendances.values_list("user_id", flat=True)) == [world.handler.pk]
