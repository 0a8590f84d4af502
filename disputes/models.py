"""The dispute order, its parties, attachments and append-only timeline.

Transition methods only guard and set fields in memory; ``disputes.services`` is the one
place that calls them, under a row lock, and saves, records the event and schedules side
effects.
"""

from datetime import datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Case, Count, Exists, F, OuterRef, Q, Value
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from dispatch.models import Area, Category, RiskLevel, Unit
from notifications.levels import EscalationLevel
from shishi_mediation.validators import (
    content_matches_extension,
    content_type_of,
    validate_id_number,
    validate_phone,
)

from .colours import Colour
from .stages import (
    CLOCK,
    CLOCKS,
    Stage,
    clocks_in,
    escalation_fire_at,
    next_due_whens,
    state_q,
)

# --- SLA policy: each clock's time limit ------------------------------------------------


class SlaPolicy(models.Model):
    """Each clock's time limit (``<clock>_minutes``, one per ``stages.CLOCKS``).

    The most specific policy wins: colour first, then category, then risk. So a policy
    for a colour (any category, any risk) beats one for a category without colour, and
    among policies of the same colour (or of any colour): (category, risk) → (category,
    any risk) → (any category, risk) → the default (all three empty).
    """

    category = models.ForeignKey(
        Category,
        verbose_name=_("类别"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        help_text=_("留空表示所有类别。"),
    )
    risk_level = models.CharField(
        _("风险等级"),
        max_length=16,
        choices=RiskLevel.choices,
        blank=True,
        help_text=_("留空表示所有风险等级。"),
    )
    colour = models.CharField(
        _("颜色等级"),
        max_length=8,
        choices=Colour.choices,
        blank=True,
        help_text=_("留空表示所有颜色等级。"),
    )
    # One ``<clock>_minutes`` field per clock, added below from ``stages.CLOCKS``.

    class Meta:
        db_table = "dispatch_slapolicy"
        verbose_name = _("时限规则")
        verbose_name_plural = _("时限规则")
        # The messages are what the admin's form shows (not the constraint's name).
        constraints = [
            models.UniqueConstraint(
                fields=["category", "risk_level", "colour"],
                name="sla_policy_unique",
                condition=Q(category__isnull=False),
                violation_error_code="duplicate",
                violation_error_message=_(
                    "该类别、风险等级和颜色等级的时限规则已存在，请修改原有规则。"
                ),
            ),
            models.UniqueConstraint(
                fields=["risk_level", "colour"],
                name="sla_policy_unique_any_category",
                condition=Q(category__isnull=True),
                violation_error_code="duplicate",
                violation_error_message=_(
                    "适用于所有类别、该风险等级和颜色等级的时限规则已存在，请修改原有规则。"
                ),
            ),
            models.CheckConstraint(
                condition=Q(**{f"{c.limit_field}__gt": 0 for c in CLOCKS}),
                name="sla_policy_positive_limits",
                violation_error_code="not_positive",
                violation_error_message=_("各环节时限都必须大于0分钟。"),
            ),
            # A clock that may not end before another started at the same moment.
            *(
                models.CheckConstraint(
                    condition=Q(**{f"{c.limit_field}__gte": F(CLOCK[other].limit_field)}),
                    name=f"sla_policy_{c.name}_after_{other}",
                    violation_error_code=f"{c.name}_before_{other}",
                    violation_error_message=message,
                )
                for c in CLOCKS
                if c.not_shorter_than
                for other, message in [c.not_shorter_than]
            ),
        ]

    def __str__(self) -> str:
        cat = self.category or _("所有类别")
        risk = self.get_risk_level_display() if self.risk_level else _("所有风险")
        if self.colour:
            return f"{cat} · {risk} · {self.get_colour_display()}"
        return f"{cat} · {risk}"

    @property
    def limits(self) -> dict[str, timedelta]:
        """Each clock's limit under this policy, by clock name."""
        return {c.name: timedelta(minutes=getattr(self, c.limit_field)) for c in CLOCKS}


for _clock in CLOCKS:
    SlaPolicy.add_to_class(
        _clock.limit_field,
        models.PositiveIntegerField(_clock.limit_label, default=_clock.minutes),
    )


class State(models.TextChoices):
    REPORTED = "reported", _("待派单")
    DISPATCHED = "dispatched", _("待签收")
    SIGNED = "signed", _("已签收")
    CONTACTED = "contacted", _("已联系")
    MET = "met", _("已调解")
    CLOSED = "closed", _("已结单")
    CANCELLED = "cancelled", _("已撤销")


OPEN_STATES = (State.REPORTED, State.DISPATCHED, State.SIGNED, State.CONTACTED, State.MET)
HANDLING_STATES = (State.SIGNED, State.CONTACTED, State.MET)


class Source(models.TextChoices):
    PATROL = "patrol", _("走访巡查")
    POLICE_INCIDENT = "police_incident", _("警情")
    HOTLINE = "hotline", _("热线")
    WALK_IN = "walk_in", _("来访")
    REFERRAL = "referral", _("转办")


# The sources a person reporting may choose: 警情 orders come only from the incident
# intake (``disputes.incidents``), which also routes them.
REPORTER_SOURCES = [(v, label) for v, label in Source.choices if v != Source.POLICE_INCIDENT]


class Outcome(models.TextChoices):
    MEDIATED = "mediated", _("调解成功")
    PARTLY_MEDIATED = "partly_mediated", _("部分调解")
    FAILED = "failed", _("调解不成")
    WITHDRAWN = "withdrawn", _("当事人撤回")


class Referral(models.TextChoices):
    COURT = "court", _("诉讼")
    ARBITRATION = "arbitration", _("仲裁")
    PETITION = "petition", _("信访")


class Grade(models.TextChoices):
    """Case grade for the per-case subsidy (以案定补)."""

    SIMPLE = "simple", _("简易")
    ORDINARY = "ordinary", _("一般")
    COMPLEX = "complex", _("复杂")
    MAJOR = "major", _("重大疑难")


class ContactMethod(models.TextChoices):
    PHONE = "phone", _("电话")
    VISIT = "visit", _("上门")
    ONLINE = "online", _("线上")
    IN_PERSON = "in_person", _("来所面谈")


class Order(ConcurrentTransitionMixin, models.Model):
    """A dispute handled as a work order (订单)."""

    number = models.CharField(_("编号"), max_length=32, unique=True, editable=False)
    title = models.CharField(_("标题"), max_length=120)
    narrative = models.TextField(_("情况描述"))
    category = models.ForeignKey(Category, verbose_name=_("类别"), on_delete=models.PROTECT)
    source = models.CharField(
        _("来源"), max_length=20, choices=Source.choices, default=Source.PATROL
    )
    street = models.ForeignKey(
        Area,
        verbose_name=_("街道/镇"),
        on_delete=models.PROTECT,
        related_name="street_orders",
        editable=False,
    )
    community = models.ForeignKey(
        Area, verbose_name=_("社区"), on_delete=models.PROTECT, related_name="community_orders"
    )
    address = models.CharField(_("地址"), max_length=200, blank=True)
    risk_level = models.CharField(
        _("风险等级"), max_length=16, choices=RiskLevel.choices, default=RiskLevel.LOW
    )

    # 红/黄/绿 (``colours.colour_for``): set at reporting, confirmed or overridden at
    # dispatch, changed with a reason (``services.order_recolour``).
    colour = models.CharField(
        _("颜色等级"), max_length=8, choices=Colour.choices, default=Colour.GREEN
    )
    # A red order's 包案 leader (a LEADER of its street), who must review it before it
    # closes (``leader_reviewed_at``).
    case_leader = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("包案领导"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="led_orders",
    )
    leader_reviewed_at = models.DateTimeField(_("包案审核时间"), null=True, blank=True)

    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("报单人"),
        on_delete=models.PROTECT,
        related_name="reported_orders",
    )
    reporter_unit = models.ForeignKey(
        Unit,
        verbose_name=_("报单单位"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="reported_orders",
    )
    lead_unit = models.ForeignKey(
        Unit,
        verbose_name=_("责任单位"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="lead_orders",
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("责任人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_orders",
    )
    assisting_units = models.ManyToManyField(
        Unit, verbose_name=_("协办单位"), blank=True, related_name="assisting_orders"
    )

    state = FSMField(_("状态"), default=State.REPORTED, choices=State.choices, protected=True)

    reported_at = models.DateTimeField(_("报单时间"))
    dispatched_at = models.DateTimeField(_("派单时间"), null=True, blank=True)
    signed_at = models.DateTimeField(_("签收时间"), null=True, blank=True)
    contacted_at = models.DateTimeField(_("联系时间"), null=True, blank=True)
    met_at = models.DateTimeField(_("调解时间"), null=True, blank=True)
    closed_at = models.DateTimeField(_("结单时间"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("撤销时间"), null=True, blank=True)

    # Each clock's limit is fixed when it starts (from the SLA policy then in force) and
    # its due time stored, so sweeps and reports never recompute history: the fields
    # ``<clock>_limit``, ``<clock>_due_at`` and ``<clock>_on_time``, added below from
    # ``stages.CLOCKS``.

    # The head of the timeline's hash chain (see disputes/chain.py): "<key id>:<hex>".
    timeline_seq = models.PositiveIntegerField(default=0, editable=False)
    timeline_hash = models.CharField(max_length=96, blank=True, editable=False)

    contact_method = models.CharField(
        _("联系方式"), max_length=16, choices=ContactMethod.choices, blank=True
    )
    contact_note = models.TextField(_("联系情况"), blank=True)
    meeting_place = models.CharField(_("调解地点"), max_length=200, blank=True)
    meeting_participants = models.TextField(_("参加人员"), blank=True)
    meeting_result = models.TextField(_("调解经过"), blank=True)

    outcome = models.CharField(_("结果"), max_length=20, choices=Outcome.choices, blank=True)
    referral = models.CharField(_("移交途径"), max_length=16, choices=Referral.choices, blank=True)
    agreement_summary = models.TextField(_("协议摘要"), blank=True)
    grade = models.CharField(_("案件等级"), max_length=16, choices=Grade.choices, blank=True)
    cancel_reason = models.TextField(_("撤销原因"), blank=True)
    # Settled on the spot by its reporter (就地化解): reported and closed in one step,
    # never dispatched, no clocks (``services.order_settle_on_the_spot``).
    on_the_spot = models.BooleanField(_("就地化解"), default=False, editable=False)

    class Meta:
        verbose_name = _("订单")
        verbose_name_plural = _("订单")
        ordering = ["-reported_at", "-id"]
        indexes = [
            models.Index(fields=["street", "state"]),
            models.Index(fields=["lead_unit", "state"]),
            models.Index(fields=["reporter", "-reported_at"]),
            models.Index(fields=["state", "-reported_at"]),
            models.Index(fields=["closed_at"]),
            # The report's cancelled-since-cutoff range (built by rollups 0002, declared
            # so that SQLite's table rebuilds keep it: migration 0017).
            models.Index(
                name="rollups_order_cancelled",
                fields=["cancelled_at"],
                condition=Q(state="cancelled"),
            ),
            # Each clock's due time while it runs (the overdue filter, the sweep's checks).
            *(
                models.Index(
                    name=f"order_{c.name}_due_open",
                    fields=[c.due_field],
                    condition=state_q(c.runs_in),
                )
                for c in CLOCKS
            ),
            # The lists (disputes/selectors.py): each visibility branch read in the list's
            # order. The board and the handler list go by the next deadline; the second
            # expression must stay the same as ``selectors.next_due_expression()`` (a
            # test compares them), or PostgreSQL no longer uses these two.
            *(
                models.Index(
                    F(column),
                    Case(
                        *next_due_whens(),
                        default=Value(None),
                        output_field=models.DateTimeField(),
                    ),
                    F("reported_at"),
                    F("id"),
                    name=name,
                    condition=Q(state__in=OPEN_STATES),
                )
                for column, name in (
                    ("street", "order_street_next_due"),
                    ("lead_unit", "order_unit_next_due"),
                )
            ),
            models.Index(fields=["street", "-reported_at", "-id"], name="order_street_newest"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES

    # --- transitions: guard and set fields only; services save and record ---------
    @transition(field=state, source=State.REPORTED, target=State.DISPATCHED)
    def dispatch(self, *, lead_unit: Unit, assignee, at: datetime, limits: dict[str, timedelta]):
        self.lead_unit = lead_unit
        self.assignee = assignee
        self._reach("dispatched_at", at, limits)

    @transition(field=state, source=State.DISPATCHED, target=State.DISPATCHED)
    def reassign(self, *, lead_unit: Unit, assignee, at: datetime, limits: dict[str, timedelta]):
        self.lead_unit = lead_unit
        self.assignee = assignee
        self._reach("dispatched_at", at, limits)

    @transition(field=state, source=State.DISPATCHED, target=State.SIGNED)
    def sign(self, *, by, at: datetime, limits: dict[str, timedelta]):
        if self.assignee_id is None:
            self.assignee = by
        self._reach("signed_at", at, limits)

    @transition(field=state, source=[State.DISPATCHED, State.SIGNED], target=State.REPORTED)
    def return_to_queue(self, *, at: datetime, limits: dict[str, timedelta]):
        self.lead_unit = None
        self.assignee = None
        self._unreach(*RETURN_CLEARS)
        self._restart(State.REPORTED, at, limits)

    @transition(field=state, source=State.SIGNED, target=State.CONTACTED)
    def record_contact(self, *, at: datetime, how: str, note: str):
        self.contact_method, self.contact_note = how, note
        self._reach("contacted_at", at)

    @transition(field=state, source=State.CONTACTED, target=State.MET)
    def record_meeting(self, *, at: datetime, place: str, participants: str, result: str):
        self.meeting_place, self.meeting_participants = place, participants
        self.meeting_result = result
        self._reach("met_at", at)

    @transition(field=state, source=State.MET, target=State.CLOSED)
    def close(self, *, at: datetime, outcome: str, summary: str, grade: str, referral: str):
        self.closed_at = at
        self.outcome, self.agreement_summary = outcome, summary
        self.grade, self.referral = grade, referral
        self._disarm(*Stage.values)

    @transition(
        field=state,
        source=State.REPORTED,
        target=State.CLOSED,
        conditions=[lambda o: o.on_the_spot and o.closed_at is None],
    )
    def settle_on_the_spot(self, *, at: datetime, summary: str) -> None:
        """Its reporter settled it on the spot (就地化解): closed as mediated at once.
        Only an order made by ``services.order_settle_on_the_spot`` may."""
        self.closed_at = at
        self.outcome, self.agreement_summary = Outcome.MEDIATED, summary
        self._disarm(*Stage.values)

    @transition(field=state, source=list(OPEN_STATES), target=State.CANCELLED)
    def cancel(self, *, at: datetime, reason: str):
        self.cancelled_at = at
        self.cancel_reason = reason
        self._disarm(*Stage.values)

    # --- the clocks (``stages.CLOCKS``) ------------------------------------------------
    def open(self, *, at: datetime, limits: dict[str, timedelta]) -> None:
        """The order is reported at ``at`` (not a transition: the row is new); the clocks
        that start at reporting start. The service saves the order, then its alarms."""
        self._reach("reported_at", at, limits)

    def _reach(self, moment: str, at: datetime, limits: dict[str, timedelta] | None = None):
        """The order reached ``moment`` (an Order time field a clock starts or stops at) at
        ``at``: the running clocks that stop there are met, on time or not; those that
        start there start, with their limit from ``limits`` (by clock name). Called inside
        a transition, while the order is still in its source state."""
        setattr(self, moment, at)
        for c in CLOCKS:
            due = getattr(self, c.due_field)
            if c.stops == moment and self.state in c.runs_in and due is not None:
                on_time = at <= due
                setattr(self, c.on_time_field, on_time)
                if c.met_label:
                    setattr(self, c.met_field, at)
                self._disarm(c.name)
                self.clock_record["on_time"] = on_time
            if c.starts == moment:
                self._start(c, at, limits[c.name])

    def _unreach(self, *moments: str) -> None:
        """The order goes back to before ``moments``: they and the clocks they started
        are cleared, and those clocks' alarms disarmed."""
        for moment in moments:
            setattr(self, moment, None)
        for c in CLOCKS:
            if c.starts in moments:
                for name in (c.limit_attr, c.due_field, c.on_time_field):
                    setattr(self, name, None)
                if c.met_label:
                    setattr(self, c.met_field, None)
                self._disarm(c.name)

    def _restart(self, state: str, at: datetime, limits: dict[str, timedelta]) -> None:
        """The order goes back to ``state``: the clocks that run in it start again."""
        for c in clocks_in(state):
            self._start(c, at, limits[c.name])

    def _start(self, clock, at: datetime, limit: timedelta) -> None:
        setattr(self, clock.limit_attr, limit)
        setattr(self, clock.due_field, at + limit)
        setattr(self, clock.on_time_field, None)
        if clock.met_label:
            setattr(self, clock.met_field, None)
        self._arm(clock.name)
        self.clock_record[clock.due_field] = at + limit

    @property
    def clock_record(self) -> dict:
        """What the timeline records of the clocks a step changed: ``on_time`` of the
        clock it met, and the due time of each clock it started (``<clock>_due_at``)."""
        return self.__dict__.setdefault("_clock_record", {})

    # A clock starting arms its alarm (``disputes.Alarm``: the warning first); meeting it,
    # or leaving the states it runs in, disarms it. The transition only notes the change;
    # the service saves it with the order (``disputes.sweep.save_alarms``).
    @property
    def alarm_changes(self) -> dict[str, tuple[int, datetime] | None]:
        return self.__dict__.setdefault("_alarm_changes", {})

    def _arm(self, stage: str) -> None:
        clock = CLOCK[stage]
        due, limit = getattr(self, clock.due_field), getattr(self, clock.limit_attr)
        level = EscalationLevel.WARNING
        self.alarm_changes[stage] = (level, escalation_fire_at(due=due, limit=limit, level=level))

    def _disarm(self, *stages: str) -> None:
        for stage in stages:
            self.alarm_changes[stage] = None

    def running_clocks(self) -> dict[str, datetime]:
        """The clocks that run now, with their due times."""
        return {c.name: getattr(self, c.due_field) for c in clocks_in(self.state)}


for _clock in CLOCKS:
    _limit_label, _due_label, _on_time_label = _clock.field_labels
    Order.add_to_class(_clock.limit_attr, models.DurationField(_limit_label, null=True, blank=True))
    Order.add_to_class(_clock.due_field, models.DateTimeField(_due_label, null=True, blank=True))
    Order.add_to_class(
        _clock.on_time_field, models.BooleanField(_on_time_label, null=True, blank=True)
    )
    if _clock.met_label:
        Order.add_to_class(
            _clock.met_field, models.DateTimeField(_clock.met_label, null=True, blank=True)
        )


# --- the clocks' alarms and escalations -------------------------------------------------


class Alarm(models.Model):
    """The next escalation of one running stage clock of one order: the level it raises
    and when. The sweep reads and moves only these rows (by the ``fire_at`` index); a row
    is deleted when its stage is met or its last level raised. They live beside the
    order, not in it, so that moving an alarm does not rewrite the order row and its
    twenty indexes (at 10,000 due stages that was most of a sweep's database time)."""

    order = models.ForeignKey(
        Order, on_delete=models.CASCADE, related_name="alarms", db_index=False
    )
    stage = models.CharField(_("环节"), max_length=8, choices=Stage.choices)
    level = models.PositiveSmallIntegerField(_("级别"), choices=EscalationLevel.choices)
    fire_at = models.DateTimeField(_("触发时间"))

    class Meta:
        db_table = "dispatch_alarm"
        verbose_name = _("督办计时")
        verbose_name_plural = _("督办计时")
        constraints = [
            models.UniqueConstraint(fields=["order", "stage"], name="alarm_one_per_stage"),
        ]
        indexes = [models.Index(name="alarm_fire_at", fields=["fire_at", "id"])]

    def __str__(self) -> str:
        return f"{self.order_id} {self.stage} L{self.level} @ {self.fire_at:%Y-%m-%d %H:%M}"


class EscalationQuerySet(models.QuerySet):
    def highest_open(self) -> "EscalationQuerySet":
        """The open escalations no higher open level of the same stage clock outranks:
        one per escalated running stage, at the level it has reached."""
        higher = self.model._default_manager.filter(
            order=OuterRef("order"),
            stage=OuterRef("stage"),
            stage_due_at=OuterRef("stage_due_at"),
            level__gt=OuterRef("level"),
            resolved_at__isnull=True,
        )
        return self.filter(resolved_at__isnull=True).exclude(Exists(higher))

    def open_counts_by_level(self) -> dict[int, int]:
        """How many escalated running stages stand at each level (every level present)."""
        counts = dict.fromkeys(EscalationLevel.values, 0)
        counts.update(self.highest_open().order_by().values_list("level").annotate(n=Count("id")))
        return counts


class Escalation(models.Model):
    """One (order, stage clock, level) raised by the sweep; the unique constraint makes it
    happen exactly once, however many sweeps run. A reassign starts a new sign clock
    (a new ``stage_due_at``), which may escalate again."""

    # Indexed as the leading column of ``escalation_once``.
    order = models.ForeignKey(
        Order,
        verbose_name=_("订单"),
        on_delete=models.CASCADE,
        related_name="escalations",
        db_index=False,
    )
    stage = models.CharField(_("环节"), max_length=8, choices=Stage.choices)
    level = models.PositiveSmallIntegerField(_("级别"), choices=EscalationLevel.choices)
    stage_due_at = models.DateTimeField(_("环节截止"))
    fire_at = models.DateTimeField(_("触发时间"))
    raised_at = models.DateTimeField(_("发出时间"))
    resolved_at = models.DateTimeField(_("解除时间"), null=True, blank=True)
    unit = models.ForeignKey(
        Unit, verbose_name=_("责任单位"), null=True, blank=True, on_delete=models.SET_NULL
    )
    # Set when the people it concerns have been told (``disputes.notices.notify_raised``),
    # in the transaction that writes their notices: each escalation is announced once.
    notified_at = models.DateTimeField(_("通知时间"), null=True, blank=True)

    objects = EscalationQuerySet.as_manager()

    class Meta:
        db_table = "dispatch_escalation"
        verbose_name = _("超时督办")
        verbose_name_plural = _("超时督办")
        ordering = ["-raised_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["order", "stage", "level", "stage_due_at"], name="escalation_once"
            ),
        ]
        indexes = [
            models.Index(
                name="escalation_open",
                fields=["order", "stage"],
                condition=Q(resolved_at__isnull=True),
            ),
            models.Index(fields=["raised_at"]),
            models.Index(
                name="escalation_unnotified", fields=["id"], condition=Q(notified_at__isnull=True)
            ),
            # The report's open-at-month-end range (rollups 0002; migration 0017).
            models.Index(name="rollups_escalation_resolved", fields=["resolved_at", "raised_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.order_id} {self.get_stage_display()} {self.get_level_display()}"


class OrderNumberCounter(models.Model):
    """The last sequence number used per street and month (order numbers never repeat)."""

    street = models.ForeignKey(Area, on_delete=models.CASCADE)
    month = models.CharField(max_length=6)  # YYYYMM in Asia/Shanghai
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["street", "month"], name="order_counter_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.street_id}/{self.month}: {self.last}"


class Party(models.Model):
    """A person involved in the dispute."""

    class PartyRole(models.TextChoices):
        APPLICANT = "applicant", _("申请人")
        RESPONDENT = "respondent", _("被申请人")
        OTHER = "other", _("其他")

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="parties")
    name = models.CharField(_("姓名"), max_length=64)
    role = models.CharField(
        _("身份"), max_length=16, choices=PartyRole.choices, default=PartyRole.APPLICANT
    )
    phone = models.CharField(_("电话"), max_length=20, blank=True, validators=[validate_phone])
    id_number = models.CharField(
        _("身份证号"), max_length=18, blank=True, validators=[validate_id_number]
    )
    is_elderly_alone = models.BooleanField(_("独居老人"), default=False)
    is_disabled = models.BooleanField(_("残疾人"), default=False)
    has_mental_illness = models.BooleanField(_("精神障碍"), default=False)
    is_minor = models.BooleanField(_("未成年人"), default=False)
    confirmed_at = models.DateTimeField(_("确认结单时间"), null=True, blank=True)
    # The party agreed to be texted (their review code at closing); when it was recorded.
    sms_consent = models.BooleanField(_("同意接收短信"), default=False)
    sms_consent_at = models.DateTimeField(_("同意短信时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("当事人")
        verbose_name_plural = _("当事人")
        ordering = ["order", "id"]
        # The search by phone (``OrderFilter.filter_search``); built by migration 0009.
        indexes = [models.Index(fields=["phone"], name="party_phone")]

    def __str__(self) -> str:
        return self.name

    @property
    def is_vulnerable(self) -> bool:
        return (
            self.is_elderly_alone or self.is_disabled or self.has_mental_illness or (self.is_minor)
        )


def validate_attachment(upload) -> None:
    ext = Path(upload.name).suffix.lower().lstrip(".")
    if ext not in settings.ATTACHMENT_EXTENSIONS:
        raise ValidationError(
            _("不支持的文件类型 .%(ext)s；允许：%(allowed)s"),
            params={"ext": ext, "allowed": ", ".join(settings.ATTACHMENT_EXTENSIONS)},
            code="file_type",
        )
    limit = settings.ATTACHMENT_MAX_BYTES
    if upload.size > limit:
        size_text, limit_text = filesizeformat(upload.size), filesizeformat(limit)
        if size_text == limit_text:  # just over the limit: say it in bytes
            size_text, limit_text = f"{upload.size:,} B", f"{limit:,} B"
        raise ValidationError(
            _("文件过大（%(size)s），上限 %(max)s。"),
            params={"size": size_text, "max": limit_text},
            code="file_size",
        )
    if not content_matches_extension(upload, ext):
        raise ValidationError(
            _("文件内容与扩展名 .%(ext)s 不符（文件可能已损坏或被改过扩展名）。"),
            params={"ext": ext},
            code="file_content",
        )


def attachment_path(instance: "Attachment", filename: str) -> str:
    return f"orders/{instance.order_id}/{Path(filename).name}"


def thumbnail_path(instance: "Attachment", filename: str) -> str:
    return f"orders/{instance.order_id}/thumbnails/{Path(filename).name}"


class Attachment(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(_("文件"), upload_to=attachment_path, validators=[validate_attachment])
    original_name = models.CharField(_("文件名"), max_length=200)
    size = models.PositiveIntegerField(_("大小"))
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    uploaded_at = models.DateTimeField(_("上传时间"))
    # A photo's small JPEG for the order page (``disputes.images``); empty for other files.
    thumbnail = models.FileField(_("缩略图"), upload_to=thumbnail_path, blank=True)

    class Meta:
        verbose_name = _("附件")
        verbose_name_plural = _("附件")
        ordering = ["uploaded_at", "id"]

    def __str__(self) -> str:
        return self.original_name

    @property
    def content_type(self) -> str:
        return content_type_of(self.original_name)


class EventKind(models.TextChoices):
    REPORTED = "reported", _("报单")
    DISPATCHED = "dispatched", _("派单")
    REASSIGNED = "reassigned", _("改派")
    SIGNED = "signed", _("签收")
    RETURNED = "returned", _("退单")
    CONTACTED = "contacted", _("联系当事人")
    MET = "met", _("见面调解")
    CLOSED = "closed", _("结单")
    CANCELLED = "cancelled", _("撤销")
    NOTE = "note", _("备注")
    ATTACHMENT = "attachment", _("上传附件")
    ESCALATED = "escalated", _("临期预警或超时督办")
    REVIEWED = "reviewed", _("群众评价")
    RETURN_VISIT = "return_visit", _("回访")
    RECOLOURED = "recoloured", _("改色")
    LEADER_REVIEWED = "leader_reviewed", _("包案审核")


# The moment (an ``Order`` time field) each kind of event stamps: the clocks start and
# stop at these (``Order._reach``); a return to the queue clears what it goes back before.
EVENT_MOMENTS = {
    EventKind.REPORTED: "reported_at",
    EventKind.DISPATCHED: "dispatched_at",
    EventKind.REASSIGNED: "dispatched_at",
    EventKind.SIGNED: "signed_at",
    EventKind.CONTACTED: "contacted_at",
    EventKind.MET: "met_at",
}
RETURN_CLEARS = ("dispatched_at", "signed_at")


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise TypeError("order events are append-only")

    def delete(self):
        raise TypeError("order events are append-only")


class OrderEvent(models.Model):
    """One step of an order's timeline. Written once, never changed."""

    # Indexed as the leading column of (order, seq) and (order, at, id).
    order = models.ForeignKey(
        Order, on_delete=models.PROTECT, related_name="events", db_index=False
    )
    kind = models.CharField(_("事件"), max_length=16, choices=EventKind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
    )
    at = models.DateTimeField(_("时间"))
    from_state = models.CharField(_("原状态"), max_length=16, choices=State.choices, blank=True)
    to_state = models.CharField(_("新状态"), max_length=16, choices=State.choices, blank=True)
    note = models.TextField(_("说明"), blank=True)
    data = models.JSONField(_("数据"), default=dict, blank=True)
    # Position in the order's timeline and the chained hash, "<key id>:<hex>"
    # (disputes/chain.py).
    seq = models.PositiveIntegerField(_("序号"), editable=False)
    hash = models.CharField(max_length=96, blank=True, editable=False)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        verbose_name = _("流转记录")
        verbose_name_plural = _("流转记录")
        ordering = ["order", "at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["order", "seq"], name="order_event_seq_unique")
        ]
        indexes = [models.Index(fields=["order", "at", "id"])]

    def __str__(self) -> str:
        return f"{self.order_id} {self.get_kind_display()} {self.at:%Y-%m-%d %H:%M}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise TypeError("order events are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError("order events are append-only")


class Review(models.Model):
    """A party's good/bad rating of a closed order (好差评), reached by a token link
    without login. The token row is made at closing; rating and comment once."""

    class Rating(models.TextChoices):
        GOOD = "good", _("好评")
        BAD = "bad", _("差评")

    order = models.ForeignKey(
        Order, verbose_name=_("订单"), on_delete=models.CASCADE, related_name="reviews"
    )
    party = models.ForeignKey(
        Party,
        verbose_name=_("当事人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="reviews",
    )
    token = models.CharField(max_length=64, unique=True, editable=False)
    # The short code texted to the party (the SMS may carry no link but a constant one,
    # the page that takes this code); only for parties who agreed to SMS.
    sms_code = models.CharField(max_length=16, unique=True, null=True, blank=True, editable=False)
    rating = models.CharField(_("评价"), max_length=4, choices=Rating.choices, blank=True)
    comment = models.TextField(_("意见"), blank=True)
    created_at = models.DateTimeField(_("生成时间"))
    submitted_at = models.DateTimeField(_("评价时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("评价")
        verbose_name_plural = _("评价")
        ordering = ["order", "id"]
        indexes = [models.Index(fields=["submitted_at"])]

    def __str__(self) -> str:
        return f"{self.order_id} {self.get_rating_display() or '-'}"


class ReturnVisit(models.Model):
    """A police return visit (回访) after closing."""

    order = models.ForeignKey(
        Order, verbose_name=_("订单"), on_delete=models.CASCADE, related_name="return_visits"
    )
    visited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("回访人"), on_delete=models.PROTECT
    )
    visited_at = models.DateTimeField(_("回访时间"))
    satisfied = models.BooleanField(_("当事人满意"), null=True)
    note = models.TextField(_("回访情况"), blank=True)

    class Meta:
        verbose_name = _("回访")
        verbose_name_plural = _("回访")
        ordering = ["order", "visited_at"]
        indexes = [models.Index(fields=["visited_at"])]

    def __str__(self) -> str:
        return f"{self.order_id} {self.visited_at:%Y-%m-%d}"


# --- police incidents (警情) ----------------------------------------------------------------


class IncidentType(models.Model):
    """A police incident type code of the command system. The table says which types are
    disputes (they become orders in ``category``); the rest are stored and counted only."""

    code = models.CharField(_("代码"), max_length=32, unique=True)
    name = models.CharField(_("名称"), max_length=64)
    is_dispute = models.BooleanField(_("纠纷类警情"), default=False)
    category = models.ForeignKey(
        Category,
        verbose_name=_("对应纠纷类别"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="incident_types",
        help_text=_("纠纷类警情转为订单时使用的类别。"),
    )

    class Meta:
        verbose_name = _("警情类型")
        verbose_name_plural = _("警情类型")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(is_dispute=False) | Q(category__isnull=False),
                name="incident_type_dispute_has_category",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    def clean(self) -> None:
        if self.is_dispute and self.category_id is None:
            raise ValidationError({"category": _("纠纷类警情须指定对应的纠纷类别。")})


class Incident(models.Model):
    """A police incident received from the command system (API or CSV import). Unique by
    its number, so a repeated submission never makes a second order."""

    number = models.CharField(_("警情编号"), max_length=64, unique=True)
    received_at = models.DateTimeField(_("接警时间"))
    type = models.ForeignKey(
        IncidentType, verbose_name=_("警情类型"), on_delete=models.PROTECT, related_name="+"
    )
    summary = models.TextField(_("警情摘要"))
    address = models.CharField(_("地址"), max_length=200, blank=True)
    community = models.ForeignKey(
        Area, verbose_name=_("社区"), on_delete=models.PROTECT, related_name="incidents"
    )
    caller_name = models.CharField(_("报警人"), max_length=64, blank=True)
    caller_phone = models.CharField(_("报警电话"), max_length=20, blank=True)
    order = models.ForeignKey(
        Order,
        verbose_name=_("订单"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="incidents",
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("报送账号"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("接收时间"))

    class Meta:
        verbose_name = _("警情")
        verbose_name_plural = _("警情")
        ordering = ["-received_at", "-id"]
        indexes = [models.Index(fields=["received_at"])]

    def __str__(self) -> str:
        return self.number
