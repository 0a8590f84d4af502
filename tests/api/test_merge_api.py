"""``POST /api/v1/orders/{id}/merge/`` (重复报单合并) and the detail's ``merged_into`` and
``merged``."""

import pytest

from disputes.models import Order, State
from tests.api.test_schema_conformance import conforms, schema  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db


def url(order_id, action=None) -> str:
    return f"/api/v1/orders/{order_id}/" + (f"{action}/" if action else "")


def merge(client, order, body):
    return client.post(url(order.pk, "merge"), body, format="json")


@pytest.fixture
def pair(world):
    kept = world.order(State.SIGNED)
    duplicate = world.order(State.DISPATCHED)
    return kept, duplicate


def test_the_dispatcher_merges_and_both_details_link(world, api, pair):
    kept, duplicate = pair
    client = api(world.dispatcher)
    response = merge(client, duplicate, {"into": kept.number, "reason": "重复报单"})
    assert response.status_code == 200
    body = response.json()
    assert body["state"] == "merged" and body["state_display"] == "已合并"
    assert body["merged_into"] == {"id": kept.pk, "number": kept.number}
    assert body["merge_reason"] == "重复报单" and body["merged_at"]
    assert body["actions"] == []
    detail = client.get(url(kept.pk)).json()
    assert detail["merged_into"] is None
    assert detail["merged"] == [{"id": duplicate.pk, "number": duplicate.number}]
    timeline = client.get(url(kept.pk, "timeline")).json()
    assert timeline[-1]["kind"] == "merged_in"
    # The list filters by the new state.
    listed = client.get("/api/v1/orders/", {"state": "merged"}).json()["results"]
    assert [o["number"] for o in listed] == [duplicate.number]


@pytest.mark.parametrize(
    "body, field",
    [
        ({}, "into"),
        ({"into": "x"}, "reason"),
        ({"into": 42, "reason": "重复"}, "into"),
        ({"into": "HB-209901-00009", "reason": "重复"}, "into"),
        ({"into": "", "reason": "重复"}, "into"),
        ({"into": "a" * 40, "reason": "重复"}, "into"),
        ({"into": "x\x00", "reason": "重复"}, "into"),
    ],
)
def test_bad_input_is_400_naming_the_field(world, api, pair, body, field):
    _kept, duplicate = pair
    response = merge(api(world.dispatcher), duplicate, body)
    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert Order.objects.get(pk=duplicate.pk).state == State.DISPATCHED


def test_into_itself_is_400(world, api, pair):
    _kept, duplicate = pair
    response = merge(api(world.dispatcher), duplicate, {"into": duplicate.number, "reason": "x"})
    assert response.status_code == 400 and "into" in response.json()["errors"]


@pytest.mark.parametrize("who, code", [("handler", 403), ("reporter", 403), ("supervisor", 403)])
def test_others_may_not(world, api, pair, who, code):
    kept, duplicate = pair
    response = merge(api(getattr(world, who)), duplicate, {"into": kept.number, "reason": "x"})
    assert response.status_code == code


def test_outside_the_scope_is_404(world, api, pair):
    kept, duplicate = pair
    response = merge(api(world.fl_dispatcher), duplicate, {"into": kept.number, "reason": "x"})
    assert response.status_code == 404
    assert (
        merge(api(world.dispatcher), Order(pk=999999), {"into": "x", "reason": "x"}).status_code
        == 404
    )


def test_already_merged_or_closed_is_409(world, api, pair):
    kept, duplicate = pair
    client = api(world.dispatcher)
    assert merge(client, duplicate, {"into": kept.number, "reason": "x"}).status_code == 200
    again = merge(client, duplicate, {"into": kept.number, "reason": "x"})
    assert again.status_code == 409 and again.json()["state"] == "merged"
    closed = world.order(State.CLOSED)
    answer = merge(client, closed, {"into": kept.number, "reason": "x"})
    assert answer.status_code == 409 and answer.json()["state"] == "closed"


def test_the_schema_documents_it(api, world):
    published = api(world.dispatcher).get("/api/schema/?format=json").json()
    operation = published["paths"]["/api/v1/orders/{id}/merge/"]["post"]
    assert {"400", "403", "404", "409"} <= set(operation["responses"])
    detail = published["components"]["schemas"]["OrderDetail"]["properties"]
    assert {"merged_into", "merged", "merged_at", "merge_reason"} <= set(detail)
    assert "merged" in published["components"]["schemas"]["OrderStateEnum"]["enum"]


def test_the_answers_match_the_schema(world, api, pair, conforms):  # noqa: F811
    kept, duplicate = pair
    template, path = "/api/v1/orders/{id}/merge/", f"/api/v1/orders/{duplicate.pk}/merge/"
    center = api(world.dispatcher)
    body = {"into": kept.number, "reason": "重复报单"}
    conforms(center, "POST", template, path, {"into": "无此编号", "reason": "x"}, 400)
    conforms(api(world.reporter), "POST", template, path, body, 403)
    conforms(api(world.fl_dispatcher), "POST", template, path, body, 404)
    conforms(center, "POST", template, path, body, 200)
    conforms(center, "POST", template, path, body, 409)
    conforms(center, "GET", "/api/v1/orders/{id}/", f"/api/v1/orders/{kept.pk}/", None, 200)
