"""Hazards: routing at report, the rectification clock at its boundaries (with the
sweep), closing with evidence, and the screening log."""

from datetime import timedelta

import pytest

from deadlines.models import Deadline
from deadlines.sweep import sweep
from hazards.models import Hazard, HazardEvent, HazardPhoto, ScreeningVisit
from hazards.selectors import open_overdue_q, urgency
from hazards.services import (
    ScreeningInput,
    hazard_acknowledge,
    hazard_close,
    hazard_reject,
    screening_record,
)
from notifications.models import Notification
from shishi_mediation.errors import Conflict, Forbidden, InvalidInput, NotFound
from tests.factories import T0
from tests.hazards.conftest import DAY, photo

pytestmark = pytest.mark.django_db
MICRO = timedelta(microseconds=1)


def told(kind: str) -> set[str]:
    return set(Notification.objects.filter(kind=kind).values_list("recipient__username", flat=True))


def test_a_hazard_is_routed_by_its_category_and_street_with_its_clock(world, categories, report):
    hazard = report()
    assert hazard.department == world.hb_labour
    assert hazard.due_at == T0 + 10 * DAY
    assert hazard.state == "reported"
    deadline = Deadline.objects.get(kind="hazard_fix", subject_id=hazard.pk)
    assert (deadline.unit_id, deadline.due_at, deadline.fire_at) == (
        world.hb_labour.pk,
        T0 + 10 * DAY,
        T0 + 8 * DAY,
    )
    # The department is told at once, with a link to the hazard.
    assert told("hazard_reported") == {"labour"}
    assert list(hazard.photos.values_list("stage", flat=True)) == ["before"]
    # 凤里 has its own route for 消防安全: its police station.
    fl = report(community=world.fl_community, actor=world.fl_reporter)
    assert fl.department == world.fl_police


def test_the_sweep_warns_the_department_then_escalates_at_due_and_past_it(world, report):
    report(at=T0)
    assert sweep(now=T0 + 8 * DAY - MICRO) == 0
    assert sweep(now=T0 + 8 * DAY) == 1  # the warning at 80% of ten days
    assert told("escalation_0") == {"labour"}
    assert sweep(now=T0 + 8 * DAY + MICRO) == 0  # raised once
    assert sweep(now=T0 + 10 * DAY - MICRO) == 0
    assert sweep(now=T0 + 10 * DAY) == 1  # level 1 at the due time: the center
    assert told("escalation_1") == {"center"}
    assert sweep(now=T0 + 10 * DAY + MICRO) == 0
    assert sweep(now=T0 + 20 * DAY - MICRO) == 0
    assert sweep(now=T0 + 20 * DAY) == 1  # level 2, as long again: the supervisors
    assert told("escalation_2") == {"supervisor", "hb_supervisor"}
    assert sweep(now=T0 + 40 * DAY) == 0  # each level once


def test_closed_exactly_at_due_is_on_time_and_a_moment_later_is_late(world, report):
    first, second = report(), report()
    hazard_close(
        hazard_id=first.pk,
        actor=world.labour_handler,
        note="已清理",
        photos=[photo()],
        now=T0 + 10 * DAY,
    )
    hazard_close(
        hazard_id=second.pk,
        actor=world.dispatcher,
        note="已清理",
        photos=[photo()],
        now=T0 + 10 * DAY + MICRO,
    )
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.state, first.on_time, second.on_time) == ("fixed", True, False)
    met = dict(Deadline.objects.values_list("subject_id", "on_time"))
    assert met == {first.pk: True, second.pk: False}
    # A met clock raises nothing more.
    assert sweep(now=T0 + 30 * DAY) == 0
    assert list(first.photos.values_list("stage", flat=True)) == ["before", "after"]
    kinds = list(HazardEvent.objects.filter(hazard=first).values_list("kind", "actor__username"))
    assert kinds == [("reported", "grid"), ("fixed", "labour")]


def test_closing_needs_an_after_photo_and_a_note_naming_the_fields(world, report):
    hazard = report()
    with pytest.raises(InvalidInput) as e:
        hazard_close(hazard_id=hazard.pk, actor=world.labour_handler, note="", photos=[])
    assert set(e.value.errors) == {"photos", "note"}
    hazard.refresh_from_db()
    assert hazard.state == "reported"


def test_only_the_department_or_the_center_closes_and_others_do_not_see_it(world, report):
    hazard = report()
    for user in (world.reporter, world.hb_supervisor):
        with pytest.raises(Forbidden):
            hazard_close(hazard_id=hazard.pk, actor=user, note="x", photos=[photo()])
    for user in (world.fl_dispatcher, world.handler, world.other_reporter, world.nobody):
        with pytest.raises(NotFound):
            hazard_close(hazard_id=hazard.pk, actor=user, note="x", photos=[photo()])
    # Acknowledging is the department's alone.
    with pytest.raises(Forbidden):
        hazard_acknowledge(hazard_id=hazard.pk, actor=world.dispatcher)
    hazard_acknowledge(hazard_id=hazard.pk, actor=world.labour_handler, now=T0 + DAY)
    with pytest.raises(Conflict):
        hazard_acknowledge(hazard_id=hazard.pk, actor=world.labour_handler)


