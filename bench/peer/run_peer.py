"""The peer's side of the bench, run in bench/.peer by ``bench.main``.

Migrates django-helpdesk's database, loads one ticket per order of ours (the shape file:
street → queue, report time → created, state → status, risk → priority, assignee → a
staff owner), with exactly the same number of tickets due for escalation as we have
stages due, then measures:

* ``manage.py escalate_tickets`` (in-process ``call_command``, e-mail to locmem): wall
  time, queries, e-mails sent, rows written; and a second run with nothing due;
* the staff ticket list's JSON endpoint (``datatables_ticket_list``): the open tickets
  of one queue, 50 a page, as our dispatcher board shows one street's open orders;
* the per-queue monthly report (``reports/queuemonth/``), which reads every ticket; and,
  at equal work with ours, helpdesk's own report code (``update_summary_tables``) over
  the tickets of one month, for all queues and for one queue.

helpdesk's escalation rule (``escalate_tickets``): a ticket of a queue with
``escalate_days`` is escalated when it is open, not on hold, not already at priority 1,
and its last escalation (or, never escalated, its creation) is at least that many days
ago, not counting ``EscalationExclusion`` dates. Queues here escalate after 1 day, no
exclusions. Due tickets: created ≥ 1 day 2 hours ago, never escalated, priority ≥ 2.
Every other open ticket is younger than 18 hours, or was escalated within the last 12
hours (as a daily escalation run leaves them), so exactly ``--due`` are escalated.
"""

from __future__ import annotations

import argparse
import base64
import io
import json
import os
import random
import statistics
import sys
import time
import uuid
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
# bench/ after everything else, for bench/timing.py only (the peer's modules come first).
sys.path.append(str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "peer_site.settings")

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.core import mail  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.urls import reverse  # noqa: E402
from django.utils import timezone  # noqa: E402
from helpdesk.models import FollowUp, Queue, Ticket  # noqa: E402
from helpdesk.views.staff import update_summary_tables  # noqa: E402
from timing import counting, timed  # noqa: E402

DAY = 86400
PRIORITY = {"high": 2, "medium": 3, "low": 4}
OPEN, CLOSED, DUPLICATE = Ticket.OPEN_STATUS, Ticket.CLOSED_STATUS, Ticket.DUPLICATE_STATUS
TITLES = ["Noise complaint", "Unpaid wages", "Water leak", "Property fee", "Traffic claim"]


def log(msg: str) -> None:
    print(msg, flush=True)


def ts(x: float | None) -> str:
    return r"\N" if x is None else datetime.fromtimestamp(x, UTC).isoformat(sep=" ")


# --- data ------------------------------------------------------------------------------------


