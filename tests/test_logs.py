"""Structured logs (issue 8): one JSON object per line, and every line about an order
carries its number (``shishi_mediation.logs``).

The fixture ``log_lines`` reads what the configured console handler writes (its filters
as settings.LOGGING sets them up, its formatter switched to JSON as LOG_FORMAT=json does),
so these tests see the lines an operator would see.
"""

import io
import json
import logging
import os
import re
import subprocess
import sys
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from unittest import mock

import pytest
from django.conf import settings
from kombu.exceptions import OperationalError
from rest_framework.test import APIClient

from disputes import services
from disputes.models import State
from notifications import services as notifications
from notifications.delivery import deliver_due
from notifications.models import Delivery
from shishi_mediation.errors import Conflict
from shishi_mediation.logs import (
    ContextFilter,
    JsonFormatter,
    MaskFilter,
    PlainFormatter,
    order_log_context,
)
from tests.factories import T0

BASE_DIR = Path(__file__).resolve().parent.parent


def console_handler() -> logging.Handler:
    """The handler settings.LOGGING puts on the root logger."""
    for handler in logging.getLogger().handlers:
        if any(isinstance(f, ContextFilter) for f in handler.filters):
            return handler
    raise AssertionError("no handler with the ContextFilter on the root logger")


class LogLines:
    def __init__(self, stream: io.StringIO):
        self.stream = stream
        self.start = 0

    def mark(self) -> None:
        """Only lines written from now on count."""
        self.start = len(self.stream.getvalue())

    def raw(self) -> list[str]:
        return self.stream.getvalue()[self.start :].splitlines()

    def __call__(self) -> list[dict]:
        return [json.loads(line) for line in self.raw()]


@contextmanager
def capture_log_lines():
    """What the console handler writes, in JSON, while inside (also used by
    tests/test_masking.py)."""
    handler = console_handler()
    stream = io.StringIO()
    old_stream, old_formatter = handler.setStream(stream), handler.formatter
    handler.setFormatter(JsonFormatter())
    try:
        yield LogLines(stream)
    finally:
        handler.setStream(old_stream)
        handler.setFormatter(old_formatter)


@pytest.fixture
def log_lines():
    with capture_log_lines() as lines:
        yield lines


@pytest.fixture
def emails(world):
    for user in [world.dispatcher, world.handler, world.handler2, world.head, world.reporter]:
        user.email = f"{user.username}@example.cn"
        user.save(update_fields=["email"])
    return world


@pytest.fixture(autouse=True)
def _kick_always(monkeypatch):
    monkeypatch.setattr(notifications, "_kick_paused_until", 0.0)


def broker_down():
    return mock.patch(
        "notifications.tasks.deliver_notifications.apply_async",
        side_effect=OperationalError("Error 111 connecting to redis. Connection refused."),
    )


def failing_email(delivery):
    raise RuntimeError("SMTP 451: try again later")


# --- the configuration ------------------------------------------------------------------------


def test_settings_wire_the_filters_and_both_formats():
    handler = settings.LOGGING["handlers"]["console"]
    assert handler["filters"] == ["context", "mask"]
    assert handler["formatter"] == settings.LOG_FORMAT
    assert set(settings.LOGGING["formatters"]) == {"plain", "json"}
    live = console_handler()
    assert [type(f) for f in live.filters] == [ContextFilter, MaskFilter]
    # Django's own loggers go through the same handler (no unmasked side door).
    assert logging.getLogger("django").handlers == []
    assert logging.getLogger("django").propagate


