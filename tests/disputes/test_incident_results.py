"""Results back to the command system (``disputes.results``): an order born of an incident
queues its result when signed and when it ends, once per incident and event; the worker
POSTs it, signed, to a loopback endpoint, with retries and deduplication by id."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import threading
import uuid
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.db import connection

from dispatch.models import Role
from disputes import services
from disputes.incidents import IncidentInput, incident_receive
from disputes.models import (
    ContactMethod,
    Incident,
    IncidentResultMessage,
    IncidentType,
    Order,
    Outcome,
    State,
)
from disputes.results import (
    deliver_results_due,
    incident_results_merged,
    incident_results_requeue,
    message_body,
)
from notifications.delivery import backoff
from tests.factories import T0, UnitFactory, close_jointly, user_with_role
from tests.threads import race_ok

pytestmark = pytest.mark.django_db

SECRET = "s3cret-shared-with-110"
SIGNED_AT = T0 + timedelta(minutes=15)
CLOSED_AT = T0 + timedelta(days=1, hours=1)


# --- a loopback command system ---------------------------------------------------------------


class Endpoint:
    """An HTTP server on 127.0.0.1 that records each request and answers the statuses it
    is given in turn (then 200)."""

    def __init__(self):
        self.requests: list[dict] = []
        self.answers: list[int] = []
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                endpoint.requests.append(
                    {"path": self.path, "headers": dict(self.headers), "body": body}
                )
                status = endpoint.answers.pop(0) if endpoint.answers else 200
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *args):  # quiet
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/results"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def endpoint(settings):
    server = Endpoint()
    settings.COMMAND_RESULT_URL = server.url
    settings.COMMAND_RESULT_SECRET = SECRET
    settings.COMMAND_RESULT_TIMEOUT = 2.0
    yield server
    server.close()


def verify(request: dict, secret: str = SECRET) -> bool:
    """What a receiver does (docs/API.md): recompute the HMAC over timestamp.body."""
    timestamp = request["headers"]["X-Shishi-Timestamp"].encode()
    expected = hmac.new(secret.encode(), timestamp + b"." + request["body"], hashlib.sha256)
    return hmac.compare_digest(
        "sha256=" + expected.hexdigest(), request["headers"]["X-Shishi-Signature"]
    )


@pytest.fixture(autouse=True)
def kicks(monkeypatch):
    """The kicks results queue after commit, recorded instead of sent to the broker."""
    sent: list[str] = []
    monkeypatch.setattr("disputes.results.kick", lambda task, what: sent.append(task["task"]))
    return sent


# --- orders born of incidents ------------------------------------------------------------------


@pytest.fixture
def command_user(world):
    room = UnitFactory(police_station=True, name="石狮市公安局指挥中心", area=world.city)
    return user_with_role(Role.REPORTER, room, username="command")


@pytest.fixture
def born(world, command_user):
    """``born("J1")`` → an order made from a dispute incident at T0, dispatched to 湖滨派出所."""
    IncidentType.objects.create(
        code="JF-LZ", name="劳资纠纷", is_dispute=True, category=world.wages
    )

    def make(number: str = "J3505812026111000123") -> Order:
        result = incident_receive(
            actor=command_user,
            data=IncidentInput(
                number=number,
                received_at=T0 - timedelta(minutes=10),
                type_code="JF-LZ",
                summary="工人报警称工地拖欠三个月工资",
                community="HB/ZK",
                caller_name="王某",
                caller_phone="13812345678",
            ),
            now=T0,
        )
        return result.incident.order

    return make


def sign(order, world, at=SIGNED_AT):
    return services.order_sign(order_id=order.pk, actor=world.handler, now=at)


def close(order, world):
    services.order_record_contact(
        order_id=order.pk,
        actor=world.handler,
        method=ContactMethod.PHONE,
        note="已电话联系双方",
        now=T0 + timedelta(hours=2),
    )
    services.order_record_meeting(
        order_id=order.pk,
        actor=world.handler,
        place="曾坑社区调解室",
        participants="双方当事人",
        result="达成还款计划",
        now=T0 + timedelta(days=1),
    )
    return close_jointly(order, world.handler, now=CLOSED_AT)


def messages(**filters):
    return list(IncidentResultMessage.objects.filter(**filters).order_by("pk"))


# --- queueing --------------------------------------------------------------------------------


def test_signing_queues_one_result_with_the_order_as_it_stood(world, born):
    order = born()
    assert messages() == []  # dispatched: nothing yet
    sign(order, world)
    (row,) = messages()
    assert (row.event, row.status, row.attempts, row.next_attempt_at) == (
        "signed",
        "pending",
        0,
        SIGNED_AT,
    )
    body = json.loads(message_body(row))
    assert body == {
        "id": str(row.message_id),
        "event": "signed",
        "occurred_at": "2026-11-10T09:15:00+08:00",
        "incident": {"number": "J3505812026111000123", "received_at": "2026-11-10T08:50:00+08:00"},
        "order": {
            "number": order.number,
            "state": {"code": "signed", "label": "已签收"},
            "outcome": None,
            "lead_unit": {"id": world.hb_police.pk, "name": "湖滨派出所"},
            "reported_at": "2026-11-10T09:00:00+08:00",
            "dispatched_at": "2026-11-10T09:00:00+08:00",
            "signed_at": "2026-11-10T09:15:00+08:00",
            "closed_at": None,
            "cancelled_at": None,
            "ended_at": None,
            "merged_into": None,
        },
    }


def test_closing_queues_one_ended_result_with_the_outcome(world, born):
    order = born()
    sign(order, world)
    close(order, world)
    signed, ended = messages()
    assert (signed.event, ended.event) == ("signed", "ended")
    result = json.loads(message_body(ended))["order"]
    assert result["state"] == {"code": "closed", "label": "已结单"}
    assert result["outcome"] == {"code": Outcome.MEDIATED, "label": "调解成功"}
    assert result["closed_at"] == result["ended_at"] == "2026-11-11T10:00:00+08:00"
    assert result["signed_at"] == "2026-11-10T09:15:00+08:00"  # kept from the signing


def test_the_labels_are_chinese_whoever_acts_in_english(world, born, settings):
    from django.utils import translation

    order = born()
    with translation.override("en"):
        sign(order, world)
    assert json.loads(message_body(messages()[0]))["order"]["state"]["label"] == "已签收"


def test_cancelling_queues_one_ended_result_without_a_signing(world, born):
    order = born()
    services.order_cancel(
        order_id=order.pk, actor=world.dispatcher, reason="重复警情", now=T0 + timedelta(minutes=5)
    )
    (row,) = messages()
    result = json.loads(message_body(row))["order"]
    assert row.event == "ended"
    assert result["state"] == {"code": "cancelled", "label": "已撤销"}
    assert result["outcome"] is None and result["signed_at"] is None
    assert result["cancelled_at"] == result["ended_at"] == "2026-11-10T09:05:00+08:00"


def test_a_second_signing_after_a_return_never_queues_twice(world, born):
    order = born()
    sign(order, world)
    services.order_return(
        order_id=order.pk, actor=world.dispatcher, reason="改派", now=T0 + timedelta(minutes=20)
    )
    services.order_dispatch(
        order_id=order.pk,
        actor=world.dispatcher,
        lead_unit_id=world.hb_police.pk,
        now=T0 + timedelta(minutes=25),
    )
    sign(order, world, at=T0 + timedelta(minutes=30))
    assert [m.event for m in messages()] == ["signed"]


def test_orders_not_born_of_an_incident_queue_nothing(world, order_in):
    order_in("closed")
    order_in("cancelled")
    assert messages() == []


def test_every_incident_of_an_order_gets_its_own_result(world, born):
    order = born()
    Incident.objects.create(
        number="J-2",
        received_at=T0,
        type=IncidentType.objects.get(),
        summary="同一纠纷再次报警",
        community=world.zk,
        order=order,
        created_at=T0,
    )
    sign(order, world)
    rows = messages()
    assert sorted(json.loads(message_body(m))["incident"]["number"] for m in rows) == [
        "J-2",
        "J3505812026111000123",
    ]
    assert len({m.message_id for m in rows}) == 2


def test_merging_an_incident_order_tells_the_command_system_once(world, born):
    """The center merges a duplicate born of an incident: its result goes out as ended,
    naming the kept order."""
    duplicate, kept = born("J-1"), born("J-2")
    services.order_merge(
        order_id=duplicate.pk,
        actor=world.dispatcher,
        into=kept.number,
        reason="同一工地重复报警",
        now=T0 + timedelta(hours=1),
    )
    (row,) = [m for m in messages() if m.event == "ended"]
    result = json.loads(message_body(row))
    assert result["incident"]["number"] == "J-1"
    assert (result["order"]["state"]["code"], result["order"]["merged_into"]) == (
        "merged",
        kept.number,
    )


def test_a_merged_order_ends_with_the_kept_orders_number(world, born):
    duplicate, kept = born("J-1"), born("J-2")
    assert incident_results_merged(duplicate, into=kept, now=T0 + timedelta(hours=1)) == 1
    assert incident_results_merged(duplicate, into=kept, now=T0 + timedelta(hours=2)) == 0
    (row,) = messages()
    result = json.loads(message_body(row))
    assert (row.event, result["incident"]["number"]) == ("ended", "J-1")
    assert result["order"]["merged_into"] == kept.number
    assert result["order"]["ended_at"] == "2026-11-10T10:00:00+08:00"


# --- sending -----------------------------------------------------------------------------------


def test_a_result_is_posted_signed_and_a_tampered_body_fails_the_check(world, born, endpoint):
    order = born()
    sign(order, world)
    (row,) = messages()
    assert deliver_results_due(now=SIGNED_AT).sent == 1
    (request,) = endpoint.requests
    headers = request["headers"]
    assert request["path"] == "/results"
    assert headers["Content-Type"] == "application/json; charset=utf-8"
    assert headers["Idempotency-Key"] == str(row.message_id)
    assert headers["X-Shishi-Event"] == "signed"
    assert request["body"] == message_body(row)
    assert json.loads(request["body"])["id"] == str(row.message_id)
    assert verify(request)
    assert not verify(request, secret="another secret")
    tampered = {**request, "body": request["body"].replace(b'"signed"', b'"ended"', 1)}
    assert not verify(tampered)
    stale = {**request, "headers": {**headers, "X-Shishi-Timestamp": "0"}}
    assert not verify(stale)  # the timestamp is signed too
    row.refresh_from_db()
    assert (row.status, row.attempts, row.sent_at, row.response_status) == (
        "sent",
        1,
        SIGNED_AT,
        200,
    )
    assert deliver_results_due(now=SIGNED_AT + timedelta(hours=1)).sent == 0
    assert len(endpoint.requests) == 1  # sent once


def test_a_5xx_is_retried_with_backoff_and_the_same_id_and_body(world, born, endpoint):
    order = born()
    sign(order, world)
    endpoint.answers = [503]
    first = deliver_results_due(now=SIGNED_AT)
    assert (first.sent, first.retried) == (0, 1)
    (row,) = messages()
    assert (row.status, row.attempts, row.response_status) == ("pending", 1, 503)
    assert row.next_attempt_at == SIGNED_AT + backoff(1)
    assert "503" in row.last_error
    # Not due yet: nothing is sent.
    assert deliver_results_due(now=SIGNED_AT + backoff(1) - timedelta(seconds=1)).retried == 0
    assert len(endpoint.requests) == 1
    second = deliver_results_due(now=SIGNED_AT + backoff(1))
    assert second.sent == 1
    row.refresh_from_db()
    assert (row.status, row.attempts, row.last_error) == ("sent", 2, "")
    one, two = endpoint.requests
    assert one["headers"]["Idempotency-Key"] == two["headers"]["Idempotency-Key"]
    assert one["body"] == two["body"] and verify(two)
    deliver_results_due(now=SIGNED_AT + timedelta(days=1))
    assert len(endpoint.requests) == 2


@pytest.mark.parametrize("status", [408, 429, 500, 502])
def test_a_retryable_answer_keeps_the_row_pending(world, born, endpoint, status):
    sign(born(), world)
    endpoint.answers = [status]
    assert deliver_results_due(now=SIGNED_AT).retried == 1
    assert messages()[0].status == "pending"


@pytest.mark.parametrize("status", [400, 401, 403, 404, 422])
def test_a_4xx_fails_for_good_at_once(world, born, endpoint, status, caplog):
    sign(born(), world)
    endpoint.answers = [status]
    assert deliver_results_due(now=SIGNED_AT).failed == 1
    (row,) = messages()
    assert (row.status, row.attempts, row.response_status) == ("failed", 1, status)
    assert deliver_results_due(now=SIGNED_AT + timedelta(days=1)).sent == 0
    assert len(endpoint.requests) == 1


def test_network_errors_are_retried_until_attempts_run_out(world, born, endpoint, settings):
    sign(born(), world)
    settings.COMMAND_RESULT_URL = endpoint.url.replace(str(endpoint.server.server_port), "9")
    settings.NOTIFICATION_MAX_ATTEMPTS = 2
    assert deliver_results_due(now=SIGNED_AT).retried == 1
    assert deliver_results_due(now=SIGNED_AT + backoff(1)).failed == 1
    (row,) = messages()
    assert (row.status, row.attempts) == ("failed", 2)
    assert "URLError" in row.last_error or "Connection" in row.last_error


def test_a_failed_result_requeued_goes_again_with_the_same_id(world, born, endpoint):
    sign(born(), world)
    endpoint.answers = [400]
    deliver_results_due(now=SIGNED_AT)
    (row,) = messages()
    later = SIGNED_AT + timedelta(hours=3)
    assert incident_results_requeue(messages(), now=later) == 1
    assert incident_results_requeue(messages(status="sent"), now=later) == 0
    row.refresh_from_db()
    assert (row.status, row.attempts, row.next_attempt_at, row.last_error) == (
        "pending",
        0,
        later,
        "",
    )
    assert deliver_results_due(now=later).sent == 1
    one, two = endpoint.requests
    assert one["body"] == two["body"] and uuid.UUID(two["headers"]["Idempotency-Key"])


def test_unconfigured_the_rows_wait_quietly(world, born, settings, caplog):
    settings.COMMAND_RESULT_URL = ""
    settings.COMMAND_RESULT_SECRET = ""
    sign(born(), world)
    caplog.clear()
    with caplog.at_level(logging.DEBUG):
        result = deliver_results_due(now=SIGNED_AT + timedelta(days=1))
    assert (result.sent, result.retried, result.failed) == (0, 0, 0)
    (row,) = messages()
    assert (row.status, row.attempts) == ("pending", 0)
    assert caplog.records == []


def test_a_url_without_a_secret_sends_nothing_unsigned(world, born, endpoint, settings):
    settings.COMMAND_RESULT_SECRET = ""
    sign(born(), world)
    deliver_results_due(now=SIGNED_AT)
    assert endpoint.requests == [] and messages()[0].status == "pending"


def test_half_a_configuration_is_a_system_check_warning(settings):
    from disputes.results import result_endpoint_check

    settings.COMMAND_RESULT_URL, settings.COMMAND_RESULT_SECRET = "https://110.example/r", ""
    assert [w.id for w in result_endpoint_check(None)] == ["disputes.W101"]
    settings.COMMAND_RESULT_SECRET = SECRET
    assert result_endpoint_check(None) == []
    settings.COMMAND_RESULT_URL = settings.COMMAND_RESULT_SECRET = ""
    assert result_endpoint_check(None) == []


def test_the_state_label_is_not_the_events_state(world, born):
    """The signed result of an order is frozen: closing later does not change it."""
    order = born()
    sign(order, world)
    close(order, world)
    signed = messages(event="signed")[0]
    assert json.loads(message_body(signed))["order"]["state"]["code"] == State.SIGNED


def test_the_admin_lists_the_rows_and_requeues_a_failed_one(world, born, endpoint, client):
    sign(born(), world)
    endpoint.answers = [400]
    deliver_results_due(now=SIGNED_AT)
    (row,) = messages()
    client.force_login(world.admin)
    url = "/admin/disputes/incidentresultmessage/"
    page = client.get(url).content.decode()
    assert "J3505812026111000123" in page and "HTTP 400" in page
    response = client.post(url, {"action": "requeue", "_selected_action": [row.pk]}, follow=True)
    assert response.status_code == 200
    row.refresh_from_db()
    assert (row.status, row.attempts) == ("pending", 0)
    assert client.get(f"{url}{row.pk}/change/").status_code == 200  # read-only view


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="SKIP LOCKED needs PostgreSQL; SQLite serialises"
)
def test_two_workers_share_the_rows_and_send_each_once(world, born, endpoint):
    for i in range(12):
        sign(born(f"J-{i}"), world)
    race_ok([lambda: deliver_results_due(now=SIGNED_AT, batch_size=3)] * 2)
    deliver_results_due(now=SIGNED_AT)  # what a worker skipped while the other held it
    keys = [r["headers"]["Idempotency-Key"] for r in endpoint.requests]
    assert len(keys) == len(set(keys)) == 12
    assert set(IncidentResultMessage.objects.values_list("status", flat=True)) == {"sent"}


def test_a_committed_result_kicks_the_worker_only_when_configured(
    world, born, settings, kicks, django_capture_on_commit_callbacks
):
    order = born()
    with django_capture_on_commit_callbacks(execute=True):
        sign(order, world)  # not configured: the rows wait, no worker is woken
    assert kicks == []
    settings.COMMAND_RESULT_URL, settings.COMMAND_RESULT_SECRET = "https://110.example/r", SECRET
    with django_capture_on_commit_callbacks(execute=True):
        services.order_cancel(
            order_id=order.pk, actor=world.dispatcher, reason="重复", now=T0 + timedelta(hours=1)
        )
    assert kicks == ["disputes.deliver_incident_results"]
