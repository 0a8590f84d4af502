from datetime import datetime

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from notifications.levels import urgency as _urgency

from .models import Deadline


def open_deadline(kind: str, subject_id: int) -> Deadline | None:
    return Deadline.objects.filter(
        kind=kind, subject_id=subject_id, met_at__isnull=True, ended_at__isnull=True
    ).first()


def urgency(deadline: Deadline, now: datetime | None = None) -> str:
    """ "ok", "warning" (past 80% of the limit) or "overdue", as countdowns colour it."""
    return _urgency(due=deadline.due_at, limit=deadline.limit, now=now or timezone.now())


def figures(deadlines: QuerySet, now: datetime | None = None) -> dict[str, int]:
    """On time, late (met after due), open past due, and open, by one aggregate.
    Ended (withdrawn) deadlines count in none."""
    now = now or timezone.now()
    running = Q(met_at__isnull=True, ended_at__isnull=True)
    counts = deadlines.aggregate(
        n_on_time=Count("pk", filter=Q(on_time=True)),
        n_late=Count("pk", filter=Q(on_time=False)),
        n_overdue_open=Count("pk", filter=running & Q(due_at__lt=now)),
        n_open=Count("pk", filter=running),
    )
    return {name.removeprefix("n_"): value for name, value in counts.items()}
