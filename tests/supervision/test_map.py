"""The map (``/map/``, ``/api/v1/map/``; docs/MAP.md): who sees which orders, the filters
and the counts per community, on a set of orders built by hand.

The set (Asia/Shanghai times):
  #1 曾坑 wages, high risk → red, reported 2026-11-10, open, point
  #2 曾坑 neighbours, low → green, reported 2026-11-10, open, no point
  #3 曾坑 wages, low → green, reported 2026-11-10, closed, point
  #4 石光 wages, medium → yellow, reported 2026-10-20, cancelled, point
  #5 凤里社区 wages, low → green, reported 2026-11-10, open, point
"""

from datetime import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from disputes.models import Order
from shishi_mediation.text import SHANGHAI
from tests.factories import T0, order_in_state, report_order

pytestmark = pytest.mark.django_db

API = "/api/v1/map/"
PAGE = "/map/"


def located(order, lat, lng):
    Order.objects.filter(pk=order.pk).update(
        latitude=Decimal(lat), longitude=Decimal(lng), location_source="gps"
    )
    return order


@pytest.fixture
def orders(world):
    return {
        1: located(
            report_order(world, risk_level="high", now=T0, title="一"), "24.7481", "118.6551"
        ),
        2: report_order(world, category=world.neighbours, now=T0, title="二"),
        3: located(order_in_state(world, "closed", start=T0), "24.7452", "118.6573"),
        4: located(
            order_in_state(
                world,
                "cancelled",
                community=world.sg,
                risk_level="medium",
                start=datetime(2026, 10, 20, 10, 0, tzinfo=SHANGHAI),
            ),
            "24.7490",
            "118.6690",
        ),
        5: located(
            report_order(world, community=world.fl_community, now=T0), "24.7370", "118.6210"
        ),
    }


