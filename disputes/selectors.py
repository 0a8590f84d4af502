"""Reads about orders. Every list, detail, export and API view starts from
``orders_visible_to``; ``allowed_actions`` decides both the buttons and the server check."""

import operator
from collections.abc import Callable
from dataclasses import dataclass
from functools import reduce

from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import (
    BooleanField,
    Case,
    Count,
    DateTimeField,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.utils import timezone

from dispatch.models import Area, Membership, RiskLevel, Role, RoutingRule, Unit
from dispatch.selectors import area_ancestor_paths, memberships_of
from shishi_mediation.ids import id_from_text
from shishi_mediation.validators import mask_id_number, mask_phone

from . import reference
from .actions import ORDER_ACTIONS, Capacity
from .colours import COLOUR_RANK, colour_for
from .models import (
    OPEN_STATES,
    Assistance,
    Attachment,
    ClockPause,
    Escalation,
    EventKind,
    Invitation,
    Order,
    OrderEvent,
    Party,
    SlaPolicy,
    State,
)
from .stages import PAUSABLE, clock_states, clocks_in, next_due_whens, overdue_q

HANDLER_ROLES = (Role.HANDLER, Role.UNIT_HEAD)

# A party the design gives priority and care (``Party.is_vulnerable``), as a filter.
VULNERABLE_Q = (
    Q(is_elderly_alone=True) | Q(is_disabled=True) | Q(has_mental_illness=True) | Q(is_minor=True)
)


def sla_policy_for(*, category_id: int, risk_level: str, colour: str) -> SlaPolicy:
    """The most specific SLA policy for the order's colour, category and risk; defaults
    if none stored. Colour is the most specific, then category, then risk: a red policy
    for any category beats a category's policy without colour."""
    matching = Q(risk_level__in=[risk_level, ""], colour__in=[colour, ""])
    candidates = SlaPolicy.objects.filter(
        matching, Q(category_id__in=[category_id]) | Q(category__isnull=True)
    )

    def specificity(p: SlaPolicy) -> tuple[bool, bool, bool]:
        return (p.colour != "", p.category_id is not None, p.risk_level != "")

    best = max(candidates, key=specificity, default=None)
    return best or SlaPolicy()


def colour_at_dispatch(order: Order) -> tuple[str, bool]:
    """The colour a dispatch confirms unless the dispatcher chooses another (with a
    reason), and whether a person chose it: the colour an 改色 gave the order (its
    reason is on the timeline), else the one ``colour_for`` computes from its risk and
    parties now."""
    if order.events.filter(kind=EventKind.RECOLOURED).exists():
        return order.colour, True
    return (
        colour_for(
            risk_level=order.risk_level, parties=order.parties.all(), is_repeat=order.is_repeat
        ),
        False,
    )


def street_leaders(street_id: int) -> QuerySet:
    """The users who may be named 包案 leader of an order of the street: active holders
    of the LEADER role in a unit of the street (its center) or of one of its
    communities."""
    held = Membership.objects.filter(
        Q(unit__area_id=street_id) | Q(unit__area__parent_id=street_id),
        role=Role.LEADER,
        unit__is_active=True,
    )
    return (
        get_user_model()
        .objects.filter(is_active=True, pk__in=held.values("user_id"))
        .order_by("last_name", "first_name", "username")
    )


@dataclass(frozen=True, slots=True)
class OrderChildren:
    """The rows an order's detail shows beside it, read with it (``api._detail_order``:
    on PostgreSQL in the order's own row)."""

    assisting_units: list[Unit]
    parties: list
    attachments: list
    incidents: list
    # The related lists (``DETAIL_LISTS``) that have rows, when read with the order;
    # None when unknown (each is then queried). Most orders have none of them.
    present: frozenset[str] | None = None


# Lists of an order's detail read apart, by the reverse relation that holds them (the
# orders merged into it are ``merged_duplicates``): with the order, PostgreSQL says which
# have rows, so the detail queries only those (``has_rows``).
DETAIL_LISTS = (
    "pauses",
    "directives",
    "reopened_as",
    "merged_duplicates",
    "scheduled_visits",
    "return_visits",
)


def has_rows(order: Order, relation: str) -> bool:
    """False only when the order was read with ``children`` saying ``relation`` (one of
    ``DETAIL_LISTS``) has no rows; then it need not be queried."""
    children = getattr(order, "children", None)
    return children is None or children.present is None or relation in children.present


def assisting_unit_ids(order: Order) -> set[int]:
    """The ids of the order's assisting units: from its ``children`` when the detail read
    them with it, else from the relation (no query if prefetched)."""
    children = getattr(order, "children", None)
    units = children.assisting_units if children is not None else order.assisting_units.all()
    return {u.pk for u in units}


def visibility_branches(user) -> dict[str, Q] | None:
    """What the user may see, as one filter per way of seeing an order: ``"reports"``
    (what it reported), ``"street:<id>"`` (each street it dispatches for),
    ``"jurisdiction:<path>"`` (each area it supervises), ``"lead"`` and ``"assisting"``
    (its units' orders). ``None`` for everything (a superuser), ``{}`` for nothing.

    ``visibility_q`` is their OR; ``VisibleRows`` reads a page as their UNION."""
    if not getattr(user, "is_authenticated", False):
        return {}
    if user.is_superuser:
        return None
    return _ways_of_seeing(user)


def _ways_of_seeing(user) -> dict[str, Q]:
    """``visibility_branches`` from the user's roles alone (a superuser's too)."""
    if not getattr(user, "is_authenticated", False):
        return {}
    branches: dict[str, Q] = {}
    handled_units: list[int] = []
    if can_report(user):
        branches["reports"] = Q(reporter=user)  # whoever may report sees what it reported
    for m in memberships_of(user):
        if m.role == Role.DISPATCHER:
            branches[f"street:{m.unit.area_id}"] = Q(street_id=m.unit.area_id)
        elif m.role in HANDLER_ROLES:
            handled_units.append(m.unit_id)
            if m.role == Role.UNIT_HEAD and m.unit.kind == Unit.Kind.STREET_CENTER:
                # The center's head is told when its queue runs late (the dispatch
                # clock's level 1) and reads the street's orders, without a dispatcher's
                # actions.
                branches[f"street:{m.unit.area_id}"] = Q(street_id=m.unit.area_id)
        elif m.role == Role.SUPERVISOR:
            # A jurisdiction is an area and everything below it (city, street or community).
            path = m.unit.area.path
            branches[f"jurisdiction:{path}"] = Q(community__path__startswith=path)
        elif m.role == Role.LEADER:
            # A 包案 leader sees the orders it leads (indexed by the foreign key).
            branches["case_leader"] = Q(case_leader_id=user.pk)
    invited = invited_q(user)
    if invited is not None:
        branches["invited"] = invited  # the mediation alliance: the orders it assists
    if handled_units:
        assisting = Order.assisting_units.through.objects.filter(
            order_id=OuterRef("pk"), unit_id__in=handled_units
        )
        branches["lead"] = Q(lead_unit_id__in=handled_units)
        branches["assisting"] = Q(Exists(assisting))
    return branches


# --- the mediation alliance: what an invited volunteer sees ---------------------------------


def volunteer_unit_ids(user) -> list[int]:
    """The social-force units the user volunteers in (``Role.VOLUNTEER``) and is still on
    the register of (a profile struck off, 在册 unticked, loses its invited orders). One
    query for a volunteer, remembered on the user; none for anyone else."""
    ids = [m.pk for m in memberships_of(user) if m.role == Role.VOLUNTEER]
    if not ids:
        return []
    cached = getattr(user, "_volunteer_units", None)
    if cached is None or cached[0] != ids:
        units = Membership.objects.filter(pk__in=ids).exclude(volunteer_profile__is_active=False)
        cached = (ids, list(units.values_list("unit_id", flat=True)))
        user._volunteer_units = cached
    return cached[1]


def open_invitations_of(user) -> QuerySet[Invitation]:
    """The running invitations that reach the user: to it by name, or to a unit it
    volunteers in as a whole. None for a user who volunteers nowhere."""
    units = volunteer_unit_ids(user)
    if not units:
        return Invitation.objects.none()
    return Invitation.objects.filter(
        Q(member_id=user.pk) | Q(member__isnull=True, unit_id__in=units),
        withdrawn_at__isnull=True,
    )


def invited_q(user) -> Q | None:
    """The ``"invited"`` way of seeing an order: a running invitation reaches the user.
    None (no branch, no subquery) for a user who volunteers nowhere."""
    if not volunteer_unit_ids(user):
        return None
    return Q(Exists(open_invitations_of(user).filter(order_id=OuterRef("pk"))))


def invitations_reaching(user, order: Order) -> list[Invitation]:
    """The running invitations of this order that reach the user (none without a
    volunteer membership, and then no query)."""
    if not volunteer_unit_ids(user):
        return []
    cache = getattr(order, "_invitations_reaching", None)
    if cache is None or cache[0] != user.pk:
        cache = (user.pk, list(open_invitations_of(user).filter(order=order)))
        order._invitations_reaching = cache
    return cache[1]


def is_alliance_only(user) -> bool:
    """Whether every role the user holds is a volunteer's: it sees invited orders one by
    one and nothing else (no board, overview, map or report)."""
    roles = memberships_of(user)
    return not user.is_superuser and bool(roles) and all(m.role == Role.VOLUNTEER for m in roles)


def visibility_q(user) -> Q:
    """A filter on Order for what the user may see; matches nothing for no role."""
    branches = visibility_branches(user)
    if branches is None:
        return Q()
    q = Q(pk__in=[])
    for branch in branches.values():
        q |= branch
    return q


def orders_visible_to(user) -> QuerySet[Order]:
    return Order.objects.filter(visibility_q(user))


# Foreign keys of an order to configuration tables, which list pages take from
# ``disputes.reference`` instead of joining them (planning a join costs more here than
# running it: the order table has two dozen indexes to consider for each).
REFERENCE_FIELDS = ("category", "street", "community", "reporter_unit", "lead_unit")

Refine = Callable[[QuerySet[Order]], QuerySet[Order]]


class PagedRows:
    """What ``Paginator`` asks of a list read a page at a time: ``count()``, ``len()``
    and bounded slices, each subclass reading ``rows(start, stop)`` its own way."""

    def count(self) -> int:
        raise NotImplementedError

    def rows(self, start: int, stop: int) -> list[Order]:
        raise NotImplementedError

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, key) -> list[Order]:
        if not isinstance(key, slice) or key.step is not None or key.stop is None:
            raise TypeError(f"{type(self).__name__} supports bounded slices only")
        return self.rows(key.start or 0, key.stop)


