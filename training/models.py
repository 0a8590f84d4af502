"""Training sessions (培训) and who attended them.

A session is held on a local (Asia/Shanghai) date, for an area (a street, a community or
the city: whose people it trains), organised by a unit. Its length is stored in hours
(``hours``), derived from the start and end times when both are given. Attendance is
kept per person (``Attendance``, the person's unit at the time) and, for people without
a login, as a headcount per unit (``UnitHeadcount``). A unit's training hours are the
session's hours times its attendees (docs/REPORTS.md, "培训 / Training")."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

MAX_HOURS = Decimal("24")
MIN_HOURS = Decimal("0.01")


class Kind(models.TextChoices):
    BUSINESS = "business", _("业务培训")
    LAW = "law", _("法律知识")
    MEDIATION = "mediation", _("调解技巧")
    COUNSELLING = "counselling", _("心理疏导")
    OTHER = "other", _("其他")


class TrainingSession(models.Model):
    topic = models.CharField(_("主题"), max_length=120)
    kind = models.CharField(_("类型"), max_length=16, choices=Kind.choices, default=Kind.BUSINESS)
    date = models.DateField(_("日期"), help_text=_("北京时间的日期；按此日期计入月份。"))
    start_time = models.TimeField(_("开始时间"), null=True, blank=True)
    end_time = models.TimeField(_("结束时间"), null=True, blank=True)
    hours = models.DecimalField(
        _("学时（小时）"),
        max_digits=4,
        decimal_places=2,
        validators=[MinValueValidator(MIN_HOURS), MaxValueValidator(MAX_HOURS)],
        help_text=_("给出起止时间时由时间计算。"),
    )
    place = models.CharField(_("地点"), max_length=120, blank=True)
    trainer_name = models.CharField(_("授课人"), max_length=64)
    trainer_unit = models.CharField(_("授课人单位"), max_length=64, blank=True)
    organizer = models.ForeignKey(
        "dispatch.Unit",
        verbose_name=_("组织单位"),
        on_delete=models.PROTECT,
        related_name="training_sessions",
    )
    area = models.ForeignKey(
        "dispatch.Area",
        verbose_name=_("培训范围"),
        on_delete=models.PROTECT,
        related_name="training_sessions",
        help_text=_("参训人员来自此区域（及其下级）的单位。"),
    )
    note = models.TextField(_("备注"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("登记人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("培训")
        verbose_name_plural = _("培训")
        ordering = ["-date", "-start_time", "-id"]
        indexes = [models.Index(fields=["date"]), models.Index(fields=["organizer", "date"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(hours__gt=0, hours__lte=MAX_HOURS), name="training_hours_range"
            ),
            models.CheckConstraint(
                condition=models.Q(start_time__isnull=True)
                | models.Q(end_time__isnull=True)
                | models.Q(end_time__gt=models.F("start_time")),
                name="training_end_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.topic}"


class Attendance(models.Model):
    """One person on a session's list: attended or absent (应到未到)."""

    class Status(models.TextChoices):
        ATTENDED = "attended", _("出席")
        ABSENT = "absent", _("缺席")

    session = models.ForeignKey(
        TrainingSession,
        verbose_name=_("培训"),
        on_delete=models.CASCADE,
        related_name="attendances",
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("人员"),
        on_delete=models.PROTECT,
        related_name="training_attendances",
    )
    unit = models.ForeignKey(
        "dispatch.Unit",
        verbose_name=_("所在单位"),
        on_delete=models.PROTECT,
        related_name="training_attendances",
        help_text=_("参训时所在的单位。"),
    )
    status = models.CharField(
        _("出勤"), max_length=16, choices=Status.choices, default=Status.ATTENDED
    )

    class Meta:
        verbose_name = _("参训人员")
        verbose_name_plural = _("参训人员")
        ordering = ["unit__name", "user__username"]
        constraints = [
            models.UniqueConstraint(fields=["session", "user"], name="training_attendance_unique"),
        ]
        indexes = [
            models.Index(fields=["user", "session"]),
            models.Index(fields=["unit", "session"]),
        ]

    def __str__(self) -> str:
        return f"{self.session} · {self.user} · {self.get_status_display()}"


class UnitHeadcount(models.Model):
    """People of one unit without a login who attended, by number (按单位计人数)."""

    session = models.ForeignKey(
        TrainingSession,
        verbose_name=_("培训"),
        on_delete=models.CASCADE,
        related_name="headcounts",
    )
    unit = models.ForeignKey(
        "dispatch.Unit",
        verbose_name=_("单位"),
        on_delete=models.PROTECT,
        related_name="training_headcounts",
    )
    count = models.PositiveSmallIntegerField(
        _("人数"), validators=[MinValueValidator(1), MaxValueValidator(999)]
    )

    class Meta:
        verbose_name = _("单位参训人数")
        verbose_name_plural = _("单位参训人数")
        ordering = ["unit__name"]
        constraints = [
            models.UniqueConstraint(fields=["session", "unit"], name="training_headcount_unique"),
            models.CheckConstraint(condition=models.Q(count__gte=1), name="training_headcount_pos"),
        ]

    def __str__(self) -> str:
        return f"{self.session} · {self.unit} · {self.count}"
