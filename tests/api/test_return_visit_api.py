"""``POST /api/v1/orders/{id}/return-visit/`` (回访): who may, bad input named, and the
detail's scheduled visits and links between a reopened order and the old one."""

import pytest

from disputes.models import Order, State

pytestmark = pytest.mark.django_db


def url(order) -> str:
    return f"/api/v1/orders/{order.pk}/return-visit/"


def test_the_lead_unit_records_a_visit_and_the_detail_shows_the_schedule(world, api):
    order = world.order(State.CLOSED)
    client = api(world.handler)
    before = client.get(f"/api/v1/orders/{order.pk}/").json()
    assert "return-visit" in before["actions"]
    [due] = before["scheduled_visits"]
    assert (due["second"], due["cause"], due["on_time"]) == (False, "closing", None)
    assert due["unit"]["id"] == world.hb_police.pk
    response = client.post(
        url(order),
        {"satisfied": True, "agreement_kept": "partly", "note": "已付两期"},
        format="json",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    # Closed on 11 November, visited now (after the 18th): met, late.
    assert body["scheduled_visits"][0]["on_time"] is False
    [made] = body["return_visits"]
    assert (made["satisfied"], made["agreement_kept"], made["follow_up"]) == (True, "partly", "")


def test_unsatisfied_reopen_links_both_orders(world, api):
    old = world.order(State.CLOSED)
    response = api(world.handler).post(
        url(old), {"satisfied": False, "follow_up": "reopen"}, format="json"
    )
    assert response.status_code == 200, response.content
    new = Order.objects.get(reopened_from=old)
    assert response.json()["reopened_as"] == [{"id": new.pk, "number": new.number}]
    detail = api(world.dispatcher).get(f"/api/v1/orders/{new.pk}/").json()
    assert detail["reopened_from"] == {"id": old.pk, "number": old.number}
    again = api(world.handler).post(
        url(old), {"satisfied": False, "follow_up": "reopen"}, format="json"
    )
    assert again.status_code == 409


def test_unsatisfied_without_a_choice_schedules_a_second_visit(world, api):
    order = world.order(State.CLOSED)
    body = api(world.handler).post(url(order), {"satisfied": False}, format="json").json()
    # The 7-day visit (met, late: closed in November), then the second, due in 3 days.
    assert [(v["second"], v["met_at"] is None) for v in body["scheduled_visits"]] == [
        (False, False),
        (True, True),
    ]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"satisfied": "yes"}, "satisfied"),
        ({"satisfied": True, "agreement_kept": "always"}, "agreement_kept"),
        ({"satisfied": False, "follow_up": "later"}, "follow_up"),
        ({"satisfied": True, "follow_up": "reopen"}, "follow_up"),
        ({"satisfied": True, "visited_at": "2099-01-01T00:00:00+08:00"}, "visited_at"),
    ],
)
def test_bad_input_is_400_naming_the_field(world, api, body, field):
    order = world.order(State.CLOSED)
    response = api(world.handler).post(url(order), body, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()["errors"] or field in str(response.json())
    assert not order.return_visits.exists()


@pytest.mark.parametrize(
    ("who", "code"),
    [("dispatcher", 403), ("reporter", 403), ("fl_handler", 404), ("committee_handler", 404)],
)
def test_who_may_not(world, api, who, code):
    order = world.order(State.CLOSED)
    response = api(getattr(world, who)).post(url(order), {"satisfied": True}, format="json")
    assert response.status_code == code
    assert not order.return_visits.exists()


def test_an_open_order_is_409(world, api):
    order = world.order(State.MET)
    response = api(world.handler).post(url(order), {"satisfied": True}, format="json")
    assert response.status_code == 409


def test_in_the_schema(api, world):
    schema = api(world.handler).get("/api/schema/?format=json").json()
    post = schema["paths"]["/api/v1/orders/{id}/return-visit/"]["post"]
    ref = post["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    props = schema["components"]["schemas"][ref.rsplit("/", 1)[1]]["properties"]
    assert {"satisfied", "agreement_kept", "follow_up", "note", "visited_at"} <= set(props)
