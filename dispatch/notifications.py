"""Who is told what. Every function here writes inside the caller's transaction: the
inbox row and its outbox deliveries commit, or roll back, with their cause. Sending is
the delivery worker's job (``dispatch.delivery``), kicked after commit."""

import logging
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from shishi_mediation.bulk import insert_rows

from .models import (
    Delivery,
    Escalation,
    EscalationLevel,
    Membership,
    Notification,
    Role,
    Stage,
    Unit,
)

log = logging.getLogger(__name__)


def _fmt(moment: datetime | None) -> str:
    return timezone.localtime(moment).strftime("%m-%d %H:%M") if moment else ""


def _channels(email: str) -> list[str]:
    """The external channels a user with this e-mail address gets (no address, no mail)."""
    return [c for c in settings.NOTIFICATION_CHANNELS if c != "email" or email]


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
        for channel in _channels(user.email)
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


@dataclass(frozen=True, slots=True)
class Raised:
    """An escalation the sweep has just inserted, with the order fields its notices need."""

    escalation_id: int
    order_id: int
    number: str
    title: str
    stage: str
    level: int
    stage_due_at: datetime
    lead_unit_id: int | None
    assignee_id: int | None
    street_id: int
    community_path: str
    subject: str = ""


def escalation_subjects() -> dict[int, Callable[[str, str, datetime], str]]:
    """The subject of each level's notice, by (number, stage, stage due time); translated
    once per batch rather than once per row."""
    stages = {value: str(label) for value, label in Stage.choices}
    templates = {
        EscalationLevel.WARNING: _("【临期预警】%(number)s %(stage)s将于 %(due)s 到期"),
        EscalationLevel.LEVEL1: _("【一级督办】%(number)s %(stage)s已超时（截止 %(due)s）"),
        EscalationLevel.LEVEL2: _("【二级督办】%(number)s %(stage)s严重超时（截止 %(due)s）"),
    }

    tz = timezone.get_current_timezone()

    def formatter(template: str):
        return lambda number, stage, due: (
            template
            % {
                "number": number,
                "stage": stages[stage],
                "due": due.astimezone(tz).strftime("%m-%d %H:%M"),
            }
        )

    return {level: formatter(template) for level, template in templates.items()}


NOTIFY_BATCH_SIZE = 1000


def notify_raised(*, now: datetime, batch_size: int = NOTIFY_BATCH_SIZE) -> int:
    """Tell the people each new escalation concerns, once: batches of escalations not yet
    notified (SKIP LOCKED, so two workers share the work), their notices and outbox rows,
    and ``notified_at``, in one transaction per batch. Runs right after each sweep and
    with every delivery round, so a sweep that died before it loses nothing."""
    told = 0
    subjects = escalation_subjects()
    while True:
        with transaction.atomic():
            rows = list(
                Escalation.objects.filter(notified_at__isnull=True)
                .select_for_update(skip_locked=True, of=("self",))
                .order_by("id")
                .values_list(
                    "id",
                    "order_id",
                    "order__number",
                    "order__title",
                    "stage",
                    "level",
                    "stage_due_at",
                    "order__lead_unit_id",
                    "order__assignee_id",
                    "order__street_id",
                    "order__community__path",
                )[:batch_size]
            )
            raised = [
                Raised(*row, subject=subjects[row[5]](row[2], row[4], row[6])) for row in rows
            ]
            told += notify_escalations(raised, now=now)
            if rows:
                Escalation.objects.filter(pk__in=[row[0] for row in rows]).update(notified_at=now)
        if len(rows) < batch_size:
            return told


def notify_escalations(raised: list[Raised], *, now: datetime) -> int:
    """Warning → the assignee (or the lead unit's handlers); level 1 → the lead unit's
    heads and the street center's dispatchers; level 2 → supervisors whose jurisdiction
    holds the order's street. Two reads and two inserts for the whole batch."""
    if not raised:
        return 0
    lead_units = {r.lead_unit_id for r in raised}
    streets = {r.street_id for r in raised}
    memberships = list(
        Membership.objects.filter(
            Q(unit_id__in=lead_units, role__in=[Role.HANDLER, Role.UNIT_HEAD])
            | Q(role=Role.DISPATCHER, unit__area_id__in=streets, unit__kind=Unit.Kind.STREET_CENTER)
            | Q(role=Role.SUPERVISOR),
            user__is_active=True,
        ).values_list(
            "user_id", "user__email", "unit_id", "role", "unit__area_id", "unit__area__path"
        )
    )
    emails = {user_id: email for user_id, email, *_rest in memberships}
    assignees = {r.assignee_id for r in raised if r.assignee_id} - emails.keys()
    emails.update(
        get_user_model().objects.filter(pk__in=assignees, is_active=True).values_list("pk", "email")
    )
    # Who holds which role where, grouped once for the batch.
    by_unit: dict[tuple[int, str], list[int]] = defaultdict(list)
    dispatchers: dict[int, list[int]] = defaultdict(list)
    supervisors: list[tuple[int, str]] = []
    for user_id, _email, unit_id, role, area_id, path in memberships:
        if role == Role.DISPATCHER:
            dispatchers[area_id].append(user_id)
        elif role == Role.SUPERVISOR:
            supervisors.append((user_id, path))
        else:
            by_unit[unit_id, role].append(user_id)
    rows = []
    for r in raised:
        if r.level == EscalationLevel.WARNING:
            if r.assignee_id:
                users = [r.assignee_id] if r.assignee_id in emails else []
            else:
                users = by_unit[r.lead_unit_id, Role.HANDLER]
        elif r.level == EscalationLevel.LEVEL1:
            users = by_unit[r.lead_unit_id, Role.UNIT_HEAD] + dispatchers[r.street_id]
        else:
            users = [u for u, path in supervisors if r.community_path.startswith(path)]
        kind = f"escalation_{r.level}"
        for user_id in dict.fromkeys(users):
            rows.append((user_id, r.order_id, kind, r.subject[:200], r.title, now))
    notes = insert_rows(
        Notification,
        ("recipient", "order", "kind", "subject", "body", "created_at"),
        rows,
        returning=("id", "recipient"),
    )
    insert_rows(
        Delivery,
        ("notification", "channel", "status", "attempts", "next_attempt_at", "last_error"),
        [
            (note_id, channel, Delivery.Status.PENDING, 0, now, "")
            for note_id, user_id in notes
            for channel in _channels(emails[user_id])
        ],
    )
    transaction.on_commit(kick_delivery)
    return len(notes)