class VisibleRows(PagedRows):
    """A list of orders: ``refine(orders_visible_to(user))``, with ``refine`` adding
    the list's row filters, annotations and order (nothing that groups rows). It is read
    a page at a time (a slice, as ``Paginator`` does) as a UNION of the ways the user
    sees orders (``visibility_branches``).

    The scope is an OR (a dispatcher also sees what it reported, a handler its units'
    orders as lead and as assisting unit), and no index delivers an OR in order:
    PostgreSQL would fetch and sort every visible row to return the first page. Each
    branch alone usually has an index in the list's order (``Order.Meta.indexes``), so
    each is read in order up to the end of the page, and the page is cut from their
    union by the list's own query, scope and all, restricted to those ids. A branch is
    part of the scope by definition, so its part starts from that branch alone, without
    the whole scope's OR (which would also keep PostgreSQL from answering a part from an
    index only). Together the branches are the scope, so no row is missed.

    A list about some ways of seeing orders only names them in ``within`` (keys of
    ``visibility_branches``), each with a filter narrowing it (``Q()`` for none): the
    list is then what the user sees through those, narrowed, and only they are read. With
    ``union`` false, or a database that cannot order and limit the parts of a UNION
    (SQLite), the list's query is read directly. ``count()`` counts the parts' union.

    The rows' units, areas and categories come from ``disputes.reference``.
    """

    ordered = True

    def __init__(
        self,
        user,
        refine: Refine,
        *,
        within: dict[str, Q] | None = None,
        union: bool = True,
    ):
        queryset = refine(orders_visible_to(user))
        if not queryset.query.order_by:  # the parts need the order spelled out
            queryset = queryset.order_by(*Order._meta.ordering)
        # A page cut from the parts' union needs the scope checked again, not ``within``:
        # each part is already inside it.
        self._scoped = queryset
        if within is None:
            branches = visibility_branches(user)
            parts = list(branches.values()) if branches is not None else []
        else:
            # A way of seeing the user lacks adds nothing (a superuser's are its roles').
            ways = _ways_of_seeing(user)
            parts = [ways[kind] & narrow for kind, narrow in within.items() if kind in ways]
            narrowed = Q(pk__in=[])
            for part in parts:
                narrowed |= part
            queryset = queryset.filter(narrowed)
        self.queryset = queryset
        unscoped = refine(Order.objects.all()).order_by(*queryset.query.order_by)
        self.branches = [unscoped.filter(part) for part in parts]
        self.parts = self.branches if union and len(parts) > 1 else None

    def ids(self) -> QuerySet:
        """The ids of all the list's rows (the parts' union), to count or aggregate them."""
        if self.parts is None:
            return self.queryset.order_by().values("pk")
        ids = [part.order_by().values("pk") for part in self.parts]
        return ids[0].union(*ids[1:])

    def count(self) -> int:
        if self.parts is None:
            return self.queryset.count()
        return self.ids().count()

    def ids_of(self, start: int, stop: int) -> QuerySet:
        """The ids of rows ``[start:stop]``, for the query that reads a page's rows (and
        checks the scope): read from the list's one way of seeing orders, if it has one,
        as a part is; else from the list's query."""
        rows = self.branches[0] if len(self.branches) == 1 else self.queryset
        return rows.values("pk")[start:stop]

    def rows(self, start: int, stop: int) -> list[Order]:
        if (
            self.parts is None
            or stop <= start
            or not connection.features.supports_slicing_ordering_in_compound
        ):
            rows = list(self.queryset[start:stop])
        else:
            ids = [part.values("pk")[:stop] for part in self.parts]
            rows = list(self._scoped.filter(pk__in=ids[0].union(*ids[1:]))[start:stop])
        reference.attach(rows, *REFERENCE_FIELDS)
        return rows


