"""The map (``/map/``, ``/api/v1/map/``; docs/MAP.md): where the orders of a scope are,
by state and colour grade, and how many each community has.

Who sees what is the reports' rule widened to the street centers: a supervisor its
jurisdiction, a street center's dispatcher its street; anyone else is refused
(``Forbidden``), a street outside the scope is ``NotFound``. The points are WGS-84 as
stored; the counts are database aggregates (one query), over every order of the scope
that matches the filters, with a point or not.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.db.models import Count, Q
from django.utils.translation import gettext as _

from dispatch.models import Area, Category, Role
from dispatch.selectors import memberships_of
from disputes.colours import Colour
from disputes.models import OPEN_STATES, Order, State
from shishi_mediation.errors import Forbidden

from .reports import Month, Scope, areas_scope, supervised_areas

# ``state`` filter values: each state, or every open one.
STATE_OPEN = "open"
STATE_FILTERS = (STATE_OPEN, *State.values)


def map_areas(user) -> list[Area]:
    """The areas whose orders the user may see on the map (each with all below it)."""
    areas = supervised_areas(user)
    for m in memberships_of(user):
        if m.role == Role.DISPATCHER and m.unit.area.level == Area.Level.STREET:
            areas.append(m.unit.area)
    return list({a.pk: a for a in areas}.values())


def can_view_map(user) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and bool(map_areas(user))


def map_scope(user, *, street_id: int | None = None) -> Scope:
    """``Forbidden`` unless a supervisor or a street center's dispatcher; ``NotFound``
    for a street outside the user's areas."""
    areas = map_areas(user)
    if not areas:
        raise Forbidden(_("只有督导员和街道调处中心可以查看地图。"))
    return areas_scope(areas, street_id=street_id)


@dataclass(frozen=True)
class MapFilters:
    month: Month | None = None  # reported in this Asia/Shanghai month
    category: Category | None = None
    state: str = ""  # a state, "open", or "" for all
    colour: str = ""

    def q(self) -> Q:
        q = Q()
        if self.month is not None:
            q &= Q(reported_at__gte=self.month.start, reported_at__lt=self.month.end)
        if self.category is not None:
            q &= Q(category_id=self.category.pk)
        if self.state == STATE_OPEN:
            q &= Q(state__in=OPEN_STATES)
        elif self.state:
            q &= Q(state=self.state)
        if self.colour:
            q &= Q(colour=self.colour)
        return q


def scope_communities(scope: Scope) -> list[Area]:
    whole, communities = scope.members()
    return list(
        Area.objects.filter(level=Area.Level.COMMUNITY)
        .filter(Q(parent_id__in=whole) | Q(pk__in=communities))
        .select_related("parent")
        .order_by("path")
    )


@dataclass(frozen=True)
class CommunityCount:
    id: int
    name: str
    path: str
    street: str
    total: int
    open: int
    red: int
    located: int

    def as_dict(self) -> dict:
        return dict(self.__dict__)


def community_counts(scope: Scope, filters: MapFilters) -> list[CommunityCount]:
    """Every community of the scope with its orders matching the filters: all of them,
    the open ones, the red ones and those with a point. One aggregate query (plus the
    communities)."""
    rows = {
        r["community_id"]: r
        for r in Order.objects.filter(scope.orders_q(), filters.q())
        .values("community_id")
        .annotate(
            total=Count("id"),
            open=Count("id", filter=Q(state__in=OPEN_STATES)),
            red=Count("id", filter=Q(colour=Colour.RED)),
            located=Count("id", filter=Q(latitude__isnull=False)),
        )
        .order_by()
    }
    empty = {"total": 0, "open": 0, "red": 0, "located": 0}
    return [
        CommunityCount(
            id=c.pk,
            name=c.name,
            path=c.path,
            street=c.parent.name if c.parent else "",
            **{k: rows.get(c.pk, empty)[k] for k in empty},
        )
        for c in scope_communities(scope)
    ]


def order_features(scope: Scope, filters: MapFilters, *, limit: int | None = None) -> list[dict]:
    """The newest ``limit`` (``MAP_MAX_FEATURES``) orders with a point, as GeoJSON points
    (``[lng, lat]``, WGS-84). One query; the caller knows from the counts how many
    there are in all."""
    limit = limit or settings.MAP_MAX_FEATURES
    rows = (
        Order.objects.filter(scope.orders_q(), filters.q(), latitude__isnull=False)
        .order_by("-reported_at", "-id")
        .values(
            "id",
            "number",
            "title",
            "state",
            "colour",
            "latitude",
            "longitude",
            "community_id",
            "reported_at",
            "category__code",
            "category__name",
        )[:limit]
    )
    states, colours = dict(State.choices), dict(Colour.choices)
    return [
        {
            "type": "Feature",
            "id": r["id"],
            "geometry": {
                "type": "Point",
                "coordinates": [float(r["longitude"]), float(r["latitude"])],
            },
            "properties": {
                "number": r["number"],
                "title": r["title"],
                "state": r["state"],
                "state_label": str(states.get(r["state"], r["state"])),
                "open": r["state"] in OPEN_STATES,
                "colour": r["colour"],
                "colour_label": str(colours.get(r["colour"], r["colour"])),
                "category": r["category__code"],
                "category_name": r["category__name"],
                "community": r["community_id"],
                "reported_at": r["reported_at"].isoformat(),
            },
        }
        for r in rows
    ]


def map_data(scope: Scope, filters: MapFilters) -> dict:
    """The map endpoint's body: a GeoJSON FeatureCollection of the orders with a point,
    with the per-community counts and how many points were left out (``truncated``)."""
    counts = community_counts(scope, filters)
    limit = settings.MAP_MAX_FEATURES
    features = order_features(scope, filters, limit=limit)
    located = sum(c.located for c in counts)
    return {
        "type": "FeatureCollection",
        "features": features,
        "scope": scope.name,
        "total": sum(c.total for c in counts),
        "located": located,
        "limit": limit,
        "truncated": located > len(features),
        "communities": [c.as_dict() for c in counts],
    }
