"""The incident desk (警情工作台): the command room's page of each day's police incidents,
the non-police share, and pushing an incident to the community's officer as an order.

Who sees which incidents (``desk_scope``), the one scoping path of the desk's page, the
incident's page, the API and the order page's incident list:

* a non-supervisor member of a police-station unit (``incidents.incident_units``) sees
  the incidents of its unit's area and of the areas it covers: a street's station those
  of its street and its communities; the city bureau's command room, whose area is the
  city, all of them. It may push or link those;
* a supervisor reads those of its jurisdiction (its unit's area and below), never acts;
* a superuser reads all, never acts (it reports nothing);
* anyone else has no desk (403 on the page) and sees no incident (404).

Pushing (``incident_push``) reports an order from the incident through ``order_report``
(source 警情, the category chosen by the person, required when the type has none) and
dispatches it at once to ``police_station_for(community)`` through
``order_dispatch_incident``; linking (``incident_link``) points the incident at an order
already there. Either is once per incident: the incident row is locked and claimed by a
conditional UPDATE (``order IS NULL``), so a second push is a ``Conflict`` (409) even when
two arrive together. ``Incident.order`` is the link, both ways; the order's timeline
gets an ``incident_linked`` event naming the incident.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from dispatch.models import Area, Category, Role, Unit
from dispatch.selectors import memberships_of
from shishi_mediation.errors import Conflict, Forbidden, InvalidInput, NotFound
from shishi_mediation.text import SHANGHAI, local_iso
from shishi_mediation.validators import validate_phone

from .events import record_event
from .incidents import normalise_phone, order_input, police_station_for, well_formed_number
from .models import EventKind, Incident, Order, State
from .selectors import orders_visible_to
from .services import order_dispatch_incident, order_report

# --- scope ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class DeskScope:
    """The area paths whose incidents a user reads (``None``: all) and those in which it
    may push or link (each with the police unit it acts for)."""

    read_paths: tuple[str, ...] | None
    act_units: tuple[tuple[str, Unit], ...]

    @property
    def may_act(self) -> bool:
        return bool(self.act_units)

    def q(self, prefix: str = "") -> Q:
        """A filter on incidents (``prefix=""``) or on orders (``"community__"`` is the
        same path through ``Order.community``) in the read scope."""
        if self.read_paths is None:
            return Q()
        q = Q(pk__in=[])
        for path in self.read_paths:
            q |= Q(**{f"{prefix}community__path__startswith": path})
        return q

    def acting_unit(self, community: Area) -> Unit | None:
        """The police unit the user acts for on an incident in ``community``: the one
        nearest to it (a station before the city's command room), else None."""
        fits = [(path, unit) for path, unit in self.act_units if community.path.startswith(path)]
        return max(fits, key=lambda fit: len(fit[0]))[1] if fits else None


def desk_scope(user) -> DeskScope | None:
    """What the user's roles give it on the desk; None for no desk at all."""
    if not getattr(user, "is_authenticated", False):
        return None
    read: set[str] = set()
    act: list[tuple[str, Unit]] = []
    stations = []
    for m in memberships_of(user):
        if m.role == Role.SUPERVISOR:
            read.add(m.unit.area.path)
        elif m.unit.kind == Unit.Kind.POLICE_STATION:
            stations.append(m.unit)
    if stations:
        covered = Unit.covered_areas.through.objects.filter(unit__in=stations).values_list(
            "unit_id", "area__path"
        )
        paths_of: dict[int, set[str]] = {u.pk: {u.area.path} for u in stations}
        for unit_id, path in covered:
            paths_of[unit_id].add(path)
        for unit in stations:
            for path in sorted(paths_of[unit.pk]):
                act.append((path, unit))
                read.add(path)
    if user.is_superuser:
        return DeskScope(read_paths=None, act_units=tuple(act))
    if not read:
        return None
    return DeskScope(read_paths=tuple(sorted(read)), act_units=tuple(act))


def has_desk(user) -> bool:
    """Whether the user's roles give it the desk (``desk_scope`` is not None), without
    a query: for the navigation."""
    if not getattr(user, "is_authenticated", False):
        return False
    return user.is_superuser or any(
        m.role == Role.SUPERVISOR or m.unit.kind == Unit.Kind.POLICE_STATION
        for m in memberships_of(user)
    )


def incidents_visible_to(user) -> QuerySet[Incident]:
    scope = desk_scope(user)
    if scope is None:
        return Incident.objects.none()
    return Incident.objects.filter(scope.q())


def incident_for(user, number: str) -> Incident:
    """One incident the user may see, with its type, community and order; ``NotFound``
    otherwise (a malformed number too)."""
    number = well_formed_number(number)
    if number is None:
        raise NotFound()
    incident = (
        incidents_visible_to(user)
        .select_related("type__category", "community__parent", "order__lead_unit", "linked_by")
        .filter(number=number)
        .first()
    )
    if incident is None:
        raise NotFound()
    return incident


def may_act_on(user, incident: Incident) -> bool:
    scope = desk_scope(user)
    return scope is not None and scope.acting_unit(incident.community) is not None


# --- the day's list ----------------------------------------------------------------------------


@dataclass
class DeskFilters:
    """The desk's filters; empty values filter nothing. ``dispute`` and ``pushed`` are
    ``"yes"``/``"no"``; ``q`` matches number, summary or address, or the caller's phone
    exactly (after normalising)."""

    day: date | None = None
    type: str = ""
    community: int | None = None
    dispute: str = ""
    pushed: str = ""
    q: str = ""


def day_bounds(day: date) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time.min, tzinfo=SHANGHAI)
    return start, start + timedelta(days=1)


