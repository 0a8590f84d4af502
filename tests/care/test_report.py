"""The care section of the monthly report, for a month built by hand (November 2026,
Asia/Shanghai), with exact figures."""

from datetime import date, datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from care.models import AidKind, CareKind
from care.services import care_aid_record, care_subject_set_active, care_visit_record
from shishi_mediation.text import SHANGHAI
from supervision.reports import Month, care_figures, report_scope

pytestmark = pytest.mark.django_db

NOVEMBER = Month(2026, 11)
LATER = datetime(2026, 12, 7, 12, 0, tzinfo=SHANGHAI)


def at(month: int, day: int, hour: int = 10) -> datetime:
    return datetime(2026, month, day, hour, 0, tzinfo=SHANGHAI)


@pytest.fixture
def november(world, register):
    h = world.handler

    def subject(name, kind, when, community=None):
        return register(name=name, kind=kind, now=when, community=community, phone="", id_number="")

    def visit(s, when):
        return care_visit_record(
            actor=h, subject_id=s.pk, visited_at=when, condition="好", now=LATER
        )

    a = subject("甲", CareKind.ELDERLY_ALONE, at(10, 1))  # due 10-31
    visit(a, at(11, 5))  # late; next due 12-05
    visit(a, at(11, 20))  # on time; next due 12-20
    subject("乙", CareKind.ELDERLY_ALONE, at(10, 20))  # due 11-19, never visited: overdue
    c = subject("丙", CareKind.MENTAL_ILLNESS, at(11, 10))  # 14 days: due 11-24 10:00
    visit(c, at(11, 24))  # at the due time itself: on time
    d = subject("丁", CareKind.DISABLED, at(11, 15), community=world.sg)
    care_aid_record(
        actor=h,
        subject_id=d.pk,
        kind=AidKind.HOSPITAL,
        given_on=date(2026, 11, 16),
        amount=Decimal("2000"),
        now=LATER,
    )
    care_aid_record(
        actor=h,
        subject_id=d.pk,
        kind=AidKind.FUNDRAISING,
        given_on=date(2026, 11, 30),
        amount=Decimal("500.50"),
        now=LATER,
    )
    care_aid_record(
        actor=h, subject_id=d.pk, kind=AidKind.CIVIL_AFFAIRS, given_on=date(2026, 12, 1), now=LATER
    )  # December
    register(
        name="戊",
        kind=CareKind.HARDSHIP,
        now=at(11, 1),
        community=world.fl_community,
        actor=world.fl_handler,
        phone="",
        id_number="",
    )  # due 12-01 10:00: not yet
    subject("己", CareKind.ELDERLY_ALONE, at(12, 2))  # registered after the month
    g = subject("庚", CareKind.ELDERLY_ALONE, at(10, 1))
    care_subject_set_active(
        actor=h, subject_id=g.pk, active=False, now=at(10, 15)
    )  # off the register


def figures_of(care):
    return {
        r.name: (
            r.by_kind,
            r.subjects,
            r.visits,
            r.on_time,
            r.late,
            r.overdue,
            r.aids,
            r.amount,
        )
        for r in [*care.communities, care.total]
    }


def kinds(**n):
    return {k: n.get(k, 0) for k in CareKind.values}


def test_november_by_hand(world, november):
    care = care_figures(scope=report_scope(world.supervisor), month=NOVEMBER, now=LATER)
    assert figures_of(care) == {
        "曾坑社区": (kinds(elderly_alone=2, mental_illness=1), 3, 3, 2, 1, 1, 0, Decimal("0.00")),
        "石光社区": (kinds(disabled=1), 1, 0, 0, 0, 0, 2, Decimal("2500.50")),
        "凤里社区": (kinds(hardship=1), 1, 0, 0, 0, 0, 0, Decimal("0.00")),
        "合计": (
            kinds(elderly_alone=2, mental_illness=1, disabled=1, hardship=1),
            5,
            3,
            2,
            1,
            1,
            2,
            Decimal("2500.50"),
        ),
    }
    hb = care_figures(scope=report_scope(world.hb_supervisor), month=NOVEMBER, now=LATER)
    assert [r.name for r in hb.communities] == ["石光社区", "曾坑社区"]  # by area path
    assert hb.total.subjects == 4


def test_overdue_is_counted_at_the_months_end_or_now(world, november):
    # On 19 November at 10:00 乙's clock is due, not yet past: nobody is overdue.
    scope = report_scope(world.supervisor)
    assert care_figures(scope=scope, month=NOVEMBER, now=at(11, 19)).total.overdue == 0
    assert care_figures(scope=scope, month=NOVEMBER, now=at(11, 19, 11)).total.overdue == 1


def test_the_report_page_shows_counts_and_no_names(client, world, november):
    client.force_login(world.supervisor)
    page = client.get(reverse("reports:monthly"), {"month": "2026-11"}).content.decode()
    section = page[page.index('id="care"') :]
    section = section[: section.index("</section>")]
    assert "2500.50" in section and "曾坑社区" in section
    for name in ("甲", "乙", "丙", "丁", "戊"):
        assert name not in section
