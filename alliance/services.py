"""Writes of the mediation alliance: joint activities (联合活动)."""

from datetime import date, datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dispatch.models import Membership, Role, Unit
from shishi_mediation.errors import Forbidden, InvalidInput
from shishi_mediation.text import visible_text

from .models import ActivityKind, JointActivity
from .selectors import can_record_activity

PEOPLE_SERVED_MAX = 100_000


def activity_record(
    *,
    actor,
    day: date | None,
    kind: str,
    title: str,
    organiser_id: int | None,
    unit_ids: list[int],
    member_ids: list[int],
    people_served: int | None,
    place: str = "",
    note: str = "",
    now: datetime | None = None,
) -> JointActivity:
    """Record a joint activity: a street center's dispatcher or head (or an admin) only
    (``Forbidden``). The participants are social-force units and their volunteers; a
    day in the future, an unknown kind or unit, or a volunteer of no participating unit
    is ``InvalidInput`` on its field."""
    now = now or timezone.now()
    if not can_record_activity(actor):
        raise Forbidden(_("只有调处中心可以登记联合活动。"))
    errors: dict[str, str] = {}
    title = visible_text(title or "").strip()
    if day is None:
        errors["date"] = _("请填写日期。")
    elif day > timezone.localdate(now):
        errors["date"] = _("活动日期不能晚于今天。")
    if kind not in ActivityKind.values:
        errors["kind"] = _("请选择活动类型。")
    if not title:
        errors["title"] = _("请填写活动名称。")
    if people_served is None or not 0 <= people_served <= PEOPLE_SERVED_MAX:
        errors["people_served"] = _("请填写服务人数。")
    organiser = Unit.objects.filter(pk=organiser_id, is_active=True).first()
    if organiser is None:
        errors["organiser"] = _("请选择组织单位。")
    unit_ids = sorted(set(unit_ids))
    units = list(Unit.objects.filter(pk__in=unit_ids, kind=Unit.Kind.SOCIAL_FORCE, is_active=True))
    if len(units) != len(unit_ids):
        errors["units"] = _("参与单位须为启用的社会力量单位。")
    member_ids = sorted(set(member_ids))
    allowed = set(
        Membership.objects.filter(
            role=Role.VOLUNTEER, unit_id__in=unit_ids, user_id__in=member_ids
        ).values_list("user_id", flat=True)
    )
    if set(member_ids) - allowed:
        errors["members"] = _("参与志愿者须属于参与单位。")
    if errors:
        raise InvalidInput(errors)
    with transaction.atomic():
        activity = JointActivity.objects.create(
            date=day,
            kind=kind,
            title=title[:100],
            organiser=organiser,
            people_served=people_served,
            place=(place or "").strip()[:200],
            note=(note or "").strip(),
            created_by=actor,
            created_at=now,
        )
        activity.units.set(units)
        activity.members.set(member_ids)
    return activity
