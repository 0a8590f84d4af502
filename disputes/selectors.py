"""Reads about orders. Every list, detail, export and API view starts from
``orders_visible_to``; ``allowed_actions`` decides both the buttons and the server check."""

from django.db.models import (
    Case,
    Count,
    DateTimeField,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Least
from django_fsm import can_proceed

from dispatch.models import Escalation, Membership, RiskLevel, Role, RoutingRule, Unit
from dispatch.selectors import area_ancestor_paths, memberships_of

from .filters import overdue_q
from .models import OPEN_STATES, Attachment, EventKind, Order, OrderEvent, Source, State

HANDLER_ROLES = (Role.HANDLER, Role.UNIT_HEAD)


def visibility_q(user) -> Q:
    """A filter on Order for what the user may see; matches nothing for no role."""
    q = Q(pk__in=[])
    if not getattr(user, "is_authenticated", False):
        return q
    if user.is_superuser:
        return Q()
    handled_units: list[int] = []
    if can_report(user):
        q |= Q(reporter=user)  # whoever may report sees what it reported
    for m in memberships_of(user):
        if m.role == Role.DISPATCHER:
            q |= Q(street_id=m.unit.area_id)
        elif m.role in HANDLER_ROLES:
            handled_units.append(m.unit_id)
        elif m.role == Role.SUPERVISOR:
            # A jurisdiction is an area and everything below it (city, street or community).
            q |= Q(community__path__startswith=m.unit.area.path)
    if handled_units:
        assisting = Order.assisting_units.through.objects.filter(
            order_id=OuterRef("pk"), unit_id__in=handled_units
        )
        q |= Q(lead_unit_id__in=handled_units) | Q(Exists(assisting))
    return q


def orders_visible_to(user) -> QuerySet[Order]:
    return Order.objects.filter(visibility_q(user))


MAX_PK = 2**63 - 1


def is_valid_pk(value) -> bool:
    """An id the database can look up; anything else is simply not found (never a 500)."""
    try:
        return 0 < int(value) <= MAX_PK
    except (TypeError, ValueError):
        return False


def order_for_page(user, pk: int) -> Order:
    """One visible order with what its page shows; raises Order.DoesNotExist otherwise."""
    if not is_valid_pk(pk):
        raise Order.DoesNotExist
    return (
        orders_visible_to(user)
        .select_related(
            "category", "community", "street", "reporter", "reporter_unit", "lead_unit", "assignee"
        )
        .prefetch_related("parties", "assisting_units", "attachments", "events__actor")
        .get(pk=pk)
    )


def _units(user, *roles: str) -> set[int]:
    return {m.unit_id for m in memberships_of(user) if m.role in roles}


def is_dispatcher_for(user, order: Order) -> bool:
    return any(
        m.role == Role.DISPATCHER and m.unit.area_id == order.street_id
        for m in memberships_of(user)
    )


def is_incident_desk_for(user, order: Order) -> bool:
    """The police account that reported a police-incident order (the command room)."""
    return (
        order.source == Source.POLICE_INCIDENT
        and order.reporter_id == user.pk
        and any(
            m.role != Role.SUPERVISOR and m.unit.kind == Unit.Kind.POLICE_STATION
            for m in memberships_of(user)
        )
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


def can_report(user) -> bool:
    return any(m.role != Role.SUPERVISOR for m in memberships_of(user))


def allowed_actions(user, order: Order, *, ignore_assignee: bool = False) -> set[str]:
    """The actions this user's roles permit on this order, whatever its state.

    Whether the state allows them is the FSM's question; the service asks both. With
    ``ignore_assignee`` a handler of the lead unit counts even if a colleague is named.
    """
    actions: set[str] = set()
    if is_incident_desk_for(user, order):
        actions.add("dispatch")  # the command room sends 警情 straight to the station
    if is_dispatcher_for(user, order):
        actions |= {"dispatch", "reassign", "return", "cancel", "close", "note"}
    if is_handler_for(user, order, ignore_assignee=ignore_assignee):
        actions |= {"sign", "return", "contact", "meet", "close", "note", "return_visit"}
    if any(
        m.role in HANDLER_ROLES
        and m.unit.kind == Unit.Kind.POLICE_STATION
        and m.unit.area_id == order.street_id
        for m in memberships_of(user)
    ):
        actions.add("return_visit")  # the street's police make return visits (回访)
    if order.reporter_id == user.pk and can_report(user):
        actions.add("note")
    if order.lead_unit_id is not None and (
        {order.lead_unit_id} | {u.pk for u in order.assisting_units.all()}
    ) & _units(user, *HANDLER_ROLES):
        actions.add("note")
    return actions


def reporter_units(user) -> list[Unit]:
    return [m.unit for m in memberships_of(user) if m.role != Role.SUPERVISOR]


# --- reads for the web pages (lists with a constant number of queries) ----------------

# The transition method each action runs; the FSM says whether the state allows it now.
ACTION_METHODS = {
    "dispatch": "dispatch",
    "reassign": "reassign",
    "sign": "sign",
    "return": "return_to_queue",
    "contact": "record_contact",
    "meet": "record_meeting",
    "close": "close",
    "cancel": "cancel",
}


def available_actions(user, order: Order) -> set[str]:
    """The actions to offer as buttons now: the user's roles permit them
    (``allowed_actions``) and the order's state allows them (``can_proceed``)."""
    allowed = allowed_actions(user, order)
    actions = {
        action
        for action, method in ACTION_METHODS.items()
        if action in allowed and can_proceed(getattr(order, method))
    }
    if "note" in allowed:
        actions.add("note")
    if "return_visit" in allowed and order.state == State.CLOSED:
        actions.add("return_visit")
    return actions


def can_see_party_contacts(user, order: Order) -> bool:
    """Party phone and ID numbers show in full only to the handling unit (lead or
    assisting, any handler or head) and to the street's center dispatchers."""
    if is_dispatcher_for(user, order):
        return True
    if order.lead_unit_id is None:
        return False
    handling = {order.lead_unit_id} | {u.pk for u in order.assisting_units.all()}
    return bool(handling & _units(user, *HANDLER_ROLES))


def next_due_expression():
    """The nearest running deadline of an order (NULL when no clock runs)."""
    return Case(
        When(state=State.DISPATCHED, then=F("sign_due_at")),
        When(state=State.SIGNED, then=Least("contact_due_at", "meet_due_at")),
        When(state=State.CONTACTED, then=F("meet_due_at")),
        default=Value(None),
        output_field=DateTimeField(),
    )


def _list_rows(qs: QuerySet[Order]) -> QuerySet[Order]:
    """What a list row shows (and ``available_actions`` reads) in constant queries."""
    return qs.select_related(
        "category", "community", "street", "lead_unit", "assignee", "reporter"
    ).prefetch_related("assisting_units")


def order_list(user) -> QuerySet[Order]:
    """Every visible order, newest first (the search page)."""
    return _list_rows(orders_visible_to(user)).annotate(next_due=next_due_expression())


def board_orders(user) -> QuerySet[Order]:
    """Open orders the user may see, the nearest deadline first; orders waiting for
    dispatch (no clock yet) after them, oldest first. ``escalation_level`` is the
    highest unresolved escalation level of each (NULL if none)."""
    open_escalations = Escalation.objects.filter(
        order_id=OuterRef("pk"), resolved_at__isnull=True
    ).order_by("-level")
    return (
        _list_rows(orders_visible_to(user).filter(state__in=OPEN_STATES))
        .annotate(
            next_due=next_due_expression(),
            escalation_level=Subquery(open_escalations.values("level")[:1]),
        )
        .order_by(F("next_due").asc(nulls_last=True), "reported_at", "id")
    )


def handled_unit_ids(user) -> list[int]:
    return sorted(_units(user, *HANDLER_ROLES))


def handler_orders(user) -> QuerySet[Order]:
    """Open orders of the user's units (lead or assisting), the nearest deadline first."""
    units = handled_unit_ids(user)
    assisting = Order.assisting_units.through.objects.filter(
        order_id=OuterRef("pk"), unit_id__in=units
    )
    return (
        _list_rows(
            orders_visible_to(user)
            .filter(state__in=OPEN_STATES)
            .filter(Q(lead_unit_id__in=units) | Q(Exists(assisting)))
        )
        .annotate(next_due=next_due_expression())
        .order_by(F("next_due").asc(nulls_last=True), "reported_at", "id")
    )


def my_reports(user) -> QuerySet[Order]:
    """Orders the user reported (and may still see), newest first."""
    return (
        _list_rows(orders_visible_to(user).filter(reporter_id=user.pk))
        .annotate(next_due=next_due_expression())
        .order_by("-reported_at", "-id")
    )


def dispatch_queue(user) -> QuerySet[Order]:
    """Orders waiting for dispatch in the streets the user dispatches for: high risk
    first, then the oldest. Each row carries the reason of its latest return, if any."""
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
            risk_rank=risk_rank,
            return_reason=Subquery(last_return.values("note")[:1]),
            returned_by=Subquery(last_return.values("data__returned_by_unit")[:1]),
        )
        .order_by("risk_rank", "reported_at", "id")
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


def attachment_for(user, pk: int) -> Attachment:
    """An attachment of an order the user may see; raises Attachment.DoesNotExist."""
    if not is_valid_pk(pk):
        raise Attachment.DoesNotExist
    return Attachment.objects.select_related("order").get(
        pk=pk, order__in=orders_visible_to(user).values("pk")
    )


def street_state_counts(user, *, now) -> list[dict]:
    """Per street the user may see: orders per state, open overdue ones and the total."""
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
        row["total"] += r["n"]
    for r in visible.filter(overdue_q(now)).values("street_id").annotate(n=Count("pk")):
        rows[r["street_id"]]["overdue"] = r["n"]
    return sorted(rows.values(), key=lambda row: row["path"])
