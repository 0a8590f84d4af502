"""The alliance's section of the monthly report and the bulletin's thank-you list, for a
month built by hand (issue 18)."""

from datetime import date, timedelta

import pytest
from django.urls import reverse

from alliance import services as alliance_services
from alliance.models import ActivityKind
from disputes import services
from supervision.reports import Month, alliance_figures, report_scope
from tests.factories import T0, fresh

pytestmark = pytest.mark.django_db

NOV = Month(2026, 11)


@pytest.fixture
def month(world, alliance, order_in):
    """November 2026 in 湖滨 (HB) and 凤里 (FL):

    - order A (HB): the team invited as a whole; 阿珠 adds 2 notes, 阿华 1;
    - order B (HB): 阿珠 invited by name, then withdrawn (still assisted that month);
      she adds 1 note before;
    - order C (FL): the lawyers invited; 林律师 adds no note;
    - order A: a note by the police handler (not the alliance's);
    - December: the lawyers invited to A, a note by 阿珠 on A (other month);
    - activities: 法治宣传 by the HB center with the team and 阿珠 (120 served) on
      11-20; 义诊 by the team with 阿华 (35 served) on 11-30; one on 12-01 (not counted).
    """
    d, fd = fresh(world.dispatcher), fresh(world.fl_dispatcher)
    a, b = order_in("signed"), order_in("signed")
    c = order_in("signed", community=world.fl_community, reporter=world.fl_reporter)
    at = T0 + timedelta(hours=2)
    services.order_invite(order_id=a.pk, actor=d, unit_id=alliance.team.pk, now=at)
    inv_b = services.order_invite(order_id=b.pk, actor=d, member_id=alliance.vol.pk, now=at)
    services.order_invite(order_id=c.pk, actor=fd, unit_id=alliance.lawyers.pk, now=at)
    vol, vol2 = fresh(alliance.vol), fresh(alliance.vol2)
    for n, (user, order) in enumerate([(vol, a), (vol, a), (vol2, a), (vol, b)]):
        services.order_add_note(
            order_id=order.pk, actor=user, note=f"备注{n}", now=at + timedelta(hours=n + 1)
        )
    services.order_add_note(order_id=a.pk, actor=fresh(world.handler), note="警官", now=at)
    services.order_invite_withdraw(
        order_id=b.pk, actor=d, invitation_id=inv_b.pk, now=at + timedelta(days=1)
    )
    dec = T0 + timedelta(days=25)  # 2026-12-05
    services.order_invite(order_id=a.pk, actor=d, unit_id=alliance.lawyers.pk, now=dec)
    services.order_add_note(order_id=a.pk, actor=vol, note="十二月", now=dec)
    record = alliance_services.activity_record
    record(
        actor=d,
        day=date(2026, 11, 20),
        kind=ActivityKind.LAW_PROMOTION,
        title="法治宣传进社区",
        organiser_id=world.hb_center.pk,
        unit_ids=[alliance.team.pk],
        member_ids=[alliance.vol.pk],
        people_served=120,
        now=dec,
    )
    record(
        actor=d,
        day=date(2026, 11, 30),
        kind=ActivityKind.CLINIC,
        title="义诊",
        organiser_id=alliance.team.pk,
        unit_ids=[],
        member_ids=[],
        people_served=35,
        now=dec,
    )
    record(
        actor=d,
        day=date(2026, 12, 1),
        kind=ActivityKind.VISIT,
        title="走访",
        organiser_id=world.hb_center.pk,
        unit_ids=[alliance.team.pk],
        member_ids=[alliance.vol2.pk],
        people_served=9,
        now=dec,
    )
    return a, b, c


def rows(figures, attr):
    return {r.name: (r.orders_assisted, r.notes, r.activities) for r in getattr(figures, attr)}


def test_the_month_by_hand(world, alliance, month):
    figures = alliance_figures(scope=report_scope(fresh(world.supervisor)), month=NOV)
    assert figures.invitations == 3
    assert figures.activities == 2
    assert figures.people_served == 155
    assert figures.activities_by_kind == [("法治宣传", 1, 120), ("义诊", 1, 35)]
    # The team: A (whole) and B (阿珠 by name) → 2 orders; 4 notes; 2 activities.
    assert rows(figures, "units") == {
        "石狮志愿者协会": (2, 4, 2),
        "石狮律师公益团": (1, 0, 0),
    }
    assert rows(figures, "members") == {
        "阿珠": (2, 3, 1),
        "阿华": (1, 1, 0),
    }


def test_a_street_scope_counts_its_orders_only(world, alliance, month):
    hb = alliance_figures(scope=report_scope(fresh(world.hb_supervisor)), month=NOV)
    assert rows(hb, "units") == {"石狮志愿者协会": (2, 4, 2)}  # the lawyers helped FL
    dec = alliance_figures(scope=report_scope(fresh(world.supervisor)), month=NOV.shifted(1))
    assert rows(dec, "units") == {"石狮志愿者协会": (0, 1, 1), "石狮律师公益团": (1, 0, 0)}
    assert rows(dec, "members") == {"阿珠": (1, 1, 0), "阿华": (0, 0, 1)}


def test_the_report_page_and_the_bulletins_thank_you_list(world, alliance, month, client):
    from dispatch.models import Profile

    Profile.objects.create(user=alliance.vol, phone="13912345678")
    client.force_login(world.supervisor)
    page = client.get(reverse("reports:monthly") + "?month=2026-11").content.decode()
    assert 'id="alliance"' in page and "石狮志愿者协会" in page
    bulletin = client.get(reverse("reports:bulletin") + "?month=2026-11").content.decode()
    assert "致谢名单" in bulletin
    assert "<b>石狮志愿者协会</b>：协助订单 2 件，备注 4 条，联合活动 2 次" in bulletin
    assert "阿珠（石狮志愿者协会）：协助订单 2 件，备注 3 条，联合活动 1 次" in bulletin
    assert "13912345678" not in bulletin and "139****5678" not in bulletin  # phones never