def is_valid_pk(value) -> bool:
    """An id the database can look up; anything else is simply not found (never a 500)."""
    return id_from_text(value) is not None


def order_for_page(user, pk: int) -> Order:
    """One visible order with what its page shows; raises Order.DoesNotExist otherwise."""
    if not is_valid_pk(pk):
        raise Order.DoesNotExist
    order = (
        orders_visible_to(user)
        .select_related("reporter", "assignee", "case_leader", "reopened_from", "merged_into")
        .prefetch_related("parties", "assisting_units", "attachments", "events__actor")
        # Whether duplicates were merged into it (``merging.merged_rows``), in this query.
        .annotate(has_merged=Exists(Order.objects.filter(merged_into=OuterRef("pk"))))
        # Whether the alliance was ever invited (``alliance_forms.invitation_context``).
        .annotate(has_invitations=Exists(Invitation.objects.filter(order=OuterRef("pk"))))
        .get(pk=pk)
    )
    reference.attach([order], *REFERENCE_FIELDS)
    return order


def _units(user, *roles: str) -> set[int]:
    return {m.unit_id for m in memberships_of(user) if m.role in roles}


def is_dispatcher_for(user, order: Order) -> bool:
    return any(
        m.role == Role.DISPATCHER and m.unit.area_id == order.street_id
        for m in memberships_of(user)
    )


