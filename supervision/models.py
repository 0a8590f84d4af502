"""The per-case subsidy's rates, and the monthly roll-ups of the settled part of the
data, for the supervisors' report.

An order is *settled* once it is closed or cancelled: both are final, so nothing the
report reads from it (street, community, lead unit, dispatch and due times, on-time
flags, outcome, its escalations, all resolved at the closing) can change again. Reviews
are settled once submitted. ``supervision.rollups.rollups_refresh`` counts what was settled
before a cutoff, per month and (street, community, unit); the report adds what is not
settled yet, read live from the tables. See docs/REPORTS.md, "How it is computed"."""

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from dispatch.models import Area, Unit
from disputes.colours import Colour
from disputes.models import Grade
from disputes.stages import CLOCKS

# The additive counts of a roll-up row (each a figure of docs/REPORTS.md, for settled rows).
COUNT_FIELDS = (
    "received",
    "cancelled",
    "dispatched",
    *(f"{c.name}_{k}" for c in CLOCKS for k in ("on_time", "late")),
    "closed",
    "mediated",
    "on_the_spot",
    *(f"received_{c}" for c in Colour.values),
    "reviews_good",
    "reviews_bad",
    "escalations_warning",
    "escalations_level1",
    "escalations_level2",
    "return_visits",
)


class MonthlyRollup(models.Model):
    """The settled counts of one Asia/Shanghai month for one (street, community, unit).

    The unit is the order's lead unit, except in the escalation counts, where it is the
    unit the escalation was raised against (as in the report). Every row of one refresh
    carries the same ``cutoff``: it counts the orders closed or cancelled before it (a
    cancelled one only as received and cancelled), the reviews
    submitted before it and the escalations resolved before it; and the same
    ``visits_through``: it counts the return visits with an id up to that one (a visit
    may be dated in any month, so only its id tells a new one)."""

    cutoff = models.DateTimeField(_("截止时间"))
    visits_through = models.BigIntegerField(_("回访截至编号"), default=0)
    month = models.DateField(_("月份"))  # the 1st of the month
    street = models.ForeignKey(
        Area, verbose_name=_("街道"), on_delete=models.CASCADE, related_name="+"
    )
    community = models.ForeignKey(
        Area, verbose_name=_("社区"), on_delete=models.CASCADE, related_name="+"
    )
    unit = models.ForeignKey(
        Unit,
        verbose_name=_("单位"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    received = models.PositiveIntegerField(default=0)
    cancelled = models.PositiveIntegerField(default=0)
    dispatched = models.PositiveIntegerField(default=0)
    # ``<clock>_on_time`` and ``<clock>_late`` per clock of ``disputes.stages.CLOCKS``,
    # added below.
    closed = models.PositiveIntegerField(default=0)
    mediated = models.PositiveIntegerField(default=0)
    # Settled on the spot (就地化解): not in received, closed or mediated.
    on_the_spot = models.PositiveIntegerField(default=0)
    # Received per colour grade (红/黄/绿): they add up to ``received``.
    received_red = models.PositiveIntegerField(default=0)
    received_yellow = models.PositiveIntegerField(default=0)
    received_green = models.PositiveIntegerField(default=0)
    reviews_good = models.PositiveIntegerField(default=0)
    reviews_bad = models.PositiveIntegerField(default=0)
    # Escalations open at the end of the month (raised before it, resolved after it).
    escalations_warning = models.PositiveIntegerField(default=0)
    escalations_level1 = models.PositiveIntegerField(default=0)
    escalations_level2 = models.PositiveIntegerField(default=0)
    return_visits = models.PositiveIntegerField(default=0)
    # The earliest report time among the orders with a stage clock due in the month: the
    # stage medians need read no settled order reported before it.
    first_due_reported_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "rollups_monthlyrollup"
        verbose_name = _("月度汇总")
        verbose_name_plural = _("月度汇总")
        indexes = [models.Index(fields=["month", "street"])]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.street_id}/{self.community_id}/{self.unit_id}"


class MedianSnapshot(models.Model):
    """The stage medians of one ended month for one standard scope (a city's streets,
    or one street), as computed at a refresh: per unit, per street, and the total.

    Medians do not add up, so they cannot be kept like the counts. They can only change
    through the month's stage clocks of orders not settled at the refresh (a clock done
    late, an order cancelled or returned); ``checksum`` sums a hash of each such clock
    (order, unit, street, stage, duration). The report uses the snapshot only while the
    same sum over the same orders now gives the same value and the cutoff is the
    roll-up's; otherwise it computes the medians live."""

    class Grouping(models.TextChoices):
        UNIT = "unit"
        STREET = "street"
        TOTAL = "total"

    cutoff = models.DateTimeField(_("截止时间"))
    month = models.DateField(_("月份"))
    scope = models.CharField(_("范围"), max_length=400)  # ``supervision.reports.Scope.key``
    grouping = models.CharField(max_length=8, choices=Grouping.choices)
    key = models.BigIntegerField(null=True, blank=True)  # unit or street id; None: total
    # Median durations in microseconds, one field per clock named as the clock (None: no
    # clock of the group was met), added below.
    # On the total row only: the checksum of the unsettled clocks at the refresh.
    checksum = models.DecimalField(max_digits=40, decimal_places=0, null=True, blank=True)

    class Meta:
        db_table = "rollups_mediansnapshot"
        verbose_name = _("中位数快照")
        verbose_name_plural = _("中位数快照")
        indexes = [models.Index(fields=["month", "scope"])]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.scope} {self.grouping} {self.key}"


