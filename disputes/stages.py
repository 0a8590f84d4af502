"""The order's clocks (stages), each declared once in ``CLOCKS``.

A clock starts when the order reaches one moment (``starts``: an ``Order`` time field)
and is met when it reaches another (``stops``); it runs while the order is in one of
``runs_in``. Its limit comes from the SLA policy (``SlaPolicy.<name>_minutes``, default
``minutes``) and is fixed on the order when the clock starts, with its due time; whether
it was met on time is recorded when it stops. Before the deadline a warning, at it
level 1, overdue by the limit again level 2; ``told`` names who hears of each level.

Everything else is derived from this table: the ``Stage`` choices, the order's
``<name>_limit`` / ``<name>_due_at`` / ``<name>_on_time`` fields and due-time indexes,
the policy's limit fields and constraints, the alarms and the sweep, who is told, the
overdue and warning filters, the next-deadline expression of the lists and the board,
the order page's stage rows, the API's fields, the timeline check, the report's
figures and the roll-ups' columns. docs/ARCHITECTURE.md, "Adding a clock".
"""

import operator
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from functools import reduce

from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Least
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from notifications.levels import EscalationLevel, escalation_fire_at  # noqa: F401 - re-exported


class Audience(StrEnum):
    """Whom a level of a clock is told to (``disputes.notices.notify_escalations``)."""

    ASSIGNEE = "assignee"  # the order's assignee, else the lead unit's handlers
    UNIT_HEADS = "unit_heads"  # the lead unit's heads
    STREET_DISPATCHERS = "street_dispatchers"  # the dispatchers of the order's street center
    CENTER_HEADS = "center_heads"  # the heads of the order's street center
    SUPERVISORS = "supervisors"  # supervisors whose jurisdiction holds the order
    # A duty's (``DUTIES``): the handlers and the heads of the unit that owes it.
    DUTY_UNIT = "duty_unit"
    DUTY_UNIT_HEADS = "duty_unit_heads"


@dataclass(frozen=True)
class ReportLabels:
    """How the monthly report counts a clock: its figures' headers, and its on-time
    rate's weight in the composite score (percentage points)."""

    on_time: Promise  # 按时…: met on time
    late: Promise  # 超时…: met late
    open: Promise  # 逾期未…: past due, not met
    rate: Promise  # 按时…率(%)
    rate_name: Promise  # 按时…率: the ranking's, the bulletin's and the charts' name of it
    colour: str  # the rate's colour in the charts
    median: Promise  # the median time from start to stop, in minutes (exports)
    median_short: Promise  # its column on the page, under 用时中位数
    group: Promise  # the page's column group
    span: Promise  # what its median measures, for the footnotes: "from … to …"
    score_weight: int  # 0: shown, not part of the score


@dataclass(frozen=True)
class Clock:
    name: str
    label: Promise  # the stage, as pages, notices and the API name it
    starts: str  # the Order time field whose moment starts the clock
    stops: str  # the Order time field whose moment meets it
    runs_in: tuple[str, ...]  # the order states in which it runs
    minutes: int  # the default limit
    limit_label: Promise  # SlaPolicy.<name>_minutes
    field_labels: tuple[Promise, Promise, Promise]  # Order.<name>_limit, _due_at, _on_time
    report: ReportLabels
    told: tuple[tuple[Audience, ...], ...]  # per level: warning, level 1, level 2
    # Another clock, started at the same moment, that this one may not end before, and
    # what the policy's form says when it would.
    not_shorter_than: tuple[str, Promise] | None = None
    # A clock whose stop moment can move after it was met (a reassign moves
    # ``dispatched_at``) keeps its own met time, ``<name>_met_at``, under this label.
    met_label: Promise | None = None
    # Whether its handler may ask the center to pause it (暂停计时, ``disputes.ClockPause``):
    # the handler's own clocks only, whose deadline depends on the parties being there.
    pausable: bool = False

    @property
    def limit_field(self) -> str:
        return f"{self.name}_minutes"

    @property
    def due_field(self) -> str:
        return f"{self.name}_due_at"

    @property
    def limit_attr(self) -> str:
        return f"{self.name}_limit"

    @property
    def on_time_field(self) -> str:
        return f"{self.name}_on_time"

    @property
    def met_field(self) -> str:
        """Where the moment the clock was met is read: its own field, or its stop moment."""
        return f"{self.name}_met_at" if self.met_label else self.stops


_SIGNED, _CONTACTED = ("signed",), ("contacted",)

