"""A small month built by hand: November 2026 in Asia/Shanghai, with known timestamps
across both month boundaries, late and on-time stages, reviews, return visits,
escalations, grades and a subsidy tier change in the middle of the month.

Every order is walked through ``disputes.services`` with back-dated ``now=`` values.
The expected figures of each test are worked out by hand from the table in
``built_month``'s docstring.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

import pytest
from django.db import transaction
from django.test import override_settings
from django.utils import timezone

from dispatch.models import Area, Unit
from disputes import services
from disputes.models import ContactMethod, Grade, Order, Outcome, Review, SlaPolicy
from disputes.sweep import sla_sweep
from shishi_mediation.text import SHANGHAI
from supervision.models import SubsidyTier
from supervision.reports import Month
from tests.factories import (
    UnitFactory,
    build_world,
    close_jointly,
    first_handler_of,
    report_order,
    user_with_role,
)

NOVEMBER = Month(2026, 11)
OCTOBER = Month(2026, 10)
DECEMBER = Month(2026, 12)


def local(month: int, day: int, hour: int = 0, minute: int = 0, year: int = 2026) -> datetime:
    """An instant given as Asia/Shanghai wall-clock time."""
    return datetime(year, month, day, hour, minute, tzinfo=SHANGHAI)


# The report is read on 5 December 2026 at noon, after the month it assesses.
AS_OF = local(12, 5, 12, 0)


def walk(
    world,
    *,
    reported: datetime,
    community: Area | None = None,
    lead: Unit | None = None,
    dispatched: datetime | None = None,
    signed: datetime | None = None,
    contacted: datetime | None = None,
    met: datetime | None = None,
    closed: datetime | None = None,
    outcome: str = Outcome.MEDIATED,
    grade: str = Grade.ORDINARY,
    cancelled: datetime | None = None,
    before_reassign: datetime | None = None,
    reassign_to: Unit | None = None,
    reassigned: datetime | None = None,
    confirm_grade: bool = True,
) -> Order:
    """An order taken through the services at the given instants, step by step; a
    subsidised case's grade confirmed as proposed at the closing unless
    ``confirm_grade`` is False."""
    community = community or world.zk
    order = report_order(world, community=community, now=reported)
    street = community.parent
    dispatcher = world.dispatcher_for(street)
    if cancelled:
        services.order_cancel(order_id=order.pk, actor=dispatcher, reason="重复", now=cancelled)
        return Order.objects.get(pk=order.pk)
    if dispatched is None:
        return order
    services.order_dispatch(
        order_id=order.pk, actor=dispatcher, lead_unit_id=lead.pk, now=dispatched
    )
    if before_reassign:
        sla_sweep(now=before_reassign)
    if reassign_to:
        services.order_reassign(
            order_id=order.pk, actor=dispatcher, lead_unit_id=reassign_to.pk, now=reassigned
        )
        lead = reassign_to
    handler = first_handler_of(lead)
    if signed:
        services.order_sign(order_id=order.pk, actor=handler, now=signed)
    if contacted:
        services.order_record_contact(
            order_id=order.pk, actor=handler, method=ContactMethod.PHONE, now=contacted
        )
    if met:
        services.order_record_meeting(
            order_id=order.pk,
            actor=handler,
            place="调解室",
            participants="双方当事人",
            result="达成协议",
            now=met,
        )
    if closed:
        close_jointly(
            order,
            handler,
            outcome=outcome,
            summary="结案",
            grade=grade if outcome != Outcome.FAILED else "",
            referral="court" if outcome == Outcome.FAILED else "",
            now=closed,
        )
        closed_order = Order.objects.get(pk=order.pk)
        if confirm_grade and services.subsidised_unit(closed_order) is not None:
            # The center confirms the proposed grade as it closes (以案定补 pays confirmed
            # grades only; tests/supervision/test_reviewed_grades.py reviews them late).
            services.order_grade_review(
                order_id=order.pk,
                actor=world.dispatcher_for(closed_order.street),
                grade=closed_order.grade,
                now=closed,
            )
        if closed_order.referral:
            # The court's 立案 is recorded as it closes, which follows the referral up on
            # time (移交跟踪; tests/supervision/test_referral_figures.py follows them late).
            services.order_record_referral_result(
                order_id=order.pk,
                actor=handler,
                body="石狮市人民法院",
                case_number="(2026)闽0581民初1号",
                outcome="accepted",
                decided_on=timezone.localdate(closed),
                now=closed,
            )
    return Order.objects.get(pk=order.pk)


def review(order: Order, rating: str, at: datetime) -> None:
    """The next unused review link of the order, rated at ``at``."""
    token = Review.objects.filter(order=order, submitted_at__isnull=True).order_by("pk")[0].token
    services.review_submit(token=token, rating=rating, now=at)


def visit(order: Order, actor, at: datetime) -> None:
    services.order_record_return_visit(
        order_id=order.pk, actor=actor, satisfied=True, visited_at=at, now=at
    )


@dataclass
class BuiltMonth:
    world: object
    orders: dict[str, Order]
    sg: Area
    sg_committee: Unit
    fl_committee: Unit
    sg_head: object


# Later than any month these tests read: 10 years, in minutes.
FAR_MINUTES = 10 * 365 * 24 * 60


@pytest.fixture
def visits_due_later(settings):
    """Return visits (回访) fall due 10 years after closing (a second visit after a bad
    review too), none on a red order's extra days: the months built here predate
    scheduled visits, and their figures (stage, duty and escalation counts) stay as
    worked out by hand. Visits recorded still meet them (on time).
    tests/supervision/test_return_visit_figures.py builds a month of visits due."""
    settings.RETURN_VISIT_RED_DAYS = ()
    settings.RETURN_VISIT_SECOND_DAYS = FAR_MINUTES // (24 * 60)
    SlaPolicy.objects.update(visit_minutes=FAR_MINUTES)


@pytest.fixture(scope="module")
def month_snapshot(django_db_setup, django_db_blocker) -> BuiltMonth:
    """``built_month`` built once for a whole module, inside a transaction rolled back
    when the module ends; each test runs in a savepoint of it, as usual, and gets its own
    copy of the objects. A module opts in with ``pytest.mark.usefixtures("month_snapshot")``
    when all its tests can see the month (building it took about 5 s per test). The
    suite's autouse settings are set here by hand: function-scoped fixtures do not reach
    a module's setup."""
    with django_db_blocker.unblock(), transaction.atomic():
        with override_settings(
            PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
            RADAR_AT_REPORT=False,
            RETURN_VISIT_RED_DAYS=(),
            RETURN_VISIT_SECOND_DAYS=FAR_MINUTES // (24 * 60),
        ):
            SlaPolicy.objects.update(visit_minutes=FAR_MINUTES)
            month = _build_month(build_world())
        yield month
        transaction.set_rollback(True)


