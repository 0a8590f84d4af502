"""An order's point on the report form (docs/MAP.md)."""

from decimal import Decimal

import pytest
from django.urls import reverse

from disputes.models import Order

from .test_report import report_data

pytestmark = pytest.mark.django_db


# --- the report form -----------------------------------------------------------------------


def test_the_form_offers_the_location_on_request_only(world, as_user):
    page = as_user(world.reporter).get(reverse("report")).content.decode()
    assert 'id="use-my-location"' in page and "使用我的位置" in page
    assert 'name="latitude"' in page and 'name="longitude"' in page
    assert 'name="location_source"' in page
    assert "js/report-location.js" in page and "vendor/leaflet/leaflet.js" in page
    assert 'data-outlines="/static/geo/shishi-communities.geojson"' in page


def test_a_point_picked_on_the_form_is_saved(world, as_user):
    data = report_data(world, latitude="24.741234", longitude="118.660001")
    data["location_source"] = "picked"
    response = as_user(world.reporter).post(reverse("report"), data)
    assert response.status_code == 302
    order = Order.objects.get()
    assert (order.latitude, order.longitude) == (Decimal("24.741234"), Decimal("118.660001"))
    assert order.location_source == "picked"
    detail = as_user(world.reporter).get(reverse("order-detail", args=[order.pk]))
    assert "24.741234, 118.660001" in detail.content.decode()
    assert "地图选点" in detail.content.decode()


def test_a_point_typed_without_js_counts_as_picked(world, as_user):
    data = report_data(world, latitude="24.7", longitude="118.6")
    as_user(world.reporter).post(reverse("report"), data)
    assert Order.objects.get().location_source == "picked"


@pytest.mark.parametrize(
    "fields,message",
    [
        ({"latitude": "24.7"}, "位置需同时有纬度和经度。"),
        ({"latitude": "124.7", "longitude": "118.6"}, "纬度应在 -90 到 90 之间。"),
        ({"latitude": "abc", "longitude": "118.6"}, "位置的经纬度应为数字。"),
    ],
)
def test_the_form_says_what_is_wrong_with_the_point(world, as_user, fields, message):
    response = as_user(world.reporter).post(reverse("report"), report_data(world, **fields))
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Order.objects.exists()
