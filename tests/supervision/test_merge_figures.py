"""重复报单合并: a duplicate merged into the order it repeats is counted by no figure of
the monthly report (nor the roll-up, the bulletin, the subsidy or the exports); its own
section lists how many were merged.

The month, by hand (November 2026, Asia/Shanghai), all in 曾坑 (湖滨), lead unit
曾坑社区人民调解委员会 (a mediation committee: its cases are subsidised):

* K, reported 11-03 09:00, dispatched 09:10, signed 09:20, contacted 12:00, met 11-04
  10:00, closed as mediated (一般) 11-05 10:00: every clock on time;
* D, the same dispute reported again 11-03 10:00, dispatched 10:10, signed 11:30 (its
  30-minute signing limit ran out at 10:40: late), then nothing: its contact clock (due
  11-04 11:30) and meeting clock (due 11-05 11:30) are overdue when the report is read;
* X, reported 11-06 09:00, cancelled 09:10 (invalid).

Without a merge: received 3, cancelled 1, dispatched 2, dispatch on time 2, sign on time
1 and late 1, contact on time 1 and open 1, meet on time 1 and open 1, closed 1,
mediated 1. With D merged into K on 11-05 12:00: D counts nowhere — received 2,
cancelled 1, dispatched 1, dispatch on time 1, sign / contact / meet on time 1 each,
none late or open, closed 1, mediated 1; the merge section: 湖滨街道 1 merged into 1 kept.
"""

from decimal import Decimal

import pytest

from disputes import services
from supervision.bulletins import bulletin_publish
from supervision.models import BulletinStanding
from supervision.reports import COUNT_FIELDS, merge_figures, monthly_report, report_scope
from supervision.rollups import rollups_refresh
from supervision.subsidy import subsidy_statement
from tests.supervision.conftest import AS_OF, NOVEMBER, local, walk

pytestmark = pytest.mark.django_db

WITHOUT_MERGE = {
    "received": 3,
    "cancelled": 1,
    "dispatched": 2,
    "dispatch_on_time": 2,
    "sign_on_time": 1,
    "sign_late": 1,
    "contact_on_time": 1,
    "contact_open": 1,
    "meet_on_time": 1,
    "meet_open": 1,
    "closed": 1,
    "mediated": 1,
}
WITH_MERGE = {
    "received": 2,
    "cancelled": 1,
    "dispatched": 1,
    "dispatch_on_time": 1,
    "sign_on_time": 1,
    "sign_late": 0,
    "contact_on_time": 1,
    "contact_open": 0,
    "meet_on_time": 1,
    "meet_open": 0,
    "closed": 1,
    "mediated": 1,
}


def build(world, *, merged: bool):
    committee = world.hb_committee
    kept = walk(
        world,
        reported=local(11, 3, 9, 0),
        lead=committee,
        dispatched=local(11, 3, 9, 10),
        signed=local(11, 3, 9, 20),
        contacted=local(11, 3, 12, 0),
        met=local(11, 4, 10, 0),
        closed=local(11, 5, 10, 0),
    )
    duplicate = walk(
        world,
        reported=local(11, 3, 10, 0),
        lead=committee,
        dispatched=local(11, 3, 10, 10),
        signed=local(11, 3, 11, 30),
    )
    walk(world, reported=local(11, 6, 9, 0), cancelled=local(11, 6, 9, 10))
    if merged:
        services.order_merge(
            order_id=duplicate.pk,
            actor=world.dispatcher,
            into=kept.number,
            reason="同一欠薪纠纷重复报单",
            now=local(11, 5, 12, 0),
        )
    return kept, duplicate


def figures(world) -> dict:
    report = monthly_report(scope=report_scope(world.supervisor), month=NOVEMBER, now=AS_OF)
    return report


def picked(counts: dict) -> dict:
    return {k: counts[k] for k in WITH_MERGE}


@pytest.mark.parametrize("merged, expected", [(False, WITHOUT_MERGE), (True, WITH_MERGE)])
def test_a_merged_duplicate_counts_nowhere(world, visits_due_later, merged, expected):
    build(world, merged=merged)
    report = figures(world)
    assert picked(report.total.figures.counts) == expected
    streets = {r.name: r for r in report.streets}
    assert picked(streets["湖滨街道"].figures.counts) == expected
    units = {r.name: r for r in report.units}
    assert picked(units["曾坑社区人民调解委员会"].figures.counts) == {
        **expected,
        "received": expected["received"] - 1,  # X was never dispatched: the unassigned row
        "cancelled": 0,
    }
    assert units["（未派单）"].figures.counts["received"] == 1
    rates = report.total.figures.as_dict()
    assert rates["sign_rate"] == (100 if merged else 50)


def test_the_roll_up_agrees(world, visits_due_later):
    build(world, merged=True)
    live = {k: v for k, v in figures(world).total.figures.counts.items() if k in COUNT_FIELDS}
    rollups_refresh(now=local(12, 1))
    rolled = figures(world).total.figures.counts
    assert picked(rolled) == WITH_MERGE
    assert {k: rolled[k] for k in live} == live


def test_the_merge_section_counts_them(world, visits_due_later):
    kept, duplicate = build(world, merged=True)
    section = merge_figures(scope=report_scope(world.supervisor), month=NOVEMBER)
    assert [(r.name, r.merged, r.kept) for r in section.streets] == [("湖滨街道", 1, 1)]
    assert (section.total.merged, section.total.kept) == (1, 1)
    october = merge_figures(scope=report_scope(world.supervisor), month=NOVEMBER.previous)
    assert october.streets == [] and october.total.merged == 0


def test_the_subsidy_pays_the_kept_case_once(world, visits_due_later):
    build(world, merged=True)
    statement = subsidy_statement(scope=report_scope(world.supervisor), month=NOVEMBER)
    assert statement.total_cases == 1


def test_the_bulletin_standing_leaves_it_out(world, visits_due_later):
    build(world, merged=True)
    bulletin_publish(area=world.hb, month=NOVEMBER, now=AS_OF)
    standing = BulletinStanding.objects.get(unit=world.hb_committee)
    assert standing.figures["received"] == 1
    assert standing.figures["sign_late"] == 0 and Decimal(standing.figures["sign_rate"]) == 100


@pytest.mark.parametrize("merged, received", [(False, "3"), (True, "2")])
def test_the_page_and_the_csv(world, visits_due_later, client, merged, received):
    build(world, merged=merged)
    client.force_login(world.supervisor)
    page = client.get("/reports/monthly/?month=2026-11").content.decode()
    assert 'id="merges"' in page
    assert ("当月没有合并的重复报单" in page) is not merged
    csv = client.get("/reports/monthly/?month=2026-11&format=csv")
    lines = csv.content.decode("utf-8-sig").splitlines()
    header = lines[0].split(",")
    total = next(line.split(",") for line in lines[1:] if "合计" in line)
    assert total[header.index("报单数")] == received
