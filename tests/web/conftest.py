"""Fixtures for the web page tests: logged-in clients and routing rules."""

import pytest

from tests.factories import RoutingRuleFactory


@pytest.fixture
def as_user(client):
    """``as_user(world.dispatcher)`` → the test client, logged in as that user."""

    def login(user):
        client.logout()
        client.force_login(user)
        return client

    return login


@pytest.fixture
def routing(world):
    """Neighbour disputes in 曾坑 go to its mediation committee, then the police station."""
    return [
        RoutingRuleFactory(
            category=world.neighbours, area=world.zk, unit=world.hb_committee, rank=1
        ),
        RoutingRuleFactory(category=world.neighbours, area=world.hb, unit=world.hb_police, rank=1),
        RoutingRuleFactory(category=world.wages, area=world.hb, unit=world.hb_labour, rank=1),
        RoutingRuleFactory(category=world.wages, area=world.city, unit=world.hb_police, rank=2),
    ]


def html(response) -> str:
    return response.content.decode()
