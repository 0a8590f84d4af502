"""The dispute order, its parties, attachments and append-only timeline.

Transition methods only guard and set fields in memory; ``disputes.services`` is the one
place that calls them, under a row lock, and saves, records the event and schedules side
effects.
"""

import uuid
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
from notifications.models import Delivery
from shishi_mediation.validators import (
    content_matches_extension,
    content_type_of,
    validate_id_number,
    validate_phone,
)

from .colours import Colour
from .radar_keys import radar_keys
from .stages import (
    CLOCK,
    CLOCKS,
    DUTIES,
    DUTY,
    STAGE_CHOICES,
    DutyKind,
    Stage,
    clocks_in,
    escalation_fire_at,
    next_due_whens,
    state_q,
)

# --- SLA policy: each clock's time limit ------------------------------------------------

# The policy's limits in minutes: each clock's, and each duty's that has its own.
POLICY_LIMIT_FIELDS = (
    *(c.limit_field for c in CLOCKS),
    *(d.policy_field for d in DUTIES if d.owns_policy_field),
)


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
                condition=Q(**{f"{name}__gt": 0 for name in POLICY_LIMIT_FIELDS}),
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

    def duty_limit(self, duty: str) -> timedelta | None:
        """A duty's limit under this policy (``stages.DutyClock``); None for one whose
        due time its starter gives."""
        clock = DUTY[duty]
        if clock.policy_field:
            return timedelta(minutes=getattr(self, clock.policy_field))
        return timedelta(minutes=clock.minutes) if clock.minutes else None


for _clock in CLOCKS:
    SlaPolicy.add_to_class(
        _clock.limit_field,
        models.PositiveIntegerField(_clock.limit_label, default=_clock.minutes),
    )
# A duty with a limit of its own (``stages.DutyClock.limit_label``).
for _duty in DUTIES:
    if _duty.owns_policy_field:
        SlaPolicy.add_to_class(
            _duty.policy_field,
            models.PositiveIntegerField(_duty.limit_label, default=_duty.minutes),
        )


class State(models.TextChoices):
    REPORTED = "reported", _("待派单")
    DISPATCHED = "dispatched", _("待签收")
    SIGNED = "signed", _("已签收")
    CONTACTED = "contacted", _("已联系")
    MET = "met", _("已调解")
    # The closing is proposed; the parties, the reporter and the center confirm it
    # (结单确认, ``ClosingProposal``).
    CONFIRMING = "confirming", _("待确认结单")
    CLOSED = "closed", _("已结单")
    CANCELLED = "cancelled", _("已撤销")
    # A duplicate marked by the center and merged into the order it repeats
    # (``Order.merged_into``, ``services.order_merge``): ended, counted by no report.
    MERGED = "merged", _("已合并")


OPEN_STATES = (
    State.REPORTED,
    State.DISPATCHED,
    State.SIGNED,
    State.CONTACTED,
    State.MET,
    State.CONFIRMING,
)
HANDLING_STATES = (State.SIGNED, State.CONTACTED, State.MET, State.CONFIRMING)


class Source(models.TextChoices):
    PATROL = "patrol", _("走访巡查")
    POLICE_INCIDENT = "police_incident", _("警情")
    HOTLINE = "hotline", _("热线")
    WALK_IN = "walk_in", _("来访")
    REFERRAL = "referral", _("转办")


# The sources a person reporting may choose: 警情 orders come only from the incident
# intake (``disputes.incidents``), which also routes them.
REPORTER_SOURCES = [(v, label) for v, label in Source.choices if v != Source.POLICE_INCIDENT]


class LocationSource(models.TextChoices):
    """How an order's point was taken (the map, docs/MAP.md)."""

    GPS = "gps", _("手机定位")
    PICKED = "picked", _("地图选点")


class Outcome(models.TextChoices):
    MEDIATED = "mediated", _("调解成功")
    PARTLY_MEDIATED = "partly_mediated", _("部分调解")
    FAILED = "failed", _("调解不成")
    WITHDRAWN = "withdrawn", _("当事人撤回")


class Referral(models.TextChoices):
    """Where a case is taken after mediation (移交途径); each one is followed up
    (移交跟踪, ``disputes.referrals``). 司法确认 takes a mediated agreement to the court
    to confirm it, so it goes with a mediated or partly mediated outcome; the others with
    a failed or withdrawn one."""

    COURT = "court", _("诉讼")
    ARBITRATION = "arbitration", _("仲裁")
    PETITION = "petition", _("信访")
    COURT_MEDIATION = "court_mediation", _("诉调对接")
    JUDICIAL_CONFIRMATION = "judicial_confirmation", _("司法确认")


