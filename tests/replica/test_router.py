"""The read replica's router (issue 19): reports and lists read from the replica, a user
who just wrote reads the primary, a replica that is down or lags is not used, and a
replica that fails mid-request costs no error."""

import logging
import os

import pytest
from django.core.cache import cache
from django.db import connections
from django.test.utils import CaptureQueriesContext

from shishi_mediation import replica

from .conftest import closed_port, use_replica

# Committed rows: the replica sees them (and the router never reads it inside a transaction).
pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "replica"])

REPORT = "/reports/monthly/?month=2026-11"


@pytest.fixture
def reads(monkeypatch):
    """Every routing decision of the request: (model label, alias)."""
    seen = []
    original = replica.ReplicaRouter.db_for_read

    def spy(self, model, **hints):
        alias = original(self, model, **hints)
        seen.append((model._meta.label, alias))
        return alias

    monkeypatch.setattr(replica.ReplicaRouter, "db_for_read", spy)
    return seen


def test_the_report_reads_from_the_replica(world, mirrored, client, reads):
    client.force_login(world.supervisor)
    with CaptureQueriesContext(connections["replica"]) as on_replica:
        response = client.get(REPORT)
    assert response.status_code == 200
    assert response["X-Read-From"] == "replica"
    assert ("disputes.Order", "replica") in reads
    # The report's own SQL (its medians) ran on the replica too, in its transaction.
    assert any("percentile" in q["sql"] or "ROW_NUMBER" in q["sql"].upper() for q in on_replica)
    # Login, session, token and lockout tables are always the primary's.
    assert all(
        alias == "default" for label, alias in reads if label.startswith(("auth.", "sessions."))
    )


def test_unmarked_views_and_writes_use_the_primary(world, mirrored, client, reads):
    client.force_login(world.reporter)
    response = client.get("/my-reports/")
    assert response.status_code == 200
    assert "X-Read-From" not in response
    assert {alias for _label, alias in reads} <= {"default"}


def test_a_user_reads_their_own_write_from_the_primary(world, order_in, mirrored, client, reads):
    order = order_in("dispatched")
    url = f"/orders/{order.pk}/"
    client.force_login(world.handler)
    assert client.get(url)["X-Read-From"] == "replica"

    assert client.post(f"/orders/{order.pk}/sign/").status_code == 302
    page = client.get(url)
    assert page.status_code == 200
    assert page["X-Read-From"] == "primary"  # the replica has not shown it has the signing
    assert client.get(f"/api/v1/orders/{order.pk}/")["X-Read-From"] == "primary"

    client.force_login(world.dispatcher)  # someone else: their view of it may lag
    assert client.get(url)["X-Read-From"] == "replica"
    assert client.get("/api/v1/orders/")["X-Read-From"] == "replica"


def test_the_own_write_rule_ends_once_the_replica_has_replayed_it(
    world, order_in, mirrored, client, monkeypatch
):
    order = order_in("dispatched")
    client.force_login(world.handler)
    monkeypatch.setattr(replica, "primary_lsn", lambda: 5_000)
    client.post(f"/orders/{order.pk}/sign/")
    behind = replica.Health(up=True, replay_lsn=4_999)
    monkeypatch.setattr(replica, "probe", lambda: behind)
    cache.delete(replica.HEALTH_KEY)
    assert client.get(f"/orders/{order.pk}/")["X-Read-From"] == "primary"

    monkeypatch.setattr(replica, "probe", lambda: replica.Health(up=True, replay_lsn=5_000))
    # The cached probe is refreshed for a user waiting on their write.
    assert client.get(f"/orders/{order.pk}/")["X-Read-From"] == "replica"


def test_a_lagging_replica_is_not_read(world, mirrored, client, monkeypatch, caplog):
    lagging = replica.Health(up=True, replay_lsn=1, lagging=True, reason="30.0 s behind")
    monkeypatch.setattr(replica, "probe", lambda: lagging)
    client.force_login(world.supervisor)
    with caplog.at_level(logging.WARNING, logger="shishi_mediation.replica"):
        response = client.get(REPORT)
    assert response.status_code == 200
    assert response["X-Read-From"] == "primary"
    assert "30.0 s behind" in caplog.text


@pytest.mark.parametrize(
    ("replay_lsn", "primary_lsn", "replay_age", "lagging"),
    [
        (100, 100, 3600.0, False),  # an idle primary: nothing to replay, however old
        (90, 100, 3600.0, True),  # behind, and nothing replayed for an hour
        (90, 100, 2.0, False),  # behind by a moment's writes
        (90, 100, None, True),  # behind, and nothing replayed since it started
    ],
)
def test_lag_is_being_behind_for_longer_than_the_limit(
    replay_lsn, primary_lsn, replay_age, lagging, settings
):
    settings.REPLICA_MAX_LAG_SECONDS = 10
    assert replica.is_lagging(replay_lsn, primary_lsn, replay_age) is lagging


@pytest.fixture
def down(routed):
    with use_replica(closed_port()) as wrapper:
        yield wrapper


def test_a_replica_down_at_the_probe_leaves_reads_on_the_primary(world, down, client, caplog):
    client.force_login(world.supervisor)
    with caplog.at_level(logging.WARNING, logger="shishi_mediation.replica"):
        for _ in range(3):
            report = client.get(REPORT)
            assert report.status_code == 200
            assert report["X-Read-From"] == "primary"
            cache.delete(replica.HEALTH_KEY)  # probe again: still down, not logged again
        assert client.get("/orders/").status_code == 200
    outage = [r for r in caplog.records if r.name == "shishi_mediation.replica"]
    assert len(outage) == 1, caplog.text
    assert "unreachable" in outage[0].getMessage()


@pytest.mark.parametrize(
    "url",
    [REPORT, "/api/v1/reports/monthly/?month=2026-11&format=csv", "/orders/", "/api/v1/orders/"],
)
def test_a_replica_failing_mid_request_is_no_error(world, down, client, monkeypatch, caplog, url):
    # The probe said it was fine a moment ago; the connection then fails under the view.
    monkeypatch.setattr(replica, "probe", lambda: replica.Health(up=True))
    client.force_login(world.supervisor)
    with caplog.at_level(logging.WARNING, logger="shishi_mediation.replica"):
        for _ in range(2):
            response = client.get(url)
            assert response.status_code == 200, response.content[:300]
            assert response["X-Read-From"] == "primary"
    failures = [r for r in caplog.records if r.name == "shishi_mediation.replica"]
    assert len(failures) == 1, caplog.text  # once per outage, not once per request
    assert "failed mid-request" in failures[0].getMessage()


@pytest.mark.skipif(bool(os.environ.get("DATABASE_REPLICA_URL")), reason="a replica is set")
def test_no_replica_configured_means_no_router(settings):
    assert not settings.DATABASE_ROUTERS
    assert "shishi_mediation.replica.ReplicaMiddleware" not in settings.MIDDLEWARE
