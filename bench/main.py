"""The bench: ``python -m bench.main --scale N`` (``bench/run`` starts PostgreSQL first).

Migrates a fresh database, generates the data, measures our side, runs the peer
(django-helpdesk, in its own virtualenv) on the same server with the same shape of data,
and prints every figure beside the peer's and the target. Results also go to
``bench/out/results-<scale>.json`` and ``.txt``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from datetime import UTC, date, datetime
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
PEER_DIR = ROOT / "bench" / "peer"


def log(msg: str = "") -> None:
    print(msg, flush=True)


LOADS: dict[str, float] = {}


def section(title: str) -> None:
    """Print a heading; remember the 1-minute load average as the section starts (other
    work on the same two CPUs inflates every figure: the results say how much there was)."""
    LOADS[title] = round(os.getloadavg()[0], 2)
    log(f"\n==== {title} ==== (load {LOADS[title]:.2f})")


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--scale", type=int, default=int(os.environ.get("SCALE", 1_000_000)))
    p.add_argument("--due", type=int, default=None, help="stages newly due (default: scale / 100)")
    p.add_argument("--months", type=int, default=int(os.environ.get("BENCH_MONTHS", 12)))
    p.add_argument("--seed", type=int, default=7)
    p.add_argument(
        "--reuse", action="store_true", help="keep the data of a previous run of this scale"
    )
    p.add_argument(
        "--skip-peer", action="store_true", default=os.environ.get("BENCH_SKIP_PEER") == "1"
    )
    p.add_argument("--skip-http", action="store_true")
    p.add_argument("--http-seconds", type=float, default=None)
    p.add_argument("--concurrency", type=int, default=4)
    p.add_argument(
        "--only",
        default="sweep,workers,pages,report,radar,http,peer",
        help="comma-separated parts to run (with --reuse to keep the data): "
        "sweep, workers (the sweep on 1, 2 and 4 sla workers), pages, report, radar, http, peer",
    )
    return p.parse_args()


def database_urls() -> tuple[str, str]:
    url = os.environ.get("BENCH_DATABASE_URL")
    if not url:
        sys.exit("bench: BENCH_DATABASE_URL is not set (use bench/run, which starts PostgreSQL)")
    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    if "bench" not in name:
        sys.exit(f"bench: refusing to recreate database {name!r}: its name must contain 'bench'")
    peer = urlunsplit(parts._replace(path=f"/{name}_peer"))
    return url, peer


def recreate_database(url: str) -> None:
    import psycopg2

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin = psycopg2.connect(urlunsplit(parts._replace(path="/postgres")))
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        cur.execute(f'CREATE DATABASE "{name}"')
    admin.close()


def setup_django(url: str) -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
    os.environ["DATABASE_URL"] = url
    import django

    django.setup()


def meta_matches(scale: int, due: int, months: int, seed: int) -> datetime | None:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SELECT to_regclass('bench_meta')")
        if cur.fetchone()[0] is None:
            return None
        cur.execute("SELECT scale, due, months, seed, now FROM bench_meta")
        row = cur.fetchone()
    if row and tuple(row[:4]) == (scale, due, months, seed):
        return row[4]
    return None


def database_bytes() -> int:
    """The bench database's size on disk (tables, indexes, TOAST), after generation."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SELECT pg_database_size(current_database())")
        return cur.fetchone()[0]


def save_meta(scale: int, due: int, months: int, seed: int, now: datetime) -> None:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("DROP TABLE IF EXISTS bench_meta")
        cur.execute(
            "CREATE TABLE bench_meta (scale int, due int, months int, seed int, now timestamptz)"
        )
        cur.execute(
            "INSERT INTO bench_meta VALUES (%s, %s, %s, %s, %s)", [scale, due, months, seed, now]
        )


def machine() -> dict:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SHOW server_version")
        version = cur.fetchone()[0]
        settings = {}
        for name in (
            "shared_buffers",
            "work_mem",
            "effective_cache_size",
            "random_page_cost",
            "fsync",
            "synchronous_commit",
            "jit",
        ):
            cur.execute(f"SHOW {name}")
            settings[name] = cur.fetchone()[0]
    mem = ""
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal"):
            mem = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    cpu = ""
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    return {
        "cpus": os.cpu_count(),
        "cpu": cpu,
        "memory": mem,
        "load_before": os.getloadavg()[0],
        "python": platform.python_version(),
        "postgresql": version,
        "pg_settings": settings,
    }


