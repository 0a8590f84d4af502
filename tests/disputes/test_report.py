"""Reporting an order through ``disputes.services``: what it records, what it rejects,
and the order numbers it draws."""

from datetime import UTC, datetime

import pytest
import time_machine

from dispatch.models import RiskLevel
from disputes import services
from disputes.models import (
    Order,
    Party,
    Source,
    State,
)
from shishi_mediation.errors import Forbidden, InvalidInput
from tests.disputes.lifecycle import (
    MIN,
    timeline,
)
from tests.factories import (
    CategoryFactory,
    id_number_with_x,
    invalid_id_number,
    party_input,
    report_input,
)

pytestmark = pytest.mark.django_db


# --- report ----------------------------------------------------------------------------------


def test_report_records_the_order_its_parties_and_the_reported_event(world, t0):
    order = world.report(
        now=t0,
        title="  拖欠工资  ",
        source=Source.HOTLINE,
        risk_level=RiskLevel.MEDIUM,
        parties=[
            party_input(name=" 王某 ", phone="13812345678", is_elderly_alone=True),
            party_input(name="某建筑公司", role=Party.PartyRole.RESPONDENT, phone="0595-88881234"),
        ],
    )

    order = Order.objects.get(pk=order.pk)
    assert order.state == State.REPORTED
    assert order.number == "HB-202611-00001"
    assert order.title == "拖欠工资"
    assert order.street == world.hb
    assert order.community == world.zk
    assert order.category == world.wages
    assert order.source == Source.HOTLINE
    assert order.risk_level == RiskLevel.MEDIUM
    assert order.reporter == world.reporter
    assert order.reporter_unit == world.zk_residents
    assert order.reported_at == t0
    assert order.lead_unit is None and order.assignee is None
    assert order.dispatched_at is None and order.sign_due_at is None
    parties = list(order.parties.order_by("pk"))
    assert [(p.name, p.role, p.phone) for p in parties] == [
        ("王某", Party.PartyRole.APPLICANT, "13812345678"),
        ("某建筑公司", Party.PartyRole.RESPONDENT, "0595-88881234"),
    ]
    assert parties[0].is_vulnerable and not parties[1].is_vulnerable
    assert all(p.confirmed_at is None for p in parties)

    [event] = timeline(order)
    assert (event.kind, event.from_state, event.to_state) == ("reported", "", "reported")
    assert event.actor == world.reporter
    assert event.at == t0


def test_report_stores_an_id_number_with_lower_case_x_in_upper_case(world):
    id_number = id_number_with_x()
    order = world.report(parties=[party_input(id_number=id_number.lower())])
    assert order.parties.get().id_number == id_number


def test_a_dispatcher_may_report_and_names_its_unit(world):
    order = world.report(actor=world.dispatcher, reporter_unit_id=world.hb_center.pk)
    assert order.reporter == world.dispatcher
    assert order.reporter_unit == world.hb_center


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"parties": [party_input(phone="12345")]}, "parties[0].phone"),
        ({"parties": [party_input(), party_input(phone="2345678901")]}, "parties[1].phone"),
        ({"parties": [party_input(id_number=invalid_id_number())]}, "parties[0].id_number"),
        ({"parties": [party_input(id_number="35058119900101")]}, "parties[0].id_number"),
        ({"parties": [party_input(name="  ")]}, "parties[0].name"),
        ({"parties": [party_input(role="boss")]}, "parties[0].role"),
        ({"parties": []}, "parties"),
        ({"title": ""}, "title"),
        ({"narrative": "   "}, "narrative"),
        ({"risk_level": "extreme"}, "risk_level"),
        ({"source": "rumour"}, "source"),
    ],
)
def test_report_rejects_bad_input_naming_the_field(world, overrides, field):
    with pytest.raises(InvalidInput) as exc:
        world.report(**overrides)
    assert exc.value.status_code == 400
    assert field in exc.value.errors
    assert not Order.objects.exists()


def test_report_rejects_a_street_as_community(world):
    with pytest.raises(InvalidInput) as exc:
        world.report(community=world.hb)
    assert "community" in exc.value.errors
    assert not Order.objects.exists()


