"""Who an order's steps and its clocks' escalations concern, and what they are told.
Written inside the caller's transaction through ``notifications.services``."""

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from dispatch.models import Membership, Role, Unit
from notifications import sms
from notifications.levels import EscalationLevel, escalation_notice_kind
from notifications.services import notify, notify_rows, sms_enqueue
from shishi_mediation.text import duration_text
from shishi_mediation.validators import MOBILE_RE

from .models import Duty, Escalation, Review
from .stages import STAGE_CHOICES, TOLD, Audience


def _fmt(moment: datetime | None) -> str:
    return timezone.localtime(moment).strftime("%m-%d %H:%M") if moment else ""


def _members(q: Q):
    return [
        m.user for m in Membership.objects.filter(q, user__is_active=True).select_related("user")
    ]


def street_dispatchers_q(street_id: int) -> Q:
    return Q(role=Role.DISPATCHER, unit__area_id=street_id, unit__kind=Unit.Kind.STREET_CENTER)


def _text_codes(*, order, rows, kind: str, key: str, entry: str, now: datetime) -> int:
    """Queue one SMS per row (a review, a closing confirmation) whose party agreed to SMS
    and has a mobile: the order number and the row's own code, to be typed at the
    template's constant link ``entry``. Nothing without SMS, the template or a public
    address. Once per row (the outbox key), however often this runs."""
    if not (sms.sms_enabled() and sms.template_for(kind) and entry):
        return 0
    queued = 0
    number = sms.fit_order_number(order.number)
    parties = order.parties.in_bulk([r.party_id for r in rows])
    for row in rows:
        party = parties.get(row.party_id)
        if party is None or not (party.sms_consent and MOBILE_RE.match(party.phone)):
            continue
        if row.sms_code is None:
            _give_code(row)
        queued += sms_enqueue(
            key=f"{key}:{row.pk}",
            order=order,
            phone=party.phone,
            kind=kind,
            params=[number, row.sms_code],
            now=now,
        )
    return queued


def text_review_codes(*, order, reviews: list[Review], now: datetime) -> int:
    """The review codes of a closed order (``PUBLIC_BASE_URL``/review/)."""
    entry = sms.review_entry_url()
    return _text_codes(
        order=order, rows=reviews, kind=sms.REVIEW_LINK, key="review", entry=entry, now=now
    )


def text_closing_codes(*, order, confirmations: list, now: datetime) -> int:
    """The parties' codes for a proposed closing (结单确认, ``PUBLIC_BASE_URL``/confirm/)."""
    entry = sms.review_entry_url("confirm")
    return _text_codes(
        order=order, rows=confirmations, kind=sms.CLOSING_LINK, key="closing", entry=entry, now=now
    )


def _give_code(row, *, tries: int = 5) -> None:
    """A fresh unique code on ``row`` (a review or a closing confirmation); a clash with
    another's draws again."""
    for attempt in range(tries):
        row.sms_code = sms.review_code()
        try:
            with transaction.atomic():  # a savepoint: a clash leaves the caller's intact
                type(row).objects.filter(pk=row.pk).update(sms_code=row.sms_code)
            return
        except IntegrityError:
            if attempt == tries - 1:
                raise


