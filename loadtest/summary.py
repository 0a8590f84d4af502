"""The load test's summary, from the files ``loadtest/run`` leaves in its output folder.

Reads locust's CSV output (``locust_stats.csv``, ``locust_failures.csv``,
``locust_exceptions.csv``), the locustfile's ``outcomes.json`` (expected races and
unexpected statuses by request, 5xx with their request ids), the web server's access and
error logs, the Celery worker's log (SLA sweep runs) and ``samples.tsv`` (load average
and memory of the web workers, the Celery worker and beat, every 5 s). Prints plain text
and writes ``summary.json`` beside the inputs. Standard library only:

    python3 loadtest/summary.py loadtest/out
"""

from __future__ import annotations

import csv
import json
import re
import statistics
import sys
from collections import Counter, defaultdict
from pathlib import Path


def read_csv(path: Path) -> list[dict]:
    if not path.exists():
        return []
    with path.open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def read_json(path: Path, default):
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else default


def num(value) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return 0.0


def endpoint_rows(stats: list[dict]) -> tuple[list[dict], dict]:
    """One row per request name, busiest first, and the aggregated row."""
    rows, total = [], {}
    for r in stats:
        row = {
            "name": r["Name"],
            "requests": int(num(r["Request Count"])),
            "failures": int(num(r["Failure Count"])),
            "rps": num(r["Requests/s"]),
            "avg": num(r["Average Response Time"]),
            "p50": num(r["50%"]),
            "p95": num(r["95%"]),
            "p99": num(r["99%"]),
            "max": num(r["Max Response Time"]),
        }
        if r["Name"] == "Aggregated":
            total = row
        else:
            rows.append(row)
    rows.sort(key=lambda x: -x["requests"])
    return rows, total


def log_records(path: Path):
    """(time, level, message, record) per line of a log in the project's JSON format, or
    (None, None, line, {}) for a line in any other format."""
    if not path.exists():
        return
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        if line.startswith("{"):
            try:
                rec = json.loads(line)
                yield rec.get("time"), rec.get("level"), rec.get("message", ""), rec
                continue
            except json.JSONDecodeError:
                pass
        yield None, None, line, {}


SUCCEEDED = re.compile(r"Task (dispatch\.\w+)\[[^\]]+\] succeeded in ([0-9.]+)s: (\d+)")
RAISED = re.compile(r"sla sweep at \S+ raised (\d+) escalations (\{[^}]*\})")
TASK_FAILED = re.compile(r"Task (dispatch\.\w+)\[[^\]]+\] (raised|failed|retry)")


def celery_activity(worker_log: Path) -> dict:
    """SLA sweep runs (time, seconds, escalations raised) and delivery task counts."""
    sweeps, deliveries, levels, failed = [], [], Counter(), Counter()
    for at, _level, message, _rec in log_records(worker_log):
        m = SUCCEEDED.search(message)
        if m and m[1] == "dispatch.sla_sweep":
            sweeps.append({"at": (at or "")[11:19], "seconds": float(m[2]), "raised": int(m[3])})
        elif m:
            deliveries.append((float(m[2]), int(m[3])))
        m = RAISED.search(message)
        if m:
            for level, n in re.findall(r"'([^']+)': (\d+)", m[2]):
                levels[level] += int(n)
        m = TASK_FAILED.search(message)
        if m:
            failed[f"{m[1]} {m[2]}"] += 1
    secs = [s["seconds"] for s in sweeps]
    return {
        "sweep_runs": len(sweeps),
        "escalations_raised": sum(s["raised"] for s in sweeps),
        "by_stage_level": dict(sorted(levels.items())),
        "sweep_ms_median": round(statistics.median(secs) * 1000) if secs else None,
        "sweep_ms_max": round(max(secs) * 1000) if secs else None,
        "sweeps": sweeps,
        "delivery_task_runs": len(deliveries),
        "delivery_ms_median": (
            round(statistics.median(d for d, _n in deliveries) * 1000, 1) if deliveries else None
        ),
        "notifications_sent": sum(n for _d, n in deliveries),
        "task_failures": dict(failed),
    }