def test_report_rejects_an_unknown_or_inactive_category(world):
    retired = CategoryFactory(is_active=False)
    with pytest.raises(InvalidInput) as exc:
        world.report(category=retired)
    assert "category" in exc.value.errors

    data = report_input(community=world.zk, category=world.wages)
    data.category_id = 999_999
    with pytest.raises(InvalidInput) as exc:
        services.order_report(actor=world.reporter, data=data)
    assert "category" in exc.value.errors
    assert not Order.objects.exists()


def test_report_rejects_a_reporter_unit_the_user_does_not_belong_to(world):
    with pytest.raises(InvalidInput) as exc:
        world.report(reporter_unit_id=world.hb_police.pk)
    assert "reporter_unit" in exc.value.errors


def test_a_rejected_report_does_not_use_up_an_order_number(world, t0):
    with pytest.raises(InvalidInput):
        world.report(now=t0, parties=[party_input(phone="12345")])
    assert world.report(now=t0).number == "HB-202611-00001"


@pytest.mark.parametrize("who", ["supervisor", "hb_supervisor", "nobody"])
def test_supervisors_and_users_without_a_role_cannot_report(world, who):
    with pytest.raises(Forbidden) as exc:
        world.report(actor=getattr(world, who))
    assert exc.value.status_code == 403
    assert not Order.objects.exists()


def test_an_anonymous_user_cannot_report(world):
    from django.contrib.auth.models import AnonymousUser

    with pytest.raises(Forbidden):
        world.report(actor=AnonymousUser())


# --- order numbers ---------------------------------------------------------------------------


def test_order_numbers_run_per_street_and_month(world, t0):
    numbers = [
        world.report(now=t0).number,
        world.report(now=t0 + MIN).number,
        world.report(community=world.sg, now=t0 + 2 * MIN).number,
        world.report(actor=world.fl_reporter, community=world.fl_community, now=t0).number,
        world.report(now=datetime(2026, 12, 2, 1, 0, tzinfo=UTC)).number,
        world.report(now=datetime(2026, 12, 2, 2, 0, tzinfo=UTC)).number,
    ]
    assert numbers == [
        "HB-202611-00001",
        "HB-202611-00002",
        "HB-202611-00003",  # both HB communities share the street's sequence
        "FL-202611-00001",
        "HB-202612-00001",
        "HB-202612-00002",
    ]


@pytest.mark.parametrize(
    ("now", "number"),
    [
        # 2026-11-30 23:59:59 in Shanghai.
        (datetime(2026, 11, 30, 15, 59, 59, tzinfo=UTC), "HB-202611-00001"),
        # 2026-12-01 00:00 in Shanghai, still November in UTC.
        (datetime(2026, 11, 30, 16, 0, tzinfo=UTC), "HB-202612-00001"),
        (datetime(2026, 11, 30, 16, 30, tzinfo=UTC), "HB-202612-00001"),
        # New year in Shanghai.
        (datetime(2026, 12, 31, 16, 0, tzinfo=UTC), "HB-202701-00001"),
    ],
)
def test_order_number_month_is_the_month_in_shanghai(world, now, number):
    assert world.report(now=now).number == number


def test_order_month_boundary_with_frozen_clock(world):
    # Without ``now=``, the service reads the clock.
    with time_machine.travel(datetime(2026, 11, 30, 15, 59, tzinfo=UTC), tick=False):
        first = world.report()
    with time_machine.travel(datetime(2026, 11, 30, 16, 30, tzinfo=UTC), tick=False):
        second = world.report()
    assert first.number == "HB-202611-00001"
    assert second.number == "HB-202612-00001"
    assert second.reported_at == datetime(2026, 11, 30, 16, 30, tzinfo=UTC)


def test_a_cancelled_order_keeps_its_number(world, t0):
    first = world.report(now=t0)
    services.order_cancel(order_id=first.pk, actor=world.dispatcher, reason="重复", now=t0 + MIN)
    assert world.report(now=t0 + 2 * MIN).number == "HB-202611-00002"
