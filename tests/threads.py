"""Races for the concurrency tests: callables in their own threads (each with its own
database connection), released together by a barrier."""

import threading

from django.db import connections


def race(attempts, *, timeout: float = 60) -> list:
    """Run each attempt in its own thread; return each one's result or exception, in
    order. An attempt is a callable, or a ``(prepare, go)`` pair: ``prepare()`` runs
    before the barrier (its reads don't blur the start) and ``go(state)`` after it."""
    barrier = threading.Barrier(len(attempts))
    results: list = [None] * len(attempts)

    def run(i, attempt):
        try:
            prepare, go = attempt if isinstance(attempt, tuple) else (None, attempt)
            state = prepare() if prepare else None
            barrier.wait(timeout=timeout)
            results[i] = go(state) if prepare else go()
        except Exception as exc:  # noqa: BLE001 - returned for the test to inspect
            results[i] = exc
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=run, args=(i, a), daemon=True) for i, a in enumerate(attempts)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=timeout)
    assert not any(t.is_alive() for t in threads), "a thread hung (deadlock?)"
    return results


def race_ok(attempts, *, timeout: float = 60) -> list:
    """``race``, failing the test with the first exception any attempt raised."""
    results = race(attempts, timeout=timeout)
    for result in results:
        if isinstance(result, Exception):
            raise AssertionError(f"an attempt failed: {result!r}") from result
    return results
