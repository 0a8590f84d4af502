"""``GET /api/v1/incidents/{number}/result/``: the command system polls what became of an
incident. Its sender and the sender's police-unit colleagues read it; anyone else, as
for a number that does not exist, gets a JSON 404."""

from datetime import timedelta

import pytest
import time_machine

from dispatch.models import Role
from disputes import services
from disputes.models import Order
from tests.api.test_schema_conformance import conforms, schema  # noqa: F401 - fixtures
from tests.factories import T0, close_jointly, user_with_role

pytestmark = pytest.mark.django_db

NUMBER = "J3505812026111000123"
URL = f"/api/v1/incidents/{NUMBER}/result/"
TEMPLATE = "/api/v1/incidents/{number}/result/"


def submit(api, user, **overrides):
    body = {
        "number": NUMBER,
        "received_at": "2026-11-10 08:50:00",
        "type": "JF-LZ",
        "summary": "工人报警称工地拖欠三个月工资",
        "community": "HB/ZK",
        "caller_name": "王某",
        "caller_phone": "13812345678",
    } | overrides
    response = api(user).post("/api/v1/incidents/", body, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def test_the_sender_reads_the_order_as_it_stands(world, api, command_user, incident_types):
    with time_machine.travel(T0, tick=False):  # received 08:50, reported 09:00
        order_id = submit(api, command_user)["order"]["id"]
    body = api(command_user).get(URL).json()
    assert body["incident"] == {"number": NUMBER, "received_at": "2026-11-10T08:50:00+08:00"}
    assert body["order"]["state"] == {"code": "dispatched", "label": "待签收"}
    assert body["order"]["lead_unit"] == {"id": world.hb_police.pk, "name": "湖滨派出所"}
    assert body["order"]["signed_at"] is None and body["order"]["outcome"] is None
    assert body["order"]["reported_at"] == body["order"]["dispatched_at"]
    assert body["order"]["reported_at"] == "2026-11-10T09:00:00+08:00"

    order = Order.objects.get(pk=order_id)
    services.order_sign(order_id=order_id, actor=world.handler, now=T0 + timedelta(minutes=10))
    services.order_record_contact(
        order_id=order_id,
        actor=world.handler,
        method="phone",
        note="已联系",
        now=T0 + timedelta(minutes=30),
    )
    services.order_record_meeting(
        order_id=order_id,
        actor=world.handler,
        place="调解室",
        participants="双方",
        result="达成协议",
        now=T0 + timedelta(hours=2),
    )
    close_jointly(order, world.handler, now=T0 + timedelta(hours=3))
    result = api(command_user).get(URL).json()["order"]
    assert result["number"] == order.number
    assert result["state"] == {"code": "closed", "label": "已结单"}
    assert result["outcome"] == {"code": "mediated", "label": "调解成功"}
    assert result["closed_at"] == result["ended_at"] == "2026-11-10T12:00:00+08:00"


def test_an_incident_without_an_order_answers_its_own_fields(api, command_user, incident_types):
    submit(api, command_user, type="QZ")  # 群众求助: stored and counted only
    assert api(command_user).get(URL).json() == {
        "incident": {"number": NUMBER, "received_at": "2026-11-10T08:50:00+08:00"},
        "order": None,
    }


def test_a_colleague_in_the_command_room_reads_it_no_one_else(
    world, api, command_user, command_room, incident_types
):
    submit(api, command_user)
    colleague = user_with_role(Role.HANDLER, command_room)
    supervisor = user_with_role(Role.SUPERVISOR, command_room)
    assert api(colleague).get(URL).status_code == 200
    # The station the order went to, another station, a supervisor of the room, the
    # city's supervisor, the street's dispatcher: 404, as for a number never sent.
    for outsider in (
        world.handler,
        world.fl_handler,
        supervisor,
        world.supervisor,
        world.dispatcher,
        world.nobody,
    ):
        response = api(outsider).get(URL)
        assert response.status_code == 404, outsider
        assert response["Content-Type"] == "application/json"
    unknown = api(command_user).get("/api/v1/incidents/J-NEVER-SENT/result/")
    assert unknown.status_code == 404
    assert unknown.json() == api(world.fl_handler).get(URL).json()  # the same answer


def test_anonymous_is_401(anon, command_user, incident_types):
    assert anon.get(URL).status_code == 401


@pytest.mark.parametrize("junk", ["a%2Fb", "x" * 65, "%00", "..", "null%2Cnull", "%E2%80%AE"])
def test_malformed_numbers_are_the_apis_json_404(api, command_user, junk):
    response = api(command_user).get(f"/api/v1/incidents/{junk}/result/")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"


def test_the_answers_conform_to_the_schema(world, api, command_user, incident_types, conforms):  # noqa: F811
    submit(api, command_user)
    submit(api, command_user, number="J-HELP", type="QZ")
    client = api(command_user)
    conforms(client, "GET", TEMPLATE, URL, status=200)
    conforms(client, "GET", TEMPLATE, "/api/v1/incidents/J-HELP/result/", status=200)
    conforms(api(world.fl_handler), "GET", TEMPLATE, URL, status=404)
