"""The duties' figures per unit that owes them (``reports._duty_counts``), built by hand.

November 2026, Asia/Shanghai; the report read on 12-05 12:00. Orders walked by the
services (dispatched +5 min, lead signed +15 min; signing limit 30 min, meeting 48 h):

* P, 湖滨派出所, from 11-10 09:00, assisted by the 曾坑 committee and 劳动保障所: sign due
  09:35. The committee signs 09:35 exactly (on time) and files its opinion at the
  meeting deadline 11-12 09:15 exactly (on time); 劳动保障所 signs a microsecond late and
  never files its opinion (due 11-12 09:15: overdue).
* Q, from 11-30 23:00, assisted by the committee, which never signs (due 23:35: overdue,
  November's).
* R, from 11-30 23:40, assisted by the committee (due 12-01 00:15): December's.
* T, from 11-20 09:00, assisted by 劳动保障所, cancelled 09:10, before its due time: not
  counted. U, from 11-21 09:00, the same, cancelled 10:00, after it: overdue.
* W, led by the committee, from 11-05 09:00: signed on time, contact and meeting overdue.
* V, 湖滨派出所, signed 11-12 09:15; the handler asks to return it 10:00 (review due
  10:30, owed by the 湖滨 center); the dispatcher rejects it 10:31: late.

November: committee assist_sign 1 on time + 1 overdue (50.0), opinion 1 on time (100.0);
劳动保障所 assist_sign 1 late + 1 overdue (0.0), opinion 1 overdue (0.0); the center's
review 1 late (0.0). Committee score: (25·1 + 20·0 + 20·0 + 5·½ + 5·1) ÷ 75 = 43.3 (38.5
without its assisting work). 劳动保障所 led nothing: its assisting rates alone rank it
nowhere (no score).
"""

from datetime import timedelta
from decimal import Decimal

import pytest

from disputes import services
from disputes.models import State
from supervision.reports import monthly_report, report_scope
from tests.supervision.conftest import AS_OF, DECEMBER, NOVEMBER, local

pytestmark = pytest.mark.django_db
US = timedelta(microseconds=1)


@pytest.fixture
def month(world):
    w = world
    assisted = [w.hb_committee, w.hb_labour]
    p = w.order(State.SIGNED, start=local(11, 10, 9), assisting_units=assisted)
    services.order_assist_sign(order_id=p.pk, actor=w.committee_handler, now=local(11, 10, 9, 35))
    services.order_assist_sign(order_id=p.pk, actor=w.labour_handler, now=local(11, 10, 9, 35) + US)
    services.order_assist_opinion(
        order_id=p.pk, actor=w.committee_handler, opinion="可先行垫付", now=local(11, 12, 9, 15)
    )
    w.order(State.SIGNED, start=local(11, 30, 23), assisting_units=[w.hb_committee])
    w.order(State.SIGNED, start=local(11, 30, 23, 40), assisting_units=[w.hb_committee])
    for day, cancelled in ((20, local(11, 20, 9, 10)), (21, local(11, 21, 10))):
        t = w.order(State.DISPATCHED, start=local(11, day, 9), assisting_units=[w.hb_labour])
        services.order_cancel(order_id=t.pk, actor=w.dispatcher, reason="重复", now=cancelled)
    w.order(State.SIGNED, start=local(11, 5, 9), lead_unit=w.hb_committee)
    v = w.order(State.SIGNED, start=local(11, 12, 9), assignee=w.handler)
    services.order_return_request(
        order_id=v.pk, actor=w.handler, reason="非本所职责", now=local(11, 12, 10)
    )
    services.order_return_review(
        order_id=v.pk, actor=w.dispatcher, approve=False, note="属本所", now=local(11, 12, 10, 31)
    )
    return w


def figures(report, name):
    row = next(r for r in report.units if r.name == name)
    return row.as_dict()


DUTY_KEYS = [
    f"{d}_{k}"
    for d in ("assist_sign", "assist_opinion", "review")
    for k in ("on_time", "late", "open", "rate")
]


def pick(data):
    return {k: data[k] for k in DUTY_KEYS}


def expect(**given):
    out = dict.fromkeys(DUTY_KEYS, 0)
    out.update({k: None for k in DUTY_KEYS if k.endswith("_rate")})
    out.update({k: Decimal(v) if isinstance(v, str) else v for k, v in given.items()})
    return out


def test_november_by_hand(month):
    w = month
    report = monthly_report(scope=report_scope(w.supervisor), month=NOVEMBER, now=AS_OF)
    committee = figures(report, "曾坑社区人民调解委员会")
    assert pick(committee) == expect(
        assist_sign_on_time=1,
        assist_sign_open=1,
        assist_sign_rate="50.0",
        assist_opinion_on_time=1,
        assist_opinion_rate="100.0",
    )
    assert committee["score"] == Decimal("43.3")
    labour = figures(report, "湖滨劳动保障所")
    assert pick(labour) == expect(
        assist_sign_late=1,
        assist_sign_open=1,
        assist_sign_rate="0.0",
        assist_opinion_open=1,
        assist_opinion_rate="0.0",
    )
    assert labour["score"] is None
    assert "湖滨劳动保障所" not in [r.row.name for r in report.ranking]
    center = figures(report, "湖滨街道多元调处中心")
    assert pick(center) == expect(review_late=1, review_rate="0.0")
    police = figures(report, "湖滨派出所")
    assert pick(police) == expect()  # it owed no duty: its own clocks only
    total = report.total.as_dict()
    assert (total["assist_sign_on_time"], total["assist_sign_late"], total["assist_sign_open"]) == (
        1,
        1,
        2,
    )


def test_the_next_month_has_what_fell_due_in_it(month):
    report = monthly_report(
        scope=report_scope(month.supervisor), month=DECEMBER, now=local(12, 5, 12)
    )
    committee = figures(report, "曾坑社区人民调解委员会")
    assert (committee["assist_sign_open"], committee["assist_sign_rate"]) == (1, Decimal("0.0"))


def test_the_page_shows_the_duty_columns(month, client):
    client.force_login(month.supervisor)
    page = client.get("/reports/monthly/", {"month": "2026-11"}).content.decode()
    for header in ("协办签收", "协办意见", "退单审核", "督办回复"):
        assert header in page
