"""The supervisors' monthly assessment (考核): figures per unit and per street, the ranking
with its month-over-month change, and the 12-month trend.

Every figure is a database aggregate over the orders' stored columns (the on-time flags
recorded at each transition, the stored due times), one query per section whatever the
number of orders; Python only adds up the per-(street, unit) rows and divides. The
precise definition of each figure is in ``docs/REPORTS.md`` and the page's footnotes.

What can no longer change (closed or cancelled orders, submitted reviews, resolved
escalations, recorded visits) is kept in monthly roll-ups (the ``rollups`` app, rebuilt
nightly); the report adds them to the same aggregates over what is not in them, read
live, so its figures are those of the data as it is now. The stage medians of an ended
month come from a snapshot while the clocks that could change them have not
(``_month_medians``). See docs/REPORTS.md, "How it is computed".

A month is the Asia/Shanghai calendar month, [1st 00:00, next 1st 00:00) local time.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from functools import reduce
from operator import or_

from django.conf import settings
from django.db import connection, connections, router, transaction
from django.db.models import (
    Aggregate,
    BigIntegerField,
    Case,
    Count,
    DateField,
    DateTimeField,
    DecimalField,
    ExpressionWrapper,
    F,
    FloatField,
    Func,
    Max,
    Min,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
    When,
    Window,
)
from django.db.models.functions import Coalesce, NullIf, RowNumber, TruncMonth
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from alliance.models import ActivityKind, JointActivity
from dispatch.models import Area, Membership, Role, Unit
from dispatch.selectors import area_ancestor_paths, memberships_of
from disputes.colours import Colour
from disputes.models import (
    HANDLING_STATES,
    OPEN_STATES,
    ClockPause,
    Directive,
    Duty,
    Escalation,
    Incident,
    Invitation,
    Order,
    OrderEvent,
    Outcome,
    Referral,
    ReferralOutcome,
    ReferralResult,
    ReturnRequest,
    ReturnVisit,
    Review,
    State,
)
from disputes.stages import CLOCK, CLOCKS, DUTIES
from notifications.levels import EscalationLevel
from shishi_mediation.errors import Forbidden, NotFound
from shishi_mediation.text import SHANGHAI, display_name
from training.models import Attendance, TrainingSession, UnitHeadcount

from .models import COUNT_FIELDS as SETTLED_FIELDS
from .models import MedianSnapshot, MonthlyRollup

STAGES = tuple(c.name for c in CLOCKS)
DUTY_NAMES = tuple(d.name for d in DUTIES)
# The trend's rates: the order's clocks', success and good reviews (duties are counted
# for the report's month and the one before only).
TREND_RATES = (*(f"{s}_rate" for s in STAGES), "success_rate", "good_rate")
DUTY_RATES = frozenset(f"{d}_rate" for d in DUTY_NAMES)
# Orders received per colour grade (``received_by_colour``).
RECEIVED_BY_COLOUR = tuple(f"received_{c}" for c in Colour.values)
# Each stage's clock starts at the first column and is met at the second (docs/REPORTS.md).
# The composite score: weights of the rates that make it (percentage points each).
SCORE_WEIGHTS = {
    **{f"{c.name}_rate": c.report.score_weight for c in CLOCKS if c.report.score_weight},
    **{f"{d.name}_rate": d.report.score_weight for d in DUTIES if d.report.score_weight},
    "success_rate": 20,
    "good_rate": 15,
}
TREND_MONTHS = 12
ONE_DECIMAL = Decimal("0.1")


# --- months --------------------------------------------------------------------------------

MONTH_RE = re.compile(r"^([0-9]{4})-([0-9]{2})$")


@dataclass(frozen=True, order=True)
class Month:
    """A calendar month in Asia/Shanghai."""

    year: int
    month: int

    @classmethod
    def parse(cls, text: str) -> Month:
        """``"2026-11"`` → Month(2026, 11); ``ValueError`` for anything else."""
        m = MONTH_RE.match((text or "").strip())
        if not m:
            raise ValueError(_("月份格式应为 YYYY-MM，例如 2026-11。"))
        year, month = int(m[1]), int(m[2])
        if not (2000 <= year <= 2100 and 1 <= month <= 12):
            raise ValueError(_("月份超出范围。"))
        return cls(year, month)

    @classmethod
    def containing(cls, moment: datetime) -> Month:
        local = timezone.localtime(moment, SHANGHAI)
        return cls(local.year, local.month)

    def shifted(self, months: int) -> Month:
        index = self.year * 12 + (self.month - 1) + months
        return Month(index // 12, index % 12 + 1)

    @property
    def previous(self) -> Month:
        return self.shifted(-1)

    @property
    def start(self) -> datetime:
        return datetime(self.year, self.month, 1, tzinfo=SHANGHAI)

    @property
    def end(self) -> datetime:
        return self.shifted(1).start

    @property
    def label(self) -> str:
        return _("%(year)d年%(month)d月") % {"year": self.year, "month": self.month}

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"


def parse_month(text: str | None, *, now: datetime | None = None) -> Month:
    """A month from a request (``YYYY-MM``); not after the current month. Empty → the
    current month. ``ValueError`` with a message for the user otherwise."""
    current = Month.containing(now or timezone.now())
    if not text:
        return current
    month = Month.parse(text)
    if month > current:
        raise ValueError(_("不能选择未来的月份。"))
    return month


def in_month(field_name: str, month: Month, prefix: str = "") -> Q:
    return Q(**{f"{prefix}{field_name}__gte": month.start, f"{prefix}{field_name}__lt": month.end})


# --- jurisdiction ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Scope:
    """What a supervisor's report covers: its jurisdiction's areas (each with everything
    below it), optionally narrowed to one street."""

    areas: tuple[Area, ...]
    streets: tuple[Area, ...]  # the streets the jurisdiction reaches, for the picker
    street: Area | None = None

    @property
    def name(self) -> str:
        if self.street is not None:
            return self.street.name
        return "、".join(a.name for a in self.areas)

    def members(self) -> tuple[list[int], list[int]]:
        """The ids of the streets taken whole, and of the communities taken alone."""
        whole = sorted(
            s.pk
            for s in self.streets
            if any(s.path.startswith(a.path) for a in self.areas)
            and (self.street is None or s.pk == self.street.pk)
        )
        communities = sorted(
            a.pk
            for a in self.areas
            if a.level == Area.Level.COMMUNITY
            and a.parent_id not in whole
            and (self.street is None or a.parent_id == self.street.pk)
        )
        return whole, communities

    @property
    def key(self) -> str:
        """The scope's orders as text (``s:3,7|c:``): the same for every user who sees the
        same orders. Names a median snapshot (``supervision.models.MedianSnapshot``)."""
        whole, communities = self.members()
        return f"s:{','.join(map(str, whole))}|c:{','.join(map(str, communities))}"

    def orders_q(self, prefix: str = "") -> Q:
        """A filter on Order (or, with ``prefix="order__"``, on a model pointing at one).

        The same orders as ``community__path__startswith`` on each area (the supervisor
        visibility rule), written on the order's own ``street_id`` / ``community_id`` so
        the report's scans need no join with the area table."""
        whole, communities = self.members()
        q = Q(**{f"{prefix}street_id__in": whole})
        if communities:
            q |= Q(**{f"{prefix}community_id__in": communities})
        return q


def supervised_areas(user) -> list[Area]:
    """The areas of the user's supervisor memberships; every top area for a superuser."""
    if not getattr(user, "is_authenticated", False):
        return []
    if user.is_superuser:
        return list(Area.objects.filter(parent__isnull=True))
    return [m.unit.area for m in memberships_of(user) if m.role == Role.SUPERVISOR]


def can_view_reports(user) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and (
        user.is_superuser or any(m.role == Role.SUPERVISOR for m in memberships_of(user))
    )


def report_scope(user, *, street_id: int | None = None) -> Scope:
    """The scope of ``user``'s reports. ``Forbidden`` unless a supervisor (or superuser);
    ``NotFound`` for a street outside the jurisdiction."""
    areas = supervised_areas(user)
    if not areas:
        raise Forbidden(_("只有督导员可以查看考核报表。"))
    return areas_scope(areas, street_id=street_id)


def areas_scope(areas: list[Area], *, street_id: int | None = None) -> Scope:
    """The scope of these areas (each with everything below it); ``NotFound`` for a
    street outside them."""
    below = reduce(or_, (Q(path__startswith=a.path) for a in areas))
    above = Q(path__in=[p for a in areas for p in area_ancestor_paths(a)])
    streets = tuple(Area.objects.filter(Q(level=Area.Level.STREET) & (below | above)))
    street = None
    if street_id is not None:
        street = next((s for s in streets if s.pk == street_id), None)
        if street is None:
            raise NotFound(_("该街道不在您的管辖范围内。"))
    return Scope(areas=tuple(areas), streets=streets, street=street)


# --- rates ---------------------------------------------------------------------------------


def ratio(numerator: int, denominator: int) -> Fraction | None:
    return Fraction(numerator, denominator) if denominator else None


def percent(value: Fraction | None) -> Decimal | None:
    """A fraction as a percentage with one decimal, rounded half up (66.666… → 66.7)."""
    if value is None:
        return None
    exact = value * 100
    return (Decimal(exact.numerator) / Decimal(exact.denominator)).quantize(
        ONE_DECIMAL, rounding=ROUND_HALF_UP
    )


def minutes(microseconds: float | None) -> Decimal | None:
    """A duration in microseconds as minutes with one decimal, rounded half up."""
    if microseconds is None:
        return None
    return (Decimal(repr(microseconds)) / Decimal(60_000_000)).quantize(
        ONE_DECIMAL, rounding=ROUND_HALF_UP
    )


def minutes_label(value: Decimal | float | int | None) -> str:
    """A duration given in minutes, as a person reads it: under an hour in minutes
    ("35分钟", "17.5分钟"), under a day in hours and whole minutes ("2小时15分"), from a
    day on in days and whole hours ("1天3小时"); each rounded half up first, so 59.96
    minutes is "1小时" and 23 h 59.5 min is "1天". ``None`` (nothing to measure) is "—".
    The exports keep the number of minutes (their headers say so)."""
    if value is None:
        return "—"
    mins = Decimal(str(value)).quantize(ONE_DECIMAL, rounding=ROUND_HALF_UP)
    if mins < 60:
        text = f"{mins:.0f}" if mins == mins.to_integral_value() else f"{mins}"
        return _("%(n)s分钟") % {"n": text}
    whole = int(mins.quantize(Decimal(1), rounding=ROUND_HALF_UP))
    if whole < 24 * 60:
        hours, rest = divmod(whole, 60)
        if not rest:
            return _("%(h)d小时") % {"h": hours}
        return _("%(h)d小时%(m)d分") % {"h": hours, "m": rest}
    days, hours = divmod(int((mins / 60).quantize(Decimal(1), rounding=ROUND_HALF_UP)), 24)
    if not hours:
        return _("%(d)d天") % {"d": days}
    return _("%(d)d天%(h)d小时") % {"d": days, "h": hours}


def composite_score(rates: dict[str, Fraction | None]) -> Decimal | None:
    """The weighted mean (0–100) of the rates that apply, with ``SCORE_WEIGHTS``; a rate
    without a denominator is left out and the other weights carry the score. ``None``
    when none applies, or only duties' rates do: assisting work weighs in the score of a
    unit that handles orders, it does not rank a unit on its own."""
    applying = {k: r for k, r in rates.items() if k in SCORE_WEIGHTS and r is not None}
    if applying.keys() <= DUTY_RATES:
        return None
    parts = [(SCORE_WEIGHTS[k], r) for k, r in applying.items()]
    weighted = sum((w * r for w, r in parts), Fraction(0))
    return percent(weighted / sum(w for w, _r in parts))


# --- one row of figures ---------------------------------------------------------------------

COUNT_FIELDS = (
    "received",
    "cancelled",
    "dispatched",
    *(f"{s}_{k}" for s in STAGES for k in ("on_time", "late", "open")),
    "closed",
    "mediated",
    "on_the_spot",
    *RECEIVED_BY_COLOUR,
    "escalations_warning",
    "escalations_level1",
    "escalations_level2",
    "reviews_good",
    "reviews_bad",
    "return_visits",
    *(f"{d}_{k}" for d in DUTY_NAMES for k in ("on_time", "late", "open")),
)
ESCALATION_FIELDS = {
    EscalationLevel.WARNING: "escalations_warning",
    EscalationLevel.LEVEL1: "escalations_level1",
    EscalationLevel.LEVEL2: "escalations_level2",
}


