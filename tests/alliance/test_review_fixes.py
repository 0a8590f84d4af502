"""Holes a review found in the invited volunteer's view: a whole-phone search told the
masked digits one guess at a time, and a volunteer struck off the register kept her
invited orders."""

import pytest
from django.urls import reverse

from alliance.models import VolunteerProfile
from disputes import services
from tests.factories import fresh

pytestmark = pytest.mark.django_db

PHONE = "13812345678"  # the factories' party phone


@pytest.fixture
def invited(world, alliance, order_in):
    order = order_in("signed")
    services.order_invite(order_id=order.pk, actor=world.dispatcher, member_id=alliance.vol.pk)
    return order


def test_a_volunteer_cannot_find_an_order_by_a_phone_it_sees_masked(
    world, alliance, invited, client
):
    client.force_login(alliance.vol)
    page = client.get(reverse("order-list"), {"q": PHONE}).content.decode()
    assert invited.number not in page
    api = client.get("/api/v1/orders/", {"q": PHONE}).json()
    assert api["results"] == []
    # Her own view of it by number still works; the center's phone search still does.
    assert (
        invited.number in client.get(reverse("order-list"), {"q": invited.number}).content.decode()
    )
    client.force_login(world.dispatcher)
    assert [o["number"] for o in client.get("/api/v1/orders/", {"q": PHONE}).json()["results"]] == [
        invited.number
    ]


def test_a_volunteer_struck_off_the_register_loses_the_invited_order(
    world, alliance, invited, client
):
    client.force_login(alliance.vol)
    assert client.get(reverse("order-detail", args=[invited.pk])).status_code == 200
    VolunteerProfile.objects.filter(membership__user=alliance.vol).update(is_active=False)
    assert client.get(reverse("order-detail", args=[invited.pk])).status_code == 404
    assert client.get(f"/api/v1/orders/{invited.pk}/").status_code == 404
    VolunteerProfile.objects.filter(membership__user=alliance.vol).update(is_active=True)
    assert client.get(f"/api/v1/orders/{invited.pk}/").status_code == 200
    from disputes.selectors import orders_visible_to

    assert list(orders_visible_to(fresh(alliance.vol))) == [invited]


@pytest.mark.parametrize("param", ["unit", "dialect", "skill"])
def test_an_empty_member_filter_is_a_400_naming_it(world, alliance, client, param):
    client.force_login(world.dispatcher)
    response = client.get("/api/v1/alliance/members/", {param: ""})
    assert response.status_code == 400
    assert param in response.json()["errors"]
