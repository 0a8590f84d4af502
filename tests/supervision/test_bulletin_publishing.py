"""Publishing the monthly bulletin to the units (发布通报) and each unit's own standing
(本单位通报): November 2026 as built by hand in ``built_month``. In the city's
November ranking (RANKING_MIN_CASES 5) only 曾坑 (6 cases) is ranked; 石光 (1), 凤里派出所
(1), 湖滨劳动保障所 (2) and 湖滨派出所 (3) are listed, not ranked (see
test_monthly_figures.test_ranking_and_month_over_month_change)."""

from __future__ import annotations

from decimal import Decimal

import pytest
import time_machine
from rest_framework.test import APIClient

from notifications.models import Notification
from shishi_mediation.errors import Conflict
from supervision.bulletins import bulletin_publish, bulletins_publish_due
from supervision.models import BulletinIssue, BulletinStanding
from supervision.tasks import publish_bulletins
from tests.supervision.conftest import AS_OF, DECEMBER, NOVEMBER, local

# The month is built once for the module (conftest.month_snapshot).
pytestmark = pytest.mark.usefixtures("month_snapshot")

D = Decimal
STANDING = "/reports/standing/"
API = "/api/v1/reports/standing/"


@pytest.fixture
def published(built_month):
    issue, created = bulletin_publish(
        area=built_month.world.city, month=NOVEMBER, actor=built_month.world.supervisor, now=AS_OF
    )
    assert created
    return issue


def standings(issue):
    return [
        (s.unit.name, s.rank, s.cases, s.score, s.fair_score)
        for s in BulletinStanding.objects.filter(issue=issue).select_related("unit")
    ]


def bulletin_notices():
    return sorted(
        (n.recipient.username, n.subject, n.body)
        for n in Notification.objects.filter(kind="bulletin").select_related("recipient")
    )


def test_publishing_freezes_each_units_row_and_rank(built_month, published):
    w = built_month.world
    assert (published.month.isoformat(), published.area, published.published_by) == (
        "2026-11-01",
        w.city,
        w.supervisor,
    )
    assert (published.ranked_units, published.listed_units, published.min_cases) == (1, 5, 5)
    assert standings(published) == [
        ("曾坑社区人民调解委员会", 1, 6, D("91.8"), D("82.1")),
        ("凤里派出所", None, 1, D("69.2"), D("81.5")),
        ("湖滨劳动保障所", None, 2, D("85.3"), D("81.3")),
        ("湖滨派出所", None, 3, D("51.7"), D("73.5")),
        ("石光社区人民调解委员会", None, 1, D("100.0"), D("83.2")),
    ]
    police = BulletinStanding.objects.get(issue=published, unit=w.hb_police)
    assert (police.figures["name"], police.figures["median_contact_minutes"]) == (
        "湖滨派出所",
        "1740.0",
    )


def test_each_member_of_each_listed_unit_is_told_once(built_month, published):
    """Handlers, heads (and a center's dispatchers) of the five listed units; not the
    reporters, not the supervisors, not the centers (no row: they lead no order)."""
    ranked = "曾坑社区人民调解委员会：第1名（共1个单位参与排名），案件6件。请在“本单位通报”查看。"
    police = "湖滨派出所：未排名（案件数不足5件），案件3件。请在“本单位通报”查看。"
    subject = "2026年11月考核通报已发布"
    assert bulletin_notices() == [
        ("committee", subject, ranked),
        ("committee_head", subject, ranked),
        (
            "fl_police",
            subject,
            "凤里派出所：未排名（案件数不足5件），案件1件。请在“本单位通报”查看。",
        ),
        ("head", subject, police),
        (
            "labour",
            subject,
            "湖滨劳动保障所：未排名（案件数不足5件），案件2件。请在“本单位通报”查看。",
        ),
        ("police", subject, police),
        ("police2", subject, police),
        (
            "sg_head",
            subject,
            "石光社区人民调解委员会：未排名（案件数不足5件），案件1件。请在“本单位通报”查看。",
        ),
    ]
    assert all(n.order_id is None for n in Notification.objects.filter(kind="bulletin"))


def test_publishing_again_changes_nothing_and_tells_nobody(built_month, published):
    w = built_month.world
    before = bulletin_notices()
    issue, created = bulletin_publish(
        area=w.city, month=NOVEMBER, actor=w.hb_supervisor, now=AS_OF.replace(day=20)
    )
    assert (issue.pk, created, issue.published_by) == (published.pk, False, w.supervisor)
    assert bulletin_notices() == before
    assert BulletinStanding.objects.filter(issue=published).count() == 5