@dataclass
class Figures:
    """The counts of one unit, street or the whole scope for one month, and the rates,
    medians and score derived from them. Each count is read as ``counts[name]`` (names in
    ``COUNT_FIELDS``); pages, exports and the API read them all from ``as_dict()``."""

    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COUNT_FIELDS, 0))
    # Median stage durations in microseconds (None when no stage was completed).
    medians: dict[str, float | None] = field(default_factory=lambda: dict.fromkeys(STAGES))

    def add(self, values: dict[str, int]) -> None:
        for key, value in values.items():
            if key in self.counts:
                self.counts[key] += value or 0

    def stage_total(self, stage: str) -> int:
        c = self.counts
        return c[f"{stage}_on_time"] + c[f"{stage}_late"] + c[f"{stage}_open"]

    @property
    def rates(self) -> dict[str, Fraction | None]:
        c = self.counts
        return {
            **{f"{s}_rate": ratio(c[f"{s}_on_time"], self.stage_total(s)) for s in STAGES},
            **{f"{d}_rate": ratio(c[f"{d}_on_time"], self.stage_total(d)) for d in DUTY_NAMES},
            "success_rate": ratio(c["mediated"], c["closed"]),
            "good_rate": ratio(c["reviews_good"], c["reviews_good"] + c["reviews_bad"]),
        }

    @property
    def score(self) -> Decimal | None:
        return composite_score(self.rates)

    @property
    def is_empty(self) -> bool:
        return not any(self.counts.values())

    def as_dict(self) -> dict:
        """Counts, rates (percent, one decimal), medians (minutes, one decimal), score."""
        data: dict = dict(self.counts)
        data.update({k: percent(v) for k, v in self.rates.items()})
        data.update({f"median_{s}_minutes": minutes(self.medians[s]) for s in STAGES})
        data["score"] = self.score
        return data


@dataclass
class Row:
    """A line of a report table: a street, a unit, the unassigned queue or the total."""

    kind: str  # "street", "unit", "unassigned", "total"
    id: int | None
    name: str
    figures: Figures = field(default_factory=Figures)
    unit_kind: str = ""
    sort_key: tuple = ()

    @property
    def unit_kind_label(self) -> str:
        return Unit.Kind(self.unit_kind).label if self.unit_kind else ""

    def as_dict(self) -> dict:
        head = {"id": self.id, "name": self.name}
        if self.kind in ("unit", "unassigned"):
            head["unit_kind"] = self.unit_kind
        return head | self.figures.as_dict()


@dataclass
class RankRow:
    """A unit in the ranking: ranked by its fair score (``fair_score``) when it had at
    least ``RANKING_MIN_CASES`` cases in the month, else listed with ``rank`` None.
    ``previous_*`` are last month's, computed the same way (None: not ranked then)."""

    rank: int | None
    row: Row
    cases: int
    score: Decimal
    fair_score: Decimal
    previous_score: Decimal | None
    previous_fair_score: Decimal | None
    previous_rank: int | None

    @property
    def ranked(self) -> bool:
        return self.rank is not None

    @property
    def score_change(self) -> Decimal | None:
        return None if self.previous_score is None else self.score - self.previous_score

    @property
    def fair_score_change(self) -> Decimal | None:
        if self.previous_fair_score is None:
            return None
        return self.fair_score - self.previous_fair_score

    @property
    def rank_change(self) -> int | None:
        """Places moved up since last month (negative: down); None if not ranked in
        either month."""
        if self.previous_rank is None or self.rank is None:
            return None
        return self.previous_rank - self.rank

    def as_dict(self) -> dict:
        return {
            "rank": self.rank,
            "ranked": self.ranked,
            "unit_id": self.row.id,
            "unit": self.row.name,
            "cases": self.cases,
            "score": self.score,
            "fair_score": self.fair_score,
            "previous_score": self.previous_score,
            "score_change": self.score_change,
            "previous_fair_score": self.previous_fair_score,
            "fair_score_change": self.fair_score_change,
            "previous_rank": self.previous_rank,
            "rank_change": self.rank_change,
        }


@dataclass
class TrendPoint:
    month: Month
    rates: dict[str, Decimal | None]

    def as_dict(self) -> dict:
        return {"month": str(self.month), **self.rates}


@dataclass
class MonthlyReport:
    month: Month
    scope: Scope
    as_of: datetime
    total: Row
    streets: list[Row]
    units: list[Row]  # units by area and name; the unassigned queue last, if any
    ranking: list[RankRow]
    trend: list[TrendPoint]

    @property
    def ranked_units(self) -> list[Row]:
        return [r.row for r in self.ranking]

    @property
    def month_ended(self) -> bool:
        """Whether the month was over when the report was read (else its open counts are
        as at ``as_of``, not at the month's end)."""
        return self.as_of >= self.month.end

    def as_dict(self) -> dict:
        return {
            "month": str(self.month),
            "jurisdiction": self.scope.name,
            "street": self.scope.street.pk if self.scope.street else None,
            "as_of": timezone.localtime(self.as_of, SHANGHAI).isoformat(),
            "total": self.total.as_dict(),
            "streets": [r.as_dict() for r in self.streets],
            "units": [r.as_dict() for r in self.units],
            "ranking": [r.as_dict() for r in self.ranking],
            "trend": [p.as_dict() for p in self.trend],
        }


# --- the sections (one query each) ----------------------------------------------------------

Key = tuple[int | None, int | None]  # (street id, unit id)
# A section's counts: per (street, unit), per month index (0 = oldest of the trend window).
Counts = dict[Key, dict[int, dict[str, int]]]


def _live() -> Q:
    """Cancelled orders (duplicates, invalid reports) count as received only; merged
    duplicates (``_reported``) not even that."""
    return ~Q(state__in=(State.CANCELLED, State.MERGED))


def _reported() -> Q:
    """The orders that count as reported: all but the duplicates merged into another
    (重复报单合并), which are their keeper's report, not one of their own: no figure of
    the report counts a merged order (docs/REPORTS.md, "Merged duplicates")."""
    return ~Q(state=State.MERGED)


@dataclass(frozen=True)
class Stream:
    """One kind of count an order gives, in the month of its ``column``: the counts by
    name (with their filter; None: every order) among the orders ``where`` selects."""

    column: str
    counts: dict[str, Q | None]
    where: Q = field(default_factory=Q)


def received_by_colour() -> dict[str, Q]:
    """Orders received, by colour grade (红/黄/绿, docs/REPORTS.md, "Colour grades"): the
    ``received`` orders by their colour as it stands (settled once closed or cancelled),
    in the month of their report time. They add up to ``received``."""
    return {f"received_{colour}": Q(on_the_spot=False, colour=colour) for colour in Colour.values}


def order_streams(as_of: datetime) -> list[Stream]:
    """Every count an order gives to a month (docs/REPORTS.md, "The figures"): received
    and cancelled by its report time, dispatched by its dispatch time, each stage clock
    (on time, late, or open and overdue at ``as_of``) by its due time, closed and
    mediated by its closing time; a dispute settled on the spot (就地化解, never
    dispatched) only as ``on_the_spot``, by its closing time; a duplicate merged into
    another (重复报单合并) gives nothing at all. The report's live query and the
    roll-up's refresh both read these, so the two always add up to the same figures."""
    stages = [
        Stream(
            f"{s}_due_at",
            {
                f"{s}_on_time": Q(**{f"{s}_on_time": True}),
                f"{s}_late": Q(**{f"{s}_on_time": False}),
                f"{s}_open": Q(**{f"{s}_on_time__isnull": True, f"{s}_due_at__lt": as_of}),
            },
            _live(),
        )
        for s in STAGES
    ]
    return [
        Stream(
            "reported_at",
            {
                "received": Q(on_the_spot=False),
                "cancelled": Q(state=State.CANCELLED),
                **received_by_colour(),
            },
            _reported(),
        ),
        Stream("dispatched_at", {"dispatched": None}, _live()),
        *stages,
        Stream(
            "closed_at",
            {
                "closed": Q(on_the_spot=False),
                "mediated": Q(outcome=Outcome.MEDIATED, on_the_spot=False),
                "on_the_spot": Q(on_the_spot=True),
            },
        ),
    ]


def month_of(column: str) -> TruncMonth:
    """The Asia/Shanghai month of a timestamp column, as the date of its 1st."""
    return TruncMonth(column, tzinfo=SHANGHAI, output_field=DateField())


def _grouped(queryset, keys: tuple[str, str], aggregates: dict[tuple[int, str], Count]) -> Counts:
    """``{(street id, unit id): {month index: {name: count}}}`` from one GROUP BY query.
    Aggregates are aliased ``m<i>__<name>`` so that none shadows a model field of the same
    name (``sign_on_time``)."""
    rows = (
        queryset.order_by()
        .values(*keys)
        .annotate(**{f"m{i}__{name}": agg for (i, name), agg in aggregates.items()})
    )
    out: Counts = {}
    for row in rows:
        months: dict[int, dict[str, int]] = {}
        for i, name in aggregates:
            months.setdefault(i, {})[name] = row[f"m{i}__{name}"]
        out[(row[keys[0]], row[keys[1]])] = months
    return out


@dataclass
class _Settled:
    """What the roll-ups hold for the scope and window (``supervision.models``): counts per
    (street, unit) and month index; the ``cutoff`` they were settled before and the last
    return visit they count (None: no roll-up, read everything live); per month index,
    the earliest report time among the settled orders with a stage clock due then."""

    counts: Counts
    cutoff: datetime | None = None
    visits_through: int | None = None
    first_due_reported_at: dict[int, datetime] = field(default_factory=dict)


# The roll-up counts a month of the window takes: the report's month all of them (the
# escalations only when counted at its end), the others what the trend and last month's
# ranking need, as the live query gives them.
REPORT_MONTH_FIELDS = SETTLED_FIELDS
WINDOW_FIELDS = tuple(
    f
    for f in SETTLED_FIELDS
    if f not in ("received", "cancelled", "dispatched", "return_visits")
    and not f.startswith("escalations_")
)


def _settled(scope: Scope, months: list[Month], *, escalations: bool) -> _Settled:
    """The roll-up rows of the window in the scope, summed per (street, unit, month) for
    the report's month and the one before, per month for the trend's older months: one
    query. All rows of a refresh share its cutoff (it replaces them in one transaction)."""
    index = {date(m.year, m.month, 1): i for i, m in enumerate(months)}
    last = len(months) - 1
    by_unit = Q(month__gte=date(months[-2].year, months[-2].month, 1))
    rows = (
        MonthlyRollup.objects.filter(scope.orders_q(), month__gte=min(index), month__lte=max(index))
        .order_by()
        .annotate(
            row_street=Case(When(by_unit, then=F("street_id")), default=None),
            row_unit=Case(When(by_unit, then=F("unit_id")), default=None),
        )
        .values("cutoff", "visits_through", "month", "row_street", "row_unit")
        .annotate(
            **{f"s_{name}": Sum(name) for name in SETTLED_FIELDS},
            s_first=Min("first_due_reported_at"),
        )
    )
    out = _Settled(counts={})
    for row in rows:
        out.cutoff, out.visits_through = row["cutoff"], row["visits_through"]
        i = index[row["month"]]
        names = REPORT_MONTH_FIELDS if i == last else WINDOW_FIELDS
        if i == last and not escalations:
            names = tuple(f for f in names if not f.startswith("escalations_"))
        out.counts.setdefault((row["row_street"], row["row_unit"]), {})[i] = {
            name: row[f"s_{name}"] for name in names
        }
        first = row["s_first"]
        if first is not None:
            known = out.first_due_reported_at.get(i)
            out.first_due_reported_at[i] = first if known is None else min(known, first)
    return out


def _unsettled(cutoff: datetime | None, month: Month, *, cancelled: bool) -> Q:
    """The orders of the window the roll-up does not count: not closed or cancelled
    before the cutoff (a cancelled one only matters, with ``cancelled``, in the month it
    was reported). An order is reported before anything else happens to it, so none
    reported after the month touches the window. Each branch is an index range: (state,
    reported_at), closed_at, cancelled_at (a closed or cancelled order always has that
    time); for a month that has ended they hold only the orders still open (a few stuck
    ones) or closed or cancelled since the cutoff."""
    if cutoff is None:
        return Q()
    before = Q(reported_at__lt=month.end)
    q = (Q(state__in=OPEN_STATES) & before) | (
        Q(state=State.CLOSED, closed_at__gte=cutoff) & before
    )
    if cancelled:
        q |= Q(state=State.CANCELLED, cancelled_at__gte=cutoff) & in_month("reported_at", month)
    return q


