"""Every write to an order. Views, API, admin, imports and Celery tasks call these.

Each transition runs in one transaction: lock the order row, check the actor may see it
(else ``NotFound``) and may act (else ``Forbidden``), check the FSM allows it now (else
``Conflict``), apply it, save, write the timeline event and defer side effects with
``transaction.on_commit``.
"""

import logging
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django_fsm import ConcurrentTransition, TransitionNotAllowed, can_proceed

from dispatch.models import Area, Category, Membership, Role, Unit
from dispatch.selectors import units_serving
from shishi_mediation.errors import Conflict, Forbidden, InvalidInput, NotFound
from shishi_mediation.logs import order_log_context
from shishi_mediation.text import SHANGHAI, display_name, joined, local_iso, visible_text
from shishi_mediation.validators import MOBILE_RE

from .actions import ORDER_ACTIONS, RETURNABLE, Capacity
from .assisting import (
    assistance_opinion,
    assistance_sign,
    assistances_add,
    assistances_lead_signed,
    assistances_route,
    assistances_withdraw_all,
)
from .colours import Colour, colour_for
from .duties import (
    duties_end,
    duty_data,
    duty_meet,
    duty_start,
    order_closing_ends,
    order_duties_end,
)
from .events import record_event
from .images import is_photo, photo_prepare
from .locations import clean_location
from .models import (
    DIRECTIVE_MAX_DAYS,
    Attachment,
    ClockPause,
    ClosingProposal,
    ContactMethod,
    Directive,
    EventKind,
    Grade,
    IncidentResultEvent,
    Invitation,
    Order,
    OrderNumberCounter,
    Outcome,
    Party,
    PartyConfirmation,
    Referral,
    ReturnRequest,
    ReturnVisit,
    Review,
    ScheduledVisit,
    Source,
    State,
    validate_attachment,
)
from .notices import (
    notify_assist_opinion,
    notify_assisting,
    notify_case_leader,
    notify_directive,
    notify_invited,
    notify_order_event,
    text_closing_codes,
    text_review_codes,
)
from .pauses import PauseState, close_expired, end_pauses, minutes_paused, open_pause
from .radar import radar_find, radar_query, repeat_reasons
from .radar_keys import address_key as radar_address_key
from .radar_keys import radar_keys
from .referrals import (
    record_result,
    referral_fits,
    result_input_errors,
    start_referral_follow_up,
)
from .results import incident_results_merged, incident_results_queue
from .selectors import (
    allowed_actions,
    can_report,
    capacities,
    colour_at_dispatch,
    invitations_reaching,
    is_dispatcher,
    is_dispatcher_for,
    is_valid_pk,
    orders_visible_to,
    reporter_units,
    sla_policy_for,
    street_leaders,
    suggested_units_by_order,
)
from .stages import CLOCK, CLOCKS, PAUSABLE
from .sweep import resolve_escalations, save_alarms
from .visits import (
    schedule_return_visits,
    second_visit_schedule,
    visit_meet_earliest,
    visits_end,
)

log = logging.getLogger(__name__)


def _require(errors: dict[str, str], **fields: Any) -> None:
    for name, value in fields.items():
        if value in (None, "") or (isinstance(value, str) and not value.strip()):
            errors.setdefault(name, _("此项为必填项。"))


def _raise_if(errors: dict[str, Any]) -> None:
    if errors:
        raise InvalidInput(errors)


# --- reporting -------------------------------------------------------------------------


@dataclass
class PartyInput:
    name: str
    role: str = Party.PartyRole.APPLICANT
    phone: str = ""
    id_number: str = ""
    is_elderly_alone: bool = False
    is_disabled: bool = False
    has_mental_illness: bool = False
    is_minor: bool = False
    # The party agreed to be texted (their review code at closing); needs a mobile.
    sms_consent: bool = False


@dataclass
class ReportInput:
    title: str
    narrative: str
    category_id: int
    community_id: int
    risk_level: str = "low"
    source: str = Source.PATROL
    address: str = ""
    parties: list[PartyInput] = field(default_factory=list)
    reporter_unit_id: int | None = None
    # The map's point, WGS-84 degrees (``locations.clean_location``): gps | picked.
    latitude: Any = None
    longitude: Any = None
    location_source: str = ""
    # The police incident this order is made from (its intake, the incident desk): the
    # repeat radar does not count it as an earlier dispute.
    from_incident_id: int | None = None


def _next_number(*, street: Area, now: datetime) -> str:
    month = timezone.localtime(now, SHANGHAI).strftime("%Y%m")
    counter, _created = OrderNumberCounter.objects.select_for_update().get_or_create(
        street=street, month=month
    )
    counter.last += 1
    counter.save(update_fields=["last"])
    return f"{street.code}-{month}-{counter.last:05d}"


def _clean_parties(
    parties: Iterable[PartyInput], errors: dict[str, Any], *, now: datetime
) -> list[Party]:
    cleaned = []
    for i, p in enumerate(parties):
        party = Party(
            name=visible_text(p.name),
            role=p.role,
            phone=(p.phone or "").strip(),
            id_number=(p.id_number or "").strip().upper(),
            is_elderly_alone=p.is_elderly_alone,
            is_disabled=p.is_disabled,
            has_mental_illness=p.has_mental_illness,
            is_minor=p.is_minor,
            sms_consent=p.sms_consent is True,
            sms_consent_at=now if p.sms_consent is True else None,
        )
        try:
            party.full_clean(exclude=["order"])
        except ValidationError as e:
            for name, messages in e.message_dict.items():
                errors[f"parties[{i}].{name}"] = messages
        if party.sms_consent and not MOBILE_RE.match(party.phone):
            errors[f"parties[{i}].sms_consent"] = [_("同意接收短信须填写手机号。")]
        cleaned.append(party)
    if not cleaned:
        errors["parties"] = [_("至少填写一名当事人。")]
    return cleaned


def order_report(
    *,
    actor,
    data: ReportInput,
    announce: bool = True,
    now: datetime | None = None,
    on_the_spot: bool = False,
    reopened_from: Order | None = None,
) -> Order:
    """Record a new dispute (报单). Anyone with a non-supervisor role may report.

    Records the ``reported`` event; the order waits in its street's dispatch queue and
    the street's dispatchers are told, unless ``announce`` is off because the caller
    dispatches it at once (police incidents). ``on_the_spot``: only for
    ``order_settle_on_the_spot``, which closes it in the same transaction; no clock starts.
    ``reopened_from``: the closed order this one reopens (重新调解, from a return visit);
    the ``reported`` event names it.
    """
    now = now or timezone.now()
    if not can_report(actor):
        raise Forbidden(_("您没有报单权限。"))
    errors: dict[str, Any] = {}
    title, address = visible_text(data.title), visible_text(data.address)
    _require(
        errors,
        title=title,
        narrative=data.narrative,
        category=data.category_id,
        community=data.community_id,
    )
    category = (
        Category.objects.filter(pk=data.category_id, is_active=True).first()
        if is_valid_pk(data.category_id)
        else None
    )
    if data.category_id and category is None:
        errors["category"] = _("类别不存在。")
    community = (
        Area.objects.select_related("parent")
        .filter(
            pk=data.community_id if is_valid_pk(data.community_id) else 0,
            level=Area.Level.COMMUNITY,
        )
        .first()
    )
    if data.community_id and community is None:
        errors["community"] = _("请选择一个社区。")
    if data.risk_level not in {c for c, _l in Order._meta.get_field("risk_level").choices}:
        errors["risk_level"] = _("风险等级无效。")
    if data.source not in Source.values:
        errors["source"] = _("来源无效。")
    units = reporter_units(actor)
    reporter_unit = next((u for u in units if u.pk == data.reporter_unit_id), None)
    if data.reporter_unit_id and reporter_unit is None:
        errors["reporter_unit"] = _("您不属于该单位。")
    parties = _clean_parties(data.parties, errors, now=now)
    location = clean_location(data.latitude, data.longitude, data.location_source, errors)
    _raise_if(errors)
    repeat = _repeat_radar(
        data, parties=parties, community=community, address=address, now=now, old=reopened_from
    )

    # Every line logged from here on, on_commit callbacks included, names the order.
    with order_log_context() as log_scope, transaction.atomic():
        order = Order(
            number=_next_number(street=community.parent, now=now),
            title=title,
            narrative=data.narrative.strip(),
            category=category,
            source=data.source,
            street=community.parent,
            community=community,
            address=address,
            risk_level=data.risk_level,
            reporter=actor,
            reporter_unit=reporter_unit or (units[0] if units else None),
            on_the_spot=on_the_spot,
            reopened_from=reopened_from,
            # Set now, so the dispatch clock is the colour's; confirmed at dispatch.
            colour=colour_for(risk_level=data.risk_level, parties=parties, is_repeat=bool(repeat)),
            is_repeat=bool(repeat),
            repeat_reasons=",".join(repeat),
            **location,
        )
        if on_the_spot:
            order.reported_at = now  # settled already: nothing to dispatch, no clock
        else:
            policy = sla_policy_for(
                category_id=category.pk, risk_level=data.risk_level, colour=order.colour
            )
            order.open(at=now, limits=policy.limits)
        order.save()
        save_alarms(order=order)
        log_scope.bind(order.number)
        for party in parties:
            party.order = order
        Party.objects.bulk_create(parties)
        record_event(
            order=order,
            kind=EventKind.REPORTED,
            actor=actor,
            at=now,
            to_state=State.REPORTED,
            data={**_clock_data(order), **_reopened_data(reopened_from)},
        )
        if announce:
            notify_order_event(order=order, kind=EventKind.REPORTED, actor=actor, now=now)
    log.info("order %s reported by %s", order.number, actor, extra={"order": order.number})
    return order


def _repeat_radar(
    data: ReportInput, *, parties: list[Party], community, address: str, now, old
) -> list[str]:
    """The repeat radar at report (``disputes.radar``): the reasons of the earlier orders
    and incidents it finds (none: not a repeat). Sets the parties' keys, which
    ``bulk_create`` would not. The order a reopened one continues (重新调解) is the same
    dispute, not a repeat of it; nor is the incident the order is made from."""
    for party in parties:
        radar_keys(party)
    if not settings.RADAR_AT_REPORT:
        return []
    query = radar_query(
        at=now,
        community_id=community.pk,
        address_key=radar_address_key(address),
        parties=parties,
        exclude_order_id=old.pk if old is not None else None,
        exclude_incident_id=data.from_incident_id,
    )
    return repeat_reasons(radar_find(query))


def _reopened_data(old: Order | None) -> dict[str, Any]:
    if old is None:
        return {}
    return {"reopened_from": {"order_id": old.pk, "number": old.number}}


# --- the one transition path -----------------------------------------------------------


def _lock_visible(*, actor, order_id: int) -> Order:
    """The order, row-locked, if the actor may see it (else 404).

    Every lock on an order is FOR NO KEY UPDATE (``no_key``): transitions still exclude
    each other and the sweep (which skips what they hold), but a row that only refers to
    the order (a notice written by ``notify_raised`` while it holds escalations this
    transition resolves) does not wait for it, which was a deadlock."""
    if not is_valid_pk(order_id):
        raise NotFound()
    try:
        return (
            orders_visible_to(actor).select_for_update(of=("self",), no_key=True).get(pk=order_id)
        )
    except Order.DoesNotExist:
        raise NotFound() from None


def _check_may(*, actor, order_id: int, action: str) -> None:
    """``NotFound`` unless the actor sees the order, ``Forbidden`` unless its roles
    permit ``action``: a check without a lock, before costly work that ``_transition``
    will check again."""
    order = orders_visible_to(actor).filter(pk=order_id).first() if is_valid_pk(order_id) else None
    if order is None:
        raise NotFound()
    if action not in allowed_actions(actor, order):
        raise Forbidden()