def is_handler_for(user, order: Order, *, ignore_assignee: bool = False) -> bool:
    """A unit head of the lead unit, or one of its handlers when the order is theirs:
    no named assignee yet, or this user is the assignee (unless ``ignore_assignee``)."""
    if order.lead_unit_id is None:
        return False
    if order.lead_unit_id in _units(user, Role.UNIT_HEAD):
        return True
    return order.lead_unit_id in _units(user, Role.HANDLER) and (
        ignore_assignee or order.assignee_id in (None, user.pk)
    )


def is_dispatcher(user) -> bool:
    """Whether the user dispatches for some street (the queue, bulk dispatch)."""
    return user.is_superuser or any(m.role == Role.DISPATCHER for m in memberships_of(user))


# Roles that watch orders rather than find them: they report nothing.
NON_REPORTING_ROLES = (Role.SUPERVISOR, Role.LEADER, Role.VOLUNTEER)


def can_report(user) -> bool:
    return any(m.role not in NON_REPORTING_ROLES for m in memberships_of(user))


def capacities(user, order: Order, *, ignore_assignee: bool = False) -> set[Capacity]:
    """In what capacities the user's roles stand to this order (``actions.Capacity``).
    With ``ignore_assignee`` a handler of the lead unit counts even if a colleague is
    named."""
    found: set[Capacity] = set()
    # Reporting an order, 警情 or not, gives no right to route it: only the street's
    # dispatchers do (the incident intake routes its own orders through its service).
    if is_dispatcher_for(user, order):
        found.add(Capacity.DISPATCHER)
    if is_handler_for(user, order, ignore_assignee=ignore_assignee):
        found.add(Capacity.HANDLER)
    if any(
        m.role in HANDLER_ROLES
        and m.unit.kind == Unit.Kind.POLICE_STATION
        and m.unit.area_id == order.street_id
        for m in memberships_of(user)
    ):
        found.add(Capacity.STREET_POLICE)  # the street's police make return visits (回访)
    if order.reporter_id == user.pk and can_report(user):
        found.add(Capacity.REPORTER)
        if order.on_the_spot:
            found.add(Capacity.SETTLER)  # visits again the parties it settled (回访)
    handled = _units(user, *HANDLER_ROLES)
    if (
        order.lead_unit_id is not None
        and ({order.lead_unit_id} | assisting_unit_ids(order)) & handled
    ):
        found.add(Capacity.HANDLING_UNIT)
        if assisting_unit_ids(order) & handled:
            found.add(Capacity.ASSISTING)  # the part's own step decides what it still owes
    if order.lead_unit_id is not None and order.lead_unit_id in _units(user, Role.UNIT_HEAD):
        found.add(Capacity.LEAD_HEAD)
    if order.lead_unit_id is not None and order.lead_unit_id in handled:
        found.add(Capacity.LEAD_UNIT)
    if is_center_head_for(user, order):
        found.add(Capacity.CENTER_HEAD)
    if is_supervisor_for(user, order):
        found.add(Capacity.SUPERVISOR)
    if order.case_leader_id is not None and order.case_leader_id == user.pk:
        found.add(Capacity.CASE_LEADER)
    if invitations_reaching(user, order):
        found.add(Capacity.INVITED)
    return found


def is_center_head_for(user, order: Order) -> bool:
    """A head of the street center of the order's street (督办 and its notices)."""
    return any(
        m.role == Role.UNIT_HEAD
        and m.unit.kind == Unit.Kind.STREET_CENTER
        and m.unit.area_id == order.street_id
        for m in memberships_of(user)
    )


def is_supervisor_for(user, order: Order) -> bool:
    """A supervisor whose jurisdiction (an area and everything below it) holds the
    order's community: the ``jurisdiction`` way of seeing it (``_ways_of_seeing``)."""
    paths = [m.unit.area.path for m in memberships_of(user) if m.role == Role.SUPERVISOR]
    if not paths:
        return False
    community = reference.get(Area, order.community_id) if order.community_id else None
    return community is not None and any(community.path.startswith(p) for p in paths)


def allowed_actions(user, order: Order, *, ignore_assignee: bool = False) -> set[str]:
    """The actions this user's roles permit on this order, whatever its state: those
    ``ORDER_ACTIONS`` allows one of its ``capacities``.

    Whether the state allows them is the FSM's question; the service asks both. With
    ``ignore_assignee`` a handler of the lead unit counts even if a colleague is named.
    """
    mine = capacities(user, order, ignore_assignee=ignore_assignee)
    return {name for name, action in ORDER_ACTIONS.items() if action.by & mine}


