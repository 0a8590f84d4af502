"""The mediation alliance (社会力量大调解联盟): its volunteers' profiles and its joint
activities. The units are ``dispatch.Unit`` of kind SOCIAL_FORCE (their sub-kind
``alliance_kind``); a volunteer is a ``Membership`` with ``Role.VOLUNTEER`` in one. The
invitations to assist an order are the order's (``disputes.Invitation``)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from dispatch.models import Membership, Unit


class Skill(models.TextChoices):
    LAW = "law", _("法律")
    PSYCHOLOGY = "psychology", _("心理")
    MEDIATION = "mediation", _("调解")
    TRANSLATION = "translation", _("翻译")
    MEDICINE = "medicine", _("医疗")
    ACCOUNTING = "accounting", _("财会")


class Dialect(models.TextChoices):
    MINNAN = "minnan", _("闽南话")
    PUTONGHUA = "putonghua", _("普通话")
    HAKKA = "hakka", _("客家话")
    CANTONESE = "cantonese", _("粤语")
    OTHER = "other", _("其他方言")


class Weekday(models.IntegerChoices):
    MON = 1, _("周一")
    TUE = 2, _("周二")
    WED = 3, _("周三")
    THU = 4, _("周四")
    FRI = 5, _("周五")
    SAT = 6, _("周六")
    SUN = 7, _("周日")


class VolunteerProfile(models.Model):
    """What the center needs to know to invite a volunteer: skills, dialects (闽南话
    matters in Shishi), when it is free. Its phone is the user's ``dispatch.Profile``,
    shown masked."""

    membership = models.OneToOneField(
        Membership,
        verbose_name=_("志愿者身份"),
        on_delete=models.CASCADE,
        related_name="volunteer_profile",
        limit_choices_to={"role": "volunteer"},
    )
    skills = models.JSONField(_("专长"), default=list, blank=True)
    dialects = models.JSONField(_("方言"), default=list, blank=True)
    weekdays = models.JSONField(_("可服务日"), default=list, blank=True)
    availability = models.CharField(_("服务时间说明"), max_length=200, blank=True)
    is_active = models.BooleanField(_("在册"), default=True)

    class Meta:
        verbose_name = _("志愿者资料")
        verbose_name_plural = _("志愿者资料")

    def __str__(self) -> str:
        return str(self.membership)

    def labels(self, field: str) -> list[str]:
        choices = {"skills": Skill, "dialects": Dialect}[field]
        return [str(choices(v).label) for v in getattr(self, field) if v in choices.values]

    @property
    def weekday_labels(self) -> list[str]:
        return [str(Weekday(v).label) for v in self.weekdays if v in Weekday.values]


class ActivityKind(models.TextChoices):
    VISIT = "visit", _("走访慰问")
    LAW_PROMOTION = "law_promotion", _("法治宣传")
    CLINIC = "clinic", _("义诊")
    TRAINING = "training", _("调解培训")
    OTHER = "other", _("其他")


class JointActivity(models.Model):
    """A joint activity (联合活动) with the alliance's volunteer associations: who
    organised it, which alliance units and volunteers took part, how many people it
    served. Counted in the monthly report (``supervision.reports.alliance_figures``)."""

    date = models.DateField(_("日期"))
    kind = models.CharField(_("类型"), max_length=16, choices=ActivityKind.choices)
    title = models.CharField(_("名称"), max_length=100)
    organiser = models.ForeignKey(
        Unit, verbose_name=_("组织单位"), on_delete=models.PROTECT, related_name="+"
    )
    units = models.ManyToManyField(
        Unit, verbose_name=_("参与联盟单位"), blank=True, related_name="joint_activities"
    )
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("参与志愿者"),
        blank=True,
        related_name="joint_activities",
    )
    people_served = models.PositiveIntegerField(_("服务人数"), default=0)
    place = models.CharField(_("地点"), max_length=200, blank=True)
    note = models.TextField(_("备注"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("登记人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("登记时间"))

    class Meta:
        verbose_name = _("联合活动")
        verbose_name_plural = _("联合活动")
        ordering = ["-date", "-id"]
        indexes = [models.Index(fields=["date"])]

    def __str__(self) -> str:
        return f"{self.date} {self.title}"
