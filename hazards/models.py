"""Hazards (隐患) and the screening log (排查台账).

A hazard is found the way a dispute is (category, community, place, photos) but routed
by its own categories to the department that must fix it, with a rectification deadline
(the ``deadlines`` clock ``hazard_fix``) and closed with evidence: a photo after. A
screening visit is logged whether or not it found anything.
"""

from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, transition

from disputes.models import LocationSource, content_type_of, validate_attachment


class HazardCategory(models.Model):
    """消防安全, 房屋安全, …: who fixes it (unless a street's route says otherwise) and in
    how many days."""

    code = models.SlugField(_("代码"), max_length=32, unique=True)
    name = models.CharField(_("名称"), max_length=64)
    name_en = models.CharField(_("英文名称"), max_length=64, blank=True)
    department = models.ForeignKey(
        "dispatch.Unit",
        verbose_name=_("责任部门"),
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("未按街道另行指定时，隐患交由此单位整改。"),
    )
    fix_days = models.PositiveSmallIntegerField(_("整改时限（天）"), default=7)
    position = models.PositiveSmallIntegerField(_("排序"), default=0)
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("隐患类别")
        verbose_name_plural = _("隐患类别")
        ordering = ["position", "code"]
        constraints = [
            models.CheckConstraint(condition=models.Q(fix_days__gte=1), name="hazard_fix_days_min")
        ]

    def __str__(self) -> str:
        return self.name


