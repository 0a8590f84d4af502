"""What can be done to an order, declared once: each action's name, label, the FSM
transition it runs, who may do it and the service that does it.

``selectors.allowed_actions`` and ``available_actions`` read who and when from here, the
web views and API endpoints their labels and services, the demo seed its services.
"""

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django_fsm import can_proceed

from .models import HANDLING_STATES, OPEN_STATES, Order, State
from .stages import pausable_states


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
    # A handler or head of a unit with a running part in it (协办, ``Assistance``).
    ASSISTING = "assisting"
    # A supervisor whose jurisdiction holds the order: reads it, and may only press its
    # lead unit (督办), never anything else.
    SUPERVISOR = "supervisor"
    CENTER_HEAD = "center_head"  # a head of the street center of the order's street
    LEAD_HEAD = "lead_head"  # a head of the order's lead unit (answers a 督办)
    # A handler or head of the order's lead unit, whoever the assignee (follows its
    # referral after closing: 移交跟踪).
    LEAD_UNIT = "lead_unit"
    # Its named 包案 leader (``Order.case_leader``).
    CASE_LEADER = "case_leader"
    # A volunteer of the mediation alliance invited to assist it (``Invitation``, by name
    # or through its unit, not withdrawn): reads it and adds notes, nothing else.
    INVITED = "invited"


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
    # A further condition on the order's fields (no query, no side effect), as an FSM
    # transition's conditions: e.g. not under final assignment.
    when: Callable[[Order], bool] | None = None
    # The API endpoint's path when not the action's name: several actions may share one
    # (a dispatcher's 退单 and a handler's 申请退单 are both POST …/return/).
    path: str = ""

    @property
    def api_path(self) -> str:
        """The API endpoint's last path segment, which the order's ``actions`` lists."""
        return self.path or self.name.replace("_", "-")

    def allowed_now(self, order: Order) -> bool:
        """Whether the order's state allows it at this moment."""
        if self.when is not None and not self.when(order):
            return False
        if self.method is not None:
            return can_proceed(getattr(order, self.method))
        return self.state_allows(order)

    def state_allows(self, order: Order) -> bool:
        """For a step that changes no state: whether the order's state is one of its
        ``states`` (its service says why any further condition fails)."""
        return not self.states or order.state in self.states