def _order_counts(
    scope: Scope, months: list[Month], as_of: datetime, cutoff: datetime | None
) -> Counts:
    """The orders' counts not in the roll-up, per (street, lead unit) and month of the
    window: one grouped select over the orders any stream (``order_streams``) counts in
    the window, grouped by the month of every stream's column at once, so that adding a
    clock adds columns, not a scan. A row's counts of a stream go to that stream's month
    (received, cancelled and dispatched only to the report's month; a month outside the
    window, or none, is skipped). On PostgreSQL, with a roll-up, the stage streams also
    sum ``ClockChecksum`` over the met clocks (the report month's is compared with the
    median snapshot's)."""
    month = months[-1]
    index = {date(m.year, m.month, 1): i for i, m in enumerate(months)}
    last = len(months) - 1
    streams = order_streams(as_of)
    checksums = cutoff is not None and connection.vendor == "postgresql"
    report_month_only = ("reported_at", "dispatched_at")
    firsts = {s.column: month if s.column in report_month_only else months[0] for s in streams}
    in_window = reduce(
        or_,
        (Q(**{f"{c}__gte": first.start, f"{c}__lt": month.end}) for c, first in firsts.items()),
    )
    aggregates: dict = {}
    for k, stream in enumerate(streams):
        # The cancelled orders the WHERE lets in count only as received and cancelled: the
        # other streams' ``where`` leaves them out, and a cancelled order is never closed.
        where = stream.where
        for j, q in enumerate(stream.counts.values()):
            only = where & q if q is not None else where
            aggregates[f"n{k}_{j}"] = Count("pk", filter=only) if only else Count("pk")
        stage = stream.column.removesuffix("_due_at")
        if checksums and stage in STAGES:
            aggregates[f"h{k}"] = Sum(
                ClockChecksum(stage),
                filter=where & Q(**{f"{stage}_on_time__isnull": False}),
            )
    rows = (
        Order.objects.filter(
            scope.orders_q() & _unsettled(cutoff, month, cancelled=True) & in_window
        )
        .order_by()
        .annotate(**{f"m{k}": month_of(s.column) for k, s in enumerate(streams)})
        .values("street_id", "lead_unit_id", *(f"m{k}" for k in range(len(streams))))
        .annotate(**aggregates)
    )
    out: Counts = {}
    for row in rows:
        per_month = out.setdefault((row["street_id"], row["lead_unit_id"]), {})
        for k, stream in enumerate(streams):
            i = index.get(row[f"m{k}"])
            if i is None or (i != last and stream.column in report_month_only):
                continue
            counts = [row[f"n{k}_{j}"] for j in range(len(stream.counts))]
            checksum = int(row.get(f"h{k}") or 0)
            if not any(counts) and not checksum:
                continue
            values = per_month.setdefault(i, {})
            for name, n in zip(stream.counts, counts, strict=True):
                values[name] = values.get(name, 0) + n
            if checksum:
                values["checksum"] = values.get("checksum", 0) + checksum
    return out


def _review_counts(scope: Scope, months: list[Month], cutoff: datetime | None) -> Counts:
    """Reviews submitted in each month of the window, good and bad, per (street, lead
    unit), but not before the cutoff (those are in the roll-up): one query, none if the
    window ended before the cutoff."""
    aggregates: dict[tuple[int, str], Aggregate] = {}
    for i, m in enumerate(months):
        submitted = in_month("submitted_at", m)
        aggregates[(i, "reviews_good")] = Count(
            "pk", filter=submitted & Q(rating=Review.Rating.GOOD)
        )
        aggregates[(i, "reviews_bad")] = Count("pk", filter=submitted & Q(rating=Review.Rating.BAD))
    start = months[0].start if cutoff is None else max(months[0].start, cutoff)
    if start >= months[-1].end:
        return {}
    return _grouped(
        Review.objects.filter(
            scope.orders_q("order__"),
            submitted_at__gte=start,
            submitted_at__lt=months[-1].end,
        ),
        ("order__street_id", "order__lead_unit_id"),
        aggregates,
    )


def _escalation_cut(month: Month, as_of: datetime) -> datetime:
    """The instant escalations are counted open at: the month's end, or ``as_of`` if
    earlier (the current month)."""
    return min(month.end, as_of)


def _escalation_counts(
    scope: Scope, month: Month, as_of: datetime, cutoff: datetime | None
) -> Counts:
    """Escalations open at the end of the month (or at ``as_of`` if earlier), by level, per
    (street, unit the escalation was raised against): one query. Counted at the month's
    end, with a roll-up, only the ones not resolved before its cutoff: the roll-up has
    the others (``_settled``)."""
    cut = _escalation_cut(month, as_of)
    resolved_from = max(cut, cutoff) if cutoff and cut == month.end else cut
    return _grouped(
        Escalation.objects.filter(scope.orders_q("order__"), raised_at__lt=cut).filter(
            Q(resolved_at__isnull=True) | Q(resolved_at__gte=resolved_from)
        ),
        ("order__street_id", "unit_id"),
        {
            (0, name): Count("pk", filter=Q(level=level))
            for level, name in ESCALATION_FIELDS.items()
        },
    )


def _visit_counts(scope: Scope, month: Month, through: int | None) -> Counts:
    """Return visits made in the month, per (street, lead unit), but none the roll-up
    counts (an id up to ``through``): one query."""
    visits = ReturnVisit.objects.filter(scope.orders_q("order__") & in_month("visited_at", month))
    if through is not None:
        visits = visits.filter(pk__gt=through)
    return _grouped(
        visits, ("order__street_id", "order__lead_unit_id"), {(0, "return_visits"): Count("pk")}
    )


def _duty_counts(scope: Scope, months: list[Month], as_of: datetime) -> Counts:
    """Each duty (``stages.DUTIES``) per (street, unit that owes it) in the month of its
    due time, for the report's month and the one before (the ranking's change): met on
    time, met late, or not met and past due at ``as_of`` (also when it ended unmet after
    its due time; one ended before it is not counted). Read live (duties are few): one
    query."""
    first, last = months[-2], months[-1]
    past_due_unmet = Q(met_at__isnull=True, due_at__lt=as_of) & (
        Q(ended_at__isnull=True) | Q(ended_at__gt=F("due_at"))
    )
    aggregates = {}
    for d in DUTY_NAMES:
        mine = Q(kind=d)
        aggregates[f"{d}_on_time"] = Count("pk", filter=mine & Q(on_time=True))
        aggregates[f"{d}_late"] = Count("pk", filter=mine & Q(on_time=False))
        aggregates[f"{d}_open"] = Count("pk", filter=mine & past_due_unmet)
    rows = (
        Duty.objects.filter(scope.orders_q("order__"), due_at__gte=first.start, due_at__lt=last.end)
        .order_by()
        .annotate(m=month_of("due_at"))
        .values("order__street_id", "unit_id", "m")
        .annotate(**aggregates)
    )
    index = {
        date(first.year, first.month, 1): len(months) - 2,
        date(last.year, last.month, 1): len(months) - 1,
    }
    out: Counts = {}
    for row in rows:
        key = (row["order__street_id"], row["unit_id"])
        i = index.get(row["m"])
        if i is not None:
            out.setdefault(key, {})[i] = {name: row[name] for name in aggregates}
    return out


# --- medians ---------------------------------------------------------------------------------


class StageMicroseconds(Func):
    """A met clock's duration in microseconds, exact: from its start (its due time less
    its limit: the reporting, a return to the queue, the latest dispatch, the signing)
    to the moment it was met. An integer on SQLite (Django's own
    ``django_timestamp_diff``), an integral double precision on PostgreSQL."""

    output_field = FloatField()

    def __init__(self, stage: str):
        clock = CLOCK[stage]
        start = ExpressionWrapper(
            F(clock.due_field) - F(clock.limit_attr), output_field=DateTimeField()
        )
        super().__init__(F(clock.met_field), start)

    def as_sql(self, compiler, connection, **extra):  # pragma: no cover - other backends
        raise NotImplementedError(f"stage durations on {connection.vendor}")

    def as_sqlite(self, compiler, connection, **extra):
        return super().as_sql(
            compiler, connection, template="django_timestamp_diff(%(expressions)s)", **extra
        )

    def as_postgresql(self, compiler, connection, **extra):
        return super().as_sql(
            compiler,
            connection,
            template="(EXTRACT(EPOCH FROM (%(expressions)s)) * 1000000)::double precision",
            arg_joiner=" - ",
            **extra,
        )


class ClockChecksum(Func):
    """A 64-bit hash of one met stage clock: its order, lead unit, street, stage and
    duration (PostgreSQL's ``hashtextextended``). Summed over the month's clocks of the
    orders not settled, it tells whether those clocks are still the ones a median
    snapshot was computed from (``supervision.models.MedianSnapshot``)."""

    output_field = BigIntegerField()

    def __init__(self, stage: str):
        super().__init__(
            F("pk"), F("lead_unit_id"), F("street_id"), Value(stage), StageMicroseconds(stage)
        )

    def as_sql(self, compiler, connection, **extra):  # pragma: no cover - other backends
        raise NotImplementedError(f"clock checksums on {connection.vendor}")

    def as_postgresql(self, compiler, connection, **extra):
        return super().as_sql(
            compiler,
            connection,
            template="hashtextextended(concat_ws(':', %(expressions)s), 0)",
            **extra,
        )


class Median(Aggregate):
    """PostgreSQL's ``percentile_cont(0.5)``: the middle value, or the mean of the two
    middle values for an even count."""

    function = "PERCENTILE_CONT"
    template = "%(function)s(0.5) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()


def _completed(stage: str, month: Month) -> Q:
    """The stage clocks due in the month that were met (on time or late)."""
    return in_month(f"{stage}_due_at", month) & _live() & Q(**{f"{stage}_on_time__isnull": False})


GROUPINGS = {"unit": "lead_unit_id", "street": "street_id", "total": None}
Medians = dict[str, dict[int | None, dict[str, float | None]]]


def median_candidates(month: Month, cutoff: datetime | None, first: datetime | None) -> Q:
    """A superset of the orders whose stage clocks make the month's medians, written as
    index ranges on (state, reported_at) and closed_at, so that the medians read about a
    month of orders instead of all of them. A met clock's order is now dispatched,
    signed, contacted, met or closed (in the queue it has none: a return clears them).
    If closed before the roll-up's ``cutoff``, the roll-up knows the earliest report
    time ``first`` among such orders with a clock due in the month (None: there is
    none), and no clock falls due before its order is reported. No cutoff (no roll-up):
    no narrowing."""
    if cutoff is None:
        return Q()
    q = Q(state__in=[State.DISPATCHED, *HANDLING_STATES]) | Q(
        state=State.CLOSED, closed_at__gte=cutoff
    )
    if first is not None:
        q |= Q(state=State.CLOSED, reported_at__gte=first, reported_at__lt=month.end)
    return q


def stage_medians(
    scope: Scope, month: Month, *, method: str | None = None, candidates: Q | None = None
) -> Medians:
    """Median stage durations, ``{"unit"|"street"|"total": {id: {stage: µs}}}`` (the total
    under id None). ``percentile_cont`` on PostgreSQL, else the window-function method;
    both give the same numbers (``method`` forces one, for the test that says so).
    ``candidates`` (``median_candidates``) only narrows what is read."""
    method = method or ("percentile" if connection.vendor == "postgresql" else "window")
    within = scope.orders_q() & (candidates or Q())
    if method == "percentile":
        result: Medians = {"unit": {}, "street": {}, "total": {None: dict.fromkeys(STAGES)}}
        for grouping, key, stages, _checksum in percentile_medians(within, month):
            result[grouping][key] = stages
        return result
    return _medians_window(within, month)


# GROUPING(street_id, lead_unit_id) sets a bit for each column not grouped on.
_GROUPING_BITS = {2: "unit", 1: "street", 0: "street_unit", 3: "total"}