def export_shape(path: Path) -> int:
    """One line per order for the peer's generator: its street, report time, state, end
    time, risk, assignee and whether it is due at the bench's now."""
    from django.db import connection

    from bench.measure import REARM

    sql = f"""
        COPY (
            SELECT s.code, extract(epoch FROM o.reported_at)::bigint, o.state,
                   extract(epoch FROM COALESCE(o.closed_at, o.cancelled_at))::bigint,
                   o.risk_level, COALESCE(o.assignee_id, 0),
                   (r.order_id IS NOT NULL)::int
            FROM disputes_order o
            JOIN dispatch_area s ON s.id = o.street_id
            LEFT JOIN (SELECT DISTINCT order_id FROM {REARM}) r ON r.order_id = o.id
            ORDER BY o.id
        ) TO STDOUT
    """
    with open(path, "w") as f, connection.cursor() as cur:
        cur.cursor.copy_expert(sql, f)
        cur.execute(f"SELECT count(DISTINCT order_id) FROM {REARM}")
        return cur.fetchone()[0]


def run_peer(args, peer_url, shape: Path, due_orders: int, month: str, runs: int, seconds: float):
    python = os.environ.get("BENCH_PEER_PYTHON", str(ROOT / "bench" / ".peer" / "bin" / "python"))
    if not Path(python).exists():
        return {"error": f"peer virtualenv missing ({python}); bench/run creates it"}
    recreate_database(peer_url)
    result_file = OUT / f"peer-{args.scale}.json"
    env = dict(os.environ)
    env.pop("DJANGO_SETTINGS_MODULE", None)
    env["PEER_DATABASE_URL"] = peer_url
    cmd = [
        python,
        str(PEER_DIR / "run_peer.py"),
        "--shape",
        str(shape),
        "--due",
        str(due_orders),
        "--runs",
        str(runs),
        "--seconds",
        str(seconds),
        "--out",
        str(result_file),
        "--month",
        month,
    ]
    timeout = 600 + args.scale / 1000  # about 25 min at 1M: the peer's sweep is slow
    done = subprocess.run(cmd, cwd=PEER_DIR, env=env, timeout=timeout, check=False)
    if done.returncode != 0:
        return {"error": f"peer run failed (exit {done.returncode}); see its output above"}
    return json.loads(result_file.read_text())


def measure_http(args, seconds: float, results: dict) -> None:
    from bench import httpload, measure, replica

    paths = measure.api_paths()
    token = measure.api_token("center")
    cookie = measure.session_cookie("center")
    handler_cookie = measure.session_cookie("police")
    ids = measure.detail_ids("center")
    http = results["http"] = {"concurrency": args.concurrency, "rows": []}
    workers = os.cpu_count() or 2
    http["workers"] = workers
    with httpload.gunicorn(workers) as (proc, port):
        auth = {"Authorization": f"Token {token}"}
        plan = [("bare Django JSON view (ceiling)", ["/bench/bare/"], {})]
        if paths["detail"]:
            detail_paths = [paths["detail"].replace(f"/{ids[0]}/", f"/{i}/") for i in ids]
            plan.append(("order detail API", detail_paths, auth))
        else:
            http["rows"].append({"label": "order detail API", "result": measure.NOT_BUILT})
        if paths["list"]:
            plan.append(("order list API (first page)", [paths["list"]], auth))
        else:
            http["rows"].append({"label": "order list API", "result": measure.NOT_BUILT})
        for label, name, ck in (
            ("dispatcher board page over HTTP", "board", cookie),
            ("handler list page over HTTP", "handling", handler_cookie),
        ):
            url = measure.url_or_none(name)
            if url:
                plan.append((label, [url], {"Cookie": f"sessionid={ck}"}))
        for label, urls, headers in plan:
            try:
                status = httpload.check(port, urls[0], headers)
                if status != 200:
                    http["rows"].append({"label": label, "result": f"HTTP {status} at {urls[0]}"})
                    continue
                warm = min(2.0, seconds / 3)
                httpload.load(port, urls, headers, concurrency=args.concurrency, seconds=warm)
                row = httpload.load(
                    port, urls, headers, concurrency=args.concurrency, seconds=seconds
                )
            except Exception as exc:  # noqa: BLE001 - report it and load the next one
                http["rows"].append({"label": label, "result": measure.failed(exc)})
                continue
            row["label"] = label
            row["path"] = urls[0]
            http["rows"].append(row)
            log(
                f"  {label}: {row['rps']:.0f} req/s, p50 {row['p50_ms']:.1f} ms, "
                f"p99 {row['p99_ms']:.1f} ms ({row['requests']} requests, "
                f"{row['non2xx']} non-2xx)"
            )
        # Issue 19: the server each page, and the monthly report API, read from.
        report = measure.url_or_none("api-report-monthly")
        checks = [(label, urls[0], headers) for label, urls, headers in plan[1:]]
        if report:
            auth = {"Authorization": f"Token {measure.api_token('supervisor')}"}
            checks.append(("monthly report API", f"{report}?month={date.today():%Y-%m}", auth))
        http["read_from"] = {label: replica.read_from(port, p, h) for label, p, h in checks}
        log("  read from: " + ", ".join(f"{k}: {v}" for k, v in http["read_from"].items()))
        worker_pids = httpload.children(proc.pid)
        http["web_worker_rss_mb"] = max(
            (httpload.memory_kb(pid).get("VmHWM", 0) / 1024 for pid in worker_pids), default=0
        )
    log(f"  peak RSS of a web worker: {http['web_worker_rss_mb']:.0f} MB")