@pytest.fixture
def world(request, db):
    """The city of ``tests/conftest.py``; in a module that opts in to ``month_snapshot``,
    the one its month was built in."""
    if "month_snapshot" in request.fixturenames:
        return request.getfixturevalue("built_month").world
    return build_world()


@pytest.fixture
def built_month(request, db, visits_due_later) -> BuiltMonth:
    """The month below, built for the test, or a copy of the module's ``month_snapshot``."""
    if "month_snapshot" in request.fixturenames:
        return copy.deepcopy(request.getfixturevalue("month_snapshot"))
    return _build_month(request.getfixturevalue("world"))


def _build_month(world) -> BuiltMonth:
    """November 2026 (all times Asia/Shanghai; durations in minutes from the clock start).

    ===  =======  =========  =============================================================
    id   street   lead       what happens
    ===  =======  =========  =============================================================
    A    HB       police     reported 10-31 23:30 (October), dispatched 10-31 23:40; sign
                             due 11-01 00:10, signed 00:05 on time (25); contact 600 on
                             time; meet 2160 on time; closed 11-03 mediated/ordinary;
                             reviews good 11-04, bad 11-05; return visit 11-10
    B    HB       police     reported 11-01 00:10; sign 60 late; contact 2880 late; meet
                             2940 late; closed 11-05 failed; review bad 11-06
    C    HB       committee  sign 15, contact 100, meet 1440, all on time; closed 11-14
                             mediated/simple; reviews good, good 11-15
    D    HB       committee  sign 40 late; contact 135; meet 1440; closed 11-16 00:30
                             mediated/complex (the new complex rate starts 11-16)
    E    HB       committee  sign 20, contact 60, meet 1440; closed 11-15 16:00
                             mediated/complex (old rate)
    F    HB       committee  sign 5, contact 60, meet 1440; closed 11-30 23:50
                             mediated/simple; review good 12-02, visit 12-03 (December)
    G    HB       committee  sign 10, contact 120, meet 1440; closed 12-01 00:05
                             (December) mediated/ordinary
    H    HB       committee  sign 25, contact 720, meet 2880 = exactly at the due time;
                             closed 11-25 partly mediated/ordinary
    M    HB       police →   dispatched 11-22 10:05 to police; a sweep at 10:45 raises a
                  labour     warning and level 1 against police; reassigned 10:50 to
                             labour (escalations resolved), signed 11:00 (10, on time);
                             contact 240; meet 2880 = at due; closed 11-26 mediated/major;
                             return visit 11-27 by labour
    J    FL       fl police  sign 10, contact 160 on time; never met (meet due 11-07)
    I    HB (SG)  labour     dispatched 11-28 10:00, never signed (sign due 10:30)
    N    HB       police     dispatched 11-30 20:00, signed 20:10 (10); contact due
                             12-01 20:10 (December), not contacted
    R    HB (SG)  sg cttee   sign 15, contact 60, meet 100; closed 11-19 mediated/major
    K    HB (SG)  —          reported 11-20, still in the dispatch queue
    L    HB       —          reported 11-21, cancelled as a duplicate
    P    HB       police     October: signed and contacted on time, met late, closed
                             10-15 mediated/ordinary
    Q    HB       committee  October: sign late, contact and meet on time, closed 10-22
                             failed; review good 10-23
    ===  =======  =========  =============================================================

    Sweeps at 11-28 11:30 (raises I's sign warning/L1/L2 and J's meet warning/L1/L2,
    open at the month's end) and 12-03 12:00 (raises N's, in December).

    Subsidy tiers: the seeded 2024-01-01 rates (simple 50, ordinary 100, complex 200,
    major 500), complex 300 from 2026-11-16, ordinary 120 from 2026-12-01.
    """
    w = world
    sg_committee = UnitFactory(
        mediation_committee=True, name="石光社区人民调解委员会", area=w.sg, covered_areas=[w.sg]
    )
    sg_head = user_with_role("unit_head", sg_committee, username="sg_head", first_name="陈主任")
    fl_committee = UnitFactory(
        mediation_committee=True, name="凤里社区人民调解委员会", area=w.fl_community
    )
    SubsidyTier.objects.create(
        grade=Grade.COMPLEX, amount=Decimal("300"), effective_from=date(2026, 11, 16)
    )
    SubsidyTier.objects.create(
        grade=Grade.ORDINARY, amount=Decimal("120"), effective_from=date(2026, 12, 1)
    )

    police, committee, labour = w.hb_police, w.hb_committee, w.hb_labour
    o = {}
    o["A"] = walk(
        w,
        reported=local(10, 31, 23, 30),
        lead=police,
        dispatched=local(10, 31, 23, 40),
        signed=local(11, 1, 0, 5),
        contacted=local(11, 1, 10, 5),
        met=local(11, 2, 12, 5),
        closed=local(11, 3, 9, 0),
    )
    o["B"] = walk(
        w,
        reported=local(11, 1, 0, 10),
        lead=police,
        dispatched=local(11, 1, 0, 20),
        signed=local(11, 1, 1, 20),
        contacted=local(11, 3, 1, 20),
        met=local(11, 3, 2, 20),
        closed=local(11, 5, 10, 0),
        outcome=Outcome.FAILED,
    )
    o["C"] = walk(
        w,
        reported=local(11, 10, 9),
        lead=committee,
        dispatched=local(11, 10, 9, 5),
        signed=local(11, 10, 9, 20),
        contacted=local(11, 10, 11, 0),
        met=local(11, 11, 9, 20),
        closed=local(11, 14, 10),
        grade=Grade.SIMPLE,
    )
    o["D"] = walk(
        w,
        reported=local(11, 12, 9),
        lead=committee,
        dispatched=local(11, 12, 9, 5),
        signed=local(11, 12, 9, 45),
        contacted=local(11, 12, 12, 0),
        met=local(11, 13, 9, 45),
        closed=local(11, 16, 0, 30),
        grade=Grade.COMPLEX,
    )
    o["E"] = walk(
        w,
        reported=local(11, 13, 9),
        lead=committee,
        dispatched=local(11, 13, 9, 5),
        signed=local(11, 13, 9, 25),
        contacted=local(11, 13, 10, 25),
        met=local(11, 14, 9, 25),
        closed=local(11, 15, 16),
        grade=Grade.COMPLEX,
    )
    o["F"] = walk(
        w,
        reported=local(11, 27, 9),
        lead=committee,
        dispatched=local(11, 27, 9, 5),
        signed=local(11, 27, 9, 10),
        contacted=local(11, 27, 10, 10),
        met=local(11, 28, 9, 10),
        closed=local(11, 30, 23, 50),
        grade=Grade.SIMPLE,
    )
    o["G"] = walk(
        w,
        reported=local(11, 28, 9),
        lead=committee,
        dispatched=local(11, 28, 9, 5),
        signed=local(11, 28, 9, 15),
        contacted=local(11, 28, 11, 15),
        met=local(11, 29, 9, 15),
        closed=local(12, 1, 0, 5),
    )
    o["H"] = walk(
        w,
        reported=local(11, 18, 9),
        lead=committee,
        dispatched=local(11, 18, 9, 5),
        signed=local(11, 18, 9, 30),
        contacted=local(11, 18, 21, 30),
        met=local(11, 20, 9, 30),
        closed=local(11, 25, 10),
        outcome=Outcome.PARTLY_MEDIATED,
    )
    o["M"] = walk(
        w,
        reported=local(11, 22, 10),
        lead=police,
        dispatched=local(11, 22, 10, 5),
        before_reassign=local(11, 22, 10, 45),
        reassign_to=labour,
        reassigned=local(11, 22, 10, 50),
        signed=local(11, 22, 11, 0),
        contacted=local(11, 22, 15, 0),
        met=local(11, 24, 11, 0),
        closed=local(11, 26, 10),
        grade=Grade.MAJOR,
    )
    o["J"] = walk(
        w,
        reported=local(11, 5, 9),
        community=w.fl_community,
        lead=w.fl_police,
        dispatched=local(11, 5, 9, 10),
        signed=local(11, 5, 9, 20),
        contacted=local(11, 5, 12, 0),
    )
    o["I"] = walk(
        w,
        reported=local(11, 28, 9, 30),
        community=w.sg,
        lead=labour,
        dispatched=local(11, 28, 10, 0),
    )
    o["N"] = walk(
        w,
        reported=local(11, 30, 19, 50),
        lead=police,
        dispatched=local(11, 30, 20, 0),
        signed=local(11, 30, 20, 10),
    )
    o["R"] = walk(
        w,
        reported=local(11, 19, 8),
        community=w.sg,
        lead=sg_committee,
        dispatched=local(11, 19, 8, 5),
        signed=local(11, 19, 8, 20),
        contacted=local(11, 19, 9, 20),
        met=local(11, 19, 10, 0),
        closed=local(11, 19, 16),
        grade=Grade.MAJOR,
    )
    o["K"] = walk(w, reported=local(11, 20, 9), community=w.sg)
    o["L"] = walk(w, reported=local(11, 21, 9), cancelled=local(11, 21, 9, 30))
    o["P"] = walk(
        w,
        reported=local(10, 10, 9),
        lead=police,
        dispatched=local(10, 10, 9, 5),
        signed=local(10, 10, 9, 20),
        contacted=local(10, 10, 12, 0),
        met=local(10, 13, 9, 20),
        closed=local(10, 15, 10),
    )
    o["Q"] = walk(
        w,
        reported=local(10, 20, 9),
        lead=committee,
        dispatched=local(10, 20, 9, 5),
        signed=local(10, 20, 9, 50),
        contacted=local(10, 20, 11, 0),
        met=local(10, 21, 9, 0),
        closed=local(10, 22, 10),
        outcome=Outcome.FAILED,
    )

    review(o["A"], "good", local(11, 4, 10))
    review(o["A"], "bad", local(11, 5, 10))
    review(o["B"], "bad", local(11, 6, 10))
    review(o["C"], "good", local(11, 15, 10))
    review(o["C"], "good", local(11, 15, 11))
    review(o["F"], "good", local(12, 2, 10))
    review(o["Q"], "good", local(10, 23, 10))
    visit(o["A"], w.handler, local(11, 10, 15))
    visit(o["M"], w.labour_handler, local(11, 27, 15))
    visit(o["F"], w.committee_handler, local(12, 3, 15))

    sla_sweep(now=local(11, 28, 11, 30))
    sla_sweep(now=local(12, 3, 12, 0))
    return BuiltMonth(
        world=w,
        orders=o,
        sg=w.sg,
        sg_committee=sg_committee,
        fl_committee=fl_committee,
        sg_head=sg_head,
    )