def percentile_medians(
    within: Q, month: Month, *, street_units: bool = False, unsettled_before: datetime | None = None
) -> list[tuple[str, int | tuple[int, int] | None, dict[str, float | None], int]]:
    """One query: ``percentile_cont`` over the month's cohort, grouped by unit, by street
    and in total at once (``GROUPING SETS``), and with ``street_units`` also by (street,
    unit). A duration outside its stage's cohort is NULL, which ``percentile_cont``
    skips. Rows ``(grouping, key, {stage: µs}, checksum)``; the checksum sums
    ``ClockChecksum`` over the clocks of the orders not closed before
    ``unsettled_before`` (0 without it). PostgreSQL only."""
    completed = {s: _completed(s, month) for s in STAGES}
    columns: dict = {
        f"d_{s}": Case(
            When(completed[s], then=StageMicroseconds(s)), default=None, output_field=FloatField()
        )
        for s in STAGES
    }
    if unsettled_before is not None:
        unsettled = ~Q(state=State.CLOSED, closed_at__lt=unsettled_before)
        for s in STAGES:
            columns[f"h_{s}"] = Case(
                When(completed[s] & unsettled, then=ClockChecksum(s)),
                default=None,
                output_field=BigIntegerField(),
            )
    cohort = (
        Order.objects.filter(within & reduce(or_, completed.values()))
        .order_by()
        .annotate(**columns)
        .values("street_id", "lead_unit_id", *columns)
    )
    inner, params = cohort.query.sql_with_params()
    medians = ", ".join(
        f"percentile_cont(0.5) WITHIN GROUP (ORDER BY cohort.d_{s})" for s in STAGES
    )
    checksum = (
        " + ".join(f"COALESCE(SUM(cohort.h_{s}), 0)" for s in STAGES)
        if unsettled_before is not None
        else "0"
    )
    sets = "(cohort.lead_unit_id), (cohort.street_id), ()"
    if street_units:
        sets += ", (cohort.street_id, cohort.lead_unit_id)"
    sql = (
        "SELECT GROUPING(cohort.street_id, cohort.lead_unit_id), cohort.street_id, "
        f"cohort.lead_unit_id, {medians}, {checksum} FROM ({inner}) AS cohort "
        f"GROUP BY GROUPING SETS ({sets})"
    )
    rows = []
    with _reads().cursor() as cursor:
        cursor.execute(sql, params)
        for bits, street_id, unit_id, *values, total in cursor.fetchall():
            grouping = _GROUPING_BITS[bits]
            key = {
                "unit": unit_id,
                "street": street_id,
                "street_unit": (street_id, unit_id),
                "total": None,
            }[grouping]
            rows.append((grouping, key, dict(zip(STAGES, values, strict=True)), int(total)))
    return rows


def _medians_window(within: Q, month: Month) -> Medians:
    """One query per grouping and clock (3 × the clocks), for SQLite. Each numbers the
    durations within its group and keeps the middle one or two rows (``(n+1) div 2`` and
    ``(n+2) div 2``), whose mean is the median; a group contributes at most two rows."""
    result: dict = {g: defaultdict(lambda: dict.fromkeys(STAGES)) for g in GROUPINGS}
    for grouping, column in GROUPINGS.items():
        partition = [F(column)] if column else None
        for stage in STAGES:
            rows = (
                Order.objects.filter(within & _completed(stage, month))
                .order_by()
                .annotate(
                    duration=StageMicroseconds(stage),
                    position=Window(
                        RowNumber(), partition_by=partition, order_by=F("duration").asc()
                    ),
                    size=Window(Count("pk"), partition_by=partition),
                )
                .filter(position__gte=(F("size") + 1) / 2, position__lte=(F("size") + 2) / 2)
                .values_list(column or "pk", "duration")
            )
            middles: dict = defaultdict(list)
            for key, duration in rows:
                middles[key if column else None].append(float(duration))
            for key, values in middles.items():
                result[grouping][key][stage] = sum(values) / len(values)
    return {g: dict(v) for g, v in result.items()}


def _snapshot_medians(scope: Scope, month: Month, cutoff: datetime) -> tuple[Medians, int] | None:
    """The month's median snapshot for the scope made with the roll-up of ``cutoff``, and
    its checksum; None if there is none: one query."""
    rows = MedianSnapshot.objects.filter(
        month=date(month.year, month.month, 1), scope=scope.key, cutoff=cutoff
    ).values_list("grouping", "key", *STAGES, "checksum")
    result: Medians = {"unit": {}, "street": {}, "total": {}}
    checksum = None
    for grouping, key, *values, total in rows:
        result[grouping][key] = dict(zip(STAGES, values, strict=True))
        if grouping == MedianSnapshot.Grouping.TOTAL:
            checksum = int(total)
    if checksum is None:
        return None
    return result, checksum


def _month_medians(
    scope: Scope, month: Month, settled: _Settled, orders: Counts, current: int
) -> Medians:
    """The month's medians: the snapshot taken at the roll-up's refresh while the clocks
    of the orders not settled are still the same (their checksum, summed per (street,
    unit) by the live order query, is the snapshot's), else computed live over about a
    month of orders (``median_candidates``)."""
    cutoff = settled.cutoff
    if cutoff is not None and month.end <= cutoff and connection.vendor == "postgresql":
        snapshot = _snapshot_medians(scope, month, cutoff)
        if snapshot is not None:
            live = sum(
                by_month[current].get("checksum", 0)
                for by_month in orders.values()
                if current in by_month
            )
            if live == snapshot[1]:
                return snapshot[0]
    if cutoff is not None and month.end <= cutoff:
        _parallel_plans(allowed=True)  # about a month of orders: workers help here
    return stage_medians(
        scope,
        month,
        candidates=median_candidates(month, cutoff, settled.first_due_reported_at.get(current)),
    )


# --- assembling the report ------------------------------------------------------------------


def _reads():
    """The connection the report reads through: the read replica when the request may
    use it (shishi_mediation.replica), else the primary."""
    return connections[router.db_for_read(Order)]


def _parallel_plans(*, allowed: bool) -> None:
    """Allow or forbid parallel plans for the rest of the report's transaction
    (PostgreSQL). With the roll-up, a month that has ended reads only a few hundred live
    rows; the planner overestimates them (it cannot know that the orders still open are
    nearly all recent ones) and starts two workers, which at 1M orders took 10–25 ms of
    a 1–5 ms query."""
    reads = _reads()
    if reads.vendor == "postgresql" and reads.in_atomic_block:
        with reads.cursor() as cursor:
            value = "DEFAULT" if allowed else "0"
            cursor.execute(f"SET LOCAL max_parallel_workers_per_gather = {value}")


def _unit_rows(units: Iterable[dict]) -> dict[int, Row]:
    return {
        u["pk"]: Row(
            kind="unit",
            id=u["pk"],
            name=u["name"],
            unit_kind=u["kind"],
            sort_key=(u["area__path"], u["name"]),
        )
        for u in units
    }


def _add(rows: dict, unassigned: Row, streets: dict, total: Row, key: Key, values: dict):
    street_id, unit_id = key
    rows.get(unit_id, unassigned).figures.add(values)
    if street_id in streets:
        streets[street_id].figures.add(values)
    total.figures.add(values)


@dataclass
class _Assembled:
    streets: list[Row]
    units: list[Row]
    total: Row
    previous_units: list[Row]
    previous_total: Figures  # the scope's month before, for last month's fair scores
    trend: list[TrendPoint]


def _assemble(scope: Scope, month: Month, as_of: datetime) -> _Assembled:
    """Run the sections and add their per-(street, unit) counts up into the rows of the
    month, the units' rows of the month before (for the ranking's change) and the
    trend's totals. The roll-ups give what was settled; the live queries the rest."""
    months = [month.shifted(-i) for i in reversed(range(TREND_MONTHS))]
    current, previous = len(months) - 1, len(months) - 2
    settled = _settled(scope, months, escalations=_escalation_cut(month, as_of) == month.end)
    cutoff = settled.cutoff
    if cutoff is not None and month.end <= cutoff:
        _parallel_plans(allowed=False)
    orders = _order_counts(scope, months, as_of, cutoff)
    windowed = [
        settled.counts,
        orders,
        _review_counts(scope, months, cutoff),
        _duty_counts(scope, months, as_of),
    ]
    escalations = _escalation_counts(scope, month, as_of, cutoff)  # raised-against unit
    visits = _visit_counts(scope, month, settled.visits_through)

    unit_ids = {u for section in (*windowed, escalations, visits) for (_s, u) in section if u}
    unit_values = list(
        Unit.objects.filter(pk__in=unit_ids).values("pk", "name", "kind", "area__path")
    )
    units, previous_units = _unit_rows(unit_values), _unit_rows(unit_values)
    streets = {
        s.pk: Row(kind="street", id=s.pk, name=s.name, sort_key=(s.path,))
        for s in scope.streets
        if scope.street is None or s.pk == scope.street.pk
    }
    unassigned = Row(kind="unassigned", id=None, name=_("（未派单）"))
    total = Row(kind="total", id=None, name=_("合计"))
    totals = [Figures() for _m in months]

    for section in windowed:
        for key, by_month in section.items():
            if current in by_month:
                _add(units, unassigned, streets, total, key, by_month[current])
            if previous in by_month and key[1] in previous_units:  # units only
                previous_units[key[1]].figures.add(by_month[previous])
            for i, values in by_month.items():
                totals[i].add(values)
    for section in (escalations, visits):
        for key, by_month in section.items():
            _add(units, unassigned, streets, total, key, by_month[0])

    medians = _month_medians(scope, month, settled, orders, current)
    for grouping, rows in (("unit", units), ("street", streets), ("total", {None: total})):
        for key, values in medians[grouping].items():
            if key in rows:
                rows[key].figures.medians.update(values)

    unit_list = sorted(
        (r for r in units.values() if not r.figures.is_empty), key=lambda r: r.sort_key
    )
    if not unassigned.figures.is_empty:
        unit_list.append(unassigned)
    trend = [
        TrendPoint(
            month=m,
            rates={k: percent(v) for k, v in totals[i].rates.items() if k in TREND_RATES},
        )
        for i, m in enumerate(months)
    ]
    return _Assembled(
        streets=sorted(streets.values(), key=lambda r: r.sort_key),
        units=unit_list,
        total=total,
        previous_units=list(previous_units.values()),
        previous_total=totals[previous],
        trend=trend,
    )


def ranking_cases(figures: Figures) -> int:
    """A unit's number of cases in the month, for the fair ranking: its sign clocks judged
    in the month (on time, late or still open), as signing is the first step of every
    order dispatched to it."""
    return figures.stage_total("sign")


def shrunk_rates(
    unit: Figures, scope: Figures, prior_cases: int | None = None
) -> dict[str, Fraction | None]:
    """Each of the unit's rates shrunk toward the scope's rate of the same figure:
    (numerator + k·p) ÷ (denominator + k), k = ``RANKING_PRIOR_CASES``, p the scope's
    rate. A rate without a denominator stays None (left out, as in the score); with no
    scope rate (k·p undefined) the unit's own rate is kept."""
    k = settings.RANKING_PRIOR_CASES if prior_cases is None else prior_cases
    c = unit.counts
    parts = {
        **{f"{s}_rate": (c[f"{s}_on_time"], unit.stage_total(s)) for s in STAGES},
        **{f"{d}_rate": (c[f"{d}_on_time"], unit.stage_total(d)) for d in DUTY_NAMES},
        "success_rate": (c["mediated"], c["closed"]),
        "good_rate": (c["reviews_good"], c["reviews_good"] + c["reviews_bad"]),
    }
    city = scope.rates
    out: dict[str, Fraction | None] = {}
    for key, (numerator, denominator) in parts.items():
        if not denominator:
            out[key] = None
        elif city[key] is None:
            out[key] = Fraction(numerator, denominator)
        else:
            out[key] = (numerator + k * city[key]) / (denominator + k)
    return out


def fair_score(unit: Figures, scope: Figures) -> Decimal | None:
    """The composite score's weighted mean over the shrunk rates (``shrunk_rates``)."""
    return composite_score(shrunk_rates(unit, scope))


@dataclass
class _Standing:
    row: Row
    cases: int
    score: Decimal
    fair_score: Decimal
    rank: int | None = None


def rank(units: Iterable[Row], scope: Figures | None = None) -> list[_Standing]:
    """Units with a score: those with at least ``RANKING_MIN_CASES`` cases ranked by fair
    score (shrunk toward ``scope``'s rates; without ``scope``, the units' own total),
    best first, equal fair scores sharing a rank (1, 2, 2, 4), then by name; then the
    units with fewer cases, unranked, by fair score and name."""
    units = [r for r in units if r.kind == "unit"]
    if scope is None:
        scope = Figures()
        for r in units:
            scope.add(r.figures.counts)
    standings = [
        _Standing(r, ranking_cases(r.figures), score, fair_score(r.figures, scope))
        for r in units
        if (score := r.figures.score) is not None
    ]
    standings.sort(key=lambda s: (s.cases < settings.RANKING_MIN_CASES, -s.fair_score, s.row.name))
    previous_fair, previous_rank = None, 0
    for position, s in enumerate(standings, start=1):
        if s.cases < settings.RANKING_MIN_CASES:
            break
        s.rank = previous_rank if s.fair_score == previous_fair else position
        previous_fair, previous_rank = s.fair_score, s.rank
    return standings


