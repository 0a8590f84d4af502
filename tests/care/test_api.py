"""The care register's API: masked rows for the center and supervisors, 404 for a
subject's detail, visits and aids outside the community, 400 naming the field."""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from care.models import CareSubject
from tests.care.conftest import ELDER_PHONE

pytestmark = pytest.mark.django_db


@pytest.fixture
def api():
    return APIClient()


def rows(api, user, **params):
    api.force_authenticate(user)
    response = api.get(reverse("api-care-subject-list"), params)
    assert response.status_code == 200
    return response.json()["results"]


def test_list_rows_are_full_for_the_community_and_masked_for_the_center(api, world, elder):
    (full,) = rows(api, world.handler)
    assert (full["name"], full["masked"]) == ("陈阿婆", False)
    (masked,) = rows(api, world.supervisor)
    assert masked["name"] == "陈*" and masked["masked"] is True
    assert set(masked) == {
        "id",
        "name",
        "masked",
        "kind",
        "community",
        "community_name",
        "is_active",
        "next_visit",
    }
    assert ELDER_PHONE not in str(masked)
    assert rows(api, world.fl_handler) == []
    assert rows(api, world.handler, kind="disabled") == []
    assert rows(api, world.handler, overdue="true") == []


@pytest.mark.parametrize("who", ["supervisor", "dispatcher", "fl_handler", "nobody"])
def test_detail_visits_and_aids_are_404_outside_the_community(api, world, elder, who):
    api.force_authenticate(getattr(world, who))
    for name in ("api-care-subject-detail", "api-care-subject-visits", "api-care-subject-aids"):
        assert api.get(reverse(name, args=[elder.pk])).status_code == 404
    posted = api.post(
        reverse("api-care-subject-visits", args=[elder.pk]),
        {"visited_at": "2026-11-11T10:00:00+08:00", "condition": "好"},
        format="json",
    )
    assert posted.status_code == 404


def test_police_register_visit_and_aid_through_the_api(api, world, time_machine):
    time_machine.move_to("2026-11-20T10:00:00+08:00", tick=False)
    api.force_authenticate(world.handler)
    created = api.post(
        reverse("api-care-subject-list"),
        {
            "name": "林阿公",
            "kind": "elderly_alone",
            "community": world.zk.pk,
            "phone": "13912345678",
        },
        format="json",
    )
    assert created.status_code == 201, created.json()
    pk = created.json()["id"]
    assert created.json()["next_visit"]["due_at"].startswith("2026-12-20")
    visit = api.post(
        reverse("api-care-subject-visits", args=[pk]),
        {"visited_at": "2026-11-20T09:59:00+08:00", "condition": "精神很好"},
        format="json",
    )
    assert visit.status_code == 201 and visit.json()["on_time"] is True
    future = api.post(
        reverse("api-care-subject-visits", args=[pk]),
        {"visited_at": "2026-11-21T09:00:00+08:00", "condition": "好"},
        format="json",
    )
    assert future.status_code == 400 and "visited_at" in future.json()["errors"]
    no_amount = api.post(
        reverse("api-care-subject-aids", args=[pk]),
        {"kind": "fundraising", "given_on": "2026-11-20"},
        format="json",
    )
    assert no_amount.status_code == 400 and "amount" in no_amount.json()["errors"]
    negative = api.post(
        reverse("api-care-subject-aids", args=[pk]),
        {"kind": "hospital", "given_on": "2026-11-20", "amount": "-1"},
        format="json",
    )
    assert negative.status_code == 400 and "amount" in negative.json()["errors"]
    number = api.post(
        reverse("api-care-subject-aids", args=[pk]),
        {"kind": "hospital", "given_on": "2026-11-20", "amount": 0.1},
        format="json",
    )
    assert number.status_code == 400 and "amount" in number.json()["errors"]  # a string
    aid = api.post(
        reverse("api-care-subject-aids", args=[pk]),
        {"kind": "hospital", "given_on": "2026-11-20", "amount": "2000.00", "outcome": "送医"},
        format="json",
    )
    assert aid.status_code == 201 and aid.json()["amount"] == "2000.00"
    detail = api.get(reverse("api-care-subject-detail", args=[pk])).json()
    assert len(detail["visits"]) == 1 and len(detail["aids"]) == 1


def test_registering_outside_ones_communities_names_the_field(api, world):
    api.force_authenticate(world.committee_handler)  # 曾坑's committee, not 石光's
    response = api.post(
        reverse("api-care-subject-list"),
        {"name": "某某", "kind": "disabled", "community": world.sg.pk},
        format="json",
    )
    assert response.status_code == 400 and "community" in response.json()["errors"]
    assert not CareSubject.objects.exists()
    api.force_authenticate(world.supervisor)
    response = api.post(
        reverse("api-care-subject-list"),
        {"name": "某某", "kind": "disabled", "community": world.zk.pk, "phone": "12"},
        format="json",
    )
    assert response.status_code == 400 and "community" in response.json()["errors"]


def test_the_schema_documents_the_care_endpoints(api, world):
    api.force_authenticate(world.admin)
    schema = api.get(reverse("api-schema"), {"format": "json"}).json()
    assert "/api/v1/care/subjects/{id}/visits/" in schema["paths"]
    assert "/api/v1/care/subjects/{id}/aids/" in schema["paths"]
