"""Training tests: a session recorded through the service, and API token clients."""

from datetime import date, time

import pytest
from django.contrib.auth import get_user_model
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from dispatch.models import Membership, Role
from training.services import AttendeeInput, SessionInput, session_create


def session_input(world, **kwargs) -> SessionInput:
    """A 湖滨 session input (2026-11-05 14:00–16:30, 2.5 h) with 张警官 attending."""
    defaults = {
        "topic": "人民调解法解读",
        "kind": "law",
        "date": date(2026, 11, 5),
        "start_time": time(14, 0),
        "end_time": time(16, 30),
        "trainer_name": "林律师",
        "trainer_unit": "石狮律师事务所",
        "organizer_id": world.hb_center.pk,
        "area_id": world.hb.pk,
        "place": "街道会议室",
        "attendance": [AttendeeInput(user_id=world.handler.pk)],
        "headcounts": [],
    }
    return SessionInput(**(defaults | kwargs))


def record(world, actor=None, **kwargs):
    return session_create(actor=actor or world.dispatcher, data=session_input(world, **kwargs))


@pytest.fixture
def hb_session(world):
    return record(world)


@pytest.fixture
def center_head(world):
    """The 湖滨 center's head (单位负责人 of the street center)."""
    m = Membership.objects.create(
        user=get_user_model().objects.create(username="center_head"),
        unit=world.hb_center,
        role=Role.UNIT_HEAD,
    )
    return m.user


@pytest.fixture
def api():
    def make(user) -> APIClient:
        token, _ = Token.objects.get_or_create(user=user)
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
        return client

    return make
