"""The order lifecycle through ``disputes.services``: every transition, its effects, the
409/400/403/404 paths, SLA clocks, order numbers, the timeline and attachments."""

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.db.models.deletion import ProtectedError
from django.test import override_settings

from dispatch.models import RiskLevel
from disputes import services
from disputes.models import (
    Attachment,
    ContactMethod,
    EventKind,
    Grade,
    Order,
    OrderEvent,
    Outcome,
    Party,
    Referral,
    SlaPolicy,
    Source,
    State,
)
from disputes.selectors import orders_visible_to
from notifications.models import Notification
from shishi_mediation.errors import Conflict, Forbidden, InvalidInput, NotFound
from tests.factories import (
    CategoryFactory,
    SlaPolicyFactory,
    UnitFactory,
    id_number_with_x,
    invalid_id_number,
    party_input,
    report_input,
    set_default_sla_policy,
)

pytestmark = pytest.mark.django_db

MIN = timedelta(minutes=1)
SEC = timedelta(seconds=1)
HOUR = timedelta(hours=1)


# --- helpers ---------------------------------------------------------------------------------


def timeline(order) -> list[OrderEvent]:
    return list(OrderEvent.objects.filter(order_id=order.pk).order_by("at", "id"))


def instant(value: str) -> datetime:
    """An ISO timestamp from event data, compared as an instant whatever its offset."""
    return datetime.fromisoformat(value)


def last_event(order) -> OrderEvent:
    return timeline(order)[-1]


def snapshot(order_id: int):
    """Everything a user could see change on an order: fields, units, parties, timeline."""
    order = Order.objects.get(pk=order_id)
    fields = {f.attname: getattr(order, f.attname) for f in Order._meta.concrete_fields}
    return (
        fields,
        sorted(order.assisting_units.values_list("pk", flat=True)),
        list(order.parties.order_by("pk").values_list("pk", "confirmed_at")),
        list(
            OrderEvent.objects.filter(order_id=order_id)
            .order_by("pk")
            .values_list("pk", "kind", "from_state", "to_state", "actor_id", "note", "data")
        ),
        list(Attachment.objects.filter(order_id=order_id).values_list("pk", flat=True)),
        list(Notification.objects.filter(order_id=order_id).values_list("pk", flat=True)),
    )


def later(order) -> datetime:
    """An instant after every step the order has been through."""
    stamps = [
        order.reported_at,
        order.dispatched_at,
        order.signed_at,
        order.contacted_at,
        order.met_at,
        order.closed_at,
        order.cancelled_at,
    ]
    return max(s for s in stamps if s) + HOUR


def act(action: str, *, order, actor, world, now=None):
    """Attempt ``action`` with otherwise valid input, as a user pressing its button."""
    now = now or later(order)
    if action == "dispatch":
        return services.order_dispatch(
            order_id=order.pk, actor=actor, lead_unit_id=world.hb_committee.pk, now=now
        )
    if action == "reassign":
        return services.order_reassign(
            order_id=order.pk, actor=actor, lead_unit_id=world.hb_committee.pk, now=now
        )
    if action == "sign":
        return services.order_sign(order_id=order.pk, actor=actor, now=now)
    if action == "return":
        return services.order_return(order_id=order.pk, actor=actor, reason="非本单位职责", now=now)
    if action == "contact":
        return services.order_record_contact(
            order_id=order.pk, actor=actor, method=ContactMethod.PHONE, now=now
        )
    if action == "meet":
        return services.order_record_meeting(
            order_id=order.pk,
            actor=actor,
            place="调解室",
            participants="双方",
            result="达成协议",
            now=now,
        )
    if action == "close":
        return services.order_close(
            order_id=order.pk,
            actor=actor,
            outcome=Outcome.WITHDRAWN,
            summary="当事人撤回",
            confirmed_party_ids=list(order.parties.values_list("pk", flat=True)),
            now=now,
        )
    if action == "cancel":
        return services.order_cancel(order_id=order.pk, actor=actor, reason="重复报单", now=now)
    if action == "note":
        return services.order_add_note(order_id=order.pk, actor=actor, note="补充情况", now=now)
    raise ValueError(action)


ACTIONS = ["dispatch", "reassign", "sign", "return", "contact", "meet", "close", "cancel"]
DISPATCHER_ACTIONS = {"dispatch", "reassign", "cancel"}


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
    services.order_close(
        order_id=order.pk,
        actor=world.handler,
        outcome=Outcome.MEDIATED,
        summary="分期付款",
        grade=Grade.SIMPLE,
        confirmed_party_ids=order.parties.values_list("pk", flat=True),
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
        ("closed", "met", "closed", world.handler.pk, 21 * HOUR),
    ]


# --- dispatch --------------------------------------------------------------------------------


def test_dispatch_sends_the_order_to_a_unit_and_starts_the_sign_clock(world, t0):
    order = world.report(now=t0)
    at = t0 + 5 * MIN
    result = services.order_dispatch(
        order_id=order.pk,
        actor=world.dispatcher,
        lead_unit_id=world.hb_police.pk,
        assignee_id=world.handler.pk,
        assisting_unit_ids=[world.hb_committee.pk, world.hb_labour.pk],
        note="请派出所牵头",
        now=at,
    )
    assert result.state == State.DISPATCHED

    order = Order.objects.get(pk=order.pk)
    assert order.state == State.DISPATCHED
    assert order.lead_unit == world.hb_police
    assert order.assignee == world.handler
    assert set(order.assisting_units.all()) == {world.hb_committee, world.hb_labour}
    assert order.dispatched_at == at
    assert order.sign_limit == timedelta(minutes=30)
    assert order.sign_due_at == at + timedelta(minutes=30)
    assert order.sign_on_time is None
    assert order.signed_at is None

    event = last_event(order)
    assert (event.kind, event.from_state, event.to_state) == (
        EventKind.DISPATCHED,
        State.REPORTED,
        State.DISPATCHED,
    )
    assert event.actor == world.dispatcher
    assert event.at == at
    assert event.note == "请派出所牵头"
    assert event.data["lead_unit"] == "湖滨派出所"
    assert event.data["assignee"] == "张警官"  # the full name when there is one
    assert sorted(event.data["assisting_units"]) == sorted(
        ["曾坑社区人民调解委员会", "湖滨劳动保障所"]
    )
    assert instant(event.data["sign_due_at"]) == at + timedelta(minutes=30)
    assert "previous_unit" not in event.data


