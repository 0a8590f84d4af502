"""按时派单率 (the dispatch clock, ``stages.CLOCKS``' "dispatch") as a supervisor reads it
on the monthly page and in the API, for three orders of November 2026 worked out by hand.

The default policy gives 30 minutes from reporting to dispatch:

===  ===========  ==========  ==========================================================
id   reported     dispatched  dispatch clock (due = reported + 30)
===  ===========  ==========  ==========================================================
X    11-10 09:00  09:10       met in 10, on time; lead 湖滨派出所
Y    11-11 09:00  09:45       met in 45, late (due 09:30); lead 湖滨派出所
Z    11-12 09:00  —           open: due 09:30, still in the queue on 12-05 (unassigned)
===  ===========  ==========  ==========================================================

All three fall due in November: on time 1, late 1, open 1, so 1 / 3 = 33.3 %; the
median of the met ones is (10 + 45) / 2 = 27.5 minutes. 湖滨派出所: 1 of 2 = 50.0 %;
（未派单）: 0 of 1 = 0.0 %. Without the dispatch clock in ``CLOCKS`` there is no
``dispatch_rate`` key and no 按时派单率 column or legend, so this test fails.
"""

import re

import pytest
import time_machine

from tests.supervision.conftest import AS_OF, local, walk

URL = "/api/v1/reports/monthly/"
PAGE = "/reports/monthly/"


@pytest.fixture
def three_orders(world):
    w = world
    walk(w, reported=local(11, 10, 9), lead=w.hb_police, dispatched=local(11, 10, 9, 10))
    walk(w, reported=local(11, 11, 9), lead=w.hb_police, dispatched=local(11, 11, 9, 45))
    walk(w, reported=local(11, 12, 9))
    return w


@pytest.fixture
def supervisor_client(three_orders, client):
    client.force_login(three_orders.supervisor)
    with time_machine.travel(AS_OF, tick=False):
        yield client


def test_a_supervisor_reads_the_dispatch_rate_in_the_api(supervisor_client):
    response = supervisor_client.get(URL, {"month": "2026-11"})
    assert response.status_code == 200
    data = response.json()
    total = data["total"]
    assert (total["dispatch_on_time"], total["dispatch_late"], total["dispatch_open"]) == (1, 1, 1)
    assert total["dispatch_rate"] == 33.3
    assert total["median_dispatch_minutes"] == 27.5
    units = {u["name"]: u for u in data["units"]}
    assert units["湖滨派出所"]["dispatch_rate"] == 50.0  # X on time, Y late
    assert units["（未派单）"]["dispatch_rate"] == 0.0  # Z, open
    # The dispatch rate is not part of the score: the police's only scored rate is its
    # signing, 0 of 2 (neither X nor Y was signed), so 0.0; with any weight on its 50.0
    # dispatch rate the score would be above 0.
    assert units["湖滨派出所"]["score"] == 0.0
    assert data["trend"][-1]["dispatch_rate"] == 33.3


def test_a_supervisor_sees_the_dispatch_rate_on_the_monthly_page(supervisor_client):
    response = supervisor_client.get(PAGE, {"month": "2026-11"})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'title="按时派单率(%)"' in html  # the column, under the group 派单
    # The total closes both tables (streets, units): 33.3 % in each.
    totals = re.findall(r'<tr class="row-total">(.*?)</tr>', html, flags=re.S)
    assert len(totals) == 2
    for row in totals:
        assert re.search(r'col-dispatch_rate">([^<]*)<', row).group(1) == "33.3%"
    assert "湖滨派出所 按时派单率 50.0%" in html  # the bar chart
    assert "2026-11 按时派单率 33.3%" in html  # the trend's last point
