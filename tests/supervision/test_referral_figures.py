"""移交跟踪 in the monthly report, November 2026 built by hand (Asia/Shanghai), read on
11-29 12:00. The follow-up falls due 30 days after the closing; the section counts the
referrals due in the month per lead unit, by kind, followed on time / late / overdue,
and by the outcome of each one's latest result.

===  ==========  ===================  ===========  ====================  ===================
     lead unit   referral             closed       results (recorded)    due
===  ==========  ===================  ===========  ====================  ===================
A    湖滨派出所  诉讼 court           10-05 10:00  立案 10-20            11-04 on time
B    湖滨派出所  仲裁 arbitration     10-10 10:00  受理 11-01, 裁决 11-25 11-09 on time
C    湖滨派出所  信访 petition        10-15 10:00  办结 11-20            11-14 late
D    湖滨派出所  诉调对接             10-20 10:00  —                     11-19 overdue
F    湖滨派出所  诉讼                 10-31 10:00  —                     11-30 not yet due
I    湖滨派出所  诉讼                 10-02 00:00  —                     11-01 00:00 overdue
E    曾坑调委会  司法确认 (mediated)  10-25 10:00  确认有效 11-05        11-24 on time
G    湖滨派出所  诉讼                 10-01 23:59  —                     10-31 23:59: Oct.
H    湖滨派出所  诉讼                 11-01 00:00  —                     12-01 00:00: Dec.
===  ==========  ===================  ===========  ====================  ===================

湖滨派出所: 6 referred (诉讼 3, 仲裁 1, 信访 1, 诉调对接 1), on time 2, late 1, overdue 2
(F is not due yet), rate 2 ÷ 5 = 40.0; latest: 立案 1, 裁决 1, 办结 1, none 3.
曾坑调委会: 1 (司法确认 1), on time 1, 100.0; latest: 司法确认有效 1.
Total: 7, on time 3, late 1, overdue 2, 50.0.
"""

from datetime import timedelta
from decimal import Decimal

import pytest

from disputes import services
from disputes.models import Outcome, Referral, ReferralOutcome, State
from supervision.reports import monthly_report, referral_figures, report_scope
from tests.factories import close_jointly
from tests.supervision.conftest import NOVEMBER, local

pytestmark = pytest.mark.django_db
READ_AT = local(11, 29, 12)
TO_CLOSE = timedelta(days=1, hours=1)  # the factory's walk from reporting to closing


def referred(world, closed, referral, *, lead_unit=None):
    order = world.order(State.MET, start=closed - TO_CLOSE, lead_unit=lead_unit)
    agreed = referral == Referral.JUDICIAL_CONFIRMATION
    close_jointly(
        order,
        world.committee_handler if lead_unit else world.handler,
        outcome=Outcome.MEDIATED if agreed else Outcome.FAILED,
        summary="移交",
        grade="ordinary" if agreed else "",
        referral=referral,
        now=closed,
    )
    return order


def result(world, order, outcome, at, *, actor=None):
    services.order_record_referral_result(
        order_id=order.pk,
        actor=actor or world.handler,
        body="受理机关",
        case_number="(2026)闽0581号",
        outcome=outcome,
        decided_on=at.date(),
        now=at,
    )


@pytest.fixture
def november(world):
    w = world
    a = referred(w, local(10, 5, 10), Referral.COURT)
    result(w, a, ReferralOutcome.ACCEPTED, local(10, 20, 10))
    b = referred(w, local(10, 10, 10), Referral.ARBITRATION)
    result(w, b, ReferralOutcome.ACCEPTED, local(11, 1, 10))
    result(w, b, ReferralOutcome.JUDGED, local(11, 25, 10))
    c = referred(w, local(10, 15, 10), Referral.PETITION)
    result(w, c, ReferralOutcome.CONCLUDED, local(11, 20, 10))
    referred(w, local(10, 20, 10), Referral.COURT_MEDIATION)  # D
    referred(w, local(10, 31, 10), Referral.COURT)  # F
    referred(w, local(10, 2, 0), Referral.COURT)  # I
    e = referred(w, local(10, 25, 10), Referral.JUDICIAL_CONFIRMATION, lead_unit=w.hb_committee)
    result(w, e, ReferralOutcome.CONFIRMED, local(11, 5, 10), actor=w.committee_handler)
    referred(w, local(10, 1, 23, 59), Referral.COURT)  # G
    referred(w, local(11, 1, 0), Referral.COURT)  # H
    return w


def outcomes(**given):
    out = {o: 0 for o in ReferralOutcome.values}
    out["none"] = 0
    out.update(given)
    return out


def kinds(**given):
    return {**dict.fromkeys(Referral.values, 0), **given}


def test_november_by_hand(november):
    section = referral_figures(scope=report_scope(november.supervisor), month=NOVEMBER, now=READ_AT)
    got = {r.name: r.as_dict() for r in [*section.units, section.total]}
    assert list(got) == ["湖滨派出所", "曾坑社区人民调解委员会", "合计"]
    assert got["湖滨派出所"] == {
        "unit_id": november.hb_police.pk,
        "name": "湖滨派出所",
        "referrals": 6,
        "referrals_on_time": 2,
        "referrals_late": 1,
        "referrals_overdue": 2,
        "referrals_on_time_rate": Decimal("40.0"),
        "referral_kinds": kinds(court=3, arbitration=1, petition=1, court_mediation=1),
        "referral_outcomes": outcomes(accepted=1, judged=1, concluded=1, none=3),
    }
    committee = got["曾坑社区人民调解委员会"]
    assert (committee["referrals"], committee["referrals_on_time"]) == (1, 1)
    assert committee["referral_kinds"] == kinds(judicial_confirmation=1)
    assert committee["referral_outcomes"] == outcomes(confirmed=1)
    total = got["合计"]
    assert (
        total["referrals"],
        total["referrals_on_time"],
        total["referrals_late"],
        total["referrals_overdue"],
        total["referrals_on_time_rate"],
    ) == (7, 3, 1, 2, Decimal("50.0"))
    assert total["referral_kinds"] == kinds(
        court=3, arbitration=1, petition=1, court_mediation=1, judicial_confirmation=1
    )
    assert total["referral_outcomes"] == outcomes(
        accepted=1, judged=1, confirmed=1, concluded=1, none=3
    )


def test_the_generic_duty_figures_count_the_same(november):
    report = monthly_report(scope=report_scope(november.supervisor), month=NOVEMBER, now=READ_AT)
    police = next(r for r in report.units if r.name == "湖滨派出所").as_dict()
    assert (
        police["referral_on_time"],
        police["referral_late"],
        police["referral_open"],
        police["referral_rate"],
    ) == (2, 1, 2, Decimal("40.0"))


def test_the_report_page_shows_the_section(november, client):
    client.force_login(november.supervisor)
    page = client.get("/reports/monthly/?month=2026-11").content.decode()
    assert 'id="referrals"' in page and "诉调对接" in page and "司法确认有效" in page
