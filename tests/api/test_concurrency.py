"""Simultaneous API calls on one order: exactly one sign wins, the rest are 409 with the
state. Needs real row locks: PostgreSQL only (``DATABASE_URL=postgres://… pytest``)."""

import threading

import pytest
from django.db import connection
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from disputes.models import OrderEvent, State
from tests.factories import MembershipFactory, UserFactory

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
    barrier = threading.Barrier(len(keys))
    answers: list = [None] * len(keys)

    def sign(i, key):
        try:
            client = APIClient()
            client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
            barrier.wait(timeout=30)
            response = client.post(f"/api/v1/orders/{order.pk}/sign/")
            answers[i] = (response.status_code, response.json().get("state"))
        finally:
            connection.close()

    threads = [threading.Thread(target=sign, args=(i, k)) for i, k in enumerate(keys)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    codes = sorted(code for code, _state in answers)
    assert codes == [200] + [409] * 9
    assert {state for _code, state in answers} == {State.SIGNED}
    assert OrderEvent.objects.filter(order=order, kind="signed").count() == 1
