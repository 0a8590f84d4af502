"""Building the monthly roll-ups (``MonthlyRollup``) and median snapshots
(``MedianSnapshot``) from the settled data.

``rollups_refresh`` is the only writer: the nightly beat task and ``manage.py
refresh_report_rollups`` call it. It replaces every row in one transaction, so a report
reads either the old set or the new one, never a mix, and running it again is harmless.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db import connection, transaction
from django.db.models import Count, F, Max, Min, Q, QuerySet

from dispatch.models import Area
from disputes.models import Escalation, Order, ReturnVisit, Review, State
from notifications.levels import EscalationLevel

from .models import COUNT_FIELDS, MedianSnapshot, MonthlyRollup
from .reports import (
    STAGES,
    TREND_MONTHS,
    Month,
    Scope,
    median_candidates,
    month_of,
    order_streams,
    percentile_medians,
)

# Only what was settled this long before the refresh goes into the roll-up: a transition
# stamped just before the refresh but committed after its snapshot stays live.
SETTLE_MARGIN = timedelta(hours=1)
LEVEL_FIELDS = {
    EscalationLevel.WARNING: "escalations_warning",
    EscalationLevel.LEVEL1: "escalations_level1",
    EscalationLevel.LEVEL2: "escalations_level2",
}

# Median snapshots are taken of the ended months this far back (the report's own month
# is the only one whose medians it shows; older months are computed live).
SNAPSHOT_MONTHS = TREND_MONTHS

RowKey = tuple[date, int, int, int | None]  # (month, street, community, unit)


@dataclass(frozen=True)
class RefreshResult:
    cutoff: datetime
    rows: int
    medians: int


def settled_orders(cutoff: datetime) -> QuerySet:
    """The orders the roll-up counts: closed or cancelled before ``cutoff`` (both are
    final). A cancelled order counts only as received and cancelled."""
    return Order.objects.filter(
        Q(state=State.CLOSED, closed_at__lt=cutoff)
        | Q(state=State.CANCELLED, cancelled_at__lt=cutoff)
    )


def _collect(
    rows: dict[RowKey, dict],
    queryset: QuerySet,
    column: str,
    keys: tuple[str, str, str],
    aggregates: dict,
) -> None:
    """Add one grouped query's counts (per month of ``column`` and ``keys``) to ``rows``.
    Aliases carry a prefix so none shadows a model field (``sign_on_time``)."""
    grouped = (
        queryset.filter(**{f"{column}__isnull": False})
        .order_by()
        .annotate(rollup_month=month_of(column))
        .values("rollup_month", *keys)
        .annotate(**{f"n_{name}": agg for name, agg in aggregates.items()})
    )
    for row in grouped:
        values = rows[(row["rollup_month"], *(row[k] for k in keys))]
        for name in aggregates:
            value = row[f"n_{name}"]
            if name == "first_due_reported_at":
                old = values.get(name)
                values[name] = value if old is None else min(old, value)
            else:
                values[name] = values.get(name, 0) + value


def _order_rows(rows: dict[RowKey, dict], cutoff: datetime) -> None:
    """The settled orders' counts by month, one grouped query per stream
    (``supervision.reports.order_streams``, so that the report's live part adds up with
    them); and per month the earliest report time among the orders with a stage clock
    due in it. A settled order has no open clock; a cancelled one counts only as
    received and cancelled."""
    keys = ("street_id", "community_id", "lead_unit_id")
    for stream in order_streams(cutoff):
        aggregates: dict = {
            name: Count("pk", filter=q) if q is not None else Count("pk")
            for name, q in stream.counts.items()
        }
        if stream.column.removesuffix("_due_at") in STAGES:
            aggregates["first_due_reported_at"] = Min("reported_at")
        _collect(rows, settled_orders(cutoff).filter(stream.where), stream.column, keys, aggregates)


def _review_rows(rows: dict[RowKey, dict], cutoff: datetime) -> None:
    """Reviews submitted before the cutoff (a rating is given once, on a closed order)."""
    _collect(
        rows,
        Review.objects.filter(submitted_at__lt=cutoff),
        "submitted_at",
        ("order__street_id", "order__community_id", "order__lead_unit_id"),
        {
            "reviews_good": Count("pk", filter=Q(rating=Review.Rating.GOOD)),
            "reviews_bad": Count("pk", filter=Q(rating=Review.Rating.BAD)),
        },
    )


def _escalation_rows(rows: dict[RowKey, dict], cutoff: datetime) -> None:
    """Escalations resolved before the cutoff, counted at the end of every month they
    were open across: raised in month R and resolved in a later month V, they were open
    at the end of R, R+1, …, V-1. One grouped query; only the groups are spread."""
    grouped = (
        Escalation.objects.filter(resolved_at__lt=cutoff)
        .order_by()
        .annotate(raised_month=month_of("raised_at"), resolved_month=month_of("resolved_at"))
        .filter(raised_month__lt=F("resolved_month"))
        .values(
            "raised_month",
            "resolved_month",
            "order__street_id",
            "order__community_id",
            "unit_id",
            "level",
        )
        .annotate(n=Count("pk"))
    )
    for row in grouped:
        month = Month(row["raised_month"].year, row["raised_month"].month)
        end = Month(row["resolved_month"].year, row["resolved_month"].month)
        name = LEVEL_FIELDS[row["level"]]
        while month < end:
            key = (
                date(month.year, month.month, 1),
                row["order__street_id"],
                row["order__community_id"],
                row["unit_id"],
            )
            rows[key][name] = rows[key].get(name, 0) + row["n"]
            month = month.shifted(1)


def _visit_rows(rows: dict[RowKey, dict]) -> int:
    """Return visits by the month they were made in, up to the last one recorded: their
    date is entered by the visitor, so only the id tells the ones recorded later. On
    PostgreSQL the table is locked against inserts for these two short queries, so no
    visit with a lower id can still be committed after them. Returns that last id."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(f"LOCK TABLE {ReturnVisit._meta.db_table} IN SHARE MODE")
        through = ReturnVisit.objects.aggregate(last=Max("pk"))["last"] or 0
        _collect(
            rows,
            ReturnVisit.objects.filter(pk__lte=through),
            "visited_at",
            ("order__street_id", "order__community_id", "order__lead_unit_id"),
            {"return_visits": Count("pk")},
        )
    return through


