"""Real responses, per role and per status, validated against the published OpenAPI
schema: the check schemathesis makes in CI, here on scenarios that reach every state."""

import json

import pytest
import requests
import schemathesis
from django.test import Client
from rest_framework.test import APIClient
from schemathesis.core.transport import Response

from tests.factories import RoutingRuleFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def schema(db):
    body = Client().get("/api/schema/", HTTP_ACCEPT="application/json").content
    return schemathesis.openapi.from_dict(json.loads(body))


@pytest.fixture
def conforms(schema):
    """``conforms(client, "POST", "/api/v1/orders/{id}/sign/", "/api/v1/orders/7/sign/",
    body, status)`` calls the API and validates status, content type and body."""

    def call(client, method: str, template: str, path: str, body=None, status=None):
        if method == "GET":
            response = client.get(path)
        else:
            payload = json.dumps(body or {})
            response = client.generic(method, path, payload, content_type="application/json")
        if status is not None:
            assert response.status_code == status, (path, response.content[:300])
        operation = schema[template][method]
        assert str(response.status_code) in operation.definition.raw["responses"], (
            template,
            response.status_code,
        )
        wrapped = Response(
            status_code=response.status_code,
            headers={k: [v] for k, v in response.headers.items()},
            content=response.content,
            request=requests.Request(method, "http://testserver" + path).prepare(),
            elapsed=0.0,
            verify=True,
        )
        operation.validate_response(wrapped)
        return response

    return call


ACTION = "/api/v1/orders/{id}/%s/"


def test_orders_in_every_state_and_role(world, api, anon, order_in, conforms):
    orders = [
        order_in(state)
        for state in ["reported", "dispatched", "signed", "contacted", "met", "closed"]
    ]
    orders.append(order_in("cancelled"))
    orders.append(order_in("closed", outcome="failed"))
    for user in [world.dispatcher, world.handler, world.reporter, world.supervisor]:
        client = api(user)
        conforms(client, "GET", "/api/v1/orders/", "/api/v1/orders/", status=200)
        for order in orders:
            conforms(client, "GET", "/api/v1/orders/{id}/", f"/api/v1/orders/{order.pk}/")
            conforms(
                client,
                "GET",
                "/api/v1/orders/{id}/timeline/",
                f"/api/v1/orders/{order.pk}/timeline/",
            )
    conforms(anon, "GET", "/api/v1/orders/", "/api/v1/orders/", status=401)
    center = api(world.dispatcher)
    conforms(center, "GET", "/api/v1/orders/", "/api/v1/orders/?state=x", status=400)
    conforms(center, "GET", "/api/v1/orders/", "/api/v1/orders/?cursor=x", status=404)
    conforms(center, "GET", "/api/v1/orders/{id}/", "/api/v1/orders/x/", status=404)


def test_report_and_every_action_with_their_errors(world, api, order_in, conforms):
    center, police, grid = api(world.dispatcher), api(world.handler), api(world.reporter)
    body = {
        "title": "t",
        "narrative": "n",
        "category": world.wages.pk,
        "community": world.zk.pk,
        "parties": [{"name": "王某"}],
    }
    conforms(grid, "POST", "/api/v1/orders/", "/api/v1/orders/", body, 201)
    conforms(grid, "POST", "/api/v1/orders/", "/api/v1/orders/", {}, 400)
    conforms(api(world.supervisor), "POST", "/api/v1/orders/", "/api/v1/orders/", body, 403)

    order = order_in("reported")
    oid = order.pk

    def act(client, action, data, status):
        return conforms(
            client, "POST", ACTION % action, f"/api/v1/orders/{oid}/{action}/", data, status
        )

    act(grid, "dispatch", {"lead_unit": world.hb_police.pk}, 403)
    act(center, "dispatch", {"lead_unit": 10**6}, 400)
    act(center, "dispatch", {"lead_unit": world.hb_police.pk}, 200)
    act(center, "dispatch", {"lead_unit": world.hb_police.pk}, 409)
    act(center, "reassign", {"lead_unit": world.hb_police.pk}, 200)
    act(api(world.fl_dispatcher), "reassign", {"lead_unit": world.hb_police.pk}, 404)
    act(police, "sign", {}, 200)
    act(api(world.handler2), "sign", {}, 409)
    act(police, "contact", {"method": "phone"}, 200)
    act(police, "meet", {"place": "p", "participants": "p", "result": "r"}, 200)
    act(police, "close", {"outcome": "mediated", "summary": "s"}, 400)
    act(police, "close", {"outcome": "withdrawn", "summary": "s"}, 200)
    act(police, "close", {"outcome": "withdrawn", "summary": "s"}, 409)
    act(center, "close-overdue", {"reason": "x"}, 409)  # within the 72 hours
    act(police, "closing-sign", {}, 403)
    act(grid, "closing-sign", {}, 200)
    party = order.parties.first().pk
    act(police, "closing-confirm", {"party": party}, 400)  # no photo
    act(police, "closing-confirm", {"party": party, "confirm": False, "reason": "x"}, 200)
    act(police, "close", {"outcome": "withdrawn", "summary": "s"}, 200)
    act(police, "closing-withdraw", {}, 200)
    conforms(
        police,
        "GET",
        "/api/v1/orders/{id}/closings/",
        f"/api/v1/orders/{oid}/closings/",
        status=200,
    )
    act(center, "cancel", {"reason": "x"}, 200)
    returned = order_in("dispatched")
    oid = returned.pk
    act(police, "return", {"reason": "非本单位职责"}, 202)
    act(police, "return", {"reason": "再申请"}, 409)
    act(police, "return-review", {"approve": False, "note": "x"}, 403)
    act(center, "return-review", {"approve": False}, 400)
    act(center, "return-review", {"approve": False, "note": "属本所职责"}, 200)
    act(police, "ask-assistance", {"note": "需要司法所"}, 409)
    act(police, "return", {"reason": "非本单位职责"}, 202)
    act(center, "return-review", {"approve": True}, 200)
    act(center, "cancel", {"reason": "重复"}, 200)