def test_dispatch_without_an_assignee_records_none(world, t0):
    order = world.report(now=t0)
    services.order_dispatch(
        order_id=order.pk, actor=world.dispatcher, lead_unit_id=world.hb_police.pk, now=t0
    )
    order.refresh_from_db()
    assert order.assignee is None
    assert last_event(order).data["assignee"] == ""
    assert last_event(order).data["assisting_units"] == []


def test_dispatch_names_an_assignee_without_full_name_by_username(world, t0):
    order = world.report(now=t0)
    services.order_dispatch(
        order_id=order.pk,
        actor=world.dispatcher,
        lead_unit_id=world.hb_police.pk,
        assignee_id=world.handler2.pk,
        now=t0,
    )
    assert last_event(order).data["assignee"] == "police2"


BAD_TARGETS = {
    "unknown-unit": (lambda w: {"lead_unit_id": 999_999}, "lead_unit"),
    "no-unit": (lambda w: {"lead_unit_id": None}, "lead_unit"),
    "inactive-unit": (lambda w: {"lead_unit_id": UnitFactory(is_active=False).pk}, "lead_unit"),
    # The committee's handler is not in the police station.
    "assignee-of-another-unit": (
        lambda w: {"lead_unit_id": w.hb_police.pk, "assignee_id": w.committee_handler.pk},
        "assignee",
    ),
    # A reporter of the lead unit is not one of its handlers.
    "assignee-not-a-handler": (
        lambda w: {"lead_unit_id": w.fl_police.pk, "assignee_id": w.fl_reporter.pk},
        "assignee",
    ),
    "unknown-assisting": (
        lambda w: {"lead_unit_id": w.hb_police.pk, "assisting_unit_ids": [999_999]},
        "assisting_units",
    ),
    "lead-also-assisting": (
        lambda w: {"lead_unit_id": w.hb_police.pk, "assisting_unit_ids": [w.hb_police.pk]},
        "assisting_units",
    ),
}


@pytest.mark.parametrize("action", ["dispatch", "reassign"])
def test_routing_rejects_bad_targets_naming_the_field(order_in, world, action):
    order = order_in(State.REPORTED if action == "dispatch" else State.DISPATCHED)
    before = snapshot(order.pk)
    service = services.order_dispatch if action == "dispatch" else services.order_reassign
    for case, (kwargs, field) in BAD_TARGETS.items():
        exc = expect(
            InvalidInput,
            lambda kwargs=kwargs: service(
                order_id=order.pk, actor=world.dispatcher, now=later(order), **kwargs(world)
            ),
            f"{action} with {case}",
        )
        assert field in exc.errors, (case, exc.errors)
        assert snapshot(order.pk) == before, case


# --- reassign --------------------------------------------------------------------------------


def test_reassign_moves_the_order_and_restarts_the_sign_clock(order_in, world):
    order = order_in(State.DISPATCHED, assignee=world.handler, assisting_units=[world.hb_labour])
    at = order.dispatched_at + 25 * MIN
    services.order_reassign(
        order_id=order.pk,
        actor=world.dispatcher,
        lead_unit_id=world.hb_committee.pk,
        assignee_id=world.committee_handler.pk,
        assisting_unit_ids=[world.zk_residents.pk],
        note="属邻里纠纷，改派调委会",
        now=at,
    )

    order = Order.objects.get(pk=order.pk)
    assert order.state == State.DISPATCHED
    assert order.lead_unit == world.hb_committee
    assert order.assignee == world.committee_handler
    assert list(order.assisting_units.all()) == [world.zk_residents]
    assert order.dispatched_at == at
    assert order.sign_due_at == at + timedelta(minutes=30)

    event = last_event(order)
    assert (event.kind, event.from_state, event.to_state) == (
        EventKind.REASSIGNED,
        State.DISPATCHED,
        State.DISPATCHED,
    )
    assert event.actor == world.dispatcher
    assert event.note == "属邻里纠纷，改派调委会"
    assert event.data["previous_unit"] == "湖滨派出所"
    assert event.data["lead_unit"] == "曾坑社区人民调解委员会"
    assert instant(event.data["sign_due_at"]) == at + timedelta(minutes=30)

    # The old lead and assisting units lost the order; the new one has it.
    assert not orders_visible_to(world.handler).filter(pk=order.pk).exists()
    assert not orders_visible_to(world.labour_handler).filter(pk=order.pk).exists()
    assert orders_visible_to(world.committee_handler).filter(pk=order.pk).exists()


