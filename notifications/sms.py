"""SMS: staff notices on the outbox channel ``sms`` and texts to parties (their review
code), through one provider function named by ``settings.SMS_PROVIDER``.

Provider: Tencent Cloud SMS (``notifications.tencent_sms``, the only module importing
its SDK). Chosen over Alibaba Cloud SMS because its Python SDK comes as two slim
packages (``tencentcloud-sdk-python-common`` + ``-sms``, only ``requests`` beneath),
signs each request with TC3-HMAC-SHA256 (an HMAC a loopback fake recomputes with the
test's secret, so the tests check the signature the way the provider does) and takes its
endpoint and scheme from ``HttpProfile``, so tests point it at 127.0.0.1. Alibaba Cloud
is one function away: write ``send(*, phone, template_id, params) -> SmsResult`` over its
SDK, raising ``SmsError``, and point ``SMS_PROVIDER`` at it.

The provider's template rules shape what is sent (docs in README, "SMS in production"):
- a template variable holds at most ``SMS_PARAM_MAX_LENGTH`` characters (Tencent: 6 by
  default for accounts opened since 2024-01-25; the console shows an account's own);
- a variable may not hold a link, and a link in a template must be constant. So a party
  is sent a short review code and the constant address of the page that takes it
  (``PUBLIC_BASE_URL`` + ``/review/``), not the tokened link itself;
- a staff notice carries the notice's short label (at most 6 characters) and the order
  number, or, when the whole number is longer than the limit, its last segment (the
  number within its street and month); the inbox has the rest.

Failures: ``SmsError(permanent=True)`` for a code that a retry cannot fix (a bad number,
a number that unsubscribed, content the template refuses); the outbox marks it failed at
once. Anything else (rate limits, a balance run out, a wrong key or template fixed later,
network, HTTP 5xx) is retried with the outbox's backoff.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.utils.module_loading import import_string

from shishi_mediation.validators import MOBILE_RE, mask_phone

log = logging.getLogger(__name__)

# The notice kinds' labels in a staff SMS: each at most 6 characters, Tencent's default
# variable limit. Chinese like the templates registered with the provider, so never
# translated. Kinds without one are not texted.
NOTICE_LABELS = {
    "reported": "新报单",
    "dispatched": "新派单",
    "reassigned": "改派单",
    "returned": "退单",
    "return_requested": "申请退单",
    "closed": "已结单",
    "cancelled": "已撤销",
    "escalation_0": "临期预警",
    "escalation_1": "一级督办",
    "escalation_2": "二级督办",
    "directed": "督办",
    "direct_replied": "督办回复",
}

REVIEW_LINK = "review_link"
# A party's code for its confirmation of a proposed closing (结单确认): order, code.
CLOSING_LINK = "closing_link"

# Per-number (or per-content) status codes a retry cannot fix: failed at once.
PERMANENT_CODES = frozenset(
    {
        "InvalidParameterValue.IncorrectPhoneNumber",
        "FailedOperation.PhoneNumberParseFail",
        "FailedOperation.PhoneNumberInBlacklist",
        "InvalidParameterValue.ProhibitedUseUrlInTemplateParameter",
        "InvalidParameterValue.TemplateParameterLengthLimit",
        "InvalidParameterValue.TemplateParameterFormatError",
        "InvalidParameterValue.ContentLengthLimit",
        "InvalidParameterValue.DirtyWordFound",
        "FailedOperation.ContainSensitiveWord",
        "FailedOperation.TemplateParamSetNotMatchApprovedTemplate",
        "UnsupportedOperation.ChineseMainlandTemplateToGlobalPhone",
    }
)

# The review code's letters: no 0/O, 1/I/L, so it can be read out and typed back.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


@dataclass(frozen=True)
class SmsResult:
    """What the provider answered for one number: its message id and status."""

    serial_no: str
    code: str
    message: str = ""


class SmsError(Exception):
    """The provider did not take the message. ``permanent``: retrying cannot help."""

    def __init__(self, code: str, message: str = "", *, permanent: bool = False):
        super().__init__(f"{code}: {message}" if message else code)
        self.code, self.message, self.permanent = code, message, permanent


def is_mobile(phone: str) -> bool:
    return bool(MOBILE_RE.match(phone or ""))


def e164(phone: str) -> str:
    """A mainland mobile as the provider wants it: +8613812345678."""
    return f"+86{phone}"


def template_for(kind: str) -> str:
    """The provider's template id for a message kind ("" when none is configured)."""
    return str(settings.SMS_TEMPLATES.get(kind, ""))


