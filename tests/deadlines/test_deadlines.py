"""A deadline kind declared once gets its rows, levels, notices and figures."""

from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse

from deadlines.kinds import KINDS, DeadlineKind, declare
from deadlines.models import Deadline
from deadlines.selectors import figures, open_deadline, urgency
from deadlines.services import deadline_end, deadline_meet, deadline_start
from deadlines.sweep import sweep
from notifications.models import Notification
from tests.factories import T0, UserFactory

pytestmark = pytest.mark.django_db

DAY = timedelta(days=1)
MICRO = timedelta(microseconds=1)


@pytest.fixture
def told():
    return {"ids": []}


@pytest.fixture
def kind(told):
    declared = declare(
        DeadlineKind(
            name="test_visit",
            label="测试走访",
            told=lambda deadline, level: told["ids"],
            describe=lambda deadline: (
                f"对象{deadline.subject_id}",
                f"/things/{deadline.subject_id}/",
            ),
        )
    )
    yield declared
    KINDS.pop(declared.name)


def start(kind, subject_id=7, days=10, at=T0):
    return deadline_start(kind=kind.name, subject_id=subject_id, at=at, due=at + days * DAY)


def test_a_start_arms_the_warning_at_four_fifths_of_the_limit(kind):
    deadline = start(kind)
    assert deadline.limit == 10 * DAY
    assert deadline.fire_at == T0 + 8 * DAY
    assert open_deadline(kind.name, 7) == deadline


def test_an_undeclared_kind_or_a_due_time_not_after_the_start_is_refused(kind):
    with pytest.raises(LookupError):
        deadline_start(kind="nobody", subject_id=1, at=T0, due=T0 + DAY)
    with pytest.raises(ValueError):
        deadline_start(kind=kind.name, subject_id=1, at=T0, due=T0)


def test_starting_again_ends_the_open_one(kind):
    first = start(kind)
    second = start(kind, at=T0 + DAY)
    first.refresh_from_db()
    assert first.ended_at == T0 + DAY and first.fire_at is None
    assert open_deadline(kind.name, 7) == second


def test_the_database_holds_one_open_deadline_per_thing(kind):
    start(kind)
    with pytest.raises(IntegrityError), transaction.atomic():
        Deadline.objects.create(
            kind=kind.name, subject_id=7, started_at=T0, due_at=T0 + DAY, limit=DAY
        )


@pytest.mark.parametrize(
    ("offset", "on_time"), [(-MICRO, True), (timedelta(0), True), (MICRO, False)]
)
def test_met_at_its_due_time_is_on_time_and_a_microsecond_later_is_late(kind, offset, on_time):
    start(kind)
    met = deadline_meet(kind=kind.name, subject_id=7, at=T0 + 10 * DAY + offset)
    assert met.on_time is on_time and met.fire_at is None
    assert open_deadline(kind.name, 7) is None
    assert deadline_meet(kind=kind.name, subject_id=7, at=T0 + 11 * DAY) is None


def test_the_sweep_raises_each_level_at_its_moment_and_tells_the_declared_people(kind, told):
    officer, head = UserFactory(), UserFactory()
    told["ids"] = [officer.pk, head.pk]
    deadline = start(kind)
    warning, due, level2 = T0 + 8 * DAY, T0 + 10 * DAY, T0 + 20 * DAY

    assert sweep(now=warning - MICRO) == 0
    assert sweep(now=warning) == 1
    deadline.refresh_from_db()
    assert (deadline.level, deadline.fire_at) == (0, due)
    notes = Notification.objects.filter(recipient=officer)
    assert [(n.kind, n.subject, n.link, n.order_id) for n in notes] == [
        ("escalation_0", "测试走访临期预警：对象7", "/things/7/", None)
    ]
    assert sweep(now=warning + DAY) == 0  # raised once

    assert sweep(now=due - MICRO) == 0
    assert sweep(now=due) == 1
    assert sweep(now=level2 - MICRO) == 0
    assert sweep(now=level2) == 1
    deadline.refresh_from_db()
    assert (deadline.level, deadline.fire_at) == (2, None)
    assert sweep(now=level2 + 100 * DAY) == 0
    assert list(
        Notification.objects.filter(recipient=head).order_by("id").values_list("kind", flat=True)
    ) == ["escalation_0", "escalation_1", "escalation_2"]


