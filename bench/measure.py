"""What the bench measures on our side (issue 7, items 1-5).

Every function returns plain dicts (printed by ``bench.main`` and saved as JSON). A
target another issue has not built yet is reported as ``NOT_BUILT`` rather than failing:
the board and handler pages, the order API and the monthly report plug in by URL name or
module function as soon as they exist.
"""

from __future__ import annotations

import importlib
import statistics
import time
from collections.abc import Callable
from datetime import date, datetime, timedelta

from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from bench.timing import counting, percentile, timed

NOT_BUILT = "n/a (not built yet)"


def user(username: str):
    return get_user_model().objects.get(username=username)


# --- 1. the SLA sweep ------------------------------------------------------------------------

REARM = "bench_rearm"


def snapshot_due(now: datetime) -> dict:
    """Remember every alarm due at ``now`` and its order's timeline head, so the sweep can
    be measured several times on the same backlog."""
    with connection.cursor() as cur:
        cur.execute(f"DROP TABLE IF EXISTS {REARM}")
        cur.execute(
            f"""
            CREATE UNLOGGED TABLE {REARM} AS
            SELECT a.id, a.order_id, a.stage, a.level, a.fire_at, o.timeline_seq,
                   o.timeline_hash
            FROM dispatch_alarm a JOIN disputes_order o ON o.id = a.order_id
            WHERE a.fire_at <= %(now)s
            """,
            {"now": now},
        )
        cur.execute(f"ALTER TABLE {REARM} ADD PRIMARY KEY (id)")
        # Looked up by order (rearm, written_by_sweep): the sweep's 100,000 events at 10M
        # share one instant, which the planner, before ANALYZE, takes for one row and
        # joined with a scan of this table for each (10^10 comparisons, for minutes).
        cur.execute(f"CREATE INDEX {REARM}_order ON {REARM} (order_id)")
        cur.execute(f"ANALYZE {REARM}")
        cur.execute(
            f"""
            SELECT count(*) FILTER (WHERE stage = 'sign'),
                   count(*) FILTER (WHERE stage = 'contact'),
                   count(*) FILTER (WHERE stage = 'meet'),
                   count(DISTINCT order_id)
            FROM {REARM}
            """
        )
        sign, contact, meet, orders = cur.fetchone()
    return {
        "due_stages": sign + contact + meet,
        "by_stage": {"sign": sign, "contact": contact, "meet": meet},
        "orders": orders,
    }


def rearm(now: datetime) -> None:
    """Undo what a sweep at ``now`` wrote: its rows go, the snapshot's alarms and timeline
    heads come back."""
    with connection.cursor() as cur:
        cur.execute(
            "DELETE FROM dispatch_delivery WHERE notification_id IN "
            "(SELECT id FROM dispatch_notification WHERE created_at = %s)",
            [now],
        )
        cur.execute("DELETE FROM dispatch_notification WHERE created_at = %s", [now])
        cur.execute(
            f"DELETE FROM disputes_orderevent WHERE order_id IN (SELECT order_id FROM {REARM}) "
            "AND kind = 'escalated' AND at = %s",
            [now],
        )
        cur.execute("DELETE FROM dispatch_escalation WHERE raised_at = %s", [now])
        cur.execute(
            f"""
            INSERT INTO dispatch_alarm (id, order_id, stage, level, fire_at)
            SELECT id, order_id, stage, level, fire_at FROM {REARM}
            ON CONFLICT (id) DO UPDATE SET level = EXCLUDED.level, fire_at = EXCLUDED.fire_at
            """
        )
        cur.execute(
            f"""
            UPDATE disputes_order o SET timeline_seq = r.timeline_seq,
                   timeline_hash = r.timeline_hash
            FROM (SELECT DISTINCT order_id, timeline_seq, timeline_hash FROM {REARM}) r
            WHERE o.id = r.order_id
            """
        )
        for table in (
            "disputes_order",
            "dispatch_alarm",
            "dispatch_escalation",
            "disputes_orderevent",
            "dispatch_notification",
            "dispatch_delivery",
        ):
            cur.execute(f"VACUUM {table}")