def test_reassign_restarts_the_sign_clock_for_on_time(order_in, world):
    order = order_in(State.DISPATCHED)
    first_due = order.sign_due_at
    reassigned_at = order.dispatched_at + 25 * MIN
    services.order_reassign(
        order_id=order.pk,
        actor=world.dispatcher,
        lead_unit_id=world.hb_committee.pk,
        now=reassigned_at,
    )
    # Later than the first clock allowed, within the new one.
    sign_at = first_due + 10 * MIN
    services.order_sign(order_id=order.pk, actor=world.committee_handler, now=sign_at)
    order.refresh_from_db()
    assert order.sign_due_at == reassigned_at + timedelta(minutes=30)
    assert order.sign_on_time is True


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


# --- return ----------------------------------------------------------------------------------


@pytest.mark.parametrize("from_state", [State.DISPATCHED, State.SIGNED])
def test_return_puts_the_order_back_in_the_queue(order_in, world, from_state):
    order = order_in(from_state, assignee=world.handler, assisting_units=[world.hb_committee])
    at = later(order)
    services.order_return(order_id=order.pk, actor=world.handler, reason=" 非本单位职责 ", now=at)

    order = Order.objects.get(pk=order.pk)
    assert order.state == State.REPORTED
    assert order.lead_unit is None and order.assignee is None
    assert not order.assisting_units.exists()
    assert order.dispatched_at is None and order.signed_at is None
    assert order.sign_due_at is None and order.contact_due_at is None
    assert order.meet_due_at is None and order.sign_on_time is None
    assert order.sign_limit is None and order.contact_limit is None and order.meet_limit is None

    event = last_event(order)
    assert (event.kind, event.from_state, event.to_state, event.actor) == (
        EventKind.RETURNED,
        from_state,
        State.REPORTED,
        world.handler,
    )
    assert event.at == at
    assert event.note == "非本单位职责"
    assert event.data == {"returned_by_unit": "湖滨派出所"}

    # Back in the street's queue; gone from the unit that returned it.
    assert orders_visible_to(world.dispatcher).filter(pk=order.pk, state="reported").exists()
    assert not orders_visible_to(world.handler).filter(pk=order.pk).exists()
    assert not orders_visible_to(world.committee_handler).filter(pk=order.pk).exists()
    with pytest.raises(NotFound):
        act("sign", order=order, actor=world.handler, world=world)


@pytest.mark.parametrize("from_state", [State.DISPATCHED, State.SIGNED])
def test_return_then_dispatch_restarts_the_sign_clock(order_in, world, from_state):
    order = order_in(from_state)
    returned_at = later(order)
    services.order_return(
        order_id=order.pk, actor=world.handler, reason="非本单位职责", now=returned_at
    )
    redispatched_at = returned_at + 3 * HOUR
    services.order_dispatch(
        order_id=order.pk,
        actor=world.dispatcher,
        lead_unit_id=world.hb_committee.pk,
        now=redispatched_at,
    )
    order.refresh_from_db()
    assert order.dispatched_at == redispatched_at
    assert order.sign_due_at == redispatched_at + timedelta(minutes=30)
    assert order.sign_on_time is None

    # One second late on the new clock: late, whatever happened on the first round.
    signed_at = redispatched_at + timedelta(minutes=30) + SEC
    services.order_sign(order_id=order.pk, actor=world.committee_handler, now=signed_at)
    order.refresh_from_db()
    assert order.sign_on_time is False
    assert order.contact_due_at == signed_at + timedelta(hours=24)
    assert order.meet_due_at == signed_at + timedelta(hours=48)
    assert order.assignee == world.committee_handler


@pytest.mark.parametrize("reason", ["", "   ", None])
def test_return_requires_a_reason(order_in, world, reason):
    order = order_in(State.SIGNED)
    before = snapshot(order.pk)
    with pytest.raises(InvalidInput) as exc:
        services.order_return(order_id=order.pk, actor=world.handler, reason=reason)
    assert "reason" in exc.value.errors
    assert snapshot(order.pk) == before


