"""Areas, units, routing, memberships and SLA policy: who covers what, and how fast."""

from datetime import datetime, timedelta

from django.conf import settings
from django.db import models
from django.db.models import Count, Exists, F, OuterRef, Q
from django.utils.translation import gettext_lazy as _


class Area(models.Model):
    """A node of the city → street/town → community tree."""

    class Level(models.TextChoices):
        CITY = "city", _("市")
        STREET = "street", _("街道/镇")
        COMMUNITY = "community", _("社区/村")

    name = models.CharField(_("名称"), max_length=64)
    code = models.CharField(
        _("代码"),
        max_length=16,
        help_text=_("街道的代码也是订单编号的前缀，例如 HB。"),
    )
    level = models.CharField(_("层级"), max_length=16, choices=Level.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("上级"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    # Materialised path ("SS/HB/ZK/"): "everything under X" is one indexed prefix match.
    path = models.CharField(max_length=255, unique=True, editable=False)

    class Meta:
        verbose_name = _("区域")
        verbose_name_plural = _("区域")
        ordering = ["path"]
        constraints = [
            models.UniqueConstraint(fields=["parent", "code"], name="area_code_unique_in_parent"),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        self.path = (self.parent.path if self.parent else "") + self.code + "/"
        super().save(*args, **kwargs)

    @property
    def street(self) -> "Area | None":
        """The street/town this area belongs to (itself for a street)."""
        if self.level == self.Level.STREET:
            return self
        if self.level == self.Level.COMMUNITY:
            return self.parent
        return None


class Category(models.Model):
    """A duty category of disputes (wages, neighbours, family, …)."""

    code = models.SlugField(_("代码"), max_length=32, unique=True)
    name = models.CharField(_("名称"), max_length=64)
    name_en = models.CharField(_("英文名称"), max_length=64, blank=True)
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("纠纷类别")
        verbose_name_plural = _("纠纷类别")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class Unit(models.Model):
    """An organisation that dispatches, handles, assists or supervises orders."""

    class Kind(models.TextChoices):
        STREET_CENTER = "street_center", _("街道多元调处中心")
        POLICE_STATION = "police_station", _("派出所")
        COMMUNITY_COMMITTEE = "community_committee", _("社区居委会")
        MEDIATION_COMMITTEE = "mediation_committee", _("人民调解委员会")
        DEPARTMENT = "department", _("政府职能部门")
        SOCIAL_FORCE = "social_force", _("社会力量")
        SUPERVISION = "supervision", _("督导考核")

    name = models.CharField(_("名称"), max_length=64, unique=True)
    kind = models.CharField(_("类型"), max_length=32, choices=Kind.choices)
    area = models.ForeignKey(
        Area,
        verbose_name=_("所在区域"),
        on_delete=models.PROTECT,
        related_name="units",
        help_text=_("调处中心为其街道；督导单位的管辖范围即此区域及其下级。"),
    )
    covered_areas = models.ManyToManyField(
        Area, verbose_name=_("责任区域"), blank=True, related_name="covering_units"
    )
    categories = models.ManyToManyField(
        Category, verbose_name=_("职责类别"), blank=True, related_name="units"
    )
    phone = models.CharField(_("电话"), max_length=32, blank=True)
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("单位")
        verbose_name_plural = _("单位")
        ordering = ["area__path", "name"]

    def __str__(self) -> str:
        return self.name


class RoutingRule(models.Model):
    """Maps (category, area) to a unit that fits; lower rank is suggested first."""

    category = models.ForeignKey(Category, verbose_name=_("类别"), on_delete=models.CASCADE)
    area = models.ForeignKey(
        Area,
        verbose_name=_("区域"),
        on_delete=models.CASCADE,
        help_text=_("适用于此区域及其下级区域。"),
    )
    unit = models.ForeignKey(Unit, verbose_name=_("单位"), on_delete=models.CASCADE)
    rank = models.PositiveSmallIntegerField(_("优先级"), default=1)

    class Meta:
        verbose_name = _("派单规则")
        verbose_name_plural = _("派单规则")
        ordering = ["category", "area__path", "rank"]
        constraints = [
            models.UniqueConstraint(
                fields=["category", "area", "unit"], name="routing_rule_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.category} · {self.area} → {self.unit} ({self.rank})"


class Role(models.TextChoices):
    REPORTER = "reporter", _("报单员")
    DISPATCHER = "dispatcher", _("派单员")
    HANDLER = "handler", _("办理人")
    UNIT_HEAD = "unit_head", _("单位负责人")
    SUPERVISOR = "supervisor", _("督导员")


class Membership(models.Model):
    """A user's role in a unit. One user may hold several."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("用户"),
        on_delete=models.CASCADE,
        related_name="memberships",
    )
    unit = models.ForeignKey(
        Unit, verbose_name=_("单位"), on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(_("角色"), max_length=16, choices=Role.choices)

    class Meta:
        verbose_name = _("成员")
        verbose_name_plural = _("成员")
        constraints = [
            models.UniqueConstraint(fields=["user", "unit", "role"], name="membership_unique"),
        ]
        indexes = [models.Index(fields=["unit", "role"])]

    def __str__(self) -> str:
        return f"{self.user} · {self.unit} · {self.get_role_display()}"


class RiskLevel(models.TextChoices):
    LOW = "low", _("低")
    MEDIUM = "medium", _("中")
    HIGH = "high", _("高")


class SlaPolicy(models.Model):
    """Time limits for the sign, contact and meet stages.

    The most specific policy wins: (category, risk) → (category, any risk) →
    (any category, risk) → the default (both empty).
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
    sign_minutes = models.PositiveIntegerField(_("签收时限（分钟）"), default=30)
    contact_minutes = models.PositiveIntegerField(_("联系时限（分钟，自签收起）"), default=24 * 60)
    meet_minutes = models.PositiveIntegerField(_("见面调解时限（分钟，自签收起）"), default=48 * 60)

    class Meta:
        verbose_name = _("时限规则")
        verbose_name_plural = _("时限规则")
        # The messages are what the admin's form shows (not the constraint's name).
        constraints = [
            models.UniqueConstraint(
                fields=["category", "risk_level"],
                name="sla_policy_unique",
                condition=Q(category__isnull=False),
                violation_error_code="duplicate",
                violation_error_message=_("该类别和风险等级的时限规则已存在，请修改原有规则。"),
            ),
            models.UniqueConstraint(
                fields=["risk_level"],
                name="sla_policy_unique_any_category",
                condition=Q(category__isnull=True),
                violation_error_code="duplicate",
                violation_error_message=_(
                    "适用于所有类别、该风险等级的时限规则已存在，请修改原有规则。"
                ),
            ),
            models.CheckConstraint(
                condition=Q(sign_minutes__gt=0, contact_minutes__gt=0, meet_minutes__gt=0),
                name="sla_policy_positive_limits",
                violation_error_code="not_positive",
                violation_error_message=_("签收、联系、见面调解时限都必须大于0分钟。"),
            ),
            # Both clocks start at signing, and the meeting comes after the contact.
            models.CheckConstraint(
                condition=Q(meet_minutes__gte=F("contact_minutes")),
                name="sla_policy_meet_after_contact",
                violation_error_code="meet_before_contact",
                violation_error_message=_("见面调解时限不能短于联系时限（两者都自签收起算）。"),
            ),
        ]

    def __str__(self) -> str:
        cat = self.category or _("所有类别")
        risk = self.get_risk_level_display() if self.risk_level else _("所有风险")
        return f"{cat} · {risk}"

    @property
    def limits(self) -> dict[str, timedelta]:
        return {
            "sign": timedelta(minutes=self.sign_minutes),
            "contact": timedelta(minutes=self.contact_minutes),
            "meet": timedelta(minutes=self.meet_minutes),
        }


# --- SLA escalation ---------------------------------------------------------------------


class Stage(models.TextChoices):
    SIGN = "sign", _("签收")
    CONTACT = "contact", _("联系当事人")
    MEET = "meet", _("见面调解")


class EscalationLevel(models.IntegerChoices):
    """The levels of an SLA escalation and their one set of labels: the overview, the
    order page, the timeline, the inbox, the notices and the API all name a level so.
    Only levels 1 and 2 are overdue; the warning comes before the deadline."""

    WARNING = 0, _("临期预警")
    LEVEL1 = 1, _("一级督办")
    LEVEL2 = 2, _("二级督办")


def escalation_notice_kind(level: int) -> str:
    """The ``Notification.kind`` of a level's notices."""
    return f"escalation_{level}"


def notice_level(kind: str) -> int | None:
    """The escalation level a notice of this kind announces, or None for other notices."""
    prefix, _sep, level = kind.partition("_")
    if prefix == "escalation" and level.isdigit() and int(level) in EscalationLevel.values:
        return int(level)
    return None


def escalation_fire_at(*, due: datetime, limit: timedelta, level: int) -> datetime:
    """When a level fires: the warning at 80% of the limit, level 1 at the deadline,
    level 2 when overdue by the limit again."""
    if level == EscalationLevel.WARNING:
        return due - limit / 5
    if level == EscalationLevel.LEVEL1:
        return due
    return due + limit


class Alarm(models.Model):
    """The next escalation of one running stage clock of one order: the level it raises
    and when. The sweep reads and moves only these rows (by the ``fire_at`` index); a row
    is deleted when its stage is met or its last level raised. They live beside the
    order, not in it, so that moving an alarm does not rewrite the order row and its
    twenty indexes (at 10,000 due stages that was most of a sweep's database time)."""

    order = models.ForeignKey(
        "disputes.Order", on_delete=models.CASCADE, related_name="alarms", db_index=False
    )
    stage = models.CharField(_("环节"), max_length=8, choices=Stage.choices)
    level = models.PositiveSmallIntegerField(_("级别"), choices=EscalationLevel.choices)
    fire_at = models.DateTimeField(_("触发时间"))

    class Meta:
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
        "disputes.Order",
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
    # Set when the people it concerns have been told (``notifications.notify_raised``),
    # in the transaction that writes their notices: each escalation is announced once.
    notified_at = models.DateTimeField(_("通知时间"), null=True, blank=True)

    objects = EscalationQuerySet.as_manager()

    class Meta:
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
        ]

    def __str__(self) -> str:
        return f"{self.order_id} {self.get_stage_display()} {self.get_level_display()}"


# --- notifications: the inbox and the outbox --------------------------------------------


class Notification(models.Model):
    """A message to one user. The row is the in-app inbox entry; it is written in the
    same transaction as its cause, with one ``Delivery`` per external channel."""

    # Indexed as the leading column of (recipient, -created_at).
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("接收人"),
        on_delete=models.CASCADE,
        related_name="notifications",
        db_index=False,
    )
    order = models.ForeignKey(
        "disputes.Order",
        verbose_name=_("订单"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    kind = models.CharField(_("类型"), max_length=24)
    subject = models.CharField(_("标题"), max_length=200)
    body = models.TextField(_("内容"), blank=True)
    created_at = models.DateTimeField(_("时间"))
    read_at = models.DateTimeField(_("已读时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("通知")
        verbose_name_plural = _("通知")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["recipient", "-created_at"]),
            models.Index(
                name="notification_unread", fields=["recipient"], condition=Q(read_at__isnull=True)
            ),
        ]

    def __str__(self) -> str:
        return self.subject


class Delivery(models.Model):
    """The outbox: one notification on one external channel (e-mail, webhook, SMS).
    A worker sends it with retries and backoff; a sent delivery is never sent again."""

    class Status(models.TextChoices):
        PENDING = "pending", _("待发送")
        SENT = "sent", _("已发送")
        FAILED = "failed", _("发送失败")

    # Indexed as the leading column of ``delivery_once``.
    notification = models.ForeignKey(
        Notification, on_delete=models.CASCADE, related_name="deliveries", db_index=False
    )
    channel = models.CharField(_("渠道"), max_length=16)
    status = models.CharField(
        _("状态"), max_length=8, choices=Status.choices, default=Status.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("尝试次数"), default=0)
    next_attempt_at = models.DateTimeField(_("下次尝试"))
    sent_at = models.DateTimeField(_("发送时间"), null=True, blank=True)
    last_error = models.TextField(_("最近错误"), blank=True)

    class Meta:
        verbose_name = _("外发记录")
        verbose_name_plural = _("外发记录")
        constraints = [
            models.UniqueConstraint(fields=["notification", "channel"], name="delivery_once"),
        ]
        indexes = [
            models.Index(
                name="delivery_pending_due",
                fields=["next_attempt_at"],
                condition=Q(status="pending"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.channel} #{self.notification_id} {self.status}"


# --- the per-case subsidy (以案定补) ----------------------------------------------------


def grade_choices() -> list[tuple[str, str]]:
    """The case grades of ``disputes.Grade`` (imported late: disputes imports this module)."""
    from disputes.models import Grade

    return Grade.choices


class SubsidyTier(models.Model):
    """The subsidy paid per successfully mediated case of a grade, from a date on.

    A case is paid at the tier of its grade in force on its closing date (Asia/Shanghai):
    the one with the latest ``effective_from`` on or before that date. A change of rates is
    a new row with a new date, so the statements of past months never change.
    """

    grade = models.CharField(_("案件等级"), max_length=16, choices=grade_choices)
    amount = models.DecimalField(
        _("每案补贴（元）"),
        max_digits=10,
        decimal_places=2,
        help_text=_("每件调解成功案件的补贴金额，单位元。"),
    )
    effective_from = models.DateField(
        _("生效日期"),
        help_text=_("自此日（含）起结案的案件适用此标准，直到同一等级的下一个生效日期。"),
    )

    class Meta:
        verbose_name = _("以案定补标准")
        verbose_name_plural = _("以案定补标准")
        ordering = ["grade", "-effective_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["grade", "effective_from"], name="subsidy_tier_once_per_date"
            ),
            models.CheckConstraint(
                condition=Q(amount__gte=0), name="subsidy_tier_amount_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_grade_display()} ¥{self.amount} ({self.effective_from:%Y-%m-%d})"
