"""The bookkeeping of clock pauses (暂停计时, ``disputes.ClockPause``) that the transition
path does under the order's row lock: which pause of an order is open, how long one was
paused, and ending the pauses of a clock that stopped. The services that ask for, decide
and end a pause are in ``disputes.services``.

A pause's time counts in whole minutes, a started minute as paused: approval moves the
clock's due time by the minutes asked, ending it early moves it back by the minutes not
used, so the due time always stands moved by exactly ``paused_minutes``.
"""

import math
from datetime import datetime

from django.db.models import F

from .models import ClockPause, Order
from .stages import CLOCK

PauseState = ClockPause.PauseState
OPEN_STATES = (PauseState.REQUESTED, PauseState.APPROVED)


def minutes_paused(pause: ClockPause, at: datetime) -> int:
    """The whole minutes ``pause`` was paused if it ends at ``at`` (a started minute
    counts), between none and the minutes approved."""
    seconds = (at - pause.started_at).total_seconds()
    return max(0, min(pause.requested_minutes, math.ceil(seconds / 60)))


def close_expired(*, order: Order, now: datetime) -> None:
    """Approved pauses whose time is up by ``now`` are over: ended at their end, their
    whole time paused (the due time already stands moved by it)."""
    ClockPause.objects.filter(
        order=order, state=PauseState.APPROVED, ends_at__lte=now, ended_at__isnull=True
    ).update(state=PauseState.ENDED, ended_at=F("ends_at"))


def end_pauses(*, order: Order, stages: set[str], now: datetime) -> list[str]:
    """The clocks ``stages`` of ``order`` stopped in the transition at ``now`` (met,
    returned to the queue, cancelled): a pause asked for lapses; one running ends at the
    moment the clock was met (or now), recording the minutes actually paused. Its unused
    minutes are not given back: the clock no longer runs. Returns the stages whose pause
    was running."""
    if not stages:
        return []
    running = []
    for pause in ClockPause.objects.filter(order=order, stage__in=stages, state__in=OPEN_STATES):
        if pause.state == PauseState.REQUESTED:
            pause.state, pause.ended_at = PauseState.LAPSED, now
        else:
            met = getattr(order, CLOCK[pause.stage].stops) or now
            at = min(max(met, pause.started_at), pause.ends_at)
            pause.state, pause.ended_at = PauseState.ENDED, at
            pause.paused_minutes = minutes_paused(pause, at)
            if pause.ends_at > met:
                running.append(pause.stage)
        pause.save(update_fields=["state", "ended_at", "paused_minutes"])
    return running


def open_pause(order: Order, *, stage: str | None = None, state: str, now: datetime):
    """The order's pause in ``state`` (requested, or approved and running at ``now``),
    of ``stage`` if given; None if there is none. ``ValueError`` when several are and no
    stage says which."""
    pauses = [
        p
        for p in ClockPause.objects.filter(order=order, state=state)
        if (stage is None or p.stage == stage)
        and (state != PauseState.APPROVED or p.is_running(now))
    ]
    if len(pauses) > 1:
        raise ValueError("several")
    return pauses[0] if pauses else None
