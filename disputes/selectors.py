"""Reads about orders. Every list, detail, export and API view starts from
``orders_visible_to``; ``allowed_actions`` decides both the buttons and the server check."""

from django.db.models import Exists, OuterRef, Q, QuerySet

from dispatch.models import Role, Unit
from dispatch.selectors import memberships_of

from .models import Order

HANDLER_ROLES = (Role.HANDLER, Role.UNIT_HEAD)


def visibility_q(user) -> Q:
    """A filter on Order for what the user may see; matches nothing for no role."""
    q = Q(pk__in=[])
    if not getattr(user, "is_authenticated", False):
        return q
    if user.is_superuser:
        return Q()
    handled_units: list[int] = []
    for m in memberships_of(user):
        if m.role == Role.REPORTER:
            q |= Q(reporter=user)
        elif m.role == Role.DISPATCHER:
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


def order_for_page(user, pk: int) -> Order:
    """One visible order with what its page shows; raises Order.DoesNotExist otherwise."""
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
