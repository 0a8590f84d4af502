"""Assisting units' parts (协办, ``models.Assistance``) as the order's transitions move
them: sent with a dispatch or a reassignment, added by the center, withdrawn when the
order goes back to the queue. Called inside the order's transition (the order locked).

Each part has two duties (``stages.DUTIES``): ``assist_sign``, the signing limit from
when the unit was sent (again from a reassignment while it has not signed), and
``assist_opinion``, due at the order's meeting deadline from when both the unit and the
lead unit have signed.
"""

from collections.abc import Iterable
from datetime import datetime

from dispatch.models import Unit

from .duties import duties_end, duty_meet, duty_start
from .models import Assistance, Duty, Order, SlaPolicy


def assistances_running(order: Order) -> list[Assistance]:
    return list(order.assistances.filter(ended_at__isnull=True).select_related("unit"))


def _send(order: Order, unit: Unit, *, at: datetime, policy: SlaPolicy) -> Assistance:
    duty = duty_start(
        order=order,
        kind="assist_sign",
        unit_id=unit.pk,
        at=at,
        limit=policy.duty_limit("assist_sign"),
    )
    return Assistance.objects.create(order=order, unit=unit, started_at=at, sign_duty=duty)


def _duties_of(parts: Iterable[Assistance]) -> list[Duty]:
    return [d for a in parts for d in (a.sign_duty, a.opinion_duty) if d is not None]


def assistances_route(
    order: Order, units: list[Unit], *, at: datetime, policy: SlaPolicy
) -> list[Unit]:
    """The order was dispatched or reassigned with these assisting units: parts of units
    no longer wanted are withdrawn, new units are sent, and a kept unit that has not
    signed signs again from now (its limit restarts with the lead unit's). Returns the
    units to tell: all that must sign."""
    running = {
        a.unit_id: a
        for a in order.assistances.filter(ended_at__isnull=True).select_related(
            "sign_duty", "opinion_duty"
        )
    }
    wanted = {u.pk: u for u in units}
    dropped = [a for pk, a in running.items() if pk not in wanted]
    restarted = [a for pk, a in running.items() if pk in wanted and a.signed_at is None]
    _withdraw(dropped, at=at)
    duties_end([a.sign_duty for a in restarted if a.sign_duty], at=at)
    for part in restarted:
        part.sign_duty = duty_start(
            order=order,
            kind="assist_sign",
            unit_id=part.unit_id,
            at=at,
            limit=policy.duty_limit("assist_sign"),
        )
        part.save(update_fields=["sign_duty"])
    for pk, unit in wanted.items():
        if pk not in running:
            _send(order, unit, at=at, policy=policy)
    return [u for pk, u in wanted.items() if pk not in running or running[pk].signed_at is None]


def assistances_add(
    order: Order, units: list[Unit], *, at: datetime, policy: SlaPolicy
) -> list[Assistance]:
    """The center adds assisting units to an order already dispatched (e.g. asked by
    the lead unit): each is sent as at dispatch; once the lead has signed, its opinion
    falls due at the meeting deadline after it signs."""
    return [_send(order, unit, at=at, policy=policy) for unit in units]


def assistances_withdraw_all(order: Order, *, at: datetime) -> None:
    """The order went back to the queue: every running part is withdrawn."""
    _withdraw(
        list(
            order.assistances.filter(ended_at__isnull=True).select_related(
                "sign_duty", "opinion_duty"
            )
        ),
        at=at,
    )


def _withdraw(parts: list[Assistance], *, at: datetime) -> None:
    if not parts:
        return
    duties_end(_duties_of(parts), at=at)
    Assistance.objects.filter(pk__in=[a.pk for a in parts]).update(ended_at=at)


def assistance_sign(order: Order, part: Assistance, *, by, at: datetime) -> bool | None:
    """The assisting unit signs for its part: its signing duty is met (on time or not:
    returned; None for a part sent before clocks existed); if the lead unit has signed,
    its opinion falls due."""
    part.signed_at, part.signed_by = at, by
    on_time = (
        duty_meet(part.sign_duty, at=at) if part.sign_duty and part.sign_duty.is_running else None
    )
    part.save(update_fields=["signed_at", "signed_by"])
    if order.signed_at is not None:
        _opinion_due(order, part, at=at)
    return on_time


def assistances_lead_signed(order: Order, *, at: datetime) -> None:
    """The lead unit signed: the parts already signed owe their opinion by the meeting
    deadline."""
    for part in order.assistances.filter(
        ended_at__isnull=True, signed_at__isnull=False, opinion_duty__isnull=True, opinion_at=None
    ):
        _opinion_due(order, part, at=at)


def _opinion_due(order: Order, part: Assistance, *, at: datetime) -> None:
    if part.opinion_duty_id is not None or part.opinion_at is not None:
        return
    if order.meet_due_at is None or order.meet_limit is None:
        return
    part.opinion_duty = duty_start(
        order=order,
        kind="assist_opinion",
        unit_id=part.unit_id,
        at=at,
        limit=order.meet_limit,
        due=order.meet_due_at,
    )
    part.save(update_fields=["opinion_duty"])


def assistance_opinion(part: Assistance, *, by, at: datetime, text: str) -> bool | None:
    """The assisting unit files its opinion: its opinion duty is met, if it runs."""
    part.opinion, part.opinion_at, part.opinion_by = text, at, by
    part.save(update_fields=["opinion", "opinion_at", "opinion_by"])
    duty = part.opinion_duty
    return duty_meet(duty, at=at) if duty is not None and duty.is_running else None