def _transition(
    *,
    order_id: int | None = None,
    actor,
    action: str | None,
    kind: EventKind,
    now: datetime,
    apply: Callable[[Order], tuple[str, dict[str, Any]]],
    by_intake: bool = False,
    lock: Callable[[], Order] | None = None,
) -> Order:
    """Lock, check, transition, save, record, defer. ``apply`` runs the FSM method and
    returns the event's note and data. ``by_intake``: the incident intake acts, its
    service (``order_dispatch_incident``) having checked the order is its own.

    The FSM method is the action's (``actions.ORDER_ACTIONS``). An action without one, or
    no action, is a step that changes no state (a note, a return visit, a review): lock,
    check the role, apply, record; ``apply`` checks the state it needs.
    ``lock`` finds and locks the order another way than by ``order_id`` among those the
    actor sees; with no ``action`` what it found is what the actor may act on."""
    method = ORDER_ACTIONS[action].method if action is not None else None
    # Every line logged inside, on_commit callbacks included, names the order.
    with order_log_context() as log_scope, transaction.atomic():
        order = lock() if lock else _lock_visible(actor=actor, order_id=order_id)
        log_scope.bind(order.number)
        if method is None:
            if action is not None and action not in allowed_actions(actor, order):
                raise Forbidden()
            if action is not None and not ORDER_ACTIONS[action].state_allows(order):
                raise Conflict(
                    _("当前状态“%(state)s”不能执行此操作。") % {"state": order.get_state_display()},
                    state=order.state,
                )
            from_state = order.state
            try:
                note, data = apply(order)
            except (TransitionNotAllowed, ConcurrentTransition):
                raise Conflict(state=from_state) from None
            shifted = bool(order.alarm_changes)
            if order.state != from_state:
                # A step that moved the order without an action of its own: the joint
                # closing's completion or a party's refusal through its link.
                order.save()
                save_alarms(order=order)
            elif shifted:
                # A step that moved a clock's due time (a pause approved or ended
                # early) saves it and re-arms its alarm.
                order.save(update_fields=[c.due_field for c in CLOCKS])
                save_alarms(order=order)
            moved = order.state != from_state
            record_event(
                order=order,
                kind=kind,
                actor=actor,
                at=now,
                from_state=from_state if moved else "",
                to_state=order.state if moved else "",
                note=note,
                data=data,
            )
            if moved or shifted:  # the escalations of an old due resolve
                resolve_escalations(order=order, now=now)
            if moved and not order.is_open:
                order_closing_ends(order, at=now)
            notify_order_event(order=order, kind=kind, actor=actor, now=now, note=note)
            return order
        # Role first (403), then state (409): a handler whose colleague signed a moment
        # earlier hears "already signed", not "not allowed"; then the named assignee.
        if not by_intake and action not in allowed_actions(actor, order, ignore_assignee=True):
            raise Forbidden()
        if not can_proceed(getattr(order, method)):
            raise Conflict(
                _("当前状态“%(state)s”不能执行此操作。") % {"state": order.get_state_display()},
                state=order.state,
            )
        if not by_intake and action not in allowed_actions(actor, order):
            raise Forbidden(_("此订单已指定其他责任人。"))
        from_state = order.state
        was_running = set(order.running_clocks())
        try:
            note, data = apply(order)
            order.save()
            save_alarms(order=order)
        except (TransitionNotAllowed, ConcurrentTransition):
            raise Conflict(state=from_state) from None
        # A pausable clock this step stopped ends its pause there (``disputes.pauses``).
        stopped = (was_running - set(order.running_clocks())) & set(PAUSABLE)
        if stopped and end_pauses(order=order, stages=stopped, now=now):
            data = {**data, "pause_ended": True}
        record_event(
            order=order,
            kind=kind,
            actor=actor,
            at=now,
            from_state=from_state,
            to_state=order.state,
            note=note,
            data=data,
        )
        resolve_escalations(order=order, now=now)
        if order.return_pending:
            _close_stale_return_request(order, now=now)
        if not order.is_open:
            order_closing_ends(order, at=now)  # closed or cancelled: what was owed ends
        # Inbox rows and outbox deliveries commit with the change; sending is kicked by
        # transaction.on_commit inside notify.
        notify_order_event(order=order, kind=kind, actor=actor, now=now, note=note)
    log.info("order %s %s by %s", order.number, kind, actor, extra={"order": order.number})
    return order


def service_for(action: str) -> Callable[..., Any]:
    """The service doing ``action``, as ``actions.ORDER_ACTIONS`` names it."""
    return globals()[ORDER_ACTIONS[action].service]


def _routing_target(*, lead_unit_id, assignee_id, assisting_unit_ids):
    errors: dict[str, Any] = {}
    lead_unit = (
        Unit.objects.filter(pk=lead_unit_id, is_active=True).first()
        if is_valid_pk(lead_unit_id)
        else None
    )
    if lead_unit is None:
        errors["lead_unit"] = _("请选择有效的责任单位。")
    assignee = None
    if assignee_id and not is_valid_pk(assignee_id):
        errors["assignee"] = _("责任人必须是责任单位的办理人。")
    elif assignee_id and lead_unit is not None:
        m = (
            Membership.objects.select_related("user")
            .filter(
                user_id=assignee_id, unit_id=lead_unit_id, role__in=[Role.HANDLER, Role.UNIT_HEAD]
            )
            .first()
        )
        if m is None:
            errors["assignee"] = _("责任人必须是责任单位的办理人。")
        else:
            assignee = m.user
    wanted = set(assisting_unit_ids or [])
    valid = {pk for pk in wanted if is_valid_pk(pk)}
    assisting = list(Unit.objects.filter(pk__in=valid, is_active=True))
    if len(assisting) != len(wanted):
        errors["assisting_units"] = _("协办单位无效。")
    elif lead_unit and lead_unit in assisting:
        errors["assisting_units"] = _("责任单位不能同时是协办单位。")
    _raise_if(errors)
    return lead_unit, assignee, assisting


def _route(
    order_id: int,
    *,
    action: str,
    actor,
    now: datetime,
    lead_unit_id,
    assignee_id,
    assisting_unit_ids,
    note: str,
    by_intake: bool = False,
    colour: str = "",
    colour_reason: str = "",
    case_leader_id=None,
) -> Order:
    kind = EventKind.DISPATCHED if action == "dispatch" else EventKind.REASSIGNED
    colour_errors: dict[str, Any] = {}
    if colour and colour not in Colour.values:
        colour_errors["colour"] = _("颜色等级无效。")
    if case_leader_id not in (None, "") and not is_valid_pk(case_leader_id):
        colour_errors["case_leader"] = _("包案领导须是本街道的包案领导。")
    _raise_if(colour_errors)
    # Validate before locking so a typo costs no lock; the order is re-read under lock.
    lead_unit, assignee, assisting = _routing_target(
        lead_unit_id=lead_unit_id,
        assignee_id=assignee_id,
        assisting_unit_ids=assisting_unit_ids,
    )

    def apply(o: Order):
        # Only units serving the order's street, as the dispatch form offers them.
        wanted = {lead_unit.pk, *(u.pk for u in assisting)}
        serving = set(units_serving(o.street).filter(pk__in=wanted).values_list("pk", flat=True))
        errors = {}
        if lead_unit.pk not in serving:
            errors["lead_unit"] = _("请选择有效的责任单位。")
        if not wanted - {lead_unit.pk} <= serving:
            errors["assisting_units"] = _("协办单位无效。")
        _raise_if(errors)
        colour_data = (
            _confirm_colour(
                o, colour=colour, reason=colour_reason, case_leader_id=case_leader_id, now=now
            )
            if action == "dispatch"
            else {}
        )
        policy = sla_policy_for(category_id=o.category_id, risk_level=o.risk_level, colour=o.colour)
        previous = o.lead_unit.name if o.lead_unit else ""
        final = returns_to_queue(o) >= settings.FINAL_ASSIGNMENT_AFTER_RETURNS
        previous_id = o.lead_unit_id
        getattr(o, action)(
            lead_unit=lead_unit, assignee=assignee, at=now, limits=policy.limits, final=final
        )
        o.assisting_units.set(assisting)
        to_sign = assistances_route(o, assisting, at=now, policy=policy)
        if to_sign:
            due_by = dict(
                o.duties.running()
                .filter(kind="assist_sign", unit__in=to_sign)
                .values_list("unit_id", "due_at")
            )
            notify_assisting(order=o, units=to_sign, due_by=due_by, now=now, actor=actor)
        data = {
            "lead_unit": lead_unit.name,
            "assignee": display_name(assignee),
            "assisting_units": [u.name for u in assisting],
            **colour_data,
            **_clock_data(o),
        }
        if final:
            data["final_assignment"] = True
        if previous:
            data["previous_unit"] = previous
        if previous_id is not None and previous_id != lead_unit.pk:
            _directives_end(o, data, now=now)
        return note, data

    return _transition(
        order_id=order_id,
        actor=actor,
        action=action,
        kind=kind,
        now=now,
        apply=apply,
        by_intake=by_intake,
    )


def order_dispatch(
    *,
    order_id: int,
    actor,
    lead_unit_id: int,
    assignee_id: int | None = None,
    assisting_unit_ids: Iterable[int] = (),
    note: str = "",
    colour: str = "",
    colour_reason: str = "",
    case_leader_id: int | None = None,
    now: datetime | None = None,
) -> Order:
    """Send a reported order to a lead unit (派单). The street's dispatchers only.

    Confirms the order's colour (``colours.colour_for`` of its risk and parties now), or
    sets ``colour`` instead with ``colour_reason`` (required when it differs: 400 on
    ``colour_reason``). A red order needs its 包案 leader (``case_leader_id``, a LEADER of
    the order's street; 400 on ``case_leader``), who is told. Starts the sign clock from
    the SLA policy for the order's colour, category and risk.
    """
    return _route(
        order_id,
        action="dispatch",
        actor=actor,
        now=now or timezone.now(),
        lead_unit_id=lead_unit_id,
        assignee_id=assignee_id,
        assisting_unit_ids=list(assisting_unit_ids),
        note=note,
        colour=colour,
        colour_reason=colour_reason,
        case_leader_id=case_leader_id,
    )


def order_dispatch_incident(
    *, order_id: int, actor, lead_unit_id: int, note: str, now: datetime
) -> Order:
    """Send an order the incident intake has just made to the community's police station.
    ``disputes.incidents`` only, never a view: the intake, not the actor's roles, routes
    it, so only a 警情 order the actor (the command-room account) reported qualifies: of
    an incident it submitted, or pushed from the incident desk (``disputes.desk``)."""
    if not Order.objects.filter(
        Q(incidents__submitted_by=actor) | Q(incidents__linked_by=actor),
        pk=order_id if is_valid_pk(order_id) else 0,
        source=Source.POLICE_INCIDENT,
        reporter_id=actor.pk,
    ).exists():
        raise Forbidden()
    return _route(
        order_id,
        action="dispatch",
        actor=actor,
        now=now,
        lead_unit_id=lead_unit_id,
        assignee_id=None,
        assisting_unit_ids=[],
        note=note,
        by_intake=True,
    )


@dataclass(frozen=True)
class BulkDispatchOutcome:
    """One order of a bulk dispatch: sent to ``lead_unit``, or not, and why (``reason``,
    in the user's language). ``number`` is empty for an order the actor may not see, so
    the answer says nothing about whether it exists."""

    order_id: int
    number: str = ""
    lead_unit: Unit | None = None
    reason: str = ""

    @property
    def dispatched(self) -> bool:
        return self.lead_unit is not None


def _bulk_ids(order_ids) -> list[int]:
    """The ids asked for, once each in the order given; ``InvalidInput`` on ``ids``."""
    if not isinstance(order_ids, list | tuple) or not order_ids:
        raise InvalidInput({"ids": _("请至少选择一张订单。")})
    if any(isinstance(i, bool) or not isinstance(i, int) for i in order_ids):
        raise InvalidInput({"ids": _("订单 id 须为整数。")})
    ids = list(dict.fromkeys(order_ids))
    cap = settings.BULK_DISPATCH_MAX
    if len(ids) > cap:
        raise InvalidInput({"ids": _("一次最多派 %(max)d 张订单。") % {"max": cap}})
    return ids


def orders_dispatch_bulk(
    *, order_ids: Iterable[int], actor, now: datetime | None = None
) -> list[BulkDispatchOutcome]:
    """Send several reported orders each to its first suggested unit (批量派单).
    Dispatchers only (else ``Forbidden``); at most ``BULK_DISPATCH_MAX`` ids.

    Each order is its own ``order_dispatch``, in its own transaction, checked as a
    single dispatch is (scope, role, state, the row lock). One that fails — outside the
    actor's scope (reported as not found), without a suggested unit, already dispatched,
    refused by validation — is reported with its reason and the others still go.
    """
    if not is_dispatcher(actor):
        raise Forbidden(_("只有调处中心派单员可以派单。"))
    ids = _bulk_ids(order_ids)
    now = now or timezone.now()
    visible = {
        o.pk: o
        for o in orders_visible_to(actor)
        .filter(pk__in=[i for i in ids if is_valid_pk(i)])
        .select_related("community")
    }
    suggested = suggested_units_by_order(visible.values())
    outcomes = []
    for order_id in ids:
        order = visible.get(order_id)
        if order is None:
            outcomes.append(BulkDispatchOutcome(order_id, reason=str(NotFound().message)))
            continue
        units = suggested.get(order_id) or []
        if not units:
            reason = _("没有建议单位（无匹配的派单规则），请逐单选择单位。")
            outcomes.append(BulkDispatchOutcome(order_id, order.number, reason=reason))
            continue
        try:
            order_dispatch(order_id=order_id, actor=actor, lead_unit_id=units[0].pk, now=now)
        except InvalidInput as e:
            reason = joined(m for messages in e.errors.values() for m in messages)
            outcomes.append(BulkDispatchOutcome(order_id, order.number, reason=reason))
        except (NotFound, Forbidden, Conflict) as e:
            outcomes.append(BulkDispatchOutcome(order_id, order.number, reason=str(e.message)))
        else:
            outcomes.append(BulkDispatchOutcome(order_id, order.number, lead_unit=units[0]))
    return outcomes


def order_reassign(
    *,
    order_id: int,
    actor,
    lead_unit_id: int,
    assignee_id: int | None = None,
    assisting_unit_ids: Iterable[int] = (),
    note: str = "",
    now: datetime | None = None,
) -> Order:
    """Move a dispatched, unsigned order to another unit (改派); restarts the sign clock."""
    return _route(
        order_id,
        action="reassign",
        actor=actor,
        now=now or timezone.now(),
        lead_unit_id=lead_unit_id,
        assignee_id=assignee_id,
        assisting_unit_ids=list(assisting_unit_ids),
        note=note,
    )


