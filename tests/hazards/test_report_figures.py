"""The monthly report's 隐患排查 section on a month built by hand (November 2026,
Asia/Shanghai), read on 5 December.

Screening visits (officer, unit, when, found):
  grid   曾坑社区居委会  10-31 23:59 (October), 11-02 (nothing), 11-15 (found: H4)
  police 湖滨派出所      11-10 (nothing)
  fl_grid 凤里派出所     11-30 23:59 (nothing), 12-01 00:00 (December)

Hazards (消防安全 10 days → 湖滨劳动保障所, in 凤里 → 凤里派出所; 房屋安全 5 days →
曾坑社区人民调解委员会):
  H1 消防 zk  reported 10-25  due 11-04  fixed 11-03 (on time)
  H2 消防 zk  reported 11-02 10:00  due 11-12 10:00  fixed at exactly 11-12 10:00 (on time)
  H3 消防 zk  reported 11-05  due 11-15  fixed 11-20 (late)
  H4 房屋 zk  reported 11-15 (from a screening)  due 11-20  open → overdue at the end
  H5 房屋 sg  reported 11-28  due 12-03  open, not yet due at the end
  H6 消防 fl  reported 11-10  rejected 11-11 (不属隐患)
  H7 房屋 zk  reported 10-01  due 10-06  fixed 12-02 → open and overdue at November's end
"""

from decimal import Decimal

import pytest

from hazards.services import ScreeningInput, hazard_close, hazard_reject, screening_record
from supervision.reports import Month, hazard_figures, report_scope
from tests.hazards.conftest import photo
from tests.supervision.conftest import local

pytestmark = pytest.mark.django_db
NOVEMBER = Month(2026, 11)
AS_OF = local(12, 5, 12)


def screen(world, categories, officer, community, at):
    return screening_record(
        actor=officer,
        data=ScreeningInput(
            community_id=community.pk,
            place="巡查点",
            visited_at=at,
            checked_ids=[categories.fire.pk],
        ),
        now=at,
    )


def close(hazard, actor, at):
    hazard_close(hazard_id=hazard.pk, actor=actor, note="已整改", photos=[photo()], now=at)


@pytest.fixture
def month(world, categories, report):
    w, c = world, categories
    screen(w, c, w.reporter, w.zk, local(10, 31, 23, 59))
    screen(w, c, w.reporter, w.zk, local(11, 2, 9))
    found = screen(w, c, w.reporter, w.zk, local(11, 15, 9))
    screen(w, c, w.handler, w.sg, local(11, 10, 9))
    screen(w, c, w.fl_reporter, w.fl_community, local(11, 30, 23, 59))
    screen(w, c, w.fl_reporter, w.fl_community, local(12, 1))

    h1 = report(at=local(10, 25, 9))
    close(h1, w.labour_handler, local(11, 3, 9))
    h2 = report(at=local(11, 2, 10))
    close(h2, w.labour_handler, local(11, 12, 10))
    h3 = report(at=local(11, 5, 9))
    close(h3, w.dispatcher, local(11, 20, 9))
    report(at=local(11, 15, 10), category=c.housing, screening_id=found.pk)
    report(at=local(11, 28, 9), category=c.housing, community=w.sg)
    h6 = report(at=local(11, 10, 9), community=w.fl_community, actor=w.fl_reporter)
    hazard_reject(hazard_id=h6.pk, actor=w.fl_dispatcher, reason="已拆除", now=local(11, 11, 9))
    h7 = report(at=local(10, 1, 9), category=c.housing)
    close(h7, w.committee_handler, local(12, 2, 9))
    return w


def figures_of(section):
    return {
        "officers": {(r.name, r.unit): (r.visits, r.found) for r in section.officers},
        "units": {r.name: (r.visits, r.found) for r in section.units},
        "screening_total": (section.screening_total.visits, section.screening_total.found),
        "categories": {
            r.name: (r.reported, r.fixed, r.fixed_on_time, r.rejected, r.overdue_open)
            for r in section.categories
        },
        "departments": {
            r.name: (r.reported, r.fixed, r.fixed_on_time, r.rejected, r.overdue_open)
            for r in section.departments
        },
        "total": (
            section.total.reported,
            section.total.fixed,
            section.total.fixed_on_time,
            section.total.rejected,
            section.total.overdue_open,
        ),
    }


def test_the_city_month_by_hand(month):
    section = hazard_figures(scope=report_scope(month.supervisor), month=NOVEMBER, now=AS_OF)
    assert figures_of(section) == {
        "officers": {
            ("网格员", "曾坑社区居委会"): (2, 1),
            ("张警官", "湖滨派出所"): (1, 0),
            ("fl_grid", "凤里派出所"): (1, 0),
        },
        "units": {"曾坑社区居委会": (2, 1), "湖滨派出所": (1, 0), "凤里派出所": (1, 0)},
        "screening_total": (4, 1),
        "categories": {"消防安全": (3, 3, 2, 1, 0), "房屋安全": (2, 0, 0, 0, 2)},
        "departments": {
            "湖滨劳动保障所": (2, 3, 2, 0, 0),
            "曾坑社区人民调解委员会": (2, 0, 0, 0, 2),
            "凤里派出所": (1, 0, 0, 1, 0),
        },
        "total": (5, 3, 2, 1, 2),
    }
    assert section.categories[0].on_time_rate == Decimal("66.7")


def test_a_street_supervisor_sees_its_street_only(month):
    section = hazard_figures(scope=report_scope(month.hb_supervisor), month=NOVEMBER, now=AS_OF)
    figures = figures_of(section)
    assert figures["screening_total"] == (3, 1)
    assert figures["categories"] == {"消防安全": (2, 3, 2, 0, 0), "房屋安全": (2, 0, 0, 0, 2)}
    assert "凤里派出所" not in figures["departments"]


def test_the_report_page_shows_the_section(month, client):
    client.force_login(month.supervisor)
    page = client.get("/reports/monthly/?month=2026-11")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="hazards"' in html
    assert "曾坑社区人民调解委员会" in html and "超期未整改" in html
