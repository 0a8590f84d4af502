"""位置采集 (docs/REPORTS.md, "Located reports"): a month built by hand.

November 2026 (Asia/Shanghai):
  湖滨 曾坑  11-01 00:00 gps · 11-15 picked · 11-30 23:59 none;  石光 11-10 gps
  凤里 凤里社区  11-12 none · 11-20 picked
  outside the month: 湖滨 10-31 23:59 gps, 湖滨 12-01 00:00 picked
→ 湖滨 4 reported, 3 located (2 gps, 1 picked), 75.0 %; 凤里 2, 1 (0, 1), 50.0 %;
  total 6, 4 (2, 2), 66.7 %.
"""

from datetime import datetime
from decimal import Decimal

import pytest

from shishi_mediation.text import SHANGHAI
from supervision.reports import Month, location_figures, report_scope
from tests.factories import report_order

pytestmark = pytest.mark.django_db

NOVEMBER = Month(2026, 11)
GPS = {"latitude": 24.748, "longitude": 118.655, "location_source": "gps"}
PICKED = {"latitude": 24.737, "longitude": 118.621, "location_source": "picked"}


def at(month, day, hour=0, minute=0):
    return datetime(2026, month, day, hour, minute, tzinfo=SHANGHAI)


@pytest.fixture
def month(world):
    report_order(world, now=at(11, 1), **GPS)
    report_order(world, now=at(11, 15, 10), **PICKED)
    report_order(world, now=at(11, 30, 23, 59))
    report_order(world, community=world.sg, now=at(11, 10, 9), **GPS)
    report_order(world, community=world.fl_community, now=at(11, 12, 9))
    report_order(world, community=world.fl_community, now=at(11, 20, 9), **PICKED)
    report_order(world, now=at(10, 31, 23, 59), **GPS)
    report_order(world, now=at(12, 1), **PICKED)


def rows(figures):
    return [
        (r.name, r.reported, r.located, r.gps, r.picked, r.located_rate)
        for r in [*figures.streets, figures.total]
    ]


def test_the_city_sees_each_street_and_the_total(world, month, django_assert_max_num_queries):
    scope = report_scope(world.supervisor)
    with django_assert_max_num_queries(1):
        figures = location_figures(scope=scope, month=NOVEMBER)
    assert rows(figures) == [  # the streets in the area tree's order (SS/FL/, SS/HB/)
        ("凤里街道", 2, 1, 0, 1, Decimal("50.0")),
        ("湖滨街道", 4, 3, 2, 1, Decimal("75.0")),
        ("合计", 6, 4, 2, 2, Decimal("66.7")),
    ]


def test_a_street_supervisor_sees_its_street(world, month):
    figures = location_figures(scope=report_scope(world.hb_supervisor), month=NOVEMBER)
    assert rows(figures) == [
        ("湖滨街道", 4, 3, 2, 1, Decimal("75.0")),
        ("合计", 4, 3, 2, 1, Decimal("75.0")),
    ]


def test_a_month_without_reports_has_no_rate(world, month):
    figures = location_figures(scope=report_scope(world.supervisor), month=Month(2026, 9))
    assert figures.streets == [] and figures.total.located_rate is None


def test_the_monthly_page_shows_the_section(client, world, month):
    client.force_login(world.supervisor)
    html = client.get("/reports/monthly/", {"month": "2026-11"}).content.decode()
    assert 'id="locations"' in html and "位置采集" in html
    assert (
        '<tr class="row-total locations-total"><th scope="row" class="name">合计</th>'
        '<td class="num col-reported">6</td><td class="num col-located">4</td>'
        '<td class="num col-gps">2</td><td class="num col-picked">2</td>'
        '<td class="num col-rate">66.7</td></tr>'
    ) in html
    assert 'href="/map/?month=2026-11"' in html
