"""Reviewed grades (等级审核): the closer proposes a grade; the street center confirms or
changes it (with a reason) within its clock; only confirmed grades are paid."""

from datetime import date, timedelta
from decimal import Decimal

import pytest

from disputes import services
from disputes.models import Duty, EventKind, OrderEvent, State
from disputes.sweep import sla_sweep
from shishi_mediation.errors import Conflict, Forbidden, InvalidInput, NotFound
from supervision.models import SubsidyTier
from supervision.reports import Month, report_scope
from supervision.subsidy import subsidy_statement
from tests.factories import STEP_OFFSETS, T0

pytestmark = pytest.mark.django_db
CLOSED_AT = T0 + STEP_OFFSETS[State.CLOSED]
US = timedelta(microseconds=1)


@pytest.fixture
def closed(world):
    """A case the 曾坑 committee mediated, closed with the proposed grade 一般."""
    return world.order(State.CLOSED, lead_unit=world.hb_committee)


def statement(world):
    report = subsidy_statement(scope=report_scope(world.supervisor), month=Month(2026, 11))
    return {s.committee: (s.total_cases, s.total_amount) for s in report.statements}


def test_closing_a_paid_case_owes_the_center_its_grade_review(world, closed):
    duty = Duty.objects.get(order=closed, kind="grade")
    assert (duty.unit, duty.started_at, duty.due_at) == (
        world.hb_center,
        CLOSED_AT,
        CLOSED_AT + timedelta(days=3),
    )
    assert (closed.proposed_grade, closed.grade_confirmed_at) == ("ordinary", None)


def test_a_case_the_subsidy_does_not_pay_owes_no_review(world):
    order = world.order(State.CLOSED)  # the police station led it
    assert not Duty.objects.filter(order=order, kind="grade").exists()
    with pytest.raises(Conflict):
        services.order_grade_review(order_id=order.pk, actor=world.dispatcher, grade="ordinary")


def test_only_confirmed_grades_are_paid_at_the_confirmed_rate(world, closed):
    for grade, amount in (("ordinary", "200"), ("complex", "300")):
        SubsidyTier.objects.update_or_create(
            grade=grade, effective_from=date(2026, 1, 1), defaults={"amount": Decimal(amount)}
        )
    assert statement(world)["曾坑社区人民调解委员会"] == (0, Decimal("0"))
    with pytest.raises(InvalidInput) as e:
        services.order_grade_review(order_id=closed.pk, actor=world.dispatcher, grade="complex")
    assert "reason" in e.value.errors  # a change needs its reason
    services.order_grade_review(
        order_id=closed.pk,
        actor=world.dispatcher,
        grade="complex",
        reason="涉及多方，耗时较长",
        now=CLOSED_AT + timedelta(days=3),
    )
    assert statement(world)["曾坑社区人民调解委员会"] == (1, Decimal("300"))
    event = OrderEvent.objects.get(order=closed, kind=EventKind.GRADE_REVIEWED)
    assert (event.note, event.data["proposed"], event.data["grade"], event.data["changed"]) == (
        "涉及多方，耗时较长",
        "ordinary",
        "complex",
        True,
    )
    assert event.data["on_time"] is True  # at the limit exactly
    with pytest.raises(Conflict):  # once
        services.order_grade_review(order_id=closed.pk, actor=world.dispatcher, grade="simple")


def test_confirming_late_is_recorded_late(world, closed):
    services.order_grade_review(
        order_id=closed.pk,
        actor=world.dispatcher,
        grade="ordinary",
        now=CLOSED_AT + timedelta(days=3) + US,
    )
    assert Duty.objects.get(order=closed, kind="grade").on_time is False


def test_the_review_clock_escalates_to_the_center(world, closed):
    due = CLOSED_AT + timedelta(days=3)
    sla_sweep(now=due - US)
    assert closed.escalations.filter(stage="grade").count() == 1  # the warning at 80 %
    sla_sweep(now=due)
    assert closed.escalations.filter(stage="grade", level=1, unit=world.hb_center).exists()


@pytest.mark.parametrize(
    ("who", "error"),
    [
        ("committee_handler", Forbidden),
        ("committee_head", Forbidden),
        ("handler", NotFound),
        ("fl_dispatcher", NotFound),
    ],
)
def test_only_the_streets_center_reviews(world, closed, who, error):
    with pytest.raises(error):
        services.order_grade_review(order_id=closed.pk, actor=getattr(world, who), grade="simple")


def test_a_bad_grade_names_the_field(world, closed):
    with pytest.raises(InvalidInput) as e:
        services.order_grade_review(order_id=closed.pk, actor=world.dispatcher, grade="gold")
    assert "grade" in e.value.errors


def test_a_changed_grade_keeps_the_timeline_verified(world, closed, capsys):
    from django.core.management import call_command

    services.order_grade_review(
        order_id=closed.pk, actor=world.dispatcher, grade="major", reason="重大疑难"
    )
    call_command("verify_timeline")
    assert "0 with a broken timeline" in capsys.readouterr().out
