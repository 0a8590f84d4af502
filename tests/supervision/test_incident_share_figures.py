"""非警务类警情占比 in the monthly report (``reports.incident_share_figures``): a month of
incidents built by hand, counted per street in the supervisor's jurisdiction."""

import pytest

from supervision.reports import Month, incident_share_figures, report_scope
from tests.desk_world import desk_types, local, make_incident
from tests.web.conftest import html

pytestmark = pytest.mark.django_db

NOVEMBER = Month(2026, 11)


@pytest.fixture
def month(world):
    """November 2026: 湖滨 8 incidents (6 not police matters: 3 wage disputes, 2 calls
    for help, 1 invalid), 凤里 3 (1 call for help); outside the month 2 more."""
    types = desk_types(world)
    for code, where, at in [
        ("JF-LZ", world.zk, local(2026, 11, 1, 0, 0, 0)),  # the month's first second
        ("JF-LZ", world.zk, local(2026, 11, 10, 9, 0)),
        ("JF-LZ", world.sg, local(2026, 11, 12, 9, 0)),
        ("QZ", world.zk, local(2026, 11, 15, 9, 0)),
        ("QZ", world.sg, local(2026, 11, 30, 23, 59, 59)),  # its last
        ("WX", world.zk, local(2026, 11, 20, 9, 0)),
        ("XS", world.zk, local(2026, 11, 21, 9, 0)),
        ("ZA", world.sg, local(2026, 11, 22, 9, 0)),
        ("QZ", world.fl_community, local(2026, 11, 3, 9, 0)),
        ("XS", world.fl_community, local(2026, 11, 4, 9, 0)),
        ("ZA", world.fl_community, local(2026, 11, 5, 9, 0)),
        ("QZ", world.zk, local(2026, 10, 31, 23, 59, 59)),
        ("QZ", world.zk, local(2026, 12, 1, 0, 0, 0)),
    ]:
        make_incident(types, code, where, at)


def rows(section):
    return [(r.name, r.total, r.non_police, r.share) for r in section.streets]


def test_november_per_street(world, month, django_assert_num_queries):
    scope = report_scope(world.supervisor)
    with django_assert_num_queries(1):
        section = incident_share_figures(scope=scope, month=NOVEMBER)
    # By street, in the order of the area tree (its code path).
    assert rows(section) == [("凤里街道", 3, 1, "33.3%"), ("湖滨街道", 8, 6, "75.0%")]
    total = section.total
    assert (total.total, total.non_police, total.share) == (11, 7, "63.6%")


def test_a_street_supervisor_counts_its_street(world, month):
    section = incident_share_figures(scope=report_scope(world.hb_supervisor), month=NOVEMBER)
    assert rows(section) == [("湖滨街道", 8, 6, "75.0%")]


def test_a_month_without_incidents(world, month):
    section = incident_share_figures(scope=report_scope(world.supervisor), month=Month(2026, 9))
    assert section.streets == [] and section.total.share is None


def test_the_report_page_shows_it(world, month, client):
    client.force_login(world.supervisor)
    page = html(client.get("/reports/monthly/", {"month": "2026-11"}))
    assert 'id="incident-share"' in page
    assert "75.0%" in page and "63.6%" in page
