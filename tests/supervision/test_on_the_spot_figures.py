"""就地化解数: disputes settled on the spot are their own figure of the monthly report,
by their closing month, in the unassigned row (never dispatched, no lead unit), and in
no figure of the dispatched orders (received, dispatched, clocks, closed, mediated).

The month, by hand (November 2026, Asia/Shanghai):

* S1 settled on the spot in 曾坑 (湖滨) on 11-05 10:00, S2 on 11-30 23:50;
* S0 settled on 10-31 23:50: October's;
* S3 settled in 凤里 on 11-12 15:00;
* D, an ordinary order of 11-10, dispatched to 湖滨派出所 and closed as mediated on
  11-11 (``order_in_state``).

November: 就地化解 3 (湖滨 2, 凤里 1, all in （未派单）); received 1, closed 1,
mediated 1 (D only, 湖滨派出所); October: 就地化解 1, received 0.
"""

import pytest

from disputes import services
from disputes.models import Order
from supervision.models import MonthlyRollup
from supervision.reports import COUNT_FIELDS, monthly_report, report_scope
from supervision.rollups import rollups_refresh
from supervision.subsidy import subsidy_cases, subsidy_statement
from tests.factories import report_input
from tests.supervision.conftest import AS_OF, NOVEMBER, OCTOBER, local

pytestmark = pytest.mark.django_db


def settle(world, at, *, community=None, actor=None):
    return services.order_settle_on_the_spot(
        actor=actor or world.reporter,
        data=report_input(community=community or world.zk, category=world.wages),
        summary="当场和解。",
        now=at,
    )


@pytest.fixture
def month(world, visits_due_later):
    settle(world, local(10, 31, 23, 50))
    settle(world, local(11, 5, 10, 0))
    settle(world, local(11, 30, 23, 50))
    settle(world, local(11, 12, 15, 0), community=world.fl_community, actor=world.fl_dispatcher)
    world.order("closed")
    return world


def counts(rows) -> dict:
    return {
        r.name: {k: r.figures.counts[k] for k in COUNT_FIELDS if r.figures.counts[k]} for r in rows
    }


def figures_of(world, month):
    report = monthly_report(scope=report_scope(world.supervisor), month=month, now=AS_OF)
    return counts([report.total]), counts(report.streets), counts(report.units)


def test_on_the_spot_is_its_own_figure(month):
    total, streets, units = figures_of(month, NOVEMBER)
    closed_d = {"received", "dispatched", "closed", "mediated"}
    [t] = total.values()
    assert t["on_the_spot"] == 3
    assert (t["received"], t["closed"], t["mediated"], t["dispatched"]) == (1, 1, 1, 1)
    assert streets["湖滨街道"]["on_the_spot"] == 2 and streets["凤里街道"] == {"on_the_spot": 1}
    assert units["（未派单）"] == {"on_the_spot": 3}
    police = units["湖滨派出所"]
    assert "on_the_spot" not in police and closed_d <= set(police)
    assert (police["received"], police["closed"], police["mediated"]) == (1, 1, 1)
    # No clock of a settled order is judged: only D's stages are counted.
    assert t["dispatch_on_time"] + t.get("dispatch_late", 0) == 1

    october_total, _s, october_units = figures_of(month, OCTOBER)
    assert list(october_total.values()) == [{"on_the_spot": 1}]
    assert october_units == {"（未派单）": {"on_the_spot": 1}}


def test_the_roll_up_holds_it_and_adds_up_with_the_live_part(month):
    live = figures_of(month, NOVEMBER)
    # Settled before the refresh's cutoff: S0, S1 and S3 are in the roll-up, S2 is live.
    rollups_refresh(now=local(11, 20))
    assert sum(r.on_the_spot for r in MonthlyRollup.objects.all()) == 3
    assert figures_of(month, NOVEMBER) == live
    assert list(figures_of(month, OCTOBER)[0].values()) == [{"on_the_spot": 1}]
    # A settlement after the refresh is read live and added to the roll-up's.
    settle(month, local(11, 29, 9, 0))
    total, streets, _units = figures_of(month, NOVEMBER)
    assert next(iter(total.values()))["on_the_spot"] == 4
    assert streets["湖滨街道"]["on_the_spot"] == 3


def test_a_settlement_on_the_spot_is_not_paid_a_subsidy(month):
    scope = report_scope(month.supervisor)
    paid = set(subsidy_cases(scope, NOVEMBER).values_list("number", flat=True))
    settled = set(Order.objects.filter(on_the_spot=True).values_list("number", flat=True))
    assert len(settled) == 4 and not paid & settled
    statement = subsidy_statement(scope=scope, month=NOVEMBER)
    assert statement.total_cases == len(paid)


def test_the_page_and_the_csv_show_it(month, client):
    client.force_login(month.supervisor)
    page = client.get("/reports/monthly/?month=2026-11")
    assert page.status_code == 200 and "就地化解" in page.content.decode()
    csv = client.get("/reports/monthly/?month=2026-11&format=csv")
    assert csv.status_code == 200
    lines = csv.content.decode("utf-8-sig").splitlines()
    header = lines[0].split(",")
    column = header.index("就地化解数")
    total = next(line.split(",") for line in lines[1:] if "合计" in line)
    assert total[column] == "3"