# --- colour grades (红/黄/绿) and 包案 ---------------------------------------------------


def _case_leader(order: Order, case_leader_id) -> Any:
    """The user named as the order's 包案 leader, if a LEADER of a unit of its street
    (its center, or a unit of one of its communities); else 400 on ``case_leader``."""
    leader = (
        street_leaders(order.street_id).filter(pk=case_leader_id).first()
        if is_valid_pk(case_leader_id)
        else None
    )
    if leader is None:
        raise InvalidInput({"case_leader": _("包案领导须是本街道的包案领导。")})
    return leader


def _set_colour(o: Order, *, colour: str, case_leader_id, now: datetime) -> dict[str, Any]:
    """Give the order ``colour`` and, if named, its 包案 leader (told at once). A red
    order without a leader is 400 on ``case_leader``. Returns the timeline's record."""
    leader = o.case_leader
    if case_leader_id not in (None, ""):
        leader = _case_leader(o, case_leader_id)
    if colour == Colour.RED and leader is None:
        raise InvalidInput({"case_leader": _("红色订单须指定包案领导。")})
    newly_led = leader is not None and leader.pk != o.case_leader_id
    o.colour = colour
    if newly_led:
        o.case_leader = leader
        o.leader_reviewed_at = None  # a new leader reviews it afresh
        notify_case_leader(order=o, now=now)
    data: dict[str, Any] = {"colour": colour}
    if o.case_leader_id:
        data["case_leader"] = display_name(o.case_leader)
    return data


def _confirm_colour(
    o: Order, *, colour: str, reason: str, case_leader_id, now: datetime
) -> dict[str, Any]:
    """At dispatch: the colour computed from the order's risk and parties now (or the one
    an earlier 改色 gave it: ``selectors.colour_at_dispatch``), or the dispatcher's
    choice with a reason."""
    baseline, recoloured = colour_at_dispatch(o)
    chosen = colour or baseline
    reason = (reason or "").strip()
    if chosen != baseline and not reason:
        raise InvalidInput({"colour_reason": _("颜色等级与系统判定不同，须写明理由。")})
    data = _set_colour(o, colour=chosen, case_leader_id=case_leader_id, now=now)
    if chosen != baseline:
        data |= {"computed_colour": baseline, "colour_reason": reason}
    elif recoloured:
        data["recoloured"] = True  # kept as the 改色 on the timeline set it
    return data


def order_recolour(
    *,
    order_id: int,
    actor,
    colour: str,
    reason: str,
    case_leader_id: int | None = None,
    now: datetime | None = None,
) -> Order:
    """Change an open order's colour (改色), with a reason; or, keeping it, name another
    包案 leader. The street's dispatchers and its center's head. Turning it red needs a
    leader (named here or already), who is told. Clocks already running keep their
    limits; those started later follow the new colour's policy."""
    now = now or timezone.now()
    errors: dict[str, Any] = {}
    _require(errors, colour=colour, reason=reason)
    if colour and colour not in Colour.values:
        errors["colour"] = _("颜色等级无效。")
    if case_leader_id not in (None, "") and not is_valid_pk(case_leader_id):
        errors["case_leader"] = _("包案领导须是本街道的包案领导。")
    _raise_if(errors)

    def apply(o: Order):
        if not o.is_open:
            raise Conflict(_("订单已办结，不能改色。"), state=o.state)
        before = o.colour
        same_leader = case_leader_id in (None, "") or case_leader_id == o.case_leader_id
        if colour == before and same_leader:
            raise InvalidInput({"colour": _("颜色等级未改变。")})
        data = {
            "previous_colour": before,
            **_set_colour(o, colour=colour, case_leader_id=case_leader_id, now=now),
        }
        o.save(update_fields=["colour", "case_leader", "leader_reviewed_at"])
        return reason.strip(), data

    return _transition(
        order_id=order_id,
        actor=actor,
        action="recolour",
        kind=EventKind.RECOLOURED,
        now=now,
        apply=apply,
    )


def order_leader_review(*, order_id: int, actor, note: str, now: datetime | None = None) -> Order:
    """The 包案 leader records the review of a red order (包案审核), which it must before
    the order may close. Its named leader only, on an open red order (else 409)."""
    now = now or timezone.now()
    errors: dict[str, Any] = {}
    _require(errors, note=note)
    _raise_if(errors)

    def apply(o: Order):
        if not o.is_open:
            raise Conflict(_("订单已办结，不能审核。"), state=o.state)
        if o.colour != Colour.RED:
            raise Conflict(_("只有红色订单须包案审核。"), state=o.state)
        o.leader_reviewed_at = now
        o.save(update_fields=["leader_reviewed_at"])
        return note.strip(), {}

    return _transition(
        order_id=order_id,
        actor=actor,
        action="leader_review",
        kind=EventKind.LEADER_REVIEWED,
        now=now,
        apply=apply,
    )


def _clock_data(order: Order) -> dict:
    """The timeline's record of the clocks the step changed (``Order.clock_record``), its
    due times in Asia/Shanghai."""
    record = order.__dict__.pop("_clock_record", {})
    return {
        key: local_iso(value) if isinstance(value, datetime) else value
        for key, value in record.items()
    }


def order_sign(*, order_id: int, actor, now: datetime | None = None) -> Order:
    """The lead unit takes the order (签收). Records whether the 30-minute limit was met
    and starts the contact and meeting clocks."""
    now = now or timezone.now()

    def apply(o: Order):
        policy = sla_policy_for(category_id=o.category_id, risk_level=o.risk_level, colour=o.colour)
        o.sign(by=actor, at=now, limits=policy.limits)
        assistances_lead_signed(o, at=now)
        incident_results_queue(o, event=IncidentResultEvent.SIGNED, now=now)  # to 110
        return "", _clock_data(o)

    return _transition(
        order_id=order_id,
        actor=actor,
        action="sign",
        kind=EventKind.SIGNED,
        now=now,
        apply=apply,
    )


def order_return(*, order_id: int, actor, reason: str, now: datetime | None = None) -> Order:
    """The street's center pulls the order back to the queue at once (退单). Its
    dispatchers only: the lead unit asks instead (``order_return_request``)."""
    errors: dict[str, Any] = {}
    _require(errors, reason=reason)
    _raise_if(errors)
    return _return_to_queue(
        order_id=order_id, actor=actor, reason=reason.strip(), now=now or timezone.now()
    )


def _return_to_queue(
    *,
    order_id: int,
    actor,
    reason: str,
    now: datetime,
    review: Callable[[Order], tuple[str, dict[str, Any]]] | None = None,
) -> Order:
    """Back to the queue (``Order.return_to_queue``: the dispatch clock restarts at
    ``now``), as a dispatcher's pull or an approved request (``review`` decides it under
    the lock and returns the event's note, the unit's reason, and data)."""

    def apply(o: Order):
        note, extra = review(o) if review is not None else (reason, {})
        unit = o.lead_unit.name
        policy = sla_policy_for(category_id=o.category_id, risk_level=o.risk_level, colour=o.colour)
        o.return_to_queue(at=now, limits=policy.limits)
        o.assisting_units.clear()
        assistances_withdraw_all(o, at=now)
        data = {"returned_by_unit": unit, **extra, **_clock_data(o)}
        _directives_end(o, data, now=now)
        return note, data

    return _transition(
        order_id=order_id,
        actor=actor,
        action="return",
        kind=EventKind.RETURNED,
        now=now,
        apply=apply,
    )


# --- assisting units (协办) ----------------------------------------------------------------


def order_add_assisting(
    *, order_id: int, actor, unit_ids: Iterable[int], note: str = "", now: datetime | None = None
) -> Order:
    """The center sends more assisting units to an order already dispatched (增派协办),
    e.g. when the lead unit asks for help. Each signs for its part within the signing
    limit from now."""
    now = now or timezone.now()
    wanted = list(dict.fromkeys(unit_ids or []))
    if not wanted:
        raise InvalidInput({"units": _("请至少选择一个协办单位。")})
    valid = [pk for pk in wanted if is_valid_pk(pk)]
    units = list(Unit.objects.filter(pk__in=valid, is_active=True))
    if len(units) != len(wanted):
        raise InvalidInput({"units": _("协办单位无效。")})

    def apply(o: Order):
        serving = set(units_serving(o.street).filter(pk__in=valid).values_list("pk", flat=True))
        current = {o.lead_unit_id, *o.assisting_units.values_list("pk", flat=True)}
        if any(u.pk not in serving for u in units):
            raise InvalidInput({"units": _("协办单位无效。")})
        if any(u.pk in current for u in units):
            raise InvalidInput({"units": _("该单位已是本订单的责任单位或协办单位。")})
        policy = sla_policy_for(category_id=o.category_id, risk_level=o.risk_level, colour=o.colour)
        parts = assistances_add(o, units, at=now, policy=policy)
        o.assisting_units.add(*units)
        due_by = {p.unit_id: p.sign_duty.due_at for p in parts}
        notify_assisting(order=o, units=units, due_by=due_by, now=now, actor=actor)
        return note.strip(), {"assisting_units": [u.name for u in units]}

    return _transition(
        order_id=order_id,
        actor=actor,
        action="add_assisting",
        kind=EventKind.ASSIST_ADDED,
        now=now,
        apply=apply,
    )


def _my_parts(o: Order, actor, **filters) -> list:
    """The running parts of the actor's units in the order (``Assistance``)."""
    units = [
        m.unit_id
        for m in Membership.objects.filter(user=actor, role__in=[Role.HANDLER, Role.UNIT_HEAD])
    ]
    return list(
        o.assistances.filter(ended_at__isnull=True, unit_id__in=units, **filters)
        .select_related("unit", "sign_duty", "opinion_duty")
        .order_by("id")
    )


def _parts_data(parts, on_time: list[bool | None]) -> dict[str, Any]:
    """The timeline's record of an assisting step: its units, and whether their duties
    were met on time (absent for parts sent before the clocks existed)."""
    data: dict[str, Any] = {"units": [p.unit.name for p in parts]}
    if any(v is not None for v in on_time):
        data["on_time"] = all(v is not False for v in on_time)
    return data


def order_assist_sign(*, order_id: int, actor, now: datetime | None = None) -> Order:
    """An assisting unit signs for its part (协办签收): the part of each of the actor's
    units that has not signed yet."""
    now = now or timezone.now()

    def apply(o: Order):
        parts = _my_parts(o, actor, signed_at__isnull=True)
        if not parts:
            raise Conflict(_("本单位的协办已签收。"), state=o.state)
        on_time = [assistance_sign(o, part, by=actor, at=now) for part in parts]
        return "", _parts_data(parts, on_time)

    return _transition(
        order_id=order_id,
        actor=actor,
        action="assist_sign",
        kind=EventKind.ASSIST_SIGNED,
        now=now,
        apply=apply,
    )


def order_assist_opinion(
    *, order_id: int, actor, opinion: str, now: datetime | None = None
) -> Order:
    """An assisting unit files its opinion (协办意见), once, after signing for its part;
    due at the order's meeting deadline."""
    errors: dict[str, Any] = {}
    _require(errors, opinion=opinion)
    _raise_if(errors)
    now = now or timezone.now()
    text = opinion.strip()

    def apply(o: Order):
        parts = _my_parts(o, actor, opinion_at__isnull=True)
        if not parts:
            raise Conflict(_("本单位已提交协办意见。"), state=o.state)
        unsigned = [p for p in parts if p.signed_at is None]
        if unsigned:
            raise Conflict(_("请先协办签收，再提交意见。"), state=o.state)
        on_time = [assistance_opinion(p, by=actor, at=now, text=text) for p in parts]
        for part in parts:
            notify_assist_opinion(order=o, unit=part.unit, now=now, actor=actor)
        return text, _parts_data(parts, on_time)

    return _transition(
        order_id=order_id,
        actor=actor,
        action="assist_opinion",
        kind=EventKind.ASSIST_OPINION,
        now=now,
        apply=apply,
    )


# --- reviewed returns (退单审核) and final assignment (终审派单) ---------------------------


def returns_to_queue(order: Order) -> int:
    """How often the order went back to the queue: every return, a dispatcher's pull or
    an approved request (and those before reviewed returns existed)."""
    return order.events.filter(kind=EventKind.RETURNED).count()


def review_unit_id(order: Order) -> int | None:
    """The unit owing the review of a return (the ``review`` duty): the street's center
    (an active ``STREET_CENTER`` unit of the order's street, the oldest); failing that, the
    unit of one of the street's dispatchers; None if the street has neither (no clock
    runs; the dispatchers who see the order still review it)."""
    centers = Unit.objects.filter(area_id=order.street_id, is_active=True).order_by("pk")
    unit_id = centers.filter(kind=Unit.Kind.STREET_CENTER).values_list("pk", flat=True).first()
    if unit_id is None:
        unit_id = (
            Membership.objects.filter(role=Role.DISPATCHER, unit__area_id=order.street_id)
            .order_by("unit_id")
            .values_list("unit_id", flat=True)
            .first()
        )
    return unit_id


