"""我的协助, the alliance's units and activities cost the same queries with more rows."""

import pytest

from disputes import services
from tests.query_growth import assert_constant

pytestmark = pytest.mark.django_db


def test_my_assists_does_not_grow_with_the_invitations(world, alliance, order_in, client):
    def invite():
        order = order_in("signed")
        services.order_invite(order_id=order.pk, actor=world.dispatcher, member_id=alliance.vol.pk)

    invite()
    client.force_login(alliance.vol)
    urls = ["/my-assists/", "/orders/", "/api/v1/orders/", "/api/v1/alliance/invitations/"]
    assert_constant(client, urls, lambda: [invite() for _ in range(3)])


def test_the_alliance_pages_do_not_grow_with_the_volunteers(world, alliance, client):
    client.force_login(world.dispatcher)
    urls = ["/alliance/", "/api/v1/alliance/units/", "/api/v1/alliance/members/"]

    def more():
        for n in range(3):
            alliance.volunteer(alliance.team, f"vol_extra{n}", f"志愿者{n}", dialects=["minnan"])

    assert_constant(client, urls, more)
