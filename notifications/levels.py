"""The levels of a clock's escalation, as the notices name them. Notices of an
escalation have the kind ``escalation_<level>``; the inbox filters and badges by it."""

from datetime import datetime, timedelta

from django.db import models
from django.utils.translation import gettext_lazy as _


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
    level 2 when overdue by the limit again. Order clocks, duties and deadlines alike."""
    if level == EscalationLevel.WARNING:
        return due - limit / 5
    if level == EscalationLevel.LEVEL1:
        return due
    return due + limit


def urgency(*, due: datetime, limit: timedelta | None, now: datetime) -> str:
    """On time ("ok"), "warning" once 80% of the limit has passed, "overdue" after the
    deadline: a countdown's colour."""
    if now > due:
        return "overdue"
    if limit and now >= escalation_fire_at(due=due, limit=limit, level=EscalationLevel.WARNING):
        return "warning"
    return "ok"