def reporter_units(user) -> list[Unit]:
    return [m.unit for m in memberships_of(user) if m.role not in NON_REPORTING_ROLES]


# --- reads for the web pages (lists with a constant number of queries) ----------------


def available_actions(user, order: Order) -> set[str]:
    """The actions to offer as buttons now: the user's roles permit them
    (``allowed_actions``) and the order's state allows them (``OrderAction.allowed_now``,
    the FSM's ``can_proceed`` for a transition)."""
    allowed = allowed_actions(user, order)
    return {name for name in allowed if ORDER_ACTIONS[name].allowed_now(order)}


def assistance_parts(order: Order) -> list[Assistance]:
    """The order's assisting units' parts (协办), running ones first, each with its duties
    and who signed and filed its opinion: one query."""
    return sorted(
        Assistance.objects.filter(order=order).select_related(
            "unit", "signed_by", "opinion_by", "sign_duty", "opinion_duty"
        ),
        key=lambda a: (a.ended_at is not None, a.started_at, a.pk),
    )


def assist_actions(actions: set[str], parts: list[Assistance], user) -> set[str]:
    """The assisting buttons among ``actions`` that apply now: sign while one of the
    user's units has a running part not signed; file the opinion once it has signed and
    not yet filed one."""
    units = _units(user, *HANDLER_ROLES)
    mine = [a for a in parts if a.ended_at is None and a.unit_id in units]
    wanted = {
        "assist_sign": any(a.signed_at is None for a in mine),
        "assist_opinion": any(a.signed_at is not None and a.opinion_at is None for a in mine),
    }
    return {a for a in actions if wanted.get(a, True)}


def can_see_party_contacts(user, order: Order) -> bool:
    """Party phone and ID numbers show in full only to the handling unit (lead or
    assisting, any handler or head) and to the street's center dispatchers."""
    if is_dispatcher_for(user, order):
        return True
    if order.lead_unit_id is None:
        return False
    handling = {order.lead_unit_id} | assisting_unit_ids(order)
    return bool(handling & _units(user, *HANDLER_ROLES))


ALL_NUMBERS = frozenset({"phone", "id_number"})


def party_numbers_in_full(user, order: Order) -> frozenset[str]:
    """Which party numbers (``"phone"``, ``"id_number"``) the user sees unmasked on an
    order it may see: both for the handling unit and the center; the phone alone for
    the order's reporter, who typed it and may need to call back. The ID number stays
    masked for the reporter: its ends suffice to check it, and nobody calls an ID."""
    if can_see_party_contacts(user, order):
        return ALL_NUMBERS
    if order.reporter_id == user.pk:
        return frozenset({"phone"})
    # An invited volunteer: the phone once the lead unit granted it (never the ID).
    if any(i.contact_granted for i in invitations_reaching(user, order)):
        return frozenset({"phone"})
    return frozenset()


def party_numbers(party, *, in_full: frozenset[str]) -> dict[str, str]:
    """A party's phone and ID number as shown to a viewer (``party_numbers_in_full``)."""
    return {
        "phone": party.phone if "phone" in in_full else mask_phone(party.phone),
        "id_number": (
            party.id_number if "id_number" in in_full else mask_id_number(party.id_number)
        ),
    }


def next_due_expression():
    """The order's nearest running deadline (NULL when no clock runs): the board's and
    the lists' order. The same expression as the two ``*_next_due`` indexes of ``Order``
    (a test compares them), or PostgreSQL no longer uses them."""
    return Case(*next_due_whens(), default=Value(None), output_field=DateTimeField())


def warning_q(now) -> Q:
    """Open orders whose nearest running deadline (``next_due_expression``) has had four
    fifths of its clock's limit pass at ``now`` (``clocks.urgency``'s "warning", overdue
    ones too): five times the time left is at most the limit. Written without dividing a
    duration, whose quotient SQLite cannot subtract from a time. Of two clocks due at
    once, the first in ``stages.CLOCKS`` is the nearest."""

    def fifth_left(c) -> Q:
        left = F(c.due_field) - Value(now, output_field=DateTimeField())
        return Q(**{f"{c.limit_attr}__gte": ExpressionWrapper(left * 5, DurationField())})

    branches = []
    for state in clock_states():
        running = clocks_in(state)
        for i, c in enumerate(running):
            nearest = Q(
                *(Q(**{f"{c.due_field}__lte": F(o.due_field)}) for o in running[i + 1 :]),
                *(Q(**{f"{c.due_field}__lt": F(o.due_field)}) for o in running[:i]),
            )
            branches.append(Q(state=state) & nearest & fifth_left(c))
    return reduce(operator.or_, branches)


# How an open order stands against its nearest deadline (``web.urgency``); "waiting" when
# no clock runs (to be dispatched, or met and to be closed).
URGENCIES = ("overdue", "warning", "ok", "waiting")


