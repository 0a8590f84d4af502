"""Writes on dispatch-side records that are not order transitions."""

from datetime import datetime

from django.utils import timezone

from .models import Notification


def notifications_mark_read(
    *, user, ids: list[int] | None = None, now: datetime | None = None
) -> int:
    """Mark the user's own notifications read (all unread ones when ``ids`` is None)."""
    qs = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if ids is not None:
        qs = qs.filter(pk__in=ids)
    return qs.update(read_at=now or timezone.now())