def pending_return(order: Order) -> ReturnRequest | None:
    """The order's return request awaiting review, if any."""
    if not order.return_pending:
        return None
    return (
        order.return_requests.filter(decided_at=None, closed_at=None)
        .select_related("unit", "requested_by", "duty")
        .first()
    )


def _close_stale_return_request(order: Order, *, now: datetime) -> None:
    """A step moved the order on while its return awaited review: out of the states it
    may return from (signed, contacted, closed, cancelled, pulled back by the center) or
    to another unit. The request closes undecided and its review clock ends."""
    request = pending_return(order)
    if request is None:
        order.return_pending = False
        order.save(update_fields=["return_pending"])
        return
    if order.state in RETURNABLE and order.lead_unit_id == request.unit_id:
        return  # e.g. signed while waiting: the request stands
    request.closed_at = now
    request.save(update_fields=["closed_at"])
    if request.duty is not None:
        duties_end([request.duty], at=now)
    order.return_pending = False
    order.save(update_fields=["return_pending"])


def _check_returnable(order: Order) -> None:
    if order.final_assignment:
        raise Conflict(_("终审派单，不能退单，可申请协办。"), state=order.state)
    if order.state not in RETURNABLE:
        raise Conflict(
            _("当前状态“%(state)s”不能执行此操作。") % {"state": order.get_state_display()},
            state=order.state,
        )


def order_return_request(
    *, order_id: int, actor, reason: str, now: datetime | None = None
) -> Order:
    """The lead unit asks to give the order back (申请退单), e.g. "not our duty": its
    handlers (the assignee, if one is named) and heads, while dispatched or signed and
    not under final assignment (else ``Conflict``). Nothing changes on the order: the
    unit keeps it and its clocks run on. Records a ``ReturnRequest`` and its review duty,
    owed by the street's center (``review_unit_id``), and tells the street's dispatchers.
    A second request while one awaits review is a ``Conflict``."""
    errors: dict[str, Any] = {}
    _require(errors, reason=reason)
    _raise_if(errors)
    now = now or timezone.now()

    def apply(o: Order):
        _check_returnable(o)
        if o.return_pending:
            raise Conflict(_("此订单已有待审核的退单申请。"), state=o.state)
        policy = sla_policy_for(category_id=o.category_id, risk_level=o.risk_level, colour=o.colour)
        unit_id = review_unit_id(o)
        duty = None
        if unit_id is not None:
            duty = duty_start(
                order=o, kind="review", unit_id=unit_id, at=now, limit=policy.duty_limit("review")
            )
        request = ReturnRequest.objects.create(
            order=o,
            unit_id=o.lead_unit_id,
            requested_by=actor,
            requested_at=now,
            reason=reason.strip(),
            duty=duty,
        )
        o.return_pending = True
        o.save(update_fields=["return_pending"])
        data = {"request_id": request.pk, "unit": o.lead_unit.name}
        if duty is not None:
            data.update(duty_data(duty))
        return request.reason, data

    return _transition(
        order_id=order_id,
        actor=actor,
        action="return_request",
        kind=EventKind.RETURN_REQUESTED,
        now=now,
        apply=apply,
    )


def _decide(o: Order, *, actor, approved: bool, note: str, now: datetime) -> dict[str, Any]:
    """Decide the order's pending request under its lock: ``Conflict`` if none awaits
    review or the order has since gone to another unit. Meets the review duty."""
    request = pending_return(o)
    if request is None:
        raise Conflict(_("没有待审核的退单申请。"), state=o.state)
    if request.unit_id != o.lead_unit_id or o.state not in RETURNABLE:
        raise Conflict(_("责任单位已变更，此退单申请不能再审核。"), state=o.state)
    request.decided_by, request.decided_at = actor, now
    request.approved, request.decision_note = approved, note
    request.save(update_fields=["decided_by", "decided_at", "approved", "decision_note"])
    o.return_pending = False
    o.save(update_fields=["return_pending"])
    data: dict[str, Any] = {"request_id": request.pk, "unit": request.unit.name}
    if request.duty is not None and request.duty.is_running:
        duty_meet(request.duty, at=now)
        data.update(duty_data(request.duty))
    return data


def order_return_review(
    *, order_id: int, actor, approve: bool, note: str = "", now: datetime | None = None
) -> Order:
    """The street's center decides the lead unit's return request (退单审核): its
    dispatchers only. Approved, the order goes back to the queue as by ``order_return``
    (the dispatch clock restarts now; the RETURNED event carries the unit's reason, the
    note, if any, in its data). Rejected (``note`` required: why), nothing changes on
    the order: the unit keeps it with its clocks as they were, and hears why. Either
    way the review duty is met. ``Conflict`` when no request awaits review or the order
    went to another unit meanwhile."""
    now = now or timezone.now()
    note = (note or "").strip()
    if not isinstance(approve, bool):
        raise InvalidInput({"approve": _("请选择批准或驳回。")})
    if approve:

        def review(o: Order) -> tuple[str, dict[str, Any]]:
            request = pending_return(o)
            data = _decide(o, actor=actor, approved=True, note=note, now=now)
            data["approved"] = True
            if note:
                data["decision_note"] = note
            return request.reason, data

        return _return_to_queue(order_id=order_id, actor=actor, reason="", now=now, review=review)
    errors: dict[str, Any] = {}
    _require(errors, note=note)
    _raise_if(errors)

    def apply(o: Order):
        data = _decide(o, actor=actor, approved=False, note=note, now=now)
        return note, data

    return _transition(
        order_id=order_id,
        actor=actor,
        action="return_review",
        kind=EventKind.RETURN_REJECTED,
        now=now,
        apply=apply,
    )


def order_ask_assistance(*, order_id: int, actor, note: str, now: datetime | None = None) -> Order:
    """Under final assignment the lead unit may not return the order; it asks the center
    for help instead (申请协办): ``note`` names what help is needed. Its handlers and
    heads, while the order is open and dispatched to it (else ``Conflict``). Recorded on
    the timeline and told to the street's dispatchers, who answer by adding an assisting
    unit (the dispatch and reassignment forms)."""
    errors: dict[str, Any] = {}
    _require(errors, note=note)
    _raise_if(errors)
    now = now or timezone.now()

    def apply(o: Order):
        if not o.final_assignment:
            raise Conflict(_("只有终审派单的订单可申请协办，其他订单可申请退单。"), state=o.state)
        return note.strip(), {"unit": o.lead_unit.name}

    return _transition(
        order_id=order_id,
        actor=actor,
        action="ask_assistance",
        kind=EventKind.ASSISTANCE_ASKED,
        now=now,
        apply=apply,
    )


def order_record_contact(
    *,
    order_id: int,
    actor,
    method: str,
    note: str = "",
    contacted_at: datetime | None = None,
    now: datetime | None = None,
) -> Order:
    """Record that the parties were contacted (联系). Due 24 h after signing by default.

    ``contacted_at`` may be earlier than now (entered after the call) but not in the
    future nor before signing.
    """
    now = now or timezone.now()
    at = contacted_at or now
    errors: dict[str, Any] = {}
    _require(errors, method=method)
    if method and method not in ContactMethod.values:
        errors["method"] = _("联系方式无效。")
    if at > now:
        errors["contacted_at"] = _("联系时间不能晚于现在。")
    _raise_if(errors)

    def apply(o: Order):
        if at < o.signed_at:
            raise InvalidInput({"contacted_at": _("联系时间不能早于签收时间。")})
        o.record_contact(at=at, how=method, note=note.strip())
        return note.strip(), {
            "method": method,
            **_clock_data(o),
            "contacted_at": local_iso(at),
        }

    return _transition(
        order_id=order_id,
        actor=actor,
        action="contact",
        kind=EventKind.CONTACTED,
        now=now,
        apply=apply,
    )


def order_record_meeting(
    *,
    order_id: int,
    actor,
    place: str,
    participants: str,
    result: str,
    met_at: datetime | None = None,
    now: datetime | None = None,
) -> Order:
    """Record the meeting and mediation with the parties (见面调解). Due 48 h after
    signing by default."""
    now = now or timezone.now()
    at = met_at or now
    errors: dict[str, Any] = {}
    _require(errors, place=place, participants=participants, result=result)
    if at > now:
        errors["met_at"] = _("调解时间不能晚于现在。")
    _raise_if(errors)

    def apply(o: Order):
        if at < o.contacted_at:
            raise InvalidInput({"met_at": _("调解时间不能早于联系时间。")})
        o.record_meeting(
            at=at, place=place.strip(), participants=participants.strip(), result=result.strip()
        )
        return result.strip(), {
            "place": place.strip(),
            **_clock_data(o),
            "met_at": local_iso(at),
        }

    return _transition(
        order_id=order_id,
        actor=actor,
        action="meet",
        kind=EventKind.MET,
        now=now,
        apply=apply,
    )


AGREEMENT_TEXT_MAX = 5000  # characters of each part of an agreement


def _closing_errors(
    *,
    outcome: str,
    summary: str,
    grade: str,
    referral: str,
    facts: str,
    terms: str,
    performance: str,
    perform_by,
    now: datetime,
) -> dict[str, Any]:
    errors: dict[str, Any] = {}
    _require(errors, outcome=outcome, summary=summary)
    if outcome and outcome not in Outcome.values:
        errors["outcome"] = _("结果无效。")
    agreed = outcome in (Outcome.MEDIATED, Outcome.PARTLY_MEDIATED)
    if agreed and not grade:
        errors["grade"] = _("调解成功的案件须评定等级。")
    if grade and grade not in Grade.values:
        errors["grade"] = _("等级无效。")
    if outcome == Outcome.FAILED and not referral:
        errors["referral"] = _("调解不成须注明移交途径。")
    if referral and referral not in Referral.values:
        errors["referral"] = _("移交途径无效。")
    elif why := referral_fits(outcome=outcome, referral=referral):
        errors["referral"] = why
    if agreed:
        # 人民调解协议书: the facts, the terms agreed, how and by when they are performed.
        _require(errors, facts=facts, terms=terms, performance=performance)
    for name, text in (("facts", facts), ("terms", terms), ("performance", performance)):
        if len(text) > AGREEMENT_TEXT_MAX:
            errors[name] = _("不超过%(n)d字。") % {"n": AGREEMENT_TEXT_MAX}
    if perform_by is not None and perform_by < now.astimezone(SHANGHAI).date():
        errors["perform_by"] = _("履行期限不能早于今天。")
    return errors


def order_propose_close(
    *,
    order_id: int,
    actor,
    outcome: str,
    summary: str,
    grade: str = "",
    referral: str = "",
    facts: str = "",
    terms: str = "",
    performance: str = "",
    perform_by=None,
    now: datetime | None = None,
) -> Order:
    """Propose the closing (提交结单): the outcome, and for a mediated case the agreement
    (人民调解协议书). Each party gets its own confirmation link (texted where it agreed to
    SMS); the reporter and the center sign off; the order closes when all are in
    (``closing_respond``, ``order_closing_confirm``, ``order_closing_sign``). The
    ``closing`` duty (72 hours) runs meanwhile, owed by the lead unit."""
    now = now or timezone.now()
    texts = {
        k: (v or "").strip()
        for k, v in dict(summary=summary, facts=facts, terms=terms, performance=performance).items()
    }
    _raise_if(
        _closing_errors(
            outcome=outcome, grade=grade, referral=referral, perform_by=perform_by, now=now, **texts
        )
    )
    agreed = outcome in (Outcome.MEDIATED, Outcome.PARTLY_MEDIATED)

    def apply(o: Order):
        if o.colour == Colour.RED and o.leader_reviewed_at is None:
            raise Conflict(_("红色订单须经包案领导审核后才能结单。"), state=o.state)
        o.propose_close()
        proposal = ClosingProposal.objects.create(
            order=o,
            proposed_by=actor,
            proposed_at=now,
            outcome=outcome,
            grade=grade,
            referral=referral,
            summary=texts["summary"],
            facts=texts["facts"] if agreed else "",
            terms=texts["terms"] if agreed else "",
            performance=texts["performance"] if agreed else "",
            perform_by=perform_by if agreed else None,
            reporter_needed=o.source != Source.POLICE_INCIDENT,
        )
        confirmations = PartyConfirmation.objects.bulk_create(
            PartyConfirmation(proposal=proposal, party=p, token=secrets.token_urlsafe(24))
            for p in o.parties.all()
        )
        policy = sla_policy_for(category_id=o.category_id, risk_level=o.risk_level, colour=o.colour)
        duty = duty_start(
            order=o,
            kind="closing",
            unit_id=o.lead_unit_id,
            at=now,
            limit=policy.duty_limit("closing"),
        )
        text_closing_codes(order=o, confirmations=confirmations, now=now)
        data = {"proposal_id": proposal.pk, "outcome": outcome, "grade": grade}
        return texts["summary"], {**data, "referral": referral, **duty_data(duty)}

    return _transition(
        order_id=order_id,
        actor=actor,
        action="close",
        kind=EventKind.CLOSING_PROPOSED,
        now=now,
        apply=apply,
    )


def pending_closing(order: Order) -> ClosingProposal | None:
    return order.closings.filter(status=ClosingProposal.Status.PENDING).first()