def notify_case_leader(*, order, now: datetime) -> None:
    """Tell a red order's newly named 包案 leader that it is theirs to watch and review
    before it closes (``services`` names the leader at dispatch or by 改色)."""
    subject = _("包案 %(number)s（%(colour)s）：%(title)s") % {
        "number": order.number,
        "colour": order.get_colour_display(),
        "title": order.title,
    }
    body = _("您是此订单的包案领导，请跟进并在结单前完成包案审核。")
    notify(
        recipients=[order.case_leader],
        order=order,
        kind="case_leader",
        subject=subject,
        body=body,
        now=now,
    )


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
    elif kind in ("return_requested", "assistance_asked"):
        users = _members(street_dispatchers_q(order.street_id))
        due = _review_due(order) if kind == "return_requested" else None
        if due is not None:
            subject = _("申请退单 %(number)s：%(unit)s，请于 %(due)s 前审核") % {
                "number": number,
                "unit": order.lead_unit,
                "due": _fmt(due),
            }
        elif kind == "return_requested":
            subject = _("申请退单 %(number)s：%(unit)s") % {
                "number": number,
                "unit": order.lead_unit,
            }
        else:
            subject = _("申请协办 %(number)s：%(unit)s") % {
                "number": number,
                "unit": order.lead_unit,
            }
        body = note
    elif kind == "return_rejected":
        # The unit keeps the order: its assignee, else its handlers and heads.
        if order.assignee_id:
            users = [order.assignee]
        else:
            users = _members(Q(unit_id=order.lead_unit_id, role__in=[Role.HANDLER, Role.UNIT_HEAD]))
        subject = _("退单申请被驳回 %(number)s：请继续办理") % {"number": number}
        body = note
    elif kind == "closed":
        users = [order.reporter, *_members(street_dispatchers_q(order.street_id))]
        subject = _("已结单 %(number)s：%(outcome)s") % {
            "number": number,
            "outcome": order.get_outcome_display(),
        }
        body = note
    elif kind == "close_proposed":
        # The reporter (unless the command system) and the center sign off.
        users = _members(street_dispatchers_q(order.street_id))
        if order.source != "police_incident":
            users = [order.reporter, *users]
        subject = _("待确认结单 %(number)s：请签字确认") % {"number": number}
        body = note or title
    elif kind == "party_refused":
        if order.assignee_id:
            users = [order.assignee]
        else:
            users = _members(Q(unit_id=order.lead_unit_id, role__in=[Role.HANDLER, Role.UNIT_HEAD]))
        users += _members(street_dispatchers_q(order.street_id))
        subject = _("当事人不同意结单 %(number)s：已退回调解") % {"number": number}
        body = note
    elif kind == "cancelled":
        users = [order.reporter]
        subject = _("已撤销 %(number)s：%(title)s") % {"number": number, "title": title}
        body = note
    elif kind == "merged":
        # 重复报单合并: the duplicate's reporter and whoever was handling it stop here.
        users = [order.reporter]
        if order.assignee_id:
            users.append(order.assignee)
        elif order.lead_unit_id:
            users += _members(
                Q(unit_id=order.lead_unit_id, role__in=[Role.HANDLER, Role.UNIT_HEAD])
            )
        subject = _("已合并 %(number)s 至 %(into)s") % {
            "number": number,
            "into": order.merged_into.number,
        }
        body = note
    elif kind == "pause_requested":
        users = _members(street_dispatchers_q(order.street_id))
        subject = _("申请暂停计时 %(number)s：请审批") % {"number": number}
        body = note or title
    elif kind in ("paused", "pause_rejected", "resumed"):
        if order.assignee_id:
            users = [order.assignee]
        else:
            users = _members(Q(unit_id=order.lead_unit_id, role__in=[Role.HANDLER, Role.UNIT_HEAD]))
        if kind == "resumed":  # ended by either side: the other hears of it
            users += _members(street_dispatchers_q(order.street_id))
        subject = {
            "paused": _("暂停计时已批准 %(number)s"),
            "pause_rejected": _("暂停计时被驳回 %(number)s"),
            "resumed": _("已恢复计时 %(number)s"),
        }[kind] % {"number": number}
        body = note or title
    else:
        return
    notify(
        recipients=users, order=order, kind=kind, subject=subject, body=body, now=now, exclude=actor
    )


def _review_due(order) -> datetime | None:
    """The running review clock's due time (the return request just made)."""
    return (
        Duty.objects.filter(order=order, kind="review", met_at=None, ended_at=None)
        .order_by("-pk")
        .values_list("due_at", flat=True)
        .first()
    )


