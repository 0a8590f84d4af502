"""The map endpoint's answers, per role and status, against the published schema (the
check CI's schemathesis run makes; docs/MAP.md)."""

from decimal import Decimal

import pytest

from disputes.models import Order
from tests.factories import report_order

from .test_schema_conformance import conforms, schema  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db

MAP = "/api/v1/map/"


def test_the_map_endpoint_conforms(world, api, anon, conforms):  # noqa: F811
    order = report_order(world, latitude=Decimal("24.748"), longitude=Decimal("118.655"))
    report_order(world, community=world.fl_community)
    assert Order.objects.filter(latitude__isnull=False).count() == 1
    body = conforms(api(world.supervisor), "GET", MAP, MAP, status=200).json()
    assert [f["id"] for f in body["features"]] == [order.pk]
    conforms(api(world.dispatcher), "GET", MAP, f"{MAP}?state=open&colour=green", status=200)
    conforms(api(world.supervisor), "GET", MAP, f"{MAP}?month=2026-13", status=400)
    conforms(api(world.supervisor), "GET", MAP, f"{MAP}?category=%ED%A0%80", status=400)
    conforms(api(world.dispatcher), "GET", MAP, f"{MAP}?street={world.fl.pk}", status=404)
    conforms(api(world.handler), "GET", MAP, MAP, status=403)
    conforms(anon, "GET", MAP, MAP, status=401)
