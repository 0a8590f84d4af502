"""Results back to the command system (警情结果回传, 110): what became of the order born
of an incident (an order some ``Incident.order`` points to).

When such an order is **signed** and when it **ends** (closed, cancelled, merged into
another), each incident pointing to it gets one ``IncidentResultMessage`` in the same
transaction as the change: at most one per (incident, event), its body frozen then. The
rows are the outbox: sent after commit (the kick) and by the periodic task (every
minute) through ``notifications.delivery.deliver_rows_due`` with the outbox's retries
and backoff, POSTed as JSON to ``COMMAND_RESULT_URL`` and signed with HMAC-SHA256 over
the timestamp and the exact body (``COMMAND_RESULT_SECRET``). The contract is in
docs/API.md, "Results back to the command system".

Without a URL and a secret nothing is sent and nothing is logged: the rows wait,
pending, and go out in order once both are set (a system check warns when only one is).

Systems that poll read the same result, as it stands now, at
``GET /api/v1/incidents/{number}/result/`` (``incident_result``).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime

from celery import signature
from django.conf import settings
from django.core import checks
from django.db import transaction
from django.utils import translation

from notifications.delivery import OUTBOX_FIELDS, DeliveryResult, deliver_rows_due
from notifications.services import kick
from notifications.signed_post import PostFailed, PostRejected, post_signed
from shishi_mediation.text import SHANGHAI, local_iso

from .models import Incident, IncidentResultEvent, IncidentResultMessage, Order

TASK = "disputes.deliver_incident_results"
# The labels sent are the command system's language whatever the acting user's.
LABEL_LANGUAGE = "zh-hans"


def results_configured() -> bool:
    """Both the endpoint and the secret are set: results are sent (never unsigned)."""
    return bool(settings.COMMAND_RESULT_URL and settings.COMMAND_RESULT_SECRET)


@checks.register(checks.Tags.security)
def result_endpoint_check(app_configs, **kwargs):
    """Half a configuration sends nothing, so it is flagged. None at all is a choice (an
    installation whose command system does not take results)."""
    url, secret = settings.COMMAND_RESULT_URL, settings.COMMAND_RESULT_SECRET
    if bool(url) != bool(secret):
        return [
            checks.Warning(
                "Only one of COMMAND_RESULT_URL / COMMAND_RESULT_SECRET is set: results to "
                "the command system wait in their outbox, unsent.",
                id="disputes.W101",
            )
        ]
    return []


# --- the result --------------------------------------------------------------------------------


def _code_label(code: str, label) -> dict[str, str] | None:
    return {"code": code, "label": str(label)} if code else None


def _order_result(order: Order, *, ended_at: datetime | None, merged_into: str | None) -> dict:
    unit = order.lead_unit
    return {
        "number": order.number,
        "state": _code_label(order.state, order.get_state_display()),
        "outcome": _code_label(order.outcome, order.get_outcome_display()),
        "lead_unit": {"id": unit.pk, "name": unit.name} if unit is not None else None,
        "reported_at": local_iso(order.reported_at, SHANGHAI),
        "dispatched_at": local_iso(order.dispatched_at, SHANGHAI),
        "signed_at": local_iso(order.signed_at, SHANGHAI),
        "closed_at": local_iso(order.closed_at, SHANGHAI),
        "cancelled_at": local_iso(order.cancelled_at, SHANGHAI),
        "ended_at": local_iso(ended_at or order.closed_at or order.cancelled_at, SHANGHAI),
        "merged_into": merged_into,
    }


def incident_result(
    incident: Incident,
    *,
    order: Order | None = None,
    ended_at: datetime | None = None,
    merged_into: str | None = None,
) -> dict:
    """The incident's result as it stands: its number and received time, and its order
    (number, state and outcome as code and Chinese label, lead unit, the times of each
    step) or None while it has none. ``order`` is the order as the caller holds it (in a
    transition, before it is saved); by default the incident's own."""
    if order is None and incident.order_id is not None:
        order = incident.order
    with translation.override(LABEL_LANGUAGE):
        return {
            "incident": {
                "number": incident.number,
                "received_at": local_iso(incident.received_at, SHANGHAI),
            },
            "order": (
                _order_result(order, ended_at=ended_at, merged_into=merged_into)
                if order is not None
                else None
            ),
        }


# --- queueing (inside the order's transaction) ---------------------------------------------------