def test_dispatcher_can_return_a_dispatched_order_to_the_queue(order_in, world):
    order = order_in(State.DISPATCHED)
    services.order_return(
        order_id=order.pk, actor=world.dispatcher, reason="派错单位", now=later(order)
    )
    order.refresh_from_db()
    assert order.state == State.REPORTED


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
    services.order_close(
        order_id=order.pk,
        actor=world.handler,
        outcome=Outcome.MEDIATED,
        summary=" 分三期支付 ",
        grade=Grade.COMPLEX,
        confirmed_party_ids=list(order.parties.values_list("pk", flat=True)),
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
    assert (event.kind, event.from_state, event.to_state, event.actor) == (
        EventKind.CLOSED,
        State.MET,
        State.CLOSED,
        world.handler,
    )
    assert event.note == "分三期支付"
    assert event.data == {"outcome": "mediated", "grade": "complex", "referral": ""}


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
    services.order_close(
        order_id=order.pk,
        actor=world.handler,
        outcome=outcome,
        summary="结果",
        grade=grade,
        referral=referral,
        confirmed_party_ids=order.parties.values_list("pk", flat=True),
        now=later(order),
    )
    order.refresh_from_db()
    assert (order.state, order.outcome, order.grade, order.referral) == (
        State.CLOSED,
        outcome,
        grade,
        referral,
    )


def test_the_street_dispatcher_may_confirm_the_close(order_in, world):
    order = order_in(State.MET)
    act("close", order=order, actor=world.dispatcher, world=world)
    order.refresh_from_db()
    assert order.state == State.CLOSED
    assert last_event(order).actor == world.dispatcher


CLOSE_CASES = {
    "one-party-unconfirmed": ({"confirmed": "one"}, "confirmed_parties"),
    "no-confirmations": ({"confirmed": "none"}, "confirmed_parties"),
    "party-of-another-order": ({"confirmed": "stranger"}, "confirmed_parties"),
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
    other = world.report()
    party_ids = list(order.parties.order_by("pk").values_list("pk", flat=True))
    confirmations = {
        "all": party_ids,
        "one": party_ids[:1],
        "none": [],
        "stranger": [*party_ids, other.parties.first().pk],
    }
    before = snapshot(order.pk)
    for case, (kwargs, field) in CLOSE_CASES.items():
        kwargs = dict(kwargs)
        confirmed = confirmations[kwargs.pop("confirmed", "all")]
        args = {"outcome": Outcome.MEDIATED, "summary": "协议", "grade": Grade.SIMPLE} | kwargs
        exc = expect(
            InvalidInput,
            lambda args=args, confirmed=confirmed: services.order_close(
                order_id=order.pk,
                actor=world.handler,
                confirmed_party_ids=confirmed,
                now=later(order),
                **args,
            ),
            case,
        )
        assert field in exc.errors, (case, exc.errors)
        assert snapshot(order.pk) == before, case
    assert not Party.objects.filter(confirmed_at__isnull=False).exists()


# --- cancel ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "from_state", [State.REPORTED, State.DISPATCHED, State.SIGNED, State.CONTACTED, State.MET]
)
def test_cancel_from_each_open_state(order_in, world, from_state):
    order = order_in(from_state)
    at = later(order)
    services.order_cancel(order_id=order.pk, actor=world.dispatcher, reason=" 重复报单 ", now=at)
    order = Order.objects.get(pk=order.pk)
    assert order.state == State.CANCELLED
    assert not order.is_open
    assert order.cancelled_at == at
    assert order.cancel_reason == "重复报单"
    event = last_event(order)
    assert (event.kind, event.from_state, event.to_state, event.actor) == (
        EventKind.CANCELLED,
        from_state,
        State.CANCELLED,
        world.dispatcher,
    )
    assert event.note == "重复报单"
    assert event.at == at


@pytest.mark.parametrize("reason", ["", "  "])
def test_cancel_requires_a_reason(order_in, world, reason):
    order = order_in(State.REPORTED)
    before = snapshot(order.pk)
    with pytest.raises(InvalidInput) as exc:
        services.order_cancel(order_id=order.pk, actor=world.dispatcher, reason=reason)
    assert "reason" in exc.value.errors
    assert snapshot(order.pk) == before


# --- illegal transitions → 409 ---------------------------------------------------------------

LEGAL_FROM = {
    "dispatch": {State.REPORTED},
    "reassign": {State.DISPATCHED},
    "sign": {State.DISPATCHED},
    "return": {State.DISPATCHED, State.SIGNED},
    "contact": {State.SIGNED},
    "meet": {State.CONTACTED},
    "close": {State.MET},
    "cancel": {State.REPORTED, State.DISPATCHED, State.SIGNED, State.CONTACTED, State.MET},
}
# (how the order is built, the state it is in)
BUILDS = {
    "reported": (State.REPORTED, {}),
    "dispatched": (State.DISPATCHED, {}),
    "signed": (State.SIGNED, {}),
    "contacted": (State.CONTACTED, {}),
    "met": (State.MET, {}),
    "closed": (State.CLOSED, {}),
    "cancelled-after-signing": (State.CANCELLED, {"cancel_from": State.SIGNED}),
    "cancelled-in-queue": (State.CANCELLED, {"cancel_from": State.REPORTED}),
}


def illegal_attempts(build: str):
    """(action, actor attribute) for every action the FSM refuses in this build's state,
    by someone whose role would allow it."""
    state, _kwargs = BUILDS[build]
    in_queue = build in ("reported", "cancelled-in-queue")
    for action in ACTIONS:
        if state in LEGAL_FROM[action]:
            continue
        if action in DISPATCHER_ACTIONS:
            yield action, "dispatcher"
        elif action == "close":
            yield action, "dispatcher" if in_queue else "handler"
        elif not in_queue:  # no lead unit: no handler can see it (tested below)
            yield action, "handler"


def expect(error: type, attempt, what: str):
    """Run ``attempt``; fail, naming ``what``, unless it raises ``error``."""
    try:
        attempt()
    except error as exc:
        return exc
    except Exception as exc:  # noqa: BLE001 - reported with what was tried
        pytest.fail(f"{what}: expected {error.__name__}, got {exc!r}")
    pytest.fail(f"{what}: expected {error.__name__}, but it succeeded")


@pytest.mark.parametrize("build", list(BUILDS))
def test_illegal_transitions_are_conflicts_and_change_nothing(order_in, world, build):
    state, kwargs = BUILDS[build]
    order = order_in(state, **kwargs)
    before = snapshot(order.pk)
    attempts = list(illegal_attempts(build))
    assert attempts
    for action, actor in attempts:
        what = f"{action} by {actor} on a {build} order"
        exc = expect(
            Conflict,
            lambda action=action, actor=actor: act(
                action, order=order, actor=getattr(world, actor), world=world
            ),
            what,
        )
        assert (exc.status_code, exc.state) == (409, state), what
        assert snapshot(order.pk) == before, f"{what} changed the order"


@pytest.mark.parametrize(
    ("state", "action"),
    [
        (State.DISPATCHED, "contact"),  # contact before sign
        (State.SIGNED, "sign"),  # a second sign
        (State.CONTACTED, "close"),  # close before meeting
        (State.SIGNED, "reassign"),
        (State.CLOSED, "cancel"),
    ],
)
def test_conflict_message_names_the_current_state(order_in, world, state, action):
    order = order_in(state)
    actor = world.dispatcher if action in DISPATCHER_ACTIONS else world.handler
    with pytest.raises(Conflict) as exc:
        act(action, order=order, actor=actor, world=world)
    assert exc.value.state == state
    assert str(Order(state=state).get_state_display()) in str(exc.value.message)


def test_second_sign_by_the_same_handler_is_a_conflict(order_in, world):
    order = order_in(State.DISPATCHED, assignee=world.handler)
    services.order_sign(order_id=order.pk, actor=world.handler, now=later(order))
    with pytest.raises(Conflict) as exc:
        services.order_sign(order_id=order.pk, actor=world.handler, now=later(order) + MIN)
    assert exc.value.state == State.SIGNED
    assert OrderEvent.objects.filter(order=order, kind=EventKind.SIGNED).count() == 1


@pytest.mark.parametrize("action", ["sign", "return", "contact", "meet"])
def test_handler_actions_on_an_order_in_the_queue(order_in, world, action):
    """A reported order has no lead unit: to a handler it is out of scope (404), to the
    dispatcher who sees it the action is not theirs (403). Either way nothing changes."""
    order = order_in(State.REPORTED)
    before = snapshot(order.pk)
    with pytest.raises(NotFound):
        act(action, order=order, actor=world.handler, world=world)
    # The dispatcher may return orders (to the queue) but this one is already there.
    with pytest.raises(Conflict if action == "return" else Forbidden):
        act(action, order=order, actor=world.dispatcher, world=world)
    assert snapshot(order.pk) == before


# --- permissions: 403 for visible orders, 404 for the rest -----------------------------------


def test_reporter_cannot_dispatch_or_cancel_its_own_order(order_in, world):
    order = order_in(State.REPORTED)
    before = snapshot(order.pk)
    for action in ("dispatch", "cancel"):
        with pytest.raises(Forbidden) as exc:
            act(action, order=order, actor=world.reporter, world=world)
        assert exc.value.status_code == 403
    assert snapshot(order.pk) == before


@pytest.mark.parametrize("who", ["committee_handler", "committee_head"])
def test_assisting_unit_sees_but_cannot_sign(order_in, world, who):
    order = order_in(State.DISPATCHED, assisting_units=[world.hb_committee])
    actor = getattr(world, who)
    assert orders_visible_to(actor).filter(pk=order.pk).exists()
    before = snapshot(order.pk)
    with pytest.raises(Forbidden):
        act("sign", order=order, actor=actor, world=world)
    assert snapshot(order.pk) == before


@pytest.mark.parametrize("who", ["supervisor", "hb_supervisor"])
@pytest.mark.parametrize("state", [State.REPORTED, State.DISPATCHED, State.MET])
def test_supervisors_are_read_only(order_in, world, who, state):
    order = order_in(state)
    actor = getattr(world, who)
    assert orders_visible_to(actor).filter(pk=order.pk).exists()
    before = snapshot(order.pk)
    for action in [*ACTIONS, "note"]:
        with pytest.raises(Forbidden):
            act(action, order=order, actor=actor, world=world)
    assert snapshot(order.pk) == before


def test_a_superuser_sees_everything_but_acts_through_no_role(order_in, world):
    order = order_in(State.DISPATCHED)
    with pytest.raises(Forbidden):
        act("sign", order=order, actor=world.admin, world=world)


@pytest.mark.parametrize(
    ("who", "state", "action"),
    [
        ("fl_handler", State.DISPATCHED, "sign"),  # another street's unit
        ("labour_handler", State.DISPATCHED, "sign"),  # another unit of the same street
        ("committee_handler", State.SIGNED, "contact"),
        ("fl_dispatcher", State.REPORTED, "dispatch"),  # another street's center
        ("fl_dispatcher", State.DISPATCHED, "reassign"),
        ("fl_dispatcher", State.REPORTED, "cancel"),
        ("other_reporter", State.REPORTED, "note"),  # someone else's report
        ("other_reporter", State.REPORTED, "cancel"),
        ("fl_reporter", State.REPORTED, "note"),
        ("nobody", State.DISPATCHED, "sign"),
        ("nobody", State.REPORTED, "note"),
    ],
)
def test_orders_outside_the_users_scope_are_not_found(order_in, world, who, state, action):
    order = order_in(state)
    before = snapshot(order.pk)
    with pytest.raises(NotFound) as exc:
        act(action, order=order, actor=getattr(world, who), world=world)
    assert exc.value.status_code == 404
    assert snapshot(order.pk) == before


@pytest.mark.parametrize("order_id", [999_999, "abc", None])
def test_a_missing_order_is_not_found(world, order_id):
    with pytest.raises(NotFound):
        services.order_sign(order_id=order_id, actor=world.handler)
    with pytest.raises(NotFound):
        services.order_add_note(order_id=order_id, actor=world.reporter, note="x")


def test_a_named_assignee_is_the_only_handler_who_may_act(order_in, world):
    order = order_in(State.DISPATCHED, assignee=world.handler)
    # Another handler of the same unit sees the order but may not take it.
    assert orders_visible_to(world.handler2).filter(pk=order.pk).exists()
    with pytest.raises(Forbidden):
        act("sign", order=order, actor=world.handler2, world=world)
    with pytest.raises(Forbidden):
        act("return", order=order, actor=world.handler2, world=world)
    services.order_sign(order_id=order.pk, actor=world.handler, now=later(order))
    order.refresh_from_db()
    assert order.state == State.SIGNED and order.assignee == world.handler
    # The unit head may act on any of the unit's orders.
    act("contact", order=order, actor=world.head, world=world)
    order.refresh_from_db()
    assert order.state == State.CONTACTED
    assert order.assignee == world.handler


def test_an_unnamed_order_belongs_to_whoever_signs_it(order_in, world):
    order = order_in(State.DISPATCHED)
    services.order_sign(order_id=order.pk, actor=world.handler2, now=later(order))
    order.refresh_from_db()
    assert order.assignee == world.handler2
    with pytest.raises(Forbidden):
        act("contact", order=order, actor=world.handler, world=world)
    act("contact", order=order, actor=world.handler2, world=world)
    order.refresh_from_db()
    assert order.state == State.CONTACTED


def test_signing_an_order_a_colleague_just_took_is_a_conflict(order_in, world):
    order = order_in(State.DISPATCHED)  # any handler of the station may take it
    services.order_sign(order_id=order.pk, actor=world.handler2, now=later(order))
    with pytest.raises(Conflict) as exc:
        services.order_sign(order_id=order.pk, actor=world.handler, now=later(order) + MIN)
    assert exc.value.state == State.SIGNED


def test_dispatcher_cannot_do_the_handlers_work(order_in, world):
    order = order_in(State.SIGNED)
    for action in ("sign", "contact", "meet"):
        with pytest.raises(Forbidden):
            act(action, order=order, actor=world.dispatcher, world=world)


def test_a_handler_cannot_dispatch_reassign_or_cancel(order_in, world):
    order = order_in(State.DISPATCHED)
    for action in ("reassign", "cancel"):
        with pytest.raises(Forbidden):
            act(action, order=order, actor=world.handler, world=world)


# --- SLA clocks ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("after_dispatch", "on_time"),
    [
        (timedelta(0), True),
        (timedelta(minutes=29, seconds=59), True),
        (timedelta(minutes=30), True),  # exactly at the deadline counts
        (timedelta(minutes=30, seconds=1), False),
        (timedelta(hours=5), False),
    ],
)
def test_sign_on_time_against_the_30_minute_deadline(order_in, world, after_dispatch, on_time):
    order = order_in(State.DISPATCHED)
    assert order.sign_due_at == order.dispatched_at + timedelta(minutes=30)
    services.order_sign(
        order_id=order.pk, actor=world.handler, now=order.dispatched_at + after_dispatch
    )
    order.refresh_from_db()
    assert order.sign_on_time is on_time
    assert last_event(order).data["on_time"] is on_time