def test_bulk_dispatch_and_its_errors(world, api, order_in, conforms):
    RoutingRuleFactory(category=world.wages, area=world.hb, unit=world.hb_labour)
    sent, unrouted = order_in("reported"), order_in("reported", category=world.neighbours)
    center, path = api(world.dispatcher), "/api/v1/orders/dispatch-bulk/"
    ids = {"ids": [sent.pk, unrouted.pk, 987654321]}
    response = conforms(center, "POST", path, path, ids, 200)
    assert [r["dispatched"] for r in response.json()["results"]] == [True, False, False]
    conforms(center, "POST", path, path, {"ids": []}, 400)
    conforms(api(world.reporter), "POST", path, path, ids, 403)


def test_incidents_and_reference_endpoints(world, api, command_user, incident_types, conforms):
    command = api(command_user)
    incident = {
        "number": "J1",
        "received_at": "2026-11-10T09:30:00+08:00",
        "type": "JF-LZ",
        "summary": "s",
        "community": "HB/ZK",
    }
    url = "/api/v1/incidents/"
    conforms(command, "POST", url, url, incident, 201)
    conforms(command, "POST", url, url, incident, 200)
    conforms(command, "POST", url, url, incident | {"number": "J2", "type": "QZ"}, 201)
    conforms(command, "POST", url, url, incident | {"number": "J3", "type": "?"}, 400)
    conforms(api(world.dispatcher), "POST", url, url, incident, 403)
    conforms(api(world.fl_reporter), "POST", url, url, incident, 409)  # another unit's

    center = api(world.dispatcher)
    for template, path in [
        ("/api/v1/areas/", "/api/v1/areas/"),
        ("/api/v1/areas/{id}/", f"/api/v1/areas/{world.zk.pk}/"),
        ("/api/v1/units/", "/api/v1/units/"),
        ("/api/v1/units/{id}/", f"/api/v1/units/{world.hb_police.pk}/"),
        ("/api/v1/categories/", "/api/v1/categories/"),
        ("/api/v1/categories/{id}/", f"/api/v1/categories/{world.wages.pk}/"),
        ("/api/v1/escalations/", "/api/v1/escalations/"),
        ("/api/v1/notifications/", "/api/v1/notifications/"),
    ]:
        conforms(center, "GET", template, path, status=200)
    conforms(center, "GET", "/api/v1/units/{id}/", "/api/v1/units/0/", status=404)
    conforms(center, "POST", "/api/v1/notifications/mark-read/", "/api/v1/notifications/mark-read/")


def test_token_endpoint(world, conforms):
    url = "/api/v1/auth/token/"
    conforms(APIClient(), "POST", url, url, {"username": "center", "password": "pw"}, 200)
    conforms(APIClient(), "POST", url, url, {"username": "center", "password": "x"}, 400)