def resources(path: Path) -> dict:
    """samples.tsv: epoch, load1, load5, load15, then role:pid:rss_kib:hwm_kib fields."""
    load1 = []
    hwm: dict[str, dict[str, int]] = defaultdict(dict)
    if path.exists():
        for line in path.read_text().splitlines():
            parts = line.split("\t")
            if len(parts) < 4:
                continue
            load1.append(num(parts[1]))
            for item in parts[4:]:
                try:
                    role, pid, rss, peak = item.split(":")
                except ValueError:
                    continue
                best = max(int(rss), int(peak))
                hwm[role][pid] = max(hwm[role].get(pid, 0), best)
    return {
        "samples": len(load1),
        "load1_max": max(load1) if load1 else None,
        "load1_mean": round(statistics.fmean(load1), 2) if load1 else None,
        "peak_rss_mib": {
            role: {pid: round(kib / 1024) for pid, kib in pids.items()}
            for role, pids in sorted(hwm.items())
        },
    }


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def access_log(path: Path) -> tuple[Counter, dict]:
    """Status codes and server-side request times in gunicorn's access log
    (``… "GET /x HTTP/1.1" 200 1234 17 ms``): the time a worker spent on the request,
    without the wait in the listen queue that the client's latency includes."""
    counts: Counter = Counter()
    times = []
    minutes: dict[str, list[float]] = defaultdict(list)
    if path.exists():
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
            m = re.search(r'"(\S+) (\S+) HTTP/[0-9.]+" (\d{3}) \S+(?: (\d+) ms)?', line)
            if not m or m[2].startswith("/readyz"):
                continue
            counts[m[3]] += 1
            if m[4]:
                times.append(float(m[4]))
                at = re.search(r"\[[^:]+:(\d\d:\d\d):", line)
                if at:
                    minutes[at[1]].append(float(m[4]))
    served = {f"p{q}": percentile(times, q) for q in (50, 95, 99)}
    served["mean"] = round(statistics.fmean(times), 1) if times else None
    served["per_minute"] = {
        minute: {
            "requests": len(v),
            "p50": percentile(v, 50),
            "p95": percentile(v, 95),
            "max": max(v),
        }
        for minute, v in sorted(minutes.items())
    }
    return counts, served


def server_errors(error_log: Path) -> list[dict]:
    """Errors the web server logged (a 5xx is 'Internal Server Error: /path' with its
    traceback in 'exc'), and gunicorn's own worker timeouts or crashes (not the SIGTERM
    of the normal stop)."""
    found = []
    for at, level, message, rec in log_records(error_log):
        if level in ("ERROR", "CRITICAL") or re.search(
            r"Internal Server Error|WORKER TIMEOUT|was sent SIGKILL|exited with code", message
        ):
            lines = (rec.get("exc") or "").strip().splitlines()
            raised = [x for x in lines if re.match(r"^[\w.]+(Error|Exception|Exit)\w*\b", x)]
            found.append(
                {
                    "at": at,
                    "message": message,
                    "request_id": rec.get("request_id"),
                    "exception": (raised or lines or [""])[-1],
                }
            )
    return found


def slow_statements(pg_log: Path) -> list[str]:
    """Statements PostgreSQL logged as slower than log_min_duration_statement (1 s)."""
    if not pg_log.exists():
        return []
    text = pg_log.read_text(encoding="utf-8", errors="replace")
    return re.findall(r"duration: ([0-9.]+ ms .*)", text)


def ms(v: float) -> str:
    return f"{v:,.0f}" if v >= 10 else f"{v:.1f}"