# --- every line about an order carries its number ---------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_report_dispatch_sign_and_a_failed_delivery_all_name_the_order(emails, log_lines, settings):
    """Through the services as the web and the API call them (real commits, so the
    on_commit side effects run): every line written names the order."""
    settings.NOTIFICATION_SENDERS = {
        **settings.NOTIFICATION_SENDERS,
        "email": f"{__name__}.failing_email",
    }
    world = emails
    log_lines.mark()
    with broker_down():  # kick_delivery warns from an on_commit callback
        order = world.report(now=T0)
        services.order_dispatch(
            order_id=order.pk, actor=world.dispatcher, lead_unit_id=world.hb_police.pk, now=T0
        )
        services.order_sign(order_id=order.pk, actor=world.handler, now=T0)
    result = deliver_due(now=T0 + timedelta(seconds=1))
    assert result.retried == Delivery.objects.count() > 0

    lines = log_lines()
    messages = [line["message"] for line in lines]
    assert any("reported by" in m for m in messages), messages
    assert any("dispatched by" in m for m in messages), messages
    assert any("signed by" in m for m in messages), messages
    assert any("could not queue notification delivery" in m for m in messages), messages
    failures = [line for line in lines if line["logger"] == "notifications.delivery"]
    assert len(failures) == result.retried
    for line in lines:
        assert line.get("order") == order.number, line
    for line in failures:
        # The line itself says which order, for a reader of the plain text too.
        assert f"order {order.number}" in line["message"]
        assert "SMTP 451" in line["message"] and line["level"] == "WARNING"


def test_a_delivery_failing_for_good_names_its_order(world, log_lines, settings):
    settings.NOTIFICATION_MAX_ATTEMPTS = 1
    settings.NOTIFICATION_CHANNELS = ["webhook"]
    settings.NOTIFICATION_WEBHOOK_URL = ""  # the webhook sender raises: not configured
    order = world.report(now=T0)
    log_lines.mark()
    assert deliver_due(now=T0).failed == 1
    (line,) = log_lines()
    assert line["level"] == "ERROR" and line["logger"] == "notifications.delivery"
    assert line["order"] == order.number
    assert f"order {order.number}" in line["message"] and "failed for good" in line["message"]


def test_lines_outside_any_order_carry_none(world, log_lines):
    log_lines.mark()
    logging.getLogger("disputes.sweep").info("sweep: nothing due")
    (line,) = log_lines()
    assert "order" not in line and "request_id" not in line


def test_an_order_context_restores_what_was_there():
    log = logging.getLogger("tests.logs")
    with order_log_context("HB-202611-00001"):
        with order_log_context() as scope:
            record = log.makeRecord(log.name, logging.INFO, __file__, 1, "x", None, None)
            ContextFilter().filter(record)
            assert record.order == "HB-202611-00001"  # not bound yet: the outer one holds
            scope.bind("FL-202611-00002")
            record = log.makeRecord(log.name, logging.INFO, __file__, 1, "x", None, None)
            ContextFilter().filter(record)
            assert record.order == "FL-202611-00002"
        record = log.makeRecord(log.name, logging.INFO, __file__, 1, "x", None, None)
        ContextFilter().filter(record)
        assert record.order == "HB-202611-00001"
    record = log.makeRecord(log.name, logging.INFO, __file__, 1, "x", None, None)
    ContextFilter().filter(record)
    assert record.order is None


def test_a_refused_transition_logs_nothing_misleading(world, log_lines):
    """A 409 from the service leaves no line claiming the step happened."""
    order = world.order(State.SIGNED)
    log_lines.mark()
    with pytest.raises(Conflict):
        services.order_sign(order_id=order.pk, actor=world.handler, now=T0)
    assert not any("signed by" in line["message"] for line in log_lines())


# --- requests: id, user and the order they acted on -------------------------------------------


def test_api_lines_carry_request_id_user_and_order(world, log_lines):
    order = world.order(State.DISPATCHED)
    api = APIClient()
    api.force_authenticate(world.handler)
    log_lines.mark()
    signed = api.post(f"/api/v1/orders/{order.pk}/sign/", {}, format="json")
    assert signed.status_code == 200
    again = api.post(f"/api/v1/orders/{order.pk}/sign/", {}, format="json")
    assert again.status_code == 409

    lines = log_lines()
    sign_line = next(line for line in lines if "signed by" in line["message"])
    assert sign_line["request_id"] == signed["X-Request-ID"]
    assert sign_line["user_id"] == world.handler.pk
    assert sign_line["order"] == order.number
    # Django's "Conflict: /api/v1/orders/7/sign/" names the order the request acted on.
    conflict = next(line for line in lines if line["message"].startswith("Conflict:"))
    assert conflict["request_id"] == again["X-Request-ID"] != signed["X-Request-ID"]
    assert conflict["order"] == order.number and conflict["user_id"] == world.handler.pk
    assert conflict["level"] == "WARNING" and conflict["logger"] == "django.request"
    assert len([line for line in lines if line["message"].startswith("Conflict:")]) == 1


