"""Small shared presentation helpers."""

from datetime import datetime, tzinfo

from django.utils import timezone


def display_name(user) -> str:
    """Chinese order: surname then given name (张宏), else the username."""
    if user is None:
        return ""
    return f"{user.last_name}{user.first_name}".strip() or user.get_username()


def local_iso(moment: datetime | None, tz: tzinfo | None = None) -> str | None:
    """ISO-8601 in Asia/Shanghai, so stored event data reads the same whoever wrote it.
    (Loops pass ``tz``: looking up the current time zone costs more than converting.)"""
    if not moment:
        return None
    return moment.astimezone(tz or timezone.get_current_timezone()).isoformat()