def incident_results_queue(
    order: Order,
    *,
    event: str,
    now: datetime,
    merged_into: Order | None = None,
) -> int:
    """Queue ``event`` ("signed" or "ended") of ``order`` for each incident it was born
    of, in the caller's transaction (the services call it where the order is signed,
    closed or cancelled; ``incident_results_merged`` where it is merged). An incident
    that already has this event queued gets nothing: a second signing (after a return)
    never sends twice. Returns how many were queued; an order no incident points to
    costs one indexed query."""
    incidents = list(Incident.objects.filter(order_id=order.pk).order_by("pk"))
    if not incidents:
        return 0
    done = set(
        IncidentResultMessage.objects.filter(incident__in=incidents, event=event).values_list(
            "incident_id", flat=True
        )
    )
    rows = [
        IncidentResultMessage(
            incident=incident,
            order=order,
            event=event,
            payload=_message_payload(
                incident, order=order, event=event, now=now, merged_into=merged_into
            ),
            created_at=now,
            next_attempt_at=now,
        )
        for incident in incidents
        if incident.pk not in done
    ]
    # A concurrent writer of the same (incident, event) loses quietly on the unique index.
    IncidentResultMessage.objects.bulk_create(rows, ignore_conflicts=True)
    if rows and results_configured():
        transaction.on_commit(kick_results)
    return len(rows)


def incident_results_merged(order: Order, *, into: Order, now: datetime) -> int:
    """The duplicate ``order`` was merged into ``into`` and so ends: its incidents hear
    "ended" with ``merged_into`` set to the kept order's number. Call it in the merge's
    transaction, after the duplicate's state has changed."""
    return incident_results_queue(order, event=IncidentResultEvent.ENDED, now=now, merged_into=into)


def _message_payload(
    incident: Incident, *, order: Order, event: str, now: datetime, merged_into: Order | None
) -> dict:
    ended = event == IncidentResultEvent.ENDED
    result = incident_result(
        incident,
        order=order,
        ended_at=now if ended else None,
        merged_into=merged_into.number if merged_into is not None else None,
    )
    # The id is filled in by ``message_body`` from the row, so it is never stored twice.
    return {"event": event, "occurred_at": local_iso(now, SHANGHAI), **result}


def kick_results() -> None:
    """Ask a worker to send the queued results now (by the task's name: the tasks module
    imports this one)."""
    kick(signature(TASK), what="incident result delivery")


def incident_results_requeue(messages: Iterable[IncidentResultMessage], *, now: datetime) -> int:
    """Send failed results again (the admin's action): pending, due now, attempts from
    zero, the same id and body, so a receiver that did get one deduplicates it."""
    ids = [m.pk for m in messages if m.status == IncidentResultMessage.Status.FAILED]
    count = IncidentResultMessage.objects.filter(
        pk__in=ids, status=IncidentResultMessage.Status.FAILED
    ).update(
        status=IncidentResultMessage.Status.PENDING,
        attempts=0,
        next_attempt_at=now,
        last_error="",
        response_status=None,
    )
    if count and results_configured():
        transaction.on_commit(kick_results)
    return count


# --- sending (the signed POST itself: ``notifications.signed_post``) ---------------------------


def message_body(message: IncidentResultMessage) -> bytes:
    """The exact bytes POSTed: the frozen payload with the message's id, UTF-8 JSON with
    sorted keys, so every attempt sends the same bytes."""
    data = {"id": str(message.message_id), **message.payload}
    return json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def send_result(message: IncidentResultMessage) -> None:
    """POST one result, signed (``notifications.signed_post``). Returns when the receiver
    answered 2xx; raises to have it retried (network errors, timeouts, 3xx, 5xx, 408,
    429) or failed at once (any other 4xx). The receiver's status is kept on the row."""
    try:
        message.response_status = post_signed(
            url=settings.COMMAND_RESULT_URL,
            secret=settings.COMMAND_RESULT_SECRET,
            body=message_body(message),
            key=str(message.message_id),
            event=message.event,
            timeout=settings.COMMAND_RESULT_TIMEOUT,
        )
    except (PostRejected, PostFailed) as exc:
        message.response_status = exc.status
        raise


def _describe(message: IncidentResultMessage) -> tuple[str, str | None]:
    number = (message.payload.get("order") or {}).get("number")
    return f"incident result {message.pk} ({message.event}, order {number or '-'})", number


def deliver_results_due(*, now: datetime, batch_size: int = 100) -> DeliveryResult:
    """Send the results due by ``now`` (the task, after commit and every minute). Two
    workers share the rows (SKIP LOCKED). Not configured: nothing is tried, the rows
    wait."""
    if not results_configured():
        return DeliveryResult()
    return deliver_rows_due(
        IncidentResultMessage.objects.all(),
        send=send_result,
        describe=_describe,
        fields=(*OUTBOX_FIELDS, "response_status"),
        now=now,
        batch_size=batch_size,
    )
