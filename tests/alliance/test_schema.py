"""The alliance's API answers, per role and status, validated against the published
OpenAPI schema (as the CI's schemathesis run checks them)."""

import pytest
from rest_framework.test import APIClient

from tests.api.test_schema_conformance import conforms, schema  # noqa: F401 - fixtures
from tests.factories import fresh

pytestmark = pytest.mark.django_db

A = "/api/v1/alliance/"


def client_of(user) -> APIClient:
    c = APIClient()
    c.force_authenticate(fresh(user))
    return c


def test_every_alliance_endpoint_conforms(world, alliance, order_in, conforms):  # noqa: F811
    order = order_in("signed")
    d, h, v = client_of(world.dispatcher), client_of(world.handler), client_of(alliance.vol)
    conforms(d, "GET", A + "units/", A + "units/", status=200)
    conforms(v, "GET", A + "units/", A + "units/", status=403)
    conforms(d, "GET", A + "units/{id}/", f"{A}units/{alliance.team.pk}/", status=200)
    conforms(d, "GET", A + "units/{id}/", f"{A}units/{world.hb_police.pk}/", status=404)
    conforms(d, "GET", A + "members/", A + "members/?dialect=minnan", status=200)
    conforms(d, "GET", A + "members/", A + "members/?dialect=xx", status=400)
    member = alliance.vol.memberships.get().pk
    conforms(v, "GET", A + "members/{id}/", f"{A}members/{member}/", status=200)
    body = {"order": order.pk, "member": alliance.vol.pk, "message": "请协助"}
    conforms(h, "POST", A + "invitations/", A + "invitations/", body, status=403)
    conforms(d, "POST", A + "invitations/", A + "invitations/", {"order": order.pk}, status=400)
    created = conforms(d, "POST", A + "invitations/", A + "invitations/", body, status=201)
    conforms(d, "POST", A + "invitations/", A + "invitations/", body, status=409)
    pk = created.json()["id"]
    conforms(v, "GET", A + "invitations/", A + "invitations/", status=200)
    contact = A + "invitations/{id}/contact/"
    conforms(h, "POST", contact, f"{A}invitations/{pk}/contact/", {"grant": True}, status=200)
    conforms(h, "POST", contact, f"{A}invitations/{pk}/contact/", {"grant": True}, status=409)
    conforms(v, "POST", contact, f"{A}invitations/{pk}/contact/", {"grant": False}, status=403)
    notes = A + "invitations/{id}/notes/"
    conforms(v, "POST", notes, f"{A}invitations/{pk}/notes/", {"note": "已沟通"}, status=201)
    conforms(v, "POST", notes, f"{A}invitations/{pk}/notes/", {"note": 1}, status=400)
    withdraw = A + "invitations/{id}/withdraw/"
    conforms(v, "POST", withdraw, f"{A}invitations/{pk}/withdraw/", status=403)
    conforms(d, "POST", withdraw, f"{A}invitations/{pk}/withdraw/", status=200)
    conforms(v, "POST", notes, f"{A}invitations/{pk}/notes/", {"note": "x"}, status=404)
    activity = {
        "date": "2026-11-20",
        "kind": "clinic",
        "title": "义诊",
        "organiser": world.hb_center.pk,
        "units": [alliance.team.pk],
        "members": [alliance.vol.pk],
        "people_served": 35,
    }
    conforms(d, "POST", A + "activities/", A + "activities/", activity, status=201)
    conforms(h, "POST", A + "activities/", A + "activities/", activity, status=403)
    conforms(d, "GET", A + "activities/", A + "activities/", status=200)