def rearm_if_swept(now: datetime) -> None:
    """On reused data: undo the sweeps of the previous run, if it left a snapshot."""
    with connection.cursor() as cur:
        cur.execute(f"SELECT to_regclass('{REARM}')")
        exists = cur.fetchone()[0] is not None
    if exists:
        rearm(now)


def written_by_sweep(now: datetime) -> dict:
    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM dispatch_escalation WHERE raised_at = %s", [now])
        escalations = cur.fetchone()[0]
        cur.execute(
            f"SELECT count(*) FROM disputes_orderevent WHERE order_id IN "
            f"(SELECT order_id FROM {REARM}) AND kind = 'escalated' AND at = %s",
            [now],
        )
        events = cur.fetchone()[0]
        cur.execute("SELECT count(*) FROM dispatch_notification WHERE created_at = %s", [now])
        notifications = cur.fetchone()[0]
        cur.execute(
            "SELECT count(*) FROM dispatch_delivery d JOIN dispatch_notification n "
            "ON n.id = d.notification_id WHERE n.created_at = %s",
            [now],
        )
        deliveries = cur.fetchone()[0]
    return {
        "escalations": escalations,
        "events": events,
        "notifications": notifications,
        "deliveries": deliveries,
    }


def measure_sweep(now: datetime, *, runs: int = 3, log=print) -> dict:
    from disputes.notices import notify_raised
    from disputes.sweep import BATCH_SIZE, sla_sweep
    from notifications.delivery import deliver_due

    due = snapshot_due(now)
    busy, idle, notices, delivery = [], [], [], []
    written = {}
    for run in range(runs):
        if run:
            rearm(now)
        with counting() as ctx:
            t0 = time.perf_counter()
            result = sla_sweep(now=now)
            busy.append(
                {
                    "ms": (time.perf_counter() - t0) * 1000,
                    "queries": ctx.count,
                    "raised": result.raised,
                    "batches": result.batches,
                }
            )
        raised_only = written_by_sweep(now)
        # The notices of the escalations just raised: the beat task's second step.
        with counting() as ctx:
            t0 = time.perf_counter()
            told = notify_raised(now=now)
            notices.append(
                {"ms": (time.perf_counter() - t0) * 1000, "queries": ctx.count, "told": told}
            )
        written = written_by_sweep(now)
        assert raised_only["notifications"] == 0, "the sweep itself writes no notices"
        for _ in range(5):
            with counting() as ctx:
                t0 = time.perf_counter()
                again = sla_sweep(now=now)
                idle.append(
                    {
                        "ms": (time.perf_counter() - t0) * 1000,
                        "queries": ctx.count,
                        "raised": again.raised,
                    }
                )
        if run:  # delivering is measured once: it is not a target, and slow at 1M
            log(
                f"  sweep run {run + 1}/{runs}: {busy[-1]['ms']:.0f} ms, "
                f"{busy[-1]['queries']} queries, raised {busy[-1]['raised']}; notices "
                f"{notices[-1]['ms']:.0f} ms ({notices[-1]['told']}); idle "
                f"{idle[-1]['ms']:.1f} ms"
            )
            continue
        from django.core import mail

        mail.outbox = []
        with counting() as ctx:
            t0 = time.perf_counter()
            sent = deliver_due(now=now + timedelta(seconds=1)).sent
            delivery.append(
                {
                    "ms": (time.perf_counter() - t0) * 1000,
                    "queries": ctx.count,
                    "sent": sent,
                    "emails": len(getattr(mail, "outbox", [])),
                }
            )
        log(
            f"  sweep run {run + 1}/{runs}: {busy[-1]['ms']:.0f} ms, "
            f"{busy[-1]['queries']} queries, raised {busy[-1]['raised']}; notices "
            f"{notices[-1]['ms']:.0f} ms ({notices[-1]['told']}); idle "
            f"{idle[-1]['ms']:.1f} ms; delivering its e-mails {delivery[-1]['ms']:.0f} ms "
            f"({sent} e-mails)"
        )
    ms = sorted(b["ms"] for b in busy)
    return {
        "due": due,
        "batch_size": BATCH_SIZE,
        "runs": busy,
        "median_ms": statistics.median(ms),
        "min_ms": ms[0],
        "queries": busy[-1]["queries"],
        "batches": busy[-1]["batches"],
        "raised": busy[-1]["raised"],
        "written": written,
        "raised_only": raised_only,
        "orders_updated": due["orders"],
        "notices_median_ms": statistics.median(n["ms"] for n in notices),
        "notices_queries": notices[-1]["queries"],
        "notices_told": notices[-1]["told"],
        "idle_median_ms": statistics.median(i["ms"] for i in idle),
        "idle_queries": idle[-1]["queries"],
        "idle_raised": max(i["raised"] for i in idle),
        "delivery_median_ms": statistics.median(d["ms"] for d in delivery),
        "delivery_queries": delivery[-1]["queries"],
        "delivery_sent": delivery[-1]["sent"],
    }