def test_a_month_not_over_cannot_be_published(built_month):
    with pytest.raises(Conflict):
        bulletin_publish(area=built_month.world.city, month=DECEMBER, now=AS_OF)
    # The last instant of November in Shanghai is still November.
    with pytest.raises(Conflict):
        bulletin_publish(
            area=built_month.world.city, month=NOVEMBER, now=local(12, 1) - local(12, 1).resolution
        )
    assert not BulletinIssue.objects.exists()


def test_the_beat_task_publishes_last_month_on_the_first_once(built_month):
    at = local(12, 1, 9, 0)
    with time_machine.travel(at, tick=False):
        assert publish_bulletins() == 1
        assert publish_bulletins() == 0  # a second beat, a retried task
    issue = BulletinIssue.objects.get()
    assert (issue.month.isoformat(), issue.area, issue.published_by, issue.published_at) == (
        "2026-11-01",
        built_month.world.city,
        None,
        at,
    )
    assert Notification.objects.filter(kind="bulletin").count() == 8
    assert bulletins_publish_due(now=local(12, 2)) == []


def test_a_street_bulletin_ranks_within_the_street(built_month):
    """湖滨's bulletin: its units only, shrunk toward 湖滨's rates; 凤里派出所 is not in it."""
    issue, _created = bulletin_publish(area=built_month.world.hb, month=NOVEMBER, now=AS_OF)
    names = [name for name, *_rest in standings(issue)]
    assert names[0] == "曾坑社区人民调解委员会" and "凤里派出所" not in names
    assert (issue.ranked_units, issue.listed_units) == (1, 4)


# --- the page -----------------------------------------------------------------------------------


def get(client, user, url):
    client.force_login(user)
    return client.get(url)


def test_a_unit_member_reads_its_own_row(built_month, published, client):
    html = get(client, built_month.world.committee_handler, STANDING).content.decode()
    assert "2026年11月 · 曾坑社区人民调解委员会" in html
    assert "第1名（共1个单位参与排名）" in html
    for other in ("湖滨派出所", "石光社区人民调解委员会", "凤里派出所", "湖滨劳动保障所"):
        assert other not in html, other


def test_an_unranked_unit_reads_why_and_its_durations_in_hours(built_month, published, client):
    html = get(client, built_month.world.handler, STANDING).content.decode()
    assert "未排名（案件数不足5件）" in html
    assert "<dt>案件数</dt><dd>3</dd>" in html
    # 湖滨派出所's contact median 1740 minutes, meet 2550 minutes.
    assert "1天5小时" in html and "1天19小时" in html and "1740" not in html
    assert "曾坑社区人民调解委员会" not in html


def test_another_units_row_is_not_found(built_month, published, client):
    w = built_month.world
    assert get(client, w.handler, f"{STANDING}?unit={w.hb_committee.pk}").status_code == 404
    assert get(client, w.handler, f"{STANDING}?unit={w.hb_police.pk}").status_code == 200
    assert get(client, w.handler, f"{STANDING}?unit=abc").status_code == 400
    assert get(client, w.handler, f"{STANDING}?month=2026-13").status_code == 400


@pytest.mark.parametrize("who", ["reporter", "supervisor", "nobody"])
def test_who_has_no_unit_to_read_is_refused(built_month, published, client, who):
    assert get(client, getattr(built_month.world, who), STANDING).status_code == 403


def test_the_anonymous_are_sent_to_log_in(built_month, client):
    response = client.get(STANDING)
    assert response.status_code == 302 and "/login" in response["Location"]


def test_before_publishing_the_page_says_so(built_month, client):
    html = get(client, built_month.world.handler, STANDING).content.decode()
    assert "尚无已发布的通报。" in html
    html = get(client, built_month.world.handler, f"{STANDING}?month=2026-11").content.decode()
    assert "2026年11月的通报尚未发布。" in html


def test_the_inbox_notice_and_the_nav_lead_to_the_page(built_month, published, client):
    w = built_month.world
    html = get(client, w.handler, "/inbox/").content.decode()
    assert f'<a href="{STANDING}">2026年11月考核通报已发布</a>' in html
    client.force_login(w.handler)
    assert "本单位通报" in client.get("/", follow=True).content.decode()
    assert get(client, w.handler, "/reports/")["Location"] == STANDING
    client.force_login(w.reporter)
    assert "本单位通报" not in client.get("/", follow=True).content.decode()