def _pending_closing(o: Order) -> ClosingProposal:
    proposal = pending_closing(o)
    if proposal is None:
        raise Conflict(_("没有待确认的结单。"), state=o.state)
    return proposal


def closing_missing(proposal: ClosingProposal) -> list[str]:
    """Who has yet to confirm the proposed closing, by name: parties, the reporter, the
    center. Empty: it may close."""
    missing = [
        c.party.name
        for c in proposal.confirmations.select_related("party")
        if c.answer != PartyConfirmation.Answer.CONFIRMED
    ]
    if proposal.reporter_needed and proposal.reporter_signed_at is None:
        missing.append(str(_("报单人")))
    if proposal.center_signed_at is None:
        missing.append(str(_("调解中心")))
    return missing


def _end_closing(
    o: Order, proposal: ClosingProposal, *, status: str, reason: str, now: datetime
) -> dict[str, Any]:
    """The proposal ends (closed, refused, withdrawn): its links die, its duty is met
    (closed) or ends unmet."""
    proposal.status, proposal.ended_at, proposal.end_reason = status, now, reason
    proposal.save(update_fields=["status", "ended_at", "end_reason", "forced"])
    duty = o.duties.running().filter(kind="closing").first()
    if duty is None:
        return {}
    if status == ClosingProposal.Status.CLOSED and not proposal.forced:
        duty_meet(duty, at=now)
        return duty_data(duty)
    duties_end([duty], at=now)
    return {"duty_id": duty.pk, "duty": duty.kind, "ended": True}


def _close_by_proposal(
    o: Order, proposal: ClosingProposal, *, now: datetime, reason: str = ""
) -> tuple[str, dict[str, Any]]:
    """Close the order as proposed: every confirmation is in, or the center closes it
    past the limit (``proposal.forced``). The parties who confirmed are marked; each
    party gets its review link."""
    o.close(
        at=now,
        outcome=proposal.outcome,
        summary=proposal.summary,
        grade=proposal.grade,
        referral=proposal.referral,
    )
    incident_results_queue(o, event=IncidentResultEvent.ENDED, now=now)  # to 110
    follow_up = start_referral_follow_up(o, now=now)  # 移交跟踪 (disputes.referrals)
    visits = schedule_return_visits(o, now=now)  # 回访 (disputes.visits)
    duty = _end_closing(o, proposal, status=ClosingProposal.Status.CLOSED, reason=reason, now=now)
    confirmed = proposal.confirmations.filter(answer=PartyConfirmation.Answer.CONFIRMED)
    Party.objects.filter(pk__in=confirmed.values("party_id")).update(confirmed_at=now)
    _invite_reviews(order=o, party_ids=o.parties.values_list("pk", flat=True), now=now)
    data = {
        "proposal_id": proposal.pk,
        "outcome": proposal.outcome,
        "grade": proposal.grade,
        "referral": proposal.referral,
        **({"forced": True} if proposal.forced else {}),
        "closing": duty,
        **follow_up,
        "return_visits": visits,
    }
    return reason or proposal.summary, {**data, **_grade_review_due(o, now=now)}


def _close_if_complete(*, order_id: int, actor, now: datetime) -> Order | None:
    """After a confirmation or a sign-off (same transaction): close the order if it was
    the last one missing."""

    def lock() -> Order:
        return Order.objects.select_for_update(of=("self",), no_key=True).get(pk=order_id)

    order = lock()
    proposal = pending_closing(order) if order.state == State.CONFIRMING else None
    if proposal is None or closing_missing(proposal):
        return None
    return _transition(
        lock=lock,
        actor=actor,
        action=None,
        kind=EventKind.CLOSED,
        now=now,
        apply=lambda o: _close_by_proposal(o, proposal, now=now),
    )


def _answer(
    o: Order,
    confirmation: PartyConfirmation,
    *,
    confirm: bool,
    reason: str,
    how: str,
    now: datetime,
    recorded_by=None,
    photo: Attachment | None = None,
) -> tuple[str, dict[str, Any]]:
    """Record one party's answer; a refusal sends the order back to mediation."""
    proposal = confirmation.proposal
    if not proposal.is_pending or o.state != State.CONFIRMING:
        raise Conflict(_("此结单确认已结束。"), state=o.state)
    if confirmation.answer:
        raise Conflict(_("该当事人已答复。"), state=o.state)
    confirmation.answer = (
        PartyConfirmation.Answer.CONFIRMED if confirm else PartyConfirmation.Answer.REFUSED
    )
    confirmation.answered_at, confirmation.how, confirmation.reason = now, how, reason
    confirmation.recorded_by, confirmation.photo = recorded_by, photo
    confirmation.save()
    data: dict[str, Any] = {
        "proposal_id": proposal.pk,
        "party_id": confirmation.party_id,
        "party": confirmation.party.name,
        "how": how,
    }
    if photo is not None:
        data["attachment_id"] = photo.pk
    if not confirm:
        o.back_to_mediation()
        data.update(
            _end_closing(o, proposal, status=proposal.Status.REFUSED, reason=reason, now=now)
        )
    return reason, data


def closing_respond(
    *, token: str, confirm: bool, reason: str = "", now: datetime | None = None
) -> PartyConfirmation:
    """A party answers the proposed closing through its own link (no login): confirms
    it, or refuses with a reason, which sends the order back to mediation. Once per
    link; a link of an ended proposal, or older than ``CLOSING_LINK_TTL``, is refused
    (``Conflict``); an unknown one is ``NotFound``."""
    now = now or timezone.now()
    reason = (reason or "").strip()
    if not confirm and not reason:
        raise InvalidInput({"reason": _("请说明不同意的理由。")})
    if len(reason) > 1000:
        raise InvalidInput({"reason": _("理由不超过1000字。")})
    confirmation: PartyConfirmation | None = None

    def lock() -> Order:
        nonlocal confirmation
        confirmation = confirmation_by_token(token)
        if confirmation is None:
            raise NotFound(_("确认链接无效。"))
        order = Order.objects.select_for_update(of=("self",), no_key=True).get(
            pk=confirmation.proposal.order_id
        )
        confirmation.refresh_from_db()
        return order

    def apply(o: Order):
        if now > confirmation.proposal.proposed_at + settings.CLOSING_LINK_TTL:
            raise Conflict(_("确认链接已过期。"), state=o.state)
        return _answer(o, confirmation, confirm=confirm, reason=reason, how="link", now=now)

    kind = EventKind.PARTY_CONFIRMED if confirm else EventKind.PARTY_REFUSED
    with transaction.atomic():
        order = _transition(lock=lock, actor=None, action=None, kind=kind, now=now, apply=apply)
        if confirm:
            _close_if_complete(order_id=order.pk, actor=None, now=now)
    return confirmation


def confirmation_by_token(token: str) -> PartyConfirmation | None:
    if not token or len(token) > 64:
        return None
    return PartyConfirmation.objects.select_related("proposal", "party").filter(token=token).first()


def order_closing_confirm(
    *,
    order_id: int,
    actor,
    party_id: int,
    upload,
    confirm: bool = True,
    reason: str = "",
    now: datetime | None = None,
) -> Order:
    """The handler records a party's answer given in person (当面确认): confirmed, with a
    photo of the signed agreement, or refused with the reason."""
    now = now or timezone.now()
    reason = (reason or "").strip()
    errors: dict[str, Any] = {}
    if confirm and upload is None:
        errors["file"] = _("请上传当事人签字的协议书照片。")
    if not confirm and not reason:
        errors["reason"] = _("请说明不同意的理由。")
    if not is_valid_pk(party_id):
        errors["party"] = _("当事人无效。")
    _raise_if(errors)
    _check_may(actor=actor, order_id=order_id, action="closing_confirm")
    prepared = attachment_prepare(upload=upload) if upload is not None else None

    with transaction.atomic():
        photo = None
        if prepared is not None:
            photo = order_attach(
                order_id=order_id,
                actor=actor,
                upload=prepared,
                note=_("签字协议书"),
                now=now,
            )

        def apply(o: Order):
            proposal = _pending_closing(o)
            confirmation = (
                proposal.confirmations.select_related("party", "proposal")
                .filter(party_id=party_id)
                .first()
            )
            if confirmation is None:
                raise InvalidInput({"party": _("当事人不属于此订单。")})
            return _answer(
                o,
                confirmation,
                confirm=confirm,
                reason=reason,
                how="in_person",
                now=now,
                recorded_by=actor,
                photo=photo,
            )

        kind = EventKind.PARTY_CONFIRMED if confirm else EventKind.PARTY_REFUSED
        order = _transition(
            order_id=order_id,
            actor=actor,
            action="closing_confirm",
            kind=kind,
            now=now,
            apply=apply,
        )
        return _close_if_complete(order_id=order.pk, actor=actor, now=now) or order


def sign_offs_owed(proposal: ClosingProposal, mine: set) -> list[str]:
    """The sign-offs a person in the capacities ``mine`` still owes the proposed
    closing: "reporter" (unless the command system reported it), "center"."""
    owed = []
    if Capacity.REPORTER in mine and proposal.reporter_needed and not proposal.reporter_signed_at:
        owed.append("reporter")
    if Capacity.DISPATCHER in mine and proposal.center_signed_at is None:
        owed.append("center")
    return owed


def order_closing_sign(*, order_id: int, actor, now: datetime | None = None) -> Order:
    """The reporter and the street center sign off the proposed closing (签字确认): each
    signs what its capacity may sign and has not; one person who is both signs both.
    The last confirmation closes the order."""
    now = now or timezone.now()

    with transaction.atomic():

        def apply(o: Order):
            proposal = _pending_closing(o)
            signed = sign_offs_owed(proposal, capacities(actor, o))
            for who in signed:
                setattr(proposal, f"{who}_signed_at", now)
                setattr(proposal, f"{who}_signed_by", actor)
            if not signed:
                raise Conflict(_("您已签字确认。"), state=o.state)
            proposal.save(
                update_fields=[
                    "reporter_signed_at",
                    "reporter_signed_by",
                    "center_signed_at",
                    "center_signed_by",
                ]
            )
            return "", {"proposal_id": proposal.pk, "signed": signed}

        order = _transition(
            order_id=order_id,
            actor=actor,
            action="closing_sign",
            kind=EventKind.CLOSING_SIGNED,
            now=now,
            apply=apply,
        )
        return _close_if_complete(order_id=order.pk, actor=actor, now=now) or order


def order_close_overdue(*, order_id: int, actor, reason: str, now: datetime | None = None) -> Order:
    """Past the ``closing`` duty's limit the street center closes the order with a reason
    although confirmations are missing (逾期结单); who did not confirm stays on record."""
    now = now or timezone.now()
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput({"reason": _("请写明逾期结单的理由。")})

    def apply(o: Order):
        proposal = _pending_closing(o)
        duty = o.duties.filter(kind="closing").order_by("-started_at").first()
        if duty is not None and now <= duty.due_at:
            raise Conflict(
                _("结单确认时限未到（%(due)s），不能逾期结单。")
                % {"due": local_iso(duty.due_at)[:16].replace("T", " ")},
                state=o.state,
            )
        proposal.forced = True
        note, data = _close_by_proposal(o, proposal, now=now, reason=reason)
        return note, {**data, "missing": closing_missing(proposal)}

    return _transition(
        order_id=order_id,
        actor=actor,
        action="close_overdue",
        kind=EventKind.CLOSED,
        now=now,
        apply=apply,
    )


def order_closing_withdraw(
    *, order_id: int, actor, reason: str = "", now: datetime | None = None
) -> Order:
    """The handler withdraws the proposed closing (撤回结单), e.g. to correct the
    agreement: back to mediation, every link of it dead."""
    now = now or timezone.now()
    reason = (reason or "").strip()

    def apply(o: Order):
        proposal = _pending_closing(o)
        o.back_to_mediation()
        data = _end_closing(o, proposal, status=proposal.Status.WITHDRAWN, reason=reason, now=now)
        return reason, {"proposal_id": proposal.pk, **data}

    return _transition(
        order_id=order_id,
        actor=actor,
        action="closing_withdraw",
        kind=EventKind.CLOSING_WITHDRAWN,
        now=now,
        apply=apply,
    )


def _invite_reviews(*, order: Order, party_ids: Iterable[int], now: datetime) -> None:
    """At closing: one review link each party."""
    # One unguessable review link per party, printed on the closing page.
    reviews = Review.objects.bulk_create(
        Review(order=order, party_id=pid, token=secrets.token_urlsafe(24), created_at=now)
        for pid in sorted(party_ids)
    )
    # Parties who agreed to SMS get their review code (sent after commit, once).
    text_review_codes(order=order, reviews=reviews, now=now)


