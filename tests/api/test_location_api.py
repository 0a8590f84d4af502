"""An order's point in the API's report (docs/MAP.md): ``location: {"lat", "lng"}``."""

from decimal import Decimal

import pytest

from disputes.models import Order

from .test_orders import report_body

pytestmark = pytest.mark.django_db

API = "/api/v1/orders/"


# --- the API ---------------------------------------------------------------------------------


def test_the_api_takes_a_location(world, api):
    body = report_body(world, location={"lat": 24.7423, "lng": 118.6611})
    response = api(world.reporter).post(API, body, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["location"] == {"lat": 24.7423, "lng": 118.6611, "source": "gps"}
    order = Order.objects.get()
    assert (order.latitude, order.longitude) == (Decimal("24.742300"), Decimal("118.661100"))


def test_the_api_shows_no_location_as_null(world, api):
    response = api(world.reporter).post(API, report_body(world, location=None), format="json")
    assert response.status_code == 201
    assert response.json()["location"] is None


@pytest.mark.parametrize(
    "location,field",
    [
        ({"lat": 91, "lng": 118.6}, "location.lat"),
        ({"lat": 24.7, "lng": -180.01}, "location.lng"),
        ({"lat": "24.7", "lng": 118.6}, "location.lat"),
        ({"lat": True, "lng": 118.6}, "location.lat"),
        ({"lat": 24.7}, "location.lng"),
        ({"lat": 24.7, "lng": 118.6, "source": "wifi"}, "location.source"),
        ("24.7,118.6", "location"),
    ],
)
def test_the_api_names_the_bad_part_of_a_location(world, api, location, field):
    body = report_body(world, location=location)
    response = api(world.reporter).post(API, body, format="json")
    assert response.status_code == 400
    errors = response.json()["errors"]
    for part in field.split("."):  # DRF nests a nested serializer's errors
        assert part in errors, response.json()
        errors = errors[part]
    assert errors and all(isinstance(m, str) for m in errors)
    assert not Order.objects.exists()