def notify_directive(*, directive, replied: bool, now: datetime) -> None:
    """A 督办 issued: its demand and deadline to the lead unit's heads and the order's
    assignee. Its reply: the reply to who issued it. Inside the caller's transition."""
    order = directive.order
    values = {"number": order.number, "due": _fmt(directive.reply_due_at)}
    if replied:
        users = [directive.issued_by]
        subject = _("督办回复 %(number)s") % values
        if not directive.on_time:
            subject = _("督办回复（超时）%(number)s") % values
        body, kind, actor = directive.reply, "direct_replied", directive.replied_by
    else:
        users = _members(Q(unit_id=directive.unit_id, role=Role.UNIT_HEAD))
        if order.assignee_id:
            users.append(order.assignee)
        subject = _("督办 %(number)s：请于 %(due)s 前回复") % values
        body, kind, actor = directive.demand, "directed", directive.issued_by
    notify(
        recipients=users, order=order, kind=kind, subject=subject, body=body, now=now, exclude=actor
    )


@dataclass(frozen=True, slots=True)
class Raised:
    """An escalation to announce, with the order fields its notices need. ``levels``:
    whose people are told (its own level and the lower ones it supersedes)."""

    escalation_id: int
    order_id: int
    number: str
    title: str
    stage: str
    duty: int  # the duty's id (``Duty``); 0 for an order clock
    level: int
    stage_due_at: datetime
    lead_unit_id: int | None
    assignee_id: int | None
    street_id: int
    community_path: str
    subject: str = ""
    levels: tuple[int, ...] = ()


def escalation_subject(*, now: datetime) -> Callable[[int, str, str, datetime], str]:
    """The subject of an escalation's notice and timeline note by (level, number, stage,
    stage due time), worded for ``now``, when it is written: a due time ahead "将于 … 到期",
    one past "已于 … 到期，超时 …" at any level, so a sweep that catches up after downtime
    never announces a deadline that has already gone. Translated once per batch."""
    stages = {value: str(label) for value, label in STAGE_CHOICES}
    levels = {value: str(label) for value, label in EscalationLevel.choices}
    ahead = _("【%(level)s】%(number)s %(stage)s将于 %(due)s 到期")
    just_past = _("【%(level)s】%(number)s %(stage)s已于 %(due)s 到期")
    past = _("【%(level)s】%(number)s %(stage)s已于 %(due)s 到期，超时 %(late)s")
    tz = timezone.get_current_timezone()

    def subject(level: int, number: str, stage: str, due: datetime) -> str:
        values = {
            "level": levels[level],
            "number": number,
            "stage": stages[stage],
            "due": due.astimezone(tz).strftime("%m-%d %H:%M"),
        }
        if due > now:
            return ahead % values
        if now - due < timedelta(minutes=1):
            return just_past % values
        return past % {**values, "late": duration_text(now - due)}

    return subject


NOTIFY_BATCH_SIZE = 1000


def notify_raised(*, now: datetime, batch_size: int = NOTIFY_BATCH_SIZE) -> int:
    """Tell the people each new escalation concerns, once: batches of escalations not yet
    notified (SKIP LOCKED, so two workers share the work), their notices and outbox rows,
    and ``notified_at``, in one transaction per batch. Runs right after each sweep, so
    what a sweep that died before it raised is told by the next one: nothing is lost.

    Only the highest level of a stage clock is announced: a lower one that a higher one
    has overtaken before it was told (a sweep catching up after downtime raises all three
    at once) is superseded, marked notified with no notice of its own, and its people
    get the higher level's notice instead, one per person."""
    told = 0
    subject = escalation_subject(now=now)
    while True:
        with transaction.atomic():
            rows = _locked_rows(
                Escalation.objects.filter(notified_at__isnull=True).order_by("id")[:batch_size]
            )
            full = len(rows) == batch_size
            raised, rows, deferred = _announced(rows, subject)
            told += notify_escalations(raised, now=now)
            if rows:
                Escalation.objects.filter(pk__in=[row[0] for row in rows]).update(notified_at=now)
        if not full or deferred:  # deferred rows wait for the next round, not a busy loop
            return told


_RAISED_COLUMNS = (
    "id",
    "order_id",
    "order__number",
    "order__title",
    "stage",
    "duty",
    "level",
    "stage_due_at",
    "order__lead_unit_id",
    "order__assignee_id",
    "order__street_id",
    "order__community__path",
)


def _locked_rows(escalations) -> list[tuple]:
    """``Raised`` fields of these escalations, locked (SKIP LOCKED: another worker has
    the rest)."""
    return list(
        escalations.select_for_update(skip_locked=True, of=("self",)).values_list(*_RAISED_COLUMNS)
    )