class ReferralOutcome(models.TextChoices):
    """What the receiving body made of a referral (移交结果). 立案/受理 is interim: the
    follow-up goes on until a final one."""

    ACCEPTED = "accepted", _("已立案/受理")
    JUDGED = "judged", _("已判决/裁决")
    MEDIATED = "mediated", _("已调解")
    CONFIRMED = "confirmed", _("司法确认有效")
    NOT_CONFIRMED = "not_confirmed", _("不予确认")
    REJECTED = "rejected", _("不予受理")
    WITHDRAWN = "withdrawn", _("撤诉/撤回")
    CONCLUDED = "concluded", _("已办结")
    OTHER = "other", _("其他")


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
    # Where the dispute is (the map): a WGS-84 point, optional, taken at reporting from
    # the phone's position (with consent) or picked on the form's map. Both or neither,
    # in range, with how it was taken (the constraints below; docs/MAP.md).
    latitude = models.DecimalField(
        _("纬度"), max_digits=9, decimal_places=6, null=True, blank=True, editable=False
    )
    longitude = models.DecimalField(
        _("经度"), max_digits=9, decimal_places=6, null=True, blank=True, editable=False
    )
    location_source = models.CharField(
        _("位置来源"), max_length=8, choices=LocationSource.choices, blank=True, editable=False
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
    referral = models.CharField(_("移交途径"), max_length=24, choices=Referral.choices, blank=True)
    agreement_summary = models.TextField(_("协议摘要"), blank=True)
    grade = models.CharField(_("案件等级"), max_length=16, choices=Grade.choices, blank=True)
    # 以案定补 pays confirmed grades only: the closer proposes ``grade`` (kept here as
    # proposed), the street center confirms or changes it (``services.order_grade_review``).
    proposed_grade = models.CharField(
        _("拟定等级"), max_length=16, choices=Grade.choices, blank=True, editable=False
    )
    grade_confirmed_at = models.DateTimeField(
        _("等级审核时间"), null=True, blank=True, editable=False
    )
    grade_confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("等级审核人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )
    cancel_reason = models.TextField(_("撤销原因"), blank=True)
    # Settled on the spot by its reporter (就地化解): reported and closed in one step,
    # never dispatched, no clocks (``services.order_settle_on_the_spot``).
    on_the_spot = models.BooleanField(_("就地化解"), default=False, editable=False)
    # Dispatched after ``FINAL_ASSIGNMENT_AFTER_RETURNS`` returns to the queue (终审派单):
    # the lead unit may no longer ask to return it, only for assistance
    # (``services.order_return_request``). Set by ``dispatch``/``reassign``.
    final_assignment = models.BooleanField(_("终审派单"), default=False, editable=False)
    # The lead unit's return request awaits the center's review (``ReturnRequest``): the
    # buttons read it without a query.
    return_pending = models.BooleanField(_("退单待审核"), default=False, editable=False)
    # A dispute reopened after an unsatisfied return visit (重新调解) is a new order that
    # names the closed one it continues (``services.order_record_return_visit``).
    reopened_from = models.ForeignKey(
        "self",
        verbose_name=_("原订单"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reopened_as",
        editable=False,
        db_index=False,  # the partial index ``order_reopened_from`` (migration 0032)
    )
    # A duplicate merged into the order it repeats (重复报单合并, ``services.order_merge``):
    # set exactly when the state is ``merged`` (the check ``order_merged_into_iff_merged``),
    # never the order itself; the kept one is never a merged order when it is chosen, so
    # the links form no cycle.
    merged_into = models.ForeignKey(
        "self",
        verbose_name=_("合并至"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="merged_duplicates",
        editable=False,
        db_index=False,  # the partial index ``order_merged_into`` (its own migration)
    )
    merged_at = models.DateTimeField(_("合并时间"), null=True, blank=True, editable=False)
    merge_reason = models.TextField(_("合并原因"), blank=True, editable=False)
    # The repeat-dispute radar (``disputes.radar``): the address's keyed hash, and whether
    # the radar found earlier orders or incidents when the order was reported (重复纠纷),
    # with its reasons ("phone,id_number,address,name").
    address_key = models.CharField(max_length=32, blank=True, default="", editable=False)
    is_repeat = models.BooleanField(_("重复纠纷"), default=False, editable=False)
    repeat_reasons = models.CharField(max_length=64, blank=True, default="", editable=False)

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
            # The orders reopened from one (its page's link), and the report's reopened.
            models.Index(
                fields=["reopened_from"],
                condition=Q(reopened_from__isnull=False),
                name="order_reopened_from",
            ),
            # The radar's address lookup (disputes/radar.py).
            models.Index(
                fields=["address_key", "reported_at"],
                condition=~Q(address_key=""),
                name="order_radar_address",
            ),
            # The duplicates merged into an order (its page, its API detail).
            models.Index(
                fields=["merged_into"],
                condition=Q(merged_into__isnull=False),
                name="order_merged_into",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(state="merged", merged_into__isnull=False, merged_at__isnull=False)
                    & ~Q(merged_into=F("pk"))
                )
                | (~Q(state="merged") & Q(merged_into__isnull=True)),
                name="order_merged_into_iff_merged",
            ),
            # The map's point (docs/MAP.md): WGS-84 degrees, both or neither, with its source.
            models.CheckConstraint(
                name="order_location_in_range",
                condition=Q(latitude__isnull=True, longitude__isnull=True, location_source="")
                | Q(
                    # NULL would pass a CHECK: the point is either whole or absent.
                    latitude__isnull=False,
                    longitude__isnull=False,
                    latitude__gte=-90,
                    latitude__lte=90,
                    longitude__gte=-180,
                    longitude__lte=180,
                    location_source__in=["gps", "picked"],
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    def save(self, *args, **kwargs):
        kwargs["update_fields"] = radar_keys(self, kwargs.get("update_fields"))
        super().save(*args, **kwargs)

    @property
    def repeat_reason_list(self) -> list[str]:
        return [r for r in self.repeat_reasons.split(",") if r]

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES

    # --- transitions: guard and set fields only; services save and record ---------
    @transition(field=state, source=State.REPORTED, target=State.DISPATCHED)
    def dispatch(
        self,
        *,
        lead_unit: Unit,
        assignee,
        at: datetime,
        limits: dict[str, timedelta],
        final: bool = False,
    ):
        self.lead_unit = lead_unit
        self.assignee = assignee
        self.final_assignment = final
        self._reach("dispatched_at", at, limits)

    @transition(field=state, source=State.DISPATCHED, target=State.DISPATCHED)
    def reassign(
        self,
        *,
        lead_unit: Unit,
        assignee,
        at: datetime,
        limits: dict[str, timedelta],
        final: bool = False,
    ):
        self.lead_unit = lead_unit
        self.assignee = assignee
        self.final_assignment = final
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
        self.final_assignment = False  # the next dispatch decides again
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

    @transition(field=state, source=State.MET, target=State.CONFIRMING)
    def propose_close(self) -> None:
        """The handler proposes the closing (``ClosingProposal``): the parties, the
        reporter and the center confirm it; it closes when all have."""

    @transition(field=state, source=State.CONFIRMING, target=State.MET)
    def back_to_mediation(self) -> None:
        """A party refused the proposed closing, or the handler withdrew it: mediation
        goes on and a new closing may be proposed."""

    @transition(field=state, source=State.CONFIRMING, target=State.CLOSED)
    def close(self, *, at: datetime, outcome: str, summary: str, grade: str, referral: str):
        self.closed_at = at
        self.outcome, self.agreement_summary = outcome, summary
        self.grade, self.referral = grade, referral
        self.proposed_grade = grade
        self._disarm(*Stage.values)

    @transition(
        field=state,
        source=State.REPORTED,
        target=State.CLOSED,
        conditions=[lambda o: o.on_the_spot and o.closed_at is None],
    )
    def settle_on_the_spot(self, *, at: datetime, summary: str) -> None:
        """Its reporter settled it on the spot (就地化解): closed as mediated at once, a
        simple case (简易: a minor dispute settled where it arose). Only an order made
        by ``services.order_settle_on_the_spot`` may."""
        self.closed_at = at
        self.outcome, self.agreement_summary = Outcome.MEDIATED, summary
        self.grade = self.proposed_grade = Grade.SIMPLE
        self._disarm(*Stage.values)

    @transition(field=state, source=list(OPEN_STATES), target=State.CANCELLED)
    def cancel(self, *, at: datetime, reason: str):
        self.cancelled_at = at
        self.cancel_reason = reason
        self._disarm(*Stage.values)

    @transition(field=state, source=list(OPEN_STATES), target=State.MERGED)
    def merge(self, *, into: "Order", at: datetime, reason: str) -> None:
        """A duplicate (重复报单) merged into the order it repeats: it ends here, every
        clock stopped; ``services.order_merge`` picks and locks ``into``."""
        self.merged_into = into
        self.merged_at = at
        self.merge_reason = reason
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

    def _shift(self, clock, delta: timedelta) -> None:
        """Move a running clock's due time by ``delta`` (later for a pause approved,
        earlier for the unused part of one ended early) and re-arm its alarm for the new
        due time; escalations raised for the old one are resolved by the service
        (``sweep.resolve_escalations``). Its limit stays: warnings keep their lead time."""
        due = getattr(self, clock.due_field) + delta
        setattr(self, clock.due_field, due)
        self._arm(clock.name)
        self.clock_record[clock.due_field] = due

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
    stage = models.CharField(_("环节"), max_length=16, choices=STAGE_CHOICES)
    # The duty (``Duty``) whose clock this is; 0 for the order's own clock of ``stage``.
    duty = models.PositiveBigIntegerField(_("职责"), default=0, db_default=0)
    level = models.PositiveSmallIntegerField(_("级别"), choices=EscalationLevel.choices)
    fire_at = models.DateTimeField(_("触发时间"))

    class Meta:
        db_table = "dispatch_alarm"
        verbose_name = _("督办计时")
        verbose_name_plural = _("督办计时")
        constraints = [
            models.UniqueConstraint(fields=["order", "stage", "duty"], name="alarm_one_per_clock"),
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
            duty=OuterRef("duty"),
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
    stage = models.CharField(_("环节"), max_length=16, choices=STAGE_CHOICES)
    # The duty (``Duty``) whose clock escalated; 0 for the order's own clock of ``stage``.
    duty = models.PositiveBigIntegerField(_("职责"), default=0, db_default=0)
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
                fields=["order", "stage", "duty", "level", "stage_due_at"],
                name="escalation_once",
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


class DutyQuerySet(models.QuerySet):
    def running(self) -> "DutyQuerySet":
        return self.filter(met_at__isnull=True, ended_at__isnull=True)


class Duty(models.Model):
    """A clock one unit owes on an order beside the order's own (``stages.DUTIES``): an
    assisting unit's signing or opinion, the center's review of a return, the lead
    unit's reply to a 督办. Started, met and ended only by ``disputes.duties``, inside
    the order's transition; its alarm and escalations are ``Alarm``/``Escalation`` rows
    with ``duty`` set to its id.

    A duty is met (``met_at``, ``on_time``) or ended unmet (``ended_at``: the order went
    back to the queue, closed or was cancelled, the assisting unit was withdrawn). One
    ended unmet after its due time counts as overdue in the report."""

    order = models.ForeignKey(
        Order, verbose_name=_("订单"), on_delete=models.CASCADE, related_name="duties"
    )
    kind = models.CharField(_("职责"), max_length=16, choices=DutyKind.choices)
    unit = models.ForeignKey(
        Unit, verbose_name=_("承担单位"), on_delete=models.PROTECT, related_name="duties"
    )
    started_at = models.DateTimeField(_("开始时间"))
    limit = models.DurationField(_("时限"))
    due_at = models.DateTimeField(_("截止时间"))
    met_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    on_time = models.BooleanField(_("按时"), null=True, blank=True)
    ended_at = models.DateTimeField(_("终止时间"), null=True, blank=True)

    objects = DutyQuerySet.as_manager()

    class Meta:
        verbose_name = _("职责计时")
        verbose_name_plural = _("职责计时")
        ordering = ["order", "started_at", "id"]
        indexes = [
            models.Index(fields=["order", "kind"]),
            # The report's months (by due time) per unit.
            models.Index(fields=["due_at", "unit"], name="duty_due_unit"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(met_at__isnull=True) | Q(ended_at__isnull=True),
                name="duty_met_or_ended",
            ),
            models.CheckConstraint(
                condition=Q(met_at__isnull=True, on_time__isnull=True)
                | Q(met_at__isnull=False, on_time__isnull=False),
                name="duty_on_time_when_met",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.order_id} {self.get_kind_display()} {self.unit_id}"

    @property
    def is_running(self) -> bool:
        return self.met_at is None and self.ended_at is None


class Assistance(models.Model):
    """An assisting unit's part in an order (协办): sent with the dispatch (or added
    later by the center), it signs for its part (the ``assist_sign`` duty, within the
    signing limit) and files its opinion (协办意见, the ``assist_opinion`` duty, due at
    the order's meeting deadline once both it and the lead unit have signed). Withdrawn
    (``ended_at``) when a reassignment drops the unit or the order goes back to the
    queue. ``Order.assisting_units`` lists the units of the running ones."""

    order = models.ForeignKey(
        Order, verbose_name=_("订单"), on_delete=models.CASCADE, related_name="assistances"
    )
    unit = models.ForeignKey(
        Unit, verbose_name=_("协办单位"), on_delete=models.PROTECT, related_name="assistances"
    )
    started_at = models.DateTimeField(_("派出时间"))
    sign_duty = models.OneToOneField(
        Duty, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    signed_at = models.DateTimeField(_("协办签收时间"), null=True, blank=True)
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("协办签收人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    opinion_duty = models.OneToOneField(
        Duty, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    opinion = models.TextField(_("协办意见"), blank=True)
    opinion_at = models.DateTimeField(_("意见提交时间"), null=True, blank=True)
    opinion_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("意见提交人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    ended_at = models.DateTimeField(_("撤回时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("协办")
        verbose_name_plural = _("协办")
        ordering = ["order", "started_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["order", "unit"],
                condition=Q(ended_at__isnull=True),
                name="assistance_one_running_per_unit",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.order_id} {self.unit_id}"


class ReturnRequest(models.Model):
    """The lead unit asks to give an order back (申请退单); the street's center approves
    it (the order goes back to the queue) or rejects it with a reason, within the review
    duty (``duty``, ``stages.DUTY["review"]``). Written only by ``disputes.services``.

    Pending until decided (``decided_at``, ``approved``) or closed undecided
    (``closed_at``: the order moved on, closed, was cancelled or changed unit); at most
    one pending per order."""

    order = models.ForeignKey(
        Order, verbose_name=_("订单"), on_delete=models.CASCADE, related_name="return_requests"
    )
    unit = models.ForeignKey(
        Unit, verbose_name=_("申请单位"), on_delete=models.PROTECT, related_name="return_requests"
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("申请人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    requested_at = models.DateTimeField(_("申请时间"))
    reason = models.TextField(_("退单原因"))
    duty = models.ForeignKey(
        Duty,
        verbose_name=_("审核计时"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("审核人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    approved = models.BooleanField(_("批准"), null=True, blank=True)
    decision_note = models.TextField(_("审核意见"), blank=True)
    closed_at = models.DateTimeField(_("关闭时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("退单申请")
        verbose_name_plural = _("退单申请")
        ordering = ["order", "requested_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["order"],
                condition=Q(decided_at__isnull=True, closed_at__isnull=True),
                name="return_request_one_pending",
                violation_error_message=_("此订单已有待审核的退单申请。"),
            ),
            models.CheckConstraint(
                condition=Q(decided_at__isnull=True, approved__isnull=True)
                | Q(decided_at__isnull=False, approved__isnull=False),
                name="return_request_decided",
            ),
        ]
        indexes = [
            # The report's months per unit: requests by when asked, decisions by when made.
            models.Index(fields=["requested_at", "unit"], name="return_request_asked"),
            models.Index(fields=["decided_at", "unit"], name="return_request_decided"),
        ]

    def __str__(self) -> str:
        return f"{self.order_id} {self.unit_id} {self.requested_at:%Y-%m-%d %H:%M}"

    @property
    def is_pending(self) -> bool:
        return self.decided_at is None and self.closed_at is None


# The longest reply deadline a 督办 may set (``services.order_direct``).
DIRECTIVE_MAX_DAYS = 30


class ReferralResult(models.Model):
    """One result of a referral (移交跟踪), recorded by the lead unit on its closed,
    referred order (``services.order_record_referral_result``): which body received it,
    its case number, what came of it and when. The first result meets the ``referral``
    duty; an interim one (立案/受理) may be followed by more until a final one, after
    which the follow-up is done (``disputes.referrals``)."""

    order = models.ForeignKey(
        Order, verbose_name=_("订单"), on_delete=models.CASCADE, related_name="referral_results"
    )
    body = models.CharField(_("接收机关"), max_length=120)
    case_number = models.CharField(_("案号"), max_length=64, blank=True)
    outcome = models.CharField(_("移交结果"), max_length=16, choices=ReferralOutcome.choices)
    decided_on = models.DateField(_("结果日期"))
    note = models.TextField(_("说明"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("记录人"),
        on_delete=models.PROTECT,
        related_name="referral_results",
    )
    recorded_at = models.DateTimeField(_("记录时间"))

    class Meta:
        verbose_name = _("移交结果")
        verbose_name_plural = _("移交结果")
        ordering = ["order", "recorded_at", "id"]

    def __str__(self) -> str:
        return f"{self.order_id} {self.get_outcome_display()} {self.decided_on}"

    @property
    def is_final(self) -> bool:
        return self.outcome != ReferralOutcome.ACCEPTED


class Directive(models.Model):
    """A 督办: a supervisor or the street center's head presses the lead unit of an open
    order with a demand and a reply deadline (``services.order_direct``); the lead unit's
    head answers (督办回复, ``services.order_direct_reply``). The reply is owed as a
    ``Duty`` of kind ``reply`` (``stages.DUTIES``), which the sweep escalates like any
    clock. Several may exist on one order, one awaiting its reply at a time (checked
    under the order's row lock).

    When the lead unit changes (退单, 改派) or the order closes, the duty ends and the
    directive stays unreplied: it was owed by the unit at issue (``unit``)."""

    order = models.ForeignKey(
        Order, verbose_name=_("订单"), on_delete=models.CASCADE, related_name="directives"
    )
    unit = models.ForeignKey(
        Unit, verbose_name=_("被督办单位"), on_delete=models.PROTECT, related_name="directives"
    )
    duty = models.OneToOneField(
        "Duty", verbose_name=_("回复计时"), on_delete=models.PROTECT, related_name="directive"
    )
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("督办人"),
        on_delete=models.PROTECT,
        related_name="directives_issued",
    )
    issued_at = models.DateTimeField(_("督办时间"))
    demand = models.TextField(_("督办要求"))
    reply_due_at = models.DateTimeField(_("回复期限"))
    replied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("回复人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="directives_replied",
    )
    replied_at = models.DateTimeField(_("回复时间"), null=True, blank=True)
    reply = models.TextField(_("回复内容"), blank=True)

    class Meta:
        verbose_name = _("督办")
        verbose_name_plural = _("督办")
        ordering = ["order", "issued_at", "id"]
        indexes = [
            # The report's months (by issue time) per unit.
            models.Index(fields=["issued_at", "unit"], name="directive_issued_unit"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(reply_due_at__gt=F("issued_at")), name="directive_due_after_issue"
            ),
            models.CheckConstraint(
                condition=Q(replied_at__isnull=True, replied_by__isnull=True)
                | Q(replied_at__isnull=False, replied_by__isnull=False),
                name="directive_replied_with_replier",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.order_id} {self.unit_id} {self.issued_at:%Y-%m-%d %H:%M}"

    @property
    def is_replied(self) -> bool:
        return self.replied_at is not None

    @property
    def on_time(self) -> bool | None:
        """Replied by the deadline (None while unreplied)."""
        return None if self.replied_at is None else self.replied_at <= self.reply_due_at

    @property
    def is_awaiting_reply(self) -> bool:
        """Its reply is still owed: not replied, and its duty has not ended (the lead unit
        did not change, the order is open)."""
        return self.replied_at is None and self.duty.is_running


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
    # The repeat-dispute radar's keyed hashes of the phone and ID number (disputes/radar.py).
    phone_key = models.CharField(max_length=32, blank=True, default="", editable=False)
    id_key = models.CharField(max_length=32, blank=True, default="", editable=False)

    class Meta:
        verbose_name = _("当事人")
        verbose_name_plural = _("当事人")
        ordering = ["order", "id"]
        # The search by phone (``OrderFilter.filter_search``); built by migration 0009.
        indexes = [
            models.Index(fields=["phone"], name="party_phone"),
            # The radar's lookups: index-only scans giving the orders.
            models.Index(
                fields=["phone_key", "order"],
                condition=~Q(phone_key=""),
                name="party_radar_phone",
            ),
            models.Index(
                fields=["id_key", "order"], condition=~Q(id_key=""), name="party_radar_id"
            ),
            models.Index(fields=["name", "order"], name="party_radar_name"),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        kwargs["update_fields"] = radar_keys(self, kwargs.get("update_fields"))
        super().save(*args, **kwargs)

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
    # 重复报单合并: the duplicate's event (it ends) and the kept order's (no state change).
    MERGED = "merged", _("被合并")
    MERGED_IN = "merged_in", _("合并")
    NOTE = "note", _("备注")
    ATTACHMENT = "attachment", _("上传附件")
    ESCALATED = "escalated", _("临期预警或超时督办")
    REVIEWED = "reviewed", _("群众评价")
    RETURN_VISIT = "return_visit", _("回访")
    ASSIST_ADDED = "assist_added", _("增派协办")
    ASSIST_SIGNED = "assist_signed", _("协办签收")
    ASSIST_OPINION = "assist_opinion", _("协办意见")
    # Pausing a clock (``ClockPause``): asked, approved (the due time moves later),
    # rejected, ended early (the unused time given back).
    PAUSE_REQUESTED = "pause_requested", _("申请暂停计时")
    PAUSED = "paused", _("暂停计时")
    PAUSE_REJECTED = "pause_rejected", _("驳回暂停")
    RESUMED = "resumed", _("恢复计时")
    # A return asked for by the lead unit and refused by the center; approved, it is a
    # RETURNED event (``ReturnRequest``).
    RETURN_REQUESTED = "return_requested", _("申请退单")
    RETURN_REJECTED = "return_rejected", _("驳回退单")
    ASSISTANCE_ASKED = "assistance_asked", _("申请协办")
    DIRECTED = "directed", _("督办")
    DIRECT_REPLIED = "direct_replied", _("督办回复")
    RECOLOURED = "recoloured", _("改色")
    GRADE_REVIEWED = "grade_reviewed", _("等级审核")
    LEADER_REVIEWED = "leader_reviewed", _("包案审核")
    # The joint closing (``ClosingProposal``): proposed, each party's answer, the
    # sign-offs, withdrawn; the closing itself is CLOSED.
    CLOSING_PROPOSED = "close_proposed", _("提交结单")
    PARTY_CONFIRMED = "party_confirmed", _("当事人确认结单")
    PARTY_REFUSED = "party_refused", _("当事人拒绝结单")
    CLOSING_SIGNED = "closing_signed", _("签字确认结单")
    CLOSING_WITHDRAWN = "close_withdrawn", _("撤回结单")
    REFERRAL_RESULT = "referral_result", _("移交结果")
    # The incident desk: an order pushed from a police incident, or an incident linked
    # to an order already there (``disputes.desk``).
    INCIDENT_LINKED = "incident_linked", _("关联警情")
    # The mediation alliance (``Invitation``): the center invites a social-force unit or
    # one of its volunteers to assist, and withdraws it; the lead unit lets the invitee
    # see the parties' phones, and takes it back.
    INVITED = "invited", _("邀请协助")
    INVITE_WITHDRAWN = "invite_withdrawn", _("撤回邀请")
    CONTACT_GRANTED = "contact_granted", _("授权查看联系方式")
    CONTACT_REVOKED = "contact_revoked", _("收回联系方式")


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


class ClosingProposal(models.Model):
    """A proposed closing (结单确认): the outcome, and for a mediated case the agreement
    (人民调解协议书: the facts, the terms, how and by when they are performed), which
    every party confirms through its own link or in person, then the reporter and the
    street center sign off. The order closes when all are in; past the ``closing`` duty's
    limit the center may close it with a reason; a party's refusal (or the handler's
    withdrawal) sends it back to mediation. Services in ``disputes.closing``."""

    class Status(models.TextChoices):
        PENDING = "pending", _("待确认")
        CLOSED = "closed", _("已结单")
        REFUSED = "refused", _("当事人拒绝")
        WITHDRAWN = "withdrawn", _("已撤回")

    order = models.ForeignKey(
        Order, verbose_name=_("订单"), on_delete=models.CASCADE, related_name="closings"
    )
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("提交人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    proposed_at = models.DateTimeField(_("提交时间"))
    outcome = models.CharField(_("结果"), max_length=20, choices=Outcome.choices)
    summary = models.TextField(_("协议摘要"))
    grade = models.CharField(_("拟定等级"), max_length=16, choices=Grade.choices, blank=True)
    referral = models.CharField(_("移交途径"), max_length=24, choices=Referral.choices, blank=True)
    # The agreement (人民调解协议书), for a mediated or partly mediated outcome.
    facts = models.TextField(_("纠纷事实"), blank=True)
    terms = models.TextField(_("协议内容"), blank=True)
    performance = models.TextField(_("履行方式"), blank=True)
    perform_by = models.DateField(_("履行期限"), null=True, blank=True)
    # The reporter signs off unless the command system reported it (a 警情: its result
    # goes back to 110 instead).
    reporter_needed = models.BooleanField(_("须报单人确认"), default=True)
    reporter_signed_at = models.DateTimeField(_("报单人确认时间"), null=True, blank=True)
    reporter_signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("报单人确认"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    center_signed_at = models.DateTimeField(_("中心确认时间"), null=True, blank=True)
    center_signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("中心确认人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    status = models.CharField(
        _("状态"), max_length=12, choices=Status.choices, default=Status.PENDING
    )
    ended_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    # Why it ended without every confirmation: the refusal, the withdrawal, or the
    # center's reason for closing past the limit (逾期结单).
    end_reason = models.TextField(_("说明"), blank=True)
    forced = models.BooleanField(_("逾期结单"), default=False)

    class Meta:
        verbose_name = _("结单确认")
        verbose_name_plural = _("结单确认")
        ordering = ["order", "proposed_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["order"],
                condition=Q(status="pending"),
                name="closing_one_pending",
            )
        ]

    def __str__(self) -> str:
        return f"{self.order_id} {self.get_status_display()}"

    @property
    def has_agreement(self) -> bool:
        return self.outcome in (Outcome.MEDIATED, Outcome.PARTLY_MEDIATED)

    @property
    def is_pending(self) -> bool:
        return self.status == self.Status.PENDING


class PartyConfirmation(models.Model):
    """One party's answer to a proposed closing, through its own link (no login, like
    the review link; its code texted where the party agreed to SMS) or recorded in
    person by the handler with a photo of the signed agreement."""

    class Answer(models.TextChoices):
        CONFIRMED = "confirmed", _("确认")
        REFUSED = "refused", _("拒绝")

    class How(models.TextChoices):
        LINK = "link", _("本人通过链接")
        IN_PERSON = "in_person", _("当面签字")

    proposal = models.ForeignKey(
        ClosingProposal,
        verbose_name=_("结单确认"),
        on_delete=models.CASCADE,
        related_name="confirmations",
    )
    party = models.ForeignKey(
        Party, verbose_name=_("当事人"), on_delete=models.CASCADE, related_name="confirmations"
    )
    token = models.CharField(max_length=64, unique=True, editable=False)
    sms_code = models.CharField(max_length=16, unique=True, null=True, blank=True, editable=False)
    answer = models.CharField(_("答复"), max_length=12, choices=Answer.choices, blank=True)
    answered_at = models.DateTimeField(_("答复时间"), null=True, blank=True)
    how = models.CharField(_("确认方式"), max_length=12, choices=How.choices, blank=True)
    reason = models.TextField(_("拒绝理由"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("记录人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    photo = models.ForeignKey(
        "Attachment",
        verbose_name=_("签字协议照片"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("当事人确认")
        verbose_name_plural = _("当事人确认")
        ordering = ["proposal", "party_id"]
        constraints = [
            models.UniqueConstraint(fields=["proposal", "party"], name="confirmation_one_per_party")
        ]

    def __str__(self) -> str:
        return f"{self.proposal_id} {self.party_id} {self.answer or '-'}"


class ReturnVisit(models.Model):
    """A police return visit (回访) after closing: whether the parties are satisfied and
    whether the agreement is being kept. It meets the earliest visit due
    (``ScheduledVisit``); an unsatisfied one leads to a second visit or reopens the
    dispute as a new order (``follow_up``)."""

    class AgreementKept(models.TextChoices):
        YES = "yes", _("正在履行")
        PARTLY = "partly", _("部分履行")
        NO = "no", _("未履行")

    class FollowUp(models.TextChoices):
        SECOND_VISIT = "second_visit", _("二次回访")
        REOPEN = "reopen", _("重新调解")

    order = models.ForeignKey(
        Order, verbose_name=_("订单"), on_delete=models.CASCADE, related_name="return_visits"
    )
    visited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("回访人"), on_delete=models.PROTECT
    )
    visited_at = models.DateTimeField(_("回访时间"))
    satisfied = models.BooleanField(_("当事人满意"), null=True)
    note = models.TextField(_("回访情况"), blank=True)
    # Blank: no agreement to keep (a failed or withdrawn case), or not asked.
    agreement_kept = models.CharField(
        _("协议履行情况"), max_length=8, choices=AgreementKept.choices, blank=True
    )
    # What an unsatisfied visit led to; blank for a satisfied one.
    follow_up = models.CharField(_("后续处理"), max_length=16, choices=FollowUp.choices, blank=True)

    class Meta:
        verbose_name = _("回访")
        verbose_name_plural = _("回访")
        ordering = ["order", "visited_at"]
        indexes = [models.Index(fields=["visited_at"])]

    def __str__(self) -> str:
        return f"{self.order_id} {self.visited_at:%Y-%m-%d}"


class ScheduledVisit(models.Model):
    """A return visit that falls due (回访计划): its ``visit`` duty (``stages.DUTIES``),
    owed by the unit that handled the order, started at closing (``visits``) or, for a
    second visit (二次回访), by an unsatisfied visit or a bad review. Met by the visit
    recorded while it is the earliest running one (``visit``)."""

    class Cause(models.TextChoices):
        CLOSING = "closing", _("结单")
        UNSATISFIED = "unsatisfied", _("回访不满意")
        BAD_REVIEW = "bad_review", _("差评")

    order = models.ForeignKey(
        Order, verbose_name=_("订单"), on_delete=models.CASCADE, related_name="scheduled_visits"
    )
    duty = models.OneToOneField(
        Duty, verbose_name=_("职责计时"), on_delete=models.CASCADE, related_name="scheduled_visit"
    )
    cause = models.CharField(_("起因"), max_length=16, choices=Cause.choices)
    second = models.BooleanField(_("二次回访"), default=False)
    visit = models.ForeignKey(
        ReturnVisit,
        verbose_name=_("回访记录"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="scheduled",
    )

    class Meta:
        verbose_name = _("回访计划")
        verbose_name_plural = _("回访计划")
        ordering = ["order", "duty__due_at", "id"]

    def __str__(self) -> str:
        return f"{self.order_id} {self.cause} {self.duty_id}"


class ClockPause(models.Model):
    """A pause of one running clock of an order (暂停计时): the handler asks, with a reason
    and a bounded time; the street's center approves or rejects. Approval moves the
    clock's due time later by the time asked at once (so the sweep, the lists and the
    reports need nothing else); ending it early gives the unused minutes back; the clock
    being met (or stopped) while paused ends it there. Services in
    ``disputes.services`` (``order_pause`` …), the bookkeeping in ``disputes.pauses``."""

    class Reason(models.TextChoices):
        HOSPITAL = "hospital", _("当事人住院")
        AWAY = "away", _("当事人外出")
        APPRAISAL = "appraisal", _("等待鉴定")
        COURT = "court", _("等待法院/仲裁")
        OTHER = "other", _("其他")

    class PauseState(models.TextChoices):
        REQUESTED = "requested", _("待审批")
        # Approved: paused from ``started_at`` until ``ends_at`` unless ``ended_at``.
        APPROVED = "approved", _("已批准")
        REJECTED = "rejected", _("已驳回")
        ENDED = "ended", _("已结束")
        # Asked for, but the clock stopped (met, returned, cancelled) before a decision.
        LAPSED = "lapsed", _("已失效")

    # Indexed as the leading column of ``clock_pause_one_open``.
    order = models.ForeignKey(
        Order,
        verbose_name=_("订单"),
        on_delete=models.CASCADE,
        related_name="pauses",
        db_index=False,
    )
    stage = models.CharField(_("环节"), max_length=8, choices=Stage.choices)
    # The lead unit that asked (the report counts its pauses, whatever happens later).
    unit = models.ForeignKey(
        Unit, verbose_name=_("责任单位"), on_delete=models.PROTECT, related_name="+"
    )
    reason = models.CharField(_("暂停原因"), max_length=16, choices=Reason.choices)
    note = models.TextField(_("说明"), blank=True)
    requested_minutes = models.PositiveIntegerField(_("申请暂停时长（分钟）"))
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("申请人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    requested_at = models.DateTimeField(_("申请时间"))
    state = models.CharField(
        _("状态"), max_length=16, choices=PauseState.choices, default=PauseState.REQUESTED
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("审批人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("审批时间"), null=True, blank=True)
    decision_note = models.TextField(_("审批意见"), blank=True)
    started_at = models.DateTimeField(_("暂停开始"), null=True, blank=True)
    ends_at = models.DateTimeField(_("暂停截止"), null=True, blank=True)
    ended_at = models.DateTimeField(_("实际结束"), null=True, blank=True)
    # The minutes the clock's due time stands moved by this pause: those asked when
    # approved, the minutes actually paused (a started minute counts) once ended early.
    paused_minutes = models.PositiveIntegerField(_("暂停时长（分钟）"), default=0)

    class Meta:
        verbose_name = _("暂停计时")
        verbose_name_plural = _("暂停计时")
        ordering = ["order", "requested_at", "id"]
        constraints = [
            # One pause asked for or approved (and not ended) per clock of an order.
            models.UniqueConstraint(
                fields=["order", "stage"],
                condition=Q(state__in=["requested", "approved"]),
                name="clock_pause_one_open",
            ),
            models.CheckConstraint(
                condition=Q(requested_minutes__gt=0), name="clock_pause_positive_minutes"
            ),
        ]
        indexes = [
            # The report's pauses of a month (``supervision.reports.pause_figures``).
            models.Index(fields=["started_at"], name="clock_pause_started"),
            models.Index(fields=["order", "requested_at"], name="clock_pause_order"),
        ]

    def __str__(self) -> str:
        return f"{self.order_id} {self.stage} {self.get_state_display()}"

    def is_running(self, now: datetime) -> bool:
        """Approved, not ended, and its time not yet up at ``now``."""
        return (
            self.state == self.PauseState.APPROVED
            and self.ended_at is None
            and self.ends_at is not None
            and self.ends_at > now
        )


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
    # The incident desk's non-police share (非警务类警情占比) counts the types that are
    # not police matters (docs/REPORTS.md). A new type counts as a police matter until
    # someone says otherwise, so the share never claims more than it knows.
    is_police_matter = models.BooleanField(
        _("警务类警情"),
        default=True,
        help_text=_("刑事、治安、火灾等属警务类；纠纷、群众求助、无效警情等不属警务类。"),
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
    # Who sent it to an order from the incident desk (``disputes.desk``) and how: pushed
    # (a new order) or linked (an order already there). Empty for the intake's own.
    linked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("推送人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    linked_at = models.DateTimeField(_("推送时间"), null=True, blank=True)
    link_kind = models.CharField(
        _("推送方式"),
        max_length=8,
        blank=True,
        choices=[("push", _("推送为新订单")), ("link", _("关联已有订单"))],
    )
    # The repeat-dispute radar's keyed hashes (disputes/radar.py).
    caller_phone_key = models.CharField(max_length=32, blank=True, default="", editable=False)
    address_key = models.CharField(max_length=32, blank=True, default="", editable=False)

    class Meta:
        verbose_name = _("警情")
        verbose_name_plural = _("警情")
        ordering = ["-received_at", "-id"]
        indexes = [
            models.Index(fields=["received_at"]),
            # The radar's lookups (disputes/radar.py).
            models.Index(
                fields=["caller_phone_key", "received_at"],
                condition=~Q(caller_phone_key=""),
                name="incident_radar_phone",
            ),
            models.Index(
                fields=["address_key", "received_at"],
                condition=~Q(address_key=""),
                name="incident_radar_address",
            ),
            models.Index(
                fields=["community", "caller_name", "received_at"],
                name="incident_radar_name",
            ),
        ]

    def __str__(self) -> str:
        return self.number

    def save(self, *args, **kwargs):
        kwargs["update_fields"] = radar_keys(self, kwargs.get("update_fields"))
        super().save(*args, **kwargs)


# --- results back to the command system (issue 17) ---------------------------------------------


class IncidentResultEvent(models.TextChoices):
    """What happened to the order born of an incident: signed by its unit, or ended
    (closed, cancelled, merged into another)."""

    SIGNED = "signed", _("已签收")
    ENDED = "ended", _("已结束")


class IncidentResultMessage(models.Model):
    """The outbox of results sent back to the command system (``disputes.results``): one
    row per incident and event, written in the transaction of the order's change, its
    body frozen then, so a retry resends the same id and the same bytes. Sent after
    commit and by the periodic sweep with the outbox's retries and backoff."""

    Status = Delivery.Status

    message_id = models.UUIDField(_("消息编号"), unique=True, default=uuid.uuid4, editable=False)
    incident = models.ForeignKey(
        Incident, verbose_name=_("警情"), on_delete=models.CASCADE, related_name="result_messages"
    )
    order = models.ForeignKey(
        Order, verbose_name=_("订单"), on_delete=models.CASCADE, related_name="+"
    )
    event = models.CharField(_("回传事件"), max_length=8, choices=IncidentResultEvent.choices)
    payload = models.JSONField(_("回传内容"))
    status = models.CharField(
        _("状态"), max_length=8, choices=Delivery.Status.choices, default=Delivery.Status.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("尝试次数"), default=0)
    created_at = models.DateTimeField(_("时间"))
    next_attempt_at = models.DateTimeField(_("下次尝试"))
    sent_at = models.DateTimeField(_("发送时间"), null=True, blank=True)
    last_error = models.TextField(_("最近错误"), blank=True)
    response_status = models.PositiveSmallIntegerField(_("对方应答码"), null=True, blank=True)

    class Meta:
        verbose_name = _("警情结果回传")
        verbose_name_plural = _("警情结果回传")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["incident", "event"], name="incident_result_once"),
        ]
        indexes = [
            models.Index(  # as notifications' ``delivery_pending_due``
                name="incident_result_pending_due",
                fields=["next_attempt_at", "id"],
                condition=Q(status="pending"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.incident_id} {self.event} {self.status}"


# --- the mediation alliance (社会力量大调解联盟): invitations to assist an order --------------


class Invitation(models.Model):
    """The street center invites a social-force unit (its volunteers) or one volunteer to
    assist an open order (邀请协助). While not withdrawn the invitee sees this order alone
    (``selectors.orders_visible_to``) and adds notes; the parties' phones stay masked
    unless the lead unit grants them (``contact_granted_at``, revocable). Written by
    ``services.order_invite`` and its siblings, each on the timeline."""

    order = models.ForeignKey(
        Order, verbose_name=_("订单"), on_delete=models.CASCADE, related_name="invitations"
    )
    unit = models.ForeignKey(
        Unit, verbose_name=_("联盟单位"), on_delete=models.PROTECT, related_name="invitations"
    )
    # A volunteer invited by name (of ``unit``); null when the unit as a whole is invited.
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("志愿者"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="invitations",
    )
    message = models.TextField(_("邀请说明"), blank=True)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("邀请人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    invited_at = models.DateTimeField(_("邀请时间"))
    withdrawn_at = models.DateTimeField(_("撤回时间"), null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("撤回人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    contact_granted_at = models.DateTimeField(_("授权联系方式时间"), null=True, blank=True)
    contact_granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("授权人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("协助邀请")
        verbose_name_plural = _("协助邀请")
        ordering = ["order", "invited_at", "id"]
        constraints = [
            # One running invitation per order and unit as a whole, and per volunteer: a
            # replayed invite is a 409, never a second row.
            models.UniqueConstraint(
                fields=["order", "unit"],
                condition=Q(withdrawn_at__isnull=True, member__isnull=True),
                name="invitation_one_open_per_unit",
            ),
            models.UniqueConstraint(
                fields=["order", "member"],
                condition=Q(withdrawn_at__isnull=True, member__isnull=False),
                name="invitation_one_open_per_member",
            ),
        ]
        indexes = [
            models.Index(
                name="invitation_open_member",
                fields=["member", "order"],
                condition=Q(withdrawn_at__isnull=True),
            ),
            models.Index(
                name="invitation_open_unit",
                fields=["unit", "order"],
                condition=Q(withdrawn_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.order_id} → {self.member or self.unit}"

    @property
    def is_open(self) -> bool:
        return self.withdrawn_at is None

    @property
    def contact_granted(self) -> bool:
        return self.contact_granted_at is not None
