"""培训 in the monthly report and the bulletin: November 2026 built by hand.

S1 湖滨 11-05 14:00–16:30 (2.5 h), by the center: 张警官 and police2 of 湖滨派出所 and the
   committee's mediator attend, the station's head is absent, 曾坑居委会 brings 10 people
   without a login.
S2 湖滨 11-30 23:00–23:30 (0.5 h; the last evening of the month, Asia/Shanghai): 张警官.
S3 湖滨 12-01 00:00, 1 h: 张警官 (December's).  S4 湖滨 10-31 20:00, 2 h: 张警官 (October's).
S5 凤里 11-12, 3 h, by 凤里's center: its officer, and 凤里派出所 brings 4 more.
S6 the city 11-20, 1.5 h, by the city's supervision group: 张警官 and 凤里's officer.
"""

from datetime import date, time
from decimal import Decimal

import pytest

from supervision.reports import Month, report_scope, training_figures
from training.models import Attendance
from training.services import AttendeeInput, HeadcountInput, SessionInput, session_create

NOV = Month(2026, 11)


def session(world, actor, **kwargs):
    data = {
        "topic": "培训",
        "kind": "business",
        "trainer_name": "讲师",
        "organizer_id": world.hb_center.pk,
        "area_id": world.hb.pk,
        "headcounts": [],
    } | kwargs
    return session_create(actor=actor, data=SessionInput(**data))


@pytest.fixture
def november(world):
    w = world
    attend = AttendeeInput
    session(
        w,
        w.dispatcher,
        date=date(2026, 11, 5),
        start_time=time(14, 0),
        end_time=time(16, 30),
        attendance=[
            attend(w.handler.pk),
            attend(w.handler2.pk),
            attend(w.committee_handler.pk),
            attend(w.head.pk, status=Attendance.Status.ABSENT),
        ],
        headcounts=[HeadcountInput(w.zk_residents.pk, 10)],
    )
    session(
        w,
        w.dispatcher,
        date=date(2026, 11, 30),
        start_time=time(23, 0),
        end_time=time(23, 30),
        attendance=[attend(w.handler.pk)],
    )
    session(
        w,
        w.dispatcher,
        date=date(2026, 12, 1),
        start_time=time(0, 0),
        hours=Decimal("1"),
        attendance=[attend(w.handler.pk)],
    )
    session(
        w,
        w.dispatcher,
        date=date(2026, 10, 31),
        start_time=time(20, 0),
        end_time=time(22, 0),
        attendance=[attend(w.handler.pk)],
    )
    session(
        w,
        w.fl_dispatcher,
        date=date(2026, 11, 12),
        hours=Decimal("3"),
        organizer_id=w.fl_center.pk,
        area_id=w.fl.pk,
        attendance=[attend(w.fl_handler.pk)],
        headcounts=[HeadcountInput(w.fl_police.pk, 4)],
    )
    session(
        w,
        w.supervisor,
        date=date(2026, 11, 20),
        hours=Decimal("1.5"),
        organizer_id=w.city_supervision.pk,
        area_id=w.city.pk,
        attendance=[attend(w.handler.pk), attend(w.fl_handler.pk)],
    )


def units(section) -> dict:
    return {r.name: (r.organised, r.people, r.attendances, r.hours) for r in section.units}


def test_the_city_in_november(world, november):
    t = training_figures(scope=report_scope(world.supervisor), month=NOV)
    assert (t.sessions, t.session_hours) == (4, Decimal("7.50"))  # S1, S2, S5, S6
    assert units(t) == {
        # name: (organised, people, 人次, 学时)
        "湖滨街道多元调处中心": (2, 0, 0, Decimal("0")),
        "湖滨派出所": (0, 2, 4, Decimal("7.00")),  # 2.5 × 2 + 0.5 + 1.5; the head was absent
        "曾坑社区人民调解委员会": (0, 1, 1, Decimal("2.50")),
        "曾坑社区居委会": (0, 0, 10, Decimal("25.00")),  # 10 people × 2.5 h
        "凤里街道多元调处中心": (1, 0, 0, Decimal("0")),
        "凤里派出所": (0, 1, 6, Decimal("16.50")),  # 3 × (1 + 4) + 1.5
        "石狮市督导组": (1, 0, 0, Decimal("0")),
    }
    total = t.total
    assert (total.organised, total.people, total.attendances, total.hours) == (
        4,
        4,
        21,
        Decimal("51.00"),
    )
    people = {(p.name, p.unit): (p.sessions, p.hours) for p in t.people}
    assert people == {
        ("张警官", "湖滨派出所"): (3, Decimal("4.50")),  # S1 2.5 + S2 0.5 + S6 1.5
        ("police2", "湖滨派出所"): (1, Decimal("2.50")),
        ("committee", "曾坑社区人民调解委员会"): (1, Decimal("2.50")),
        ("fl_police", "凤里派出所"): (2, Decimal("4.50")),
    }
    assert t.people_count == 4
    assert {p.name for p in t.people[:2]} == {"张警官", "fl_police"}  # most hours first


def test_the_last_evening_counts_in_its_month_and_the_first_minute_in_the_next(world, november):
    scope = report_scope(world.hb_supervisor)
    dec = training_figures(scope=scope, month=Month(2026, 12))
    oct_ = training_figures(scope=scope, month=Month(2026, 10))
    assert (dec.sessions, units(dec)["湖滨派出所"]) == (1, (0, 1, 1, Decimal("1.00")))
    assert (oct_.sessions, units(oct_)["湖滨派出所"]) == (1, (0, 1, 1, Decimal("2.00")))


def test_a_street_supervisor_sees_its_streets_units(world, november):
    t = training_figures(scope=report_scope(world.hb_supervisor), month=NOV)
    assert (t.sessions, t.session_hours) == (2, Decimal("3.00"))  # S1, S2 (S6 is the city's)
    assert units(t) == {
        "湖滨街道多元调处中心": (2, 0, 0, Decimal("0")),
        "湖滨派出所": (0, 2, 4, Decimal("7.00")),  # S6 counts: the unit's people trained
        "曾坑社区人民调解委员会": (0, 1, 1, Decimal("2.50")),
        "曾坑社区居委会": (0, 0, 10, Decimal("25.00")),
    }
    assert (t.total.attendances, t.total.hours) == (15, Decimal("34.50"))


def test_the_report_page_and_the_bulletin_show_the_hours_per_unit(client, world, november):
    client.force_login(world.supervisor)
    for url in ("/reports/monthly/", "/reports/bulletin/"):
        r = client.get(url, {"month": "2026-11"})
        assert r.status_code == 200
        html = r.content.decode()
        section = html[html.index('id="training"') :]
        row = section[section.index(f'data-unit="{world.fl_police.pk}"') :]
        row = row[: row.index("</tr>")]
        assert '<td class="num col-hours">16.50</td>' in row
        assert '<td class="num col-attendances">6</td>' in row
        total = section[section.index("training-total") :]
        assert '<td class="num col-hours">51.00</td>' in total[: total.index("</tr>")]


def test_an_empty_month(world):
    t = training_figures(scope=report_scope(world.supervisor), month=NOV)
    assert (t.sessions, t.units, t.total.hours, t.people) == (0, [], Decimal("0"), [])
