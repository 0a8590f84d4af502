"""``POST /api/v1/orders/`` with ``on_the_spot``: reported and closed in one request."""

import pytest
import yaml

from disputes.models import Order, Outcome, State

from .test_orders import report_body, url

pytestmark = pytest.mark.django_db

AGREED = "双方同意停工期间不再施工，损失各半。"


def test_settled_on_the_spot_in_one_request(world, api):
    response = api(world.reporter).post(
        url(), report_body(world, on_the_spot=True, summary=AGREED), format="json"
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["state"] == State.CLOSED and body["on_the_spot"] is True
    assert body["outcome"] == Outcome.MEDIATED and body["closed_at"] == body["reported_at"]
    assert body["lead_unit"] is None and body["dispatch_due_at"] is None
    order = Order.objects.get(pk=body["id"])
    assert [e.kind for e in order.events.order_by("seq")] == ["reported", "closed"]
    assert order.agreement_summary == AGREED and order.reviews.count() == 2


def test_a_plain_report_says_it_is_not_on_the_spot(world, api):
    body = api(world.reporter).post(url(), report_body(world), format="json").json()
    assert body["on_the_spot"] is False and body["state"] == State.REPORTED


@pytest.mark.parametrize(
    "fields,field",
    [
        ({"on_the_spot": True}, "summary"),
        ({"on_the_spot": True, "summary": "  "}, "summary"),
        ({"on_the_spot": True, "summary": "\u200b"}, "summary"),  # the service's own check
        ({"summary": AGREED}, "summary"),  # an agreement without the settlement
        ({"on_the_spot": "true", "summary": AGREED}, "on_the_spot"),
        ({"on_the_spot": 1, "summary": AGREED}, "on_the_spot"),
        ({"on_the_spot": True, "summary": ["x"]}, "summary"),
        ({"on_the_spot": True, "summary": {"a": {"b": 1}}}, "summary"),
        ({"on_the_spot": True, "summary": "x" * 5001}, "summary"),
    ],
)
def test_bad_input_is_400_naming_the_field(world, api, fields, field):
    response = api(world.reporter).post(url(), report_body(world, **fields), format="json")
    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert not Order.objects.exists()


def test_supervisors_may_not_settle(world, api):
    body = report_body(world, on_the_spot=True, summary=AGREED)
    assert api(world.supervisor).post(url(), body, format="json").status_code == 403
    assert not Order.objects.exists()


def test_the_schema_documents_it(anon):
    response = anon.get("/api/schema/")
    assert response.status_code == 200
    schemas = yaml.safe_load(response.content)["components"]["schemas"]
    report = schemas["OrderReportRequest"]["properties"]
    assert (
        report["on_the_spot"]["type"] == "boolean"
        and "就地化解" in report["on_the_spot"]["description"]
    )
    assert report["summary"]["type"] == "string" and report["summary"]["maxLength"] == 5000
    assert "on_the_spot" in schemas["OrderDetail"]["properties"]
