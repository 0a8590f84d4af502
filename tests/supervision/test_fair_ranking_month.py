"""The fair ranking on a month built by hand: four units of 湖滨 with different volumes,
every order dispatched and signed on 30 November 2026, so that only the sign clock is
judged in November (contact and meeting fall due in December) and each unit's score is
its sign rate (RANKING_PRIOR_CASES 10, RANKING_MIN_CASES 5).

====  =====  =======  ====================  ====================================
unit  cases  on time  score (sign rate)     fair score: (on time + 10·p) ÷ (cases + 10)
====  =====  =======  ====================  ====================================
甲所   30     29       96.7                  (29 + 400/43) ÷ 40 = 1647/1720 = 95.8
乙所   5      5        100.0                 (5 + 400/43) ÷ 15 = 615/645 = 95.3
丁所   6      4        66.7                  (4 + 400/43) ÷ 16 = 572/688 = 83.1
丙所   2      2        100.0                 (2 + 400/43) ÷ 12 = 486/516 = 94.2
====  =====  =======  ====================  ====================================

p, the city's sign rate, is 40/43. 甲 (30 cases at 96.7 %) ranks above 乙 (5 at 100 %);
丙 (2 at 100 %) is listed, not ranked: fewer than 5 cases.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.contrib.auth.models import User

from supervision.bulletins import bulletin_publish
from supervision.models import BulletinStanding
from supervision.reports import monthly_report, report_scope
from tests.factories import UnitFactory, user_with_role
from tests.supervision.conftest import AS_OF, NOVEMBER, local, walk

D = Decimal


@pytest.fixture
def volumes(world):
    start = local(11, 30, 8)
    n = 0
    for name, on_time, late in (("甲所", 29, 1), ("乙所", 5, 0), ("丙所", 2, 0), ("丁所", 4, 2)):
        unit = UnitFactory(police_station=True, name=name, area=world.hb)
        user_with_role("handler", unit, username=f"h{name}")
        for i in range(on_time + late):
            dispatched = start + timedelta(minutes=n)
            n += 1
            walk(
                world,
                reported=dispatched - timedelta(minutes=5),
                lead=unit,
                dispatched=dispatched,
                # The sign clock is 30 minutes: on time at 10, late at 45.
                signed=dispatched + timedelta(minutes=10 if i < on_time else 45),
            )
    return world


def table(report):
    return [(r.rank, r.row.name, r.cases, r.score, r.fair_score) for r in report.ranking]


def test_volume_before_a_perfect_few(volumes):
    report = monthly_report(scope=report_scope(volumes.supervisor), month=NOVEMBER, now=AS_OF)
    assert report.total.as_dict()["sign_on_time"] == 40
    assert report.total.as_dict()["sign_late"] == 3
    assert table(report) == [
        (1, "甲所", 30, D("96.7"), D("95.8")),
        (2, "乙所", 5, D("100.0"), D("95.3")),
        (3, "丁所", 6, D("66.7"), D("83.1")),
        (None, "丙所", 2, D("100.0"), D("94.2")),
    ]


def test_without_shrinkage_the_perfect_few_would_lead(volumes, settings):
    settings.RANKING_PRIOR_CASES = 0
    report = monthly_report(scope=report_scope(volumes.supervisor), month=NOVEMBER, now=AS_OF)
    assert [(r.rank, r.row.name, r.fair_score) for r in report.ranking] == [
        (1, "乙所", D("100.0")),
        (2, "甲所", D("96.7")),
        (3, "丁所", D("66.7")),
        (None, "丙所", D("100.0")),
    ]


def test_the_pages_print_each_units_cases_beside_its_rank(volumes, client):
    client.force_login(volumes.supervisor)
    with time_machine.travel(AS_OF, tick=False):
        html = client.get("/reports/bulletin/?month=2026-11").content.decode()
    rows = [
        ("1", "甲所", "30", "95.8"),
        ("2", "乙所", "5", "95.3"),
        ("3", "丁所", "6", "83.1"),
        ("—", "丙所", "2", "94.2"),
    ]
    at = 0
    for rank, name, cases, fair in rows:
        # In this order, each with its printed rank, case count and fair score.
        at = html.index(f'<td class="num" data-label="排名">{rank}</td>', at)
        row = html[at : html.index("</tr>", at)]
        assert f'<th scope="row" class="name">{name}' in row
        assert f'data-label="案件数">{cases}</td>' in row
        assert f'<td class="num score" data-label="排名得分">{fair}</td>' in row
        at += len(row)
    assert "案件不足 5 件，不参与排名" in html


def test_each_unit_reads_its_rank_out_of_three(volumes, client):
    bulletin_publish(area=volumes.city, month=NOVEMBER, now=AS_OF)
    assert sorted(
        (s.unit.name, s.rank, s.cases) for s in BulletinStanding.objects.select_related("unit")
    ) == [("丁所", 3, 6), ("丙所", None, 2), ("乙所", 2, 5), ("甲所", 1, 30)]
    for username, text in (
        ("h甲所", "第1名（共3个单位参与排名）"),
        ("h丁所", "第3名（共3个单位参与排名）"),
        ("h丙所", "未排名（案件数不足5件）"),
    ):
        client.force_login(User.objects.get(username=username))
        html = client.get("/reports/standing/").content.decode()
        assert text in html, username