def order_settle_on_the_spot(
    *, actor, data: ReportInput, summary: str, now: datetime | None = None
) -> Order:
    """A dispute its reporter settled on the spot (就地化解), recorded in one step: reported
    and at once closed by the reporter as mediated, with what was agreed. Its timeline
    has the ``reported`` and ``closed`` events; it is never dispatched, so no clock runs
    and no dispatcher is told. The parties get their review links as at any closing;
    its return visit is due as for any closed order. Whoever may report may."""
    now = now or timezone.now()
    summary = visible_text(summary or "") and (summary or "").strip()
    missing = {"summary": [_("请填写达成的协议。")]} if not summary else {}

    def apply(o: Order):
        o.settle_on_the_spot(at=now, summary=summary)
        o.parties.update(confirmed_at=now)
        _invite_reviews(order=o, party_ids=o.parties.values_list("pk", flat=True), now=now)
        data = {"outcome": Outcome.MEDIATED, "grade": o.grade, "on_the_spot": True}
        data["return_visits"] = schedule_return_visits(o, now=now)
        return summary, {**data, **_grade_review_due(o, now=now)}

    # One transaction: a refused closing leaves no order behind.
    with transaction.atomic():
        try:
            order = order_report(actor=actor, data=data, announce=False, now=now, on_the_spot=True)
        except InvalidInput as e:
            raise InvalidInput({**e.errors, **missing}) from None
        _raise_if(missing)
        return _transition(
            order_id=order.pk,
            actor=actor,
            action="settle",
            kind=EventKind.CLOSED,
            now=now,
            apply=apply,
        )


def order_cancel(*, order_id: int, actor, reason: str, now: datetime | None = None) -> Order:
    """Cancel a duplicate or invalid order (撤销). The street's dispatchers only."""
    now = now or timezone.now()
    errors: dict[str, Any] = {}
    _require(errors, reason=reason)
    _raise_if(errors)

    def apply(o: Order):
        proposal = pending_closing(o) if o.state == State.CONFIRMING else None
        o.cancel(at=now, reason=reason.strip())
        incident_results_queue(o, event=IncidentResultEvent.ENDED, now=now)  # to 110
        if proposal is not None:  # its links die with it
            _end_closing(o, proposal, status=proposal.Status.WITHDRAWN, reason=reason, now=now)
        return reason.strip(), {}

    return _transition(
        order_id=order_id,
        actor=actor,
        action="cancel",
        kind=EventKind.CANCELLED,
        now=now,
        apply=apply,
    )


# --- duplicates merged (重复报单合并) -------------------------------------------------------

# How many merged orders a target number is followed through to its keeper: the links
# form no cycle (a merged order is never chosen as a keeper), so this only bounds a loop.
MERGE_CHAIN_LIMIT = 20


def merge_keeper(*, actor, duplicate_id: int, into: str) -> Order:
    """The order a duplicate is to be merged into, by its number (``into``), unlocked:
    one of the actor's street's orders (else ``InvalidInput`` naming ``into``). A merged
    order named is followed to the order it was merged into (its keeper); a keeper that
    is the duplicate itself, or cancelled, is refused."""
    visible = orders_visible_to(actor)
    keeper = visible.filter(number=into).first()
    for _hop in range(MERGE_CHAIN_LIMIT):
        if keeper is None or keeper.state != State.MERGED:
            break
        keeper = visible.filter(pk=keeper.merged_into_id).first()
    if keeper is None or keeper.state == State.MERGED or not is_dispatcher_for(actor, keeper):
        raise InvalidInput(
            {"into": _("在您的街道未找到编号为“%(number)s”的订单。") % {"number": into}}
        )
    if keeper.pk == duplicate_id:
        raise InvalidInput({"into": _("不能合并到本订单。")})
    if keeper.state == State.CANCELLED:
        raise InvalidInput(
            {"into": _("订单 %(number)s 已撤销，不能作为保留订单。") % {"number": keeper.number}}
        )
    return keeper


def order_merge(
    *, order_id: int, actor, into: str, reason: str, now: datetime | None = None
) -> Order:
    """Mark an order as a duplicate (重复报单) of the order numbered ``into`` and merge it
    there: the street's dispatchers (as for cancelling), both orders in their street.
    The duplicate ends as ``merged`` (``Order.merge``, from any open state): every clock
    stopped, its duties, alarms and pauses ended, a pending closing withdrawn, as a
    cancellation; a 被合并 event on its timeline, a 合并 event on the kept one's. A
    merged order named as ``into`` is followed to its keeper. Both rows are locked in id
    order, so two merges crossing each other wait instead of deadlocking; a keeper
    merged meanwhile is a ``Conflict``."""
    now = now or timezone.now()
    into = (into or "").strip().upper()  # numbers are upper case: hb-… is HB-…
    errors: dict[str, Any] = {}
    _require(errors, into=into, reason=reason)
    _raise_if(errors)
    reason = reason.strip()
    # Role (403) and state (409) first, without a lock: a bad number then is a 400.
    found = orders_visible_to(actor).filter(pk=order_id).first() if is_valid_pk(order_id) else None
    if found is None:
        raise NotFound()
    if "merge" not in allowed_actions(actor, found):
        raise Forbidden()
    if not can_proceed(found.merge):
        raise Conflict(
            _("当前状态“%(state)s”不能执行此操作。") % {"state": found.get_state_display()},
            state=found.state,
        )
    keeper = merge_keeper(actor=actor, duplicate_id=order_id, into=into)
    locked: dict[int, Order] = {}

    def lock() -> Order:
        rows = (
            orders_visible_to(actor)
            .select_for_update(of=("self",), no_key=True)
            .filter(pk__in=[order_id, keeper.pk])
            .order_by("pk")
        )
        locked.update((o.pk, o) for o in rows)
        if order_id not in locked:
            raise NotFound()
        kept = locked.get(keeper.pk)
        if kept is None or kept.state == State.MERGED:
            raise Conflict(_("保留订单刚被合并，请重新选择。"), state=locked[order_id].state)
        return locked[order_id]

    def apply(o: Order):
        kept = locked[keeper.pk]
        proposal = pending_closing(o) if o.state == State.CONFIRMING else None
        o.merge(into=kept, at=now, reason=reason)
        incident_results_merged(o, into=kept, now=now)  # to 110
        if proposal is not None:  # its links die with it, as on cancelling
            _end_closing(o, proposal, status=proposal.Status.WITHDRAWN, reason=reason, now=now)
        record_event(
            order=kept,
            kind=EventKind.MERGED_IN,
            actor=actor,
            at=now,
            note=reason,
            data={"duplicate": {"order_id": o.pk, "number": o.number}},
        )
        data: dict[str, Any] = {"merged_into": {"order_id": kept.pk, "number": kept.number}}
        if kept.number != into:
            data["requested"] = into  # a merged order was named: its keeper kept it
        return reason, data

    return _transition(
        actor=actor, action="merge", kind=EventKind.MERGED, now=now, apply=apply, lock=lock
    )


def order_add_note(
    *,
    order_id: int,
    actor,
    note: str,
    upload=None,
    keep_location: bool = False,
    now: datetime | None = None,
) -> Order:
    """Add a note and optionally one attachment (``order_attach``) to the timeline; any
    state."""
    now = now or timezone.now()
    if upload is not None:
        attachment = order_attach(
            order_id=order_id,
            actor=actor,
            upload=upload,
            note=note,
            keep_location=keep_location,
            now=now,
        )
        return attachment.order
    if not (note or "").strip():
        raise InvalidInput({"note": _("请填写备注或上传附件。")})
    return _transition(
        order_id=order_id,
        actor=actor,
        action="note",
        kind=EventKind.NOTE,
        now=now,
        apply=lambda o: ((note or "").strip(), invited_note_data(actor, o)),
    )


@dataclass(frozen=True)
class PreparedFile:
    """An upload checked and, if a photo, re-encoded (``attachment_prepare``): what
    ``order_attach`` stores."""

    name: str  # as uploaded, made visible text
    content: Any  # a Django File
    thumbnail: Any = None  # a photo's JPEG thumbnail (ContentFile)
    location_kept: bool = False


def attachment_prepare(*, upload, keep_location: bool = False) -> PreparedFile:
    """Check an upload as every form does (``validate_attachment``: type, size,
    content) and re-encode a photo (``images.photo_prepare``: upright, shrunk, without
    EXIF but its GPS position if ``keep_location``). ``InvalidInput`` on ``file`` for a
    refused file, an unreadable photo or one of too many pixels. Takes no lock: call it
    before a transaction that holds one."""
    try:
        validate_attachment(upload)
        photo = (
            photo_prepare(upload, keep_location=keep_location) if is_photo(upload.name) else None
        )
    except ValidationError as e:
        raise InvalidInput({"file": e.messages}) from None
    return PreparedFile(
        name=visible_text(upload.name)[:200],
        content=photo.image if photo else upload,
        thumbnail=photo.thumbnail if photo else None,
        location_kept=bool(photo and keep_location),
    )


def order_attach(
    *,
    order_id: int,
    actor,
    upload,
    note: str = "",
    keep_location: bool = False,
    now: datetime | None = None,
) -> Attachment:
    """Store one file on the order and record it on the timeline, in any state; whoever
    may add a note (``actions.ORDER_ACTIONS["note"]``). The web's note and report forms
    and the API upload all come here.

    ``upload`` is an uploaded file, prepared here (``attachment_prepare``, after the
    permission check and before the row lock), or a ``PreparedFile`` already.
    """
    now = now or timezone.now()
    # Who may, before the file is read; the row lock below checks again.
    _check_may(actor=actor, order_id=order_id, action="note")
    prepared = (
        upload
        if isinstance(upload, PreparedFile)
        else attachment_prepare(upload=upload, keep_location=keep_location)
    )
    attachment: Attachment | None = None

    def apply(o: Order):
        nonlocal attachment
        attachment = Attachment(
            order=o,
            file=prepared.content,
            thumbnail=prepared.thumbnail or "",
            original_name=prepared.name,
            size=prepared.content.size,
            uploaded_by=actor,
            uploaded_at=now,
        )
        try:
            # The file was checked as uploaded: a photo's new bytes differ in size.
            attachment.full_clean(exclude=["file", "thumbnail"])
        except ValidationError as e:
            raise InvalidInput({"file": e.messages}) from None
        attachment.save()
        data: dict[str, Any] = {"attachment_id": attachment.pk, "name": attachment.original_name}
        if prepared.location_kept:
            data["keep_location"] = True
        return (note or "").strip(), data

    _transition(
        order_id=order_id,
        actor=actor,
        action="note",
        kind=EventKind.ATTACHMENT,
        now=now,
        apply=apply,
    )
    return attachment


REOPENED_PREFIX = "（重新调解）"


def _agreement_made(order: Order) -> bool:
    """Whether the order closed with an agreement to keep (mediated, wholly or partly)."""
    return order.outcome in (Outcome.MEDIATED, Outcome.PARTLY_MEDIATED)


def order_record_return_visit(
    *,
    order_id: int,
    actor,
    satisfied: bool | None,
    note: str = "",
    visited_at: datetime | None = None,
    agreement_kept: str = "",
    follow_up: str = "",
    now: datetime | None = None,
) -> ReturnVisit:
    """Record a return visit (回访) to a closed order's parties: the lead unit, the
    street's police, or who settled it on the spot (就地化解). It records whether the
    parties are satisfied and whether the agreement is being kept (only for a case that
    closed with one), and meets the earliest visit due (``visits``), on time or late.

    An unsatisfied visit leads, as ``follow_up`` says, to a second visit (二次回访, the
    default: due ``RETURN_VISIT_SECOND_DAYS`` after the visit) or reopens the dispute
    (重新调解): a new order reported by the visitor through ``order_report``, with the old
    one's category, community, risk and parties, naming it (``Order.reopened_from``); the
    old order's visits still due end. Once per order (``Conflict``). The visit's event on
    the old order's timeline records what it met and what followed."""
    now = now or timezone.now()
    at = visited_at or now
    note = (note or "").strip()
    agreement_kept = agreement_kept or ""
    follow_up = follow_up or ""
    errors: dict[str, Any] = {}
    if at > now:
        errors["visited_at"] = _("回访时间不能晚于现在。")
    if agreement_kept not in ("", *ReturnVisit.AgreementKept.values):
        errors["agreement_kept"] = _("协议履行情况无效。")
    if follow_up not in ("", *ReturnVisit.FollowUp.values):
        errors["follow_up"] = _("后续处理无效。")
    elif follow_up and satisfied is not False:
        errors["follow_up"] = _("当事人不满意时才需选择后续处理。")
    _raise_if(errors)
    if satisfied is False and not follow_up:
        follow_up = ReturnVisit.FollowUp.SECOND_VISIT
    visit: ReturnVisit | None = None

    def apply(o: Order):
        nonlocal visit
        if o.state != State.CLOSED:
            raise Conflict(_("结单后才能回访。"), state=o.state)
        if at < o.closed_at:
            raise InvalidInput({"visited_at": _("回访时间不能早于结单时间。")})
        if agreement_kept and not _agreement_made(o):
            raise InvalidInput({"agreement_kept": _("此案件未达成调解协议，无需填写履行情况。")})
        reopen = follow_up == ReturnVisit.FollowUp.REOPEN
        if reopen and o.reopened_as.exists():
            raise Conflict(_("此纠纷已重新调解。"), state=o.state)
        if reopen and not can_report(actor):
            raise Forbidden(_("您没有报单权限，不能重新调解。"))
        visit = ReturnVisit.objects.create(
            order=o,
            visited_by=actor,
            visited_at=at,
            satisfied=satisfied,
            note=note,
            agreement_kept=agreement_kept,
            follow_up=follow_up,
        )
        data: dict[str, Any] = {"satisfied": satisfied, "visited_at": local_iso(at)}
        if agreement_kept:
            data["agreement_kept"] = agreement_kept
        met = visit_meet_earliest(o, visit)
        if met is not None:
            data["met"] = met
        if follow_up == ReturnVisit.FollowUp.SECOND_VISIT:
            second = second_visit_schedule(o, now=at, cause=ScheduledVisit.Cause.UNSATISFIED)
            if second is not None:
                data["second_visit"] = second
        elif reopen:
            new = _reopen(o, actor=actor, note=note, now=now)
            visits_end(o, at=now)
            data["reopened"] = {"order_id": new.pk, "number": new.number}
        return note, data

    _transition(
        order_id=order_id,
        actor=actor,
        action="return_visit",
        kind=EventKind.RETURN_VISIT,
        now=now,
        apply=apply,
    )
    return visit


