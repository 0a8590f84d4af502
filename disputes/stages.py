"""The order's clocks (stages): what each is called and when its levels fire."""

from datetime import datetime, timedelta

from django.db import models
from django.utils.translation import gettext_lazy as _

from notifications.levels import EscalationLevel


class Stage(models.TextChoices):
    SIGN = "sign", _("签收")
    CONTACT = "contact", _("联系当事人")
    MEET = "meet", _("见面调解")


def escalation_fire_at(*, due: datetime, limit: timedelta, level: int) -> datetime:
    """When a level fires: the warning at 80% of the limit, level 1 at the deadline,
    level 2 when overdue by the limit again."""
    if level == EscalationLevel.WARNING:
        return due - limit / 5
    if level == EscalationLevel.LEVEL1:
        return due
    return due + limit