CLOCKS: tuple[Clock, ...] = (
    Clock(
        name="dispatch",
        label=_("派单"),
        starts="reported_at",
        stops="dispatched_at",
        runs_in=("reported",),
        minutes=30,
        limit_label=_("派单时限（分钟，自报单起）"),
        field_labels=(_("派单时限"), _("派单截止"), _("按时派单")),
        report=ReportLabels(
            on_time=_("按时派单"),
            late=_("超时派单"),
            open=_("逾期未派单"),
            rate=_("按时派单率(%)"),
            rate_name=_("按时派单率"),
            colour="#0f8c8c",
            median=_("派单用时中位数(分钟)"),
            median_short=_("派单"),
            group=_("派单"),
            span=_("报单（或退回派单队列）至派单"),
            score_weight=0,  # reported, not (yet) part of the composite score
        ),
        met_label=_("派单完成时间"),
        told=(
            (Audience.STREET_DISPATCHERS,),
            (Audience.CENTER_HEADS,),
            (Audience.SUPERVISORS,),
        ),
    ),
    Clock(
        name="sign",
        label=_("签收"),
        starts="dispatched_at",
        stops="signed_at",
        runs_in=("dispatched",),
        minutes=30,
        limit_label=_("签收时限（分钟）"),
        field_labels=(_("签收时限"), _("签收截止"), _("按时签收")),
        report=ReportLabels(
            on_time=_("按时签收"),
            late=_("超时签收"),
            open=_("逾期未签收"),
            rate=_("按时签收率(%)"),
            rate_name=_("按时签收率"),
            colour="#2f6fb3",
            median=_("签收用时中位数(分钟)"),
            median_short=_("签收"),
            group=_("签收"),
            span=_("派单（或最后一次改派）至签收"),
            score_weight=25,
        ),
        told=(
            (Audience.ASSIGNEE,),
            (Audience.UNIT_HEADS, Audience.STREET_DISPATCHERS),
            (Audience.SUPERVISORS,),
        ),
    ),
    Clock(
        name="contact",
        label=_("联系当事人"),
        starts="signed_at",
        stops="contacted_at",
        runs_in=_SIGNED,
        minutes=24 * 60,
        limit_label=_("联系时限（分钟，自签收起）"),
        field_labels=(_("联系时限"), _("联系截止"), _("按时联系")),
        report=ReportLabels(
            on_time=_("按时联系"),
            late=_("超时联系"),
            open=_("逾期未联系"),
            rate=_("按时联系率(%)"),
            rate_name=_("按时联系率"),
            colour="#2e8b57",
            median=_("联系用时中位数(分钟)"),
            median_short=_("联系"),
            group=_("联系当事人"),
            span=_("签收至联系"),
            score_weight=20,
        ),
        told=(
            (Audience.ASSIGNEE,),
            (Audience.UNIT_HEADS, Audience.STREET_DISPATCHERS),
            (Audience.SUPERVISORS,),
        ),
        pausable=True,
    ),
    Clock(
        name="meet",
        label=_("见面调解"),
        starts="signed_at",
        stops="met_at",
        runs_in=_SIGNED + _CONTACTED,
        minutes=48 * 60,
        limit_label=_("见面调解时限（分钟，自签收起）"),
        field_labels=(_("调解时限"), _("调解截止"), _("按时调解")),
        report=ReportLabels(
            on_time=_("按时见面调解"),
            late=_("超时见面调解"),
            open=_("逾期未见面调解"),
            rate=_("按时见面调解率(%)"),
            rate_name=_("按时见面调解率"),
            colour="#c77c02",
            median=_("见面调解用时中位数(分钟)"),
            median_short=_("见面"),
            group=_("见面调解"),
            span=_("签收至见面调解"),
            score_weight=20,
        ),
        told=(
            (Audience.ASSIGNEE,),
            (Audience.UNIT_HEADS, Audience.STREET_DISPATCHERS),
            (Audience.SUPERVISORS,),
        ),
        not_shorter_than=("contact", _("见面调解时限不能短于联系时限（两者都自签收起算）。")),
        pausable=True,
    ),
)

CLOCK = {clock.name: clock for clock in CLOCKS}


@dataclass(frozen=True)
class DutyReportLabels:
    """How the monthly report counts a duty per unit that owes it: met on time, met late,
    past due and not met."""

    on_time: Promise
    late: Promise
    open: Promise
    rate: Promise
    rate_name: Promise
    group: Promise
    score_weight: int = 0  # the rate's weight in the composite score; 0: shown only


