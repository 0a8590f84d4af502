"""Who may see which care subjects, and how (``CareScope``); the orders a subject is
linked to through its keys; the figures of the care section of the monthly report.

- **In full** (name, phone, ID, address, needs, visits, aids, linked orders): members of
  a police station covering the community (its ``covered_areas`` or its own area holding
  the community or the community's street; a city-wide police unit such as the command
  room covers no community), and members of the community's residents' or mediation
  committee (the unit's area or covered areas holding the community).
- **Masked in the list** (name as 张*, kind, community, visit status): the street
  center's staff (any role in the street's ``STREET_CENTER``) and supervisors of a
  jurisdiction holding the community.
- Nobody else sees a subject at all (404 on its page, absent from lists).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Exists, OuterRef, Q, QuerySet

from deadlines.models import Deadline
from dispatch.models import Area, Membership, Role, Unit
from dispatch.selectors import memberships_of
from disputes.models import Order, Party
from disputes.selectors import orders_visible_to

from .models import VISIT_CLOCK, CareSubject

POLICE = Unit.Kind.POLICE_STATION
COMMITTEES = (Unit.Kind.COMMUNITY_COMMITTEE, Unit.Kind.MEDIATION_COMMITTEE)


@dataclass(frozen=True)
class CareScope:
    """``full``: ids of the communities the user sees in full (None: every one, a
    superuser); ``masked``: a filter on CareSubject for what it sees masked."""

    full: frozenset[int] | None
    masked: Q | None

    @property
    def any(self) -> bool:
        return self.full is None or bool(self.full) or self.masked is not None

    def sees_in_full(self, community_id: int) -> bool:
        return self.full is None or community_id in self.full

    def list_q(self) -> Q:
        if self.full is None:
            return Q()
        q = Q(community_id__in=sorted(self.full))
        if self.masked is not None:
            q |= self.masked
        return q

    def full_q(self) -> Q:
        return Q() if self.full is None else Q(community_id__in=sorted(self.full))


def _communities_covered(units: list[Unit]) -> set[int]:
    """The communities the units look after: a community they sit in or cover, and every
    community of a street they sit in or cover (police stations cover streets)."""
    if not units:
        return set()
    ids = {u.area_id for u in units}
    ids |= set(
        Unit.covered_areas.through.objects.filter(unit__in=units).values_list("area_id", flat=True)
    )
    return set(
        Area.objects.filter(level=Area.Level.COMMUNITY)
        .filter(Q(pk__in=ids) | Q(parent_id__in=ids))
        .values_list("pk", flat=True)
    )


def care_scope(user) -> CareScope:
    if not getattr(user, "is_authenticated", False):
        return CareScope(full=frozenset(), masked=None)
    if user.is_superuser:
        return CareScope(full=None, masked=None)
    stations, committees, masked = [], [], None
    for m in memberships_of(user):
        unit = m.unit
        if unit.kind == POLICE and unit.area.level != Area.Level.CITY:
            stations.append(unit)
        elif unit.kind in COMMITTEES:
            committees.append(unit)
        part = None
        if unit.kind == Unit.Kind.STREET_CENTER:
            part = Q(community__parent_id=unit.area_id)
        elif m.role == Role.SUPERVISOR:
            part = Q(community__path__startswith=unit.area.path)
        if part is not None:
            masked = part if masked is None else masked | part
    full = _communities_covered(stations)
    if committees:
        # A committee looks after its own community only, never its street's others.
        full |= {u.area_id for u in committees} | set(
            Unit.covered_areas.through.objects.filter(
                unit__in=committees, area__level=Area.Level.COMMUNITY
            ).values_list("area_id", flat=True)
        )
    return CareScope(full=frozenset(full), masked=masked)


def sees_register(user) -> bool:
    """Whether the user has a care register at all (the nav entry): ``care_scope(user).any``
    from the memberships alone, without its queries (base.html asks on every page)."""
    if not getattr(user, "is_authenticated", False):
        return False
    if user.is_superuser:
        return True
    for m in memberships_of(user):
        kind = m.unit.kind
        if kind == POLICE and m.unit.area.level != Area.Level.CITY:
            return True
        if kind in COMMITTEES or kind == Unit.Kind.STREET_CENTER or m.role == Role.SUPERVISOR:
            return True
    return False


def subjects_listed(user) -> QuerySet[CareSubject]:
    """Every subject the user sees, in full or masked (the list; mask per row with
    ``CareScope.sees_in_full``)."""
    scope = care_scope(user)
    if not scope.any:
        return CareSubject.objects.none()
    return CareSubject.objects.filter(scope.list_q())


def subjects_in_full(user) -> QuerySet[CareSubject]:
    """The subjects the user sees in full: their pages, visits and aids."""
    scope = care_scope(user)
    if scope.full is not None and not scope.full:
        return CareSubject.objects.none()
    return CareSubject.objects.filter(scope.full_q())


def can_register(user) -> bool:
    """Registering needs a community the user sees in full."""
    scope = care_scope(user)
    return scope.full is None or bool(scope.full)


def registrable_communities(user) -> QuerySet[Area]:
    scope = care_scope(user)
    qs = Area.objects.filter(level=Area.Level.COMMUNITY)
    return qs if scope.full is None else qs.filter(pk__in=sorted(scope.full))


def mask_name(name: str) -> str:
    """张三丰 → 张*; one character stays one star."""
    name = (name or "").strip()
    return (name[0] + "*") if len(name) > 1 else "*"


# --- the link to parties ------------------------------------------------------------------


def key_match_q(subject: CareSubject, prefix: str = "") -> Q:
    """A filter on Party (or, with ``prefix``, a model pointing at one) for the parties
    sharing the subject's phone or ID key."""
    q = Q(pk__in=[])
    if subject.phone_key:
        q |= Q(**{f"{prefix}phone_key": subject.phone_key})
    if subject.id_key:
        q |= Q(**{f"{prefix}id_key": subject.id_key})
    return q