@pytest.mark.parametrize(("late_by", "on_time"), [(timedelta(0), True), (SEC, False)])
def test_sign_deadline_with_a_frozen_clock(world, late_by, on_time):
    dispatched = datetime(2026, 11, 10, 1, 0, tzinfo=UTC)
    with time_machine.travel(dispatched - HOUR, tick=False):
        order = world.report()
    with time_machine.travel(dispatched, tick=False):
        services.order_dispatch(
            order_id=order.pk, actor=world.dispatcher, lead_unit_id=world.hb_police.pk
        )
    with time_machine.travel(dispatched + timedelta(minutes=30) + late_by, tick=False):
        services.order_sign(order_id=order.pk, actor=world.handler)
    order.refresh_from_db()
    assert order.dispatched_at == dispatched
    assert order.sign_due_at == dispatched + timedelta(minutes=30)
    assert order.signed_at == dispatched + timedelta(minutes=30) + late_by
    assert order.sign_on_time is on_time


@pytest.mark.parametrize(("late_by", "on_time"), [(timedelta(0), True), (SEC, False)])
def test_contact_is_due_24_hours_after_signing(order_in, world, late_by, on_time):
    order = order_in(State.SIGNED)
    assert order.contact_due_at == order.signed_at + timedelta(hours=24)
    services.order_record_contact(
        order_id=order.pk,
        actor=world.handler,
        method="phone",
        now=order.signed_at + timedelta(hours=24) + late_by,
    )
    order.refresh_from_db()
    assert order.contact_on_time is on_time
    assert last_event(order).data["on_time"] is on_time