def test_rejecting_needs_a_reason_ends_the_clock_unmet_and_closing_after_is_a_conflict(
    world, report
):
    hazard = report()
    with pytest.raises(InvalidInput) as e:
        hazard_reject(hazard_id=hazard.pk, actor=world.dispatcher, reason=" ")
    assert set(e.value.errors) == {"reason"}
    hazard_reject(hazard_id=hazard.pk, actor=world.dispatcher, reason="系统重复上报", now=T0 + DAY)
    hazard.refresh_from_db()
    assert (hazard.state, hazard.on_time) == ("rejected", None)
    deadline = Deadline.objects.get(subject_id=hazard.pk)
    assert (deadline.met_at, deadline.ended_at) == (None, T0 + DAY)
    with pytest.raises(Conflict):
        hazard_close(hazard_id=hazard.pk, actor=world.labour_handler, note="x", photos=[photo()])


@pytest.mark.parametrize(
    ("name", "content", "fragment"),
    [
        ("notes.pdf", b"%PDF-1.4 fake", "photos"),
        ("fake.jpg", b"this is not a jpeg at all", "photos"),
        ("evil.exe", b"MZ\x90\x00", "photos"),
    ],
)
def test_bad_uploads_are_refused_on_photos(world, categories, report, name, content, fragment):
    from django.core.files.uploadedfile import SimpleUploadedFile

    with pytest.raises(InvalidInput) as e:
        report(photos=[SimpleUploadedFile(name, content)])
    assert fragment in e.value.errors
    assert not Hazard.objects.exists() and not HazardPhoto.objects.exists()


def test_a_decompression_bomb_is_refused(world, report):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.images import png_claiming

    with pytest.raises(InvalidInput) as e:
        report(photos=[SimpleUploadedFile("bomb.png", png_claiming(40_000, 40_000))])
    assert "photos" in e.value.errors


def test_a_screening_is_logged_when_nothing_is_found_and_never_in_the_future(world, categories):
    now = T0 + DAY
    visit = screening_record(
        actor=world.reporter,
        data=ScreeningInput(
            community_id=world.zk.pk,
            place="曾坑菜市场",
            visited_at=now,
            checked_ids=[categories.fire.pk, categories.housing.pk],
        ),
        now=now,
    )
    assert (visit.outcome, visit.unit, visit.street) == ("nothing", world.zk_residents, world.hb)
    with pytest.raises(InvalidInput) as e:
        screening_record(
            actor=world.reporter,
            data=ScreeningInput(
                community_id=world.zk.pk, place="x", visited_at=now + MICRO, checked_ids=[]
            ),
            now=now,
        )
    assert set(e.value.errors) == {"visited_at", "checked"}
    with pytest.raises(Forbidden):
        screening_record(actor=world.supervisor, data=ScreeningInput(), now=now)


def test_a_hazard_reported_from_a_screening_links_it_and_marks_it_found(world, categories, report):
    visit = screening_record(
        actor=world.reporter,
        data=ScreeningInput(
            community_id=world.zk.pk,
            place="曾坑菜市场",
            visited_at=T0,
            checked_ids=[categories.fire.pk],
        ),
        now=T0,
    )
    hazard = report(screening_id=visit.pk, at=T0 + timedelta(minutes=5))
    visit.refresh_from_db()
    assert (hazard.screening_id, visit.outcome) == (visit.pk, "found")
    # Another's screening cannot be named.
    with pytest.raises(InvalidInput) as e:
        report(screening_id=visit.pk, actor=world.other_reporter)
    assert "screening" in e.value.errors
    assert ScreeningVisit.objects.count() == 1


def test_the_countdown_colours_at_the_same_moments(world, report):
    hazard = report(at=T0)
    moments = {
        T0 + 8 * DAY - MICRO: "ok",
        T0 + 8 * DAY: "warning",
        T0 + 10 * DAY: "warning",  # due, not yet over
        T0 + 10 * DAY + MICRO: "overdue",
    }
    assert {at: urgency(hazard, at) for at in moments} == moments
    overdue = Hazard.objects.filter(open_overdue_q(T0 + 10 * DAY + MICRO))
    assert list(overdue) == [hazard]
    assert not Hazard.objects.filter(open_overdue_q(T0 + 10 * DAY)).exists()


def test_the_hazard_log_is_append_only(world, report):
    from django.core.exceptions import ValidationError

    event = report().events.get()
    event.note = "changed"
    with pytest.raises(ValidationError):
        event.save()
    with pytest.raises(ValidationError):
        event.delete()