def test_a_late_sweep_tells_where_things_stand_once(kind, told):
    officer = UserFactory()
    told["ids"] = [officer.pk]
    start(kind)
    assert sweep(now=T0 + 30 * DAY) == 1
    assert list(Notification.objects.values_list("kind", flat=True)) == ["escalation_2"]


def test_a_met_or_ended_deadline_is_not_swept_and_an_inactive_user_is_not_told(kind, told):
    gone = UserFactory(is_active=False)
    told["ids"] = [gone.pk]
    start(kind, subject_id=1)
    start(kind, subject_id=2)
    start(kind, subject_id=3)
    deadline_meet(kind=kind.name, subject_id=1, at=T0 + DAY)
    deadline_end(kind=kind.name, subject_id=2, at=T0 + DAY)
    assert sweep(now=T0 + 9 * DAY) == 1
    assert Deadline.objects.get(subject_id=3).level == 0
    assert not Notification.objects.exists()


def test_a_batch_smaller_than_the_due_rows_still_raises_them_all(kind):
    for subject in range(5):
        start(kind, subject_id=subject)
    assert sweep(now=T0 + 9 * DAY, batch_size=2) == 5
    assert set(Deadline.objects.values_list("level", flat=True)) == {0}


def test_figures_count_on_time_late_and_open_overdue_by_aggregate(kind):
    for subject in range(1, 6):
        start(kind, subject_id=subject)
    deadline_meet(kind=kind.name, subject_id=1, at=T0 + DAY)  # on time
    deadline_meet(kind=kind.name, subject_id=2, at=T0 + 10 * DAY)  # on time, at due
    deadline_meet(kind=kind.name, subject_id=3, at=T0 + 11 * DAY)  # late
    deadline_end(kind=kind.name, subject_id=4, at=T0 + DAY)  # withdrawn: counts nowhere
    rows = Deadline.objects.filter(kind=kind.name)
    assert figures(rows, now=T0 + 10 * DAY) == {
        "on_time": 2,
        "late": 1,
        "overdue_open": 0,
        "open": 1,
    }
    assert figures(rows, now=T0 + 10 * DAY + MICRO) == {
        "on_time": 2,
        "late": 1,
        "overdue_open": 1,
        "open": 1,
    }


def test_urgency_turns_to_warning_at_four_fifths_and_overdue_after_due(kind):
    deadline = start(kind)
    assert urgency(deadline, T0 + 8 * DAY - MICRO) == "ok"
    assert urgency(deadline, T0 + 8 * DAY) == "warning"
    assert urgency(deadline, T0 + 10 * DAY) == "warning"
    assert urgency(deadline, T0 + 10 * DAY + MICRO) == "overdue"


def test_the_inbox_links_a_deadline_notice_to_its_page(kind, told, client):
    officer = UserFactory()
    told["ids"] = [officer.pk]
    start(kind)
    sweep(now=T0 + 9 * DAY)
    client.force_login(officer)
    page = client.get(reverse("inbox")).content.decode()
    assert '<a href="/things/7/">测试走访临期预警：对象7</a>' in page


def test_a_deadline_of_a_kind_no_longer_declared_is_dropped_not_fatal(kind, told, caplog):
    officer = UserFactory()
    told["ids"] = [officer.pk]
    start(kind, subject_id=1)
    Deadline.objects.create(
        kind="gone", subject_id=2, started_at=T0, due_at=T0 + DAY, limit=DAY, fire_at=T0
    )
    assert sweep(now=T0 + 9 * DAY) == 2
    assert Deadline.objects.get(kind="gone").fire_at is None
    assert Notification.objects.filter(recipient=officer).count() == 1
    assert "undeclared kind 'gone'" in caplog.text
