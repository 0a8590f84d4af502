"""Read-only areas, units, categories; escalations of visible orders; the user's own
notifications with mark-read."""

from datetime import timedelta

import pytest

from disputes.sweep import sla_sweep
from notifications.models import Notification
from tests.factories import T0

pytestmark = pytest.mark.django_db


def results(response):
    assert response.status_code == 200, response.content
    body = response.json()
    return body["results"] if isinstance(body, dict) else body


# --- configuration ------------------------------------------------------------------------------


def test_areas(world, api, anon):
    assert anon.get("/api/v1/areas/").status_code == 401
    client = api(world.reporter)
    names = [a["name"] for a in results(client.get("/api/v1/areas/"))]
    assert names[0] == "石狮市" and "曾坑社区" in names
    communities = results(client.get("/api/v1/areas/", {"level": "community"}))
    assert {a["name"] for a in communities} == {"曾坑社区", "石光社区", "凤里社区"}
    under_hb = results(client.get("/api/v1/areas/", {"parent": world.hb.pk}))
    assert {a["code"] for a in under_hb} == {"ZK", "SG"}
    assert client.get(f"/api/v1/areas/{world.zk.pk}/").json()["path"] == "SS/HB/ZK/"
    assert client.get("/api/v1/areas/", {"level": "planet"}).status_code == 400
    assert client.get("/api/v1/areas/", {"parent": "x"}).status_code == 400
    assert client.get("/api/v1/areas/", {"parent": "9" * 30}).status_code == 400
    for bad in [999999, "x", "9" * 30]:
        assert client.get(f"/api/v1/areas/{bad}/").status_code == 404


def test_units(world, api, anon):
    assert anon.get("/api/v1/units/").status_code == 401
    client = api(world.handler)
    units = results(client.get("/api/v1/units/", {"kind": "police_station"}))
    assert {u["name"] for u in units} == {"湖滨派出所", "凤里派出所"}
    police = client.get(f"/api/v1/units/{world.hb_police.pk}/").json()
    assert police["covered_areas"] == [world.hb.pk]
    assert police["categories"] == ["wages"]
    world.hb_labour.is_active = False
    world.hb_labour.save()
    assert client.get(f"/api/v1/units/{world.hb_labour.pk}/").status_code == 404
    assert client.get("/api/v1/units/", {"kind": "x"}).status_code == 400


def test_categories(world, api, anon):
    assert anon.get("/api/v1/categories/").status_code == 401
    client = api(world.supervisor)
    codes = [c["code"] for c in results(client.get("/api/v1/categories/"))]
    assert codes == ["neighbours", "wages"]
    assert client.get(f"/api/v1/categories/{world.wages.pk}/").json()["name"] == "劳资纠纷"
    assert client.get("/api/v1/categories/0/").status_code == 404


def test_reference_lists_are_not_writable(world, api):
    client = api(world.admin)
    assert client.post("/api/v1/areas/", {}, format="json").status_code == 405
    assert client.delete(f"/api/v1/units/{world.hb_police.pk}/").status_code == 405


# --- escalations --------------------------------------------------------------------------------


@pytest.fixture
def overdue(world, order_in):
    """An HB order whose sign stage ran an hour over: warning and level 1 raised."""
    order = order_in("dispatched")
    sla_sweep(now=T0 + timedelta(hours=1, minutes=30))
    return order


def test_escalations_are_those_of_visible_orders(world, api, anon, overdue):
    assert anon.get("/api/v1/escalations/").status_code == 401
    center = results(api(world.dispatcher).get("/api/v1/escalations/"))
    assert {e["order"]["number"] for e in center} == {overdue.number}
    assert {e["level"] for e in center} >= {0, 1}
    assert all(e["is_open"] for e in center)
    assert results(api(world.fl_dispatcher).get("/api/v1/escalations/")) == []
    assert results(api(world.reporter).get("/api/v1/escalations/"))  # their own order
    one = center[0]["id"]
    assert api(world.handler).get(f"/api/v1/escalations/{one}/").status_code == 200
    assert api(world.fl_dispatcher).get(f"/api/v1/escalations/{one}/").status_code == 404
    assert api(world.dispatcher).get("/api/v1/escalations/abc/").status_code == 404


def test_escalation_filters(world, api, overdue):
    client = api(world.dispatcher)
    assert results(client.get("/api/v1/escalations/", {"open": "false"})) == []
    level1 = results(client.get("/api/v1/escalations/", {"level": 1}))
    assert [e["level"] for e in level1] == [1]
    assert client.get("/api/v1/escalations/", {"open": "maybe"}).status_code == 400
    assert client.get("/api/v1/escalations/", {"level": 7}).status_code == 400
    assert client.get("/api/v1/escalations/", {"stage": "x"}).status_code == 400


# --- notifications ------------------------------------------------------------------------------


def test_notifications_are_the_users_own(world, api, anon, order_in):
    assert anon.get("/api/v1/notifications/").status_code == 401
    order_in("dispatched")  # tells the center (reported) and the police (dispatched)
    center = results(api(world.dispatcher).get("/api/v1/notifications/"))
    assert [n["kind"] for n in center] == ["reported"]
    assert center[0]["order_number"].startswith("HB-")
    assert center[0]["is_read"] is False
    mine = center[0]["id"]
    assert api(world.dispatcher).get(f"/api/v1/notifications/{mine}/").status_code == 200
    assert api(world.handler).get(f"/api/v1/notifications/{mine}/").status_code == 404
    police = results(api(world.handler).get("/api/v1/notifications/"))
    assert [n["kind"] for n in police] == ["dispatched"]


def test_mark_read(world, api, order_in):
    order_in("reported")
    order_in("reported")
    client = api(world.dispatcher)
    first, second = (n["id"] for n in results(client.get("/api/v1/notifications/")))
    response = client.post("/api/v1/notifications/mark-read/", {"ids": [first]}, format="json")
    assert response.status_code == 200
    assert response.json() == {"marked": 1}
    unread = results(client.get("/api/v1/notifications/", {"unread": "true"}))
    assert [n["id"] for n in unread] == [second]
    # Someone else's ids are ignored, not an error, and change nothing.
    other = api(world.handler).post(
        "/api/v1/notifications/mark-read/", {"ids": [second]}, format="json"
    )
    assert other.json() == {"marked": 0}
    everything = client.post("/api/v1/notifications/mark-read/", {}, format="json")
    assert everything.json() == {"marked": 1}
    assert not Notification.objects.filter(recipient=world.dispatcher, read_at=None).exists()
    bad = client.post("/api/v1/notifications/mark-read/", {"ids": ["x"]}, format="json")
    assert bad.status_code == 400
    assert "ids" in bad.json()["errors"]
    assert client.get("/api/v1/notifications/", {"unread": "perhaps"}).status_code == 400


@pytest.mark.parametrize(
    "method,path",
    [
        ("get", "/api/v1/areas/1/"),
        ("get", "/api/v1/units/1/"),
        ("get", "/api/v1/categories/1/"),
        ("get", "/api/v1/escalations/1/"),
        ("get", "/api/v1/notifications/1/"),
        ("post", "/api/v1/notifications/mark-read/"),
        ("post", "/api/v1/incidents/"),
    ],
)
def test_unauthenticated_is_401(anon, method, path):
    response = getattr(anon, method)(path, {}, format="json")
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Token")
