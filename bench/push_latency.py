"""Push latency (issue 14): ``python -m bench.push_latency``.

From the dispatch call to the push arriving at the device's push endpoint, over N
dispatches (default 200) through the real dispatch service: each commits, the on_commit
kick queues ``dispatch.deliver_notifications`` on Redis, a real Celery worker runs the
outbox, which encrypts and VAPID-signs the push and POSTs it to a push service on
loopback. The endpoint decrypts each arrival (it holds the subscription's private key)
and matches it to its order by the payload's url. Prints p50 / p95 / max and where the
time goes (dispatch → worker picks the task up → push arrives).

Starts its own redis-server (port 6391) and Celery worker and stops them at the end.
The database: PostgreSQL ``shishi_pushbench`` on 127.0.0.1:55460 (dropped and created
afresh), or ``--sqlite`` (a file in /tmp). See docs/PERFORMANCE.md, "Push latency".
"""

from __future__ import annotations

import argparse
import math
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
PG_URL = "postgres://postgres@127.0.0.1:55460/shishi_pushbench"


def log(msg: str = "") -> None:
    print(msg, flush=True)


def percentile(values: list[float], q: float) -> float:
    """Nearest rank."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def figures(name: str, seconds: list[float]) -> str:
    if not seconds:
        return f"{name}: no data"
    ms = [s * 1000 for s in seconds]
    return (
        f"{name}: p50 {statistics.median(ms):.0f} ms, p95 {percentile(ms, 0.95):.0f} ms, "
        f"max {max(ms):.0f} ms"
    )


def start_redis(port: int, folder: Path) -> None:
    redis = shutil.which("redis-server")
    if not redis:
        sys.exit("redis-server is not installed (apt-get install redis-server)")
    subprocess.run(
        [
            redis,
            "--port", str(port),
            "--bind", "127.0.0.1",
            "--daemonize", "yes",
            "--save", "",
            "--appendonly", "no",
            "--pidfile", str(folder / "redis.pid"),
            "--logfile", str(folder / "redis.log"),
            "--dir", str(folder),
        ],
        check=True,
    )  # fmt: skip
    for _ in range(50):
        ping = subprocess.run(["redis-cli", "-p", str(port), "ping"], capture_output=True)
        if ping.stdout.strip() == b"PONG":
            return
        time.sleep(0.1)
    sys.exit(f"redis-server did not start on port {port}")


def stop_redis(port: int) -> None:
    subprocess.run(["redis-cli", "-p", str(port), "shutdown", "nosave"], capture_output=True)


def fresh_postgres(url: str) -> None:
    import psycopg2
    from psycopg2 import sql
    from psycopg2.extensions import ISOLATION_LEVEL_AUTOCOMMIT

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    assert "bench" in name, "the bench drops its database: its name must contain 'bench'"
    conn = psycopg2.connect(
        host=parts.hostname, port=parts.port, user=parts.username, dbname="postgres"
    )
    conn.set_isolation_level(ISOLATION_LEVEL_AUTOCOMMIT)
    with conn.cursor() as cur:
        cur.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
        cur.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=200, help="dispatches (default 200)")
    parser.add_argument(
        "--interval",
        type=float,
        default=0.25,
        help="seconds between dispatches (default 0.25; 0 = a burst, all at once)",
    )
    parser.add_argument("--redis-port", type=int, default=6391)
    parser.add_argument("--database-url", default=os.environ.get("PUSHBENCH_DATABASE_URL", PG_URL))
    parser.add_argument("--sqlite", action="store_true", help="a SQLite file instead")
    parser.add_argument("--timeout", type=float, default=120.0, help="wait at most this long")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="pushbench-"))
    db_url = f"sqlite:///{work / 'db.sqlite3'}" if args.sqlite else args.database_url
    if not args.sqlite:
        fresh_postgres(db_url)

    # A VAPID pair from the project's own command (before this process loads Django).
    made = subprocess.run(
        [sys.executable, "manage.py", "make_vapid_keys", "--subject", "mailto:bench@localhost"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    keys = dict(line.split("=", 1) for line in made.stdout.splitlines() if "=" in line)
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "shishi_mediation.settings",
        "DATABASE_URL": db_url,
        "REDIS_URL": f"redis://127.0.0.1:{args.redis_port}/0",
        "CELERY_BROKER_URL": f"redis://127.0.0.1:{args.redis_port}/0",
        **keys,
        "WEBPUSH_ALLOW_LOOPBACK_HTTP": "true",
        "NOTIFICATION_CHANNELS": "webpush",
        "LOG_LEVEL": "WARNING",
        "AXES_ENABLED": "false",
    }
    os.environ.update(env)
    python = sys.executable
    worker = None
    start_redis(args.redis_port, work)
    try:
        log(f"database: {'SQLite ' + db_url if args.sqlite else db_url}")
        subprocess.run(
            [python, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True
        )
        import django

        django.setup()
        from django.conf import settings
        from django.utils import timezone

        from disputes import services
        from notifications.models import Delivery, PushSubscription
        from notifications.webpush import push_subscribe
        from tests.factories import build_world, report_order
        from tests.notifications.pushfake import Device, PushService

        settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
        log("building the organisation and reporting the orders…")
        world = build_world()
        orders = [report_order(world) for _ in range(args.count + 1)]  # +1 to warm up
        device = Device("/push/bench-device")
        with PushService() as push:
            push_subscribe(
                user=world.handler,
                endpoint=push.origin + device.path,
                **device.subscription(push.origin)["keys"],
                user_agent="bench",
            )
            worker = subprocess.Popen(
                [
                    python, "-m", "celery", "-A", "shishi_mediation", "worker",
                    "--pool=solo", "--queues=default", "--loglevel=WARNING",
                    "--without-gossip", "--without-mingle", "--without-heartbeat",
                ],
                cwd=ROOT,
                env=env,
                stdout=open(work / "celery.log", "w"),  # noqa: SIM115 - closed with the process
                stderr=subprocess.STDOUT,
            )  # fmt: skip

            calls: list[float] = []

            def dispatch(order) -> float:
                started = time.time()
                services.order_dispatch(
                    order_id=order.pk,
                    actor=world.dispatcher,
                    lead_unit_id=world.hb_police.pk,
                    assignee_id=world.handler.pk,
                    now=timezone.now(),
                )
                calls.append(time.time() - started)  # committed, the kick published
                return started

            def wait_for(n: int) -> bool:
                deadline = time.time() + args.timeout
                with push.arrived:
                    while len(push.received) < n and time.time() < deadline:
                        push.arrived.wait(timeout=0.5)
                return len(push.received) >= n

            log("waiting for the worker (one warm-up dispatch)…")
            dispatch(orders[0])
            if not wait_for(1):
                sys.exit(f"no push arrived; see {work / 'celery.log'}")
            warm = len(push.received)

            log(f"{args.count} dispatches, one every {args.interval:g} s…")
            started: dict[int, float] = {}
            for order in orders[1:]:
                started[order.pk] = dispatch(order)
                if args.interval:
                    time.sleep(args.interval)
            complete = wait_for(warm + args.count)
            arrivals = push.received[warm:]

        latency, queued, sending = [], [], []
        sent_at = dict(
            Delivery.objects.filter(channel="webpush", status="sent").values_list(
                "notification__order_id", "sent_at"
            )
        )
        for arrival in arrivals:
            payload = device.decrypt(arrival.body)
            order_id = int(payload["url"].strip("/").split("/")[-1])
            if order_id not in started:
                continue
            latency.append(arrival.at - started[order_id])
            if order_id in sent_at:
                picked = sent_at[order_id].timestamp()
                queued.append(picked - started[order_id])
                sending.append(arrival.at - picked)
        pending = Delivery.objects.filter(channel="webpush").exclude(status="sent").count()

        log("")
        devices = PushSubscription.objects.count()
        log(f"pushes arrived: {len(latency)} of {args.count} (complete: {complete})")
        log(f"deliveries not sent: {pending}; devices: {devices}")
        log(figures("dispatch → push arrives", latency) + " (target p95 ≤ 5000 ms)")
        log(figures("  the dispatch call (transaction, commit, kick)", calls[1:]))
        log(figures("  dispatch → worker starts the outbox run", queued))
        log(figures("  outbox run starts → push arrives", sending))
        kind = "SQLite" if args.sqlite else "PostgreSQL"
        log(f"database: {kind}; broker: Redis 127.0.0.1:{args.redis_port}")
        log(f"worker: celery --pool=solo; logs in {work}")
    finally:
        if worker is not None:
            worker.terminate()
            try:
                worker.wait(timeout=20)
            except subprocess.TimeoutExpired:
                worker.kill()
        stop_redis(args.redis_port)


if __name__ == "__main__":
    main()
