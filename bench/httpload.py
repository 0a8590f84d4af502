"""The HTTP part (issue 7, items 3 and 5): gunicorn on loopback, wrk at a fixed
concurrency, peak RSS of the web workers and of a Celery worker running the sweep.

Every process started here is stopped by the ``with`` block that started it (SIGTERM,
then SIGKILL after a grace period), whatever happens inside.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.5):
            return
        time.sleep(0.1)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port} after {timeout:.0f} s")


def stop(proc: subprocess.Popen, grace: float = 10.0) -> None:
    if proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(grace)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(5)


def children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        if ppid == pid:
            found.append(int(entry.name))
    return found


def memory_kb(pid: int) -> dict[str, int]:
    """VmRSS (now) and VmHWM (peak since start) of a process, in KiB."""
    out = {}
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                out[key] = int(value.split()[0])
    return out


def bench_env(extra: dict | None = None) -> dict:
    env = dict(os.environ)
    env["DJANGO_SETTINGS_MODULE"] = "bench.settings"
    env["DATABASE_URL"] = os.environ["BENCH_DATABASE_URL"]
    env["PYTHONPATH"] = str(ROOT)
    env.update(extra or {})
    return env


@contextlib.contextmanager
def gunicorn(workers: int):
    port = free_port()
    log = open(OUT / "gunicorn.log", "w")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(
        [
            str(ROOT / ".venv" / "bin" / "gunicorn"),
            "shishi_mediation.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--worker-class",
            "sync",
            "--timeout",
            "120",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=bench_env(),
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_for_port(port, 60)
        yield proc, port
    finally:
        stop(proc)
        log.close()


WRK_SCRIPT = """
local paths = {%(paths)s}
local n = 0
%(headers)s
request = function()
  n = n + 1
  return wrk.format("GET", paths[(n %% #paths) + 1])
end
done = function(summary, latency, requests)
  io.write(string.format(
    "BENCHJSON {\\"requests\\": %%d, \\"duration_us\\": %%d, \\"p50_us\\": %%d, " ..
    "\\"p99_us\\": %%d, \\"non2xx\\": %%d, \\"errors\\": %%d}\\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    summary.errors.status, summary.errors.connect + summary.errors.read +
    summary.errors.write + summary.errors.timeout))
end
"""


def load(
    port: int, paths: list[str], headers: dict[str, str], *, concurrency: int, seconds: float
) -> dict:
    """Requests per second and p50/p99 latency at a fixed concurrency (wrk, else Python)."""
    if shutil.which("wrk"):
        return _wrk(port, paths, headers, concurrency=concurrency, seconds=seconds)
    return _python_load(port, paths, headers, concurrency=concurrency, seconds=seconds)


def _wrk(port, paths, headers, *, concurrency, seconds) -> dict:
    script = OUT / "wrk.lua"
    lua_headers = "\n".join(f'wrk.headers["{k}"] = "{v}"' for k, v in headers.items())
    script.write_text(
        WRK_SCRIPT % {"paths": ", ".join(f'"{p}"' for p in paths), "headers": lua_headers}
    )
    cmd = [
        "wrk",
        "-t1",
        f"-c{concurrency}",
        f"-d{max(1, round(seconds))}s",
        "--timeout",
        "10s",
        "-s",
        str(script),
        f"http://127.0.0.1:{port}/",
    ]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 60, check=False)
    for line in done.stdout.splitlines():
        if line.startswith("BENCHJSON "):
            raw = json.loads(line.removeprefix("BENCHJSON "))
            secs = raw["duration_us"] / 1e6
            return {
                "tool": "wrk",
                "concurrency": concurrency,
                "seconds": round(secs, 1),
                "requests": raw["requests"],
                "rps": raw["requests"] / secs if secs else 0.0,
                "p50_ms": raw["p50_us"] / 1000,
                "p99_ms": raw["p99_us"] / 1000,
                "non2xx": raw["non2xx"],
                "errors": raw["errors"],
            }
    raise RuntimeError(f"wrk gave no result: {done.stdout[-500:]} {done.stderr[-500:]}")


def _python_load(port, paths, headers, *, concurrency, seconds) -> dict:
    """A fallback when wrk is missing: threads with keep-alive connections. It costs
    more CPU than wrk on the same two cores, so its figures are lower bounds."""
    latencies: list[float] = []
    bad = [0]
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def worker(offset: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        n = offset
        mine = []
        while time.monotonic() < deadline:
            path = paths[n % len(paths)]
            n += concurrency
            t0 = time.perf_counter()
            conn.request("GET", path, headers=headers)
            resp = conn.getresponse()
            resp.read()
            mine.append(time.perf_counter() - t0)
            if resp.status >= 300:
                with lock:
                    bad[0] += 1
        conn.close()
        with lock:
            latencies.extend(mine)

    t0 = time.perf_counter()
    threads = [threading.Thread(target=worker, args=(i,)) for i in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(seconds + 30)
    elapsed = time.perf_counter() - t0
    ordered = sorted(latencies) or [0.0]
    return {
        "tool": "python",
        "concurrency": concurrency,
        "seconds": round(elapsed, 1),
        "requests": len(latencies),
        "rps": len(latencies) / elapsed,
        "p50_ms": statistics.median(ordered) * 1000,
        "p99_ms": ordered[int(0.99 * (len(ordered) - 1))] * 1000,
        "non2xx": bad[0],
        "errors": 0,
    }


def check(port: int, path: str, headers: dict[str, str]) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", path, headers=headers)
    resp = conn.getresponse()
    resp.read()
    conn.close()
    return resp.status


# --- the Celery worker during the sweep ------------------------------------------------------


@contextlib.contextmanager
def celery_worker():
    """A solo-pool worker of the project's Celery app that also loads ``bench.tasks``,
    consuming only the bench's queue of the bench's own filesystem broker."""
    log = open(OUT / "celery.log", "w")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(
        [
            str(ROOT / ".venv" / "bin" / "celery"),
            "-A",
            "shishi_mediation",
            "worker",
            "--pool=solo",
            "--include=bench.tasks",
            "--queues=bench",
            "--loglevel=WARNING",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ],
        cwd=ROOT,
        env=bench_env(),
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        yield proc
    finally:
        stop(proc, grace=20)
        log.close()


def python() -> str:
    return sys.executable