def linked_orders(subject: CareSubject, user) -> QuerySet[Order]:
    """The orders with a party sharing the subject's phone or ID key that the user may
    see (``orders_visible_to``), newest first. The key lookups use the party table's
    radar indexes (``party_radar_phone`` / ``party_radar_id``)."""
    if not (subject.phone_key or subject.id_key):
        return Order.objects.none()
    orders = Party.objects.filter(key_match_q(subject)).values("order_id")
    return orders_visible_to(user).filter(pk__in=orders).order_by("-reported_at", "-pk")


def subjects_of_parties(parties, user) -> dict[int, CareSubject]:
    """For the order page: each party (of those given) that is a subject the user sees in
    full, by party id. One query by the subjects' key indexes; nothing for anyone else."""
    parties = list(parties)
    phones = {p.phone_key for p in parties if p.phone_key}
    ids = {p.id_key for p in parties if p.id_key}
    if not phones and not ids:
        return {}
    scope = care_scope(user)
    if scope.full is not None and not scope.full:
        return {}
    subjects = list(
        CareSubject.objects.filter(scope.full_q())
        .filter(Q(phone_key__in=sorted(phones)) | Q(id_key__in=sorted(ids)))
        .filter(is_active=True)
        .order_by("pk")
    )
    found: dict[int, CareSubject] = {}
    for party in parties:
        for s in subjects:
            if (party.id_key and party.id_key == s.id_key) or (
                party.phone_key and party.phone_key == s.phone_key
            ):
                found[party.pk] = s
                break
    return found


def community_police(community_id: int, *roles: str) -> QuerySet[Membership]:
    """Memberships in the police stations looking after the community (as
    ``care_scope`` counts them), with the given roles."""
    area = Area.objects.filter(pk=community_id).values_list("parent_id", flat=True).first()
    places = [community_id] + ([area] if area else [])
    stations = (
        Unit.objects.filter(kind=POLICE, is_active=True)
        .filter(Q(area_id__in=places) | Q(covered_areas__in=places))
        .exclude(area__level=Area.Level.CITY)  # a city unit sees no subject (care_scope)
    )
    return Membership.objects.filter(unit__in=stations.values("pk"), role__in=roles)


def community_committee_heads(community_id: int) -> QuerySet[Membership]:
    units = Unit.objects.filter(kind__in=COMMITTEES, is_active=True).filter(
        Q(area_id=community_id) | Q(covered_areas=community_id)
    )
    return Membership.objects.filter(unit__in=units.values("pk"), role=Role.UNIT_HEAD)


def visit_overdue_q(now: datetime) -> Q:
    """A filter on CareSubject: its running visit clock is past due (the list's filter)."""
    overdue = Deadline.objects.filter(
        kind=VISIT_CLOCK,
        subject_id=OuterRef("pk"),
        met_at__isnull=True,
        ended_at__isnull=True,
        due_at__lt=now,  # overdue as deadlines.selectors counts it
    )
    return Q(Exists(overdue))


def open_deadlines(subject_ids) -> dict[int, Deadline]:
    """The running visit clock of each subject, by subject id (one query)."""
    rows = Deadline.objects.filter(
        kind=VISIT_CLOCK,
        subject_id__in=list(subject_ids),
        met_at__isnull=True,
        ended_at__isnull=True,
    )
    return {d.subject_id: d for d in rows}