def load(shape: Path, due: int) -> dict:
    User = get_user_model()
    now = time.time()
    rng = random.Random(5)
    rows = [line.rstrip("\n").split("\t") for line in shape.open()]
    streets = sorted({r[0] for r in rows})
    queues = {}
    for code in streets:
        queues[code] = Queue.objects.create(
            title=f"Street {code}",
            slug=code.lower(),
            email_address=f"{code.lower()}@helpdesk.bench.example",
            escalate_days=1,
            allow_public_submission=False,
            allow_email_submission=False,
        )
    owners = sorted({int(r[5]) for r in rows if r[5] != "0"})
    staff = User.objects.bulk_create(
        User(username=f"staff{i}", email=f"staff{i}@bench.example", is_staff=True) for i in owners
    )
    owner_of = {o: u.pk for o, u in zip(owners, staff, strict=True)}
    viewer = User.objects.create_user(
        "bench_staff", "bench_staff@bench.example", "pw", is_staff=True
    )

    fields = [
        "id",
        "title",
        "queue_id",
        "created",
        "modified",
        "submitter_email",
        "assigned_to_id",
        "status",
        "on_hold",
        "description",
        "resolution",
        "priority",
        "due_date",
        "last_escalation",
        "secret_key",
        "kbitem_id",
        "merged_to_id",
    ]
    known = set(fields)
    extra = [f for f in Ticket._meta.concrete_fields if f.column not in known]
    if extra:
        raise SystemExit(f"peer: unexpected ticket columns {[f.column for f in extra]}")
    out = []
    counts = defaultdict(int)
    placed_due = 0
    for i, (code, reported, state, ended, risk, assignee, is_due) in enumerate(rows, start=1):
        created = float(reported)
        end = float(ended) if ended not in ("", r"\N") else None
        priority = PRIORITY.get(risk, 3)
        last_escalation = None
        if state == "closed":
            status = CLOSED
        elif state == "cancelled":
            status = DUPLICATE
        else:
            status = OPEN
            if is_due == "1" and placed_due < due:
                created = min(created, now - DAY - 2 * 3600)
                placed_due += 1
            elif created <= now - 18 * 3600:
                last_escalation = max(created + 60, now - rng.uniform(3600, 12 * 3600))
        counts[status] += 1
        owner = owner_of.get(int(assignee)) if assignee != "0" else None
        out.append(
            "\t".join(
                (
                    str(i),
                    f"{TITLES[i % len(TITLES)]} #{i}",
                    str(queues[code].pk),
                    ts(created),
                    ts(end or created),
                    f"party{i % 5000}@example.com",
                    str(owner) if owner else r"\N",
                    str(status),
                    "f",
                    "The parties ask for mediation.",
                    "Agreement reached." if status == CLOSED else r"\N",
                    str(priority),
                    r"\N",
                    ts(last_escalation),
                    str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                    r"\N",
                    r"\N",
                )
            )
            + "\n"
        )
        if len(out) >= 50_000:
            _copy("helpdesk_ticket", fields, out)
            out.clear()
    if out:
        _copy("helpdesk_ticket", fields, out)
    with connection.cursor() as cur:
        cur.execute(
            "SELECT setval(pg_get_serial_sequence('helpdesk_ticket', 'id'), %s)", [len(rows)]
        )
        # One follow-up when the ticket was opened, one more when it was closed.
        cur.execute(
            """
            INSERT INTO helpdesk_followup (ticket_id, date, title, comment, public, user_id,
                new_status, message_id, time_spent, email_recipients)
            SELECT t.id, f.at, f.title, f.comment, true, NULL, f.status, NULL, NULL, '[]'
            FROM helpdesk_ticket t
            CROSS JOIN LATERAL (VALUES
                (t.created, 'Ticket Opened', 'Submitted', NULL::int),
                (CASE WHEN t.status <> %s THEN t.modified END, 'Ticket Closed',
                 'Agreement reached.', t.status)
            ) f(at, title, comment, status)
            WHERE f.at IS NOT NULL
            """,
            [OPEN],
        )
        followups = cur.rowcount
        cur.execute(
            "SELECT setval(pg_get_serial_sequence('helpdesk_followup', 'id'), "
            "(SELECT COALESCE(MAX(id), 1) FROM helpdesk_followup))"
        )
        cur.execute("VACUUM (ANALYZE)")
    return {
        "tickets": len(rows),
        "by_status": {str(k): v for k, v in counts.items()},
        "due": placed_due,
        "followups": followups,
        "queues": len(queues),
        "staff": len(staff),
        "viewer": viewer.pk,
        "hb_queue": queues.get("HB", next(iter(queues.values()))).pk,
    }


def _copy(table: str, columns: list[str], rows: list[str]) -> None:
    with connection.cursor() as cur:
        cur.cursor.copy_expert(
            f"COPY {table} ({', '.join(columns)}) FROM STDIN", io.StringIO("".join(rows))
        )


# --- measurements ----------------------------------------------------------------------------


def measure_escalation() -> dict:
    mail.outbox = []
    before_followups = FollowUp.objects.count()
    with counting() as ctx:
        t0 = time.perf_counter()
        call_command("escalate_tickets")
        busy_ms = (time.perf_counter() - t0) * 1000
    queries = ctx.count
    emails = len(mail.outbox)
    followups = FollowUp.objects.count() - before_followups
    escalated = FollowUp.objects.filter(title="Ticket Escalated").count()
    mail.outbox = []
    idle = []
    for _ in range(3):
        with counting() as ctx:
            t0 = time.perf_counter()
            call_command("escalate_tickets")
            idle.append(((time.perf_counter() - t0) * 1000, ctx.count))
    return {
        "ms": busy_ms,
        "queries": queries,
        "escalated": escalated,
        "emails": emails,
        "written": {
            "tickets": escalated,
            "followups": followups,
            "ticketchanges": escalated,
        },
        "idle_ms": statistics.median(i[0] for i in idle),
        "idle_queries": idle[-1][1],
        "idle_emails": len(mail.outbox),
    }


