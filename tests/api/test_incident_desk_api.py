"""The incident desk's API: ``GET /api/v1/incidents/`` (scope, filters), the detail and
the ``push`` and ``link`` actions (400 with the field named, 403, 404, 409)."""

import pytest

from disputes.models import EventKind, Order, State
from tests.desk_world import desk_types, local, make_incident

pytestmark = pytest.mark.django_db

URL = "/api/v1/incidents/"


@pytest.fixture
def types(world):
    return desk_types(world)


@pytest.fixture
def help_call(world, types):
    return make_incident(
        types,
        "QZ",
        world.zk,
        local(2026, 11, 10, 9, 0),
        number="J3505812026111000200",
        summary="独居老人求助，与邻居因漏水争执",
        caller_phone="13812345678",
    )


@pytest.fixture
def incidents(world, types, help_call):
    return [
        help_call,
        make_incident(types, "XS", world.zk, local(2026, 11, 10, 10, 0)),
        make_incident(types, "JF-LZ", world.sg, local(2026, 11, 10, 11, 0)),
        make_incident(types, "ZA", world.fl_community, local(2026, 11, 10, 12, 0)),
        make_incident(types, "QZ", world.zk, local(2026, 11, 9, 12, 0)),
    ]


def numbers(response) -> set[str]:
    assert response.status_code == 200, response.content
    return {row["number"] for row in response.json()["results"]}


@pytest.mark.parametrize(
    "who, count",
    [
        ("command_user", 5),
        ("handler", 4),
        ("fl_handler", 1),
        ("supervisor", 5),
        ("hb_supervisor", 4),
        ("admin", 5),
    ],
)
def test_the_list_is_scoped(world, api, command_user, incidents, who, count):
    user = command_user if who == "command_user" else getattr(world, who)
    assert len(numbers(api(user).get(URL))) == count


@pytest.mark.parametrize("who", ["dispatcher", "committee_handler", "reporter", "nobody"])
def test_no_desk_no_list(world, api, incidents, who):
    response = api(getattr(world, who)).get(URL)
    assert response.status_code == 403
    assert "detail" in response.json()


def test_the_list_filters(world, api, command_user, incidents, help_call):
    client = api(command_user)
    assert len(numbers(client.get(URL, {"date": "2026-11-10"}))) == 4
    assert numbers(client.get(URL, {"date": "2026-11-10", "type": "QZ"})) == {help_call.number}
    assert len(numbers(client.get(URL, {"dispute": "true"}))) == 1
    assert len(numbers(client.get(URL, {"community": world.zk.pk}))) == 3
    assert len(numbers(client.get(URL, {"pushed": "false"}))) == 5
    assert numbers(client.get(URL, {"q": "+86 138-1234-5678"})) == {help_call.number}
    assert numbers(client.get(URL, {"q": "5678"})) == set()  # a phone matches whole only
    row = client.get(URL, {"q": "漏水"}).json()["results"][0]
    assert row["caller_phone"] == "138****5678"
    assert row["is_police_matter"] is False
    assert row["order"] is None


@pytest.mark.parametrize(
    "params, field",
    [
        ({"date": "2026-13-01"}, "date"),
        ({"date": "yesterday"}, "date"),
        ({"dispute": "maybe"}, "dispute"),
        ({"pushed": ""}, "pushed"),
        ({"community": "0"}, "community"),
        ({"community": "1.5"}, "community"),
        ({"page_size": "1000"}, "page_size"),
    ],
)
def test_bad_filters_are_400_with_the_field(api, command_user, incidents, params, field):
    response = api(command_user).get(URL, params)
    assert response.status_code == 400, response.content
    assert field in response.json()["errors"]


def test_the_detail_is_scoped_and_malformed_numbers_are_json_404(
    world, api, command_user, help_call
):
    url = f"{URL}{help_call.number}/"
    assert api(command_user).get(url).json()["number"] == help_call.number
    assert api(world.handler).get(url).status_code == 200
    for who in (world.fl_handler, world.dispatcher, world.nobody):
        response = api(who).get(url)
        assert response.status_code == 404
        assert response["Content-Type"].startswith("application/json")
    for bad in ("x" * 65, "%00", "J0", "0.5", "-1"):
        response = api(command_user).get(f"{URL}{bad}/")
        assert response.status_code == 404, bad
        assert response["Content-Type"].startswith("application/json")
        # The row lock's lookup too (PostgreSQL refuses a NUL: it was a 500 there).
        for action, body in (("push", {}), ("link", {"order": "HB-202611-00001"})):
            response = api(command_user).post(f"{URL}{bad}/{action}/", body, format="json")
            assert response.status_code == 404, (bad, action)


def test_push_a_call_for_help(world, api, command_user, help_call):
    client = api(command_user)
    url = f"{URL}{help_call.number}/push/"
    missing = client.post(url, {}, format="json")
    assert missing.status_code == 400
    assert list(missing.json()["errors"]) == ["category"]
    bad = client.post(url, {"category": "abc"}, format="json")
    assert bad.status_code == 400
    assert "category" in bad.json()["errors"]

    response = client.post(url, {"category": world.neighbours.pk}, format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["link_kind"] == "push"
    assert body["order"]["state"] == State.DISPATCHED
    assert body["order"]["lead_unit"]["name"] == "湖滨派出所"
    assert body["order"]["outcome"] == ""
    order = Order.objects.get(pk=body["order"]["id"])
    assert order.events.filter(kind=EventKind.INCIDENT_LINKED).count() == 1

    again = client.post(url, {"category": world.neighbours.pk}, format="json")
    assert again.status_code == 409
    assert Order.objects.count() == 1
    # The officer sees the order born of the incident, and the incident on its detail.
    assert api(world.handler).get(f"/api/v1/orders/{order.pk}/").json()["incidents"] == [
        help_call.number
    ]


@pytest.mark.parametrize(
    "who, status", [("supervisor", 403), ("fl_handler", 404), ("dispatcher", 404)]
)
def test_who_may_not_push(world, api, help_call, who, status):
    response = api(getattr(world, who)).post(
        f"{URL}{help_call.number}/push/", {"category": world.wages.pk}, format="json"
    )
    assert response.status_code == status
    assert not Order.objects.exists()


def test_push_to_an_unknown_number_is_404(world, api, command_user):
    response = api(command_user).post(
        f"{URL}NOPE/push/", {"category": world.wages.pk}, format="json"
    )
    assert response.status_code == 404


def test_link_to_an_order_already_there(world, api, command_user, help_call):
    order = world.order("signed")
    client = api(command_user)
    url = f"{URL}{help_call.number}/link/"
    for body in ({}, {"order": ""}, {"order": "HB-000000-99999"}, {"order": ["x"]}):
        response = client.post(url, body, format="json")
        assert response.status_code == 400, body
        assert list(response.json()["errors"]) == ["order"]
    response = client.post(url, {"order": order.number}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["order"]["number"] == order.number
    assert response.json()["link_kind"] == "link"
    assert client.post(url, {"order": order.number}, format="json").status_code == 409
    event = order.events.get(kind=EventKind.INCIDENT_LINKED)
    assert help_call.number in event.note


def test_a_cursor_not_ours_is_a_json_404_as_documented(api, command_user, incidents):
    response = api(command_user).get(URL, {"cursor": "Ö"})
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