def test_a_proxys_request_id_is_kept_and_a_forged_one_is_not(world, client):
    ok = client.get("/healthz", HTTP_X_REQUEST_ID="nginx-4f1c2a9b7e")
    assert ok["X-Request-ID"] == "nginx-4f1c2a9b7e"
    forged = client.get("/healthz", HTTP_X_REQUEST_ID='x" injected\n{"level":"ERROR"}')
    assert forged["X-Request-ID"] != 'x" injected\n{"level":"ERROR"}'
    assert len(forged["X-Request-ID"]) == 32


def test_a_not_found_page_line_has_the_request_and_user(world, client, log_lines):
    client.force_login(world.dispatcher)
    log_lines.mark()
    response = client.get("/orders/987654321/")
    assert response.status_code == 404
    (line,) = [line for line in log_lines() if line["logger"] == "django.request"]
    assert line["request_id"] == response["X-Request-ID"]
    assert line["user_id"] == world.dispatcher.pk
    assert "order" not in line  # nothing was acted on


# --- the JSON shape ---------------------------------------------------------------------------


def test_json_lines_shape(log_lines):
    log = logging.getLogger("disputes.services")
    log_lines.mark()
    with order_log_context("HB-202611-00042"):
        log.warning("第一行\n第二行 %s", "参数")
        try:
            raise ValueError("boom")
        except ValueError:
            log.exception("failed")
    raw = log_lines.raw()
    assert len(raw) == 2  # a newline in a message or a traceback stays inside its line
    first, second = (json.loads(line) for line in raw)
    assert list(first)[:4] == ["time", "level", "logger", "message"]
    assert first["message"] == "第一行\n第二行 参数"
    assert "第一行" in raw[0]  # readable Chinese, not \\u escapes
    assert first["time"].endswith("+08:00")  # Asia/Shanghai
    assert first["level"] == "WARNING" and first["logger"] == "disputes.services"
    assert first["order"] == "HB-202611-00042"
    assert "ValueError: boom" in second["exc"] and second["level"] == "ERROR"


def test_plain_lines_name_the_order_too():
    record = logging.LogRecord("disputes.services", logging.INFO, __file__, 1, "signed", None, None)
    record.order, record.request_id, record.user_id = "HB-202611-00042", "abc123", 7
    line = PlainFormatter().format(record)
    assert "[order=HB-202611-00042 req=abc123 user=7] signed" in line
    assert "INFO disputes.services" in line


# --- LOG_FORMAT, end to end in a fresh process --------------------------------------------------

SNIPPET = (
    "import logging; from shishi_mediation.logs import order_log_context\n"
    "with order_log_context('HB-202611-00042'):\n"
    "    logging.getLogger('disputes.services').warning('call 13812345678')\n"
)