def _cities() -> list[Scope]:
    """A city's scope (what its supervisor, or a superuser, sees) for each top area."""
    areas = list(Area.objects.exclude(level=Area.Level.COMMUNITY))
    streets = tuple(a for a in areas if a.level == Area.Level.STREET)
    return [Scope(areas=(top,), streets=streets) for top in areas if top.parent_id is None]


def _median_snapshots(cutoff: datetime, rows: dict[RowKey, dict]) -> list[MedianSnapshot]:
    """The medians of the last ``SNAPSHOT_MONTHS`` months ended before the cutoff, for each
    city and street: one query per city and month, grouped by unit, street,
    (street, unit) and in total. Each snapshot carries the checksum of the clocks of the
    orders not settled (``supervision.reports.ClockChecksum``). PostgreSQL only: elsewhere
    the report computes its medians live."""
    if connection.vendor != "postgresql":
        return []
    first: dict[date, datetime] = {}
    for (month, *_key), values in rows.items():
        if values.get("first_due_reported_at") is not None:
            known = first.get(month)
            value = values["first_due_reported_at"]
            first[month] = value if known is None else min(known, value)
    snapshots, cities = [], _cities()
    last = Month.containing(cutoff).previous  # it ended at or before the cutoff
    for back in range(SNAPSHOT_MONTHS):
        month = last.shifted(-back)
        day = date(month.year, month.month, 1)
        for city in cities:
            result = percentile_medians(
                city.orders_q() & median_candidates(month, cutoff, first.get(day)),
                month,
                street_units=True,
                unsettled_before=cutoff,
            )
            snapshots += _snapshot_rows(city, result, cutoff, day)
    return snapshots


def _snapshot_rows(city: Scope, result: list, cutoff: datetime, day: date) -> list:
    """The snapshot rows of one city's query: the city's own (by unit, by street, total)
    and each of its streets' (by unit within it; its street row is its total)."""
    out = []

    def row(scope_key, grouping, key, stages, checksum=None):
        out.append(
            MedianSnapshot(
                cutoff=cutoff,
                month=day,
                scope=scope_key,
                grouping=grouping,
                key=key,
                checksum=checksum,
                **stages,
            )
        )

    streets = {s.pk: s for s in city.streets}
    for grouping, key, stages, checksum in result:
        if grouping in ("unit", "street"):
            row(city.key, grouping, key, stages)
        elif grouping == "total":
            row(city.key, "total", None, stages, checksum)
        if grouping == "street" and key in streets:
            street = Scope(areas=city.areas, streets=city.streets, street=streets[key])
            row(street.key, "street", key, stages)
            row(street.key, "total", None, stages, checksum)
        elif grouping == "street_unit" and key[0] in streets:
            street = Scope(areas=city.areas, streets=city.streets, street=streets[key[0]])
            row(street.key, "unit", key[1], stages)
    return out


def rollups_refresh(*, now: datetime) -> RefreshResult:
    """Rebuild every monthly roll-up row from what was settled before ``now`` minus
    ``SETTLE_MARGIN`` (closed orders, submitted reviews, resolved escalations) and the
    return visits recorded so far, and the median snapshots of the last months (see
    ``supervision.models``). For the nightly beat task and ``manage.py
    refresh_report_rollups``; re-running it is harmless. Records nothing else."""
    cutoff = now - SETTLE_MARGIN
    rows: dict[RowKey, dict] = defaultdict(dict)
    through = _visit_rows(rows)
    _order_rows(rows, cutoff)
    _review_rows(rows, cutoff)
    _escalation_rows(rows, cutoff)
    snapshots = _median_snapshots(cutoff, rows)
    objs = [
        MonthlyRollup(
            cutoff=cutoff,
            visits_through=through,
            month=month,
            street_id=street_id,
            community_id=community_id,
            unit_id=unit_id,
            **{k: v for k, v in values.items() if k in COUNT_FIELDS or k.startswith("first_")},
        )
        for (month, street_id, community_id, unit_id), values in rows.items()
    ]
    with transaction.atomic():
        MonthlyRollup.objects.all().delete()
        MedianSnapshot.objects.all().delete()
        MonthlyRollup.objects.bulk_create(objs, batch_size=1000)
        MedianSnapshot.objects.bulk_create(snapshots, batch_size=1000)
    return RefreshResult(cutoff=cutoff, rows=len(objs), medians=len(snapshots))
