"""The report with roll-ups (``rollups``) gives exactly the figures of the live report:
for the month built by hand, after changes made since the refresh, in every scope; the
refresh is idempotent; the report really reads the roll-up; the queries stay fixed."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from disputes import services
from disputes.models import ContactMethod, Outcome
from disputes.sweep import sla_sweep
from supervision.models import COUNT_FIELDS, MedianSnapshot, MonthlyRollup
from supervision.reports import Month, Scope, monthly_report, report_scope
from supervision.rollups import SETTLE_MARGIN, rollups_refresh
from supervision.tasks import refresh_report_rollups
from tests.factories import UnitFactory, close_jointly, first_handler_of, user_with_role
from tests.supervision.conftest import AS_OF, NOVEMBER, OCTOBER, local, review, visit, walk
from tests.supervision.test_medians_and_queries import count_queries, many_orders

on_postgres = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="median snapshots need PostgreSQL"
)

# The month is built once for the module (conftest.month_snapshot).
pytestmark = pytest.mark.usefixtures("month_snapshot")


def report_data(scope: Scope, month: Month = NOVEMBER, now=AS_OF) -> dict:
    data = monthly_report(scope=scope, month=month, now=now).as_dict()
    data.pop("as_of")
    return data


def live_data(scope: Scope, month: Month = NOVEMBER, now=AS_OF) -> dict:
    """The report computed without any roll-up, as before they existed."""
    MonthlyRollup.objects.all().delete()
    MedianSnapshot.objects.all().delete()
    return report_data(scope, month, now)


def scopes(built_month) -> list[Scope]:
    """The city, the city narrowed to HB, the HB supervisor's and a community's."""
    w = built_month.world
    sg_supervision = UnitFactory(supervision=True, name="石光社区督导", area=w.sg)
    sg_supervisor = user_with_role("supervisor", sg_supervision, username="sg_supervisor")
    return [
        report_scope(w.supervisor),
        report_scope(w.supervisor, street_id=w.hb.pk),
        report_scope(w.hb_supervisor),
        report_scope(sg_supervisor),
    ]


def test_the_report_gives_the_same_figures_with_the_roll_up(built_month):
    every = scopes(built_month)
    months = (NOVEMBER, OCTOBER)
    rolled_up = {}
    rollups_refresh(now=AS_OF)
    assert MonthlyRollup.objects.exists()
    for i, scope in enumerate(every):
        for month in months:
            rolled_up[(i, month)] = report_data(scope, month)
    for i, scope in enumerate(every):
        for month in months:
            assert rolled_up[(i, month)] == live_data(scope, month), (i, month)


def rollup_totals(month: Month, **filters) -> dict:
    rows = MonthlyRollup.objects.filter(month=month.start.date(), **filters)
    return {f: sum(getattr(r, f) for r in rows) for f in COUNT_FIELDS}


def test_the_roll_up_holds_the_settled_part_of_the_month_built_by_hand(built_month):
    """Settled by 12-05 11:00 (the cutoff): everything closed (A–H, M, R; P, Q in
    October) or cancelled (L). Still open, so read live: I, J, K, N."""
    w = built_month.world
    result = rollups_refresh(now=AS_OF)
    assert result.cutoff == AS_OF - SETTLE_MARGIN
    november = rollup_totals(NOVEMBER)
    assert november == {
        **dict.fromkeys(COUNT_FIELDS, 0),
        "received": 10,  # B C D E F G H M R, and L (A was reported in October)
        "received_green": 10,  # all green
        "cancelled": 1,  # L
        "dispatched": 9,  # B C D E F G H M R (M at its reassign)
        # A (due 11-01 00:00) B C D E F G H M R; I, J, N (open) and K (queued) are live
        "dispatch_on_time": 10,
        "sign_on_time": 8,  # A C E F G H M R
        "sign_late": 2,  # B D
        "contact_on_time": 9,  # A C D E F G H M R
        "contact_late": 1,  # B
        "meet_on_time": 9,
        "meet_late": 1,  # B
        "closed": 9,  # A B C D E F H M R (G on 12-01)
        "mediated": 7,  # not B (failed), not H (partly)
        "reviews_good": 3,  # A, C, C
        "reviews_bad": 2,  # A, B
        "return_visits": 2,  # A, M (F's on 12-03)
        # Open at the month's end, resolved before the cutoff: none (I's, J's and K's
        # are still open, so read live; M's were resolved at its reassign on 11-22).
    }
    police = rollup_totals(NOVEMBER, unit=w.hb_police)
    assert (police["received"], police["closed"], police["reviews_bad"]) == (1, 2, 2)
    assert rollup_totals(OCTOBER)["received"] == 3  # A, P, Q
    assert rollup_totals(OCTOBER)["closed"] == 2  # P, Q
    first = MonthlyRollup.objects.filter(
        month=NOVEMBER.start.date(), first_due_reported_at__isnull=False
    ).order_by("first_due_reported_at")[0]
    assert first.first_due_reported_at == built_month.orders["A"].reported_at  # 10-31 23:30


def snapshot(model) -> list:
    fields = [f.name for f in model._meta.fields if f.name != "id"]
    return sorted(model.objects.values_list(*fields), key=repr)


def test_the_refresh_is_idempotent(built_month):
    first = rollups_refresh(now=AS_OF)
    rows, medians = snapshot(MonthlyRollup), snapshot(MedianSnapshot)
    second = rollups_refresh(now=AS_OF)
    assert first == second
    assert snapshot(MonthlyRollup) == rows
    assert snapshot(MedianSnapshot) == medians


def test_the_report_reads_the_roll_up_for_settled_months(built_month):
    scope = report_scope(built_month.world.supervisor)
    rollups_refresh(now=AS_OF)
    row = MonthlyRollup.objects.filter(
        month=NOVEMBER.start.date(), unit=built_month.world.hb_police
    ).first()
    row.closed += 100  # not a real figure: only the roll-up can have said it
    row.save()
    police = next(u for u in report_data(scope)["units"] if u["name"] == "湖滨派出所")
    assert police["closed"] == 2 + 100


def test_changes_after_the_refresh_count_at_once(built_month):
    """Transitions, reviews, visits and escalations after the refresh (times after the
    cutoff) are read live: the figures stay those of the live report."""
    w, o = built_month.world, built_month.orders
    rollups_refresh(now=AS_OF)
    every = scopes(built_month)
    later = AS_OF + timedelta(hours=1)
    services.order_sign(order_id=o["I"].pk, actor=first_handler_of(w.hb_labour), now=later)
    services.order_record_contact(  # N: its contact falls due in December
        order_id=o["N"].pk, actor=w.handler, method=ContactMethod.PHONE, now=later
    )
    services.order_cancel(order_id=o["K"].pk, actor=w.dispatcher, reason="重复", now=later)
    review(o["G"], "bad", later)
    visit(o["C"], w.committee_handler, local(11, 20, 15))  # recorded now, dated in November
    sla_sweep(now=later + timedelta(days=1))
    now = later + timedelta(days=1, hours=1)
    got = [report_data(scope, month, now) for scope in every for month in (NOVEMBER, OCTOBER)]
    want = [live_data(scope, month, now) for scope in every for month in (NOVEMBER, OCTOBER)]
    assert got == want
    assert got[0]["total"]["return_visits"] == 3  # A, M, and C's new one; F's is December's
    assert got[0]["total"]["sign_late"] == 2 + 1  # B, D, and I signed late now


def test_a_refresh_in_the_middle_of_the_month_leaves_the_rest_live(built_month):
    """A roll-up settled on 11-20: what happened after it is read live."""
    rollups_refresh(now=local(11, 20, 12))
    scope = report_scope(built_month.world.supervisor)
    assert report_data(scope) == live_data(scope)


def test_the_report_takes_fixed_queries_with_the_roll_up(world):
    scope = report_scope(world.supervisor)
    now = local(11, 5, 12, 0)

    def report():
        return monthly_report(scope=scope, month=Month(2026, 10), now=now)

    many_orders(world, 5)
    rollups_refresh(now=now)
    small = count_queries(report)
    many_orders(world, 45)
    rollups_refresh(now=now)
    big = count_queries(report)
    assert big == small
    # With the roll-up of an ended month: the roll-up, the orders not in it, the duties,
    # the escalations, the visits recorded since, the units' names (no reviews: none can
    # be submitted in October after the cutoff), the savepoint and its release; on
    # PostgreSQL the parallel-plan setting and the median snapshot, elsewhere the
    # median queries, one per grouping (unit, street, total) and clock: 3 × 4 = 12
    # since the dispatch clock joined sign, contact and meet (3 more per clock).
    assert small == 6 + 2 + (2 if connection.vendor == "postgresql" else 3 * 4)


@on_postgres
@pytest.mark.postgres
def test_the_median_snapshot_is_used_while_its_clocks_stand(built_month):
    w, o = built_month.world, built_month.orders
    rollups_refresh(now=AS_OF)
    city = report_scope(w.supervisor)

    def percentile_queries(scope) -> tuple[dict, int]:
        with CaptureQueriesContext(connection) as ctx:
            data = report_data(scope, NOVEMBER, AS_OF + timedelta(days=1))
        return data, sum("percentile_cont" in q["sql"] for q in ctx.captured_queries)

    data, computed = percentile_queries(city)
    assert computed == 0
    for scope in scopes(built_month)[1:3]:  # HB, narrowed or as its own supervisor
        assert percentile_queries(scope)[1] == 0
    # J closes its meet clock of November late: the snapshot no longer stands.
    services.order_record_meeting(
        order_id=o["J"].pk,
        actor=w.fl_handler,
        place="调解室",
        participants="双方当事人",
        result="达成协议",
        now=AS_OF + timedelta(hours=2),
    )
    data, computed = percentile_queries(city)
    assert computed == 1
    assert data == live_data(city, NOVEMBER, AS_OF + timedelta(days=1))


@on_postgres
@pytest.mark.postgres
def test_closing_a_met_order_keeps_the_snapshot(built_month):
    """A stuck order that was met closes: its clocks do not change, the medians do not."""
    w = built_month.world
    order = walk(
        w,
        reported=local(11, 26, 9),
        lead=w.hb_police,
        dispatched=local(11, 26, 9, 5),
        signed=local(11, 26, 9, 20),
        contacted=local(11, 26, 10, 0),
        met=local(11, 27, 9, 0),
    )
    rollups_refresh(now=AS_OF)
    close_jointly(
        order,
        w.handler,
        outcome=Outcome.MEDIATED,
        summary="结案",
        grade="ordinary",
        referral="",
        now=AS_OF + timedelta(hours=1),
    )
    city = report_scope(w.supervisor)
    with CaptureQueriesContext(connection) as ctx:
        data = report_data(city, NOVEMBER, AS_OF + timedelta(days=1))
    assert not any("percentile_cont" in q["sql"] for q in ctx.captured_queries)
    assert data == live_data(city, NOVEMBER, AS_OF + timedelta(days=1))


def test_the_command_and_the_task_refresh(built_month, capsys):
    call_command("refresh_report_rollups", "--now", "2026-12-05T12:00")
    assert "report roll-ups settled before 2026-12-05T11:00:00+08:00" in capsys.readouterr().out
    assert MonthlyRollup.objects.filter(cutoff=AS_OF - SETTLE_MARGIN).exists()
    assert refresh_report_rollups() == MonthlyRollup.objects.count()