def month_bounds(day: date) -> tuple[datetime, datetime]:
    first = day.replace(day=1)
    days = calendar.monthrange(first.year, first.month)[1]
    start = datetime.combine(first, time.min, tzinfo=SHANGHAI)
    return start, start + timedelta(days=days)


def today(now: datetime | None = None) -> date:
    return timezone.localtime(now or timezone.now(), SHANGHAI).date()


def search_q(text: str) -> Q:
    text = (text or "").strip()[:64]
    if not text:
        return Q()
    q = Q(number__icontains=text) | Q(summary__icontains=text) | Q(address__icontains=text)
    # As the intake stores it (no spaces, no +86), and without the dashes people type.
    phone = normalise_phone(text).replace("-", "")
    try:
        validate_phone(phone)
    except ValidationError:
        return q
    return q | Q(caller_phone=phone)


def desk_filter(qs: QuerySet[Incident], f: DeskFilters) -> QuerySet[Incident]:
    if f.day is not None:
        since, until = day_bounds(f.day)
        qs = qs.filter(received_at__gte=since, received_at__lt=until)
    if f.type:
        qs = qs.filter(type__code=f.type)
    if f.community:
        qs = qs.filter(community_id=f.community)
    if f.dispute in ("yes", "no"):
        qs = qs.filter(type__is_dispute=f.dispute == "yes")
    if f.pushed in ("yes", "no"):
        qs = qs.filter(order__isnull=f.pushed == "no")
    if f.q:
        qs = qs.filter(search_q(f.q))
    return qs


def desk_incidents(user, f: DeskFilters) -> QuerySet[Incident]:
    """The user's incidents as filtered, newest received first, with what a row shows."""
    return desk_filter(incidents_visible_to(user), f).select_related(
        "type", "community", "order__lead_unit"
    )


# --- the figures -------------------------------------------------------------------------------


def share_counts(qs: QuerySet[Incident]) -> dict[str, Any]:
    """Incidents in ``qs``: ``total``, ``non_police`` (their type is not a police matter)
    and ``share`` (non_police / total, None for none). One aggregate query."""
    counts = qs.aggregate(
        total=Count("id"), non_police=Count("id", filter=Q(type__is_police_matter=False))
    )
    counts["share"] = counts["non_police"] / counts["total"] if counts["total"] else None
    counts["percent"] = f"{counts['share']:.1%}" if counts["share"] is not None else ""
    return counts


def desk_figures(user, *, day: date) -> dict[str, Any]:
    """The desk's figures for ``day`` (Asia/Shanghai) in the user's scope: the day's and
    its month's non-police share, and the day's incidents by community and by type."""
    scoped = incidents_visible_to(user)
    day_qs = desk_filter(scoped, DeskFilters(day=day))
    since, until = month_bounds(day)
    month_qs = scoped.filter(received_at__gte=since, received_at__lt=until)
    by_community = list(
        day_qs.values("community_id", "community__name")
        .annotate(n=Count("id"), pushed=Count("order_id"))
        .order_by("-n", "community__name")
    )
    by_type = list(
        day_qs.values("type__code", "type__name", "type__is_police_matter")
        .annotate(n=Count("id"), pushed=Count("order_id"))
        .order_by("-n", "type__code")
    )
    return {
        "day": share_counts(day_qs),
        "month": share_counts(month_qs),
        "by_community": by_community,
        "by_type": by_type,
    }


# --- pushing and linking ---------------------------------------------------------------------


def _locked(actor, number: str) -> tuple[Incident, Unit]:
    """The incident, row-locked, and the unit the actor acts for on it: ``NotFound``
    outside its scope, ``Forbidden`` for a reader (a supervisor), ``Conflict`` if it is
    already pushed or linked."""
    scope = desk_scope(actor)
    number = well_formed_number(number)
    if scope is None or number is None:
        raise NotFound()
    incident = (
        Incident.objects.filter(scope.q(), number=number)
        .select_for_update(of=("self",))
        .select_related("type__category", "community__parent")
        .first()
    )
    if incident is None:
        raise NotFound()
    unit = scope.acting_unit(incident.community)
    if unit is None:
        raise Forbidden(_("只有派出所（含指挥中心）账号可以推送警情。"))
    if incident.order_id is not None:
        number = Order.objects.filter(pk=incident.order_id).values_list("number", flat=True)
        raise Conflict(
            _("此警情已推送或关联订单 %(number)s，不能重复推送。") % {"number": number.first()}
        )
    return incident, unit