@pytest.mark.parametrize(("late_by", "on_time"), [(timedelta(0), True), (SEC, False)])
def test_meeting_is_due_48_hours_after_signing(order_in, world, late_by, on_time):
    order = order_in(State.CONTACTED)
    assert order.meet_due_at == order.signed_at + timedelta(hours=48)
    with time_machine.travel(order.signed_at + timedelta(hours=48) + late_by, tick=False):
        services.order_record_meeting(
            order_id=order.pk, actor=world.handler, place="调解室", participants="双方", result="好"
        )
    order.refresh_from_db()
    assert order.met_at == order.signed_at + timedelta(hours=48) + late_by
    assert order.meet_on_time is on_time


def test_a_late_contact_does_not_make_the_meeting_late(order_in, world):
    order = order_in(State.SIGNED)
    contacted = order.signed_at + timedelta(hours=30)
    services.order_record_contact(
        order_id=order.pk, actor=world.handler, method="phone", now=contacted
    )
    act("meet", order=order, actor=world.handler, world=world, now=contacted + HOUR)
    order.refresh_from_db()
    assert (order.contact_on_time, order.meet_on_time) == (False, True)


SLA_POLICIES = {
    # name: (category code or None, risk level, sign, contact, meet minutes)
    "wages-high": ("wages", RiskLevel.HIGH, 5, 60, 120),
    "wages-any": ("wages", "", 10, 120, 240),
    "any-high": (None, RiskLevel.HIGH, 15, 180, 360),
}


