"""The clock pause endpoints (暂停计时): ask, decide, resume; who may, and what the
detail shows."""

from datetime import timedelta

import pytest
import yaml
from django.utils import timezone

from disputes.models import ClockPause, Order, State

pytestmark = pytest.mark.django_db


@pytest.fixture
def signed(world, order_in):
    return order_in(State.SIGNED, assignee=world.handler, start=timezone.now() - timedelta(hours=1))


def url(order, action):
    return f"/api/v1/orders/{order.pk}/{action}/"


ASK = {"stage": "meet", "reason": "hospital", "requested_minutes": 1440, "note": "住院"}


def test_ask_approve_resume_through_the_api(world, api, signed):
    handler, center = api(world.handler), api(world.dispatcher)
    due = signed.meet_due_at

    answer = handler.post(url(signed, "pause"), ASK, format="json")
    assert answer.status_code == 200, answer.json()
    body = answer.json()
    assert [p["state"] for p in body["pauses"]] == ["requested"]
    assert "pause" in body["actions"]  # the contact clock may still be paused
    assert center.get(f"/api/v1/orders/{signed.pk}/").json()["actions"].count("pause-decide") == 1

    answer = center.post(url(signed, "pause-decide"), {"approve": True}, format="json")
    assert answer.status_code == 200, answer.json()
    pause = answer.json()["pauses"][0]
    assert pause["state"] == "approved" and pause["paused_minutes"] == 1440
    assert Order.objects.get(pk=signed.pk).meet_due_at == due + timedelta(days=1)
    assert "resume" in answer.json()["actions"]

    answer = handler.post(url(signed, "resume"), {"stage": "meet"}, format="json")
    assert answer.status_code == 200, answer.json()
    pause = answer.json()["pauses"][0]
    assert pause["state"] == "ended" and pause["paused_minutes"] == 1
    assert Order.objects.get(pk=signed.pk).meet_due_at == due + timedelta(minutes=1)
    kinds = [e["kind"] for e in handler.get(url(signed, "timeline")).json()]
    assert kinds[-3:] == ["pause_requested", "paused", "resumed"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({**ASK, "requested_minutes": 7 * 1440 + 1}, "requested_minutes"),
        ({**ASK, "requested_minutes": 0}, "requested_minutes"),
        ({**ASK, "requested_minutes": "60"}, "requested_minutes"),
        ({**ASK, "reason": "other", "note": ""}, "note"),
        ({**ASK, "reason": "bored"}, "reason"),
        ({**ASK, "stage": "sign"}, "stage"),
    ],
)
def test_bad_requests_are_400_naming_the_field(world, api, signed, body, field):
    answer = api(world.handler).post(url(signed, "pause"), body, format="json")
    assert answer.status_code == 400
    assert set(answer.json()["errors"]) == {field}
    assert not ClockPause.objects.exists()


def test_rejection_without_a_reason_is_400_and_with_one_200(world, api, signed):
    api(world.handler).post(url(signed, "pause"), ASK, format="json")
    center = api(world.dispatcher)
    answer = center.post(url(signed, "pause-decide"), {"approve": False}, format="json")
    assert answer.status_code == 400
    assert set(answer.json()["errors"]) == {"note"}
    answer = center.post(
        url(signed, "pause-decide"), {"approve": False, "note": "可电话联系"}, format="json"
    )
    assert answer.status_code == 200
    assert answer.json()["pauses"][0]["state"] == "rejected"


def test_wrong_state_is_409(world, api, signed, order_in):
    center = api(world.dispatcher)
    assert (
        center.post(url(signed, "pause-decide"), {"approve": True}, format="json").status_code
        == 409
    )
    assert api(world.handler).post(url(signed, "resume"), {}, format="json").status_code == 409
    dispatched = order_in(State.DISPATCHED, start=timezone.now() - timedelta(minutes=10))
    answer = api(world.handler).post(url(dispatched, "pause"), ASK, format="json")
    assert answer.status_code == 409
    assert answer.json()["state"] == "dispatched"


def test_who_may(world, api, signed, order_in):
    # Outside the scope: 404; a role that may not: 403; nothing changes either way.
    assert (
        api(world.fl_dispatcher).post(url(signed, "pause"), ASK, format="json").status_code == 404
    )
    for user in (world.reporter, world.dispatcher, world.supervisor):
        answer = api(user).post(url(signed, "pause"), ASK, format="json")
        assert answer.status_code == 403, user
    assisted = order_in(
        State.SIGNED,
        assignee=world.handler,
        assisting_units=[world.hb_committee],
        start=timezone.now() - timedelta(hours=1),
    )
    answer = api(world.committee_handler).post(url(assisted, "pause"), ASK, format="json")
    assert answer.status_code == 403
    assert not ClockPause.objects.exists()
    api(world.handler).post(url(signed, "pause"), ASK, format="json")
    for user in (world.handler, world.head, world.reporter):
        answer = api(user).post(url(signed, "pause-decide"), {"approve": True}, format="json")
        assert answer.status_code == 403, user
    answer = api(world.fl_dispatcher).post(
        url(signed, "pause-decide"), {"approve": True}, format="json"
    )
    assert answer.status_code == 404
    assert ClockPause.objects.get().state == "requested"


def test_the_schema_documents_the_pause_endpoints(anon):
    schema = yaml.safe_load(anon.get("/api/schema/").content)
    for action in ("pause", "pause-decide", "resume"):
        assert f"/api/v1/orders/{{id}}/{action}/" in schema["paths"]
    detail = schema["components"]["schemas"]["OrderDetail"]["properties"]
    assert "pauses" in detail
    assert schema["components"]["schemas"]["PauseRequest"]["properties"]["requested_minutes"]
