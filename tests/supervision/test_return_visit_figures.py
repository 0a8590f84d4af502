"""回访 per unit in the monthly report (``reports.return_visit_figures``): visits due in
the month by the unit that owes them, met on time, late or overdue; second visits by the
month they were scheduled; reopened orders by the month the new order was reported,
counted to the unit that handled the old one.

The month, by hand (November 2026, Asia/Shanghai; read on 5 December at noon). Each order
closes a day and an hour after it is reported; a visit is due 7 days after closing, a
red order's also 3 and 30 days after; a second visit 3 days after what asked for it.

* A (湖滨派出所) closed 10-28 10:00, due 11-04 10:00, visited 11-04 10:00 exactly: on time.
* B (湖滨派出所) closed 11-03 10:00, due 11-10 10:00, visited unsatisfied a microsecond
  later: late; its second visit, scheduled then, due 11-13, never made: overdue.
* C (湖滨派出所, red) closed 11-21 10:00: due 11-24 (visited 11-22: on time), 11-28
  (never: overdue), 12-21 (December's).
* E (湖滨派出所, red) closed 11-02 10:00: due 11-05, visited unsatisfied 11-04 and
  reopened as a new order (11-04): on time; its 11-09 and 12-02 visits end unmet before
  their due time and are not counted. One reopened order, November's.
* F (湖滨派出所) closed 11-27 10:00, due 12-04; a bad review on 11-29 schedules a second
  visit (November's) due 12-02.
* I (湖滨派出所) closed 11-24 00:00, due 12-01 00:00: December's.
* J (湖滨派出所) closed 10-25 00:00, due 11-01 00:00: November's; never visited, overdue.
* G (曾坑调委会) closed 10-31 10:00, due 11-07, visited unsatisfied 12-01 and reopened:
  late (November's due); the reopened order is December's.
* H (凤里派出所) closed 11-06 10:00, due 11-13, visited 11-13: on time.

November, city supervisor: 湖滨派出所 due 7 (A, B, B's second, C×2, E, J): on time 3
(A, C, E), late 1 (B), overdue 3 (B's second, C's 7-day, J), 42.9 %; second visits 2
(B, F); reopened 1 (E). 曾坑调委会 due 1, late 1. 凤里派出所 due 1, on time 1. Total due 9,
on time 4, late 2, overdue 3, 44.4 %, second 2, reopened 1. The 湖滨 supervisor: due 8.
December: 湖滨派出所 due 4 (C's 30-day, F, F's second, I), overdue 3, one still to come;
曾坑调委会 reopened 1 (G).
"""

from datetime import timedelta
from decimal import Decimal

import pytest

from disputes import services
from disputes.models import Review, State
from supervision.reports import report_scope, return_visit_figures
from tests.supervision.conftest import AS_OF, DECEMBER, NOVEMBER, local

pytestmark = pytest.mark.django_db

US = timedelta(microseconds=1)


def visit(actor, order, at, **kw):
    kw.setdefault("satisfied", True)
    services.order_record_return_visit(order_id=order.pk, actor=actor, visited_at=at, now=at, **kw)


@pytest.fixture
def month(world):
    police = world.handler
    a = world.order(State.CLOSED, start=local(10, 27, 9))
    visit(police, a, local(11, 4, 10))
    b = world.order(State.CLOSED, start=local(11, 2, 9))
    visit(police, b, local(11, 10, 10) + US, satisfied=False)
    c = world.order(State.CLOSED, start=local(11, 20, 9), risk_level="high")
    visit(police, c, local(11, 22, 10))
    e = world.order(State.CLOSED, start=local(11, 1, 9), risk_level="high")
    visit(police, e, local(11, 4, 10), satisfied=False, follow_up="reopen")
    f = world.order(State.CLOSED, start=local(11, 26, 9))
    token = Review.objects.filter(order=f).values_list("token", flat=True)[0]
    services.review_submit(token=token, rating="bad", now=local(11, 29, 10))
    world.order(State.CLOSED, start=local(11, 22, 23))  # I
    world.order(State.CLOSED, start=local(10, 23, 23))  # J
    g = world.order(State.CLOSED, start=local(10, 30, 9), lead_unit=world.hb_committee)
    visit(world.committee_handler, g, local(12, 1, 10), satisfied=False, follow_up="reopen")
    h = world.order(State.CLOSED, start=local(11, 5, 9), community=world.fl_community)
    visit(world.fl_handler, h, local(11, 13, 10))


def figures(user, month):
    section = return_visit_figures(scope=report_scope(user), month=month, now=AS_OF)
    rows = {
        r.name: (r.due, r.on_time, r.late, r.overdue, r.second, r.reopened) for r in section.units
    }
    return rows, section.total


def test_november_per_unit(world, month):
    rows, total = figures(world.supervisor, NOVEMBER)
    assert rows == {
        "湖滨派出所": (7, 3, 1, 3, 2, 1),
        "曾坑社区人民调解委员会": (1, 0, 1, 0, 0, 0),
        "凤里派出所": (1, 1, 0, 0, 0, 0),
    }
    assert (total.due, total.on_time, total.late, total.overdue) == (9, 4, 2, 3)
    assert (total.second, total.reopened, total.on_time_rate) == (2, 1, Decimal("44.4"))


def test_the_streets_supervisor_sees_its_street(world, month):
    rows, total = figures(world.hb_supervisor, NOVEMBER)
    assert "凤里派出所" not in rows and total.due == 8


def test_december_counts_what_falls_due_and_is_reopened_then(world, month):
    rows, _total = figures(world.supervisor, DECEMBER)
    police = rows["湖滨派出所"]
    assert police == (4, 0, 0, 3, 0, 0)
    assert rows["曾坑社区人民调解委员会"] == (0, 0, 0, 0, 0, 1)


def test_the_report_page_shows_the_section(world, month, client):
    client.force_login(world.supervisor)
    page = client.get("/reports/monthly/?month=2026-11").content.decode()
    assert 'id="return-visits"' in page and "二次回访" in page and "重新调解" in page
