"""A volunteer reports no hazard and logs no screening (she reports no order either), and
an id out of range on the screening form is a 400 naming the field, not a 500."""

import pytest
from django.urls import reverse

from hazards.models import Hazard, ScreeningVisit
from tests.alliance.conftest import Alliance

pytestmark = pytest.mark.django_db


def test_a_volunteer_reports_no_hazard_and_logs_no_screening(world, categories, api, client):
    volunteer = Alliance(world).vol
    hazard = api(volunteer).post(
        "/api/v1/hazards/",
        {
            "category": categories.fire.pk,
            "community": world.fl_community.pk,
            "address": "新华路 1 号",
            "description": "电线裸露",
        },
        format="json",
    )
    assert hazard.status_code == 403
    screening = api(volunteer).post(
        "/api/v1/screenings/",
        {
            "community": world.zk.pk,
            "place": "曾坑村",
            "visited_at": "2026-11-10T09:00:00+08:00",
            "checked": [categories.fire.pk],
        },
        format="json",
    )
    assert screening.status_code == 403
    client.force_login(volunteer)
    assert client.get(reverse("hazards:report")).status_code == 403
    assert not Hazard.objects.exists() and not ScreeningVisit.objects.exists()


@pytest.mark.parametrize("bad", ["99999999999999999999", "²", "-1"])
def test_an_id_out_of_range_on_the_screening_form_is_a_400(world, categories, client, bad):
    client.force_login(world.reporter)
    response = client.post(
        reverse("hazards:screening-new"),
        {
            "community": world.zk.pk,
            "place": "曾坑村",
            "visited_at": "2026-11-10T09:00",
            "checked": [bad],
            "outcome": "nothing",
        },
    )
    assert response.status_code == 400
    assert "checked" in response.context["form"].errors
    assert not ScreeningVisit.objects.exists()
