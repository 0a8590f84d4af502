"""Who sees which hazards and screening visits, and who may act on a hazard."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from dispatch.models import Area, Role, Unit
from dispatch.selectors import memberships_of
from disputes.clocks import Clock
from disputes.selectors import (  # noqa: F401 - can_report re-exported
    HANDLER_ROLES,
    can_report,
    reporter_units,
)
from notifications.levels import urgency as level_urgency

from .models import Hazard, HazardCategory, HazardPhoto, HazardRoute, ScreeningVisit

# Whoever may report an order (``disputes.selectors.can_report``: grid workers, community
# police, street cadres; not supervisors, leaders or volunteers) reports hazards and logs
# screening visits.


def reporting_unit(user) -> Unit | None:
    """The unit a report or screening is counted for: the user's first reporting unit."""
    units = reporter_units(user)
    return units[0] if units else None


def department_unit_ids(user) -> set[int]:
    """Units the user acts for as a handler or head."""
    return {m.unit_id for m in memberships_of(user) if m.role in HANDLER_ROLES}


def center_street_ids(user) -> set[int]:
    """Streets whose center the user works in (dispatcher, handler or head)."""
    return {
        m.unit.area_id
        for m in memberships_of(user)
        if m.unit.kind == Unit.Kind.STREET_CENTER and m.role in (Role.DISPATCHER, *HANDLER_ROLES)
    }


def jurisdiction_paths(user) -> list[str]:
    return [m.unit.area.path for m in memberships_of(user) if m.role == Role.SUPERVISOR]


def hazards_visible_to(user) -> QuerySet[Hazard]:
    """The reporter, the responsible department's handlers and heads, the street center
    and the supervisors of the jurisdiction; everything for a superuser."""
    if not getattr(user, "is_authenticated", False):
        return Hazard.objects.none()
    if user.is_superuser:
        return Hazard.objects.all()
    q = Q(reporter_id=user.pk)
    departments = department_unit_ids(user)
    if departments:
        q |= Q(department_id__in=departments)
    streets = center_street_ids(user)
    if streets:
        q |= Q(street_id__in=streets)
    for path in jurisdiction_paths(user):
        q |= Q(community__path__startswith=path)
    return Hazard.objects.filter(q)


def may_close(user, hazard: Hazard) -> bool:
    """The responsible department (handler or head) or the street's center."""
    if getattr(user, "is_superuser", False):
        return True
    return hazard.department_id in department_unit_ids(user) or (
        hazard.street_id in center_street_ids(user)
    )


def may_acknowledge(user, hazard: Hazard) -> bool:
    """Only the responsible department takes a hazard in hand."""
    if getattr(user, "is_superuser", False):
        return True
    return hazard.department_id in department_unit_ids(user)


def hazard_actions(user, hazard: Hazard) -> set[str]:
    """What the user may do to the hazard now (buttons and the API's ``actions``)."""
    if not hazard.is_open:
        return set()
    found = set()
    if may_close(user, hazard):
        found |= {"close", "reject"}
    if hazard.state == "reported" and may_acknowledge(user, hazard):
        found.add("acknowledge")
    return found


def photo_for(user, photo_id: int) -> HazardPhoto:
    """A photo of a hazard the user sees; ``HazardPhoto.DoesNotExist`` otherwise."""
    return HazardPhoto.objects.select_related("hazard").get(
        pk=photo_id, hazard__in=hazards_visible_to(user)
    )


def screenings_visible_to(user) -> QuerySet[ScreeningVisit]:
    """The officer, its unit's handlers and heads, the street center and the supervisors
    of the jurisdiction; everything for a superuser."""
    if not getattr(user, "is_authenticated", False):
        return ScreeningVisit.objects.none()
    if user.is_superuser:
        return ScreeningVisit.objects.all()
    q = Q(officer_id=user.pk)
    units = department_unit_ids(user)
    if units:
        q |= Q(unit_id__in=units)
    streets = center_street_ids(user)
    if streets:
        q |= Q(street_id__in=streets)
    for path in jurisdiction_paths(user):
        q |= Q(community__path__startswith=path)
    return ScreeningVisit.objects.filter(q)


def responsible_department(category: HazardCategory, community: Area) -> Unit:
    """The street's route for the category, else the category's department."""
    route = (
        HazardRoute.objects.filter(category=category, street_id=community.parent_id)
        .select_related("department")
        .first()
    )
    return route.department if route else category.department


def communities_for(user) -> QuerySet[Area]:
    """Communities a reporter may name: all of them (a city unit reports anywhere)."""
    return Area.objects.filter(level=Area.Level.COMMUNITY).select_related("parent")


def open_overdue_q(now) -> Q:
    """Open hazards past their due time."""
    return Q(state__in=("reported", "rectifying"), due_at__lt=now)


def urgency(hazard: Hazard, now) -> str:
    """ "ok", "warning" (80% of the limit gone) or "overdue", as the sweep raises them;
    "" once closed."""
    if not hazard.is_open:
        return ""
    return level_urgency(due=hazard.due_at, limit=hazard.due_at - hazard.reported_at, now=now)


def hazard_clock(hazard: Hazard, now) -> Clock | None:
    """The rectification countdown as the order pages show theirs (``{% clock %}``)."""
    if not hazard.is_open:
        return None
    return Clock(
        stage="hazard_fix",
        label=_("整改期限"),
        due=hazard.due_at,
        limit=hazard.due_at - hazard.reported_at,
        urgency=urgency(hazard, now),
        remaining=hazard.due_at - now,
    )
