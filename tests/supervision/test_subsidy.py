"""The per-case subsidy (以案定补): tiers in force on the closing date, one statement per
mediation committee director, mediated cases only, each once."""

from datetime import date
from decimal import Decimal

import pytest

from disputes.models import Grade
from supervision.models import SubsidyTier
from supervision.reports import report_scope
from supervision.subsidy import subsidy_statement
from tests.supervision.conftest import DECEMBER, NOVEMBER

D = Decimal

# The month is built once for the module (conftest.month_snapshot).
pytestmark = pytest.mark.usefixtures("month_snapshot")


def summary(report):
    return [
        (
            s.committee,
            s.director,
            [(line.grade, line.amount, line.cases, line.subtotal) for line in s.lines],
            s.total_cases,
            s.total_amount,
        )
        for s in report.statements
    ]


def test_the_november_statement(built_month):
    o = built_month.orders
    report = subsidy_statement(scope=report_scope(built_month.world.supervisor), month=NOVEMBER)
    assert summary(report) == [
        ("凤里社区人民调解委员会", "（未设主任）", [], 0, D("0.00")),
        (
            "石光社区人民调解委员会",
            "陈主任",
            [("major", D("500.00"), 1, D("500.00"))],
            1,
            D("500.00"),
        ),
        (
            "曾坑社区人民调解委员会",
            "committee_head",
            [
                ("simple", D("50.00"), 2, D("100.00")),  # C (11-14), F (11-30 23:50)
                ("complex", D("200.00"), 1, D("200.00")),  # E closed 11-15 16:00: old rate
                ("complex", D("300.00"), 1, D("300.00")),  # D closed 11-16 00:30: new rate
            ],
            4,
            D("600.00"),
        ),
    ]
    assert (report.total_cases, report.total_amount, report.unpriced_cases) == (5, D("1100.00"), 0)
    # Each order once; not H (partly mediated), G (closed in December), B, Q (failed), M
    # (led by a department), A (led by the police).
    cases = {c.number: c.amount for s in report.statements for c in s.cases}
    assert cases == {
        o["C"].number: D("50.00"),
        o["D"].number: D("300.00"),
        o["E"].number: D("200.00"),
        o["F"].number: D("50.00"),
        o["R"].number: D("500.00"),
    }
    assert [str(t) for t in report.tiers] == [
        "简易 ¥50.00 (2024-01-01)",
        "一般 ¥100.00 (2024-01-01)",
        "复杂 ¥200.00 (2024-01-01)",
        "复杂 ¥300.00 (2026-11-16)",
        "重大疑难 ¥500.00 (2024-01-01)",
    ]


def test_the_closing_date_is_read_in_shanghai(built_month):
    """G closed at 12-01 00:05 in Shanghai (11-30 16:05 UTC): December's, at December's
    ordinary rate of 120."""
    report = subsidy_statement(scope=report_scope(built_month.world.supervisor), month=DECEMBER)
    zk = next(s for s in report.statements if s.committee == "曾坑社区人民调解委员会")
    assert [(ln.grade, ln.amount, ln.cases) for ln in zk.lines] == [("ordinary", D("120.00"), 1)]
    assert [c.number for c in zk.cases] == [built_month.orders["G"].number]


def test_a_new_rate_does_not_rewrite_a_past_month(built_month):
    scope = report_scope(built_month.world.supervisor)
    before = summary(subsidy_statement(scope=scope, month=NOVEMBER))
    SubsidyTier.objects.create(
        grade=Grade.SIMPLE, amount=D("999"), effective_from=date(2026, 12, 2)
    )
    assert summary(subsidy_statement(scope=scope, month=NOVEMBER)) == before


def test_a_street_supervisor_sees_its_street_committees(built_month):
    report = subsidy_statement(scope=report_scope(built_month.world.hb_supervisor), month=NOVEMBER)
    assert [s.committee for s in report.statements] == [
        "石光社区人民调解委员会",
        "曾坑社区人民调解委员会",
    ]
    assert report.total_amount == D("1100.00")


def test_a_case_without_a_rate_is_listed_but_not_paid(built_month):
    SubsidyTier.objects.filter(grade=Grade.MAJOR).delete()
    report = subsidy_statement(scope=report_scope(built_month.world.supervisor), month=NOVEMBER)
    sg = next(s for s in report.statements if s.committee == "石光社区人民调解委员会")
    assert [(ln.grade, ln.amount, ln.cases, ln.subtotal) for ln in sg.lines] == [
        ("major", None, 1, None)
    ]
    assert (sg.total_cases, sg.total_amount, sg.unpriced_cases) == (1, D("0.00"), 1)
    assert (report.total_amount, report.unpriced_cases) == (D("600.00"), 1)


def test_a_director_heading_two_committees_gets_two_statements(built_month):
    from tests.factories import MembershipFactory

    w = built_month.world
    MembershipFactory(user=w.committee_head, unit=built_month.sg_committee, role="unit_head")
    report = subsidy_statement(scope=report_scope(w.supervisor), month=NOVEMBER)
    directors = {s.committee: s.director for s in report.statements}
    assert directors["石光社区人民调解委员会"] == "陈主任、committee_head"
    assert directors["曾坑社区人民调解委员会"] == "committee_head"
