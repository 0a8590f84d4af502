"""Joint activities (联合活动): recorded by a street center, listed for the center and
supervisors, refused to anyone else."""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from alliance.models import JointActivity
from tests.factories import fresh

pytestmark = pytest.mark.django_db


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(fresh(user))
    return client


def test_the_center_records_an_activity_on_its_phone_form(world, alliance, client):
    client.force_login(world.dispatcher)
    r = client.post(
        reverse("alliance:activity-new"),
        {
            "date": "2026-11-20",
            "kind": "law_promotion",
            "title": "法治宣传进社区",
            "organiser": world.hb_center.pk,
            "units": [alliance.team.pk],
            "members": [alliance.vol.pk],
            "people_served": "120",
            "place": "曾坑社区",
        },
    )
    assert r.status_code == 302, r.content.decode()
    (a,) = JointActivity.objects.all()
    assert (a.people_served, list(a.units.all()), list(a.members.all())) == (
        120,
        [alliance.team],
        [alliance.vol],
    )
    listed = client.get(reverse("alliance:activities")).content.decode()
    assert "法治宣传进社区" in listed and "阿珠" in listed


def test_a_volunteer_of_no_participating_unit_is_refused(world, alliance):
    body = {
        "date": "2026-11-20",
        "kind": "clinic",
        "title": "义诊",
        "organiser": world.hb_center.pk,
        "units": [alliance.team.pk],
        "members": [alliance.lawyer.pk],
        "people_served": 10,
    }
    r = api(world.dispatcher).post("/api/v1/alliance/activities/", body, format="json")
    assert r.status_code == 400 and "members" in r.json()["errors"]
    body["members"] = [alliance.vol2.pk]
    r = api(world.dispatcher).post("/api/v1/alliance/activities/", body, format="json")
    assert r.status_code == 201 and r.json()["members"] == [alliance.vol2.pk]
    assert [
        a["title"] for a in api(world.supervisor).get("/api/v1/alliance/activities/").json()
    ] == ["义诊"]


def test_only_a_street_center_records(world, alliance, client):
    body = {
        "date": "2026-11-20",
        "kind": "other",
        "title": "x",
        "organiser": world.hb_center.pk,
        "people_served": 1,
    }
    for user in (world.handler, world.supervisor, alliance.vol, world.reporter):
        assert (
            api(user).post("/api/v1/alliance/activities/", body, format="json").status_code == 403
        )
    client.force_login(world.handler)
    assert client.get(reverse("alliance:activity-new")).status_code == 403
    assert client.get(reverse("alliance:activities")).status_code == 403
    assert not JointActivity.objects.exists()
