"""Colour grades and 包案 through the API: the fields, the ``colour=`` filter, the
dispatch's colour and leader, ``recolour`` and ``leader_review`` (404 outside scope,
403 for a role that may not, 400 naming the field, 409 for the closing refused)."""

import pytest

from disputes.models import Order, State
from tests.factories import AGREEMENT, report_order, street_leader

pytestmark = pytest.mark.django_db


def url(pk: int, action: str = "") -> str:
    return f"/api/v1/orders/{pk}/" + (f"{action}/" if action else "")


def test_the_order_has_its_colour_leader_and_review(world, api, order_in):
    order = order_in(State.DISPATCHED, risk_level="high")
    leader = street_leader(world.hb)
    detail = api(world.dispatcher).get(url(order.pk)).json()
    assert detail["colour"] == "red"
    assert detail["case_leader"]["id"] == leader.pk
    assert detail["leader_reviewed_at"] is None
    assert "leader-review" in api(leader).get(url(order.pk)).json()["actions"]


def test_the_list_filters_by_colour(world, api, t0):
    red = report_order(world, now=t0, risk_level="high")
    green = report_order(world, now=t0)
    rows = api(world.dispatcher).get("/api/v1/orders/?colour=red").json()["results"]
    assert [r["id"] for r in rows] == [red.pk] and rows[0]["colour"] == "red"
    rows = api(world.dispatcher).get("/api/v1/orders/?colour=green").json()["results"]
    assert [r["id"] for r in rows] == [green.pk]
    assert api(world.dispatcher).get("/api/v1/orders/?colour=purple").status_code == 400


def test_dispatch_names_the_fields_it_refuses(world, api, t0):
    order = report_order(world, now=t0, risk_level="high")
    client = api(world.dispatcher)
    body = {"lead_unit": world.hb_police.pk}
    response = client.post(url(order.pk, "dispatch"), body, format="json")
    assert response.status_code == 400 and "case_leader" in response.json()["errors"]
    response = client.post(
        url(order.pk, "dispatch"),
        {**body, "case_leader": world.handler.pk},
        format="json",
    )
    assert response.status_code == 400 and "case_leader" in response.json()["errors"]
    response = client.post(
        url(order.pk, "dispatch"),
        {**body, "colour": "green", "case_leader": street_leader(world.hb).pk},
        format="json",
    )
    assert response.status_code == 400 and "colour_reason" in response.json()["errors"]
    assert Order.objects.get(pk=order.pk).state == State.REPORTED

    leader = street_leader(world.hb)
    response = client.post(
        url(order.pk, "dispatch"), {**body, "case_leader": leader.pk}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["colour"] == "red"
    assert response.json()["case_leader"]["id"] == leader.pk


def test_recolour_scope_roles_and_fields(world, api, t0):
    order = report_order(world, now=t0)
    body = {"colour": "yellow", "reason": "独居老人"}
    assert (
        api(world.fl_dispatcher).post(url(order.pk, "recolour"), body, format="json").status_code
        == 404
    )
    assert (
        api(world.reporter).post(url(order.pk, "recolour"), body, format="json").status_code == 403
    )
    response = api(world.dispatcher).post(
        url(order.pk, "recolour"), {"colour": "yellow"}, format="json"
    )
    assert response.status_code == 400 and "reason" in response.json()["errors"]
    response = api(world.dispatcher).post(
        url(order.pk, "recolour"), {"colour": "red", "reason": "扬言报复"}, format="json"
    )
    assert response.status_code == 400 and "case_leader" in response.json()["errors"]
    assert Order.objects.get(pk=order.pk).colour == "green"

    response = api(world.dispatcher).post(url(order.pk, "recolour"), body, format="json")
    assert response.status_code == 200 and response.json()["colour"] == "yellow"
    timeline = api(world.dispatcher).get(url(order.pk, "timeline")).json()
    assert timeline[-1]["kind"] == "recoloured" and timeline[-1]["note"] == "独居老人"


def test_closing_a_red_order_waits_for_the_leaders_review(world, api, order_in):
    order = order_in(State.MET, risk_level="high")
    leader = street_leader(world.hb)
    close = {
        "outcome": "mediated",
        "summary": "达成协议",
        "grade": "ordinary",
        **AGREEMENT,
    }
    handler = api(world.handler)
    refused = handler.post(url(order.pk, "close"), close, format="json")
    assert refused.status_code == 409 and "包案领导审核" in refused.json()["detail"]

    review = {"note": "同意"}
    refused = api(world.handler).post(url(order.pk, "leader-review"), review, format="json")
    assert refused.status_code == 403
    response = api(leader).post(url(order.pk, "leader-review"), {"note": ""}, format="json")
    assert response.status_code == 400 and "note" in response.json()["errors"]
    response = api(leader).post(url(order.pk, "leader-review"), {"note": "同意结单"}, format="json")
    assert response.status_code == 200 and response.json()["leader_reviewed_at"]
    assert handler.post(url(order.pk, "close"), close, format="json").status_code == 200
