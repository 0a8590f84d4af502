"""Areas, units, routing and memberships: who covers what."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from shishi_mediation.validators import validate_phone


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


class AllianceKind(models.TextChoices):
    """The sub-kinds of a social-force unit (``Unit.Kind.SOCIAL_FORCE``)."""

    ASSOCIATION = "association", _("行业协会")
    VOLUNTEERS = "volunteers", _("志愿者队伍")
    LAWYERS = "lawyers", _("律师")
    FIVE_ELDERS = "five_elders", _("五老")
    OTHER = "other", _("其他")


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
    # The mediation alliance (社会力量大调解联盟): what kind of social force a unit is.
    # Blank for every other kind of unit.
    alliance_kind = models.CharField(
        _("社会力量类别"), max_length=16, choices=AllianceKind.choices, blank=True
    )

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
    # A street leader (包案领导), named on a red order: sees it and reviews it before it
    # closes. A membership in the street's center (or another unit of the street).
    LEADER = "leader", _("包案领导")
    # A volunteer (志愿者) of a social-force unit of the mediation alliance: sees only the
    # orders it or its unit is invited to assist (``disputes.Invitation``) and adds notes
    # there; no other power (it reports nothing and is no handler).
    VOLUNTEER = "volunteer", _("志愿者")


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


class Profile(models.Model):
    """What the organisation knows of a person beyond their login: the mobile phone that
    notices reach by SMS. Shown masked in pages (``mask_phone``), like party phones."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("用户"),
        on_delete=models.CASCADE,
        related_name="profile",
    )
    phone = models.CharField(_("手机号"), max_length=20, blank=True, validators=[validate_phone])

    class Meta:
        verbose_name = _("个人资料")
        verbose_name_plural = _("个人资料")

    def __str__(self) -> str:
        return f"{self.user}"


class RiskLevel(models.TextChoices):
    LOW = "low", _("低")
    MEDIUM = "medium", _("中")
    HIGH = "high", _("高")
