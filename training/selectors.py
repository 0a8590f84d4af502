"""Reads about training: whose sessions a user may see or record, the units and people
a session's attendance may name, and a person's own training."""

from __future__ import annotations

import re
from datetime import date
from functools import reduce
from operator import or_

from django.db.models import Q, QuerySet

from dispatch.models import Area, Membership, Role, Unit
from dispatch.selectors import memberships_of

from .models import Attendance, TrainingSession

MONTH_RE = re.compile(r"^([0-9]{4})-([0-9]{2})$")


def month_bounds(text: str) -> tuple[date, date] | None:
    """``"2026-11"`` → (2026-11-01, 2026-12-01): a month's dates (Asia/Shanghai, as a
    session's date is); None when the text is not a month of 2000–2100."""
    m = MONTH_RE.match(text)
    if not m or not (2000 <= int(m[1]) <= 2100 and 1 <= int(m[2]) <= 12):
        return None
    year, month = int(m[1]), int(m[2])
    return date(year, month, 1), date(year + month // 12, month % 12 + 1, 1)


# The street center's members who record its training (派单员、中心负责人).
CENTER_RECORDER_ROLES = (Role.DISPATCHER, Role.UNIT_HEAD)


def recording_areas(user) -> list[Area]:
    """The areas whose sessions ``user`` may record (each with everything below it): the
    street of a street center where it is a dispatcher or head, the jurisdiction of a
    supervision unit where it is a supervisor; every top area for a superuser."""
    if not getattr(user, "is_authenticated", False):
        return []
    if user.is_superuser:
        return list(Area.objects.filter(parent__isnull=True))
    areas = {}
    for m in memberships_of(user):
        center = m.unit.kind == Unit.Kind.STREET_CENTER and m.role in CENTER_RECORDER_ROLES
        if center or m.role == Role.SUPERVISOR:
            areas[m.unit.area_id] = m.unit.area
    return list(areas.values())


def under(areas: list[Area], field: str = "path") -> Q:
    """A filter: the ``field`` (an area path) lies in one of ``areas`` or below it."""
    if not areas:
        return Q(pk__in=[])
    return reduce(or_, (Q(**{f"{field}__startswith": a.path}) for a in areas))


def can_record(user) -> bool:
    return bool(recording_areas(user))


def may_record_in(user, area: Area) -> bool:
    """Whether ``user`` may record a session for ``area``."""
    return any(area.path.startswith(a.path) for a in recording_areas(user))


def sessions_visible_to(user) -> QuerySet[TrainingSession]:
    """The one scoping path: the sessions of the areas ``user`` records or supervises,
    and those on whose attendance list ``user`` is (attended or absent)."""
    if not getattr(user, "is_authenticated", False):
        return TrainingSession.objects.none()
    mine = Q(pk__in=Attendance.objects.filter(user=user).values("session_id"))
    return TrainingSession.objects.filter(under(recording_areas(user), "area__path") | mine)


def units_in(area: Area) -> QuerySet[Unit]:
    """The active units of ``area`` and below: those whose people a session for it trains
    (the attendee picker, the headcounts)."""
    return Unit.objects.filter(area__path__startswith=area.path, is_active=True)


def organizer_units(user) -> QuerySet[Unit]:
    """The units ``user`` may name as a session's organiser: those of its recording areas."""
    return Unit.objects.filter(under(recording_areas(user), "area__path"), is_active=True)


def attendee_memberships(area: Area) -> QuerySet[Membership]:
    """Who may be on the list of a session for ``area``: the active people of its units,
    one row per (unit, person), whatever their role."""
    return (
        Membership.objects.filter(
            unit__area__path__startswith=area.path, unit__is_active=True, user__is_active=True
        )
        .select_related("unit", "user")
        .order_by(
            "unit__area__path", "unit__name", "user__last_name", "user__first_name", "user_id"
        )
    )


def attendances_of(user) -> QuerySet[Attendance]:
    """A person's own training (我的培训), newest first."""
    return (
        Attendance.objects.filter(user=user)
        .select_related("session__organizer", "session__area", "unit")
        .order_by("-session__date", "-session__start_time", "-session_id")
    )