# --- 2. pages ------------------------------------------------------------------------------


def url_or_none(name: str, *args) -> str | None:
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return None


def pick_order(username: str, *, open_only: bool = True) -> int | None:
    from disputes.models import OPEN_STATES
    from disputes.selectors import orders_visible_to

    qs = orders_visible_to(user(username))
    if open_only:
        qs = qs.filter(state__in=OPEN_STATES)
    return qs.order_by("-reported_at").values_list("pk", flat=True).first()


# (label, URL name, username, takes an order id)
PAGES = [
    ("dispatcher board (HB center)", "board", "center", False),
    ("handler list (HB police)", "handling", "police", False),
    ("dispatch queue (HB center)", "queue", "center", False),
    ("order search list (HB center)", "order-list", "center", False),
    ("order page (HB center)", "order-detail", "center", True),
]


def failed(exc: BaseException) -> str:
    """How a target that raised is reported (the bench goes on with the next one)."""
    return f"error: {type(exc).__name__}: {str(exc)[:160]}"


def measure_pages(*, runs: int, seconds: float) -> list[dict]:
    out = []
    for label, name, username, with_id in PAGES:
        try:
            args = (pick_order(username),) if with_id else ()
            url = url_or_none(name, *args)
            if url is None:
                out.append({"label": label, "url": name, "result": NOT_BUILT})
                continue
            client = Client(raise_request_exception=True)
            client.force_login(user(username))
            status = client.get(url).status_code
            if status != 200:
                out.append({"label": label, "url": url, "result": f"HTTP {status}"})
                continue
            out.append(
                {
                    "label": label,
                    "url": url,
                    **timed(lambda c=client, u=url: c.get(u), runs=runs, seconds=seconds),
                }
            )
        except Exception as exc:  # noqa: BLE001 - report it and measure the next page
            out.append({"label": label, "url": name, "result": failed(exc)})
    return out


def measure_selectors(*, runs: int, seconds: float) -> list[dict]:
    """The reads every list and page starts from, without templates."""

    out: list[dict] = []
    try:
        _selectors(out, runs=runs, seconds=seconds)
    except Exception as exc:  # noqa: BLE001 - report it; the other figures stand
        out.append({"label": "selectors", "result": failed(exc)})
    return out


def _selectors(out: list[dict], *, runs: int, seconds: float) -> None:
    from disputes.selectors import order_for_page, orders_visible_to

    for label, username in (("HB center", "center"), ("HB police", "police")):
        u = user(username)
        out.append(
            {
                "label": f"orders_visible_to, first 50 newest ({label})",
                **timed(
                    lambda u=u: list(
                        orders_visible_to(u).select_related(
                            "category", "community", "street", "lead_unit", "assignee"
                        )[:50]
                    ),
                    runs=runs,
                    seconds=seconds,
                ),
            }
        )
    u = user("center")
    pk = pick_order("center", open_only=False)
    out.append(
        {
            "label": "order_for_page (HB center)",
            **timed(lambda: order_for_page(u, pk), runs=runs, seconds=seconds),
        }
    )


# --- 4. the monthly report -------------------------------------------------------------------


def report_month(now: datetime) -> date:
    """The last full calendar month before ``now`` (Asia/Shanghai)."""
    local = timezone.localtime(now)
    first = local.date().replace(day=1)
    return (first - timedelta(days=1)).replace(day=1)


