"""``POST /api/v1/orders/dispatch-bulk/``: dispatchers only, a strict body, a result per
order, replays under ``Idempotency-Key``, and the published schema."""

import uuid

import pytest
import yaml

from disputes.models import EventKind, Order, OrderEvent, State
from tests.factories import RoutingRuleFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/orders/dispatch-bulk/"


@pytest.fixture
def routing(world):
    return [
        RoutingRuleFactory(
            category=world.neighbours, area=world.zk, unit=world.hb_committee, rank=1
        ),
        RoutingRuleFactory(category=world.wages, area=world.hb, unit=world.hb_labour, rank=1),
    ]


def reported(world, **kwargs) -> Order:
    return world.order(State.REPORTED, **kwargs)


def test_results_per_order_in_the_order_asked(world, routing, api):
    a = reported(world, category=world.neighbours)
    b = reported(world, category=world.wages)
    gone = world.order(State.DISPATCHED, category=world.neighbours)
    fl = reported(world, community=world.fl_community, reporter=world.fl_reporter)
    unrouted = reported(world, category=world.neighbours, community=world.sg)

    response = api(world.dispatcher).post(
        URL, {"ids": [a.pk, gone.pk, fl.pk, b.pk, unrouted.pk]}, format="json"
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["dispatched"], body["failed"]) == (2, 3)
    results = body["results"]
    assert [r["id"] for r in results] == [a.pk, gone.pk, fl.pk, b.pk, unrouted.pk]
    assert results[0] == {
        "id": a.pk,
        "number": a.number,
        "dispatched": True,
        "lead_unit": world.hb_committee.pk,
        "lead_unit_name": world.hb_committee.name,
        "reason": "",
    }
    assert results[1]["reason"] == "当前状态“待签收”不能执行此操作。"
    # Another street's order is reported like a missing one: no number, no state.
    assert results[2] == {
        "id": fl.pk,
        "number": "",
        "dispatched": False,
        "lead_unit": None,
        "lead_unit_name": "",
        "reason": "订单不存在或无权查看。",
    }
    assert results[3]["lead_unit"] == world.hb_labour.pk
    assert results[4]["number"] == unrouted.number and "没有建议单位" in results[4]["reason"]
    assert Order.objects.get(pk=b.pk).state == State.DISPATCHED
    assert Order.objects.get(pk=fl.pk).state == State.REPORTED
    assert Order.objects.get(pk=unrouted.pk).state == State.REPORTED
    assert OrderEvent.objects.filter(order=gone, kind=EventKind.DISPATCHED).count() == 1


@pytest.mark.parametrize(
    "who, status",
    [("reporter", 403), ("handler", 403), ("head", 403), ("supervisor", 403), ("nobody", 403)],
)
def test_only_dispatchers(world, routing, api, who, status):
    order = reported(world, category=world.neighbours)
    response = api(getattr(world, who)).post(URL, {"ids": [order.pk]}, format="json")
    assert response.status_code == status
    # Refused before the body is read: a bad body is the same 403.
    assert api(getattr(world, who)).post(URL, {"ids": "x"}, format="json").status_code == status
    assert Order.objects.get(pk=order.pk).state == State.REPORTED


def test_anonymous_is_401(world, anon):
    assert anon.post(URL, {"ids": [1]}, format="json").status_code == 401


def test_another_streets_dispatcher_learns_nothing(world, routing, api):
    order = reported(world, category=world.neighbours)
    response = api(world.fl_dispatcher).post(URL, {"ids": [order.pk, 987654321]}, format="json")
    assert response.status_code == 200
    results = response.json()["results"]
    assert results[0] | {"id": 0} == results[1] | {"id": 0}  # the same as a missing id
    assert Order.objects.get(pk=order.pk).state == State.REPORTED


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"ids": None},
        {"ids": "1,2"},
        {"ids": 1},
        {"ids": {"0": 1}},
        {"ids": []},
        {"ids": ["1"]},
        {"ids": [1.0]},
        {"ids": [True]},
        {"ids": [0]},
        {"ids": [-3]},
        {"ids": [2**63]},
        {"ids": [[1]]},
        {"ids": [{"id": 1}]},
        {"ids": list(range(1, 6))},
        {"ids": list(range(1, 100_000))},
    ],
    ids=lambda b: repr(b)[:40],
)
def test_bad_bodies_are_400_naming_ids(world, api, settings, body):
    settings.BULK_DISPATCH_MAX = 4
    response = api(world.dispatcher).post(URL, body, format="json")
    assert response.status_code == 400, response.content
    assert "ids" in response.json()["errors"]


def test_a_body_that_is_not_an_object_is_400(world, api):
    response = api(world.dispatcher).post(URL, [1, 2], format="json")
    assert response.status_code == 400


def test_the_cap_is_the_setting(world, routing, api, settings):
    settings.BULK_DISPATCH_MAX = 2
    orders = [reported(world, category=world.neighbours) for _ in range(3)]
    client = api(world.dispatcher)
    too_many = client.post(URL, {"ids": [o.pk for o in orders]}, format="json")
    assert too_many.status_code == 400
    assert too_many.json()["errors"]["ids"] == ["一次最多派 2 张订单。"]
    assert client.post(URL, {"ids": [o.pk for o in orders[:2]]}, format="json").status_code == 200


def test_idempotency_key_replays_the_first_answer(world, routing, api):
    a = reported(world, category=world.neighbours)
    client = api(world.dispatcher)
    k = str(uuid.uuid4())
    first = client.post(URL, {"ids": [a.pk]}, format="json", headers={"Idempotency-Key": k})
    again = client.post(URL, {"ids": [a.pk]}, format="json", headers={"Idempotency-Key": k})
    assert first.status_code == again.status_code == 200
    assert again.json() == first.json() and first.json()["dispatched"] == 1
    assert again["Idempotent-Replayed"] == "true"
    assert OrderEvent.objects.filter(order=a, kind=EventKind.DISPATCHED).count() == 1
    other = client.post(URL, {"ids": [a.pk, 5]}, format="json", headers={"Idempotency-Key": k})
    assert other.status_code == 422
    # Without a key a second request is a new one: the order is no longer waiting.
    fresh = client.post(URL, {"ids": [a.pk]}, format="json")
    assert fresh.json()["results"][0]["dispatched"] is False


def test_documented_in_the_schema(anon):
    schema = yaml.safe_load(anon.get("/api/schema/").content)
    operation = schema["paths"][URL]["post"]
    assert set(operation["responses"]) >= {"200", "400", "401", "403", "422"}
    assert any(p["name"] == "Idempotency-Key" for p in operation["parameters"])
    request = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    name = request.rsplit("/", 1)[1]
    assert schema["components"]["schemas"][name]["required"] == ["ids"]