def urgency_q(urgency: str, *, now, warning_alias: str | None = None) -> Q:
    """Orders of that urgency at ``now``, over the ``next_due`` annotation
    (``next_due_expression``). ``warning_alias``: a boolean alias of ``warning_q(now)``
    to read instead of building that expression again (``urgency_counts``)."""
    if urgency not in URGENCIES:
        raise ValueError(f"no urgency {urgency!r}")
    if urgency == "overdue":
        return Q(next_due__lt=now)
    if urgency == "waiting":
        return Q(next_due__isnull=True)
    if warning_alias:  # NOT of the alias would also take NULL: neither warning nor ok
        warning = Q(**{warning_alias: urgency == "warning"})
    else:
        warning = warning_q(now) if urgency == "warning" else ~warning_q(now)
    return Q(next_due__gte=now) & warning


def urgency_counts(ids: QuerySet, *, now, among: Q | None = None) -> dict[str, int]:
    """How many of the orders ``ids`` (a query of their ids) there are (``"all"``), and of
    each urgency (among those matching ``among`` only, if given): one aggregate query.
    ``warning_q`` (a dozen branches) is built once, as an alias, for "warning" and "ok"."""
    among = among or Q()
    return (
        Order.objects.filter(pk__in=ids)
        .alias(
            next_due=next_due_expression(),
            is_warning=ExpressionWrapper(warning_q(now), output_field=BooleanField()),
        )
        .aggregate(
            all=Count("pk"),
            **{
                u: Count("pk", filter=among & urgency_q(u, now=now, warning_alias="is_warning"))
                for u in URGENCIES
            },
        )
    )


def _list_rows(qs: QuerySet[Order]) -> QuerySet[Order]:
    """What a list row shows, read through ``VisibleRows`` (which adds the units, areas
    and categories)."""
    return qs.select_related("assignee")


def _nearest_deadline_first(qs: QuerySet[Order]) -> QuerySet[Order]:
    return qs.order_by(F("next_due").asc(nulls_last=True), "reported_at", "id")


def order_list(user, *, filters: Refine | None = None) -> VisibleRows:
    """Every visible order, newest first (the search page), with the page's ``filters``."""

    def refine(qs: QuerySet[Order]) -> QuerySet[Order]:
        qs = filters(qs) if filters else qs
        return (
            _list_rows(qs).annotate(next_due=next_due_expression()).order_by("-reported_at", "-id")
        )

    return VisibleRows(user, refine)


BOARD_SORTS = ("due", "colour")  # the board's orders: nearest deadline, or red first


def board_orders(
    user,
    *,
    filters: Refine | None = None,
    urgency: str | None = None,
    now=None,
    sort: str = "due",
) -> VisibleRows:
    """Open orders the user may see, the nearest deadline first; orders waiting for
    dispatch (no clock yet) after them, oldest first; only those of ``urgency`` at
    ``now`` if given. ``sort="colour"`` puts red first, then yellow, then green, each by
    its nearest deadline. ``escalation_level`` is the highest unresolved escalation level
    of each (NULL if none); ``paused_until`` the end of its clock pause running at ``now``
    (暂停计时; NULL if none)."""
    open_escalations = Escalation.objects.filter(
        order_id=OuterRef("pk"), resolved_at__isnull=True
    ).order_by("-level")
    paused = running_pauses_q(now or timezone.now())

    def refine(qs: QuerySet[Order]) -> QuerySet[Order]:
        qs = qs.filter(state__in=OPEN_STATES)
        qs = filters(qs) if filters else qs
        qs = _list_rows(qs).annotate(
            next_due=next_due_expression(),
            escalation_level=Subquery(open_escalations.values("level")[:1]),
            paused_until=Subquery(
                ClockPause.objects.filter(paused, order_id=OuterRef("pk"))
                .order_by("-ends_at")
                .values("ends_at")[:1]
            ),
        )
        if urgency:
            qs = qs.filter(urgency_q(urgency, now=now))
        if sort == "colour":
            return qs.annotate(colour_rank=colour_rank()).order_by(
                "colour_rank", F("next_due").asc(nulls_last=True), "reported_at", "id"
            )
        return _nearest_deadline_first(qs)

    return VisibleRows(user, refine)


def running_pauses_q(now) -> Q:
    """Clock pauses approved and running at ``now`` (``ClockPause.is_running``)."""
    return Q(state=ClockPause.PauseState.APPROVED, ended_at__isnull=True, ends_at__gt=now)


def order_pauses(order: Order) -> list[ClockPause]:
    """The order's clock pauses, oldest first, with who asked and who decided."""
    if not has_rows(order, "pauses"):
        return []
    return list(order.pauses.select_related("requested_by", "decided_by"))


def pause_actions(actions: set[str], pauses: list[ClockPause], order: Order, now) -> set[str]:
    """The pause buttons among ``actions`` (``available_actions``) that apply now: ask
    while a pausable clock runs, before its deadline, without a pause asked for or
    running; decide while one is asked for; resume while one runs."""
    running = {p.stage for p in pauses if p.is_running(now)}
    asked = {p.stage for p in pauses if p.state == ClockPause.PauseState.REQUESTED}
    free = (
        {
            stage
            for stage, due in order.running_clocks().items()
            if stage in PAUSABLE and due is not None and due > now
        }
        - running
        - asked
    )
    wanted = {"pause": bool(free), "pause_decide": bool(asked), "resume": bool(running)}
    return {a for a in actions if wanted.get(a, True)}


