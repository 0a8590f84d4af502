"""The per-case subsidy (以案定补): a monthly statement per mediation committee director.

A case is an order in the supervisor's scope, closed in the month (Asia/Shanghai) with
the outcome "mediated", whose lead unit at closing is a mediation committee; each order
counts once. It is paid at the ``SubsidyTier`` of its grade in force on its closing
date. The director is the committee's unit head. Amounts and counts are database
aggregates; Python multiplies and adds up the aggregated lines.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from functools import reduce
from operator import or_

from django.db.models import Case as DbCase
from django.db.models import Count, DecimalField, F, OuterRef, Q, Subquery, When
from django.db.models.functions import TruncDate
from django.utils.translation import gettext as _

from dispatch.models import Membership, Role, Unit
from disputes.models import Grade, Order, Outcome
from shishi_mediation.text import SHANGHAI, display_name

from .models import SubsidyTier
from .reports import Month, Scope, in_month

GRADE_ORDER = {grade: i for i, grade in enumerate(Grade.values)}
CENT = Decimal("0.01")


def _yuan(amount: Decimal | None) -> Decimal | None:
    """Amounts to the cent (SQLite hands back ``Decimal("50")`` for 50.00)."""
    return None if amount is None else amount.quantize(CENT)


class Graded:
    grade: str

    @property
    def grade_label(self) -> str:
        """The grade's name (简易/一般/…); an unknown stored value as it is."""
        return Grade(self.grade).label if self.grade in Grade.values else self.grade


@dataclass
class StatementLine(Graded):
    """Cases of one grade paid at one rate (a tier change mid-month makes two lines)."""

    grade: str
    amount: Decimal | None  # None: no tier in force for this grade on the closing date
    cases: int

    @property
    def subtotal(self) -> Decimal | None:
        return None if self.amount is None else self.amount * self.cases


@dataclass
class Case(Graded):
    order_id: int
    number: str
    title: str
    closed_at: datetime
    grade: str
    amount: Decimal | None
    proposed_grade: str = ""  # the closer's; differs from ``grade`` when the center changed it

    @property
    def grade_changed(self) -> bool:
        return bool(self.proposed_grade) and self.proposed_grade != self.grade

    @property
    def proposed_grade_label(self) -> str:
        g = self.proposed_grade
        return Grade(g).label if g in Grade.values else g


@dataclass
class Statement:
    """One mediation committee's month: its director(s), lines by grade, and total."""

    committee_id: int
    committee: str
    directors: list[str]
    lines: list[StatementLine] = field(default_factory=list)
    cases: list[Case] = field(default_factory=list)
    # Closed in the month, mediated, the grade not yet confirmed: not paid.
    awaiting_review: int = 0

    @property
    def director(self) -> str:
        return "、".join(self.directors) or _("（未设主任）")

    @property
    def total_cases(self) -> int:
        return sum(line.cases for line in self.lines)

    @property
    def total_amount(self) -> Decimal:
        return sum((line.subtotal or Decimal("0.00") for line in self.lines), Decimal("0.00"))

    @property
    def unpriced_cases(self) -> int:
        """Cases whose grade had no tier in force on the closing date (paid nothing)."""
        return sum(line.cases for line in self.lines if line.amount is None)


@dataclass
class SubsidyReport:
    month: Month
    scope: Scope
    statements: list[Statement]
    tiers: list[SubsidyTier]  # every tier in force at some moment of the month

    @property
    def paid_statements(self) -> list[Statement]:
        """The committees with a paid case this month: what the page and its print list."""
        return [s for s in self.statements if s.lines]

    @property
    def idle_committees(self) -> int:
        """How many committees of the scope had no paid case (named only in the exports)."""
        return sum(1 for s in self.statements if not s.lines)

    @property
    def total_cases(self) -> int:
        return sum(s.total_cases for s in self.statements)

    @property
    def total_amount(self) -> Decimal:
        return sum((s.total_amount for s in self.statements), Decimal("0.00"))

    @property
    def unpriced_cases(self) -> int:
        return sum(s.unpriced_cases for s in self.statements)

    @property
    def awaiting_review(self) -> int:
        """Cases of the month whose grade is not confirmed yet (not paid)."""
        return sum(s.awaiting_review for s in self.statements)


def tier_amount_on(grade_ref, date_ref) -> Subquery:
    """The amount of the tier of ``grade_ref`` in force on ``date_ref`` (outer refs)."""
    return Subquery(
        SubsidyTier.objects.filter(grade=grade_ref, effective_from__lte=date_ref)
        .order_by("-effective_from")
        .values("amount")[:1],
        output_field=DecimalField(max_digits=10, decimal_places=2),
    )


