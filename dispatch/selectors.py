"""Reads about units, memberships and routing."""

from django.db.models import Q, QuerySet

from .models import Area, Membership, Role, RoutingRule, Unit


def memberships_of(user) -> list[Membership]:
    """The user's memberships with their units and areas, loaded once per user object."""
    if not getattr(user, "is_authenticated", False):
        return []
    cached = getattr(user, "_memberships_cache", None)
    if cached is None:
        cached = list(
            Membership.objects.filter(user=user, unit__is_active=True).select_related("unit__area")
        )
        user._memberships_cache = cached
    return cached


def units_with_role(user, *roles: str) -> list[Unit]:
    return [m.unit for m in memberships_of(user) if m.role in roles]


def has_role(user, *roles: str) -> bool:
    return any(m.role in roles for m in memberships_of(user))


def area_ancestor_paths(area: Area) -> list[str]:
    """ "SS/HB/ZK/" → ["SS/", "SS/HB/", "SS/HB/ZK/"]."""
    parts = area.path.strip("/").split("/")
    return ["/".join(parts[: i + 1]) + "/" for i in range(len(parts))]


def suggested_units(*, category_id: int, community: Area) -> list[Unit]:
    """Units whose routing rules fit the category and the community, best first.

    A rule on a community beats one on its street, which beats one on the city; within
    one area the lower rank comes first.
    """
    rules = RoutingRule.objects.filter(
        category_id=category_id,
        area__path__in=area_ancestor_paths(community),
        unit__is_active=True,
    ).select_related("unit", "area")
    seen: dict[int, Unit] = {}
    for rule in sorted(rules, key=lambda r: (-len(r.area.path), r.rank)):
        seen.setdefault(rule.unit_id, rule.unit)
    return list(seen.values())


def units_serving(*streets: Area) -> QuerySet[Unit]:
    """The units a street's orders may be sent to (lead or assisting): active, not a
    supervision unit, and city-wide, the street's own or one of its communities'. With
    several streets, the units serving any of them."""
    scope = Q(pk__in=[])
    for street in streets:
        scope |= Q(area__path__in=area_ancestor_paths(street)) | Q(
            area__path__startswith=street.path
        )
    return Unit.objects.filter(scope, is_active=True).exclude(kind=Unit.Kind.SUPERVISION)


def dispatchers_of_street(street_id: int) -> QuerySet[Membership]:
    return Membership.objects.filter(
        role=Role.DISPATCHER, unit__area_id=street_id, unit__kind=Unit.Kind.STREET_CENTER
    )
