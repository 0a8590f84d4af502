"""Publishing the monthly bulletin (通报) to the units, and what a unit reads of it.

A supervisor publishes an ended month's bulletin of its jurisdiction (or of one street)
from the bulletin page; the beat task publishes the city's on the 1st of each month for
the month before. Either way ``bulletin_publish`` freezes each unit's row as it stands
(``BulletinStanding``) and tells the unit's members in their inbox, exactly once per
(month, area): publishing again changes nothing and tells nobody. A unit member reads
only its own unit's rows (``standings_of``). See docs/REPORTS.md, "Publishing the
bulletin"."""

from __future__ import annotations

import logging
from datetime import date, datetime

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from dispatch.models import Area, Membership, Role, Unit
from dispatch.selectors import memberships_of
from notifications.services import notify_rows
from shishi_mediation.errors import Conflict, InvalidInput

from .models import BulletinIssue, BulletinStanding
from .reports import Month, Scope, areas_scope, monthly_report

log = logging.getLogger(__name__)

# The members of a unit who read its standing and are told when a bulletin is out: the
# people whose work it assesses (the center's dispatchers, each unit's handlers and head).
STANDING_ROLES = (Role.UNIT_HEAD, Role.HANDLER, Role.DISPATCHER)
NOTICE_KIND = "bulletin"


def month_date(month: Month) -> date:
    return date(month.year, month.month, 1)


def month_of_date(day: date) -> Month:
    return Month(day.year, day.month)


def publishing_area(scope: Scope) -> Area:
    """The one area a bulletin of ``scope`` is published for: its street when one is
    chosen, else its jurisdiction when that is one area. ``InvalidInput`` (street) for a
    jurisdiction of several areas, whose bulletin is published street by street."""
    if scope.street is not None:
        return scope.street
    if len(scope.areas) == 1:
        return scope.areas[0]
    raise InvalidInput({"street": [_("您的管辖范围包含多个区域，请选择一个街道后发布。")]})


def rank_text(*, rank: int | None, ranked_units: int, min_cases: int) -> str:
    """ "第2名（共5个单位参与排名）" or "未排名（案件数不足5件）"."""
    if rank is None:
        return _("未排名（案件数不足%(n)d件）") % {"n": min_cases}
    return _("第%(rank)d名（共%(n)d个单位参与排名）") % {"rank": rank, "n": ranked_units}


def bulletin_publish(
    *, area: Area, month: Month, actor=None, now: datetime
) -> tuple[BulletinIssue, bool]:
    """Publish ``month``'s bulletin of ``area`` (a city or a street): freeze each unit's
    row and rank, and write one inbox notice to each member of each unit listed (in
    ``STANDING_ROLES``). Called by a supervisor of the area (the bulletin page checks
    the jurisdiction) or by the beat task (``actor`` None). Only an ended month
    (``Conflict`` otherwise). The units are those the bulletin's ranking lists (every
    unit with a score in the month; a unit with nothing to score has no row). Once per
    (month, area): when it was published before, returns that issue and False, and
    nobody is told again."""
    if month >= Month.containing(now):
        raise Conflict(_("本月尚未结束，不能发布通报。"))
    existing = BulletinIssue.objects.filter(month=month_date(month), area=area).first()
    if existing is not None:
        return existing, False
    report = monthly_report(scope=areas_scope([area]), month=month, now=now)
    min_cases = settings.RANKING_MIN_CASES
    with transaction.atomic():
        issue, created = BulletinIssue.objects.get_or_create(
            month=month_date(month),
            area=area,
            defaults={
                "published_at": now,
                "published_by": actor,
                "ranked_units": sum(1 for r in report.ranking if r.ranked),
                "listed_units": len(report.ranking),
                "min_cases": min_cases,
            },
        )
        if not created:  # a concurrent publisher won: it told everyone
            return issue, False
        standings = BulletinStanding.objects.bulk_create(
            BulletinStanding(
                issue=issue,
                unit_id=r.row.id,
                rank=r.rank,
                cases=r.cases,
                score=r.score,
                fair_score=r.fair_score,
                figures=r.row.as_dict(),
            )
            for r in report.ranking
        )
        _tell_units(issue, standings, month=month, now=now)
    log.info("bulletin %s published to %d units", issue, len(standings))
    return issue, True


def _tell_units(
    issue: BulletinIssue, standings: list[BulletinStanding], *, month: Month, now: datetime
) -> int:
    """One inbox notice per (member, unit) of the issue, in one insert."""
    by_unit = {s.unit_id: s for s in standings}
    members = (
        Membership.objects.filter(
            unit_id__in=by_unit, role__in=STANDING_ROLES, user__is_active=True
        )
        .values_list("user_id", "unit_id", "unit__name")
        .distinct()
        .order_by("unit_id", "user_id")
    )
    subject = _("%(month)s考核通报已发布") % {"month": month.label}
    rows, seen = [], set()
    for user_id, unit_id, unit_name in members:
        if (user_id, unit_id) in seen:
            continue
        seen.add((user_id, unit_id))
        s = by_unit[unit_id]
        body = _("%(unit)s：%(rank)s，案件%(cases)d件。请在“本单位通报”查看。") % {
            "unit": unit_name,
            "rank": rank_text(
                rank=s.rank, ranked_units=issue.ranked_units, min_cases=issue.min_cases
            ),
            "cases": s.cases,
        }
        rows.append((user_id, None, NOTICE_KIND, subject[:200], body, now))
    return notify_rows(rows, now=now) if rows else 0


def bulletins_publish_due(*, now: datetime) -> list[BulletinIssue]:
    """The beat task's work (the 1st of each month, 09:00 Asia/Shanghai): publish last
    month's bulletin of every city (top area) not yet published. Re-running it is
    harmless."""
    month = Month.containing(now).previous
    issues = []
    for city in Area.objects.filter(parent__isnull=True).order_by("path"):
        issue, created = bulletin_publish(area=city, month=month, now=now)
        if created:
            issues.append(issue)
    return issues


# --- what a unit reads -------------------------------------------------------------------


def standing_units(user) -> list[Unit]:
    """The units whose standing ``user`` reads: those of its memberships in
    ``STANDING_ROLES``."""
    units = {m.unit_id: m.unit for m in memberships_of(user) if m.role in STANDING_ROLES}
    return sorted(units.values(), key=lambda u: u.name)


def standings_of(user) -> QuerySet[BulletinStanding]:
    """The published rows of ``user``'s own units, newest month first: never another
    unit's."""
    return (
        BulletinStanding.objects.filter(unit__in=[u.pk for u in standing_units(user)])
        .select_related("issue__area", "unit")
        .order_by("-issue__month", "unit__name", "issue__area__path")
    )