@dataclass(frozen=True)
class DutyClock:
    """A clock one unit owes on an order beside the order's own clocks (a duty): an
    assisting unit's signing, a review of a return, a reply to a 督办. Each running duty
    is a ``disputes.Duty`` row with its unit, limit and due time; its alarm and its
    escalations are the order clocks' (``Alarm``/``Escalation`` rows with ``duty`` set),
    so the sweep, the notices, the board's escalation badge and the report's escalation
    counts need nothing per duty. Started, met and ended by ``disputes.duties``.

    The limit is, in this order: the one the caller gives (a 督办's reply deadline, the
    order's meeting deadline), ``SlaPolicy.<policy_field>``, or ``minutes``."""

    name: str
    label: Promise
    told: tuple[tuple[Audience, ...], ...]  # per level: warning, level 1, level 2
    report: DutyReportLabels
    minutes: int | None = None  # the default limit
    # The policy field its limit is read from: its own (declared with ``limit_label``,
    # added to ``SlaPolicy``), or an order clock's (``sign_minutes``).
    policy_field: str | None = None
    limit_label: Promise | None = None  # its own policy field's label
    # It runs after the order is closed (a review of the closing), so closing does not
    # end it; cancelling does.
    after_close: bool = False

    @property
    def owns_policy_field(self) -> bool:
        return self.limit_label is not None


_DUTY_UNIT_TOLD = (
    (Audience.DUTY_UNIT,),
    (Audience.DUTY_UNIT_HEADS,),
    (Audience.DUTY_UNIT_HEADS, Audience.STREET_DISPATCHERS),
)

DUTIES: tuple[DutyClock, ...] = (
    DutyClock(
        name="assist_sign",
        label=_("协办签收"),
        policy_field="sign_minutes",  # the signing limit, from dispatch (or reassignment)
        told=_DUTY_UNIT_TOLD,
        report=DutyReportLabels(
            on_time=_("协办按时签收"),
            late=_("协办超时签收"),
            open=_("协办逾期未签收"),
            rate=_("协办按时签收率(%)"),
            rate_name=_("协办按时签收率"),
            score_weight=5,
            group=_("协办签收"),
        ),
    ),
    DutyClock(
        name="assist_opinion",
        label=_("协办意见"),
        # Due at the order's meeting deadline, from when both it and the lead have signed.
        told=_DUTY_UNIT_TOLD,
        report=DutyReportLabels(
            on_time=_("协办意见按时"),
            late=_("协办意见超时"),
            open=_("协办意见逾期未交"),
            rate=_("协办意见按时率(%)"),
            rate_name=_("协办意见按时率"),
            score_weight=5,
            group=_("协办意见"),
        ),
    ),
    DutyClock(
        name="review",
        label=_("退单审核"),
        minutes=30,
        policy_field="review_minutes",
        limit_label=_("退单审核时限（分钟，自申请退单起）"),
        told=(
            (Audience.STREET_DISPATCHERS,),
            (Audience.CENTER_HEADS,),
            (Audience.SUPERVISORS,),
        ),
        report=DutyReportLabels(
            on_time=_("退单按时审核"),
            late=_("退单超时审核"),
            open=_("退单逾期未审核"),
            rate=_("退单按时审核率(%)"),
            rate_name=_("退单按时审核率"),
            group=_("退单审核"),
        ),
    ),
    DutyClock(
        name="reply",
        label=_("督办回复"),
        # Due at the deadline the 督办 sets.
        told=(
            (Audience.DUTY_UNIT_HEADS,),
            (Audience.DUTY_UNIT_HEADS, Audience.CENTER_HEADS),
            (Audience.SUPERVISORS,),
        ),
        report=DutyReportLabels(
            on_time=_("督办按时回复"),
            late=_("督办超时回复"),
            open=_("督办逾期未回复"),
            rate=_("督办按时回复率(%)"),
            rate_name=_("督办按时回复率"),
            group=_("督办回复"),
        ),
    ),
    DutyClock(
        name="closing",
        label=_("结单确认"),
        # From the proposal of the closing until every party, the reporter and the center
        # have confirmed; past it the center may close with a reason (逾期结单).
        minutes=72 * 60,
        policy_field="closing_minutes",
        limit_label=_("结单确认时限（分钟，自提交结单起）"),
        told=_DUTY_UNIT_TOLD,
        report=DutyReportLabels(
            on_time=_("结单按时确认"),
            late=_("结单超时确认"),
            open=_("结单逾期未确认"),
            rate=_("结单按时确认率(%)"),
            rate_name=_("结单按时确认率"),
            group=_("结单确认"),
        ),
    ),
    DutyClock(
        name="grade",
        label=_("等级审核"),
        minutes=3 * 24 * 60,
        policy_field="grade_review_minutes",
        limit_label=_("等级审核时限（分钟，自结单起）"),
        after_close=True,
        told=(
            (Audience.STREET_DISPATCHERS,),
            (Audience.CENTER_HEADS,),
            (Audience.SUPERVISORS,),
        ),
        report=DutyReportLabels(
            on_time=_("等级按时审核"),
            late=_("等级超时审核"),
            open=_("等级逾期未审核"),
            rate=_("等级按时审核率(%)"),
            rate_name=_("等级按时审核率"),
            group=_("等级审核"),
        ),
    ),
    # 移交跟踪: a referred case (court, arbitration, petition, 诉调对接, 司法确认) is followed
    # by its lead unit until the receiving body's first result is recorded
    # (``disputes.referrals``); it starts at closing, so closing does not end it.
    DutyClock(
        name="referral",
        label=_("移交跟踪"),
        minutes=30 * 24 * 60,
        policy_field="referral_minutes",
        limit_label=_("移交跟踪时限（分钟，自结单起）"),
        after_close=True,
        told=(
            (Audience.DUTY_UNIT,),
            (Audience.DUTY_UNIT_HEADS,),
            (Audience.SUPERVISORS,),
        ),
        report=DutyReportLabels(
            on_time=_("移交按时跟踪"),
            late=_("移交超时跟踪"),
            open=_("移交逾期未跟踪"),
            rate=_("移交按时跟踪率(%)"),
            rate_name=_("移交按时跟踪率"),
            group=_("移交跟踪"),
        ),
    ),
    # 回访: due a set time after closing (``disputes.visits``): 7 days by the policy, a red
    # order also at ``RETURN_VISIT_RED_DAYS`` (3 and 30), a second visit after an
    # unsatisfied visit or a bad review ``RETURN_VISIT_SECOND_DAYS`` (3) later.
    DutyClock(
        name="visit",
        label=_("回访"),
        minutes=7 * 24 * 60,
        policy_field="visit_minutes",
        limit_label=_("回访时限（分钟，自结单起）"),
        after_close=True,
        told=(
            (Audience.DUTY_UNIT,),
            (Audience.DUTY_UNIT_HEADS,),
            (Audience.DUTY_UNIT_HEADS, Audience.SUPERVISORS),
        ),
        report=DutyReportLabels(
            on_time=_("按时回访"),
            late=_("超时回访"),
            open=_("逾期未回访"),
            rate=_("按时回访率(%)"),
            rate_name=_("按时回访率"),
            group=_("回访"),
        ),
    ),
)

