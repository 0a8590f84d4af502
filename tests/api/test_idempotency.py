"""``Idempotency-Key`` on ``POST /api/v1/orders/`` and every action endpoint, over HTTP:
a replay answers the first status and body and changes nothing; another request with a
used key is a 422; keys are per user; a malformed key is a 400; expired keys are purged.
The concurrent replays are in test_idempotency_concurrency.py (PostgreSQL)."""

import uuid
from datetime import timedelta

import pytest
import yaml
from django.utils import timezone

from disputes.api import API_ACTIONS
from disputes.models import Order, OrderEvent, State
from idempotency.models import IdempotencyKey
from idempotency.tasks import purge_idempotency_keys
from tests.api.test_orders import report_body, url

pytestmark = pytest.mark.django_db


def key() -> str:
    return str(uuid.uuid4())


def report(client, body, idem: str | None):
    headers = {"Idempotency-Key": idem} if idem is not None else {}
    return client.post(url(), body, format="json", headers=headers)


def test_replayed_report_returns_the_first_answer_and_makes_one_order(world, api):
    client = api(world.reporter)
    body, k = report_body(world), key()
    first = report(client, body, k)
    assert first.status_code == 201, first.content
    assert "Idempotent-Replayed" not in first.headers
    again = report(client, body, k)
    assert again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert Order.objects.count() == 1
    # Through a session too: the same user, the same key, the same answer.
    client.logout()
    session = api(world.reporter)
    session.credentials()
    session.force_login(world.reporter)
    assert report(session, body, k).json()["id"] == first.json()["id"]
    assert Order.objects.count() == 1


def test_key_order_in_the_body_does_not_matter(world, api):
    client, k = api(world.reporter), key()
    body = report_body(world)
    assert report(client, body, k).status_code == 201
    shuffled = dict(reversed(list(body.items())))
    assert report(client, shuffled, k).headers["Idempotent-Replayed"] == "true"
    assert Order.objects.count() == 1


def test_without_the_header_each_post_is_a_new_order(world, api):
    client, body = api(world.reporter), report_body(world)
    assert report(client, body, None).status_code == 201
    assert report(client, body, None).status_code == 201
    assert Order.objects.count() == 2


def test_reused_key_with_another_body_is_422(world, api):
    client, k = api(world.reporter), key()
    first = report(client, report_body(world), k)
    other = report(client, report_body(world, title="另一件事"), k)
    assert other.status_code == 422
    assert "Idempotency-Key" in other.json()["detail"]
    assert Order.objects.count() == 1
    # Nor may it be spent on another endpoint.
    order_id = first.json()["id"]
    cancel = api(world.dispatcher).post(
        url(order_id, "cancel"), {"reason": "重复"}, format="json", headers={"Idempotency-Key": k}
    )
    assert cancel.status_code == 200  # the dispatcher's own keys: unrelated
    sign = client.post(url(order_id, "sign"), {}, format="json", headers={"Idempotency-Key": k})
    assert sign.status_code == 422


def test_another_users_key_is_independent(world, api):
    k = key()
    mine = report(api(world.reporter), report_body(world), k)
    theirs = report(api(world.other_reporter), report_body(world, title="别人的报单"), k)
    assert theirs.status_code == 201
    assert "Idempotent-Replayed" not in theirs.headers
    assert theirs.json()["id"] != mine.json()["id"]
    assert theirs.json()["title"] == "别人的报单"
    assert Order.objects.count() == 2


@pytest.mark.parametrize(
    "bad", ["short", "x" * 129, "has space inside", "中文键中文键中文键", "semi;colon-key"]
)
def test_malformed_key_is_400_naming_the_header(world, api, bad):
    response = report(api(world.reporter), report_body(world), bad)
    assert response.status_code == 400
    assert "Idempotency-Key" in response.json()["errors"]
    assert Order.objects.count() == 0


def test_replayed_sign_makes_one_transition_and_one_event(world, api, order_in):
    order = order_in("dispatched")
    client, k = api(world.handler), key()
    first = client.post(url(order.pk, "sign"), format="json", headers={"Idempotency-Key": k})
    assert first.status_code == 200, first.content
    assert first.json()["state"] == State.SIGNED
    again = client.post(url(order.pk, "sign"), format="json", headers={"Idempotency-Key": k})
    assert again.status_code == 200  # not the 409 a second sign would get
    assert again.json() == first.json()
    assert OrderEvent.objects.filter(order=order, kind="signed").count() == 1
    # A new key is a new request: the order is signed already.
    fresh = client.post(url(order.pk, "sign"), format="json", headers={"Idempotency-Key": key()})
    assert fresh.status_code == 409


def test_a_refusal_is_replayed_too(world, api, order_in):
    """The first answer is the answer, an error included: a replay never runs it again."""
    order = order_in("reported")
    client, k = api(world.dispatcher), key()
    refused = client.post(
        url(order.pk, "dispatch"), {}, format="json", headers={"Idempotency-Key": k}
    )
    assert refused.status_code == 400
    again = client.post(
        url(order.pk, "dispatch"), {}, format="json", headers={"Idempotency-Key": k}
    )
    assert (again.status_code, again.json()) == (400, refused.json())
    assert Order.objects.get(pk=order.pk).state == State.REPORTED


def test_a_server_error_is_not_kept_so_the_key_can_retry(world, api, monkeypatch):
    client, body, k = api(world.reporter), report_body(world), key()
    client.raise_request_exception = False

    def broken(**kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr("disputes.services.order_report", broken)
    assert report(client, body, k).status_code == 500
    assert not IdempotencyKey.objects.exists()
    monkeypatch.undo()
    assert report(client, body, k).status_code == 201
    assert Order.objects.count() == 1


def test_every_action_endpoint_and_the_upload_document_the_header(anon):
    schema = yaml.safe_load(anon.get("/api/schema/").content)
    documented = {
        path
        for path, operations in schema["paths"].items()
        if any(
            p["name"] == "Idempotency-Key" for p in operations.get("post", {}).get("parameters", [])
        )
    }
    expected = {
        "/api/v1/orders/",
        "/api/v1/orders/{id}/attachments/",
        "/api/v1/orders/dispatch-bulk/",
    } | {f"/api/v1/orders/{{id}}/{a.replace('_', '-')}/" for a in API_ACTIONS}  # direct-reply
    assert documented == expected
    for path in expected:
        assert "422" in schema["paths"][path]["post"]["responses"], path


def test_expired_keys_are_purged_and_then_forgotten(world, api, settings):
    client, body, k = api(world.reporter), report_body(world), key()
    assert report(client, body, k).status_code == 201
    recent = report(client, body, key())
    assert recent.status_code == 201
    IdempotencyKey.objects.filter(key=k).update(
        created_at=timezone.now() - timedelta(days=settings.IDEMPOTENCY_KEY_DAYS, minutes=1)
    )
    assert purge_idempotency_keys() == 1
    assert IdempotencyKey.objects.count() == 1  # the recent one is kept
    # Forgotten: the same key now makes a new order.
    assert "Idempotent-Replayed" not in report(client, body, k).headers
    assert Order.objects.count() == 3