@pytest.mark.parametrize(
    ("policies", "category", "risk", "expected"),
    [
        ([], "wages", RiskLevel.HIGH, (30, 24 * 60, 48 * 60)),
        (["wages-any"], "wages", RiskLevel.LOW, (10, 120, 240)),
        (["wages-any"], "neighbours", RiskLevel.LOW, (30, 24 * 60, 48 * 60)),
        (["any-high"], "neighbours", RiskLevel.HIGH, (15, 180, 360)),
        (["any-high"], "neighbours", RiskLevel.MEDIUM, (30, 24 * 60, 48 * 60)),
        (["wages-high", "wages-any", "any-high"], "wages", RiskLevel.HIGH, (5, 60, 120)),
        (["wages-any", "any-high"], "wages", RiskLevel.HIGH, (10, 120, 240)),
        (["wages-high", "wages-any", "any-high"], "wages", RiskLevel.LOW, (10, 120, 240)),
        (["wages-high", "wages-any", "any-high"], "neighbours", RiskLevel.HIGH, (15, 180, 360)),
    ],
)
def test_the_most_specific_sla_policy_sets_the_clocks(
    order_in, world, policies, category, risk, expected
):
    set_default_sla_policy(sign_minutes=30, contact_minutes=24 * 60, meet_minutes=48 * 60)
    for name in policies:
        code, risk_level, sign, contact, meet = SLA_POLICIES[name]
        SlaPolicyFactory(
            category=CategoryFactory(code=code) if code else None,
            risk_level=risk_level,
            sign_minutes=sign,
            contact_minutes=contact,
            meet_minutes=meet,
        )
    order = order_in(State.SIGNED, category=getattr(world, category), risk_level=risk)
    sign, contact, meet = expected
    assert order.sign_due_at == order.dispatched_at + timedelta(minutes=sign)
    assert order.contact_due_at == order.signed_at + timedelta(minutes=contact)
    assert order.meet_due_at == order.signed_at + timedelta(minutes=meet)
    assert order.sign_limit == timedelta(minutes=sign)


def test_an_edited_default_policy_applies_to_new_clocks(order_in, world):
    set_default_sla_policy(sign_minutes=60, contact_minutes=12 * 60, meet_minutes=36 * 60)
    order = order_in(State.SIGNED)
    assert order.sign_due_at == order.dispatched_at + HOUR
    assert order.contact_due_at == order.signed_at + 12 * HOUR
    assert order.meet_due_at == order.signed_at + 36 * HOUR


def test_a_policy_change_does_not_move_a_running_clock(order_in, world):
    order = order_in(State.DISPATCHED)
    due = order.sign_due_at
    SlaPolicy.objects.update_or_create(
        category=None, risk_level="", defaults={"sign_minutes": 5, "contact_minutes": 60}
    )
    order.refresh_from_db()
    assert order.sign_due_at == due
    # Signed after 10 minutes: on time by the clock that was started, not the new limit.
    services.order_sign(order_id=order.pk, actor=world.handler, now=order.dispatched_at + 10 * MIN)
    order.refresh_from_db()
    assert order.sign_on_time is True
    # The contact clock starts now, from the policy in force now.
    assert order.contact_due_at == order.signed_at + HOUR


# --- timeline and state are tamper-proof -----------------------------------------------------


def test_timeline_events_cannot_be_changed_or_deleted(order_in):
    order = order_in(State.SIGNED)
    before = snapshot(order.pk)
    event = OrderEvent.objects.filter(order=order).first()

    event.note = "改写历史"
    with pytest.raises(TypeError):
        event.save()
    with pytest.raises(TypeError):
        event.delete()
    with pytest.raises(TypeError):
        OrderEvent.objects.filter(order=order).update(note="改写历史")
    with pytest.raises(TypeError):
        OrderEvent.objects.filter(order=order).delete()
    with pytest.raises(TypeError):
        order.events.update(note="改写历史")
    # bulk_update runs inside atomic(savepoint=False); give it a savepoint to spoil.
    with pytest.raises(TypeError), transaction.atomic():
        OrderEvent.objects.bulk_update([event], ["note"])
    assert snapshot(order.pk) == before


def test_an_order_with_a_timeline_cannot_be_deleted(order_in):
    order = order_in(State.REPORTED)
    with pytest.raises(ProtectedError):
        order.delete()
    assert Order.objects.filter(pk=order.pk).exists()


def test_state_cannot_be_assigned_directly(order_in):
    order = order_in(State.DISPATCHED)
    with pytest.raises(AttributeError):
        order.state = State.CLOSED
    order.refresh_from_db()  # still possible: the mixin lifts the guard to reload
    assert order.state == State.DISPATCHED


def test_notifications_commit_with_the_change_and_not_with_a_conflict(
    order_in, world, django_capture_on_commit_callbacks
):
    order = order_in(State.REPORTED)
    with django_capture_on_commit_callbacks() as callbacks:
        act("dispatch", order=order, actor=world.dispatcher, world=world)
    # The committee's handler and head are told; sending waits for the commit.
    told = set(
        Notification.objects.filter(order=order, kind="dispatched").values_list(
            "recipient_id", flat=True
        )
    )
    assert told == {world.committee_handler.pk, world.committee_head.pk}
    assert len(callbacks) >= 1

    count = Notification.objects.count()
    with django_capture_on_commit_callbacks() as callbacks, pytest.raises(Conflict):
        act("dispatch", order=order, actor=world.dispatcher, world=world)
    assert callbacks == []
    assert Notification.objects.count() == count


# --- notes and attachments -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "assisting"),
    [
        ("reporter", False),  # its own report
        ("dispatcher", False),
        ("handler", False),
        ("committee_handler", True),  # an assisting unit
    ],
)
def test_notes_go_on_the_timeline(order_in, world, who, assisting):
    order = order_in(State.SIGNED, assisting_units=[world.hb_committee] if assisting else ())
    at = later(order)
    services.order_add_note(
        order_id=order.pk, actor=getattr(world, who), note=" 当事人情绪稳定 ", now=at
    )
    event = last_event(order)
    assert (event.kind, event.actor, event.at, event.note) == (
        EventKind.NOTE,
        getattr(world, who),
        at,
        "当事人情绪稳定",
    )
    assert (event.from_state, event.to_state) == ("", "")
    order.refresh_from_db()
    assert order.state == State.SIGNED


