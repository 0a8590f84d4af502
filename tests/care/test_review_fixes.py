"""The care list's community filter takes no malformed id to the database, and the
visit clock tells no police unit that cannot open the subject (a city-level one)."""

import pytest
from django.urls import reverse

from care.selectors import community_police, subjects_in_full
from dispatch.models import Role
from tests.factories import UnitFactory, user_with_role

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("bad", ["²", "99999999999999999999", "-3", "1e3"])
def test_a_malformed_community_filter_lists_as_if_absent(world, elder, client, bad):
    client.force_login(world.handler)
    response = client.get(reverse("care:list"), {"community": bad})
    assert response.status_code == 200
    assert "陈阿婆" in response.content.decode()


def test_a_city_police_unit_covering_the_street_is_not_told_of_visits_due(world, elder):
    command = UnitFactory(police_station=True, name="市局指挥中心", area=world.city)
    command.covered_areas.add(world.hb)
    duty = user_with_role(Role.HANDLER, command, username="duty_officer")
    assert not subjects_in_full(duty).exists()
    told = set(community_police(world.zk.pk, Role.HANDLER).values_list("user_id", flat=True))
    assert duty.pk not in told and world.handler.pk in told


def test_masked_rows_keep_their_registration_order_and_full_rows_go_by_name(
    world, register, client
):
    register(name="陈雨", phone="13900002222", id_number="")
    register(name="陈丙", phone="13900003333", id_number="")
    client.force_login(world.dispatcher)  # the street center: masked
    masked = client.get(reverse("care:list")).context["items"]
    assert [row["subject"].name for row in masked] == ["陈雨", "陈丙"]
    client.force_login(world.handler)  # the community's officer: in full, by name
    full = client.get(reverse("care:list")).context["items"]
    assert [row["subject"].name for row in full] == sorted(["陈雨", "陈丙"])
