"""以案定补 with reviewed grades, a month built by hand: November 2026, seven cases of
曾坑社区人民调解委员会 at the seeded rates (simple 50, ordinary 100, complex 200, major 500).

=== ========= ======== ============================== ========================
id  proposed  outcome  the center's review            paid in November
=== ========= ======== ============================== ========================
A   simple    mediated confirmed at the closing       simple 50
B   ordinary  mediated confirmed at the closing       ordinary 100
C   ordinary  mediated changed to complex 11-20       complex 200 (not 100)
D   complex   mediated not reviewed                   no: awaiting review
E   major     mediated not reviewed                   no: awaiting review
F   major     mediated changed to simple 11-21        simple 50 (not 500)
G   ordinary  mediated confirmed 12-02 (December)     ordinary 100, once confirmed
X   —         failed   (not a subsidy case)           no
=== ========= ======== ============================== ========================
"""

from __future__ import annotations

from decimal import Decimal

import pytest
import time_machine

from disputes import services
from disputes.models import Grade, Outcome
from supervision.reports import report_scope
from supervision.subsidy import subsidy_statement
from tests.supervision.conftest import NOVEMBER, local, walk

D = Decimal


def case(world, day: int, grade: str, *, confirm: bool, outcome: str = Outcome.MEDIATED):
    return walk(
        world,
        reported=local(11, day, 9),
        lead=world.hb_committee,
        dispatched=local(11, day, 9, 5),
        signed=local(11, day, 9, 15),
        contacted=local(11, day, 10),
        met=local(11, day + 1, 9),
        closed=local(11, day + 2, 9),
        grade=grade,
        outcome=outcome,
        confirm_grade=confirm,
    )


@pytest.fixture
def graded(world):
    w = world
    o = {
        "A": case(w, 2, Grade.SIMPLE, confirm=True),
        "B": case(w, 4, Grade.ORDINARY, confirm=True),
        "C": case(w, 6, Grade.ORDINARY, confirm=False),
        "D": case(w, 8, Grade.COMPLEX, confirm=False),
        "E": case(w, 10, Grade.MAJOR, confirm=False),
        "F": case(w, 12, Grade.MAJOR, confirm=False),
        "G": case(w, 14, Grade.ORDINARY, confirm=False),
        "X": case(w, 16, "", confirm=False, outcome=Outcome.FAILED),
    }
    review = services.order_grade_review
    review(
        order_id=o["C"].pk,
        actor=w.dispatcher,
        grade=Grade.COMPLEX,
        reason="涉及三方",
        now=local(11, 20, 10),
    )
    review(
        order_id=o["F"].pk,
        actor=w.dispatcher,
        grade=Grade.SIMPLE,
        reason="当场达成协议",
        now=local(11, 21, 10),
    )
    return o


def lines(report):
    return [
        (
            s.committee,
            [(ln.grade, ln.amount, ln.cases, ln.subtotal) for ln in s.lines],
            s.total_cases,
            s.total_amount,
            s.awaiting_review,
        )
        for s in report.statements
    ]


def test_only_confirmed_grades_are_paid_at_the_confirmed_rate(world, graded):
    o = graded
    report = subsidy_statement(scope=report_scope(world.supervisor), month=NOVEMBER)
    assert lines(report) == [
        (
            "曾坑社区人民调解委员会",
            [
                ("simple", D("50.00"), 2, D("100.00")),  # A, and F changed down from major
                ("ordinary", D("100.00"), 1, D("100.00")),  # B
                ("complex", D("200.00"), 1, D("200.00")),  # C changed up from ordinary
            ],
            4,
            D("400.00"),
            3,  # D, E, G: proposed, not confirmed
        )
    ]
    assert (report.total_cases, report.total_amount, report.awaiting_review) == (4, D("400.00"), 3)
    [statement] = report.statements
    paid = {c.number: (c.proposed_grade, c.grade, c.amount) for c in statement.cases}
    assert paid == {
        o["A"].number: ("simple", "simple", D("50.00")),
        o["B"].number: ("ordinary", "ordinary", D("100.00")),
        o["C"].number: ("ordinary", "complex", D("200.00")),
        o["F"].number: ("major", "simple", D("50.00")),
    }
    changed = sorted(c.number for c in statement.cases if c.grade_changed)
    assert changed == sorted([o["C"].number, o["F"].number])


def test_a_grade_confirmed_next_month_is_paid_in_the_month_the_case_closed(world, graded):
    services.order_grade_review(
        order_id=graded["G"].pk, actor=world.dispatcher, grade=Grade.ORDINARY, now=local(12, 2, 9)
    )
    report = subsidy_statement(scope=report_scope(world.supervisor), month=NOVEMBER)
    assert lines(report)[0][1:] == (
        [
            ("simple", D("50.00"), 2, D("100.00")),
            ("ordinary", D("100.00"), 2, D("200.00")),
            ("complex", D("200.00"), 1, D("200.00")),
        ],
        5,
        D("500.00"),
        2,  # D, E
    )


def test_the_statement_page_shows_what_awaits_review_and_what_was_changed(world, graded, client):
    client.force_login(world.supervisor)
    with time_machine.travel(local(12, 5, 12), tick=False):
        html = client.get("/reports/subsidy/?month=2026-11").content.decode()
    assert '<div class="kpi"><span>计补案件</span><b>4</b></div>' in html
    assert "<span>等级待审核（未计补）</span><b>3</b>" in html
    assert "另有 3 件调解成功案件的等级尚未经调处中心审核确认，暂不计补" in html
    assert html.count("审核改定") == 2
    assert "（拟定一般，审核改定）" in html and "（拟定重大疑难，审核改定）" in html