def _clock_of(row: tuple) -> tuple:
    """The clock a ``_RAISED_COLUMNS`` row escalates: (order, stage, duty, due time)."""
    return row[1], row[4], row[5], row[7]


def _announced(rows: list[tuple], subject) -> tuple[list[Raised], list[tuple], bool]:
    """Which rows to announce, the rows to mark notified, and whether some were deferred.
    A row whose clock has a higher level is superseded; when that level is not yet told
    and not in the batch (the batch ended inside the clock), it joins the batch. An
    announced row tells the levels of its clock not yet told: this batch's and any another
    worker holds. When another worker holds the clock's top level, this batch's rows of
    that clock are left untouched (deferred): that worker must still read them as untold
    to tell their people, and a later round marks them superseded. One read of the
    batch's orders' escalations."""
    if not rows:
        return [], rows, False
    top: dict[tuple, tuple[int, int, bool]] = {}
    untold: dict[tuple, set[int]] = defaultdict(set)
    for pk, order_id, stage, duty, due, level, notified_at in Escalation.objects.filter(
        order_id__in={row[1] for row in rows}
    ).values_list("pk", "order_id", "stage", "duty", "stage_due_at", "level", "notified_at"):
        clock = (order_id, stage, duty, due)
        if clock not in top or top[clock][0] < level:
            top[clock] = (level, pk, notified_at is None)
        if notified_at is None:
            untold[clock].add(level)
    batch = {row[0] for row in rows}
    later = {
        top[clock][1]
        for clock in {_clock_of(row) for row in rows}
        if top[clock][2] and top[clock][1] not in batch
    }
    deferred = False
    if later:
        joined = _locked_rows(Escalation.objects.filter(pk__in=later, notified_at=None))
        held = later - {row[0] for row in joined}
        rows = rows + joined
        if held:
            kept = [row for row in rows if top[_clock_of(row)][1] not in held]
            deferred = len(kept) < len(rows)
            rows = kept
    raised = []
    for row in rows:
        clock, level = _clock_of(row), row[6]
        if top[clock][0] > level:
            continue  # superseded
        levels = tuple(sorted({lv for lv in untold[clock] if lv <= level} | {level}))
        raised.append(Raised(*row, subject=subject(level, row[2], row[4], row[7]), levels=levels))
    return raised, rows, deferred


