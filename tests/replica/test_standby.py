"""Against a real streaming standby (issue 19): ``.ci/run`` and ``bench/run`` start one
with pg_basebackup and name it in ``DATABASE_REPLICA_URL``. The standby replays the whole
cluster, the test database included, so a connection to it by that database's name reads
what the test committed on the primary once it has been replayed."""

import copy
import json
import os
import time

import environ
import pytest
from django.core.cache import cache
from django.db import connections

from disputes.models import Order
from shishi_mediation import replica

from .conftest import use_replica

REPLICA_URL = os.environ.get("DATABASE_REPLICA_URL", "")

pytestmark = [
    pytest.mark.skipif(
        not REPLICA_URL.startswith("postgres"),
        reason="needs a real PostgreSQL standby in DATABASE_REPLICA_URL (.ci/run starts one)",
    ),
    pytest.mark.django_db(transaction=True, databases=["default", "replica"]),
]


def _lsn(alias: str, sql: str) -> int:
    with connections[alias].cursor() as cursor:
        cursor.execute(f"SELECT ({sql} - '0/0'::pg_lsn)::bigint")
        return cursor.fetchone()[0]


def wait_for_replay(timeout: float = 15.0) -> None:
    """Until the standby has replayed everything the primary has written (bounded)."""
    target = _lsn("default", "pg_current_wal_insert_lsn()")
    deadline = time.monotonic() + timeout
    while _lsn("replica", "pg_last_wal_replay_lsn()") < target:
        assert time.monotonic() < deadline, "the standby did not replay the test's writes"
        time.sleep(0.05)


@pytest.fixture
def standby(routed):
    """The ``replica`` alias on the real standby, at the test database (by its name)."""
    settings_dict = copy.deepcopy(connections["default"].settings_dict)
    real = environ.Env.db_url_config(REPLICA_URL)
    settings_dict.update(
        {key: real[key] for key in ("HOST", "PORT", "USER", "PASSWORD") if key in real}
    )
    settings_dict["OPTIONS"] = {**settings_dict.get("OPTIONS", {}), "connect_timeout": 2}
    with use_replica(settings_dict) as wrapper:
        with wrapper.cursor() as cursor:
            cursor.execute("SELECT pg_is_in_recovery()")
            assert cursor.fetchone() == (True,), "DATABASE_REPLICA_URL is not a standby"
        yield wrapper


def _body(response) -> dict:
    assert response.status_code == 200, response.content[:300]
    return json.loads(response.content)


def test_reads_come_from_the_standby_and_answer_as_the_primary(world, order_in, standby, client):
    order = order_in("signed")
    wait_for_replay()
    assert replica.health(fresh=True).usable

    client.force_login(world.dispatcher)
    urls = (f"/api/v1/orders/{order.pk}/", "/api/v1/orders/")
    from_standby = [client.get(url) for url in urls]
    assert [r["X-Read-From"] for r in from_standby] == ["replica", "replica"]

    replica.mark_down("test: the primary's answer to compare")
    from_primary = [client.get(url) for url in urls]
    assert [r["X-Read-From"] for r in from_primary] == ["primary", "primary"]
    assert [_body(r) for r in from_standby] == [_body(r) for r in from_primary]
    assert _body(from_standby[0])["number"] == order.number


def test_the_monthly_report_reads_from_the_standby(world, order_in, standby, client):
    order_in("closed")
    wait_for_replay()
    client.force_login(world.supervisor)
    response = client.get("/api/v1/reports/monthly/?month=2026-11")
    assert response["X-Read-From"] == "replica"
    replica.mark_down("test")
    again = client.get("/api/v1/reports/monthly/?month=2026-11")
    assert again["X-Read-From"] == "primary"
    drop = ("as_of",)
    assert {k: v for k, v in _body(response).items() if k not in drop} == {
        k: v for k, v in _body(again).items() if k not in drop
    }


@pytest.fixture
def pause_replay(standby):
    """``pause_replay()`` stops the standby's replay (it keeps receiving); resumed after."""

    def pause():
        with standby.cursor() as cursor:
            cursor.execute("SELECT pg_wal_replay_pause()")

    yield pause
    with standby.cursor() as cursor:
        cursor.execute("SELECT pg_wal_replay_resume()")


def test_own_write_and_lag_on_a_standby_that_stopped_replaying(
    world, order_in, standby, pause_replay, client, settings
):
    order = order_in("dispatched")
    wait_for_replay()
    pause_replay()
    client.force_login(world.handler)
    assert client.post(f"/orders/{order.pk}/sign/").status_code == 302
    cache.delete(replica.HEALTH_KEY)

    # The standby still has the order unsigned; the signer reads their signing from the
    # primary.
    with standby.cursor() as cursor:
        cursor.execute(f"SELECT state FROM {Order._meta.db_table} WHERE id = %s", [order.pk])
        assert cursor.fetchone() == ("dispatched",)
    page = client.get(f"/api/v1/orders/{order.pk}/")
    assert page["X-Read-From"] == "primary"
    assert _body(page)["state"] == "signed"

    # Once replay has been behind for longer than the limit, nobody reads the standby.
    settings.REPLICA_MAX_LAG_SECONDS = 0
    cache.delete(replica.HEALTH_KEY)
    client.force_login(world.dispatcher)
    assert client.get("/orders/")["X-Read-From"] == "primary"
    state = replica.health()
    assert state.up and state.lagging

    # Replay resumes: the standby catches up and the signer reads it again.
    with standby.cursor() as cursor:
        cursor.execute("SELECT pg_wal_replay_resume()")
    wait_for_replay()
    settings.REPLICA_MAX_LAG_SECONDS = 10
    cache.delete(replica.HEALTH_KEY)
    client.force_login(world.handler)
    assert client.get(f"/orders/{order.pk}/")["X-Read-From"] == "replica"