# --- the supervisor's button --------------------------------------------------------------------


def test_a_supervisor_publishes_from_the_bulletin_page(built_month, client):
    w = built_month.world
    client.force_login(w.supervisor)
    with time_machine.travel(AS_OF, tick=False):
        assert "发布通报" in client.get("/reports/bulletin/?month=2026-11").content.decode()
        response = client.post("/reports/bulletin/publish/", {"month": "2026-11"})
        assert response.status_code == 302
        assert response["Location"] == "/reports/bulletin/?month=2026-11"
        html = client.get(response["Location"]).content.decode()
        assert "2026年11月通报已发布，5个单位可在“本单位通报”查看。" in html
        assert "本月石狮市通报已于 2026-12-05 12:00 发布到各单位。" in html
        # Again: nobody is told twice.
        client.post("/reports/bulletin/publish/", {"month": "2026-11"})
    assert BulletinIssue.objects.get().published_by == w.supervisor
    assert Notification.objects.filter(kind="bulletin").count() == 8


def test_the_button_refuses_what_it_must(built_month, client):
    w = built_month.world
    with time_machine.travel(AS_OF, tick=False):
        client.force_login(w.handler)
        assert client.post("/reports/bulletin/publish/", {"month": "2026-11"}).status_code == 403
        client.force_login(w.hb_supervisor)
        response = client.post(
            "/reports/bulletin/publish/", {"month": "2026-11", "street": w.fl.pk}
        )
        assert response.status_code == 404
        response = client.post("/reports/bulletin/publish/", {"month": "2026-12"})
        assert response.status_code == 409
        assert client.post("/reports/bulletin/publish/", {"month": "11/2026"}).status_code == 400
        assert client.get("/reports/bulletin/publish/").status_code == 405
        # A street supervisor publishes its street's bulletin.
        assert client.post("/reports/bulletin/publish/", {"month": "2026-11"}).status_code == 302
    assert BulletinIssue.objects.get().area == w.hb


# --- the API ------------------------------------------------------------------------------------


def api(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def test_the_api_gives_a_unit_its_own_row(built_month, published):
    w = built_month.world
    response = api(w.committee_head).get(API, {"month": "2026-11"})
    assert response.status_code == 200
    body = response.json()
    assert body["month"] == "2026-11"
    [row] = body["standings"]
    assert {k: row[k] for k in ("unit", "area", "rank", "ranked", "ranked_units", "cases")} == {
        "unit": "曾坑社区人民调解委员会",
        "area": "石狮市",
        "rank": 1,
        "ranked": True,
        "ranked_units": 1,
        "cases": 6,
    }
    assert (row["score"], row["fair_score"], row["figures"]["name"]) == (
        91.8,
        82.1,
        "曾坑社区人民调解委员会",
    )
    [row] = api(w.handler).get(API, {"month": "2026-11"}).json()["standings"]
    assert (row["figures"]["median_contact_minutes"], row["figures"]["received"]) == (1740.0, 2)
    assert (row["unit"], row["rank"], row["ranked"], row["min_cases"]) == (
        "湖滨派出所",
        None,
        False,
        5,
    )


def test_the_api_refuses_what_it_must(built_month, published):
    w = built_month.world
    assert api().get(API, {"month": "2026-11"}).status_code == 401
    assert api(w.reporter).get(API, {"month": "2026-11"}).status_code == 403
    assert api(w.supervisor).get(API, {"month": "2026-11"}).status_code == 403
    assert api(w.handler).get(API, {"month": "2026-10"}).status_code == 404  # not published
    other = api(w.handler).get(API, {"month": "2026-11", "unit": w.hb_committee.pk})
    assert other.status_code == 404
    bad = api(w.handler).get(API, {"month": "2026-13"})
    assert bad.status_code == 400 and "month" in bad.json()["errors"]
    assert api(w.handler).get(API).status_code == 400


def test_the_admin_shows_a_published_issue_read_only(built_month, published, client):
    client.force_login(built_month.world.admin)
    html = client.get(f"/admin/supervision/bulletinissue/{published.pk}/change/").content.decode()
    assert "湖滨派出所" in html and 'name="_save"' not in html
    assert client.get("/admin/supervision/bulletinissue/add/").status_code == 403
