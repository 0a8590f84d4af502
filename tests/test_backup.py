"""A pg_dump of the live database restores into a fresh one with every order and event."""

import shutil
import subprocess
import uuid

import psycopg2
import pytest
from django.db import connection

from disputes.models import Order, OrderEvent, State

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="pg_dump needs PostgreSQL"),
    pytest.mark.skipif(shutil.which("pg_dump") is None, reason="pg_dump is not installed"),
]


def _libpq_args(settings: dict, dbname: str) -> list[str]:
    args = ["-h", settings["HOST"] or "127.0.0.1", "-U", settings["USER"] or "postgres"]
    if settings.get("PORT"):
        args += ["-p", str(settings["PORT"])]
    return [*args, "-d", dbname]


def _connect(settings: dict, dbname: str):
    return psycopg2.connect(
        host=settings["HOST"],
        port=settings["PORT"],
        user=settings["USER"],
        password=settings.get("PASSWORD"),
        dbname=dbname,
    )


def test_dump_and_restore_into_a_fresh_database(world, tmp_path):
    for state in (State.REPORTED, State.SIGNED, State.CLOSED, State.CANCELLED):
        world.order(state)
    orders = sorted(Order.objects.values_list("number", "state"))
    events = OrderEvent.objects.count()
    db = connection.settings_dict
    env = {"PGPASSWORD": db.get("PASSWORD") or "", "PATH": "/usr/bin:/bin"}
    dump = tmp_path / "shishi.dump"

    # The documented procedure (docs/BACKUP.md): custom-format dump, restore into a new DB.
    subprocess.run(
        ["pg_dump", "--format=custom", "--no-owner", "-f", str(dump), *_libpq_args(db, db["NAME"])],
        check=True,
        env=env,
        timeout=120,
    )
    restored = f"restore_{uuid.uuid4().hex[:8]}"
    admin = _connect(db, "postgres")
    admin.autocommit = True
    try:
        with admin.cursor() as cur:
            cur.execute(f'CREATE DATABASE "{restored}"')
        subprocess.run(
            ["pg_restore", "--no-owner", "--exit-on-error", *_libpq_args(db, restored), str(dump)],
            check=True,
            env=env,
            timeout=120,
        )
        conn = _connect(db, restored)
        try:
            with conn.cursor() as cur:
                cur.execute("SELECT number, state FROM disputes_order")
                assert sorted(cur.fetchall()) == orders
                cur.execute("SELECT count(*) FROM disputes_orderevent")
                assert cur.fetchone()[0] == events
        finally:
            conn.close()
    finally:
        with admin.cursor() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{restored}"')
        admin.close()
