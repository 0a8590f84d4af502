"""``POST /api/v1/orders/{id}/direct/`` (督办) and ``/direct-reply/`` (督办回复)."""

from datetime import timedelta

import pytest
import yaml
from django.utils import timezone

from disputes.models import Directive, State

pytestmark = pytest.mark.django_db


def url(order, action: str) -> str:
    return f"/api/v1/orders/{order.pk}/{action}/"


def ahead(**delta) -> str:
    return timezone.localtime(timezone.now() + timedelta(**delta)).isoformat()


def test_a_supervisor_directs_and_the_head_replies(world, api):
    order = world.order(State.SIGNED, assignee=world.handler)
    response = api(world.supervisor).post(
        url(order, "direct"),
        {"demand": "请今日联系当事人", "reply_due_at": ahead(hours=8)},
        format="json",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["state"] == State.SIGNED and body["actions"] == ["direct"]
    (directive,) = body["directives"]
    assert directive["demand"] == "请今日联系当事人" and directive["awaiting_reply"] is True
    assert directive["issued_by"]["username"] == "supervisor" and directive["on_time"] is None
    assert directive["unit"]["id"] == world.hb_police.pk

    # The head sees it in the detail, with the reply among its actions.
    head = api(world.head)
    detail = head.get(f"/api/v1/orders/{order.pk}/").json()
    assert "direct-reply" in detail["actions"] and "direct" not in detail["actions"]
    response = head.post(
        url(order, "direct-reply"),
        {"directive": directive["id"], "reply": "已约定明日调解"},
        format="json",
    )
    assert response.status_code == 200, response.content
    (answered,) = response.json()["directives"]
    assert answered["reply"] == "已约定明日调解" and answered["on_time"] is True
    assert answered["awaiting_reply"] is False and answered["replied_by"]["username"] == "head"
    kinds = [e["kind"] for e in head.get(f"/api/v1/orders/{order.pk}/timeline/").json()]
    assert kinds[-2:] == ["directed", "direct_replied"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"reply_due_at": "+8h"}, "demand"),
        ({"demand": "", "reply_due_at": "+8h"}, "demand"),
        ({"demand": 5, "reply_due_at": "+8h"}, "demand"),
        ({"demand": "x" * 2001, "reply_due_at": "+8h"}, "demand"),
        ({"demand": "请处理"}, "reply_due_at"),
        ({"demand": "请处理", "reply_due_at": "明天"}, "reply_due_at"),
        ({"demand": "请处理", "reply_due_at": "-1h"}, "reply_due_at"),  # the service's check
        ({"demand": "请处理", "reply_due_at": "+31d"}, "reply_due_at"),
        ({"demand": "\u200b", "reply_due_at": "+8h"}, "demand"),  # invisible: the service
    ],
)
def test_a_bad_directive_is_a_400_naming_the_field(world, api, body, field):
    order = world.order(State.SIGNED)
    relative = {"+8h": ahead(hours=8), "-1h": ahead(hours=-1), "+31d": ahead(days=31)}
    if body.get("reply_due_at") in relative:
        body = {**body, "reply_due_at": relative[body["reply_due_at"]]}
    response = api(world.supervisor).post(url(order, "direct"), body, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()["errors"]
    assert not Directive.objects.exists()


def test_a_second_directive_while_one_awaits_is_a_409(world, api):
    order = world.order(State.SIGNED)
    client = api(world.supervisor)
    body = {"demand": "请处理", "reply_due_at": ahead(hours=8)}
    assert client.post(url(order, "direct"), body, format="json").status_code == 200
    response = client.post(url(order, "direct"), body, format="json")
    assert response.status_code == 409 and response.json()["state"] == State.SIGNED


def test_a_reported_order_is_a_409_with_a_message(world, api):
    order = world.order(State.REPORTED)
    response = api(world.supervisor).post(
        url(order, "direct"), {"demand": "请处理", "reply_due_at": ahead(hours=8)}, format="json"
    )
    assert response.status_code == 409
    assert "待派单" in response.json()["detail"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"reply": "已处理"}, "directive"),
        ({"directive": "1", "reply": "已处理"}, "directive"),
        ({"directive": 987654321, "reply": "已处理"}, "directive"),  # not this order's
        ({"directive": None, "reply": ""}, "reply"),
        ({"directive": None}, "reply"),
    ],
)
def test_a_bad_reply_is_a_400_naming_the_field(world, api, body, field):
    order = world.order(State.SIGNED)
    api(world.supervisor).post(
        url(order, "direct"), {"demand": "请处理", "reply_due_at": ahead(hours=8)}, format="json"
    )
    if body.get("directive", 0) is None:
        body = {**body, "directive": order.directives.get().pk}
    response = api(world.head).post(url(order, "direct-reply"), body, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()["errors"]
    assert order.directives.get().replied_at is None


def test_the_schema_documents_both_endpoints(anon):
    schema = yaml.safe_load(anon.get("/api/schema/").content)
    paths = schema["paths"]
    direct = paths["/api/v1/orders/{id}/direct/"]["post"]
    reply = paths["/api/v1/orders/{id}/direct-reply/"]["post"]
    assert direct["summary"] == "督办" and reply["summary"] == "督办回复"
    assert {"400", "403", "404", "409"} <= set(direct["responses"])
    schemas = schema["components"]["schemas"]
    assert set(schemas["DirectRequest"]["required"]) == {"demand", "reply_due_at"}
    assert set(schemas["DirectReplyRequest"]["required"]) == {"directive", "reply"}
    assert "directives" in schemas["OrderDetail"]["properties"]
    assert "reply_due_at" in schemas["Directive"]["properties"]
