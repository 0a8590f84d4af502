"""How each recipient can be reached: their channel preferences, their quiet hours and
what is possible (an address for e-mail, a mobile number for SMS, a device for Web Push).
Read for a whole batch of recipients in one query."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef

from shishi_mediation.text import SHANGHAI
from shishi_mediation.validators import MOBILE_RE

from .levels import notice_level
from .models import PushSubscription

# The notices on the critical path of a clock: a new report to dispatch, an order to sign
# (new or reassigned, or an assisting unit's part), an order returned to the dispatch
# clock, a return to review (its 30-minute clock), and every escalation level (warning,
# level 1, level 2). They ignore quiet hours.
CRITICAL_KINDS = frozenset(
    {"reported", "returned", "return_requested", "dispatched", "reassigned", "assist"}
)


def is_critical(kind: str) -> bool:
    return kind in CRITICAL_KINDS or notice_level(kind) is not None


@dataclass(frozen=True, slots=True)
class Reach:
    """One recipient: the channels they want and can be reached on, and quiet hours."""

    wants: frozenset[str]
    possible: frozenset[str]
    quiet_start: time | None = None
    quiet_end: time | None = None

    def quiet_until(self, now: datetime) -> datetime | None:
        """The end of the quiet hours ``now`` falls in (Asia/Shanghai), else None."""
        return quiet_until(now=now, start=self.quiet_start, end=self.quiet_end)


# No row in NotificationPreference: every channel, no quiet hours.
NOBODY = Reach(wants=frozenset(), possible=frozenset())


def quiet_until(*, now: datetime, start: time | None, end: time | None) -> datetime | None:
    """When the quiet window [start, end) that ``now`` is in ends, or None when ``now`` is
    outside it (or there is no window). A window whose start is after its end wraps
    midnight (22:00–07:00); start == end is no window at all."""
    if start is None or end is None or start == end:
        return None
    local = now.astimezone(SHANGHAI)
    t = local.time().replace(tzinfo=None)
    if start < end:
        inside, day = start <= t < end, local.date()
    elif t >= start:  # the evening part of a window that wraps: it ends tomorrow
        inside, day = True, local.date() + timedelta(days=1)
    else:
        inside, day = t < end, local.date()
    if not inside:
        return None
    return datetime.combine(day, end, tzinfo=SHANGHAI)


def reach_of(user_ids: Iterable[int]) -> dict[int, Reach]:
    """Each user's ``Reach``, by id: one query with the preferences,
    the profile's phone and whether a push subscription exists."""
    ids = set(user_ids)
    if not ids:
        return {}
    rows = (
        get_user_model()
        .objects.filter(pk__in=ids)
        .annotate(has_push=Exists(PushSubscription.objects.filter(user=OuterRef("pk"))))
        .values_list(
            "pk",
            "email",
            "profile__phone",
            "has_push",
            "notification_preference__email",
            "notification_preference__sms",
            "notification_preference__webpush",
            "notification_preference__quiet_start",
            "notification_preference__quiet_end",
        )
    )
    reach = {}
    for pk, email, phone, has_push, *prefs, start, end in rows:
        wants = {"email", "sms", "webpush"}
        if prefs[0] is not None:  # a preference row exists
            wants = {c for c, on in zip(("email", "sms", "webpush"), prefs, strict=True) if on}
        possible = {
            c
            for c, ok in (
                ("email", bool(email)),
                ("sms", bool(phone and MOBILE_RE.match(phone))),
                ("webpush", has_push),
            )
            if ok
        }
        reach[pk] = Reach(frozenset(wants), frozenset(possible), start, end)
    return reach
