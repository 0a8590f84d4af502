"""Starting, meeting and ending a deadline. Call them inside the caller's transaction,
with the thing the deadline is on locked or just written."""

from datetime import datetime

from notifications.levels import EscalationLevel, escalation_fire_at

from .kinds import kind_of
from .models import Deadline


def _open(kind: str, subject_id: int):
    return Deadline.objects.select_for_update().filter(
        kind=kind, subject_id=subject_id, met_at__isnull=True, ended_at__isnull=True
    )


def deadline_start(
    *, kind: str, subject_id: int, at: datetime, due: datetime, unit_id: int | None = None
) -> Deadline:
    """Start a deadline due at ``due``; an open one of the same thing ends first."""
    kind_of(kind)  # a kind nobody declared is a programming error
    if due <= at:
        raise ValueError("a deadline is due after it starts")
    _open(kind, subject_id).update(ended_at=at, fire_at=None)
    limit = due - at
    return Deadline.objects.create(
        kind=kind,
        subject_id=subject_id,
        unit_id=unit_id,
        started_at=at,
        due_at=due,
        limit=limit,
        fire_at=escalation_fire_at(due=due, limit=limit, level=EscalationLevel.WARNING),
    )


def deadline_meet(*, kind: str, subject_id: int, at: datetime) -> Deadline | None:
    """Meet the open deadline, on time if at or before its due time; None if none runs."""
    deadline = _open(kind, subject_id).first()
    if deadline is None:
        return None
    deadline.met_at = at
    deadline.on_time = at <= deadline.due_at
    deadline.fire_at = None
    deadline.save(update_fields=["met_at", "on_time", "fire_at"])
    return deadline


def deadline_end(*, kind: str, subject_id: int, at: datetime) -> None:
    """Stop the open deadline without meeting it (the thing was withdrawn)."""
    _open(kind, subject_id).update(ended_at=at, fire_at=None)