def notify_escalations(raised: list[Raised], *, now: datetime) -> int:
    """Warning → the assignee (or the lead unit's handlers); level 1 → the lead unit's
    heads and the street center's dispatchers; level 2 → supervisors whose jurisdiction
    holds the order's street. An escalation that supersedes lower levels also tells
    their people, each person once. Two reads and two inserts for the whole batch."""
    if not raised:
        return 0
    duty_units = dict(
        Duty.objects.filter(pk__in={r.duty for r in raised if r.duty}).values_list("pk", "unit_id")
    )
    lead_units = {r.lead_unit_id for r in raised} | set(duty_units.values())
    streets = {r.street_id for r in raised}
    memberships = list(
        Membership.objects.filter(
            Q(unit_id__in=lead_units, role__in=[Role.HANDLER, Role.UNIT_HEAD])
            | Q(
                role__in=[Role.DISPATCHER, Role.UNIT_HEAD],
                unit__area_id__in=streets,
                unit__kind=Unit.Kind.STREET_CENTER,
            )
            | Q(role=Role.SUPERVISOR),
            user__is_active=True,
        ).values_list(
            "user_id",
            "user__email",
            "unit_id",
            "role",
            "unit__kind",
            "unit__area_id",
            "unit__area__path",
        )
    )
    emails = {user_id: email for user_id, email, *_rest in memberships}
    assignees = {r.assignee_id for r in raised if r.assignee_id} - emails.keys()
    emails.update(
        get_user_model().objects.filter(pk__in=assignees, is_active=True).values_list("pk", "email")
    )
    # Who holds which role where, grouped once for the batch.
    by_unit: dict[tuple[int, str], list[int]] = defaultdict(list)
    center: dict[tuple[int, str], list[int]] = defaultdict(list)  # (street, role)
    supervisors: list[tuple[int, str]] = []
    for user_id, _email, unit_id, role, kind, area_id, path in memberships:
        if role == Role.SUPERVISOR:
            supervisors.append((user_id, path))
            continue
        if unit_id in lead_units:
            by_unit[unit_id, role].append(user_id)
        if kind == Unit.Kind.STREET_CENTER:
            center[area_id, role].append(user_id)

    def assignee(r: Raised) -> list[int]:
        if r.assignee_id:
            return [r.assignee_id] if r.assignee_id in emails else []
        return by_unit[r.lead_unit_id, Role.HANDLER]

    audiences: dict[Audience, Callable[[Raised], list[int]]] = {
        Audience.ASSIGNEE: assignee,
        Audience.UNIT_HEADS: lambda r: by_unit[r.lead_unit_id, Role.UNIT_HEAD],
        Audience.STREET_DISPATCHERS: lambda r: center[r.street_id, Role.DISPATCHER],
        Audience.CENTER_HEADS: lambda r: center[r.street_id, Role.UNIT_HEAD],
        Audience.SUPERVISORS: lambda r: [
            u for u, path in supervisors if r.community_path.startswith(path)
        ],
        Audience.DUTY_UNIT: lambda r: by_unit[duty_units.get(r.duty), Role.HANDLER],
        Audience.DUTY_UNIT_HEADS: lambda r: by_unit[duty_units.get(r.duty), Role.UNIT_HEAD],
    }

    def told_at(r: Raised, level: int) -> list[int]:
        return [u for who in TOLD[r.stage][level] for u in audiences[who](r)]

    rows = []
    for r in raised:
        users = [u for level in r.levels or (r.level,) for u in told_at(r, level)]
        kind = escalation_notice_kind(r.level)
        for user_id in dict.fromkeys(users):
            rows.append((user_id, r.order_id, kind, r.subject[:200], r.title, now))
    return notify_rows(rows, now=now)


def notify_assisting(*, order, units, due_by: dict[int, datetime], now: datetime, actor) -> None:
    """Tell each assisting unit sent (or sent again) its part: its handlers and heads,
    with the time to sign by."""
    for unit in units:
        users = _members(Q(unit_id=unit.pk, role__in=[Role.HANDLER, Role.UNIT_HEAD]))
        subject = _("协办 %(number)s：请于 %(due)s 前签收") % {
            "number": order.number,
            "due": _fmt(due_by.get(unit.pk)),
        }
        notify(
            recipients=users,
            order=order,
            kind="assist",
            subject=subject,
            body=order.title,
            now=now,
            exclude=actor,
        )


def notify_assist_opinion(*, order, unit, now: datetime, actor) -> None:
    """Tell the lead unit (its assignee, else its handlers) an assisting unit's opinion is in."""
    if order.assignee_id:
        users = [order.assignee]
    else:
        users = _members(Q(unit_id=order.lead_unit_id, role__in=[Role.HANDLER, Role.UNIT_HEAD]))
    subject = _("协办意见 %(number)s：%(unit)s") % {"number": order.number, "unit": unit.name}
    notify(
        recipients=users,
        order=order,
        kind="assist_opinion",
        subject=subject,
        body=order.title,
        now=now,
        exclude=actor,
    )


# --- the mediation alliance: an invitation to assist ----------------------------------------


def notify_invited(*, invitation, now: datetime) -> None:
    """Tell the invitees of an invitation to assist (邀请协助): the volunteer invited by
    name, or every active volunteer of the unit invited as a whole."""
    order = invitation.order
    if invitation.member_id is not None:
        users = [invitation.member]
    else:
        users = _members(
            Q(unit_id=invitation.unit_id, role=Role.VOLUNTEER)
            & ~Q(volunteer_profile__is_active=False)
        )
    subject = _("邀请协助 %(number)s：%(title)s") % {"number": order.number, "title": order.title}
    notify(
        recipients=users,
        order=order,
        kind="invited",
        subject=subject,
        body=invitation.message,
        now=now,
    )