class HazardRoute(models.Model):
    """A street's own responsible department for a category (beats the category's)."""

    category = models.ForeignKey(
        HazardCategory, verbose_name=_("隐患类别"), on_delete=models.CASCADE, related_name="routes"
    )
    street = models.ForeignKey(
        "dispatch.Area",
        verbose_name=_("街道/镇"),
        on_delete=models.CASCADE,
        limit_choices_to={"level": "street"},
        related_name="+",
    )
    department = models.ForeignKey(
        "dispatch.Unit", verbose_name=_("责任部门"), on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("隐患分派规则")
        verbose_name_plural = _("隐患分派规则")
        constraints = [
            models.UniqueConstraint(fields=["category", "street"], name="hazard_route_unique")
        ]

    def __str__(self) -> str:
        return f"{self.category} · {self.street} → {self.department}"


class HazardState(models.TextChoices):
    REPORTED = "reported", _("待整改")
    RECTIFYING = "rectifying", _("整改中")
    FIXED = "fixed", _("已整改")
    REJECTED = "rejected", _("不属隐患")


OPEN_STATES = (HazardState.REPORTED, HazardState.RECTIFYING)


class ScreeningOutcome(models.TextChoices):
    NOTHING = "nothing", _("未发现隐患")
    FOUND = "found", _("发现隐患")


class ScreeningVisit(models.Model):
    """One routine screening visit (排查台账): who, where, when, what was checked."""

    officer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("排查人"),
        on_delete=models.PROTECT,
        related_name="screening_visits",
    )
    unit = models.ForeignKey(
        "dispatch.Unit",
        verbose_name=_("所属单位"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    street = models.ForeignKey(
        "dispatch.Area", verbose_name=_("街道/镇"), on_delete=models.PROTECT, related_name="+"
    )
    community = models.ForeignKey(
        "dispatch.Area", verbose_name=_("社区/村"), on_delete=models.PROTECT, related_name="+"
    )
    place = models.CharField(_("排查地点"), max_length=200)
    visited_at = models.DateTimeField(_("排查时间"))
    checked = models.ManyToManyField(
        HazardCategory, verbose_name=_("排查内容"), related_name="+", blank=True
    )
    note = models.TextField(_("情况说明"), blank=True)
    outcome = models.CharField(
        _("排查结果"),
        max_length=16,
        choices=ScreeningOutcome.choices,
        default=ScreeningOutcome.NOTHING,
    )
    recorded_at = models.DateTimeField(_("登记时间"))

    class Meta:
        verbose_name = _("排查记录")
        verbose_name_plural = _("排查台账")
        ordering = ["-visited_at", "-id"]
        indexes = [
            models.Index(fields=["street", "visited_at"]),
            models.Index(fields=["officer", "visited_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.community} · {self.place}"


class Hazard(models.Model):
    """A hazard reported for rectification. ``state`` changes only through
    ``hazards.services`` (its transition methods below only guard)."""

    category = models.ForeignKey(
        HazardCategory, verbose_name=_("隐患类别"), on_delete=models.PROTECT, related_name="+"
    )
    street = models.ForeignKey(
        "dispatch.Area", verbose_name=_("街道/镇"), on_delete=models.PROTECT, related_name="+"
    )
    community = models.ForeignKey(
        "dispatch.Area", verbose_name=_("社区/村"), on_delete=models.PROTECT, related_name="+"
    )
    address = models.CharField(_("地点"), max_length=200)
    description = models.TextField(_("隐患描述"))
    latitude = models.DecimalField(_("纬度"), max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(
        _("经度"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    location_source = models.CharField(
        _("位置来源"), max_length=8, choices=LocationSource.choices, blank=True
    )
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("报告人"),
        on_delete=models.PROTECT,
        related_name="reported_hazards",
    )
    reporter_unit = models.ForeignKey(
        "dispatch.Unit",
        verbose_name=_("报告单位"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    department = models.ForeignKey(
        "dispatch.Unit", verbose_name=_("责任部门"), on_delete=models.PROTECT, related_name="+"
    )
    screening = models.ForeignKey(
        ScreeningVisit,
        verbose_name=_("来自排查"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="hazards",
    )
    state = FSMField(_("状态"), default=HazardState.REPORTED, choices=HazardState.choices)
    reported_at = models.DateTimeField(_("报告时间"))
    due_at = models.DateTimeField(_("整改期限"))
    acknowledged_at = models.DateTimeField(_("受理时间"), null=True, blank=True)
    closed_at = models.DateTimeField(_("办结时间"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("办结人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    close_note = models.TextField(_("整改说明"), blank=True)
    # Fixed by its due time (``closed_at <= due_at``); null until fixed.
    on_time = models.BooleanField(_("按时整改"), null=True)

    class Meta:
        verbose_name = _("隐患")
        verbose_name_plural = _("隐患")
        ordering = ["-reported_at", "-id"]
        indexes = [
            models.Index(fields=["street", "reported_at"]),
            models.Index(fields=["department", "state", "due_at"]),
            models.Index(fields=["reporter", "reported_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.category} · {self.address}"

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES

    @transition(field=state, source=HazardState.REPORTED, target=HazardState.RECTIFYING)
    def acknowledge(self) -> None:
        pass

    @transition(field=state, source=list(OPEN_STATES), target=HazardState.FIXED)
    def fix(self) -> None:
        pass

    @transition(field=state, source=list(OPEN_STATES), target=HazardState.REJECTED)
    def reject(self) -> None:
        pass


def hazard_photo_path(instance: "HazardPhoto", filename: str) -> str:
    return f"hazards/{instance.hazard_id}/{Path(filename).name}"


def hazard_thumbnail_path(instance: "HazardPhoto", filename: str) -> str:
    return f"hazards/{instance.hazard_id}/thumbnails/{Path(filename).name}"


class PhotoStage(models.TextChoices):
    BEFORE = "before", _("整改前")
    AFTER = "after", _("整改后")


class HazardPhoto(models.Model):
    """A photo of the hazard, before (at reporting) or after (the closing's evidence);
    served only through a permission-checked view (``hazards.views.photo``)."""

    hazard = models.ForeignKey(Hazard, on_delete=models.CASCADE, related_name="photos")
    stage = models.CharField(_("阶段"), max_length=8, choices=PhotoStage.choices)
    file = models.FileField(
        _("文件"), upload_to=hazard_photo_path, validators=[validate_attachment]
    )
    thumbnail = models.FileField(_("缩略图"), upload_to=hazard_thumbnail_path, blank=True)
    original_name = models.CharField(_("文件名"), max_length=200)
    size = models.PositiveIntegerField(_("大小"))
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    uploaded_at = models.DateTimeField(_("上传时间"))

    class Meta:
        verbose_name = _("隐患照片")
        verbose_name_plural = _("隐患照片")
        ordering = ["uploaded_at", "id"]

    def __str__(self) -> str:
        return self.original_name

    @property
    def content_type(self) -> str:
        return content_type_of(self.original_name)


class HazardEventKind(models.TextChoices):
    REPORTED = "reported", _("上报隐患")
    ACKNOWLEDGED = "acknowledged", _("受理整改")
    FIXED = "fixed", _("整改完成")
    REJECTED = "rejected", _("认定不属隐患")


class HazardEvent(models.Model):
    """The hazard's log: append-only (who, what, when)."""

    hazard = models.ForeignKey(Hazard, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(_("事项"), max_length=16, choices=HazardEventKind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
    )
    at = models.DateTimeField(_("时间"))
    from_state = models.CharField(max_length=16, blank=True)
    to_state = models.CharField(max_length=16, blank=True)
    note = models.TextField(_("说明"), blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("隐患记录")
        verbose_name_plural = _("隐患记录")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.hazard_id} · {self.get_kind_display()}"

    def save(self, *args, **kwargs):
        if self.pk is not None and not self._state.adding:
            raise ValidationError("hazard events are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError("hazard events are append-only")
