from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from notifications.levels import EscalationLevel

KIND_MAX_LENGTH = 16  # a kind's name (``kinds.DeadlineKind.name``)


class Deadline(models.Model):
    """One running (or finished) deadline of one thing of a declared kind. The sweep
    reads only ``fire_at``: the moment of the next level, NULL once met, ended or past
    its last level."""

    kind = models.CharField(_("类型"), max_length=KIND_MAX_LENGTH)
    subject_id = models.PositiveBigIntegerField(_("对象"))
    unit = models.ForeignKey(
        "dispatch.Unit",
        verbose_name=_("责任单位"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    started_at = models.DateTimeField(_("开始时间"))
    due_at = models.DateTimeField(_("截止时间"))
    limit = models.DurationField(_("时限"))
    met_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    on_time = models.BooleanField(_("按时"), null=True, blank=True)
    ended_at = models.DateTimeField(_("终止时间"), null=True, blank=True)
    level = models.PositiveSmallIntegerField(
        _("已达级别"), choices=EscalationLevel.choices, null=True, blank=True
    )
    fire_at = models.DateTimeField(_("下次触发"), null=True, blank=True)

    class Meta:
        verbose_name = _("期限")
        verbose_name_plural = _("期限")
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "subject_id"],
                condition=Q(met_at__isnull=True, ended_at__isnull=True),
                name="deadline_one_open",
            ),
            models.CheckConstraint(
                condition=Q(due_at__gt=models.F("started_at")), name="deadline_due_after_start"
            ),
            models.CheckConstraint(
                condition=Q(met_at__isnull=True, on_time__isnull=True)
                | Q(met_at__isnull=False, on_time__isnull=False),
                name="deadline_on_time_iff_met",
            ),
        ]
        indexes = [
            models.Index(
                name="deadline_fire_at", fields=["fire_at"], condition=Q(fire_at__isnull=False)
            ),
            models.Index(name="deadline_subject", fields=["kind", "subject_id", "-started_at"]),
            models.Index(name="deadline_due", fields=["kind", "due_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.kind} #{self.subject_id} @ {self.due_at:%Y-%m-%d %H:%M}"

    @property
    def is_open(self) -> bool:
        return self.met_at is None and self.ended_at is None