def measure_celery_rss(now: datetime, results: dict) -> None:
    from bench import httpload, measure
    from bench.tasks import DONE

    measure.rearm(now)
    DONE.unlink(missing_ok=True)
    from bench.tasks import sweep_at

    with httpload.celery_worker() as proc:
        time.sleep(3)
        before = httpload.memory_kb(proc.pid)
        sweep_at.apply_async(args=[now.isoformat()], queue="bench")
        deadline = time.monotonic() + 600
        while not DONE.exists() and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.2)
        after = httpload.memory_kb(proc.pid)
    done = json.loads(DONE.read_text()) if DONE.exists() else {}
    results["celery"] = {
        "rss_before_mb": before.get("VmRSS", 0) / 1024,
        "peak_rss_mb": after.get("VmHWM", 0) / 1024,
        "raised": done.get("raised"),
    }
    log(
        f"  Celery worker (solo pool): RSS {results['celery']['rss_before_mb']:.0f} MB idle, "
        f"peak {results['celery']['peak_rss_mb']:.0f} MB during a sweep raising "
        f"{done.get('raised')}"
    )


# --- 1b. The sweep on several `sla` workers (issue 19) ---------------------------------------
SWEEP_WORKER_COUNTS = (1, 2, 4)


def _sweep_workers(n: int, logs: list[Path]):
    """n solo-pool Celery workers on the `sla` queue of the bench's broker, each told to
    ask n - 1 more when its first batch is full (SLA_SWEEP_FANOUT), polling every 20 ms."""
    from bench import httpload

    env = httpload.bench_env(
        {
            "SLA_SWEEP_FANOUT": str(n - 1),
            "BENCH_BROKER_POLL_SECONDS": "0.02",
            "BENCH_LOG_LEVEL": "INFO",  # the worker's "ready." and "succeeded in" lines
        }
    )
    procs = []
    for i, path in enumerate(logs):
        out = open(path, "w")  # noqa: SIM115 - the worker writes it until it stops
        procs.append(
            (
                subprocess.Popen(
                    [
                        str(ROOT / ".venv" / "bin" / "celery"),
                        "-A",
                        "shishi_mediation",
                        "worker",
                        "--pool=solo",
                        "--queues=sla",
                        f"--hostname=sweep{i}@%h",
                        "--loglevel=INFO",
                        "--without-gossip",
                        "--without-mingle",
                        "--without-heartbeat",
                    ],
                    cwd=ROOT,
                    env=env,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                ),
                out,
            )
        )
    return procs


def _succeeded(logs: list[Path]) -> list[list[str]]:
    """Each worker's "Task … succeeded in …s: <raised>" lines so far."""
    return [
        [line for line in path.read_text(errors="replace").splitlines() if " succeeded in " in line]
        for path in logs
    ]


def _wait(what: str, done, timeout: float = 300.0) -> None:
    deadline = time.monotonic() + timeout
    while not done():
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out waiting for {what}")
        time.sleep(0.01)


