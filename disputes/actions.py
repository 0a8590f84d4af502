"""What can be done to an order, declared once: each action's name, label, the FSM
transition it runs, who may do it and the service that does it.

``selectors.allowed_actions`` and ``available_actions`` read who and when from here, the
web views and API endpoints their labels and services, the demo seed its services.
"""

from dataclasses import dataclass
from enum import StrEnum

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django_fsm import can_proceed

from .models import OPEN_STATES, Order, State


class Capacity(StrEnum):
    """In what capacity a user stands to an order (``selectors.capacities``)."""

    DISPATCHER = "dispatcher"  # a dispatcher of the order's street
    # A unit head of the lead unit, or one of its handlers when the order is theirs.
    HANDLER = "handler"
    STREET_POLICE = "street_police"  # a handler or head of a police station of its street
    REPORTER = "reporter"  # who reported it, while it may report
    HANDLING_UNIT = "handling_unit"  # a handler or head of its lead or an assisting unit
    # Who settled it on the spot (就地化解), while it may report: it has no lead unit.
    SETTLER = "settler"
    # The head of the street center of its street (reads the street's orders).
    CENTER_HEAD = "center_head"
    # Its named 包案 leader (``Order.case_leader``).
    CASE_LEADER = "case_leader"


@dataclass(frozen=True)
class OrderAction:
    name: str
    label: str | Promise
    # The ``disputes.services`` function doing it (``services.service_for``).
    service: str
    by: frozenset[Capacity]
    # The FSM transition it runs, which says whether the state allows it now; None for a
    # step that changes no state, allowed in ``states`` (any state if empty).
    method: str | None = None
    states: frozenset[str] = frozenset()
    # Whether the API has an endpoint for it on an existing order (its path the name).
    endpoint: bool = True

    def allowed_now(self, order: Order) -> bool:
        """Whether the order's state allows it at this moment."""
        if self.method is not None:
            return can_proceed(getattr(order, self.method))
        return not self.states or order.state in self.states


D, H = Capacity.DISPATCHER, Capacity.HANDLER

ORDER_ACTIONS: dict[str, OrderAction] = {
    a.name: a
    for a in (
        OrderAction(
            "dispatch", _("派单"), service="order_dispatch", by=frozenset({D}), method="dispatch"
        ),
        OrderAction(
            "reassign", _("改派"), service="order_reassign", by=frozenset({D}), method="reassign"
        ),
        OrderAction("sign", _("签收"), service="order_sign", by=frozenset({H}), method="sign"),
        OrderAction(
            "return",
            _("退单"),
            service="order_return",
            by=frozenset({D, H}),
            method="return_to_queue",
        ),
        OrderAction(
            "contact",
            _("记录联系当事人"),
            service="order_record_contact",
            by=frozenset({H}),
            method="record_contact",
        ),
        OrderAction(
            "meet",
            _("记录见面调解"),
            service="order_record_meeting",
            by=frozenset({H}),
            method="record_meeting",
        ),
        OrderAction(
            "close", _("结单"), service="order_close", by=frozenset({D, H}), method="close"
        ),
        # Only within the step that reports it (the FSM's condition): never a button.
        OrderAction(
            "settle",
            _("就地化解"),
            service="order_settle_on_the_spot",
            by=frozenset({Capacity.REPORTER}),
            method="settle_on_the_spot",
            endpoint=False,
        ),
        OrderAction(
            "cancel", _("撤销"), service="order_cancel", by=frozenset({D}), method="cancel"
        ),
        OrderAction(
            "note",
            _("备注/附件"),
            service="order_add_note",
            by=frozenset({D, H, Capacity.REPORTER, Capacity.HANDLING_UNIT}),
            endpoint=False,  # the API's is ``attachments`` (and the web's note form)
        ),
        OrderAction(
            "return_visit",
            _("回访"),
            service="order_record_return_visit",
            by=frozenset({H, Capacity.STREET_POLICE, Capacity.SETTLER}),
            states=frozenset({State.CLOSED}),
            endpoint=False,  # the web's only
        ),
        # Colour grades (红/黄/绿) and 包案: steps that change no state.
        OrderAction(
            "recolour",
            _("改色"),
            service="order_recolour",
            by=frozenset({D, Capacity.CENTER_HEAD}),
            states=frozenset(OPEN_STATES),
        ),
        OrderAction(
            "leader_review",
            _("包案审核"),
            service="order_leader_review",
            by=frozenset({Capacity.CASE_LEADER}),
            states=frozenset(OPEN_STATES),
        ),
    )
}
