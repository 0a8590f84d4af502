"""Simultaneous API calls on one order: exactly one sign wins, the rest are 409 with the
state. Needs real row locks: PostgreSQL only (``DATABASE_URL=postgres://… pytest``)."""

import pytest
from django.db import connection
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from disputes.models import OrderEvent, State
from tests.factories import MembershipFactory, UserFactory
from tests.threads import race_ok

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="needs PostgreSQL row locks and threads"
    ),
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture(autouse=True)
def _no_broker(monkeypatch):
    monkeypatch.setattr("notifications.services.kick_delivery", lambda: None)


def test_ten_handlers_signing_at_once_one_wins(world, order_in):
    order = order_in("dispatched")
    keys = [Token.objects.create(user=world.handler).key, Token.objects.create(user=world.head).key]
    for _ in range(8):
        user = MembershipFactory(user=UserFactory(), unit=world.hb_police, handler=True).user
        keys.append(Token.objects.create(user=user).key)

    def client_of(key):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
        return client

    def sign(client):
        response = client.post(f"/api/v1/orders/{order.pk}/sign/")
        return response.status_code, response.json().get("state")

    answers = race_ok([(lambda k=k: client_of(k), sign) for k in keys])
    codes = sorted(code for code, _state in answers)
    assert codes == [200] + [409] * 9
    assert {state for _code, state in answers} == {State.SIGNED}
    assert OrderEvent.objects.filter(order=order, kind="signed").count() == 1
