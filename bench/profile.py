"""Where one request's time goes (issue 19): a few requests through the whole middleware
stack in-process (Django's test client, ``bench.settings``, DEBUG off), timed, their
statements counted, then profiled with cProfile.

    BENCH_DATABASE_URL=postgres://…/shishi_bench .venv/bin/python -m bench.profile \
        [--only detail,list,board,handling] [--runs 50] [--top 35] [--no-profile]

Run it against a database a bench run left behind (``bash bench/run`` with
``BENCH_DATABASE_URL`` keeps it; ``bench/main.py`` drops it only when it starts).
"""

import argparse
import cProfile
import os
import pstats
import statistics
import time


def setup() -> None:
    url = os.environ.get("BENCH_DATABASE_URL")
    if not url:
        raise SystemExit("bench.profile: set BENCH_DATABASE_URL to a bench database")
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
    os.environ["DATABASE_URL"] = url
    import django

    django.setup()


def targets() -> dict:
    from django.test import Client
    from django.urls import reverse

    from bench.measure import api_token, detail_ids, user

    token = api_token("center")
    api = Client(HTTP_AUTHORIZATION=f"Token {token}", REMOTE_ADDR="127.0.0.1")
    ids = detail_ids("center", 500)  # as the HTTP part rotates
    center = Client(REMOTE_ADDR="127.0.0.1")
    center.force_login(user("center"))
    police = Client(REMOTE_ADDR="127.0.0.1")
    police.force_login(user("police"))
    turn = iter(range(10**9))
    return {
        "detail": lambda: api.get(f"/api/v1/orders/{ids[next(turn) % len(ids)]}/"),
        "list": lambda: api.get("/api/v1/orders/"),
        "board": lambda: center.get(reverse("board")),
        "handling": lambda: police.get(reverse("handling")),
    }


# Where the time goes, by what it is spent on (cumulative, so the buckets overlap: a
# serializer's time includes the statements it runs).
BUCKETS = {
    "statements sent (psycopg2 execute)": ("psycopg2.extensions.cursor", "execute"),
    "SQL compiled by the ORM (as_sql)": ("django/db/models/sql/compiler.py", "as_sql"),
    "rows turned into models": ("django/db/models/query.py", "__iter__"),
    "authentication (DRF)": ("rest_framework/request.py", "_authenticate"),
    "throttles (DRF)": ("rest_framework/views.py", "check_throttles"),
    "permissions (DRF)": ("rest_framework/views.py", "check_permissions"),
    "content negotiation (DRF)": ("rest_framework/views.py", "perform_content_negotiation"),
    "rendering JSON (DRF)": ("rest_framework/response.py", "rendered_content"),
    "serializer fields built (get_fields)": ("rest_framework/serializers.py", "get_fields"),
    "serializer to_representation": ("rest_framework/serializers.py", "to_representation"),
    "template rendering": ("django/template/base.py", "render"),
    "session load": ("django/contrib/sessions/backends/db.py", "load"),
    "user from session": ("django/contrib/auth/__init__.py", "get_user"),
    "view (whole)": ("django/core/handlers/base.py", "_get_response"),
    "request (whole, all middleware)": ("django/core/handlers/base.py", "get_response"),
}


def print_buckets(stats: pstats.Stats, runs: int) -> None:
    found = {}
    for (path, _line, func), (_cc, _nc, _tt, ct, _callers) in stats.stats.items():
        for label, (where, name) in BUCKETS.items():
            if func == name and where in path or (where in func and name in func):
                found[label] = max(found.get(label, 0.0), ct)
    for label in BUCKETS:
        if label in found:
            print(f"    {label:40} {found[label] / runs * 1000:7.1f} ms/request (profiled)")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--only", default="detail,list,board,handling")
    p.add_argument("--runs", type=int, default=50)
    p.add_argument("--top", type=int, default=35)
    p.add_argument("--no-profile", action="store_true")
    args = p.parse_args()
    setup()
    from django.db import connection

    class Statements(list):
        """Each statement and its milliseconds (an execute wrapper: no DEBUG needed)."""

        def __call__(self, execute, sql, params, many, context):
            t0 = time.perf_counter()
            try:
                return execute(sql, params, many, context)
            finally:
                self.append(((time.perf_counter() - t0) * 1000, sql))

    load = os.getloadavg()[0]
    for name, call in targets().items():
        if name not in args.only.split(","):
            continue
        for _ in range(3):
            assert call().status_code == 200, name
        statements = Statements()
        with connection.execute_wrapper(statements):
            call()
        times, cpu = [], []
        for _ in range(args.runs):
            t0, c0 = time.perf_counter(), time.process_time()
            call()
            times.append((time.perf_counter() - t0) * 1000)
            cpu.append((time.process_time() - c0) * 1000)
        # The CPU time of this process (Python's share; PostgreSQL's is apart) varies
        # less than the wall time on shared CPUs.
        print(
            f"== {name}: median {statistics.median(times):.1f} ms, "
            f"min {min(times):.1f} ms, Python CPU median {statistics.median(cpu):.1f} ms, "
            f"{len(statements)} queries (load {load:.2f})"
        )
        if args.no_profile:
            for ms, sql in statements:
                print(f"  [{ms:.1f} ms] {sql[:300]}")
            continue
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(args.runs):
            call()
        profiler.disable()
        stats = pstats.Stats(profiler)
        print_buckets(stats, args.runs)
        stats.strip_dirs()
        stats.sort_stats("cumulative").print_stats(args.top)
        stats.sort_stats("tottime").print_stats(args.top // 2)
        for ms, sql in statements:
            print(f"  [{ms:.1f} ms] {sql[:300]}")


if __name__ == "__main__":
    main()