def orders_in_month(month: date) -> int:
    from disputes.models import Order

    start = timezone.make_aware(datetime(month.year, month.month, 1))
    nxt = (month.replace(day=28) + timedelta(days=4)).replace(day=1)
    end = timezone.make_aware(datetime(nxt.year, nxt.month, 1))
    return Order.objects.filter(reported_at__gte=start, reported_at__lt=end).count()


def report_targets(month: date, now: datetime) -> list[tuple[str, Callable | None, str]]:
    """(label, callable, how) for the city and one street; callable None when missing.

    Calls ``supervision.reports.monthly_report(scope=, month=, now=)`` (issue 6) for the city
    supervisor's scope and for one street in it, and GETs the report API (JSON) the same
    way; ``NOT_BUILT`` while neither exists."""
    from dispatch.models import Area

    hb = Area.objects.get(level=Area.Level.STREET, code="HB")
    supervisor = user("supervisor")
    targets: list[tuple[str, Callable | None, str]] = []
    try:
        reports = importlib.import_module("supervision.reports")
    except ImportError:
        reports = None
    fn = getattr(reports, "monthly_report", None)
    if callable(fn) and hasattr(reports, "report_scope") and hasattr(reports, "Month"):
        the_month = reports.Month(month.year, month.month)
        how = "supervision.reports.monthly_report(scope=, month=, now=)"
        for label, street_id in (("city", None), ("street HB", hb.pk)):

            def call(street_id=street_id):
                # Fresh user object: memberships are cached per user object, as per request.
                scope = reports.report_scope(user("supervisor"), street_id=street_id)
                return fn(scope=scope, month=the_month, now=now)

            targets.append((label, call, how))
    url = url_or_none("api-report-monthly")
    if url:
        client = Client()
        client.force_login(supervisor)
        q = f"?month={month:%Y-%m}"
        for label, extra in (("city, API JSON", ""), ("street HB, API JSON", f"&street={hb.pk}")):
            targets.append(
                (label, lambda u=url + q + extra: _ok(client.get(u)), f"GET {url}{q}{extra}")
            )
    return targets or [("city", None, NOT_BUILT), ("street HB", None, NOT_BUILT)]


def _ok(response):
    if response.status_code != 200:
        raise RuntimeError(f"HTTP {response.status_code}: {response.content[:300]!r}")
    return response


def _path_if_resolves(path: str) -> str | None:
    from django.urls import Resolver404, resolve

    try:
        resolve(path)
        return path
    except Resolver404:
        return None


def build_report_rollups(now: datetime, *, log: Callable[[str], None] = print) -> dict:
    """The report's roll-ups and median snapshots as the nightly task builds them
    (``supervision.rollups.rollups_refresh``), settled as at the bench's ``now``."""
    from supervision.rollups import rollups_refresh

    t0 = time.perf_counter()
    result = rollups_refresh(now=now)
    seconds = time.perf_counter() - t0
    log(
        f"  report roll-ups: {result.rows:,} rows and {result.medians:,} median rows "
        f"in {seconds:.1f} s"
    )
    return {"rows": result.rows, "medians": result.medians, "seconds": seconds}


def measure_report(now: datetime, *, runs: int, seconds: float) -> dict:
    from supervision.models import MonthlyRollup

    month = report_month(now)
    out = {"month": f"{month:%Y-%m}", "orders_in_month": orders_in_month(month), "rows": []}
    if not MonthlyRollup.objects.exists():  # data generated before the roll-ups existed
        out["rollups"] = build_report_rollups(now)
    for label, fn, how in report_targets(month, now):
        if fn is None:
            out["rows"].append({"label": label, "result": how})
            continue
        try:
            row = {"label": label, "how": how, **timed(fn, runs=runs, seconds=seconds, warmup=1)}
        except Exception as exc:  # noqa: BLE001 - report it and measure the next one
            row = {"label": label, "how": how, "result": failed(exc)}
        out["rows"].append(row)
    return out


# --- helpers for the HTTP part ---------------------------------------------------------------