def _claim(incident: Incident, order: Order, *, actor, kind: str, now: datetime) -> None:
    """Point the incident at the order, only if it points nowhere yet: the database's
    answer, so a push racing another loses even where rows are not locked (SQLite)."""
    claimed = Incident.objects.filter(pk=incident.pk, order__isnull=True).update(
        order=order, linked_by=actor, linked_at=now, link_kind=kind
    )
    if claimed != 1:
        raise Conflict(_("此警情已推送或关联订单，不能重复推送。"))
    incident.order, incident.linked_by, incident.linked_at, incident.link_kind = (
        order,
        actor,
        now,
        kind,
    )


def _record_linked(order: Order, incident: Incident, *, actor, kind: str, now: datetime) -> None:
    """The order's timeline says which incident it came from or was linked to."""
    order = Order.objects.select_for_update(of=("self",), no_key=True).get(pk=order.pk)
    if kind == "push":
        note = _("由警情 %(number)s 推送生成。") % {"number": incident.number}
    else:
        note = _("关联警情 %(number)s。") % {"number": incident.number}
    record_event(
        order=order,
        kind=EventKind.INCIDENT_LINKED,
        actor=actor,
        at=now,
        note=note,
        data={
            "incident": {
                "number": incident.number,
                "type": incident.type.code,
                "received_at": local_iso(incident.received_at),
            },
            "via": kind,
        },
    )


def _category(incident: Incident, category_id) -> Category:
    if category_id in (None, ""):
        if incident.type.category_id is None:
            raise InvalidInput({"category": [_("此类警情没有对应的纠纷类别，请选择类别。")]})
        return incident.type.category
    category = (
        Category.objects.filter(pk=category_id, is_active=True).first()
        if isinstance(category_id, int) and 0 < category_id < 2**63
        else None
    )
    if category is None:
        raise InvalidInput({"category": [_("类别不存在。")]})
    return category


def incident_push(
    *, actor, number: str, category_id: int | None = None, now: datetime | None = None
) -> Incident:
    """Push an incident to the community's officer (推送民警): a new order (source 警情,
    reported by the actor for its police unit, the caller as party) in ``category_id``
    (required when the type has none, else the type's by default), dispatched at once to
    the community's police station (left in the street's queue, its dispatchers told, if
    none covers it). Police-station members in scope only (else 404 / 403); once per
    incident (409). Records ``incident_linked`` on the order's timeline."""
    now = now or timezone.now()
    with transaction.atomic():
        incident, unit = _locked(actor, number)
        category = _category(incident, category_id)
        station = police_station_for(incident.community)
        order = order_report(
            actor=actor,
            data=order_input(incident, category_id=category.pk, unit=unit),
            announce=station is None,
            now=now,
        )
        _claim(incident, order, actor=actor, kind="push", now=now)
        _record_linked(order, incident, actor=actor, kind="push", now=now)
        if station is not None:
            incident.order = order_dispatch_incident(
                order_id=order.pk,
                actor=actor,
                lead_unit_id=station.pk,
                note=_("警情 %(number)s 由警情工作台推送至社区所属派出所。")
                % {"number": incident.number},
                now=now,
            )
    return incident


def linkable_orders(actor) -> QuerySet[Order]:
    """Orders an incident may be linked to: those the actor sees, and those of the
    communities in which it may push incidents."""
    scope = desk_scope(actor)
    acting = Q(pk__in=[])
    for path, _unit in scope.act_units if scope else ():
        acting |= Q(community__path__startswith=path)
    return Order.objects.filter(Q(pk__in=orders_visible_to(actor).values("pk")) | acting)


def incident_link(
    *, actor, number: str, order_number: str, now: datetime | None = None
) -> Incident:
    """Link an incident to an order already there (关联已有订单), found by its number
    among ``linkable_orders`` (else 400 on ``order``); not a cancelled one. Same
    permissions and once-only rule as ``incident_push``; records ``incident_linked``."""
    now = now or timezone.now()
    order_number = (order_number or "").strip()
    if not order_number:
        raise InvalidInput({"order": [_("此项为必填项。")]})
    with transaction.atomic():
        incident, _unit = _locked(actor, number)
        order = (
            linkable_orders(actor).filter(number=order_number[:32]).first()
            if len(order_number) <= 32
            else None
        )
        if order is None:
            raise InvalidInput({"order": [_("未找到该订单，或不在您的范围内。")]})
        if order.state == State.CANCELLED:
            raise InvalidInput({"order": [_("已撤销的订单不能关联。")]})
        _claim(incident, order, actor=actor, kind="link", now=now)
        _record_linked(order, incident, actor=actor, kind="link", now=now)
    return incident


# --- the order page ------------------------------------------------------------------------------


def order_incidents(user, order: Order) -> list[Incident]:
    """The incidents pointing at ``order``, newest first; each with ``on_desk``: whether
    the viewer may open it on the desk."""
    incidents = list(order.incidents.select_related("type").order_by("-received_at", "-id"))
    if incidents:
        visible = set(
            incidents_visible_to(user)
            .filter(pk__in=[i.pk for i in incidents])
            .values_list("pk", flat=True)
        )
        for incident in incidents:
            incident.on_desk = incident.pk in visible
    return incidents