def get(user, **params):
    token, _ = Token.objects.get_or_create(user=user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client.get(API, params)


def ids(body) -> set[int]:
    return {f["id"] for f in body["features"]}


def counts(body) -> dict[str, tuple[int, int, int, int]]:
    return {c["name"]: (c["total"], c["open"], c["red"], c["located"]) for c in body["communities"]}


def test_the_city_supervisor_sees_every_community_with_exact_counts(world, orders):
    response = get(world.supervisor)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["type"] == "FeatureCollection"
    assert ids(body) == {orders[n].pk for n in (1, 3, 4, 5)}
    #              total open red located
    assert counts(body) == {
        "曾坑社区": (3, 2, 1, 2),
        "石光社区": (1, 0, 0, 1),
        "凤里社区": (1, 1, 0, 1),
    }
    assert (body["total"], body["located"], body["truncated"]) == (5, 4, False)
    one = next(f for f in body["features"] if f["id"] == orders[1].pk)
    assert one["geometry"] == {"type": "Point", "coordinates": [118.6551, 24.7481]}
    assert one["properties"]["colour"] == "red" and one["properties"]["open"] is True
    assert one["properties"]["category"] == "wages"


@pytest.mark.parametrize("who", ["hb_supervisor", "dispatcher"])
def test_a_street_sees_its_own_street_only(world, orders, who):
    body = get(getattr(world, who)).json()
    assert ids(body) == {orders[n].pk for n in (1, 3, 4)}
    assert set(counts(body)) == {"曾坑社区", "石光社区"}


def test_the_other_street_center_sees_its_street(world, orders):
    body = get(world.fl_dispatcher).json()
    assert ids(body) == {orders[5].pk}
    assert counts(body) == {"凤里社区": (1, 1, 0, 1)}


@pytest.mark.parametrize("who", ["reporter", "handler", "committee_head", "nobody"])
def test_others_are_refused(world, orders, who):
    assert get(getattr(world, who)).status_code == 403


def test_the_anonymous_must_log_in(world):
    assert APIClient().get(API).status_code == 401


def test_a_street_narrows_the_scope_and_one_outside_it_is_404(world, orders):
    body = get(world.supervisor, street=world.fl.pk).json()
    assert ids(body) == {orders[5].pk}
    assert get(world.hb_supervisor, street=world.fl.pk).status_code == 404
    assert get(world.dispatcher, street=world.fl.pk).status_code == 404


@pytest.mark.parametrize(
    "params,expected_ids,zk",
    [
        ({"month": "2026-10"}, {4}, (0, 0, 0, 0)),
        ({"month": "2026-11"}, {1, 3, 5}, (3, 2, 1, 2)),
        ({"category": "neighbours"}, set(), (1, 1, 0, 0)),
        ({"state": "open"}, {1, 5}, (2, 2, 1, 1)),
        ({"state": "closed"}, {3}, (1, 0, 0, 1)),
        ({"state": "cancelled"}, {4}, (0, 0, 0, 0)),
        ({"colour": "red"}, {1}, (1, 1, 1, 1)),
        ({"colour": "yellow", "month": "2026-10"}, {4}, (0, 0, 0, 0)),
        ({"category": "wages", "state": "open", "colour": "green"}, {5}, (0, 0, 0, 0)),
    ],
)
def test_the_filters(world, orders, params, expected_ids, zk):
    body = get(world.supervisor, **params).json()
    assert ids(body) == {orders[n].pk for n in expected_ids}
    assert counts(body)["曾坑社区"] == zk


@pytest.mark.parametrize(
    "params,field",
    [
        ({"month": "2026-13"}, "month"),
        ({"month": "2999-01"}, "month"),
        ({"category": "nope"}, "category"),
        ({"state": "lost"}, "state"),
        ({"colour": "blue"}, "colour"),
        ({"street": "abc"}, "street"),
        ({"state": ""}, "state"),
        ({"colour": ["red", "green"]}, "colour"),
    ],
)
def test_a_bad_filter_is_400_naming_it(world, orders, params, field):
    response = get(world.supervisor, **params)
    assert response.status_code == 400
    assert list(response.json()["errors"]) == [field]


def test_the_points_are_bounded_newest_first(world, orders, settings):
    settings.MAP_MAX_FEATURES = 2
    body = get(world.supervisor).json()
    assert len(body["features"]) == 2 and body["limit"] == 2
    assert body["truncated"] is True and body["located"] == 4
    # #4 (October) is the oldest; #1, #3, #5 share T0, the higher id first.
    assert [f["id"] for f in body["features"]] == [orders[5].pk, orders[3].pk]


def test_the_query_count_does_not_grow_with_the_orders(world, orders):
    get(world.supervisor)
    with CaptureQueriesContext(connection) as few:
        get(world.supervisor)
    for _ in range(4):
        located(report_order(world, community=world.sg, now=T0), "24.749", "118.669")
    with CaptureQueriesContext(connection) as many:
        body = get(world.supervisor).json()
    assert counts(body)["石光社区"] == (5, 4, 0, 5)
    assert len(many) == len(few)


# --- the page ----------------------------------------------------------------------------------


def page(client, user, **params):
    client.force_login(user)
    return client.get(PAGE, params)


def test_the_page_shows_the_counts_table_and_the_map(client, world, orders):
    response = page(client, world.hb_supervisor)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="community-counts"' in html
    assert (
        f'<tr data-path="{world.zk.path}"><th scope="row">曾坑社区 <small class="muted">湖滨街道'
        "</small></th><td>3</td><td>2</td><td>1</td><td>2</td></tr>"
    ) in html
    assert "凤里社区" not in html
    assert "<tfoot><tr><td>合计</td><td>4</td><td>2</td><td>1</td><td>3</td></tr></tfoot>" in html
    assert 'data-api="/api/v1/map/"' in html
    assert "vendor/leaflet/leaflet.js" in html and "vendor/leaflet.heat/leaflet-heat.js" in html
    assert "示意边界，非精确" in html
    assert "未配置底图" in html  # no MAP_TILE_URL in the tests
    # The CSP holds: no inline script or style on the page.
    assert "<script>" not in html and " style=" not in html and "<style" not in html
    assert "script-src 'self'" in response["Content-Security-Policy"]


def test_the_page_passes_its_filters_to_the_map(client, world, orders):
    html = page(client, world.supervisor, state="open", colour="red").content.decode()
    assert 'data-api="/api/v1/map/?state=open&amp;colour=red"' in html
    assert "<td>合计</td><td>1</td><td>1</td><td>1</td><td>1</td>" in html


@pytest.mark.parametrize("who", ["dispatcher", "supervisor", "admin"])
def test_the_center_and_supervisors_may_open_it(client, world, orders, who):
    assert page(client, getattr(world, who)).status_code == 200


@pytest.mark.parametrize("who", ["reporter", "handler", "nobody"])
def test_others_may_not_open_it(client, world, who):
    assert page(client, getattr(world, who)).status_code == 403


def test_the_page_404s_a_street_outside_and_400s_a_bad_filter(client, world):
    assert page(client, world.dispatcher, street=world.fl.pk).status_code == 404
    bad = page(client, world.supervisor, month="nope")
    assert bad.status_code == 400 and 'data-field="month"' in bad.content.decode()


def test_the_anonymous_are_sent_to_log_in(client, world):
    response = client.get(PAGE)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_the_nav_links_the_map_for_those_who_may_see_it(client, world):
    client.force_login(world.dispatcher)
    assert 'href="/map/"' in client.get("/board/").content.decode()
    client.force_login(world.reporter)
    assert 'href="/map/"' not in client.get("/report/").content.decode()
