"""Referrals that are followed (移交跟踪).

A case closed with a referral (``Order.referral``: 诉讼, 仲裁, 信访, 诉调对接, or 司法确认
of a mediated agreement) is followed by its lead unit: closing starts the ``referral``
duty (``stages.DUTIES``, ``SlaPolicy.referral_minutes``, 30 days by default), owed by the
lead unit and running after the order is closed (``after_close``). The unit records what
the receiving body made of it (``ReferralResult``: body, case number, outcome, date) with
``services.order_record_referral_result``.

**What meets the duty: the first result, interim or final.** The clock measures that the
unit followed the case to the body that received it within the limit: that the court
filed it (立案, with its case number), the arbitration commission or the petition office
accepted it, or that it was already disposed of. A lawsuit takes months to judge (three
to six under the Civil Procedure Law), longer than any follow-up limit worth escalating,
so waiting for the judgment would make every court referral late. An interim result
(已立案/受理) is therefore followed by more results until a final one, which finishes
the follow-up: after it nothing more is recorded (409). The report counts referrals by
their latest outcome, so one still awaiting its final result shows as 已立案/受理.

Here: the start at closing (called from the close path), the rule of which referral goes
with which outcome, the checks on a result, and what the order page and the API show.
"""

from dataclasses import dataclass
from datetime import date, datetime

from django.utils import timezone
from django.utils.translation import gettext as _

from shishi_mediation.errors import Conflict, InvalidInput

from .duties import duty_data, duty_meet, duty_start
from .models import Duty, Order, Outcome, Referral, ReferralOutcome, ReferralResult
from .selectors import sla_policy_for

# Outcomes after which a case may be referred, per kind of referral: 司法确认 confirms a
# mediated agreement; the other kinds take a case mediation did not settle.
AGREED = frozenset({Outcome.MEDIATED, Outcome.PARTLY_MEDIATED})
# Results only a court's 司法确认 gives.
CONFIRMATION_OUTCOMES = frozenset({ReferralOutcome.CONFIRMED, ReferralOutcome.NOT_CONFIRMED})
# Results a body gives with its own case number (案号).
NUMBERED_OUTCOMES = frozenset(
    {
        ReferralOutcome.ACCEPTED,
        ReferralOutcome.JUDGED,
        ReferralOutcome.CONFIRMED,
        ReferralOutcome.NOT_CONFIRMED,
    }
)


def referral_fits(*, outcome: str, referral: str) -> str | None:
    """Why ``referral`` does not go with a closing's ``outcome``, or None if it does."""
    if referral == Referral.JUDICIAL_CONFIRMATION and outcome not in AGREED:
        return _("司法确认只适用于调解成功或部分调解的协议。")
    if referral and referral != Referral.JUDICIAL_CONFIRMATION and outcome in AGREED:
        return _("调解成功或部分调解的案件只能申请司法确认。")
    return None


def start_referral_follow_up(order: Order, *, now: datetime) -> dict:
    """At closing, inside the close's transition: a referred case starts the lead unit's
    ``referral`` duty (移交跟踪). Returns what the ``closed`` event records of it (nothing
    without a referral). A referral that does not fit the outcome is refused (400 on
    ``referral``) and the closing with it."""
    if not order.referral:
        return {}
    why = referral_fits(outcome=order.outcome, referral=order.referral)
    if why is not None:
        raise InvalidInput({"referral": why})
    if order.lead_unit_id is None:  # pragma: no cover - a closed order was led by a unit
        return {}
    policy = sla_policy_for(
        category_id=order.category_id, risk_level=order.risk_level, colour=order.colour
    )
    duty = duty_start(
        order=order,
        kind="referral",
        unit_id=order.lead_unit_id,
        at=now,
        limit=policy.duty_limit("referral"),
    )
    return {"referral_follow_up": duty_data(duty)}


def result_input_errors(
    *, body: str, case_number: str, outcome: str, decided_on, now: datetime
) -> dict[str, str]:
    """The checks on a result that need no order: 400 with the field named."""
    errors: dict[str, str] = {}
    if not body:
        errors["body"] = _("请填写接收机关。")
    if outcome not in ReferralOutcome.values:
        errors["outcome"] = _("移交结果无效。")
    elif outcome in NUMBERED_OUTCOMES and not case_number:
        errors["case_number"] = _("此结果须填写案号。")
    if not isinstance(decided_on, date) or isinstance(decided_on, datetime):
        errors["decided_on"] = _("请填写结果日期。")
    elif decided_on > timezone.localdate(now):
        errors["decided_on"] = _("结果日期不能晚于今天。")
    return errors


def record_result(
    order: Order,
    *,
    actor,
    body: str,
    case_number: str,
    outcome: str,
    decided_on: date,
    note: str,
    now: datetime,
) -> tuple[ReferralResult, dict]:
    """Inside the transition (the order locked): check the result against the order,
    save it and meet the duty with the first result. Returns it and the event's data."""
    if not order.referral:
        raise Conflict(_("此订单没有移交，无需记录移交结果。"), state=order.state)
    if referral_finished(order):
        raise Conflict(_("移交结果已办结，不能再记录。"), state=order.state)
    if decided_on < timezone.localdate(order.closed_at):
        raise InvalidInput({"decided_on": _("结果日期不能早于结单日期。")})
    if outcome in CONFIRMATION_OUTCOMES and order.referral != Referral.JUDICIAL_CONFIRMATION:
        raise InvalidInput({"outcome": _("只有司法确认才有此结果。")})
    result = ReferralResult.objects.create(
        order=order,
        body=body,
        case_number=case_number,
        outcome=outcome,
        decided_on=decided_on,
        note=note,
        recorded_by=actor,
        recorded_at=now,
    )
    data: dict = {
        "result_id": result.pk,
        "referral": order.referral,
        "body": body,
        "case_number": case_number,
        "outcome": outcome,
        "decided_on": decided_on.isoformat(),
        "final": result.is_final,
    }
    duty = order.duties.running().filter(kind="referral").first()
    if duty is not None:  # the first result follows the referral up
        duty_meet(duty, at=now)
        data.update(duty_data(duty))
    return result, data


def referral_finished(order: Order) -> bool:
    """Whether the order's referral has its final result (nothing more is recorded)."""
    return order.referral_results.exclude(outcome=ReferralOutcome.ACCEPTED).exists()


@dataclass(frozen=True)
class FollowUp:
    """A referred order's follow-up as the order page and the API show it."""

    referral: str
    duty: Duty | None  # None for a case closed before follow-ups existed
    results: list[ReferralResult]

    @property
    def finished(self) -> bool:
        """A final result is in: nothing more is recorded."""
        return any(r.is_final for r in self.results)

    @property
    def due_at(self) -> datetime | None:
        return self.duty.due_at if self.duty else None

    @property
    def on_time(self) -> bool | None:
        """Followed on time (True), late (False), or not yet (None)."""
        return self.duty.on_time if self.duty else None

    def overdue(self, now: datetime) -> bool:
        return self.duty is not None and self.duty.is_running and now > self.duty.due_at


def referral_follow_up(order: Order) -> FollowUp | None:
    """The follow-up of a closed, referred order; None for any other. Two queries."""
    if order.state != "closed" or not order.referral:
        return None
    duty = order.duties.filter(kind="referral").order_by("-started_at").first()
    results = list(order.referral_results.select_related("recorded_by"))
    return FollowUp(referral=order.referral, duty=duty, results=results)
