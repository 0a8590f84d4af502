"""退单申请数, 退单批准数, 退单驳回数: per lead unit and month, requests by when they were
asked, approvals and rejections by when they were decided (Asia/Shanghai months).

The month, by hand (November 2026):

* A (湖滨派出所) asked 11-05 10:00, approved 11-05 10:20;
* B (湖滨派出所) asked 11-30 23:50, rejected 12-01 00:10: asked in November, decided in
  December;
* C (曾坑社区人民调解委员会) asked 10-31 23:50, rejected 11-01 00:05: asked in October,
  decided in November;
* E (湖滨派出所) asked 11-20 09:00, then the order was cancelled: asked only;
* F (凤里派出所) asked 11-12 15:00, approved 11-12 15:10: another street.

November, city-wide: 湖滨派出所 asked 3, approved 1, rejected 0; 曾坑 committee asked 0,
approved 0, rejected 1; 凤里派出所 1, 1, 0; total 4, 2, 1. 湖滨 only: the first two.
October: 曾坑 committee asked 1. December: 湖滨派出所 rejected 1.
"""

import pytest

from disputes import services
from supervision.reports import report_scope, return_review_rows
from tests.supervision.conftest import DECEMBER, NOVEMBER, OCTOBER, local

pytestmark = pytest.mark.django_db


def returned(world, *, asked, decided=None, approve=False, lead_unit=None, community=None):
    fl = lead_unit == world.fl_police
    order = world.order(
        "dispatched",
        start=local(10, 20),
        lead_unit=lead_unit,
        community=community,
        reporter=world.fl_reporter if fl else None,
    )
    handler = (
        world.committee_handler
        if lead_unit == world.hb_committee
        else world.fl_handler
        if fl
        else world.handler
    )
    dispatcher = world.fl_dispatcher if fl else world.dispatcher
    services.order_return_request(
        order_id=order.pk, actor=handler, reason="非本单位职责", now=asked
    )
    if decided is not None:
        services.order_return_review(
            order_id=order.pk,
            actor=dispatcher,
            approve=approve,
            note="" if approve else "属本单位职责",
            now=decided,
        )
    return order


@pytest.fixture
def month(world):
    returned(world, asked=local(11, 5, 10, 0), decided=local(11, 5, 10, 20), approve=True)
    returned(world, asked=local(11, 30, 23, 50), decided=local(12, 1, 0, 10))
    returned(
        world, asked=local(10, 31, 23, 50), decided=local(11, 1, 0, 5), lead_unit=world.hb_committee
    )
    e = returned(world, asked=local(11, 20, 9, 0))
    services.order_cancel(
        order_id=e.pk, actor=world.dispatcher, reason="重复报单", now=local(11, 20, 10, 0)
    )
    returned(
        world,
        asked=local(11, 12, 15, 0),
        decided=local(11, 12, 15, 10),
        approve=True,
        lead_unit=world.fl_police,
        community=world.fl_community,
    )
    return world


def figures(world, month, user=None):
    rows = return_review_rows(report_scope(user or world.supervisor), month)
    return {r.unit: (r.requested, r.approved, r.rejected) for r in rows}


def test_the_month_by_hand(month):
    world = month
    assert figures(world, NOVEMBER) == {
        "湖滨派出所": (3, 1, 0),
        "曾坑社区人民调解委员会": (0, 0, 1),
        "凤里派出所": (1, 1, 0),
        "合计": (4, 2, 1),
    }
    assert figures(world, OCTOBER) == {"曾坑社区人民调解委员会": (1, 0, 0), "合计": (1, 0, 0)}
    assert figures(world, DECEMBER) == {"湖滨派出所": (0, 0, 1), "合计": (0, 0, 1)}
    # A street's supervisor sees its own street's units only.
    assert figures(world, NOVEMBER, world.hb_supervisor) == {
        "湖滨派出所": (3, 1, 0),
        "曾坑社区人民调解委员会": (0, 0, 1),
        "合计": (3, 1, 1),
    }


def test_the_report_page_shows_them(month, client):
    client.force_login(month.supervisor)
    page = client.get("/reports/monthly/?month=2026-11")
    text = page.content.decode()
    assert page.status_code == 200
    section = text[text.index('id="return-reviews"') :]
    assert "退单申请数" in section and "退单驳回数" in section
    assert '<td class="num">3</td><td class="num">1</td><td class="num">0</td>' in section