def measure_sweep_workers(now: datetime, results: dict, runs: int = 3) -> None:
    """The beat task (``dispatch.sla_sweep`` at the bench's instant) on the backlog with 1,
    2 and 4 real worker processes on the `sla` queue: wall time from dispatch to the last
    batch committed (no due alarm left) and to the last escalation told (``notified_at``),
    median of ``runs``; then where one in-process sweep's time goes, statement by statement."""
    from django.conf import settings
    from django.db import connection

    from bench import httpload, measure
    from disputes.sweep import BATCH_SIZE
    from disputes.tasks import run_sla_sweep

    queue_dir = Path(settings.BENCH_BROKER_DIR) / "queue"

    def scalar(sql: str, params=()) -> int:
        with connection.cursor() as cur:
            cur.execute(sql, params)
            return cur.fetchone()[0]

    def due() -> int:
        return scalar("SELECT count(*) FROM dispatch_alarm WHERE fire_at <= %s", [now])

    def untold() -> int:
        return scalar("SELECT count(*) FROM dispatch_escalation WHERE notified_at IS NULL")

    def clean() -> None:
        """Undo the sweep and the notices the workers wrote (stamped with the clock's
        time, after the bench's ``now``), then the backlog is as generated."""
        with connection.cursor() as cur:
            cur.execute(
                "DELETE FROM dispatch_delivery WHERE notification_id IN "
                "(SELECT id FROM dispatch_notification WHERE created_at > %s)",
                [now],
            )
            cur.execute("DELETE FROM dispatch_notification WHERE created_at > %s", [now])
        measure.rearm(now)

    for stale in queue_dir.glob("*.sla.msg"):
        stale.unlink()
    out: dict = {"runs": {}, "load": {}}
    for n in SWEEP_WORKER_COUNTS:
        clean()
        backlog = due()
        logs = [OUT / f"celery-sla-{n}-{i}.log" for i in range(n)]
        procs = _sweep_workers(n, logs)
        try:
            _wait(
                f"{n} sla workers",
                lambda logs=logs: all("ready." in p.read_text(errors="replace") for p in logs),
                timeout=120,
            )
            # Warm each process (imports, a database connection): idle sweeps, nothing due.
            for _ in range(2 * n):
                run_sla_sweep.apply_async(args=["2000-01-01T00:00:00+00:00"])
            _wait("the warm-up", lambda logs=logs, n=n: sum(map(len, _succeeded(logs))) >= 2 * n)
            rows = []
            for run in range(runs):
                if run:
                    clean()
                seen = [len(lines) for lines in _succeeded(logs)]
                t0 = time.perf_counter()
                run_sla_sweep.apply_async(args=[now.isoformat()])
                first = None
                while (left := due()) > 0:
                    if first is None and left < backlog:
                        first = time.perf_counter() - t0
                    if time.perf_counter() - t0 > 300:
                        raise RuntimeError("the sweep did not finish in 300 s")
                    time.sleep(0.005)
                committed = time.perf_counter() - t0
                _wait("the notices", lambda: untold() == 0)
                told = time.perf_counter() - t0
                # Every task queued (the beat task and, after a full batch, its n - 1
                # helpers) has finished.
                tasks = 1 + (n - 1 if backlog >= BATCH_SIZE else 0)
                _wait(
                    "the tasks",
                    lambda logs=logs, seen=seen, k=tasks: (
                        sum(map(len, _succeeded(logs))) >= sum(seen) + k
                    ),
                )
                # What each worker's tasks raised in this run.
                shares = [
                    sum(int(line.rsplit(":", 1)[1]) for line in lines[before:])
                    for lines, before in zip(_succeeded(logs), seen, strict=True)
                ]
                raised = scalar(
                    "SELECT count(*) FROM dispatch_escalation WHERE raised_at = %s", [now]
                )
                rows.append(
                    {
                        "first_commit_s": first or committed,
                        "committed_s": committed,
                        "told_s": told,
                        "raised": raised,
                        "by_worker": shares,
                        "load": round(os.getloadavg()[0], 2),
                    }
                )
                log(
                    f"  {n} worker(s), run {run + 1}/{runs}: last batch committed "
                    f"{committed * 1000:.0f} ms after dispatch (first "
                    f"{rows[-1]['first_commit_s'] * 1000:.0f} ms), all told "
                    f"{told * 1000:.0f} ms; raised {raised} (by worker {shares}); "
                    f"load {rows[-1]['load']:.2f}"
                )
        finally:
            for proc, f in procs:
                httpload.stop(proc, grace=20)
                f.close()
        out["runs"][n] = rows
        med = statistics.median(r["committed_s"] for r in rows) * 1000
        told = statistics.median(r["told_s"] for r in rows) * 1000
        out[f"median_committed_ms_{n}"] = med
        out[f"median_told_ms_{n}"] = told
        log(f"  {n} worker(s): median {med:.0f} ms to the last commit, {told:.0f} ms to told")
    clean()
    out["profile"] = profile_sweep(now)
    clean()
    results["sweep_workers"] = out


