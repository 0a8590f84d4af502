"""Concurrent replays of one ``Idempotency-Key``: however many arrive at once, one order
is made and every answer is the first one. Needs real concurrent transactions:
PostgreSQL only (``DATABASE_URL=postgres://… pytest``)."""

import uuid

import pytest
from django.db import connection
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from disputes.models import Order, OrderEvent
from tests.api.test_orders import report_body
from tests.threads import race_ok

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs PostgreSQL: concurrent transactions waiting on a unique index",
    ),
    pytest.mark.django_db(transaction=True),
]

N = 8


@pytest.fixture(autouse=True)
def _no_broker(monkeypatch):
    monkeypatch.setattr("notifications.services.kick_delivery", lambda: None)


def _clients(user):
    """A new client per call (one per thread), all with the user's token."""
    token = Token.objects.create(user=user).key

    def make() -> APIClient:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
        return client

    return make


def test_same_key_posted_at_once_makes_one_order(world):
    client, body, key = _clients(world.reporter), report_body(world), str(uuid.uuid4())

    def post():
        response = client().post(
            "/api/v1/orders/", body, format="json", headers={"Idempotency-Key": key}
        )
        return response.status_code, response.json().get("id")

    answers = race_ok([post] * N)
    assert Order.objects.count() == 1
    order_id = Order.objects.get().pk
    assert answers == [(201, order_id)] * N


def test_same_key_signing_at_once_makes_one_transition(world, order_in):
    order = order_in("dispatched")
    client, key = _clients(world.handler), str(uuid.uuid4())

    def post():
        response = client().post(
            f"/api/v1/orders/{order.pk}/sign/", format="json", headers={"Idempotency-Key": key}
        )
        return response.status_code

    assert race_ok([post] * N) == [200] * N
    assert OrderEvent.objects.filter(order=order, kind="signed").count() == 1