def _committee_cases(scope: Scope, month: Month):
    """The month's mediated cases the subsidy is for, with their ``committee``: cases a
    mediation committee led, and disputes settled on the spot (就地化解) by a member of
    one (its reporter's unit, the committee that took part; a simple case). Settled on
    the spot by anyone else, a case is not the committees'."""
    committee = Unit.Kind.MEDIATION_COMMITTEE
    return (
        Order.objects.filter(
            scope.orders_q() & in_month("closed_at", month),
            Q(on_the_spot=False, lead_unit__kind=committee)
            | Q(on_the_spot=True, reporter_unit__kind=committee),
            outcome=Outcome.MEDIATED,
        )
        .annotate(
            committee=DbCase(
                When(on_the_spot=True, then=F("reporter_unit_id")), default=F("lead_unit_id")
            )
        )
        .order_by()
    )


def subsidy_cases(scope: Scope, month: Month):
    """The month's paid cases (``_committee_cases``) with their closing date and rate:
    only grades the street center confirmed are paid (等级审核; a queryset)."""
    return (
        _committee_cases(scope, month)
        .filter(grade_confirmed_at__isnull=False)
        .annotate(closed_on=TruncDate("closed_at", tzinfo=SHANGHAI))
        .annotate(amount=tier_amount_on(OuterRef("grade"), OuterRef("closed_on")))
    )


def awaiting_review(scope: Scope, month: Month) -> dict[int, int]:
    """Per committee, the month's cases whose proposed grade the center has not
    confirmed yet: not paid (yet), counted beside the statement."""
    rows = (
        _committee_cases(scope, month)
        .filter(grade_confirmed_at__isnull=True)
        .values("committee")
        .annotate(n=Count("pk"))
    )
    return {r["committee"]: r["n"] for r in rows}


def tiers_in_force(month: Month) -> list[SubsidyTier]:
    """Per grade, the tier in force on the month's first day and any that start within
    the month (one query over the small tier table)."""
    first, last = month.start.date(), month.end.date()
    tiers = SubsidyTier.objects.filter(effective_from__lt=last).order_by("grade", "effective_from")
    by_grade: dict[str, list[SubsidyTier]] = {}
    for tier in tiers:
        kept = by_grade.setdefault(tier.grade, [])
        if kept and kept[-1].effective_from <= first and tier.effective_from <= first:
            kept.pop()  # superseded before the month began
        kept.append(tier)
    return sorted(
        (t for kept in by_grade.values() for t in kept),
        key=lambda t: (GRADE_ORDER.get(t.grade, 99), t.effective_from),
    )


def subsidy_statement(*, scope: Scope, month: Month) -> SubsidyReport:
    """Statements for every mediation committee in the scope (with or without cases) and
    any other committee that led a paid case (or one awaiting its grade review) there.
    Six queries."""
    cases = subsidy_cases(scope, month)
    lines = cases.values("committee", "grade", "amount").annotate(cases=Count("pk"))
    detail = cases.values(
        "pk", "number", "title", "closed_at", "grade", "proposed_grade", "amount", "committee"
    )
    awaiting = awaiting_review(scope, month)

    by_unit: dict[int, list[StatementLine]] = {}
    for line in lines:
        by_unit.setdefault(line["committee"], []).append(
            StatementLine(grade=line["grade"], amount=_yuan(line["amount"]), cases=line["cases"])
        )
    area_q = (
        Q(area__path__startswith=scope.street.path)
        if scope.street is not None
        else reduce(or_, (Q(area__path__startswith=a.path) for a in scope.areas))
    )
    committees = list(
        Unit.objects.filter(
            (Q(kind=Unit.Kind.MEDIATION_COMMITTEE, is_active=True) & area_q)
            | Q(pk__in=[*by_unit, *awaiting])
        ).order_by("area__path", "name")
    )
    directors: dict[int, list[str]] = {}
    for m in (
        Membership.objects.filter(unit__in=committees, role=Role.UNIT_HEAD)
        .select_related("user")
        .order_by("unit_id", "pk")
    ):
        directors.setdefault(m.unit_id, []).append(display_name(m.user))

    statements = {
        u.pk: Statement(
            committee_id=u.pk,
            committee=u.name,
            directors=directors.get(u.pk, []),
            lines=sorted(
                by_unit.get(u.pk, []),
                key=lambda ln: (GRADE_ORDER.get(ln.grade, 99), ln.amount is None, ln.amount),
            ),
            awaiting_review=awaiting.get(u.pk, 0),
        )
        for u in committees
    }
    for row in detail.order_by("committee", "closed_at", "pk"):
        statements[row["committee"]].cases.append(
            Case(
                order_id=row["pk"],
                number=row["number"],
                title=row["title"],
                closed_at=row["closed_at"],
                grade=row["grade"],
                amount=_yuan(row["amount"]),
                proposed_grade=row["proposed_grade"] or row["grade"],
            )
        )
    return SubsidyReport(
        month=month,
        scope=scope,
        statements=list(statements.values()),
        tiers=tiers_in_force(month),
    )