def board_counts(user, *, filters: Refine | None = None, now) -> dict[str, int]:
    """``urgency_counts`` of the board with these filters (whatever its urgency): the
    board's rows, without what only their display needs (its columns, its order)."""

    def refine(qs: QuerySet[Order]) -> QuerySet[Order]:
        qs = qs.filter(state__in=OPEN_STATES)
        return filters(qs) if filters else qs

    return urgency_counts(VisibleRows(user, refine).ids(), now=now)


def handled_unit_ids(user) -> list[int]:
    return sorted(_units(user, *HANDLER_ROLES))


def open_orders_assisted_by(units) -> list[int]:
    """Ids of the open orders the units assist. A unit may assist thousands of orders,
    of which a few dozen are open: one hash join of the units' assisting rows with the
    open orders' ids (an index-only scan of a partial index) finds them in a few ms,
    where testing each open order, or each assisting row, costs ten times more."""
    if not units:
        return []
    assisted = Order.assisting_units.through.objects.filter(unit_id__in=units)
    return list(
        Order.objects.filter(state__in=OPEN_STATES, pk__in=assisted.values("order_id"))
        .order_by()
        .values_list("pk", flat=True)
    )


class SectionedRows(PagedRows):
    """Lists shown one after another as one paged list, each section a ``VisibleRows``
    over one way of seeing orders, read in its own order (with its index). ``sizes`` are
    the sections' lengths, counted beforehand with the page's other counts. A page takes
    from each section the ids of its share, and its rows are read in one query: the
    visible orders among those ids, in ``order`` (which puts the sections in turn), as a
    ``VisibleRows`` cuts a page from the union of its parts."""

    ordered = True

    def __init__(self, sections: list[VisibleRows], *, sizes: list[int], order: Refine):
        self.sections, self.sizes, self.order = sections, sizes, order

    @property
    def queryset(self) -> QuerySet[Order]:
        """The whole list as one query (what its pages are cut from)."""
        share = Q(pk__in=[])
        for section in self.sections:
            share |= Q(pk__in=section.ids())
        return self.order(self.sections[0]._scoped.filter(share))

    def count(self) -> int:
        return sum(self.sizes)

    def rows(self, start: int, stop: int) -> list[Order]:
        share, offset = Q(pk__in=[]), 0
        for section, size in zip(self.sections, self.sizes, strict=True):
            first, last = max(start - offset, 0), min(stop - offset, size)
            if first < last:
                share |= Q(pk__in=section.ids_of(first, last))
            offset += size
        rows = list(self.order(self.sections[0]._scoped.filter(share)))
        reference.attach(rows, *REFERENCE_FIELDS)
        return rows


def handler_orders(user, *, now=None) -> SectionedRows:
    """Open orders of the user's units, the nearest deadline first: those they lead, then
    those they only assist (where they can add notes, nothing more). ``counts`` has
    ``urgency_counts`` of the orders they lead, ``"all"`` of both sections."""
    units = handled_unit_ids(user)
    assisted = open_orders_assisted_by(units)
    leading = Q(lead_unit_id__in=units)

    def refine(qs: QuerySet[Order]) -> QuerySet[Order]:
        # Its buttons come from ``available_actions``, which reads the assisting units.
        qs = _list_rows(qs.filter(state__in=OPEN_STATES)).prefetch_related("assisting_units")
        return _nearest_deadline_first(qs.annotate(next_due=next_due_expression()))

    def lead_first(qs: QuerySet[Order]) -> QuerySet[Order]:
        section = Case(When(leading, then=Value(0)), default=Value(1))
        return qs.order_by(section, F("next_due").asc(nulls_last=True), "reported_at", "id")

    lead = VisibleRows(user, refine, within={"lead": Q()})
    assisting = VisibleRows(user, refine, within={"assisting": Q(pk__in=assisted) & ~leading})
    now = now or timezone.now()
    counts = urgency_counts(lead.ids().union(assisting.ids()), now=now, among=leading)
    counts["lead"] = sum(counts[u] for u in URGENCIES)
    counts["assisting"] = counts["all"] - counts["lead"]
    rows = SectionedRows(
        [lead, assisting], sizes=[counts["lead"], counts["assisting"]], order=lead_first
    )
    rows.counts = counts
    return rows


def my_reports(user) -> VisibleRows:
    """Orders the user reported (and may still see), newest first: one query, along
    the index of its reports."""

    def refine(qs: QuerySet[Order]) -> QuerySet[Order]:
        return (
            _list_rows(qs.filter(reporter_id=user.pk))
            .annotate(next_due=next_due_expression())
            .order_by("-reported_at", "-id")
        )

    return VisibleRows(user, refine, union=False)


def colour_rank():
    """Red 0, yellow 1, green 2: the queue's and the board's colour order."""
    return Case(
        *(When(colour=c, then=Value(rank)) for c, rank in COLOUR_RANK.items()),
        default=Value(len(COLOUR_RANK)),
        output_field=IntegerField(),
    )


