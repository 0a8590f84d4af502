"""Medians agree across methods and backends; the report's query count does not grow with
the number of orders."""

import statistics
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from disputes.models import Grade, Order, Outcome
from disputes.stages import CLOCK
from disputes.sweep import sla_sweep
from supervision.reports import STAGES, monthly_report, report_scope, stage_medians
from supervision.subsidy import subsidy_statement
from tests.supervision.conftest import OCTOBER, local, review, visit, walk

on_postgres = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="percentile_cont needs PostgreSQL"
)


def odd_durations(world, n: int):
    """``n`` orders in October with awkward stage times (seconds and microseconds), spread
    over three units, so medians fall between values and need exact arithmetic."""
    units = [world.hb_police, world.hb_committee, world.hb_labour]
    orders = []
    for i in range(n):
        start = local(10, 3 + i % 20, 8, 0) + timedelta(minutes=7 * i, microseconds=13 * i)
        dispatched = start + timedelta(minutes=1)
        signed = dispatched + timedelta(minutes=3 + (i * 7) % 29, seconds=i, microseconds=777 * i)
        contacted = signed + timedelta(hours=(i * 5) % 30, seconds=17 * i)
        met = contacted + timedelta(hours=(i * 11) % 40, microseconds=1 + i)
        orders.append(
            walk(
                world,
                reported=start,
                lead=units[i % 3],
                dispatched=dispatched,
                signed=signed,
                contacted=contacted,
                met=met,
            )
        )
    return orders


def python_medians(orders, key):
    """The medians computed in Python from the orders' own fields, in µs: from each met
    clock's start (its due time less its limit) to the moment it was met."""
    groups: dict = {}
    for o in orders:
        for stage in STAGES:
            if getattr(o, f"{stage}_on_time") is None:
                continue
            c = CLOCK[stage]
            start = getattr(o, c.due_field) - getattr(o, c.limit_attr)
            delta = getattr(o, c.met_field) - start
            groups.setdefault(key(o), {}).setdefault(stage, []).append(
                delta // timedelta(microseconds=1)
            )
    return {
        k: {s: float(statistics.median(v[s])) if s in v else None for s in STAGES}
        for k, v in groups.items()
    }


def test_window_medians_equal_the_python_median(world):
    orders = odd_durations(world, 14)  # units get 5, 5, 4 orders: odd and even counts
    scope = report_scope(world.supervisor)
    got = stage_medians(scope, OCTOBER, method="window")
    assert got["unit"] == python_medians(orders, lambda o: o.lead_unit_id)
    assert got["street"] == python_medians(orders, lambda o: o.street_id)
    assert got["total"] == python_medians(orders, lambda o: None)


@on_postgres
@pytest.mark.postgres
def test_percentile_cont_and_the_window_fallback_give_identical_numbers(world):
    orders = odd_durations(world, 14)
    scope = report_scope(world.supervisor)
    percentile = stage_medians(scope, OCTOBER, method="percentile")
    window = stage_medians(scope, OCTOBER, method="window")
    assert percentile == window
    assert percentile["unit"] == python_medians(orders, lambda o: o.lead_unit_id)


def many_orders(world, n: int):
    """``n`` October orders of every kind the report reads: closed (with reviews and a
    return visit), open past a due time (escalated), reassigned, queued, cancelled."""
    police, committee, labour = world.hb_police, world.hb_committee, world.hb_labour
    for i in range(n):
        day, kind = 1 + i % 25, i % 5
        t = local(10, day, 9, 0) + timedelta(minutes=i)
        if kind in (0, 1):
            o = walk(
                world,
                reported=t,
                lead=committee if kind else police,
                dispatched=t + timedelta(minutes=5),
                signed=t + timedelta(minutes=20 + i % 30),
                contacted=t + timedelta(hours=2),
                met=t + timedelta(days=1),
                closed=t + timedelta(days=2),
                outcome=Outcome.MEDIATED if i % 3 else Outcome.FAILED,
                grade=[Grade.SIMPLE, Grade.COMPLEX][i % 2],
            )
            review(o, "good" if i % 2 else "bad", t + timedelta(days=3))
            visit(o, world.handler if not kind else world.committee_handler, t + timedelta(days=4))
        elif kind == 2:
            walk(
                world,
                reported=t,
                community=world.fl_community,
                lead=world.fl_police,
                dispatched=t + timedelta(minutes=5),
                signed=t + timedelta(minutes=10),
            )
        elif kind == 3:
            walk(
                world,
                reported=t,
                lead=police,
                dispatched=t + timedelta(minutes=5),
                reassign_to=labour,
                reassigned=t + timedelta(minutes=15),
                signed=t + timedelta(minutes=20),
            )
        elif i % 2:
            walk(world, reported=t)  # waits in the queue
        else:
            walk(world, reported=t, cancelled=t + timedelta(minutes=3))
    sla_sweep(now=local(10, 31, 12, 0))


def count_queries(fn) -> int:
    with CaptureQueriesContext(connection) as ctx:
        fn()
    return len(ctx.captured_queries)


def test_the_report_takes_the_same_queries_for_ten_times_the_orders(world, client):
    scope = report_scope(world.supervisor)
    now = local(11, 5, 12, 0)

    def report():
        return monthly_report(scope=scope, month=OCTOBER, now=now)

    def statement():
        return subsidy_statement(scope=scope, month=OCTOBER)

    client.force_login(world.supervisor)

    def page():
        assert client.get("/reports/monthly/?month=2026-10").status_code == 200

    many_orders(world, 5)
    small = (count_queries(report), count_queries(statement), count_queries(page))
    assert Order.objects.count() == 5
    small_report = report()

    many_orders(world, 45)
    assert Order.objects.count() == 50
    big = (count_queries(report), count_queries(statement), count_queries(page))
    big_report = report()

    assert big == small
    # The roll-ups of the 12-month window (none here), the orders and the reviews of the
    # window not in them, the duties, the escalations, the visits, the units' names, and
    # the medians
    # (1 query with percentile_cont; with windows one per grouping (unit, street, total)
    # and clock: 3 × 4 = 12 since the dispatch clock joined sign, contact and meet, 3 more
    # per clock); and the savepoint and its release (the report reads in one transaction).
    medians = 1 if connection.vendor == "postgresql" else 3 * 4
    assert small[0] == 7 + medians + 2
    assert small[1] == 6  # with the cases awaiting their grade review
    # The fixture's data really grew in every section the report reads.
    for key in ("received", "closed", "reviews_good", "return_visits", "escalations_level1"):
        assert big_report.total.figures.counts[key] > small_report.total.figures.counts[key] > 0