def profile_sweep(now: datetime) -> dict:
    """One in-process sweep, each statement timed (grouped by verb and table), the commits
    (where PostgreSQL checks the deferred foreign keys) apart, the rest being Python; and
    how many indexes each table written keeps up to date."""
    import re
    from collections import defaultdict

    from django.db import connection

    from disputes.sweep import sla_sweep

    spent: dict[str, list[float]] = defaultdict(lambda: [0, 0.0])

    def timed(execute, sql, params, many, context):
        verb = sql.split(None, 1)[0].upper()
        table = re.search(r'(?:FROM|INTO|UPDATE)\s+"?(\w+)"?', sql, re.I)
        key = f"{verb} {table.group(1) if table else ''}".strip()
        t = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            spent[key][0] += 1
            spent[key][1] += time.perf_counter() - t

    commit = connection._commit

    def timed_commit():
        t = time.perf_counter()
        try:
            return commit()
        finally:
            spent["COMMIT (deferred FK checks)"][0] += 1
            spent["COMMIT (deferred FK checks)"][1] += time.perf_counter() - t

    connection._commit = timed_commit
    try:
        with connection.execute_wrapper(timed):
            t0 = time.perf_counter()
            result = sla_sweep(now=now)
            total = time.perf_counter() - t0
    finally:
        del connection._commit
    rows = sorted(((k, n, s * 1000) for k, (n, s) in spent.items()), key=lambda r: -r[2])
    db = sum(r[2] for r in rows)
    with connection.cursor() as cur:
        cur.execute(
            "SELECT tablename, count(*) FROM pg_indexes WHERE tablename IN "
            "('dispatch_escalation', 'disputes_orderevent', 'dispatch_alarm', "
            "'disputes_order') GROUP BY tablename"
        )
        indexes = dict(cur.fetchall())
    log(
        f"  one sweep in-process: {total * 1000:.0f} ms for {result.raised} escalations in "
        f"{result.batches} batches; database {db:.0f} ms, Python {total * 1000 - db:.0f} ms"
    )
    for key, n, ms in rows:
        log(f"    {key:<44} {n:>4} x  {ms:>7.0f} ms")
    log(f"  indexes kept by each table written: {indexes}")
    return {
        "total_ms": total * 1000,
        "raised": result.raised,
        "statements": rows,
        "python_ms": total * 1000 - db,
        "indexes": indexes,
    }


def attempt(fn, default=None):
    """Run one measurement; if it raises (another issue's code mid-change, say), print the
    error and go on with the others."""
    try:
        return fn()
    except Exception:  # noqa: BLE001 - one broken target must not lose the whole run
        import traceback

        log("  ERROR, this measurement is skipped:")
        log("  " + traceback.format_exc().strip().replace("\n", "\n  ")[-2000:])
        return default