def sms_enabled() -> bool:
    return bool(settings.SMS_SDK_APP_ID and settings.SMS_SIGN_NAME)


def fit_order_number(number: str) -> str:
    """The order number if it fits one variable, else its last segment (HB-202611-00001
    → 00001): the number within its street and month."""
    limit = settings.SMS_PARAM_MAX_LENGTH
    if len(number) <= limit:
        return number
    return number.rsplit("-", 1)[-1][-limit:]


def review_code() -> str:
    """A fresh review code, as long as one variable may be (``SMS_PARAM_MAX_LENGTH``)."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(settings.SMS_PARAM_MAX_LENGTH))


def review_entry_url(path: str = "review") -> str:
    """The constant address written into the review (or closing) template: the page
    that takes the code. "" without ``PUBLIC_BASE_URL`` (then no such SMS is sent)."""
    base = settings.PUBLIC_BASE_URL.rstrip("/")
    return f"{base}/{path}/" if base else ""


def send_sms(*, phone: str, kind: str, params: list[str]) -> SmsResult:
    """Send one templated SMS to a mainland mobile through ``SMS_PROVIDER``. Raises
    ``SmsError`` (permanent for a missing template or a parameter over the limit)."""
    template_id = template_for(kind)
    if not sms_enabled():
        raise SmsError("NotConfigured", "SMS_SDK_APP_ID and SMS_SIGN_NAME are not set")
    if not template_id:
        raise SmsError("NoTemplate", f"SMS_TEMPLATES has no template for {kind!r}", permanent=True)
    if not is_mobile(phone):
        raise SmsError("NotMobile", f"{mask_phone(phone)} is not a mobile", permanent=True)
    limit = settings.SMS_PARAM_MAX_LENGTH
    for index, value in enumerate(params, start=1):
        if len(value) > limit:  # (the value is not logged: it may be a review code)
            raise SmsError(
                "ParameterTooLong", f"{{{index}}} is over {limit} characters", permanent=True
            )
    provider = import_string(settings.SMS_PROVIDER)
    result = provider(phone=e164(phone), template_id=template_id, params=params)
    log.info("sms %s to %s: %s %s", kind, mask_phone(phone), result.code, result.serial_no)
    return result


def send_notice_sms(delivery) -> None:
    """The outbox sender of the ``sms`` channel: the notice to the recipient's profile
    mobile, with the kind's template, its label and the order number. Records the
    provider's message id and status on the delivery; raises to have it retried, or
    ``SmsError(permanent=True)`` to have it failed at once."""
    note = delivery.notification
    profile = getattr(note.recipient, "profile", None)
    phone = profile.phone if profile is not None else ""
    label = NOTICE_LABELS.get(note.kind)
    if label is None:
        raise SmsError("NoLabel", f"no SMS for notices of kind {note.kind!r}", permanent=True)
    number = fit_order_number(note.order.number) if note.order_id else "-"
    try:
        result = send_sms(phone=phone, kind=note.kind, params=[label, number])
    except SmsError as exc:
        delivery.provider_status, delivery.provider_message = exc.code[:64], exc.message[:255]
        raise
    delivery.provider_id = result.serial_no[:64]
    delivery.provider_status = result.code[:64]
    delivery.provider_message = result.message[:255]