def dispatch_queue(user) -> QuerySet[Order]:
    """Orders waiting for dispatch in the streets the user dispatches for: red first,
    then those with a vulnerable party, then high risk, then the oldest. Each row carries
    the reason of its latest return, if any."""
    streets = [m.unit.area_id for m in memberships_of(user) if m.role == Role.DISPATCHER]
    qs = orders_visible_to(user).filter(state=State.REPORTED)
    if not user.is_superuser:
        qs = qs.filter(street_id__in=streets)
    last_return = OrderEvent.objects.filter(
        order_id=OuterRef("pk"), kind=EventKind.RETURNED
    ).order_by("-at", "-id")
    risk_rank = Case(
        When(risk_level=RiskLevel.HIGH, then=Value(0)),
        When(risk_level=RiskLevel.MEDIUM, then=Value(1)),
        default=Value(2),
        output_field=IntegerField(),
    )
    return (
        qs.select_related("category", "community", "street", "reporter", "reporter_unit")
        .prefetch_related("parties")
        .annotate(
            colour_rank=colour_rank(),
            vulnerable=Exists(Party.objects.filter(VULNERABLE_Q, order_id=OuterRef("pk"))),
            risk_rank=risk_rank,
            return_reason=Subquery(last_return.values("note")[:1]),
            returned_by=Subquery(last_return.values("data__returned_by_unit")[:1]),
        )
        .order_by("colour_rank", "-vulnerable", "risk_rank", "reported_at", "id")
    )


def suggested_units_by_order(orders) -> dict[int, list[Unit]]:
    """``dispatch.selectors.suggested_units`` for many orders in one query: each order's
    fitting units, best first (community rule before street before city, then rank)."""
    orders = list(orders)
    if not orders:
        return {}
    paths = {p for o in orders for p in area_ancestor_paths(o.community)}
    rules = list(
        RoutingRule.objects.filter(
            category_id__in={o.category_id for o in orders},
            area__path__in=paths,
            unit__is_active=True,
        ).select_related("unit", "area")
    )
    result: dict[int, list[Unit]] = {}
    for order in orders:
        fitting = [
            r
            for r in rules
            if r.category_id == order.category_id and order.community.path.startswith(r.area.path)
        ]
        seen: dict[int, Unit] = {}
        for rule in sorted(fitting, key=lambda r: (-len(r.area.path), r.rank)):
            seen.setdefault(rule.unit_id, rule.unit)
        result[order.pk] = list(seen.values())
    return result


def handlers_of_unit(unit_id) -> list:
    """The people a dispatcher may name as the assignee in a unit (handlers and heads)."""
    if not is_valid_pk(unit_id):
        return []
    memberships = (
        Membership.objects.filter(
            unit_id=unit_id, unit__is_active=True, role__in=HANDLER_ROLES, user__is_active=True
        )
        .select_related("user")
        .order_by("user__last_name", "user__first_name", "user__username")
    )
    users: dict[int, object] = {}
    for m in memberships:
        users.setdefault(m.user_id, m.user)
    return list(users.values())


# How deep duplicates merged into duplicates are followed (重复报单合并): the links form
# no cycle (``services.order_merge``), so this only bounds the loops.
MERGE_DEPTH = 20


def attachment_for(user, pk: int) -> Attachment:
    """An attachment of an order the user may see, or of a duplicate merged into one
    (the kept order shows it); raises Attachment.DoesNotExist."""
    if not is_valid_pk(pk):
        raise Attachment.DoesNotExist
    visible = orders_visible_to(user)
    attachments = Attachment.objects.select_related("order")
    try:
        return attachments.get(pk=pk, order__in=visible.values("pk"))
    except Attachment.DoesNotExist:
        attachment = attachments.filter(pk=pk, order__merged_into__isnull=False).first()
    keeper_id = attachment.order.merged_into_id if attachment is not None else None
    for _depth in range(MERGE_DEPTH):
        if keeper_id is None:
            break
        if visible.filter(pk=keeper_id).exists():
            return attachment
        keeper_id = Order.objects.filter(pk=keeper_id).values_list("merged_into", flat=True)[0]
    raise Attachment.DoesNotExist


def street_state_counts(user, *, now) -> list[dict]:
    """Per street the user may see: orders per state, open overdue ones and the total
    (merged duplicates left out of it: each is one of its keeper's)."""
    visible = orders_visible_to(user)
    rows: dict[int, dict] = {}
    for r in visible.values("street_id", "street__name", "street__path", "state").annotate(
        n=Count("pk")
    ):
        row = rows.setdefault(
            r["street_id"],
            {
                "street_id": r["street_id"],
                "street": r["street__name"],
                "path": r["street__path"],
                "states": {},
                "overdue": 0,
                "total": 0,
            },
        )
        row["states"][r["state"]] = r["n"]
        if r["state"] != State.MERGED:  # a merged duplicate is counted in its keeper
            row["total"] += r["n"]
    for r in visible.filter(overdue_q(now)).values("street_id").annotate(n=Count("pk")):
        rows[r["street_id"]]["overdue"] = r["n"]
    return sorted(rows.values(), key=lambda row: row["path"])