def run_python(code: str, **env: str) -> subprocess.CompletedProcess:
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DJANGO_ENV", "DEBUG", "LOG_FORMAT", "SECRET_KEY", "ALLOWED_HOSTS"}
    }
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=BASE_DIR,
        env={**clean, "DJANGO_SETTINGS_MODULE": "shishi_mediation.settings", **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def django_snippet(body: str) -> str:
    return "import django; django.setup()\n" + body


@pytest.mark.parametrize(
    "env, expect_json",
    [
        ({"LOG_FORMAT": "json"}, True),
        ({"LOG_FORMAT": "plain"}, False),
        ({}, False),  # development's default
        (
            {
                "DJANGO_ENV": "production",
                "SECRET_KEY": "k" * 60,
                "TIMELINE_CHAIN_KEY": "t" * 40,
                "ALLOWED_HOSTS": "example.cn",
            },
            True,  # production's default
        ),
    ],
    ids=["json", "plain", "dev-default", "production-default"],
)
def test_log_format_from_the_environment(tmp_path, env, expect_json):
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite3'}", **env}
    result = run_python(django_snippet(SNIPPET), **env)
    assert result.returncode == 0, result.stderr
    (line,) = result.stderr.strip().splitlines()
    assert "13812345678" not in line and "138****5678" in line
    if expect_json:
        entry = json.loads(line)
        assert entry["order"] == "HB-202611-00042"
        assert entry["message"] == "call 138****5678"
    else:
        assert "[order=HB-202611-00042] call 138****5678" in line


def test_an_unknown_log_format_refuses_to_start(tmp_path):
    result = run_python(
        django_snippet("pass"),
        LOG_FORMAT="xml",
        DATABASE_URL=f"sqlite:///{tmp_path / 'x.sqlite3'}",
    )
    assert result.returncode != 0
    assert "LOG_FORMAT must be plain or json" in result.stderr


def test_celery_worker_and_beat_keep_the_json_lines(tmp_path):
    """Celery would replace the root logger's handlers with its own format; the project's
    setup_logging receiver keeps settings.LOGGING instead."""
    code = (
        "import django; django.setup()\n"
        "from shishi_mediation.celery import app\n"
        "app.log.setup(loglevel='INFO')\n" + SNIPPET
    )
    result = run_python(code, LOG_FORMAT="json", DATABASE_URL=f"sqlite:///{tmp_path / 'x.db'}")
    assert result.returncode == 0, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert lines, result.stderr
    entry = json.loads(lines[-1])
    assert entry["order"] == "HB-202611-00042" and entry["message"] == "call 138****5678"


# --- review link tokens never reach a log line (issue 12) ---------------------------------


@pytest.fixture
def review_token(world):
    from disputes.models import Review

    world.order(State.CLOSED)
    return Review.objects.first().token


def test_a_review_pages_warning_line_does_not_carry_its_token(
    world, client, log_lines, review_token, settings
):
    from django.core.cache import cache

    cache.clear()
    settings.REVIEW_RATE_PER_TOKEN = 1
    log_lines.mark()
    assert client.post(f"/review/{review_token}/", {}).status_code == 400  # no rating
    assert client.get(f"/review/{review_token}/").status_code == 429  # over the limit
    cache.clear()
    raw = "\n".join(log_lines.raw())
    messages = [line["message"] for line in log_lines() if line["logger"] == "django.request"]
    assert messages == ["Bad Request: /review/…/", "Too Many Requests: /review/…/"], raw
    assert review_token not in raw


def test_runservers_access_line_does_not_carry_the_token(log_lines, review_token):
    log_lines.mark()
    # As django.core.servers.basehttp.WSGIRequestHandler.log_message writes it.
    logging.getLogger("django.server").info(
        '"%s" %s %s', f"GET /review/{review_token}/?x=1 HTTP/1.1", "200", "1234"
    )
    (line,) = log_lines()
    assert line["message"] == '"GET /review/…/?x=1 HTTP/1.1" 200 1234'


def test_gunicorns_access_line_does_not_carry_the_token(tmp_path, review_token):
    from types import SimpleNamespace

    from gunicorn.config import Config

    from shishi_mediation.logs import GunicornLogger

    # gunicorn.conf.py, read from the working directory, names the masking logger.
    printed = subprocess.run(
        [sys.executable, "-m", "gunicorn", "--print-config", "shishi_mediation.wsgi"],
        cwd=BASE_DIR,
        capture_output=True,
        text=True,
        timeout=60,
    ).stdout
    assert re.search(r"^logger_class\s+= shishi_mediation.logs.GunicornLogger$", printed, re.M)

    cfg = Config()
    cfg.set("accesslog", str(tmp_path / "access.log"))
    logger = GunicornLogger(cfg)
    path = f"/review/{review_token}/"
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": path,
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "10.0.0.1",
        "HTTP_REFERER": f"https://example.cn{path}",
    }
    response = SimpleNamespace(status="200 OK", sent=10, headers=[])
    logger.access(response, SimpleNamespace(headers=[]), environ, timedelta(seconds=1))
    for handler in logger.access_log.handlers:
        handler.flush()
    written = (tmp_path / "access.log").read_text()
    assert '"GET /review/…/ HTTP/1.1" 200 10 "https://example.cn/review/…/"' in written
    assert review_token not in written
