"""Raises the warning and escalation levels of running deadlines, each once.

A batch locks due rows (SKIP LOCKED: two sweeps take different rows), raises the highest
level that has come due (a sweep after downtime tells of where things stand, not of every
level missed), moves ``fire_at`` to the next level or clears it after the last, and
writes the notices in the same transaction."""

import logging
from datetime import datetime

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from notifications.levels import EscalationLevel, escalation_fire_at, escalation_notice_kind
from notifications.services import notify

from .kinds import KINDS
from .models import Deadline

log = logging.getLogger(__name__)

BATCH_SIZE = 500
LAST_LEVEL = EscalationLevel.LEVEL2


def sweep(now: datetime | None = None, batch_size: int = BATCH_SIZE) -> int:
    """Raise everything due by ``now``; the number of levels raised."""
    now = now or timezone.now()
    raised = 0
    while True:
        with transaction.atomic():
            rows = list(
                Deadline.objects.select_for_update(skip_locked=True)
                .filter(fire_at__lte=now)
                .order_by("fire_at", "pk")[:batch_size]
            )
            for deadline in rows:
                _raise(deadline, now)
            raised += len(rows)
        if len(rows) < batch_size:
            return raised


def _fire_at(deadline: Deadline, level: int) -> datetime:
    return escalation_fire_at(due=deadline.due_at, limit=deadline.limit, level=level)


def _raise(deadline: Deadline, now: datetime) -> None:
    kind = KINDS.get(deadline.kind)
    if kind is None:  # its app is gone: stop sweeping it rather than the whole batch
        log.error(
            "deadline %s of undeclared kind %r is no longer swept", deadline.pk, deadline.kind
        )
        deadline.fire_at = None
        deadline.save(update_fields=["fire_at"])
        return
    level = EscalationLevel.WARNING if deadline.level is None else deadline.level + 1
    while level < LAST_LEVEL and _fire_at(deadline, level + 1) <= now:
        level += 1
    deadline.level = level
    deadline.fire_at = _fire_at(deadline, level + 1) if level < LAST_LEVEL else None
    deadline.save(update_fields=["level", "fire_at"])
    text, link = kind.describe(deadline)
    users = get_user_model().objects.filter(pk__in=set(kind.told(deadline, level)), is_active=True)
    notify(
        recipients=users,
        order=None,
        kind=escalation_notice_kind(level),
        subject=_("%(kind)s%(level)s：%(text)s")
        % {"kind": kind.label, "level": EscalationLevel(level).label, "text": text},
        link=link,
        now=now,
    )
