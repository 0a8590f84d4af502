"""暂停计时: the month's approved clock pauses per unit, counted by the month the pause
started (was approved), with the time the clock's due time stands moved by.

The month, by hand (Asia/Shanghai):

* A, 湖滨派出所, signed 11-02 09:15: meet paused 11-02 11:00 for 24 h, not ended early
  → November, 1440 min;
* B, 湖滨派出所, signed 10-31 20:15: meet paused 10-31 23:30 for 2 h → October, 120 min;
* C, 湖滨派出所, signed 11-30 09:15: meet paused 11-30 23:00 for 10 h, resumed 12-01
  01:00:30 → November (started then), 120.5 min paused → 121 min (a started minute counts);
* D, 凤里派出所, signed 11-10 09:15: contact paused 11-10 10:00 for 5 h, contact
  recorded 11:30 → the pause ends there, 90 min;
* E, 湖滨派出所: a pause asked 11-15 and rejected; F: one asked and lapsed (the clock was
  met first) → neither counts.

November: 湖滨派出所 2 pauses, 1561 min = 26.0 h; 凤里派出所 1, 90 min = 1.5 h;
total 3, 1651 min = 27.5 h. October: 湖滨派出所 1, 2.0 h. 湖滨 alone: 湖滨派出所 only.
"""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse

from disputes import services
from disputes.models import ContactMethod, State
from supervision.reports import pause_figures, report_scope
from tests.factories import first_handler_of
from tests.supervision.conftest import NOVEMBER, OCTOBER, local

pytestmark = pytest.mark.django_db


def signed_at(world, at, *, fl=False):
    """An order signed at ``at`` (reported a quarter of an hour earlier)."""
    kwargs = {"community": world.fl_community, "reporter": world.fl_reporter} if fl else {}
    return world.order(State.SIGNED, start=at - timedelta(minutes=15), **kwargs)


def pause(world, order, *, stage="meet", asked, approved=None, minutes, reject=False):
    handler = first_handler_of(order.lead_unit)
    services.order_pause(
        order_id=order.pk, actor=handler, stage=stage, reason="hospital", minutes=minutes, now=asked
    )
    if approved:
        services.order_pause_decide(
            order_id=order.pk,
            actor=world.dispatcher_for(order.street),
            approve=not reject,
            note="可电话联系" if reject else "",
            now=approved,
        )
    return handler


@pytest.fixture
def month(world):
    a = signed_at(world, local(11, 2, 9, 15))
    pause(world, a, asked=local(11, 2, 10), approved=local(11, 2, 11), minutes=1440)
    b = signed_at(world, local(10, 31, 20, 15))
    pause(world, b, asked=local(10, 31, 23), approved=local(10, 31, 23, 30), minutes=120)
    c = signed_at(world, local(11, 30, 9, 15))
    handler = pause(world, c, asked=local(11, 30, 22), approved=local(11, 30, 23), minutes=600)
    services.order_resume(order_id=c.pk, actor=handler, now=local(12, 1, 1) + timedelta(seconds=30))
    d = signed_at(world, local(11, 10, 9, 15), fl=True)
    handler = pause(
        world,
        d,
        stage="contact",
        asked=local(11, 10, 9, 50),
        approved=local(11, 10, 10),
        minutes=300,
    )
    services.order_record_contact(
        order_id=d.pk, actor=handler, method=ContactMethod.PHONE, now=local(11, 10, 11, 30)
    )
    e = signed_at(world, local(11, 15, 9, 15))
    pause(world, e, asked=local(11, 15, 10), approved=local(11, 15, 11), minutes=60, reject=True)
    f = signed_at(world, local(11, 16, 9, 15))
    handler = pause(world, f, stage="contact", asked=local(11, 16, 10), minutes=60)
    services.order_record_contact(
        order_id=f.pk, actor=handler, method=ContactMethod.PHONE, now=local(11, 16, 10, 30)
    )
    return world


def table(figures):
    return {r.name: (r.pauses, r.minutes, r.hours) for r in figures.units}


def test_the_months_pauses_per_unit(month):
    figures = pause_figures(scope=report_scope(month.supervisor), month=NOVEMBER)
    assert table(figures) == {
        "湖滨派出所": (2, 1561, Decimal("26.0")),
        "凤里派出所": (1, 90, Decimal("1.5")),
    }
    assert (figures.total.pauses, figures.total.minutes, figures.total.hours) == (
        3,
        1651,
        Decimal("27.5"),
    )
    october = pause_figures(scope=report_scope(month.supervisor), month=OCTOBER)
    assert table(october) == {"湖滨派出所": (1, 120, Decimal("2.0"))}
    hb = pause_figures(scope=report_scope(month.supervisor, street_id=month.hb.pk), month=NOVEMBER)
    assert table(hb) == {"湖滨派出所": (2, 1561, Decimal("26.0"))}
    # A street supervisor sees its own street only.
    assert table(pause_figures(scope=report_scope(month.hb_supervisor), month=NOVEMBER)) == {
        "湖滨派出所": (2, 1561, Decimal("26.0"))
    }


def test_the_report_page_shows_them_beside_the_rates(month, client):
    client.force_login(month.supervisor)
    page = client.get(reverse("reports:monthly") + "?month=2026-11").content.decode()
    section = page[page.index('id="pauses"') :]
    assert "湖滨派出所" in section and "26.0" in section and "27.5" in section
    assert "顺延" in section  # the footnote: rates are judged against the moved due times
