"""The care register (关爱对象, issue 18): vulnerable people kept apart from any order,
their scheduled care visits (关爱走访) and the aid given them (帮扶记录).

A subject's phone and ID number are kept as a party's are (``disputes.Party``: the
numbers, validated, shown masked to all but the community's police and committee) with
the repeat radar's keyed hashes beside them (``disputes.radar_keys``). The link to the
parties of orders is those keys: an indexed join, never a stored copy, so it holds from
the moment either side is saved and follows a corrected number."""

from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from disputes.radar_keys import id_number_key, phone_key
from shishi_mediation.validators import validate_id_number, validate_phone

# The ``deadlines`` kind of the visit clock (declared in ``care.clock``).
VISIT_CLOCK = "care_visit"


class CareKind(models.TextChoices):
    ELDERLY_ALONE = "elderly_alone", _("独居老人")
    DISABLED = "disabled", _("残疾人")
    MENTAL_ILLNESS = "mental_illness", _("精神障碍")
    MINOR = "minor", _("困境未成年人")
    HARDSHIP = "hardship", _("困难家庭")


# Days between care visits when no ``CareVisitInterval`` row says otherwise.
DEFAULT_VISIT_DAYS = {
    CareKind.ELDERLY_ALONE: 30,
    CareKind.DISABLED: 30,
    CareKind.MENTAL_ILLNESS: 14,
    CareKind.MINOR: 30,
    CareKind.HARDSHIP: 30,
}


class CareVisitInterval(models.Model):
    """How often a kind of subject is visited (editable in admin; the defaults are
    ``DEFAULT_VISIT_DAYS``). A change applies from the next visit or registration."""

    kind = models.CharField(_("类别"), max_length=16, choices=CareKind.choices, unique=True)
    days = models.PositiveSmallIntegerField(_("走访间隔（天）"), validators=[MinValueValidator(1)])

    class Meta:
        verbose_name = _("走访周期")
        verbose_name_plural = _("走访周期")
        ordering = ["kind"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.days}"


def visit_interval(kind: str) -> timedelta:
    row = CareVisitInterval.objects.filter(kind=kind).values_list("days", flat=True).first()
    return timedelta(days=row or DEFAULT_VISIT_DAYS.get(kind, 30))


class CareSubject(models.Model):
    """A person the community's police and committee look after."""

    name = models.CharField(_("姓名"), max_length=64)
    kind = models.CharField(_("类别"), max_length=16, choices=CareKind.choices)
    community = models.ForeignKey(
        "dispatch.Area",
        verbose_name=_("所在社区"),
        on_delete=models.PROTECT,
        related_name="care_subjects",
        limit_choices_to={"level": "community"},
    )
    address = models.CharField(_("住址"), max_length=200, blank=True)
    phone = models.CharField(_("电话"), max_length=20, blank=True, validators=[validate_phone])
    id_number = models.CharField(
        _("身份证号"), max_length=18, blank=True, validators=[validate_id_number]
    )
    guardian_name = models.CharField(_("监护人"), max_length=64, blank=True)
    guardian_phone = models.CharField(
        _("监护人电话"), max_length=20, blank=True, validators=[validate_phone]
    )
    needs = models.TextField(_("需求"), blank=True)
    is_active = models.BooleanField(_("在册"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("登记人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("登记时间"))
    # The repeat radar's keyed hashes (disputes.radar_keys): the link to parties.
    phone_key = models.CharField(max_length=32, blank=True, default="", editable=False)
    id_key = models.CharField(max_length=32, blank=True, default="", editable=False)

    class Meta:
        verbose_name = _("关爱对象")
        verbose_name_plural = _("关爱对象")
        ordering = ["community_id", "name", "pk"]
        indexes = [
            models.Index(fields=["community", "kind"], name="care_subject_community"),
            models.Index(fields=["phone_key"], condition=~Q(phone_key=""), name="care_phone_key"),
            models.Index(fields=["id_key"], condition=~Q(id_key=""), name="care_id_key"),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        self.phone_key = phone_key(self.phone)
        self.id_key = id_number_key(self.id_number)
        fields = kwargs.get("update_fields")
        if fields is not None:
            kwargs["update_fields"] = {*fields, "phone_key", "id_key"}
        super().save(*args, **kwargs)


class CareVisit(models.Model):
    """One care visit (关爱走访): who went, when, how the person is, needs found."""

    subject = models.ForeignKey(
        CareSubject, verbose_name=_("关爱对象"), on_delete=models.CASCADE, related_name="visits"
    )
    visited_at = models.DateTimeField(_("走访时间"))
    visited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("走访人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    condition = models.TextField(_("状况"))
    needs_found = models.TextField(_("发现的需求"), blank=True)
    on_time = models.BooleanField(_("按时"), null=True, editable=False)
    recorded_at = models.DateTimeField(_("记录时间"))

    class Meta:
        verbose_name = _("关爱走访")
        verbose_name_plural = _("关爱走访")
        ordering = ["subject", "-visited_at", "-pk"]
        indexes = [models.Index(fields=["visited_at"], name="care_visit_at")]

    def __str__(self) -> str:
        return f"{self.subject_id} {self.visited_at:%Y-%m-%d}"


class AidKind(models.TextChoices):
    FUNDRAISING = "fundraising", _("募捐")
    HOSPITAL = "hospital", _("送医")
    CIVIL_AFFAIRS = "civil_affairs", _("转介民政")
    RESIDENTS = "residents", _("转介居委会")
    OTHER = "other", _("其他")


class CareAid(models.Model):
    """One aid record (帮扶记录): what was done, how much money (yuan), the outcome."""

    subject = models.ForeignKey(
        CareSubject, verbose_name=_("关爱对象"), on_delete=models.CASCADE, related_name="aids"
    )
    kind = models.CharField(_("帮扶类型"), max_length=16, choices=AidKind.choices)
    amount = models.DecimalField(
        _("金额（元）"),
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0"))],
    )
    given_on = models.DateField(_("日期"))
    outcome = models.TextField(_("结果"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("记录人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    recorded_at = models.DateTimeField(_("记录时间"))

    class Meta:
        verbose_name = _("帮扶记录")
        verbose_name_plural = _("帮扶记录")
        ordering = ["subject", "-given_on", "-pk"]
        indexes = [models.Index(fields=["given_on"], name="care_aid_on")]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__isnull=True) | Q(amount__gte=0), name="care_aid_amount_positive"
            )
        ]

    def __str__(self) -> str:
        return f"{self.subject_id} {self.get_kind_display()}"