def monthly_report(*, scope: Scope, month: Month, now: datetime | None = None) -> MonthlyReport:
    """The month's figures for the scope, as at ``now`` (default: the present).

    Queries, whatever the number of orders: the roll-ups of the 12-month window; the
    orders and the reviews of the window not in them (which with the roll-ups give the
    month, the month before for the ranking's change, and the trend; no reviews query
    when the window ended before the roll-up's cutoff); the escalations; the return
    visits; the units' names; and the medians: the snapshot (PostgreSQL, an ended month
    with a roll-up), else one query on PostgreSQL, three per clock elsewhere. In one
    read-only transaction (see ``_parallel_plans``).
    """
    as_of = now or timezone.now()
    with transaction.atomic(using=_reads().alias):  # for _parallel_plans' SET LOCAL; it only reads
        built = _assemble(scope, month, as_of)
    before = {s.row.id: s for s in rank(built.previous_units, built.previous_total)}
    ranking = [
        RankRow(
            rank=s.rank,
            row=s.row,
            cases=s.cases,
            score=s.score,
            fair_score=s.fair_score,
            previous_score=(p := before.get(s.row.id)) and p.score,
            previous_fair_score=p and p.fair_score,
            previous_rank=p and p.rank,
        )
        for s in rank(built.units, built.total.figures)
    ]
    return MonthlyReport(
        month=month,
        scope=scope,
        as_of=as_of,
        total=built.total,
        streets=built.streets,
        units=built.units,
        ranking=ranking,
        trend=built.trend,
    )


# --- clock pauses (暂停计时): their own section, a live query -------------------------------


@dataclass(frozen=True)
class PauseRow:
    """A unit's approved clock pauses that started in the month (or the scope's total)."""

    unit_id: int | None
    name: str
    pauses: int = 0
    minutes: int = 0

    @property
    def hours(self) -> Decimal:
        """The paused time in hours, one decimal, rounded half up."""
        return (Decimal(self.minutes) / 60).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)

    def as_dict(self) -> dict:
        return {
            "unit_id": self.unit_id,
            "unit": self.name,
            "pauses": self.pauses,
            "paused_minutes": self.minutes,
            "paused_hours": self.hours,
        }


@dataclass(frozen=True)
class PauseFigures:
    units: list[PauseRow]
    total: PauseRow


def pause_figures(*, scope: Scope, month: Month) -> PauseFigures:
    """The month's approved clock pauses per unit (``disputes.ClockPause``, by the unit that
    asked, in the month its pause started, i.e. was approved): how many and the time
    paused, the minutes its clock's due time stands moved by (those approved; once ended
    early or its clock met, those actually paused). The on-time rates are judged against
    the moved due times; this section shows by how much. Live, not in the roll-ups: two
    queries (the counts, the units' names)."""
    counts = (
        ClockPause.objects.filter(scope.orders_q("order__"), in_month("started_at", month))
        .values("unit_id")
        .annotate(pauses=Count("id"), minutes=Sum("paused_minutes"))
        .order_by()
    )
    by_unit = {row["unit_id"]: row for row in counts}
    units = (
        [
            PauseRow(u.pk, u.name, by_unit[u.pk]["pauses"], by_unit[u.pk]["minutes"] or 0)
            for u in Unit.objects.filter(pk__in=by_unit)
        ]
        if by_unit
        else []
    )
    total = PauseRow(None, _("合计"), sum(r.pauses for r in units), sum(r.minutes for r in units))
    return PauseFigures(units=units, total=total)


# --- merged duplicates (重复报单合并): their own section, read live --------------------------


@dataclass(frozen=True)
class MergeRow:
    """A street's duplicates merged in the month (or the scope's total): how many, and
    into how many kept orders."""

    street_id: int | None
    name: str
    merged: int = 0
    kept: int = 0

    def as_dict(self) -> dict:
        return {
            "street_id": self.street_id,
            "street": self.name,
            "merged": self.merged,
            "kept": self.kept,
        }


@dataclass(frozen=True)
class MergeFigures:
    streets: list[MergeRow]
    total: MergeRow

    def as_dict(self) -> dict:
        return {"streets": [r.as_dict() for r in self.streets], "total": self.total.as_dict()}


def merge_figures(*, scope: Scope, month: Month) -> MergeFigures:
    """The duplicates merged in the month (``Order.merged_at``) per street of the scope,
    and the orders they were merged into. No other figure counts a merged order (it is
    its keeper's report, ``_reported``); this one says how many were left out. Live, not
    in the roll-ups (merges are few): two queries."""
    rows = (
        Order.objects.filter(scope.orders_q(), in_month("merged_at", month), state=State.MERGED)
        .values("street_id", "street__name", "street__path")
        .annotate(merged=Count("pk"), kept=Count("merged_into", distinct=True))
        .order_by("street__path")
    )
    streets = [MergeRow(r["street_id"], r["street__name"], r["merged"], r["kept"]) for r in rows]
    kept = (
        Order.objects.filter(scope.orders_q(), in_month("merged_at", month), state=State.MERGED)
        .values("merged_into")
        .distinct()
        .count()
        if streets
        else 0
    )
    total = MergeRow(None, _("合计"), sum(r.merged for r in streets), kept)
    return MergeFigures(streets=streets, total=total)


# --- reviewed returns (退单审核): its own section, read live -------------------------------


@dataclass(frozen=True)
class ReturnReviewRow:
    """One lead unit's return requests in a month: asked (by ``requested_at``), approved
    and rejected (by ``decided_at``). A request closed undecided because the order moved
    on counts as asked only."""

    unit_id: int | None  # None for the scope's total
    unit: str
    requested: int
    approved: int
    rejected: int

    def as_dict(self) -> dict:
        return {
            "unit": self.unit_id,
            "unit_name": self.unit,
            "return_requests": self.requested,
            "returns_approved": self.approved,
            "returns_rejected": self.rejected,
        }


RETURN_REVIEW_COLUMNS = (
    ("return_requests", _lazy("退单申请数")),
    ("returns_approved", _lazy("退单批准数")),
    ("returns_rejected", _lazy("退单驳回数")),
)


def return_review_rows(scope: Scope, month: Month) -> list[ReturnReviewRow]:
    """Each unit that asked to return an order of the scope, or had one decided, in the
    month (by name), then the total; empty when none. One grouped query over
    ``ReturnRequest`` (not rolled up: few rows, read live)."""
    asked = in_month("requested_at", month)
    decided = in_month("decided_at", month)
    counts = (
        ReturnRequest.objects.filter(scope.orders_q(prefix="order__"))
        .filter(asked | decided)
        .values("unit_id", "unit__name")
        .annotate(
            n_asked=Count("pk", filter=asked),
            n_approved=Count("pk", filter=decided & Q(approved=True)),
            n_rejected=Count("pk", filter=decided & Q(approved=False)),
        )
        .order_by("unit__name", "unit_id")
    )
    rows = [
        ReturnReviewRow(
            c["unit_id"], c["unit__name"], c["n_asked"], c["n_approved"], c["n_rejected"]
        )
        for c in counts
    ]
    if rows:
        rows.append(
            ReturnReviewRow(
                None,
                _("合计"),
                sum(r.requested for r in rows),
                sum(r.approved for r in rows),
                sum(r.rejected for r in rows),
            )
        )
    return rows


# --- 督办 (its own section) ---------------------------------------------------------------------


@dataclass
class DirectiveRow:
    """One unit's 督办 of a month (docs/REPORTS.md, "督办"): those it received (issued in
    the month against it as the lead unit), and of them, how many its heads answered by
    the deadline and how many after it, as at the report's time."""

    unit_id: int | None
    name: str
    received: int = 0
    replied_on_time: int = 0
    replied_late: int = 0
    sort_key: tuple = ()

    @property
    def unanswered(self) -> int:
        """Not answered (yet, or ever: the lead unit changed or the order ended)."""
        return self.received - self.replied_on_time - self.replied_late

    @property
    def on_time_rate(self) -> Decimal | None:
        return percent(ratio(self.replied_on_time, self.received))

    def as_dict(self) -> dict:
        return {
            "unit_id": self.unit_id,
            "name": self.name,
            "directives_received": self.received,
            "directives_replied_on_time": self.replied_on_time,
            "directives_replied_late": self.replied_late,
            "directives_unanswered": self.unanswered,
            "directives_on_time_rate": self.on_time_rate,
        }


@dataclass
class DirectiveSection:
    units: list[DirectiveRow]
    total: DirectiveRow


def directive_figures(*, scope: Scope, month: Month) -> DirectiveSection:
    """督办 per unit for the month: one grouped query, live (nothing of it is rolled up).
    A directive counts in the month of its ``issued_at`` (Asia/Shanghai), for the unit it
    pressed (``Directive.unit``, the lead unit at issue), among the scope's orders."""
    rows = (
        Directive.objects.filter(scope.orders_q("order__") & in_month("issued_at", month))
        .order_by()
        .values("unit_id", "unit__name", "unit__area__path")
        .annotate(
            received=Count("pk"),
            on_time=Count("pk", filter=Q(replied_at__lte=F("reply_due_at"))),
            late=Count("pk", filter=Q(replied_at__gt=F("reply_due_at"))),
        )
    )
    units = sorted(
        (
            DirectiveRow(
                unit_id=r["unit_id"],
                name=r["unit__name"],
                received=r["received"],
                replied_on_time=r["on_time"],
                replied_late=r["late"],
                sort_key=(r["unit__area__path"], r["unit__name"]),
            )
            for r in rows
        ),
        key=lambda row: row.sort_key,
    )
    total = DirectiveRow(
        unit_id=None,
        name=_("合计"),
        received=sum(r.received for r in units),
        replied_on_time=sum(r.replied_on_time for r in units),
        replied_late=sum(r.replied_late for r in units),
    )
    return DirectiveSection(units=units, total=total)


# --- 移交跟踪 (referrals that are followed): its own section, read live ------------------------

# The latest result's outcome of a referral with none yet.
NO_RESULT = ""


@dataclass
class ReferralRow:
    """One lead unit's referrals whose follow-up fell due in the month (docs/REPORTS.md,
    "移交跟踪 / Referrals"): how many, of which kinds, followed on time, late or overdue,
    and what the receiving bodies made of them so far (each by its latest result)."""

    unit_id: int | None
    name: str
    referred: int = 0
    on_time: int = 0
    late: int = 0
    overdue: int = 0
    kinds: dict[str, int] = field(default_factory=dict)
    outcomes: dict[str, int] = field(default_factory=dict)
    sort_key: tuple = ()

    @property
    def kind_counts(self) -> list[int]:
        """Per kind of referral, in ``Referral``'s order (the page's columns)."""
        return [self.kinds.get(k, 0) for k in Referral.values]

    @property
    def outcome_counts(self) -> list[int]:
        """Per latest outcome in ``ReferralOutcome``'s order, then without a result."""
        return [self.outcomes.get(o, 0) for o in (*ReferralOutcome.values, NO_RESULT)]

    @property
    def on_time_rate(self) -> Decimal | None:
        return percent(ratio(self.on_time, self.on_time + self.late + self.overdue))

    def add(self, other: ReferralRow) -> None:
        self.referred += other.referred
        self.on_time += other.on_time
        self.late += other.late
        self.overdue += other.overdue
        for name in ("kinds", "outcomes"):
            mine = getattr(self, name)
            for key, n in getattr(other, name).items():
                mine[key] = mine.get(key, 0) + n

    def as_dict(self) -> dict:
        return {
            "unit_id": self.unit_id,
            "name": self.name,
            "referrals": self.referred,
            "referrals_on_time": self.on_time,
            "referrals_late": self.late,
            "referrals_overdue": self.overdue,
            "referrals_on_time_rate": self.on_time_rate,
            "referral_kinds": {k: self.kinds.get(k, 0) for k in Referral.values},
            "referral_outcomes": {
                o or "none": self.outcomes.get(o, 0) for o in (*ReferralOutcome.values, NO_RESULT)
            },
        }


@dataclass
class ReferralSection:
    units: list[ReferralRow]
    total: ReferralRow


# The section's column headers: the kinds, then the latest outcomes and "none yet".
REFERRAL_KIND_COLUMNS = tuple(label for _value, label in Referral.choices)
REFERRAL_OUTCOME_COLUMNS = (
    *(label for _value, label in ReferralOutcome.choices),
    _lazy("尚无结果"),
)