def _reopen(old: Order, *, actor, note: str, now: datetime) -> Order:
    """The dispute reported again as a new order (重新调解), by the visitor: the old one's
    category, community, address, risk and parties, its title marked, its narrative the
    visit's note and the old narrative. Numbered, its clocks started and the street's
    dispatchers told as any report."""
    title = f"{REOPENED_PREFIX}{old.title}"[: Order._meta.get_field("title").max_length]
    narrative = _("回访不满意，重新调解（原订单 %(number)s）。") % {"number": old.number}
    if note:
        narrative += "\n" + note
    narrative += "\n\n" + old.narrative
    parties = [
        PartyInput(
            name=p.name,
            role=p.role,
            phone=p.phone,
            id_number=p.id_number,
            is_elderly_alone=p.is_elderly_alone,
            is_disabled=p.is_disabled,
            has_mental_illness=p.has_mental_illness,
            is_minor=p.is_minor,
            sms_consent=p.sms_consent,
        )
        for p in old.parties.order_by("pk")
    ]
    data = ReportInput(
        title=title,
        narrative=narrative,
        category_id=old.category_id,
        community_id=old.community_id,
        risk_level=old.risk_level,
        source=Source.REFERRAL,
        address=old.address,
        parties=parties,
    )
    try:
        return order_report(actor=actor, data=data, now=now, reopened_from=old)
    except InvalidInput:  # the old order's record no longer passes (a category retired)
        raise InvalidInput(
            {"follow_up": _("无法按原订单重新报单，请安排二次回访或另行报单。")}
        ) from None


# --- 督办: a supervisor's or the center head's demand, and the lead unit's reply -------------

DIRECTIVE_TEXT_MAX = 2000  # characters of a demand or a reply


def _directives_end(order: Order, data: dict, *, now: datetime) -> None:
    """The lead unit changed (退单, 改派): the reply it owed to a 督办 is no longer
    owed by anyone; the directive stays unreplied (``Directive``). Noted in the step's
    event data."""
    if order_duties_end(order, at=now, kinds=["reply"]):
        data["directive_ended"] = True


def order_direct(
    *,
    order_id: int,
    actor,
    demand: str,
    reply_due_at: datetime | None,
    now: datetime | None = None,
) -> Directive:
    """Issue a 督办 on an open order with a lead unit: a demand and a reply deadline
    (later than now, at most ``DIRECTIVE_MAX_DAYS`` days ahead). Supervisors whose
    jurisdiction holds the order and the heads of its street center only (the
    supervisors' one write action). One awaiting its reply per order at a time
    (``Conflict`` otherwise); a reported order has nobody to answer (``Conflict``).

    Starts the lead unit's ``reply`` duty, due at the deadline; records ``directed``;
    tells the lead unit's heads and the order's assignee."""
    now = now or timezone.now()
    demand = (demand or "").strip()
    errors: dict[str, Any] = {}
    _require(errors, demand=visible_text(demand), reply_due_at=reply_due_at)
    if len(demand) > DIRECTIVE_TEXT_MAX:
        errors["demand"] = _("督办要求不超过%(max)d字。") % {"max": DIRECTIVE_TEXT_MAX}
    if reply_due_at is not None:
        if reply_due_at <= now:
            errors["reply_due_at"] = _("回复期限必须晚于当前时间。")
        elif reply_due_at > now + timedelta(days=DIRECTIVE_MAX_DAYS):
            errors["reply_due_at"] = _("回复期限不能超过%(days)d天。") % {
                "days": DIRECTIVE_MAX_DAYS
            }
    _raise_if(errors)
    directive: Directive | None = None

    def apply(o: Order):
        nonlocal directive
        if o.duties.running().filter(kind="reply").exists():
            raise Conflict(_("此订单已有待回复的督办，请等待回复后再督办。"), state=o.state)
        duty = duty_start(
            order=o,
            kind="reply",
            unit_id=o.lead_unit_id,
            at=now,
            limit=reply_due_at - now,
            due=reply_due_at,
        )
        directive = Directive.objects.create(
            order=o,
            unit_id=o.lead_unit_id,
            duty=duty,
            issued_by=actor,
            issued_at=now,
            demand=demand,
            reply_due_at=reply_due_at,
        )
        notify_directive(directive=directive, replied=False, now=now)
        return demand, {"directive_id": directive.pk, **duty_data(duty)}

    _transition(
        order_id=order_id,
        actor=actor,
        action="direct",
        kind=EventKind.DIRECTED,
        now=now,
        apply=apply,
    )
    return directive


def order_direct_reply(
    *,
    order_id: int,
    actor,
    directive_id: int | None,
    reply: str,
    now: datetime | None = None,
) -> Directive:
    """Answer a 督办 (督办回复): the heads of the order's lead unit only, while the reply
    is owed (``Conflict`` once replied, or ended because the lead unit changed or the
    order closed). Meets the ``reply`` duty, on time at the deadline itself and late a
    moment after; records ``direct_replied``; tells who issued it."""
    now = now or timezone.now()
    reply = (reply or "").strip()
    errors: dict[str, Any] = {}
    _require(errors, directive=directive_id, reply=visible_text(reply))
    if len(reply) > DIRECTIVE_TEXT_MAX:
        errors["reply"] = _("回复内容不超过%(max)d字。") % {"max": DIRECTIVE_TEXT_MAX}
    _raise_if(errors)
    directive: Directive | None = None

    def apply(o: Order):
        nonlocal directive
        directive = (
            Directive.objects.select_related("duty")
            .filter(order=o, pk=directive_id if is_valid_pk(directive_id) else 0)
            .first()
        )
        if directive is None:
            raise InvalidInput({"directive": _("此订单没有该督办。")})
        if directive.is_replied:
            raise Conflict(_("该督办已回复。"), state=o.state)
        if not directive.duty.is_running or directive.unit_id != o.lead_unit_id:
            raise Conflict(
                _("该督办已终止（责任单位已变更或订单已办结），无需回复。"), state=o.state
            )
        duty_meet(directive.duty, at=now)
        directive.replied_by, directive.replied_at, directive.reply = actor, now, reply
        directive.save(update_fields=["replied_by", "replied_at", "reply"])
        notify_directive(directive=directive, replied=True, now=now)
        return reply, {"directive_id": directive.pk, **duty_data(directive.duty)}

    _transition(
        order_id=order_id,
        actor=actor,
        action="direct_reply",
        kind=EventKind.DIRECT_REPLIED,
        now=now,
        apply=apply,
    )
    return directive


def review_submit(
    *, token: str, rating: str, comment: str = "", now: datetime | None = None
) -> Review:
    """A party rates a closed order through its link (no login). Once per token; a used
    or unknown token is ``NotFound`` / ``Conflict``."""
    now = now or timezone.now()
    if rating not in Review.Rating.values:
        raise InvalidInput({"rating": _("请选择好评或差评。")})
    if len(comment) > 1000:
        raise InvalidInput({"comment": _("意见不超过1000字。")})
    review: Review | None = None

    def lock() -> Order:
        # The link is the permission: whoever holds it rates that order, once.
        nonlocal review
        review = (
            Review.objects.select_for_update().select_related("order").filter(token=token).first()
        )
        if review is None:
            raise NotFound(_("评价链接无效。"))
        return review.order

    def apply(o: Order):
        if review.submitted_at is not None:
            raise Conflict(_("此链接已评价过，感谢您的反馈。"))
        review.rating, review.comment, review.submitted_at = rating, comment.strip(), now
        review.save(update_fields=["rating", "comment", "submitted_at"])
        data: dict[str, Any] = {"rating": rating, "review_id": review.pk}
        if rating == Review.Rating.BAD:  # a bad review asks for a second visit (二次回访)
            second = second_visit_schedule(o, now=now, cause=ScheduledVisit.Cause.BAD_REVIEW)
            if second is not None:
                data["second_visit"] = second
        return comment.strip(), data

    _transition(lock=lock, actor=None, action=None, kind=EventKind.REVIEWED, now=now, apply=apply)
    return review


# --- pausing a clock (暂停计时) -----------------------------------------------------------


def _pause_data(order: Order, pause: ClockPause, due_before: datetime) -> dict[str, Any]:
    """The timeline's record of a pause step: the clock, the pause, and the due time
    before and after (``<clock>_due_at``, which the timeline check replays)."""
    return {
        "pause_id": pause.pk,
        "stage": pause.stage,
        "reason": pause.reason,
        "requested_minutes": pause.requested_minutes,
        "due_before": local_iso(due_before),
        **_clock_data(order),
    }


def _clock_to_pause(order: Order, stage: str, now: datetime):
    """The running pausable clock ``stage`` of ``order``, not yet overdue at ``now``
    (a deadline already missed is not paused afterwards), else ``Conflict``."""
    due = order.running_clocks().get(stage)
    if due is None:
        raise Conflict(
            _("“%(stage)s”计时未在进行，不能暂停。") % {"stage": CLOCK[stage].label},
            state=order.state,
        )
    if due <= now:
        raise Conflict(
            _("“%(stage)s”已超时，不能再暂停计时。") % {"stage": CLOCK[stage].label},
            state=order.state,
        )
    return CLOCK[stage]


def order_pause(
    *,
    order_id: int,
    actor,
    stage: str,
    reason: str,
    minutes: int,
    note: str = "",
    now: datetime | None = None,
) -> ClockPause:
    """The lead unit's handler asks to pause a running clock of its own (联系当事人,
    见面调解: ``stages.Clock.pausable``) for ``minutes`` (1 to ``PAUSE_MAX_MINUTES``), with
    a reason from the list (``ClockPause.Reason``; 其他 needs a note). The street's
    dispatchers are asked to decide. The clock runs on until they approve. One pause
    asked for or running per clock; a clock already overdue is not paused."""
    now = now or timezone.now()
    note = (note or "").strip()
    errors: dict[str, Any] = {}
    if stage not in PAUSABLE:
        errors["stage"] = _("只能暂停联系当事人或见面调解的计时。")
    if reason not in ClockPause.Reason.values:
        errors["reason"] = _("请选择暂停原因。")
    elif reason == ClockPause.Reason.OTHER and not visible_text(note):
        errors["note"] = _("原因为“其他”时须写明说明。")
    cap = settings.PAUSE_MAX_MINUTES
    if isinstance(minutes, bool) or not isinstance(minutes, int) or not 1 <= minutes <= cap:
        errors["requested_minutes"] = _("暂停时长须为 1 至 %(max)d 分钟。") % {"max": cap}
    _raise_if(errors)
    pause: ClockPause | None = None

    def apply(o: Order):
        nonlocal pause
        _clock_to_pause(o, stage, now)
        close_expired(order=o, now=now)
        open_states = [PauseState.REQUESTED, PauseState.APPROVED]
        if ClockPause.objects.filter(order=o, stage=stage, state__in=open_states).exists():
            raise Conflict(_("该环节已有待审批或进行中的暂停。"), state=o.state)
        pause = ClockPause.objects.create(
            order=o,
            stage=stage,
            unit_id=o.lead_unit_id,
            reason=reason,
            note=note,
            requested_minutes=minutes,
            requested_by=actor,
            requested_at=now,
        )
        data = {
            "pause_id": pause.pk,
            "stage": stage,
            "reason": reason,
            "requested_minutes": minutes,
        }
        return note, data

    _transition(
        order_id=order_id,
        actor=actor,
        action="pause",
        kind=EventKind.PAUSE_REQUESTED,
        now=now,
        apply=apply,
    )
    return pause


def _pause_of(o: Order, *, stage: str | None, state: str, now: datetime, missing: str):
    try:
        pause = open_pause(o, stage=stage or None, state=state, now=now)
    except ValueError:
        raise InvalidInput({"stage": _("请指定环节。")}) from None
    if pause is None:
        raise Conflict(missing, state=o.state)
    return pause