def stepped_report(steps: dict, meta: dict, p) -> None:
    """The stepped mode's result (``steps.json``, written by the locustfile's shape): the
    highest rate held with 0 errors and p95 within the limit, and every step."""
    cfg, held = steps["settings"], steps.get("held") or {}
    p(
        f"\nStepped load: +{cfg['step_rate']:g} req/s every {cfg['step_seconds']} s from "
        f"{cfg['start_rate']:g} (at most {cfg['max_rate']:g}) until p95 > "
        f"{cfg['p95_limit_ms']:g} ms or an error; then the highest passing rate held "
        f"{cfg['hold_seconds']} s (after {cfg['settle_seconds']} s unmeasured); a step's times "
        f"from {cfg.get('ramp_seconds', 0):g} s in, its errors from its start"
    )
    p(f"  gunicorn workers: {meta.get('workers', '?')}")
    if held:
        p(
            f"  HELD: {held['offered_rps']:g} req/s offered, {held['achieved_rps']:.1f} achieved, "
            f"for {held['seconds']:.0f} s with 0 errors; p50 {held['p50_ms']} ms, p95 "
            f"{held['p95_ms']} ms, p99 {held['p99_ms']} ms; load average {held['load1']}"
        )
    else:
        p("  NO RATE HELD: every hold (or the first step) failed")
    cols = ("offered", 8), ("users", 6), ("achieved", 9), ("p50", 7), ("p95", 7), ("p99", 7)
    cols += ("errors", 7), ("load1", 6)
    header = f"  {'phase':<6} " + " ".join(f"{c:>{w}}" for c, w in cols) + "  result"
    p(header)
    for r in steps["steps"]:
        p(
            f"  {r['phase']:<6} {r['offered_rps']:>8g} {r['users']:>6} "
            f"{r['achieved_rps']:>9.1f} {ms(r['p50_ms'] or 0):>7} {ms(r['p95_ms'] or 0):>7} "
            f"{ms(r['p99_ms'] or 0):>7} {r['errors']:>7} {r['load1']:>6}  "
            + ("pass" if r["passed"] else "FAIL")
            + (f" ({'; '.join(r['error_kinds'])})"[:160] if r["error_kinds"] else "")
        )


