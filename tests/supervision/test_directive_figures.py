"""督办 per unit in the monthly report (``reports.directive_figures``): received by the
month of issue, for the unit pressed, and how many its heads answered on time or late.

The month, by hand (November 2026, Asia/Shanghai):

* P, an order of 湖滨派出所: A issued 11-10 10:00, due 18:00, answered 18:00 exactly (on
  time); B issued 11-12 09:00, due 12:00, answered 12:00 and a microsecond (late);
  C issued 11-30 23:50, due 12-01 10:00, not answered.
* Q, an order of 湖滨派出所: E issued 12-01 00:00 — December's.
* R, an order of 湖滨派出所: F issued 10-31 23:59, answered 11-01 08:00 — October's.
* M, an order of 曾坑社区人民调解委员会: G issued 11-15 10:00 by the center's head; the
  committee returned the order at 10:30, so G ended unanswered.
* L, an order of 凤里派出所: H issued 11-11 10:00, answered 11:00 (on time).

November, city supervisor: 湖滨派出所 3 received (1 on time, 1 late, 1 unanswered, 33.3%),
曾坑调委会 1 (0, 0, 1, 0.0%), 凤里派出所 1 (1, 0, 0, 100.0%); total 5 (2, 1, 2, 40.0%).
The 湖滨 supervisor sees 湖滨's two units only: total 4 (1, 1, 2, 25.0%).
October: 湖滨派出所 1 (1 on time). December: 湖滨派出所 1 (unanswered).
"""

from datetime import timedelta
from decimal import Decimal

import pytest

from disputes import services
from disputes.models import State
from supervision.reports import directive_figures, report_scope
from tests.factories import user_with_role
from tests.supervision.conftest import DECEMBER, NOVEMBER, OCTOBER, local

pytestmark = pytest.mark.django_db

US = timedelta(microseconds=1)


def issue(world, order, at, due, *, actor=None):
    return services.order_direct(
        order_id=order.pk,
        actor=actor or world.supervisor,
        demand="请加快办理",
        reply_due_at=due,
        now=at,
    )


def answer(world, order, directive, at, *, actor=None):
    services.order_direct_reply(
        order_id=order.pk,
        actor=actor or world.head,
        directive_id=directive.pk,
        reply="已办理",
        now=at,
    )


@pytest.fixture
def month(world):
    p = world.order(State.SIGNED, start=local(11, 10, 9, 0))
    a = issue(world, p, local(11, 10, 10), local(11, 10, 18))
    answer(world, p, a, local(11, 10, 18))
    b = issue(world, p, local(11, 12, 9), local(11, 12, 12))
    answer(world, p, b, local(11, 12, 12) + US)
    issue(world, p, local(11, 30, 23, 50), local(12, 1, 10))

    q = world.order(State.SIGNED, start=local(11, 20, 9, 0))
    issue(world, q, local(12, 1, 0, 0), local(12, 1, 8))

    r = world.order(State.SIGNED, start=local(10, 31, 20, 0))
    f = issue(world, r, local(10, 31, 23, 59), local(11, 1, 9))
    answer(world, r, f, local(11, 1, 8))

    m = world.order(State.SIGNED, start=local(11, 15, 8, 0), lead_unit=world.hb_committee)
    center_head = user_with_role("unit_head", world.hb_center, username="center_head")
    issue(world, m, local(11, 15, 10), local(11, 15, 11), actor=center_head)
    services.order_return(
        order_id=m.pk, actor=world.dispatcher, reason="派错单位", now=local(11, 15, 10, 30)
    )

    fl = world.order(
        State.SIGNED,
        start=local(11, 11, 8, 0),
        community=world.fl_community,
        reporter=world.fl_reporter,
    )
    fl_head = user_with_role("unit_head", world.fl_police, username="fl_head")
    h = issue(world, fl, local(11, 11, 10), local(11, 11, 12))
    answer(world, fl, h, local(11, 11, 11), actor=fl_head)
    return world


def table(section) -> dict:
    return {
        r.name: (r.received, r.replied_on_time, r.replied_late, r.unanswered, r.on_time_rate)
        for r in [*section.units, section.total]
    }


def test_november_by_hand(month):
    section = directive_figures(scope=report_scope(month.supervisor), month=NOVEMBER)
    assert table(section) == {
        "湖滨派出所": (3, 1, 1, 1, Decimal("33.3")),
        "曾坑社区人民调解委员会": (1, 0, 0, 1, Decimal("0.0")),
        "凤里派出所": (1, 1, 0, 0, Decimal("100.0")),
        "合计": (5, 2, 1, 2, Decimal("40.0")),
    }


def test_a_street_supervisor_sees_its_streets_units_only(month):
    section = directive_figures(scope=report_scope(month.hb_supervisor), month=NOVEMBER)
    assert table(section) == {
        "湖滨派出所": (3, 1, 1, 1, Decimal("33.3")),
        "曾坑社区人民调解委员会": (1, 0, 0, 1, Decimal("0.0")),
        "合计": (4, 1, 1, 2, Decimal("25.0")),
    }


def test_the_months_either_side(month):
    scope = report_scope(month.supervisor)
    assert table(directive_figures(scope=scope, month=OCTOBER)) == {
        "湖滨派出所": (1, 1, 0, 0, Decimal("100.0")),
        "合计": (1, 1, 0, 0, Decimal("100.0")),
    }
    assert table(directive_figures(scope=scope, month=DECEMBER)) == {
        "湖滨派出所": (1, 0, 0, 1, Decimal("0.0")),
        "合计": (1, 0, 0, 1, Decimal("0.0")),
    }


def test_one_query_whatever_the_number_of_directives(month, django_assert_num_queries):
    scope = report_scope(month.supervisor)
    scope.members()  # the scope's streets are read once, before
    with django_assert_num_queries(1):
        directive_figures(scope=scope, month=NOVEMBER)


def test_the_report_page_shows_the_section(month, client):
    client.force_login(month.supervisor)
    page = client.get("/reports/monthly/", {"month": "2026-11"}).content.decode()
    assert 'id="directives"' in page and "督办收到数" in page
    assert '<td class="num col-received">5</td>' in page
    assert '<td class="num col-rate">40.0</td>' in page