DUTY = {duty.name: duty for duty in DUTIES}
# Who hears of each level of a clock or a duty, by name (``notices.notify_escalations``).
TOLD = {c.name: c.told for c in (*CLOCKS, *DUTIES)}

Stage = models.TextChoices("Stage", [(c.name.upper(), (c.name, c.label)) for c in CLOCKS])
Stage.__doc__ = "The clocks' names and labels (``CLOCKS``)."
DutyKind = models.TextChoices("DutyKind", [(d.name.upper(), (d.name, d.label)) for d in DUTIES])
DutyKind.__doc__ = "The duties' names and labels (``DUTIES``)."
# What an alarm or an escalation runs for: an order clock, or a duty.
STAGE_CHOICES = [*Stage.choices, *DutyKind.choices]


PAUSABLE = tuple(c.name for c in CLOCKS if c.pausable)
PAUSABLE_CHOICES = [(c.name, c.label) for c in CLOCKS if c.pausable]  # the API's enum


def pausable_states() -> frozenset[str]:
    """The states in which some pausable clock runs (where a pause may be asked for)."""
    return frozenset(s for c in CLOCKS if c.pausable for s in c.runs_in)


def clocks_in(state: str) -> tuple[Clock, ...]:
    """The clocks that run while an order is in ``state``."""
    return tuple(c for c in CLOCKS if state in c.runs_in)


def clock_states() -> tuple[str, ...]:
    """The states in which some clock runs, in the table's order."""
    return tuple(dict.fromkeys(s for c in CLOCKS for s in c.runs_in))


def state_q(states: tuple[str, ...]) -> Q:
    return Q(state=states[0]) if len(states) == 1 else Q(state__in=list(states))


def next_due_whens() -> list[models.When]:
    """Per state, the nearest due time of the clocks running in it (the board's and the
    lists' order, and the index that serves them)."""
    whens = []
    for state in clock_states():
        dues = [c.due_field for c in clocks_in(state)]
        whens.append(models.When(state=state, then=F(dues[0]) if len(dues) == 1 else Least(*dues)))
    return whens


def overdue_q(now: datetime) -> Q:
    """Orders with a running clock past its due time."""
    return reduce(
        operator.or_, (state_q(c.runs_in) & Q(**{f"{c.due_field}__lt": now}) for c in CLOCKS)
    )