def order_pause_decide(
    *,
    order_id: int,
    actor,
    approve: bool,
    note: str = "",
    stage: str | None = None,
    now: datetime | None = None,
) -> ClockPause:
    """The street's dispatchers decide a pause asked for (of ``stage``, needed only when
    both clocks have one). Approval starts it now: the clock's due time moves later by
    the minutes asked, its alarm re-armed. Rejection needs a reason; the clock is
    unchanged. The lead unit (the assignee if named) is told either way."""
    now = now or timezone.now()
    note = (note or "").strip()
    if not isinstance(approve, bool):
        raise InvalidInput({"approve": _("请选择批准或驳回。")})
    if not approve and not visible_text(note):
        raise InvalidInput({"note": _("驳回须写明理由。")})
    pause: ClockPause | None = None

    def apply(o: Order):
        nonlocal pause
        missing = _("没有待审批的暂停申请。")
        pause = _pause_of(o, stage=stage, state=PauseState.REQUESTED, now=now, missing=missing)
        pause.decided_by, pause.decided_at, pause.decision_note = actor, now, note
        clock = CLOCK[pause.stage]
        due_before = getattr(o, clock.due_field)
        if not approve:
            pause.state = PauseState.REJECTED
            pause.save(update_fields=["state", "decided_by", "decided_at", "decision_note"])
            data = {"pause_id": pause.pk, "stage": pause.stage, "due_at": local_iso(due_before)}
            return note, data
        _clock_to_pause(o, pause.stage, now)
        minutes = timedelta(minutes=pause.requested_minutes)
        pause.state, pause.started_at, pause.ends_at = PauseState.APPROVED, now, now + minutes
        pause.paused_minutes = pause.requested_minutes
        pause.save()
        o._shift(clock, minutes)
        return note, _pause_data(o, pause, due_before)

    # The kind names the event; the decision's reason is its note.
    kind = EventKind.PAUSED if approve else EventKind.PAUSE_REJECTED
    _transition(
        order_id=order_id, actor=actor, action="pause_decide", kind=kind, now=now, apply=apply
    )
    return pause


def order_resume(
    *,
    order_id: int,
    actor,
    note: str = "",
    stage: str | None = None,
    now: datetime | None = None,
) -> ClockPause:
    """End a running pause early (恢复计时): the lead unit's handler or the street's
    dispatchers. The minutes not used are given back: the clock's due time moves back by
    them, so it stands moved by the minutes actually paused (a started minute counts)."""
    now = now or timezone.now()
    note = (note or "").strip()
    pause: ClockPause | None = None

    def apply(o: Order):
        nonlocal pause
        missing = _("没有进行中的暂停。")
        pause = _pause_of(o, stage=stage, state=PauseState.APPROVED, now=now, missing=missing)
        clock = CLOCK[pause.stage]
        due_before = getattr(o, clock.due_field)
        paused = minutes_paused(pause, now)
        unused = pause.requested_minutes - paused
        pause.state, pause.ended_at, pause.paused_minutes = PauseState.ENDED, now, paused
        pause.save(update_fields=["state", "ended_at", "paused_minutes"])
        if unused:
            o._shift(clock, -timedelta(minutes=unused))
        return note, {**_pause_data(o, pause, due_before), "paused_minutes": paused}

    _transition(
        order_id=order_id,
        actor=actor,
        action="resume",
        kind=EventKind.RESUMED,
        now=now,
        apply=apply,
    )
    return pause


# --- reviewed grades (等级审核): 以案定补 pays confirmed grades only -------------------------


def subsidised_unit(order: Order) -> Unit | None:
    """The mediation committee a closed case would be paid to (以案定补): its lead unit, or
    for a dispute settled on the spot the settler's committee; None if none is."""
    if order.outcome != Outcome.MEDIATED:
        return None
    unit = order.reporter_unit if order.on_the_spot else order.lead_unit
    return unit if unit is not None and unit.kind == Unit.Kind.MEDIATION_COMMITTEE else None


def _grade_review_due(o: Order, *, now: datetime) -> dict[str, Any]:
    """A closing that would be paid owes the street center the review of its grade: the
    ``grade`` duty (``SlaPolicy.grade_review_minutes``, 3 days)."""
    unit_id = review_unit_id(o) if subsidised_unit(o) is not None else None
    if unit_id is None:
        return {}
    policy = sla_policy_for(category_id=o.category_id, risk_level=o.risk_level, colour=o.colour)
    duty = duty_start(
        order=o, kind="grade", unit_id=unit_id, at=now, limit=policy.duty_limit("grade")
    )
    return {"grade_review": duty_data(duty)}


def order_grade_review(
    *, order_id: int, actor, grade: str, reason: str = "", now: datetime | None = None
) -> Order:
    """The street center confirms the grade the closer proposed, or changes it with a
    reason (等级审核): its dispatchers, on a closed case the subsidy would pay whose
    grade is not yet confirmed (else ``Conflict``). Only confirmed grades are paid; the
    timeline keeps the proposed and the confirmed grade and who changed it, why."""
    errors: dict[str, Any] = {}
    if grade not in Grade.values:
        errors["grade"] = _("等级无效。")
    _raise_if(errors)
    now = now or timezone.now()
    reason = (reason or "").strip()

    def apply(o: Order):
        if subsidised_unit(o) is None:
            raise Conflict(_("此案件不属以案定补，无需审核等级。"), state=o.state)
        if o.grade_confirmed_at is not None:
            raise Conflict(_("等级已审核。"), state=o.state)
        changed = grade != o.grade
        if changed and not reason:
            raise InvalidInput({"reason": _("改定等级须写明理由。")})
        data: dict[str, Any] = {"proposed": o.proposed_grade, "grade": grade, "changed": changed}
        o.grade, o.grade_confirmed_at, o.grade_confirmed_by = grade, now, actor
        o.save(update_fields=["grade", "grade_confirmed_at", "grade_confirmed_by"])
        duty = o.duties.running().filter(kind="grade").first()
        if duty is not None:
            duty_meet(duty, at=now)
            data.update(duty_data(duty))
        return reason, data

    return _transition(
        order_id=order_id,
        actor=actor,
        action="grade_review",
        kind=EventKind.GRADE_REVIEWED,
        now=now,
        apply=apply,
    )


# --- referrals that are followed (移交跟踪, disputes.referrals) ---------------------------------


def order_record_referral_result(
    *,
    order_id: int,
    actor,
    body: str,
    outcome: str,
    decided_on,
    case_number: str = "",
    note: str = "",
    now: datetime | None = None,
) -> Order:
    """The lead unit records what the receiving body made of a closed order's referral
    (移交结果): the body, its case number, the outcome and its date (not in the future,
    not before the closing: 400 on ``decided_on``). Its handlers and heads (capacity
    ``LEAD_UNIT``), on a closed order with a referral whose follow-up has no final result
    yet (else 409). The first result meets the ``referral`` duty, on time or late; the
    timeline records each result (``referral_result``)."""
    now = now or timezone.now()
    body, case_number = (body or "").strip(), (case_number or "").strip()
    note = (note or "").strip()
    _raise_if(
        result_input_errors(
            body=body, case_number=case_number, outcome=outcome, decided_on=decided_on, now=now
        )
    )

    def apply(o: Order):
        _result, data = record_result(
            o,
            actor=actor,
            body=body,
            case_number=case_number,
            outcome=outcome,
            decided_on=decided_on,
            note=note,
            now=now,
        )
        return note, data

    return _transition(
        order_id=order_id,
        actor=actor,
        action="referral_result",
        kind=EventKind.REFERRAL_RESULT,
        now=now,
        apply=apply,
    )


# --- the mediation alliance (社会力量大调解联盟): invitations to assist ----------------------

INVITATION_MESSAGE_MAX = 500


def invited_note_data(actor, order: Order) -> dict[str, Any]:
    """A note's event data: for an invited volunteer, the invitation and unit it assists
    under, which the alliance's contributions count (``supervision.reports``)."""
    reaching = invitations_reaching(actor, order)
    if not reaching:
        return {}
    invitation = min(reaching, key=lambda i: (i.member_id is None, i.pk))  # by name first
    return {"invitation_id": invitation.pk, "alliance_unit_id": invitation.unit_id}


def _invitee(*, unit_id: int | None, member_id: int | None) -> tuple[Unit, Any]:
    """The social-force unit invited and, for a volunteer invited by name, the volunteer
    (an active volunteer of that unit; of its only one when no unit is named)."""
    volunteers = Membership.objects.filter(
        role=Role.VOLUNTEER,
        unit__kind=Unit.Kind.SOCIAL_FORCE,
        unit__is_active=True,
        user__is_active=True,
    ).exclude(volunteer_profile__is_active=False)  # struck off the register (在册)
    volunteers = volunteers.select_related("unit", "user")
    if member_id is not None:
        if unit_id is not None:
            volunteers = volunteers.filter(unit_id=unit_id)
        found = list(volunteers.filter(user_id=member_id)[:2])
        if len(found) != 1:
            raise InvalidInput({"member": _("请选择联盟单位的在册志愿者。")})
        return found[0].unit, found[0].user
    if unit_id is None:
        raise InvalidInput({"unit": _("请选择邀请的联盟单位或志愿者。")})
    unit = Unit.objects.filter(pk=unit_id, kind=Unit.Kind.SOCIAL_FORCE, is_active=True).first()
    if unit is None:
        raise InvalidInput({"unit": _("请选择启用的社会力量单位。")})
    return unit, None


def order_invite(
    *,
    order_id: int,
    actor,
    unit_id: int | None = None,
    member_id: int | None = None,
    message: str = "",
    now: datetime | None = None,
) -> Invitation:
    """邀请协助: a dispatcher of the order's street invites a social-force unit (all its
    volunteers) or one volunteer to assist an open order, with a message. One running
    invitation per unit and per volunteer (a replay is ``Conflict``). Records
    ``invited``; tells the invitees (inbox)."""
    now = now or timezone.now()
    message = (message or "").strip()
    if len(message) > INVITATION_MESSAGE_MAX:
        raise InvalidInput(
            {"message": _("邀请说明不超过%(max)d字。") % {"max": INVITATION_MESSAGE_MAX}}
        )
    unit, member = _invitee(unit_id=unit_id, member_id=member_id)
    invitation: Invitation | None = None

    def apply(o: Order):
        nonlocal invitation
        running = o.invitations.filter(withdrawn_at__isnull=True, unit=unit, member=member)
        if running.exists():
            raise Conflict(_("已邀请，正在协助中。"), state=o.state)
        invitation = Invitation.objects.create(
            order=o, unit=unit, member=member, message=message, invited_by=actor, invited_at=now
        )
        notify_invited(invitation=invitation, now=now)
        who = display_name(member) if member is not None else unit.name
        return message, {
            "invitation_id": invitation.pk,
            "unit_id": unit.pk,
            "unit": unit.name,
            "member_id": getattr(member, "pk", None),
            "member": who if member is not None else "",
        }

    _transition(
        order_id=order_id,
        actor=actor,
        action="invite",
        kind=EventKind.INVITED,
        now=now,
        apply=apply,
    )
    return invitation


def _running_invitation(order: Order, invitation_id) -> Invitation:
    invitation = (
        order.invitations.filter(pk=invitation_id, withdrawn_at__isnull=True)
        .select_related("unit", "member")
        .first()
        if is_valid_pk(invitation_id)
        else None
    )
    if invitation is None:
        raise NotFound()
    return invitation


def order_invite_withdraw(
    *, order_id: int, actor, invitation_id: int, now: datetime | None = None
) -> Invitation:
    """撤回邀请: a dispatcher of the order's street withdraws a running invitation; the
    invitees no longer see the order (a withdrawn one is ``NotFound``). Any state.
    Records ``invite_withdrawn``."""
    now = now or timezone.now()
    invitation: Invitation | None = None

    def apply(o: Order):
        nonlocal invitation
        invitation = _running_invitation(o, invitation_id)
        invitation.withdrawn_at, invitation.withdrawn_by = now, actor
        invitation.save(update_fields=["withdrawn_at", "withdrawn_by"])
        return "", _invitation_data(invitation)

    _transition(
        order_id=order_id,
        actor=actor,
        action="invite_withdraw",
        kind=EventKind.INVITE_WITHDRAWN,
        now=now,
        apply=apply,
    )
    return invitation


def order_contact_grant(
    *, order_id: int, actor, invitation_id: int, grant: bool = True, now: datetime | None = None
) -> Invitation:
    """授权查看联系方式: a handler or head of the lead unit lets a running invitation's
    volunteers see the parties' phones (never ID numbers), or takes it back
    (``grant=False``). Granting what is granted (or revoking what is not) is
    ``Conflict``. Records ``contact_granted`` / ``contact_revoked``."""
    now = now or timezone.now()
    invitation: Invitation | None = None

    def apply(o: Order):
        nonlocal invitation
        invitation = _running_invitation(o, invitation_id)
        if invitation.contact_granted == grant:
            raise Conflict(
                _("已授权查看联系方式。") if grant else _("尚未授权查看联系方式。"), state=o.state
            )
        invitation.contact_granted_at = now if grant else None
        invitation.contact_granted_by = actor if grant else None
        invitation.save(update_fields=["contact_granted_at", "contact_granted_by"])
        return "", _invitation_data(invitation)

    _transition(
        order_id=order_id,
        actor=actor,
        action="contact_grant",
        kind=EventKind.CONTACT_GRANTED if grant else EventKind.CONTACT_REVOKED,
        now=now,
        apply=apply,
    )
    return invitation


def _invitation_data(invitation: Invitation) -> dict[str, Any]:
    return {
        "invitation_id": invitation.pk,
        "unit_id": invitation.unit_id,
        "unit": invitation.unit.name,
        "member_id": invitation.member_id,
        "member": display_name(invitation.member) if invitation.member_id else "",
    }
