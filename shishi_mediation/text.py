"""Small shared presentation helpers."""

from datetime import datetime

from django.utils import timezone


def display_name(user) -> str:
    """Chinese order: surname then given name (张宏), else the username."""
    if user is None:
        return ""
    return f"{user.last_name}{user.first_name}".strip() or user.get_username()


def local_iso(moment: datetime | None) -> str | None:
    """ISO-8601 in Asia/Shanghai, so stored event data reads the same whoever wrote it."""
    return timezone.localtime(moment).isoformat() if moment else None
