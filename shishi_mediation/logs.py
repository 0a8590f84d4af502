"""Log lines that say which order they concern, with party numbers masked (issue 8).

- ``order_log_context(number)``: every line logged inside it (from any module, and from
  ``transaction.on_commit`` callbacks run when the block's transaction commits) carries
  ``order``. The services enter it around each write to one order.
- ``request_log_context``: entered by ``RequestLogMiddleware``; lines carry the request id
  and, once authentication has run, the user id. A request remembers the last order it
  acted on, so its closing lines ("Conflict: /api/v1/orders/7/sign/") carry it too.
- ``ContextFilter`` copies those onto each record; ``MaskFilter`` masks mainland mobile
  numbers, landlines with an area code, resident ID numbers and review link tokens in
  messages and tracebacks, a safety net whatever a caller logs. gunicorn's own lines
  (its access log) pass it too: ``gunicorn.conf.py`` sets ``GunicornLogger``.
- ``JsonFormatter``: one JSON object per line (time in the project's time zone);
  ``PlainFormatter``: the same fields for a human. ``LOG_FORMAT`` picks one (settings).
"""

from __future__ import annotations

import json
import logging
import re
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

import gunicorn.glogging
from django.conf import settings
from django.utils.functional import empty

from shishi_mediation.validators import mask_id_number, mask_phone

_order: ContextVar[str | None] = ContextVar("log_order", default=None)
_request: ContextVar[RequestScope | None] = ContextVar("log_request", default=None)

CONTEXT_FIELDS = ("order", "request_id", "user_id")


@dataclass
class RequestScope:
    request_id: str
    request: object = None  # the HttpRequest, read for its user when a line is logged
    order: str | None = None  # the last order the request acted on


class order_log_context:  # noqa: N801 - used like contextlib's lower-case managers
    """``with order_log_context(number):`` … every line logged inside carries ``order``.

    When the number is known only inside the block (the row is locked first), enter it
    empty and ``bind(number)`` later: ``with order_log_context() as log_scope,
    transaction.atomic(): ...; log_scope.bind(order.number)``. Leaving the block restores
    what was there before, bound or not.
    """

    def __init__(self, order_number: str | None = None):
        self._number = order_number
        self._token = None

    def __enter__(self) -> order_log_context:
        # Entered without a number, an enclosing order context still holds until bind().
        self._token = _order.set(self._number or _order.get())
        if self._number:
            _remember(self._number)
        return self

    def bind(self, order_number: str) -> None:
        _order.set(order_number)  # reset to the value before __enter__ on exit
        _remember(order_number)

    def __exit__(self, *exc_info) -> None:
        _order.reset(self._token)


def _remember(order_number: str) -> None:
    scope = _request.get()
    if scope is not None:
        scope.order = order_number


class request_log_context:  # noqa: N801
    """The request id (and the request, for its user) for every line logged inside."""

    def __init__(self, request_id: str, request=None):
        self.scope = RequestScope(request_id=request_id, request=request)
        self._token = None

    def __enter__(self) -> RequestScope:
        self._token = _request.set(self.scope)
        return self.scope

    def __exit__(self, *exc_info) -> None:
        _request.reset(self._token)


def current_order() -> str | None:
    """The order the current line concerns: the innermost order context, else the last
    order the current request acted on."""
    number = _order.get()
    if number:
        return number
    scope = _request.get()
    return scope.order if scope is not None else None


def _user_id(request) -> int | None:
    """The authenticated user's id, if authentication has already run: never a query
    (Django's lazy user is read only once something else has loaded it; DRF sets a real
    user on the request when it authenticates)."""
    user = getattr(request, "__dict__", {}).get("user")
    if user is None:
        return None
    wrapped = getattr(user, "_wrapped", user)  # SimpleLazyObject
    if wrapped is empty:
        return None
    if not getattr(wrapped, "is_authenticated", False):
        return None
    return wrapped.pk