def api_paths() -> dict[str, str | None]:
    detail_pk = pick_order("center", open_only=False)
    detail = url_or_none("order-api-detail", detail_pk) or url_or_none(
        "api-order-detail", detail_pk
    )
    listing = url_or_none("order-api-list") or url_or_none("api-order-list")
    if detail is None:
        detail = _path_if_resolves(f"/api/v1/orders/{detail_pk}/")
    if listing is None:
        listing = _path_if_resolves("/api/v1/orders/")
    return {"detail": detail, "list": listing}


def api_token(username: str) -> str:
    from rest_framework.authtoken.models import Token

    token, _ = Token.objects.get_or_create(user=user(username))
    return token.key


def session_cookie(username: str) -> str:
    client = Client()
    client.force_login(user(username))
    return client.cookies["sessionid"].value


def detail_ids(username: str, n: int = 500) -> list[int]:
    from disputes.selectors import orders_visible_to

    return list(
        orders_visible_to(user(username)).order_by("-reported_at").values_list("pk", flat=True)[:n]
    )


# --- 6. the repeat-dispute radar (issue 17) --------------------------------------------------


def measure_radar(now: datetime, *, lookups: int = 300, log=print) -> dict:
    """A report's repeat lookup (``disputes.radar.radar_find``: what ``order_report`` runs)
    for ``lookups`` orders reported in the last 30 days (a fixed sample), each timed
    once after 20 warm-up lookups; then the order page's variant
    (``radar_for_viewer``, the HB center's dispatcher) over the same sample."""
    import os

    from django.db.models import CharField
    from django.db.models.functions import MD5, Cast

    from disputes.models import Order
    from disputes.radar import radar_find, radar_for_viewer, radar_query_for
    from disputes.selectors import orders_visible_to

    load = round(os.getloadavg()[0], 2)
    sample = list(
        Order.objects.filter(reported_at__gte=now - timedelta(days=30))
        .order_by(MD5(Cast("id", CharField())))  # a fixed, spread sample
        .prefetch_related("parties")[:lookups]
    )
    queries = [radar_query_for(o, list(o.parties.all())) for o in sample]
    for q in queries[:20]:
        radar_find(q)
    times, found, repeats = [], 0, 0
    for q in queries:
        t0 = time.perf_counter()
        matches = radar_find(q)
        times.append((time.perf_counter() - t0) * 1000)
        found += len(matches)
        repeats += bool(matches)
    with counting() as ctx:
        radar_find(queries[0])
    out = {
        "lookups": len(times),
        "median_ms": statistics.median(times),
        "p95_ms": percentile(times, 95),
        "max_ms": max(times),
        "queries": ctx.count,
        "repeat_share": repeats / len(times),
        "matches_per_lookup": found / len(times),
        "load": load,
    }
    center = user("center")
    visible_sample = set(
        orders_visible_to(center).filter(pk__in=[o.pk for o in sample]).values_list("pk", flat=True)
    )
    page_times = []
    for q in queries:
        t0 = time.perf_counter()
        radar_for_viewer(q, center)
        page_times.append((time.perf_counter() - t0) * 1000)
    with counting() as ctx:
        radar_for_viewer(queries[0], center)
    out["page"] = {
        "median_ms": statistics.median(page_times),
        "p95_ms": percentile(page_times, 95),
        "queries": ctx.count,
        "own_street_orders": len(visible_sample),
    }
    out["load_end"] = round(os.getloadavg()[0], 2)
    log(
        f"  radar at report: median {out['median_ms']:.1f} ms, p95 {out['p95_ms']:.1f} ms, "
        f"max {out['max_ms']:.1f} ms over {out['lookups']} lookups, {out['queries']} queries; "
        f"{out['repeat_share']:.0%} repeats, {out['matches_per_lookup']:.2f} matches each "
        f"(load {load:.2f} → {out['load_end']:.2f})"
    )
    log(
        f"  radar on the order page (HB center): median {out['page']['median_ms']:.1f} ms, "
        f"p95 {out['page']['p95_ms']:.1f} ms, {out['page']['queries']} queries"
    )
    return out
