"""Who is told what. Every function here writes inside the caller's transaction: the
inbox row and its outbox deliveries commit, or roll back, with their cause. Sending is
the delivery worker's job (``dispatch.delivery``), kicked after commit."""

import logging
import time
from collections.abc import Iterable
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import Delivery, Escalation, EscalationLevel, Membership, Notification, Role, Unit

log = logging.getLogger(__name__)


def _fmt(moment: datetime | None) -> str:
    return timezone.localtime(moment).strftime("%m-%d %H:%M") if moment else ""


def _channels_for(user) -> list[str]:
    channels = []
    for channel in settings.NOTIFICATION_CHANNELS:
        if channel == "email" and not user.email:
            continue
        channels.append(channel)
    return channels


# After a failed publish, skip kicks for a while: requests stay fast while the broker
# is down, and the periodic delivery catches up.
KICK_BACKOFF_SECONDS = 30.0
_kick_paused_until = 0.0


def kick_delivery() -> None:
    """Ask a worker to deliver now. If the broker is down the rows wait in the outbox and
    the periodic delivery task picks them up once it is back: nothing is lost."""
    global _kick_paused_until
    from .tasks import deliver_notifications

    if time.monotonic() < _kick_paused_until:
        return
    try:
        deliver_notifications.apply_async(retry=False)
    except Exception as exc:  # noqa: BLE001 - any broker failure: the outbox keeps it
        _kick_paused_until = time.monotonic() + KICK_BACKOFF_SECONDS
        log.warning("could not queue notification delivery (%s); the outbox keeps it", exc)


def notify(
    *,
    recipients: Iterable,
    order,
    kind: str,
    subject: str,
    body: str = "",
    now: datetime,
    exclude=None,
) -> list[Notification]:
    """Write one inbox row per distinct recipient, plus its outbox deliveries."""
    seen: dict[int, object] = {}
    for user in recipients:
        if user is not None and user.pk != getattr(exclude, "pk", None) and user.is_active:
            seen.setdefault(user.pk, user)
    return notify_many([(user, order, kind, subject, body) for user in seen.values()], now=now)


def notify_many(items: list[tuple], *, now: datetime) -> list[Notification]:
    """Bulk form of ``notify``: items are (recipient, order, kind, subject, body)."""
    if not items:
        return []
    notes = Notification.objects.bulk_create(
        Notification(
            recipient=user, order=order, kind=kind, subject=subject[:200], body=body, created_at=now
        )
        for user, order, kind, subject, body in items
    )
    Delivery.objects.bulk_create(
        Delivery(notification=note, channel=channel, next_attempt_at=now)
        for note, (user, *_rest) in zip(notes, items, strict=True)
        for channel in _channels_for(user)
    )
    transaction.on_commit(kick_delivery)
    return notes


def _members(q: Q):
    return [
        m.user for m in Membership.objects.filter(q, user__is_active=True).select_related("user")
    ]


def street_dispatchers_q(street_id: int) -> Q:
    return Q(role=Role.DISPATCHER, unit__area_id=street_id, unit__kind=Unit.Kind.STREET_CENTER)


def notify_order_event(*, order, kind: str, actor, now: datetime, note: str = "") -> None:
    """Tell the people an order's step concerns (called by the transition services)."""
    number, title = order.number, order.title
    if kind == "reported":
        users = _members(street_dispatchers_q(order.street_id))
        subject = _("新报单 %(number)s：%(title)s") % {"number": number, "title": title}
        body = _("%(community)s，等待派单。") % {"community": order.community}
    elif kind in ("dispatched", "reassigned"):
        if order.assignee_id:
            users = [order.assignee]
        else:
            users = _members(Q(unit_id=order.lead_unit_id, role__in=[Role.HANDLER, Role.UNIT_HEAD]))
        verb = _("新派单") if kind == "dispatched" else _("改派")
        subject = _("%(verb)s %(number)s：请于 %(due)s 前签收") % {
            "verb": verb,
            "number": number,
            "due": _fmt(order.sign_due_at),
        }
        body = title
    elif kind == "returned":
        users = _members(street_dispatchers_q(order.street_id))
        subject = _("退单 %(number)s：%(title)s") % {"number": number, "title": title}
        body = note
    elif kind == "closed":
        users = [order.reporter, *_members(street_dispatchers_q(order.street_id))]
        subject = _("已结单 %(number)s：%(outcome)s") % {
            "number": number,
            "outcome": order.get_outcome_display(),
        }
        body = note
    elif kind == "cancelled":
        users = [order.reporter]
        subject = _("已撤销 %(number)s：%(title)s") % {"number": number, "title": title}
        body = note
    else:
        return
    notify(
        recipients=users, order=order, kind=kind, subject=subject, body=body, now=now, exclude=actor
    )


def escalation_subject(escalation: Escalation, number: str) -> str:
    params = {
        "number": number,
        "stage": escalation.get_stage_display(),
        "due": _fmt(escalation.stage_due_at),
    }
    if escalation.level == EscalationLevel.WARNING:
        return _("【临期预警】%(number)s %(stage)s将于 %(due)s 到期") % params
    if escalation.level == EscalationLevel.LEVEL1:
        return _("【一级督办】%(number)s %(stage)s已超时（截止 %(due)s）") % params
    return _("【二级督办】%(number)s %(stage)s严重超时（截止 %(due)s）") % params


def notify_escalations(escalations: list[Escalation], orders: dict, *, now: datetime) -> None:
    """Warning → the assignee (or the lead unit's handlers); level 1 → the lead unit's
    heads and the street center's dispatchers; level 2 → supervisors whose jurisdiction
    holds the order's street. One membership query for the whole batch."""
    if not escalations:
        return
    lead_units = {orders[e.order_id].lead_unit_id for e in escalations}
    streets = {orders[e.order_id].street_id for e in escalations}
    memberships = list(
        Membership.objects.filter(
            Q(unit_id__in=lead_units, role__in=[Role.HANDLER, Role.UNIT_HEAD])
            | Q(role=Role.DISPATCHER, unit__area_id__in=streets, unit__kind=Unit.Kind.STREET_CENTER)
            | Q(role=Role.SUPERVISOR),
            user__is_active=True,
        ).select_related("user", "unit__area")
    )
    items = []
    for e in escalations:
        order = orders[e.order_id]
        if e.level == EscalationLevel.WARNING:
            if order.assignee_id:
                users = [order.assignee]
            else:
                users = [
                    m.user
                    for m in memberships
                    if m.unit_id == order.lead_unit_id and m.role == Role.HANDLER
                ]
        elif e.level == EscalationLevel.LEVEL1:
            users = [
                m.user
                for m in memberships
                if (m.unit_id == order.lead_unit_id and m.role == Role.UNIT_HEAD)
                or (m.role == Role.DISPATCHER and m.unit.area_id == order.street_id)
            ]
        else:
            users = [
                m.user
                for m in memberships
                if m.role == Role.SUPERVISOR and order.community.path.startswith(m.unit.area.path)
            ]
        subject = escalation_subject(e, order.number)
        for user in {u.pk: u for u in users}.values():
            items.append((user, order, f"escalation_{e.level}", subject, order.title))
    notify_many(items, now=now)