def measure_list(info: dict, *, runs: int, seconds: float) -> dict:
    client = Client()
    client.force_login(get_user_model().objects.get(pk=info["viewer"]))
    query = {
        "filtering": {"status__in": [1, 2], "queue__id__in": [info["hb_queue"]]},
        "sorting": "created",
        "sortreverse": None,
        "search_string": "",
    }
    b64 = base64.b64encode(json.dumps(query).encode()).decode()
    url = reverse("helpdesk:datatables_ticket_list", args=[b64]) + "?draw=1&start=0&length=50"
    response = client.get(url)
    if response.status_code != 200:
        return {"result": f"HTTP {response.status_code}"}
    data = response.json()
    return {
        "url": url.split("?")[0][:60] + "…",
        "rows": len(data["data"]),
        "records": data["recordsFiltered"],
        **timed(lambda: client.get(url), runs=runs, seconds=seconds),
    }


def measure_report(info: dict, *, month_start: datetime, seconds: float) -> dict:
    client = Client()
    client.force_login(get_user_model().objects.get(pk=info["viewer"]))
    url = reverse("helpdesk:run_report", args=["queuemonth"])
    status = client.get(url).status_code
    out = {
        "endpoint": {"result": f"HTTP {status}"}
        if status != 200
        # It reads every ticket: one run (with its queries counted) at large scales.
        else {
            "url": url,
            **timed(
                lambda: client.get(url),
                runs=1 if Ticket.objects.count() > 200_000 else 3,
                seconds=seconds,
                warmup=0,
            ),
        }
    }
    nxt = (month_start.replace(day=28) + timedelta(days=4)).replace(day=1)
    month = Ticket.objects.select_related("assigned_to", "queue").filter(
        created__gte=month_start, created__lt=nxt
    )

    def summarise(qs):
        table, table2 = defaultdict(int), defaultdict(int)
        update_summary_tables(qs.all(), "queuemonth", table, table2)
        return table

    out["month_city"] = {
        "tickets": month.count(),
        **timed(lambda: summarise(month), runs=5, seconds=seconds, warmup=1),
    }
    hb = month.filter(queue_id=info["hb_queue"])
    out["month_street"] = {
        "tickets": hb.count(),
        **timed(lambda: summarise(hb), runs=5, seconds=seconds, warmup=1),
    }
    return out


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--shape", required=True)
    p.add_argument("--due", type=int, required=True)
    p.add_argument("--runs", type=int, default=20)
    p.add_argument("--seconds", type=float, default=5.0)
    p.add_argument("--out", required=True)
    p.add_argument("--month", required=True, help="YYYY-MM, the month our report covers")
    args = p.parse_args()
    started = time.perf_counter()
    import helpdesk

    result: dict = {"version": getattr(helpdesk, "__version__", "")}
    try:
        from importlib.metadata import version

        result["version"] = version("django-helpdesk")
        result["django"] = version("django")
    except Exception:  # noqa: BLE001 - informational only
        pass
    t0 = time.perf_counter()
    call_command("migrate", verbosity=0, interactive=False)
    log(f"  peer: migrated in {time.perf_counter() - t0:.1f} s")
    t0 = time.perf_counter()
    info = load(Path(args.shape), args.due)
    result["data"] = info
    result["load_seconds"] = time.perf_counter() - t0
    log(
        f"  peer: {info['tickets']:,} tickets ({info['due']:,} due for escalation), "
        f"{info['followups']:,} follow-ups in {result['load_seconds']:.0f} s"
    )
    year, month = (int(x) for x in args.month.split("-"))
    month_start = timezone.make_aware(datetime(year, month, 1))
    result["list"] = measure_list(info, runs=args.runs, seconds=args.seconds)
    log(f"  peer: ticket list JSON {result['list'].get('median_ms', 0):.1f} ms median")
    result["report"] = measure_report(info, month_start=month_start, seconds=args.seconds * 4)
    log(
        f"  peer: queuemonth report {result['report']['endpoint'].get('median_ms', 0):.0f} ms; "
        f"one month, all queues {result['report']['month_city']['median_ms']:.0f} ms"
    )
    result["escalation"] = measure_escalation()
    log(
        f"  peer: escalate_tickets {result['escalation']['ms']:.0f} ms, "
        f"{result['escalation']['queries']} queries, {result['escalation']['escalated']} "
        f"escalated; idle {result['escalation']['idle_ms']:.0f} ms"
    )
    result["seconds"] = time.perf_counter() - started
    Path(args.out).write_text(json.dumps(result, indent=2, default=str))


if __name__ == "__main__":
    main()
