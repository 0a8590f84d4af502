"""Only the street's dispatchers dispatch (issue 12): a reporter cannot label his report
警情 to earn the right, and no reporter of a 警情 order may route it; the incident intake
routes the orders it makes itself."""

import pytest
from django.urls import reverse

from disputes.models import Order, Source, State
from tests.factories import report_order

pytestmark = pytest.mark.django_db

ORDERS = "/api/v1/orders/"


def api_report(world, **overrides) -> dict:
    body = {
        "title": "邻居噪音",
        "narrative": "楼上夜间装修噪音扰民。",
        "category": world.neighbours.pk,
        "community": world.zk.pk,
        "parties": [{"name": "陈某"}],
    }
    return body | overrides


def web_report(world, **fields) -> dict:
    data = {
        "category": world.neighbours.pk,
        "community": world.zk.pk,
        "risk_level": "low",
        "narrative": "楼上孩子夜间跑跳，楼下多次交涉未果。",
        "source": "patrol",
        "parties-TOTAL_FORMS": "1",
        "parties-INITIAL_FORMS": "0",
        "parties-MIN_NUM_FORMS": "1",
        "parties-MAX_NUM_FORMS": "20",
        "parties-0-name": "施秀琴",
        "parties-0-role": "applicant",
    }
    return data | fields


def test_the_api_refuses_a_report_labelled_as_a_police_incident(world, api):
    # 凤里派出所's officer, reporting into 湖滨's 曾坑.
    client = api(world.fl_reporter)
    response = client.post(ORDERS, api_report(world, source="police_incident"), format="json")
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["source"]
    assert not Order.objects.exists()
    # Every other source is still the reporter's to choose.
    response = client.post(ORDERS, api_report(world, source="hotline"), format="json")
    assert response.status_code == 201
    assert Order.objects.get().source == Source.HOTLINE


def test_the_report_form_refuses_and_does_not_offer_a_police_incident(world, client):
    client.force_login(world.fl_reporter)
    page = client.get(reverse("report")).content.decode()
    assert 'value="patrol"' in page and 'value="police_incident"' not in page
    response = client.post(reverse("report"), web_report(world, source="police_incident"))
    assert response.status_code == 400
    assert "source" in response.context["form"].errors
    assert not Order.objects.exists()
    response = client.post(reverse("report"), web_report(world, source="walk_in"))
    assert response.status_code == 302
    assert Order.objects.get().source == Source.WALK_IN


@pytest.fixture
def labelled(world):
    """A 警情 order a station officer of another street reported before the fix."""
    return report_order(world, actor=world.fl_reporter, source=Source.POLICE_INCIDENT)


def dispatch_to_himself(world) -> dict:
    return {"lead_unit": world.hb_police.pk, "assignee": world.handler.pk}


def test_the_reporter_of_a_police_incident_order_cannot_dispatch_it_over_the_api(
    world, api, labelled
):
    client = api(world.fl_reporter)
    detail = client.get(f"{ORDERS}{labelled.pk}/")
    assert detail.status_code == 200
    assert "dispatch" not in detail.json()["actions"]
    response = client.post(
        f"{ORDERS}{labelled.pk}/dispatch/", dispatch_to_himself(world), format="json"
    )
    assert response.status_code == 403
    labelled.refresh_from_db()
    assert (labelled.state, labelled.lead_unit_id) == (State.REPORTED, None)


def test_the_reporter_of_a_police_incident_order_cannot_dispatch_it_on_the_web(
    world, client, labelled
):
    client.force_login(world.fl_reporter)
    page = client.get(reverse("order-detail", args=[labelled.pk])).content.decode()
    assert reverse("order-dispatch", args=[labelled.pk]) not in page
    path = reverse("order-dispatch", args=[labelled.pk])
    assert client.get(path).status_code == 403
    assert client.post(path, dispatch_to_himself(world)).status_code == 403
    labelled.refresh_from_db()
    assert (labelled.state, labelled.lead_unit_id) == (State.REPORTED, None)


def test_an_incident_order_waiting_in_the_queue_is_the_dispatchers_to_route(
    world, api, client, command_user, incident_types
):
    # No police station in 凤里: the intake's order waits in the street's queue.
    world.fl_police.is_active = False
    world.fl_police.save()
    incident = {
        "number": "J1",
        "received_at": "2026-11-10 09:30",
        "type": "JF-LZ",
        "summary": "拖欠工资",
        "community": "凤里社区",
    }
    body = api(command_user).post("/api/v1/incidents/", incident, format="json").json()
    order_id = body["order"]["id"]
    route = {"lead_unit": world.fl_center.pk}

    room = api(command_user)
    assert "dispatch" not in room.get(f"{ORDERS}{order_id}/").json()["actions"]
    assert room.post(f"{ORDERS}{order_id}/dispatch/", route, format="json").status_code == 403
    client.force_login(command_user)
    assert client.post(reverse("order-dispatch", args=[order_id]), route).status_code == 403
    assert Order.objects.get(pk=order_id).state == State.REPORTED

    dispatcher = api(world.fl_dispatcher)
    assert "dispatch" in dispatcher.get(f"{ORDERS}{order_id}/").json()["actions"]
    response = dispatcher.post(f"{ORDERS}{order_id}/dispatch/", route, format="json")
    assert response.status_code == 200, response.content
    assert Order.objects.get(pk=order_id).state == State.DISPATCHED
