"""The repeat radar over the API (issue 17): the report's answer and the order detail
carry it, as the caller may see it; the incident intake does not count its own incident."""

import pytest

from disputes.models import Order
from tests.factories import party_input, report_order, valid_id_number

pytestmark = pytest.mark.usefixtures("radar_on")

URL = "/api/v1/orders/"
ID = valid_id_number("35058219850505001")


def body(world, **overrides) -> dict:
    return {
        "title": "邻居噪音",
        "narrative": "楼上夜间装修噪音扰民。",
        "category": world.neighbours.pk,
        "community": world.zk.pk,
        "risk_level": "low",
        "address": "曾坑村十二号三幢四〇一",
        "parties": [{"name": "陈某", "phone": "13900001111", "id_number": ID}],
    } | overrides


def test_the_report_answers_with_the_radar(world, api):
    earlier = report_order(
        world,
        parties=[party_input(name="别人", phone="13900001111", id_number="")],
        address="曾坑村12号3栋401室",
    )
    response = api(world.dispatcher).post(URL, body(world), format="json")
    assert response.status_code == 201, response.content
    data = response.json()
    radar = data["radar"]
    assert radar["is_repeat"] is True
    assert radar["repeat_reasons"] == ["phone", "address"]
    assert radar["window_days"] == 365 and radar["hidden"] == 0
    [match] = radar["matches"]
    assert match["kind"] == "order" and match["id"] == earlier.pk
    assert match["number"] == earlier.number and match["reasons"] == ["phone", "address"]
    assert match["state"] == "reported" and match["order_id"] is None
    assert data["colour"] == "yellow"


def test_the_detail_shows_only_what_the_caller_may_see(world, api):
    fl = report_order(
        world,
        parties=[party_input(phone="13900001111", id_number="")],
        community=world.fl_community,
        actor=world.fl_reporter,
        address="凤里路 1 号",
    )
    response = api(world.dispatcher).post(URL, body(world), format="json")
    order_id = response.json()["id"]
    radar = response.json()["radar"]
    assert radar["is_repeat"] is True and radar["matches"] == [] and radar["hidden"] == 1
    assert fl.number not in response.content.decode()
    # The FL dispatcher may not open the HB order at all; the HB order's own detail for
    # the HB dispatcher still hides the FL order.
    assert api(world.fl_dispatcher).get(f"{URL}{order_id}/").status_code == 404
    detail = api(world.dispatcher).get(f"{URL}{order_id}/").json()["radar"]
    assert detail["hidden"] == 1 and detail["matches"] == []


def test_no_repeat_is_an_empty_radar(world, api):
    response = api(world.dispatcher).post(URL, body(world), format="json")
    radar = response.json()["radar"]
    assert radar == {
        "is_repeat": False,
        "repeat_reasons": [],
        "window_days": 365,
        "matches": [],
        "hidden": 0,
    }


def incident(**overrides) -> dict:
    return {
        "number": "J3505812026111000123",
        "received_at": "2026-11-10 09:30:00",
        "type": "JF-LZ",
        "summary": "工人报警称工地拖欠三个月工资",
        "address": "曾坑村 12 号",
        "community": "HB/ZK",
        "caller_name": "王某",
        "caller_phone": "+86 138 1234 5678",
    } | overrides


def test_an_incident_made_order_is_not_a_repeat_of_its_incident(
    world, api, command_user, incident_types, time_machine
):
    time_machine.move_to("2026-11-10 10:00:00+08:00")
    client = api(command_user)
    first = client.post("/api/v1/incidents/", incident(), format="json")
    assert first.status_code == 201, first.content
    order = Order.objects.get(incidents__number="J3505812026111000123")
    assert not order.is_repeat
    # A second call from the same phone a week later is a repeat of the first order (its
    # incident is listed with it, not apart).
    time_machine.move_to("2026-11-17 10:00:00+08:00")
    second = client.post(
        "/api/v1/incidents/",
        incident(number="J2", received_at="2026-11-17 09:30:00", address="别处"),
        format="json",
    )
    assert second.status_code == 201
    repeat = Order.objects.get(incidents__number="J2")
    assert repeat.is_repeat and repeat.repeat_reason_list == ["phone", "name"]
    radar = api(world.dispatcher).get(f"{URL}{repeat.pk}/").json()["radar"]
    assert [(m["kind"], m["number"]) for m in radar["matches"]] == [("order", order.number)]