def main() -> None:
    args = parse_args()
    due = args.due if args.due is not None else max(1, args.scale // 100)
    url, peer_url = database_urls()
    small = args.scale < 100_000
    http_seconds = args.http_seconds or (3.0 if small else 10.0)
    runs, seconds = (20, 5.0) if small else (30, 15.0)
    OUT.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()

    section(f"Setup: {args.scale:,} orders, {due:,} stages newly due, {args.months} months")
    if not args.reuse:
        recreate_database(url)
    setup_django(url)
    from django.core.management import call_command
    from django.utils import timezone

    from bench import generate, measure
    from bench.report import render

    t0 = time.perf_counter()
    call_command("migrate", verbosity=0, interactive=False)
    log(f"  migrated in {time.perf_counter() - t0:.1f} s")
    results: dict = {"scale": args.scale, "due_wanted": due, "months": args.months}
    results["machine"] = machine()

    only = {part.strip() for part in args.only.split(",")}
    # The radar alone needs only the orders, their parties and incidents: generated in a
    # fraction of the time, and never reused for the other parts.
    radar_only = only == {"radar"}
    now = meta_matches(args.scale, due, args.months, args.seed) if args.reuse else None
    if now is None:
        if args.reuse:
            recreate_database(url)
            from django.db import connection

            connection.close()
            call_command("migrate", verbosity=0, interactive=False)
        now = timezone.now().replace(second=0, microsecond=0)
        section("Generating data")
        stats = generate.generate(
            scale=args.scale,
            due=due,
            now=now,
            months=args.months,
            seed=args.seed,
            log=log,
            derived=("parties", "incidents") if radar_only else None,
        )
        if not radar_only:
            save_meta(args.scale, due, args.months, args.seed, now)
        results["generation"] = {
            "by_state": dict(stats.by_state),
            "backlog": stats.backlog,
            "redraws": stats.redraws,
            "rows": stats.rows,
            "seconds": stats.seconds,
        }
        log(
            f"  {args.scale:,} orders in {stats.seconds['total']:.0f} s "
            f"({', '.join(f'{k} {v:.0f} s' for k, v in stats.seconds.items() if k != 'total')})"
        )
        log(f"  states: {dict(stats.by_state.most_common())}")
        results["generation"]["database_bytes"] = database_bytes()
        log(f"  database size {results['generation']['database_bytes'] / 2**30:.1f} GiB")
        if not radar_only:
            results["chain"] = generate.verify_timelines(log=log)
            results["rollups"] = measure.build_report_rollups(now, log=log)
    else:
        log(f"  reusing the data generated for now = {now.isoformat()}")
        measure.rearm_if_swept(now)
    results["now"] = now.isoformat()

    if "sweep" in only:
        section("1. SLA sweep")
        results["sweep"] = attempt(lambda: measure.measure_sweep(now, runs=3, log=log))
    elif not radar_only:
        measure.snapshot_due(now)  # the Celery worker's sweep and the peer's shape need it
    if "workers" in only:
        section("1b. SLA sweep on 1, 2 and 4 `sla` workers (Celery, solo pool each)")
        attempt(lambda: measure_sweep_workers(now, results))
    if "pages" in only:
        section("2. Pages (Django test client, in-process)")
        results["pages"] = attempt(lambda: measure.measure_pages(runs=runs, seconds=seconds), [])
        results["selectors"] = attempt(
            lambda: measure.measure_selectors(runs=runs, seconds=seconds), []
        )
    for row in results.get("pages", []) + results.get("selectors", []):
        if "median_ms" in row:
            log(
                f"  {row['label']}: median {row['median_ms']:.1f} ms, p95 "
                f"{row['p95_ms']:.1f} ms, {row['queries']} queries"
            )
        else:
            log(f"  {row['label']}: {row['result']}")
    if "report" in only:
        section("4. Monthly report")
        results["report"] = attempt(
            lambda: measure.measure_report(now, runs=max(5, runs // 3), seconds=seconds),
            {"month": "-", "orders_in_month": 0, "rows": []},
        )
        for row in results["report"]["rows"]:
            log(f"  {row['label']}: {row.get('median_ms', row.get('result'))}")
    if "radar" in only:
        section("6. Repeat-dispute radar")
        results["radar"] = attempt(lambda: measure.measure_radar(now, log=log))
    if not args.skip_http and "http" in only:
        section("3 + 5. HTTP under gunicorn, RSS")
        attempt(lambda: measure_http(args, http_seconds, results))
        attempt(lambda: measure_celery_rss(now, results))
    # Leave the backlog swept, as the sweep measurements did.
    from disputes.sweep import sla_sweep

    if not radar_only:
        measure.rearm(now)
        shape = OUT / f"shape-{args.scale}.tsv"
        due_orders = export_shape(shape)
        sla_sweep(now=now)

    if not args.skip_peer and "peer" in only:
        section("Peer: django-helpdesk (its own virtualenv and database)")
        month = f"{measure.report_month(now):%Y-%m}"
        results["peer"] = run_peer(args, peer_url, shape, due_orders, month, runs, seconds)
    results["load"] = {**LOADS, "end": round(os.getloadavg()[0], 2)}
    results["seconds"] = time.perf_counter() - started
    results["finished"] = datetime.now(UTC).isoformat()
    text = render(results)
    (OUT / f"results-{args.scale}.json").write_text(json.dumps(results, indent=2, default=str))
    (OUT / f"results-{args.scale}.txt").write_text(text)
    section("Results")
    log(text)


if __name__ == "__main__":
    main()