@pytest.mark.parametrize("state", [State.CLOSED, State.CANCELLED])
def test_notes_may_be_added_after_the_order_ends(order_in, world, state):
    order = order_in(state)
    services.order_add_note(order_id=order.pk, actor=world.reporter, note="回访：满意")
    assert last_event(order).kind == EventKind.NOTE


def test_an_empty_note_without_a_file_is_rejected(order_in, world):
    order = order_in(State.REPORTED)
    before = snapshot(order.pk)
    with pytest.raises(InvalidInput) as exc:
        services.order_add_note(order_id=order.pk, actor=world.reporter, note="  ")
    assert "note" in exc.value.errors
    assert snapshot(order.pk) == before


def test_an_attachment_is_stored_and_recorded(order_in, world, tmp_path):
    order = order_in(State.SIGNED)
    upload = SimpleUploadedFile("协议书.PDF", b"%PDF-1.4 agreement", content_type="application/pdf")
    with override_settings(MEDIA_ROOT=str(tmp_path)):
        services.order_add_note(
            order_id=order.pk, actor=world.handler, note="调解协议", upload=upload, now=later(order)
        )
        attachment = Attachment.objects.get(order=order)
        assert attachment.file.read() == b"%PDF-1.4 agreement"
    assert attachment.original_name == "协议书.PDF"
    assert attachment.size == len(b"%PDF-1.4 agreement")
    assert attachment.uploaded_by == world.handler
    assert (tmp_path / "orders" / str(order.pk) / "协议书.PDF").exists()
    event = last_event(order)
    assert event.kind == EventKind.ATTACHMENT
    assert event.note == "调解协议"
    assert event.data == {"attachment_id": attachment.pk, "name": "协议书.PDF"}


@pytest.mark.parametrize(
    ("name", "size", "code_word"),
    [
        ("virus.exe", 10, ".exe"),
        ("script.html", 10, ".html"),
        ("noextension", 10, None),
        ("photo.jpg", 2049, "2,049 B"),  # just over the 2 KiB limit below
    ],
)
def test_a_disallowed_or_oversized_file_is_rejected(
    order_in, world, tmp_path, name, size, code_word
):
    order = order_in(State.SIGNED)
    before = snapshot(order.pk)
    upload = SimpleUploadedFile(name, b"x" * size)
    small = override_settings(MEDIA_ROOT=str(tmp_path), ATTACHMENT_MAX_BYTES=2048)
    with small, pytest.raises(InvalidInput) as exc:
        services.order_add_note(order_id=order.pk, actor=world.handler, note="附件", upload=upload)
    assert "file" in exc.value.errors
    if code_word:
        assert code_word in " ".join(str(m) for m in exc.value.errors["file"])
    assert snapshot(order.pk) == before
    assert not Attachment.objects.exists()
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == [], "nothing stored"


def test_a_file_at_exactly_the_size_limit_is_accepted(order_in, world, tmp_path):
    order = order_in(State.SIGNED)
    with override_settings(MEDIA_ROOT=str(tmp_path), ATTACHMENT_MAX_BYTES=2048):
        services.order_add_note(
            order_id=order.pk,
            actor=world.handler,
            note="",
            upload=SimpleUploadedFile("photo.jpg", b"\xff\xd8\xff" + b"x" * 2045),
        )
    assert Attachment.objects.get(order=order).size == 2048


def test_the_oversize_message_tells_the_size_apart_from_the_limit(order_in, world, tmp_path):
    order = order_in(State.SIGNED)
    upload = SimpleUploadedFile("photo.jpg", b"x" * (10 * 2**20 + 2**19))  # 10.5 MiB
    ten_mb = override_settings(MEDIA_ROOT=str(tmp_path), ATTACHMENT_MAX_BYTES=10 * 2**20)
    with ten_mb, pytest.raises(InvalidInput) as exc:
        services.order_add_note(order_id=order.pk, actor=world.handler, note="", upload=upload)
    [message] = exc.value.errors["file"]
    size, limit = re.findall(r"\d+(?:\.\d+)?", str(message))[:2]
    assert size != limit, message


# --- ids the database cannot hold are simply not found -----------------------------------


@pytest.mark.parametrize("bad", [0, -1, 2**63, 10**30, "abc", None])
def test_an_impossible_order_id_is_not_found(world, bad):
    with pytest.raises(NotFound):
        services.order_sign(order_id=bad, actor=world.handler)


@pytest.mark.parametrize("bad", [2**63, 10**30, -5])
def test_impossible_unit_ids_are_field_errors(order_in, world, bad):
    order = order_in(State.REPORTED)
    with pytest.raises(InvalidInput) as exc:
        services.order_dispatch(
            order_id=order.pk,
            actor=world.dispatcher,
            lead_unit_id=bad,
            assignee_id=bad,
            assisting_unit_ids=[bad],
        )
    assert "lead_unit" in exc.value.errors and "assisting_units" in exc.value.errors


def test_impossible_category_and_community_ids_are_field_errors(world):
    from tests.factories import report_input

    data = report_input(community=world.zk, category=world.wages)
    data.category_id, data.community_id = 10**30, 2**63
    with pytest.raises(InvalidInput) as exc:
        services.order_report(actor=world.reporter, data=data)
    assert {"category", "community"} <= set(exc.value.errors)