for _clock in CLOCKS:
    for _figure in ("on_time", "late"):
        MonthlyRollup.add_to_class(
            f"{_clock.name}_{_figure}", models.PositiveIntegerField(default=0)
        )
    MedianSnapshot.add_to_class(_clock.name, models.FloatField(null=True, blank=True))


class SubsidyTier(models.Model):
    """The subsidy paid per successfully mediated case of a grade, from a date on.

    A case is paid at the tier of its grade in force on its closing date (Asia/Shanghai):
    the one with the latest ``effective_from`` on or before that date. A change of rates is
    a new row with a new date, so the statements of past months never change.
    """

    grade = models.CharField(_("案件等级"), max_length=16, choices=Grade.choices)
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
        db_table = "dispatch_subsidytier"
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


class BulletinIssue(models.Model):
    """A month's bulletin (通报) published to the units of an area (a city or a street):
    once per (month, area). Publishing freezes each unit's row of the bulletin as it
    stood then (``BulletinStanding``) and tells the unit's members in their inbox; the
    units read their own row on 本单位通报. See docs/REPORTS.md, "Publishing the
    bulletin"."""

    month = models.DateField(_("月份"))  # the 1st of the month
    area = models.ForeignKey(
        Area, verbose_name=_("范围"), on_delete=models.PROTECT, related_name="+"
    )
    published_at = models.DateTimeField(_("发布时间"))
    # None: published by the monthly beat task.
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("发布人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    ranked_units = models.PositiveIntegerField(_("参与排名单位数"))
    listed_units = models.PositiveIntegerField(_("上榜单位数"))
    min_cases = models.PositiveIntegerField(_("参与排名最少案件数"))

    class Meta:
        verbose_name = _("已发布通报")
        verbose_name_plural = _("已发布通报")
        ordering = ["-month", "area__path"]
        constraints = [
            models.UniqueConstraint(fields=["month", "area"], name="bulletin_issue_once"),
        ]

    def __str__(self) -> str:
        return f"{self.area} {self.month:%Y-%m}"


class BulletinStanding(models.Model):
    """One unit's row of a published bulletin: its figures as published, its score,
    fair score, cases and rank (None: listed, not ranked: fewer than ``min_cases``)."""

    issue = models.ForeignKey(
        BulletinIssue,
        verbose_name=_("通报"),
        on_delete=models.CASCADE,
        related_name="standings",
    )
    unit = models.ForeignKey(
        Unit, verbose_name=_("单位"), on_delete=models.CASCADE, related_name="+"
    )
    rank = models.PositiveIntegerField(_("名次"), null=True, blank=True)
    cases = models.PositiveIntegerField(_("案件数"))
    score = models.DecimalField(_("综合得分"), max_digits=5, decimal_places=1, null=True)
    fair_score = models.DecimalField(_("排名得分"), max_digits=5, decimal_places=1, null=True)
    # Row.as_dict(), as published (decimals as text).
    figures = models.JSONField(_("指标"), default=dict, encoder=DjangoJSONEncoder)

    class Meta:
        verbose_name = _("单位通报")
        verbose_name_plural = _("单位通报")
        ordering = ["issue", models.F("rank").asc(nulls_last=True), "unit__name"]
        constraints = [
            models.UniqueConstraint(fields=["issue", "unit"], name="bulletin_standing_once"),
        ]
        indexes = [models.Index(fields=["unit", "issue"])]

    def __str__(self) -> str:
        return f"{self.issue} {self.unit}"
