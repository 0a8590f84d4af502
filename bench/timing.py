"""Timing and statement counting, shared by our side of the bench and the peer's
(``bench/peer/run_peer.py`` runs in the peer's own virtualenv with its own Django, so
this module imports nothing but Django and the standard library)."""

import contextlib
import statistics
import time
from collections.abc import Callable

from django.db import connection


def timed(fn: Callable, *, runs: int, seconds: float, warmup: int = 2) -> dict:
    """Run ``fn`` up to ``runs`` times or for ``seconds`` (after ``warmup`` runs; at least
    once). Wall times in ms (median, p95, min) and the query count of one run: a separate
    run with a query counter, or, with a single run and no warmup (slow targets),
    that run itself."""
    if runs == 1 and warmup == 0:
        with counting() as ctx:
            t0 = time.perf_counter()
            fn()
            elapsed = (time.perf_counter() - t0) * 1000
        return {
            "runs": 1,
            "median_ms": elapsed,
            "p95_ms": elapsed,
            "min_ms": elapsed,
            "queries": ctx.count,
        }
    for _ in range(warmup):
        fn()
    times = []
    deadline = time.perf_counter() + seconds
    while len(times) < runs and (not times or time.perf_counter() < deadline):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    with counting() as ctx:
        fn()
    return {
        "runs": len(times),
        "median_ms": statistics.median(times),
        "p95_ms": percentile(times, 95),
        "min_ms": min(times),
        "queries": ctx.count,
    }


class QueryCounter:
    """Counts the statements a block runs (an execute wrapper: unlike the debug query
    log it has no 9,000-query cap and does not format every statement), without BEGIN,
    COMMIT and savepoints."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        if (
            not sql.lstrip()
            .upper()
            .startswith(("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE"))
        ):
            self.count += 1
        return execute(sql, params, many, context)


@contextlib.contextmanager
def counting():
    counter = QueryCounter()
    with connection.execute_wrapper(counter):
        yield counter


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1))))
    return ordered[k]