def main(out: Path) -> int:
    rows, total = endpoint_rows(read_csv(out / "locust_stats.csv"))
    failures = read_csv(out / "locust_failures.csv")
    exceptions = read_csv(out / "locust_exceptions.csv")
    outcomes = read_json(out / "outcomes.json", {"outcomes": [], "server_errors": []})
    meta = read_json(out / "meta.json", {})
    celery = celery_activity(out / "celery-worker.log")
    res = resources(out / "samples.tsv")
    statuses, served = access_log(out / "gunicorn-access.log")
    errors = server_errors(out / "gunicorn-error.log")
    slow = slow_statements(out / "postgresql.log")
    races = [o for o in outcomes["outcomes"] if o["outcome"].startswith("expected")]

    p = print
    p("Load test summary")
    for key in ("started", "duration_s", "users", "pace", "servers", "commit", "machine"):
        if key in meta:
            p(f"  {key:<13} {meta[key]}")
    if meta.get("changed_during_run"):
        p(f"  WARNING: project files changed during the run: {meta['changed_during_run']}")
    for key in ("uptime_before", "uptime_after"):
        if key in meta:
            p(f"  {key:<13} {meta[key]}")
    if not total:
        p("no locust statistics found")
        return 1
    p(
        f"\nTotal: {total['requests']:,} requests in {meta.get('duration_s', '?')} s, "
        f"throughput {total['rps']:.1f} req/s; latency p50 {ms(total['p50'])} ms, "
        f"p95 {ms(total['p95'])} ms, p99 {ms(total['p99'])} ms, max {ms(total['max'])} ms; "
        f"errors {total['failures']:,}; expected races {sum(o['count'] for o in races):,}"
    )
    cols = ("count", 7), ("req/s", 6), ("p50", 6), ("p95", 6), ("p99", 6), ("max", 6), ("err", 4)
    header = f"{'request (ms)':<42} " + " ".join(f"{c:>{w}}" for c, w in cols)
    p("\n" + header)
    p("-" * len(header))
    for r in rows + [dict(total, name="all requests")]:
        p(
            f"{r['name'][:42]:<42} {r['requests']:>7,} {r['rps']:>6.2f} {ms(r['p50']):>6} "
            f"{ms(r['p95']):>6} {ms(r['p99']):>6} {ms(r['max']):>6} {r['failures']:>4}"
        )

    p("\nErrors (a status other than the expected one), by type:")
    for f in failures or [{"Occurrences": "", "Method": "none", "Name": "", "Error": ""}]:
        p(f"  {f['Occurrences']:>6} {f['Method']} {f['Name']} {f['Error']}".rstrip())
    for e in exceptions:
        p(f"  load generator exception ×{e.get('Count', '?')}: {e.get('Message', '')[:120]}")
    p("Expected races (a 409 because another user acted first; not errors):")
    for o in races or [{"count": "", "name": "none", "outcome": ""}]:
        p(f"  {o['count']:>6} {o['name']} {o['outcome']}".rstrip())
    p(
        "Server side, gunicorn access log: "
        + ", ".join(f"{k} ×{v:,}" for k, v in sorted(statuses.items()))
    )
    if served["p50"] is not None:
        p(
            f"Server-side time per request (worker busy, without the queue): "
            f"mean {served['mean']} ms, p50 {served['p50']:.0f}, p95 {served['p95']:.0f}, "
            f"p99 {served['p99']:.0f} ms"
        )
        p(
            "  per minute (UTC+8: requests, p50/p95/max ms): "
            + "; ".join(
                f"{k} {v['requests']} {v['p50']:.0f}/{v['p95']:.0f}/{v['max']:.0f}"
                for k, v in served["per_minute"].items()
            )
        )
    p(f"Server errors logged (5xx, worker timeouts): {len(errors)}")
    for e in errors[:20]:
        p(f"  {e['at']} {e['message'][:80]} (id {e['request_id']})")
        if e["exception"]:
            p(f"    {e['exception'][:150]}")
    for e in outcomes.get("server_errors", [])[:20]:
        p(f"  client saw {e['status']} at {e['at']} on {e['path']} (id {e['request_id']})")

    p("\nSLA sweep (Celery beat every 60 s, queue sla, worker log):")
    if celery["sweep_runs"]:
        p(
            f"  {celery['sweep_runs']} runs, {celery['escalations_raised']} escalations raised "
            f"{celery['by_stage_level']}; run time median {celery['sweep_ms_median']} ms, "
            f"max {celery['sweep_ms_max']} ms"
        )
        p(
            "  runs (time, ms, raised): "
            + "; ".join(
                f"{s['at']} {s['seconds'] * 1000:.0f} {s['raised']}" for s in celery["sweeps"]
            )
        )
    else:
        p("  no sweep run found in the worker log")
    p(
        f"  notification delivery tasks: {celery['delivery_task_runs']:,} runs "
        f"(median {celery['delivery_ms_median']} ms), {celery['notifications_sent']:,} sent; "
        f"failed tasks: {celery['task_failures'] or 0}"
    )

    p(f"PostgreSQL statements slower than 1 s: {len(slow)}")
    for line in slow[:5]:
        p(f"  {line[:150]}")

    p("\nResources (sampled every 5 s):")
    p(
        f"  load average (1 min) during the run: mean {res['load1_mean']}, "
        f"max {res['load1_max']} ({res['samples']} samples)"
    )
    for role, pids in res["peak_rss_mib"].items():
        p(
            f"  peak RSS {role}: {max(pids.values())} MiB"
            + (f" (each: {', '.join(str(v) for v in pids.values())})" if len(pids) > 1 else "")
        )

    steps = read_json(out / "steps.json", None)
    if steps is not None:
        stepped_report(steps, meta, p)

    summary = {
        "stepped": steps,
        "meta": meta,
        "total": total,
        "endpoints": rows,
        "failures": failures,
        "expected_races": races,
        "server_statuses": dict(statuses),
        "server_time_ms": served,
        "server_errors": errors,
        "client_server_errors": outcomes.get("server_errors", []),
        "celery": celery,
        "slow_statements": len(slow),
        "resources": res,
    }
    (out / "summary.json").write_text(json.dumps(summary, ensure_ascii=False, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1] if len(sys.argv) > 1 else "loadtest/out")))