def referral_figures(*, scope: Scope, month: Month, now: datetime | None = None) -> ReferralSection:
    """移交跟踪 per lead unit for the month, by the month its follow-up fell due (the
    ``referral`` duty's ``due_at``, Asia/Shanghai), as at ``now``: referrals, by kind,
    followed on time / late / overdue (as the duties' generic figures count them), and by
    the outcome of each one's latest result. Live, not rolled up: one grouped query."""
    as_of = now or timezone.now()
    latest = (
        ReferralResult.objects.filter(order_id=OuterRef("order_id"))
        .order_by("-recorded_at", "-id")
        .values("outcome")[:1]
    )
    past_due_unmet = Q(met_at__isnull=True, due_at__lt=as_of) & (
        Q(ended_at__isnull=True) | Q(ended_at__gt=F("due_at"))
    )
    rows = (
        Duty.objects.filter(scope.orders_q("order__"), in_month("due_at", month), kind="referral")
        .annotate(latest=Subquery(latest))
        .order_by()
        .values("unit_id", "unit__name", "unit__area__path", "order__referral", "latest")
        .annotate(
            n=Count("pk"),
            n_on_time=Count("pk", filter=Q(on_time=True)),
            n_late=Count("pk", filter=Q(on_time=False)),
            n_overdue=Count("pk", filter=past_due_unmet),
        )
    )
    units: dict[int, ReferralRow] = {}
    for r in rows:
        row = units.setdefault(
            r["unit_id"],
            ReferralRow(
                unit_id=r["unit_id"],
                name=r["unit__name"],
                sort_key=(r["unit__area__path"], r["unit__name"]),
            ),
        )
        part = ReferralRow(
            unit_id=None,
            name="",
            referred=r["n"],
            on_time=r["n_on_time"],
            late=r["n_late"],
            overdue=r["n_overdue"],
            kinds={r["order__referral"]: r["n"]},
            outcomes={r["latest"] or NO_RESULT: r["n"]},
        )
        row.add(part)
    ordered = sorted(units.values(), key=lambda row: row.sort_key)
    total = ReferralRow(unit_id=None, name=_("合计"))
    for row in ordered:
        total.add(row)
    return ReferralSection(units=ordered, total=total)


# --- 回访 / return visits (their own section) ------------------------------------------------


@dataclass
class VisitRow:
    """One unit's return visits in a month (docs/REPORTS.md, "回访 / Return visits"): the
    visits it owed that fell due in the month and how they went, as at the report's
    time; the second visits scheduled to it in the month; and the disputes it handled
    that were reopened as new orders reported in the month."""

    unit_id: int | None
    name: str
    due: int = 0
    on_time: int = 0
    late: int = 0
    overdue: int = 0
    second: int = 0
    reopened: int = 0
    sort_key: tuple = ()

    @property
    def not_yet_due(self) -> int:
        """Falling due later in the month (the report's month not over yet)."""
        return self.due - self.on_time - self.late - self.overdue

    @property
    def on_time_rate(self) -> Decimal | None:
        return percent(ratio(self.on_time, self.due))

    def as_dict(self) -> dict:
        return {
            "unit_id": self.unit_id,
            "name": self.name,
            "visits_due": self.due,
            "visits_on_time": self.on_time,
            "visits_late": self.late,
            "visits_overdue": self.overdue,
            "visits_on_time_rate": self.on_time_rate,
            "second_visits": self.second,
            "reopened": self.reopened,
        }


@dataclass
class VisitSection:
    units: list[VisitRow]
    total: VisitRow


VISIT_COLUMNS = (
    ("visits_due", _lazy("应回访")),
    ("visits_on_time", _lazy("按时回访")),
    ("visits_late", _lazy("超时回访")),
    ("visits_overdue", _lazy("逾期未回访")),
    ("visits_on_time_rate", _lazy("按时回访率(%)")),
    ("second_visits", _lazy("二次回访")),
    ("reopened", _lazy("重新调解")),
)


def return_visit_figures(
    *, scope: Scope, month: Month, now: datetime | None = None
) -> VisitSection:
    """回访 per unit for the month, live (nothing of it is rolled up): three grouped
    queries and the units' names.

    - The ``visit`` duties of the scope's orders falling due in the month, by the unit
      that owes them, less those ended unmet before their due time (the dispute was
      reopened: no longer due): met on time, met late, or past due at ``now`` and not met.
    - Second visits (二次回访) scheduled in the month (their duty started in it), by unit.
    - Reopened orders (重新调解): the scope's orders reported in the month that reopen an
      older one, counted to the unit that handled the older one (its lead unit; for a
      dispute settled on the spot, its reporter's unit)."""
    now = now or timezone.now()
    unmet_past_due = Q(met_at__isnull=True, due_at__lt=now) & (
        Q(ended_at__isnull=True) | Q(ended_at__gt=F("due_at"))
    )
    still_due = Q(ended_at__isnull=True) | Q(ended_at__gt=F("due_at"))
    visits = Duty.objects.filter(scope.orders_q("order__"), kind="visit")
    by_unit: dict[int, VisitRow] = defaultdict(lambda: VisitRow(None, ""))
    for r in (
        visits.filter(in_month("due_at", month) & still_due)
        .order_by()
        .values("unit_id")
        .annotate(
            n_due=Count("pk"),
            n_on_time=Count("pk", filter=Q(on_time=True)),
            n_late=Count("pk", filter=Q(on_time=False)),
            n_overdue=Count("pk", filter=unmet_past_due),
        )
    ):
        row = by_unit[r["unit_id"]]
        row.due, row.on_time, row.late = r["n_due"], r["n_on_time"], r["n_late"]
        row.overdue = r["n_overdue"]
    for r in (
        visits.filter(in_month("started_at", month), scheduled_visit__second=True)
        .order_by()
        .values("unit_id")
        .annotate(n=Count("pk"))
    ):
        by_unit[r["unit_id"]].second = r["n"]
    for r in (
        Order.objects.filter(
            scope.orders_q(), in_month("reported_at", month), reopened_from__isnull=False
        )
        .order_by()
        .values(old_unit=Coalesce("reopened_from__lead_unit", "reopened_from__reporter_unit"))
        .annotate(n=Count("pk"))
    ):
        if r["old_unit"] is not None:
            by_unit[r["old_unit"]].reopened = r["n"]
    for unit in Unit.objects.filter(pk__in=list(by_unit)).select_related("area"):
        row = by_unit[unit.pk]
        row.unit_id, row.name, row.sort_key = unit.pk, unit.name, (unit.area.path, unit.name)
    units = sorted(by_unit.values(), key=lambda row: row.sort_key)
    total = VisitRow(
        unit_id=None,
        name=_("合计"),
        **{
            f: sum(getattr(r, f) for r in units)
            for f in ("due", "on_time", "late", "overdue", "second", "reopened")
        },
    )
    return VisitSection(units=units, total=total)


# --- 警情: the non-police share (the incident desk's figure, per street) ----------------------


@dataclass
class IncidentShareRow:
    name: str
    total: int = 0
    non_police: int = 0

    @property
    def share(self) -> str | None:
        """非警务类 ÷ 警情 as a percentage to one decimal; None without incidents."""
        return f"{self.non_police / self.total:.1%}" if self.total else None


@dataclass
class IncidentShareSection:
    streets: list[IncidentShareRow]
    total: IncidentShareRow


def incident_share_figures(*, scope: Scope, month: Month) -> IncidentShareSection:
    """非警务类警情占比 per street for the month, live: the police incidents received in
    the month in the scope's communities, and those whose type is not a police matter
    (``IncidentType.is_police_matter`` off). One grouped query (docs/REPORTS.md)."""
    whole, communities = scope.members()
    where = Q(community__parent_id__in=whole)
    if communities:
        where |= Q(community_id__in=communities)
    rows = (
        Incident.objects.filter(where, in_month("received_at", month))
        .order_by()
        .values("community__parent__path", "community__parent__name")
        .annotate(n=Count("pk"), non_police=Count("pk", filter=Q(type__is_police_matter=False)))
        .order_by("community__parent__path")
    )
    streets = [
        IncidentShareRow(r["community__parent__name"], r["n"], r["non_police"]) for r in rows
    ]
    total = IncidentShareRow(
        str(_lazy("合计")),
        sum(r.total for r in streets),
        sum(r.non_police for r in streets),
    )
    return IncidentShareSection(streets=streets, total=total)


# --- 位置采集 (the map, docs/MAP.md): its own section, read live ----------------------------


@dataclass(frozen=True)
class LocationRow:
    """One street's orders reported in a month, and how many carry a point."""

    street_id: int | None  # None for the scope's total
    name: str
    reported: int
    located: int
    gps: int
    picked: int

    @property
    def located_rate(self) -> Decimal | None:
        return percent(ratio(self.located, self.reported))


@dataclass(frozen=True)
class LocationFigures:
    streets: list[LocationRow]
    total: LocationRow


def location_figures(*, scope: Scope, month: Month) -> LocationFigures:
    """位置采集 per street: the scope's orders reported in the month (by ``reported_at``),
    of which with a point, taken by the phone's position (gps) or picked on the map, and
    the share located. One grouped query; the streets' names come with the scope."""
    rows = {
        r["street_id"]: r
        for r in Order.objects.filter(scope.orders_q(), in_month("reported_at", month))
        .order_by()
        .values("street_id")
        .annotate(
            reported=Count("pk"),
            located=Count("pk", filter=Q(latitude__isnull=False)),
            gps=Count("pk", filter=Q(location_source="gps")),
            picked=Count("pk", filter=Q(location_source="picked")),
        )
    }
    keys = ("reported", "located", "gps", "picked")
    streets = [
        LocationRow(s.pk, s.name, **{k: rows[s.pk][k] for k in keys})
        for s in sorted(scope.streets, key=lambda s: s.path)
        if s.pk in rows
    ]
    total = LocationRow(None, _("合计"), **{k: sum(getattr(r, k) for r in streets) for k in keys})
    return LocationFigures(streets=streets, total=total)


# --- 重复纠纷 (the repeat radar's monthly list, issue 17): its own section, read live --------

REPEAT_LIST_MAX = 50  # rows of each list shown; the section says how many there are


@dataclass
class RepeatAddressRow:
    address: str  # masked: up to the street number (…号), the rest elided
    community: str
    orders: int  # in the window ending with the month
    in_month: int


@dataclass
class RepeatPartyRow:
    name: str
    phone: str  # masked
    id_number: str  # masked
    community: str  # of the party's latest order
    orders: int
    in_month: int


@dataclass
class RepeatSection:
    window_days: int
    addresses: list[RepeatAddressRow]
    parties: list[RepeatPartyRow]
    address_count: int  # all of them, of which the first REPEAT_LIST_MAX are listed
    party_count: int


def mask_address(address: str) -> str:
    """The address up to its street number (the first 号) and "…" for the rest (the
    building and flat); without a 号, its first six characters and "…"."""
    text = (address or "").strip()
    cut = text.find("号")
    if cut >= 0:
        return text[: cut + 1] + ("…" if len(text) > cut + 1 else "")
    return text[:6] + ("…" if len(text) > 6 else "")


def _repeat_window(month: Month) -> tuple[datetime, datetime]:
    return month.end - timedelta(days=settings.RADAR_WINDOW_DAYS), month.end