D, H = Capacity.DISPATCHER, Capacity.HANDLER
# While an assisting unit's part runs: from the dispatch until the order is closed.
ASSISTED_STATES = (State.DISPATCHED, *HANDLING_STATES)
CONFIRMING = frozenset({State.CONFIRMING})
# Pausing a clock (暂停计时) is offered while a pausable clock runs; whether a pause is
# asked for or running is the service's question (and the order page's).
PAUSE_STATES = pausable_states()
# Where ``Order.return_to_queue`` may run from: a return may be asked for and approved.
RETURNABLE = frozenset({State.DISPATCHED, State.SIGNED})
# An open order with a lead unit: someone owes a 督办 its reply.
LED_STATES = frozenset({State.DISPATCHED, *HANDLING_STATES})

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
        # The center pulls an order back at once; the lead unit asks (申请退单) and the
        # center reviews (``disputes.returns``).
        OrderAction(
            "return",
            _("退单"),
            service="order_return",
            by=frozenset({D}),
            method="return_to_queue",
        ),
        OrderAction(
            "return_request",
            _("申请退单"),
            service="order_return_request",
            by=frozenset({H}),
            states=RETURNABLE,
            when=lambda o: not o.final_assignment and not o.return_pending,
            path="return",
        ),
        OrderAction(
            "return_review",
            _("审核退单"),
            service="order_return_review",
            by=frozenset({D}),
            states=RETURNABLE,
            when=lambda o: o.return_pending,
            path="return-review",
        ),
        OrderAction(
            "ask_assistance",
            _("申请协办"),
            service="order_ask_assistance",
            by=frozenset({H}),
            states=frozenset({State.DISPATCHED, *HANDLING_STATES}),
            when=lambda o: o.final_assignment,
            path="ask-assistance",
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
        # The joint closing (结单确认): proposed, confirmed by every party (own link, or in
        # person), signed off by the reporter and the center; closed when all are in.
        OrderAction(
            "close",
            _("提交结单"),
            service="order_propose_close",
            by=frozenset({D, H}),
            method="propose_close",
        ),
        OrderAction(
            "closing_confirm",
            _("记录当面确认"),
            service="order_closing_confirm",
            by=frozenset({D, H}),
            states=CONFIRMING,
        ),
        OrderAction(
            "closing_sign",
            _("签字确认结单"),
            service="order_closing_sign",
            by=frozenset({D, Capacity.REPORTER}),
            states=CONFIRMING,
        ),
        OrderAction(
            "closing_withdraw",
            _("撤回结单"),
            service="order_closing_withdraw",
            by=frozenset({D, H}),
            states=CONFIRMING,
        ),
        OrderAction(
            "close_overdue",
            _("逾期结单"),
            service="order_close_overdue",
            by=frozenset({D}),
            states=CONFIRMING,
        ),
        OrderAction(
            "add_assisting",
            _("增派协办单位"),
            service="order_add_assisting",
            by=frozenset({D}),
            states=frozenset({State.DISPATCHED, State.SIGNED, State.CONTACTED}),
        ),
        OrderAction(
            "assist_sign",
            _("协办签收"),
            service="order_assist_sign",
            by=frozenset({Capacity.ASSISTING}),
            states=frozenset(ASSISTED_STATES),
        ),
        OrderAction(
            "assist_opinion",
            _("提交协办意见"),
            service="order_assist_opinion",
            by=frozenset({Capacity.ASSISTING}),
            states=frozenset(ASSISTED_STATES),
        ),
        OrderAction(
            "grade_review",
            _("等级审核"),
            service="order_grade_review",
            by=frozenset({D}),
            states=frozenset({State.CLOSED}),
            when=lambda o: o.grade_confirmed_at is None and o.grade != "",
        ),
        # 移交跟踪: the lead unit records what the receiving body made of the referral.
        OrderAction(
            "referral_result",
            _("记录移交结果"),
            service="order_record_referral_result",
            by=frozenset({Capacity.LEAD_UNIT}),
            states=frozenset({State.CLOSED}),
            when=lambda o: o.referral != "",
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
        # 重复报单合并: the duplicate ends merged into the order it repeats.
        OrderAction("merge", _("合并"), service="order_merge", by=frozenset({D}), method="merge"),
        OrderAction(
            "note",
            _("备注/附件"),
            service="order_add_note",
            by=frozenset({D, H, Capacity.REPORTER, Capacity.HANDLING_UNIT, Capacity.INVITED}),
            endpoint=False,  # the API's notes come with an upload (``attachments``)
        ),
        OrderAction(
            "return_visit",
            _("回访"),
            service="order_record_return_visit",
            by=frozenset({H, Capacity.STREET_POLICE, Capacity.SETTLER}),
            states=frozenset({State.CLOSED}),
        ),
        OrderAction(
            "pause",
            _("申请暂停计时"),
            service="order_pause",
            by=frozenset({H}),
            states=PAUSE_STATES,
        ),
        OrderAction(
            "pause_decide",
            _("审批暂停"),
            service="order_pause_decide",
            by=frozenset({D}),
            states=PAUSE_STATES,
        ),
        OrderAction(
            "resume",
            _("恢复计时"),
            service="order_resume",
            by=frozenset({D, H}),
            states=PAUSE_STATES,
        ),
        # The supervisors' one write action; the reply is owed by the lead unit's head.
        OrderAction(
            "direct",
            _("督办"),
            service="order_direct",
            by=frozenset({Capacity.SUPERVISOR, Capacity.CENTER_HEAD}),
            states=LED_STATES,
        ),
        OrderAction(
            "direct_reply",
            _("督办回复"),
            service="order_direct_reply",
            by=frozenset({Capacity.LEAD_HEAD}),
            states=LED_STATES,
        ),
        # Colour grades (红/黄/绿) and 包案: steps that change no state.
        OrderAction(
            "recolour",
            _("改色"),
            service="order_recolour",
            by=frozenset({D, Capacity.CENTER_HEAD}),
            states=frozenset(OPEN_STATES),
        ),
        # The mediation alliance (社会力量大调解联盟): the center invites a unit or a
        # volunteer to assist an open order and withdraws the invitation; the lead unit
        # grants the invitee the parties' phones and revokes them. Their API is under
        # /api/v1/alliance/ (``disputes.alliance_api``).
        OrderAction(
            "invite",
            _("邀请协助"),
            service="order_invite",
            by=frozenset({D}),
            states=frozenset(OPEN_STATES),
            endpoint=False,
        ),
        OrderAction(
            "invite_withdraw",
            _("撤回邀请"),
            service="order_invite_withdraw",
            by=frozenset({D}),
            endpoint=False,
        ),
        OrderAction(
            "contact_grant",
            _("授权查看联系方式"),
            service="order_contact_grant",
            by=frozenset({Capacity.LEAD_UNIT}),
            endpoint=False,
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
