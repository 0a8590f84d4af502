"""An order's point (docs/MAP.md): WGS-84, optional, both or neither, in range, with how
it was taken; the same check for the service, the report form and the API."""

from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from disputes.models import Order
from shishi_mediation.errors import InvalidInput
from tests.factories import report_order

pytestmark = pytest.mark.django_db


# --- the service ---------------------------------------------------------------------------


def test_a_report_stores_the_point_rounded_to_six_places(world):
    order = report_order(
        world, latitude=24.7312345678, longitude="118.6523456", location_source="gps"
    )
    order.refresh_from_db()
    assert (order.latitude, order.longitude) == (Decimal("24.731235"), Decimal("118.652346"))
    assert order.location_source == "gps"


def test_no_point_is_fine(world):
    order = report_order(world)
    assert (order.latitude, order.longitude, order.location_source) == (None, None, "")


@pytest.mark.parametrize(
    "lat,lng,source,message",
    [
        (24.7, None, "gps", "位置需同时有纬度和经度。"),
        (None, 118.6, "gps", "位置需同时有纬度和经度。"),
        (90.000001, 118.6, "gps", "纬度应在 -90 到 90 之间。"),
        (24.7, -180.5, "gps", "经度应在 -180 到 180 之间。"),
        ("24,7", 118.6, "gps", "位置的经纬度应为数字。"),
        ("NaN", 118.6, "gps", "位置的经纬度应为数字。"),
        (24.7, 118.6, "wifi", "位置来源只能是 gps 或 picked。"),
    ],
)
def test_a_bad_point_is_refused_by_name(world, lat, lng, source, message):
    with pytest.raises(InvalidInput) as e:
        report_order(world, latitude=lat, longitude=lng, location_source=source)
    assert e.value.errors == {"location": [message]}
    assert not Order.objects.exists()


def test_the_range_edges_are_allowed(world):
    order = report_order(world, latitude=-90, longitude=180, location_source="picked")
    assert (order.latitude, order.longitude) == (Decimal("-90"), Decimal("180"))


def test_the_database_refuses_a_point_out_of_range_or_half_a_point(world):
    order = report_order(world, latitude=24.7, longitude=118.6, location_source="gps")
    for bad in (
        {"latitude": Decimal("91")},
        {"longitude": Decimal("-181")},
        {"longitude": None},
        {"location_source": ""},
    ):
        with pytest.raises(IntegrityError), transaction.atomic():
            Order.objects.filter(pk=order.pk).update(**bad)
