"""Fixtures for the API tests: token clients per user, a police command room, incident
types, and a cache emptied between tests (throttles and the review rate limit count in
it)."""

import pytest
from django.core.cache import cache
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from dispatch.models import Role
from disputes.models import IncidentType
from tests.factories import UnitFactory, user_with_role


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def anon():
    return APIClient()


@pytest.fixture
def api():
    """``api(user)`` → an APIClient sending ``Authorization: Token …`` for that user."""

    def make(user) -> APIClient:
        token, _ = Token.objects.get_or_create(user=user)
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
        client.user = user
        return client

    return make


@pytest.fixture
def command_room(world):
    """The city bureau's command centre: a unit of kind police station at city level."""
    return UnitFactory(police_station=True, name="石狮市公安局指挥中心", area=world.city)


@pytest.fixture
def command_user(command_room):
    """The command system's integration account: a reporter of the command centre."""
    return user_with_role(Role.REPORTER, command_room, username="command")


@pytest.fixture
def incident_types(world):
    """A dispute type per world category and two that are not disputes."""
    return {
        "wages": IncidentType.objects.create(
            code="JF-LZ", name="劳资纠纷", is_dispute=True, category=world.wages
        ),
        "neighbours": IncidentType.objects.create(
            code="JF-LL", name="邻里纠纷", is_dispute=True, category=world.neighbours
        ),
        "theft": IncidentType.objects.create(code="XS-DQ", name="盗窃", is_dispute=False),
        "help": IncidentType.objects.create(code="QZ", name="群众求助", is_dispute=False),
    }
