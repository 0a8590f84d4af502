"""What the management commands that act "as of" a time share."""

from datetime import datetime

from django.core.management.base import CommandError
from django.utils import timezone
from django.utils.dateparse import parse_datetime


def add_now_argument(parser, *, what: str) -> None:
    parser.add_argument(
        "--now",
        help=f"ISO time to {what} as of, e.g. 2026-11-29T10:00+08:00 (default: now). "
        "A naive time is read in Asia/Shanghai.",
    )


def parse_now(value: str | None) -> datetime:
    """``--now`` as an aware time (now when not given); a bad value is a CommandError."""
    if not value:
        return timezone.now()
    moment = parse_datetime(value)
    if moment is None:
        raise CommandError(f"--now: not an ISO date-time: {value!r}")
    return timezone.make_aware(moment) if timezone.is_naive(moment) else moment
