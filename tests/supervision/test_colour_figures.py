"""红色 / 黄色 / 绿色报单数: the orders received in the month by colour grade, per unit,
street and in total; they add up to 报单数.

The month, by hand (November 2026, Asia/Shanghai):

* R1 high risk (red) in 曾坑 (湖滨), reported 11-03 09:00, dispatched to 湖滨派出所 with
  HB's 包案 leader, reviewed and closed (``order_in_state``);
* Y1 low risk with a party living alone (yellow) in 曾坑, reported 11-10 09:00, dispatched
  to 湖滨派出所 (open);
* Y2 medium risk (yellow) in 凤里, reported 11-12 09:00, waiting in the queue;
* G2 green in 曾坑, reported 11-15 09:00, recoloured red by the dispatcher (not dispatched);
* C green in 曾坑, reported 11-20 09:00 and cancelled a minute later;
* G1 green in 曾坑, reported 11-30 23:50;
* G0 green in 曾坑, reported 10-31 23:50: October's;
* S high risk (red) settled on the spot on 11-05: 就地化解, not received.

November: received 6 = red 2 (R1, G2) + yellow 2 (Y1, Y2) + green 2 (C, G1).
湖滨: red 2, yellow 1, green 2; 凤里: yellow 1. 湖滨派出所: red 1 (R1), yellow 1 (Y1);
（未派单）: red 1 (G2), yellow 1 (Y2), green 2 (C, G1). October: green 1 (G0).
"""

import pytest

from disputes import services
from supervision.models import MonthlyRollup
from supervision.reports import COUNT_FIELDS, monthly_report, report_scope
from supervision.rollups import rollups_refresh
from tests.factories import party_input, report_input, report_order, street_leader
from tests.supervision.conftest import AS_OF, NOVEMBER, OCTOBER, local

pytestmark = pytest.mark.django_db

COLOURS = ("received_red", "received_yellow", "received_green")


@pytest.fixture
def month(world, visits_due_later):
    world.order("closed", risk_level="high", start=local(11, 3, 9))
    world.order("dispatched", start=local(11, 10, 9), parties=[party_input(is_elderly_alone=True)])
    report_order(
        world,
        now=local(11, 12, 9),
        risk_level="medium",
        community=world.fl_community,
        actor=world.fl_reporter,
    )
    g2 = report_order(world, now=local(11, 15, 9))
    services.order_recolour(
        order_id=g2.pk,
        actor=world.dispatcher,
        colour="red",
        reason="扬言报复",
        case_leader_id=street_leader(world.hb).pk,
        now=local(11, 15, 9, 10),
    )
    world.order("cancelled", start=local(11, 20, 9))
    report_order(world, now=local(11, 30, 23, 50))
    report_order(world, now=local(10, 31, 23, 50))
    services.order_settle_on_the_spot(
        actor=world.reporter,
        data=report_input(community=world.zk, category=world.wages, risk_level="high"),
        summary="当场和解。",
        now=local(11, 5, 10),
    )
    return world


def by_colour(rows) -> dict:
    return {
        r.name: {k: r.figures.counts[k] for k in ("received", *COLOURS) if r.figures.counts[k]}
        for r in rows
    }


def figures_of(world, month):
    report = monthly_report(scope=report_scope(world.supervisor), month=month, now=AS_OF)
    return by_colour([report.total]), by_colour(report.streets), by_colour(report.units)


def test_received_by_colour_per_unit_street_and_total(month):
    total, streets, units = figures_of(month, NOVEMBER)
    assert list(total.values()) == [
        {"received": 6, "received_red": 2, "received_yellow": 2, "received_green": 2}
    ]
    assert streets == {
        "湖滨街道": {"received": 5, "received_red": 2, "received_yellow": 1, "received_green": 2},
        "凤里街道": {"received": 1, "received_yellow": 1},
    }
    assert units == {
        "湖滨派出所": {"received": 2, "received_red": 1, "received_yellow": 1},
        "（未派单）": {"received": 4, "received_red": 1, "received_yellow": 1, "received_green": 2},
    }
    october_total, _streets, _units = figures_of(month, OCTOBER)
    assert list(october_total.values()) == [{"received": 1, "received_green": 1}]


def test_the_roll_up_holds_them_and_adds_up_with_the_live_part(month):
    live = figures_of(month, NOVEMBER)
    # Settled before the cutoff: R1 (closed 11-04). C was cancelled after it: live.
    rollups_refresh(now=local(11, 20))
    rolled = {k: sum(getattr(r, k) for r in MonthlyRollup.objects.all()) for k in COLOURS}
    assert rolled == {"received_red": 1, "received_yellow": 0, "received_green": 0}
    assert figures_of(month, NOVEMBER) == live
    assert all(k in COUNT_FIELDS for k in COLOURS)


def test_the_page_and_the_csv_show_them(month, client):
    client.force_login(month.supervisor)
    page = client.get("/reports/monthly/?month=2026-11")
    assert page.status_code == 200 and "按颜色报单" in page.content.decode()
    csv = client.get("/reports/monthly/?month=2026-11&format=csv")
    lines = csv.content.decode("utf-8-sig").splitlines()
    header = lines[0].split(",")
    total = next(line.split(",") for line in lines[1:] if "合计" in line)
    assert [total[header.index(h)] for h in ("红色报单数", "黄色报单数", "绿色报单数")] == [
        "2",
        "2",
        "2",
    ]