def repeat_figures(*, scope: Scope, month: Month) -> RepeatSection:
    """The month's repeat addresses and parties (重复纠纷, docs/REPORTS.md), live: an
    address (``Order.address_key``) or a person (``Party.id_key``, else ``phone_key``)
    with at least one of the scope's orders reported in the month and at least two in
    the radar's window ending with the month (``RADAR_WINDOW_DAYS`` before its end);
    cancelled and merged orders do not count. Most orders first. Four queries."""
    from disputes.models import Party
    from shishi_mediation.validators import mask_id_number, mask_phone

    since, until = _repeat_window(month)
    counted = Q(reported_at__gte=since, reported_at__lt=until) & ~Q(
        state__in=(State.CANCELLED, State.MERGED)
    )
    this_month = in_month("reported_at", month)
    orders = Order.objects.filter(scope.orders_q(), counted)

    month_addresses = orders.filter(this_month).exclude(address_key="").values("address_key")
    address_groups = sorted(
        orders.filter(address_key__in=Subquery(month_addresses))
        .order_by()
        .values("address_key")
        .annotate(n=Count("pk"), m=Count("pk", filter=this_month), last=Max("pk"))
        .filter(n__gte=2),
        key=lambda r: (-r["n"], -r["m"], -r["last"]),
    )
    latest = {
        o.pk: o
        for o in Order.objects.filter(
            pk__in=[r["last"] for r in address_groups[:REPEAT_LIST_MAX]]
        ).select_related("community")
    }
    addresses = [
        RepeatAddressRow(
            address=mask_address(latest[r["last"]].address),
            community=latest[r["last"]].community.name,
            orders=r["n"],
            in_month=r["m"],
        )
        for r in address_groups[:REPEAT_LIST_MAX]
    ]

    person = Coalesce(NullIf("id_key", Value("")), NullIf("phone_key", Value("")))
    parties = Party.objects.filter(
        scope.orders_q("order__"),
        order__reported_at__gte=since,
        order__reported_at__lt=until,
    ).exclude(order__state__in=(State.CANCELLED, State.MERGED))
    in_month_party = Q(order__reported_at__gte=month.start, order__reported_at__lt=month.end)
    month_people = (
        parties.filter(in_month_party).annotate(person=person).exclude(person=None).values("person")
    )
    party_groups = sorted(
        parties.annotate(person=person)
        .filter(person__in=Subquery(month_people))
        .order_by()
        .values("person")
        .annotate(
            n=Count("order_id", distinct=True),
            m=Count("order_id", distinct=True, filter=in_month_party),
            last=Max("pk"),
        )
        .filter(n__gte=2),
        key=lambda r: (-r["n"], -r["m"], -r["last"]),
    )
    last_parties = {
        p.pk: p
        for p in Party.objects.filter(
            pk__in=[r["last"] for r in party_groups[:REPEAT_LIST_MAX]]
        ).select_related("order__community")
    }
    people = [
        RepeatPartyRow(
            name=last_parties[r["last"]].name,
            phone=mask_phone(last_parties[r["last"]].phone),
            id_number=mask_id_number(last_parties[r["last"]].id_number),
            community=last_parties[r["last"]].order.community.name,
            orders=r["n"],
            in_month=r["m"],
        )
        for r in party_groups[:REPEAT_LIST_MAX]
    ]
    return RepeatSection(
        window_days=settings.RADAR_WINDOW_DAYS,
        addresses=addresses,
        parties=people,
        address_count=len(address_groups),
        party_count=len(party_groups),
    )


# --- the mediation alliance (社会力量大调解联盟): its own section, read live ----------------------


@dataclass
class AllianceRow:
    """An alliance unit's or volunteer's contribution in the month: the orders of the
    scope it assisted, the notes it added under an invitation, the joint activities it
    took part in."""

    id: int
    name: str
    unit: str = ""
    orders_assisted: int = 0
    notes: int = 0
    activities: int = 0

    @property
    def contributed(self) -> bool:
        return bool(self.orders_assisted or self.notes or self.activities)

    def as_dict(self) -> dict:
        return {
            "id": self.id,
            "name": self.name,
            "unit": self.unit,
            "orders_assisted": self.orders_assisted,
            "notes": self.notes,
            "activities": self.activities,
        }


@dataclass(frozen=True)
class AllianceFigures:
    units: list[AllianceRow]
    members: list[AllianceRow]
    invitations: int  # invitations made in the month (to a unit or a volunteer)
    activities: int  # joint activities held in the month
    people_served: int
    activities_by_kind: list[tuple[str, int, int]]  # (label, activities, people served)

    @property
    def thanks(self) -> tuple[list[AllianceRow], list[AllianceRow]]:
        """The bulletin's thank-you list (致谢名单): who contributed, most first."""

        def key(r: AllianceRow):
            return (-(r.orders_assisted + r.notes + r.activities), r.name)

        return (
            sorted((r for r in self.units if r.contributed), key=key),
            sorted((r for r in self.members if r.contributed), key=key),
        )

    def as_dict(self) -> dict:
        return {
            "units": [r.as_dict() for r in self.units],
            "members": [r.as_dict() for r in self.members],
            "invitations": self.invitations,
            "activities": self.activities,
            "people_served": self.people_served,
        }


def _activities_in_scope(scope: Scope, month: Month):
    """Joint activities held in the month (by their date) whose organising unit sits in
    the scope's areas, or above them (a city-wide alliance unit)."""
    areas = [scope.street] if scope.street is not None else list(scope.areas)
    within = Q(pk__in=[])
    for area in areas:
        within |= Q(organiser__area__path__startswith=area.path)
        within |= Q(organiser__area__path__in=area_ancestor_paths(area))
    first = month.start.date()
    return JointActivity.objects.filter(
        within, date__gte=first, date__lt=month.end.date()
    ).prefetch_related("units", "members")


def alliance_figures(*, scope: Scope, month: Month) -> AllianceFigures:
    """The alliance's contributions in the month (docs/REPORTS.md, "The mediation
    alliance"), per social-force unit and per volunteer:

    - orders assisted: distinct orders of the scope it was invited to in the month (a
      unit: invited as a whole or any of its volunteers by name; a volunteer: by name,
      or an order it added a note to under its unit's invitation);
    - notes: notes added in the month by invited volunteers (``Invitation`` named in
      the note's event data), counted for the volunteer and the invitation's unit;
    - activities: joint activities of the month it took part in (a unit also as the
      organiser).

    Live, not in the roll-ups (the alliance's rows are few)."""
    invitations = list(
        Invitation.objects.filter(
            scope.orders_q("order__"), in_month("invited_at", month)
        ).values_list("order_id", "unit_id", "member_id")
    )
    notes = list(
        OrderEvent.objects.filter(
            scope.orders_q("order__"),
            in_month("at", month),
            kind="note",
            data__has_key="alliance_unit_id",
        ).values_list("order_id", "actor_id", "data")
    )
    activities = list(_activities_in_scope(scope, month))

    unit_orders: dict[int, set[int]] = defaultdict(set)
    member_orders: dict[int, set[int]] = defaultdict(set)
    unit_notes: dict[int, int] = defaultdict(int)
    member_notes: dict[int, int] = defaultdict(int)
    unit_acts: dict[int, int] = defaultdict(int)
    member_acts: dict[int, int] = defaultdict(int)
    for order_id, unit_id, member_id in invitations:
        unit_orders[unit_id].add(order_id)
        if member_id is not None:
            member_orders[member_id].add(order_id)
    for order_id, actor_id, data in notes:
        unit_notes[data["alliance_unit_id"]] += 1
        member_notes[actor_id] += 1
        member_orders[actor_id].add(order_id)
    for a in activities:
        for unit_id in {a.organiser_id, *(u.pk for u in a.units.all())}:
            unit_acts[unit_id] += 1
        for user in a.members.all():
            member_acts[user.pk] += 1

    unit_ids = set(unit_orders) | set(unit_notes) | set(unit_acts)
    units = {u.pk: u for u in Unit.objects.filter(pk__in=unit_ids, kind=Unit.Kind.SOCIAL_FORCE)}
    unit_rows = [
        AllianceRow(
            id=pk,
            name=u.name,
            orders_assisted=len(unit_orders.get(pk, ())),
            notes=unit_notes.get(pk, 0),
            activities=unit_acts.get(pk, 0),
        )
        for pk, u in sorted(units.items(), key=lambda kv: kv[1].name)
    ]
    member_ids = set(member_orders) | set(member_notes) | set(member_acts)
    volunteers = {
        m.user_id: m
        for m in Membership.objects.filter(
            user_id__in=member_ids, role=Role.VOLUNTEER
        ).select_related("user", "unit")
    }
    member_rows = [
        AllianceRow(
            id=pk,
            name=display_name(m.user),
            unit=m.unit.name,
            orders_assisted=len(member_orders.get(pk, ())),
            notes=member_notes.get(pk, 0),
            activities=member_acts.get(pk, 0),
        )
        for pk, m in sorted(volunteers.items(), key=lambda kv: display_name(kv[1].user))
    ]
    by_kind = [
        (
            str(kind.label),
            sum(1 for a in activities if a.kind == kind),
            sum(a.people_served for a in activities if a.kind == kind),
        )
        for kind in ActivityKind
    ]
    return AllianceFigures(
        units=unit_rows,
        members=member_rows,
        invitations=len(invitations),
        activities=len(activities),
        people_served=sum(a.people_served for a in activities),
        activities_by_kind=[row for row in by_kind if row[1]],
    )


# --- hazards and screening (隐患排查, issue 18): its own section, read live -----------------


@dataclass(frozen=True)
class ScreeningRow:
    """One officer's (or unit's) screening visits in the month, and how many found a
    hazard."""

    key: int | None
    name: str
    unit: str = ""
    visits: int = 0
    found: int = 0

    def as_dict(self) -> dict:
        return {
            "id": self.key,
            "name": self.name,
            "unit": self.unit,
            "visits": self.visits,
            "found": self.found,
        }


@dataclass(frozen=True)
class HazardRow:
    """A category's (or department's) hazards: reported in the month, fixed in it, of
    those fixed by their due time, rejected (不属隐患) in it, and open past due at the
    month's end."""

    key: int | None
    name: str
    reported: int = 0
    fixed: int = 0
    fixed_on_time: int = 0
    rejected: int = 0
    overdue_open: int = 0

    @property
    def on_time_rate(self) -> Decimal | None:
        return percent(ratio(self.fixed_on_time, self.fixed))

    def as_dict(self) -> dict:
        return {
            "id": self.key,
            "name": self.name,
            "reported": self.reported,
            "fixed": self.fixed,
            "fixed_on_time": self.fixed_on_time,
            "rejected": self.rejected,
            "overdue_open": self.overdue_open,
            "on_time_rate": self.on_time_rate,
        }


@dataclass(frozen=True)
class HazardSection:
    officers: list[ScreeningRow]
    units: list[ScreeningRow]
    screening_total: ScreeningRow
    categories: list[HazardRow]
    departments: list[HazardRow]
    total: HazardRow

    def as_dict(self) -> dict:
        return {
            "screening": {
                "officers": [r.as_dict() for r in self.officers],
                "units": [r.as_dict() for r in self.units],
                "total": self.screening_total.as_dict(),
            },
            "hazards": {
                "categories": [r.as_dict() for r in self.categories],
                "departments": [r.as_dict() for r in self.departments],
                "total": self.total.as_dict(),
            },
        }


HAZARD_COUNTS = ("reported", "fixed", "fixed_on_time", "rejected", "overdue_open")


def hazard_figures(*, scope: Scope, month: Month, now: datetime | None = None) -> HazardSection:
    """The month's screening visits (by ``visited_at``) per officer and per unit, and its
    hazards per category and per responsible department (docs/REPORTS.md, 隐患排查):
    reported (by ``reported_at``), fixed and rejected (by ``closed_at``), fixed on time
    (closed at or before ``due_at``), and overdue open (at the month's end, or now for
    the current month: reported before it, past due, not closed by then). Live: four
    grouped queries and the names."""
    from django.contrib.auth import get_user_model

    from hazards.models import Hazard, HazardCategory, HazardState, ScreeningVisit

    cut = min(month.end, now or timezone.now())
    visits = ScreeningVisit.objects.filter(scope.orders_q(), in_month("visited_at", month))
    found = Count("pk", filter=Q(outcome="found"))
    by_officer = (
        visits.values("officer_id", "unit_id").annotate(visits=Count("pk"), found=found).order_by()
    )
    by_unit = {
        r["unit_id"]: r
        for r in visits.values("unit_id").annotate(visits=Count("pk"), found=found).order_by()
    }
    User = get_user_model()
    people = {
        u.pk: (u.get_full_name() or u.username)
        for u in User.objects.filter(pk__in={r["officer_id"] for r in by_officer})
    }
    hazards = Hazard.objects.filter(scope.orders_q())
    fixed = Q(state=HazardState.FIXED, closed_at__gte=month.start, closed_at__lt=month.end)
    counts = {
        "reported": Count("pk", filter=in_month("reported_at", month)),
        "fixed": Count("pk", filter=fixed),
        "fixed_on_time": Count("pk", filter=fixed & Q(on_time=True)),
        "rejected": Count(
            "pk",
            filter=Q(
                state=HazardState.REJECTED, closed_at__gte=month.start, closed_at__lt=month.end
            ),
        ),
        "overdue_open": Count(
            "pk",
            filter=Q(reported_at__lt=cut, due_at__lt=cut)
            & (Q(closed_at__isnull=True) | Q(closed_at__gte=cut)),
        ),
    }
    relevant = (
        in_month("reported_at", month)
        | Q(closed_at__gte=month.start, closed_at__lt=month.end)
        | Q(reported_at__lt=cut, due_at__lt=cut)
        & (Q(closed_at__isnull=True) | Q(closed_at__gte=cut))
    )
    by_category = {
        r["category_id"]: r
        for r in hazards.filter(relevant).values("category_id").annotate(**counts).order_by()
    }
    by_department = {
        r["department_id"]: r
        for r in hazards.filter(relevant).values("department_id").annotate(**counts).order_by()
    }
    unit_ids = set(by_unit) | set(by_department) | {r["unit_id"] for r in by_officer}
    unit_names = dict(Unit.objects.filter(pk__in=unit_ids).values_list("pk", "name"))

    def row(key, name, values) -> HazardRow:
        return HazardRow(key, name, **{f: values[f] for f in HAZARD_COUNTS})

    categories = [
        row(c.pk, c.name, by_category[c.pk])
        for c in HazardCategory.objects.filter(pk__in=by_category)
    ]
    departments = sorted(
        (row(pk, unit_names.get(pk, ""), values) for pk, values in by_department.items()),
        key=lambda r: r.name,
    )
    officers = sorted(
        (
            ScreeningRow(
                r["officer_id"],
                people.get(r["officer_id"], ""),
                unit_names.get(r["unit_id"], ""),
                r["visits"],
                r["found"],
            )
            for r in by_officer
        ),
        key=lambda r: (-r.visits, r.name),
    )
    units = sorted(
        (
            ScreeningRow(pk, unit_names.get(pk, ""), "", r["visits"], r["found"])
            for pk, r in by_unit.items()
        ),
        key=lambda r: (-r.visits, r.name),
    )
    return HazardSection(
        officers=officers,
        units=units,
        screening_total=ScreeningRow(
            None, _("合计"), "", sum(r.visits for r in units), sum(r.found for r in units)
        ),
        categories=categories,
        departments=departments,
        total=HazardRow(
            None, _("合计"), **{f: sum(getattr(r, f) for r in categories) for f in HAZARD_COUNTS}
        ),
    )