class ContextFilter(logging.Filter):
    """Puts ``order``, ``request_id`` and ``user_id`` on every record (None if unknown).
    A value passed with ``extra=`` wins."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "order", None) is None:
            record.order = current_order()
        scope = _request.get()
        if getattr(record, "request_id", None) is None:
            record.request_id = scope.request_id if scope is not None else None
        if getattr(record, "user_id", None) is None:
            record.user_id = _user_id(scope.request) if scope is not None else None
        return True


# --- masking ---------------------------------------------------------------------------------

# An ID number first: 18 characters, the last a digit or X, not inside a longer token.
ID_NUMBER_RE = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])")
# A mobile, optionally +86/0086/86 in front and written 3-4-4 with spaces or hyphens; not
# inside a longer token (a hex id may hold eleven digits in a row).
MOBILE_RE = re.compile(
    r"(?<![0-9A-Za-z])(?P<prefix>(?:\+|00)?86[ -]?)?"
    r"(?P<number>1[3-9]\d(?:[ -]?\d{4}){2})(?![0-9A-Za-z])"
)
# A landline with its area code and a hyphen (0595-88881234); without the hyphen it is
# too like other numbers to mask blindly.
LANDLINE_RE = re.compile(r"(?<![\d-])0\d{2,3}-\d{7,8}(?![\d-])")


def _mask_id(match: re.Match) -> str:
    return mask_id_number(match.group(0))


def _mask_mobile(match: re.Match) -> str:
    digits = re.sub(r"[ -]", "", match.group("number"))
    return (match.group("prefix") or "") + mask_phone(digits)


def _mask_landline(match: re.Match) -> str:
    return mask_phone(match.group(0))


def mask_numbers(text: str) -> str:
    """``text`` with every resident ID, mobile and area-coded landline number masked the
    way the pages mask them (3505**********1234, 138****5678)."""
    text = ID_NUMBER_RE.sub(_mask_id, text)
    text = MOBILE_RE.sub(_mask_mobile, text)
    return LANDLINE_RE.sub(_mask_landline, text)


# A review link's token is the party's key to the review form: "/review/…/" in a log line
# (Django's "Not Found: /review/…/", runserver's and gunicorn's access lines, a referrer).
REVIEW_TOKEN_RE = re.compile(r"(/review/)[^/\s?#\"']+")


def redact(text: str) -> str:
    """``text`` with party numbers masked (``mask_numbers``) and review tokens replaced
    by "…"."""
    return REVIEW_TOKEN_RE.sub(r"\1…", mask_numbers(text))


class MaskFilter(logging.Filter):
    """Masks party phone and ID numbers and review tokens (``redact``) in the message and
    the traceback of every record, whoever logged it (a username that is a phone number,
    a gateway's error text, Django's "Not Found: /review/<token>/"…)."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a bad format call is logging's to report
            return True
        masked = redact(message)
        if masked != message:
            record.msg, record.args = masked, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


# --- formatters ------------------------------------------------------------------------------


def _zone() -> ZoneInfo:
    return ZoneInfo(getattr(settings, "TIME_ZONE", None) or "Asia/Shanghai")


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (ISO 8601 in the project's time zone, Asia/Shanghai),
    level, logger, message, then order, request_id and user_id when known, and exc for a
    traceback."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.zone = _zone()

    def format(self, record: logging.LogRecord) -> str:
        moment = datetime.fromtimestamp(record.created, self.zone)
        entry: dict = {
            "time": moment.isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key in CONTEXT_FIELDS:
            value = getattr(record, key, None)
            if value is not None:
                entry[key] = value
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exc"] = record.exc_text
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


class PlainFormatter(logging.Formatter):
    """``2026-11-10 09:00:00,123 INFO disputes.services [order=HB-202611-00001 req=… user=3]
    order HB-202611-00001 signed by police``: for a developer's terminal."""

    default_format = "%(asctime)s %(levelname)s %(name)s %(context)s%(message)s"
    labels = {"order": "order", "request_id": "req", "user_id": "user"}

    def __init__(self, fmt=None, *args, **kwargs):
        super().__init__(fmt or self.default_format, *args, **kwargs)
        self.zone = _zone()

    def converter(self, timestamp):  # asctime in the project's time zone
        return datetime.fromtimestamp(timestamp, self.zone).timetuple()

    def formatMessage(self, record: logging.LogRecord) -> str:  # noqa: N802 - logging's name
        context = " ".join(
            f"{label}={getattr(record, key)}"
            for key, label in self.labels.items()
            if getattr(record, key, None) is not None
        )
        record.context = f"[{context}] " if context else ""
        return super().formatMessage(record)


class GunicornLogger(gunicorn.glogging.Logger):
    """gunicorn's logger, its access and error lines masked like the app's."""

    def setup(self, cfg) -> None:
        super().setup(cfg)
        for log in (self.access_log, self.error_log):
            log.addFilter(MaskFilter())