# --- the care register (关爱对象, issue 18): its own section, read live -----------------------
# Counts only, never a name: the register's people are seen in full only by their
# community's police and committees (care.selectors). Not in any export (docs/REPORTS.md).


CENTS = Decimal("0.01")


@dataclass
class CareRow:
    """One community's care figures for a month (or the scope's total)."""

    community_id: int | None
    name: str
    by_kind: dict[str, int] = field(default_factory=dict)
    subjects: int = 0
    visits: int = 0
    on_time: int = 0
    late: int = 0
    overdue: int = 0
    aids: int = 0
    amount: Decimal = Decimal("0.00")

    def as_dict(self) -> dict:
        return {
            "community_id": self.community_id,
            "community": self.name,
            "by_kind": dict(self.by_kind),
            "subjects": self.subjects,
            "visits": self.visits,
            "visits_on_time": self.on_time,
            "visits_late": self.late,
            "visits_overdue": self.overdue,
            "aids": self.aids,
            "aid_amount": str(self.amount),
        }


@dataclass(frozen=True)
class CareFigures:
    kinds: list[tuple[str, str]]  # (value, label) of each kind, in the columns' order
    communities: list[CareRow]
    total: CareRow

    def as_dict(self) -> dict:
        return {
            "communities": [r.as_dict() for r in self.communities],
            "total": self.total.as_dict(),
        }


def care_figures(*, scope: Scope, month: Month, now: datetime | None = None) -> CareFigures:
    """The month's care figures per community of the scope (docs/REPORTS.md, 关爱对象):

    - subjects on the register (active, registered before the month's end) by kind;
    - visits made in the month (``visited_at``), on time and late as each met its clock;
    - overdue: subjects whose visit clock was past due at the month's end (or now, for
      the current month) and not met by then;
    - aid records dated in the month (``given_on``) and the money in them (yuan).

    Four grouped queries and one for the names."""
    from django.db.models import Exists

    from care.models import VISIT_CLOCK, CareAid, CareKind, CareSubject, CareVisit
    from deadlines.models import Deadline

    now = now or timezone.now()
    cut = min(month.end, now)
    whole, communities = scope.members()
    in_scope = Q(community__parent_id__in=whole) | Q(community_id__in=communities)
    subjects = CareSubject.objects.filter(in_scope)
    rows: dict[int, CareRow] = {}

    def row(community_id: int) -> CareRow:
        return rows.setdefault(community_id, CareRow(community_id, ""))

    registered = (
        subjects.filter(is_active=True, created_at__lt=month.end)
        .values("community_id", "kind")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for r in registered:
        target = row(r["community_id"])
        target.by_kind[r["kind"]] = r["n"]
        target.subjects += r["n"]
    visits = (
        CareVisit.objects.filter(
            subject__in=subjects.values("pk"), **_range("visited_at", month.start, month.end)
        )
        .values("subject__community_id")
        .annotate(
            n=Count("pk"),
            n_on_time=Count("pk", filter=Q(on_time=True)),
            n_late=Count("pk", filter=Q(on_time=False)),
        )
        .order_by()
    )
    for r in visits:
        target = row(r["subject__community_id"])
        target.visits, target.on_time, target.late = r["n"], r["n_on_time"], r["n_late"]
    overdue_clock = Deadline.objects.filter(
        kind=VISIT_CLOCK,
        subject_id=OuterRef("pk"),
        started_at__lt=cut,
        due_at__lt=cut,
    ).filter(
        Q(met_at__isnull=True) | Q(met_at__gt=cut), Q(ended_at__isnull=True) | Q(ended_at__gt=cut)
    )
    overdue = (
        subjects.filter(Exists(overdue_clock))
        .values("community_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for r in overdue:
        row(r["community_id"]).overdue = r["n"]
    first, last = month.start.date(), (month.end - timedelta(days=1)).date()
    aids = (
        CareAid.objects.filter(subject__in=subjects.values("pk"), given_on__range=(first, last))
        .values("subject__community_id")
        .annotate(n=Count("pk"), amount=Sum("amount"))
        .order_by()
    )
    for r in aids:
        target = row(r["subject__community_id"])
        target.aids, target.amount = r["n"], Decimal(r["amount"] or 0).quantize(CENTS)
    names = dict(Area.objects.filter(pk__in=rows).values_list("pk", "name"))
    paths = dict(Area.objects.filter(pk__in=rows).values_list("pk", "path"))
    ordered = sorted(rows.values(), key=lambda r: paths.get(r.community_id, ""))
    kinds = list(CareKind.choices)
    for r in ordered:
        r.name = names.get(r.community_id, "")
        r.by_kind = {k: r.by_kind.get(k, 0) for k, _label in kinds}
    total = CareRow(None, _("合计"))
    total.by_kind = {k: sum(r.by_kind[k] for r in ordered) for k, _label in kinds}
    for attr in ("subjects", "visits", "on_time", "late", "overdue", "aids", "amount"):
        setattr(total, attr, sum((getattr(r, attr) for r in ordered), type(getattr(total, attr))()))
    return CareFigures(kinds=kinds, communities=ordered, total=total)


def _range(column: str, start: datetime, end: datetime) -> dict:
    return {f"{column}__gte": start, f"{column}__lt": end}


# --- 培训 / training (issue 18): its own section, read live ----------------------------------

TRAINING_PEOPLE_MAX = 50  # rows of the per-person list shown; the section says how many


@dataclass(frozen=True)
class TrainingUnitRow:
    """One unit's training in a month (or the scope's total): sessions it organised,
    its people trained (distinct persons with a login), 人次 (attendances plus headcounts)
    and 学时 (each session's hours × its attendees of the unit)."""

    unit_id: int | None
    name: str
    organised: int = 0
    people: int = 0
    attendances: int = 0
    hours: Decimal = Decimal("0.00")

    def as_dict(self) -> dict:
        return {
            "unit_id": self.unit_id,
            "unit": self.name,
            "sessions_organised": self.organised,
            "people": self.people,
            "attendances": self.attendances,
            "hours": self.hours,
        }


@dataclass(frozen=True)
class TrainingPersonRow:
    """One person's training in a month, at one unit: sessions attended and their hours."""

    user_id: int
    name: str
    unit: str
    sessions: int
    hours: Decimal


@dataclass(frozen=True)
class TrainingSection:
    sessions: int  # sessions held in the scope's areas in the month
    session_hours: Decimal  # their hours, each once
    units: list[TrainingUnitRow]
    total: TrainingUnitRow
    people: list[TrainingPersonRow]  # at most TRAINING_PEOPLE_MAX
    people_count: int


def _areas_under(scope: Scope, field: str) -> Q:
    """``field`` (an area path) in the scope: under its street when one is chosen, else
    under one of its areas."""
    areas = [scope.street] if scope.street is not None else list(scope.areas)
    return reduce(or_, (Q(**{f"{field}__startswith": a.path}) for a in areas))


def training_figures(*, scope: Scope, month: Month) -> TrainingSection:
    """培训 for the month (a session counts in the month of its date, Asia/Shanghai):
    sessions held for an area of the scope, and per unit of the scope (by the unit's own
    area, wherever the session was held) the sessions it organised, its people trained,
    人次 and 学时 = Σ session hours × attendees (people marked attended, plus the unit's
    headcount of people without a login); per person the sessions attended and their
    hours. Database aggregates, five queries (docs/REPORTS.md, "培训 / Training")."""
    following = month.shifted(1)
    first, after = date(month.year, month.month, 1), date(following.year, following.month, 1)
    in_month_q = Q(session__date__gte=first, session__date__lt=after)
    held = TrainingSession.objects.filter(
        _areas_under(scope, "area__path"), date__gte=first, date__lt=after
    ).aggregate(n=Count("pk"), hours=Sum("hours"))
    hours_field = DecimalField(max_digits=14, decimal_places=2)
    attended = {
        r["unit_id"]: r
        for r in Attendance.objects.filter(
            in_month_q, _areas_under(scope, "unit__area__path"), status=Attendance.Status.ATTENDED
        )
        .values("unit_id")
        .annotate(
            people=Count("user_id", distinct=True), n=Count("pk"), hours=Sum("session__hours")
        )
        .order_by()
    }
    counted = {
        r["unit_id"]: r
        for r in UnitHeadcount.objects.filter(in_month_q, _areas_under(scope, "unit__area__path"))
        .values("unit_id")
        .annotate(
            n=Sum("count"),
            hours=Sum(
                ExpressionWrapper(F("count") * F("session__hours"), output_field=hours_field)
            ),
        )
        .order_by()
    }
    organised = dict(
        TrainingSession.objects.filter(
            _areas_under(scope, "organizer__area__path"), date__gte=first, date__lt=after
        )
        .values("organizer_id")
        .annotate(n=Count("pk"))
        .order_by()
        .values_list("organizer_id", "n")
    )
    zero = Decimal("0.00")
    ids = set(attended) | set(counted) | set(organised)
    units = []
    for unit in Unit.objects.filter(pk__in=ids).order_by("area__path", "name") if ids else []:
        a, c = attended.get(unit.pk, {}), counted.get(unit.pk, {})
        units.append(
            TrainingUnitRow(
                unit.pk,
                unit.name,
                organised=organised.get(unit.pk, 0),
                people=a.get("people", 0),
                attendances=a.get("n", 0) + (c.get("n") or 0),
                hours=((a.get("hours") or zero) + (c.get("hours") or zero)).quantize(zero),
            )
        )
    person_rows = list(
        Attendance.objects.filter(
            in_month_q, _areas_under(scope, "unit__area__path"), status=Attendance.Status.ATTENDED
        )
        .values("user_id", "user__username", "user__last_name", "user__first_name", "unit__name")
        .annotate(sessions=Count("pk"), hours=Sum("session__hours"))
        .order_by("-hours", "unit__name", "user_id")
    )
    people = [
        TrainingPersonRow(
            r["user_id"],
            f"{r['user__last_name']}{r['user__first_name']}".strip() or r["user__username"],
            r["unit__name"],
            r["sessions"],
            (r["hours"] or zero).quantize(zero),
        )
        for r in person_rows[:TRAINING_PEOPLE_MAX]
    ]
    total = TrainingUnitRow(
        None,
        _("合计"),
        organised=sum(r.organised for r in units),
        people=len({r["user_id"] for r in person_rows}),
        attendances=sum(r.attendances for r in units),
        hours=sum((r.hours for r in units), zero).quantize(zero),
    )
    return TrainingSection(
        sessions=held["n"],
        session_hours=(held["hours"] or zero).quantize(zero),
        units=units,
        total=total,
        people=people,
        people_count=len(person_rows),
    )
