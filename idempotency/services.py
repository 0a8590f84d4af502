"""``Idempotency-Key``: the same key from the same user gets the first answer again.

The key's row is inserted inside the transaction that runs the request and is updated
with the answer before that transaction commits, so the row, the order or transition it
made and the answer commit together or not at all. A second request with the same key
while the first still runs blocks on the row's unique index (PostgreSQL waits for the
first transaction; SQLite has one writer at a time anyway) and then reads the first
answer; if the first rolled back (a crash, a 500), the second runs as if it were first.
"""

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from shishi_mediation.errors import Conflict, DomainError, InvalidInput

from .models import IdempotencyKey

HEADER = "Idempotency-Key"
# A UUID (what the offline report form sends) fits; so does any client's own scheme.
KEY_RE = re.compile(r"[A-Za-z0-9_.:-]{8,128}")


class KeyReused(DomainError):
    """The key was first sent with another request (another body or endpoint)."""

    status_code = 422
    default_message = _("此 Idempotency-Key 已用于另一个请求（内容或地址不同），请换一个新键。")


@dataclass(frozen=True)
class Replay:
    status_code: int
    body: object


def parse_key(raw: str) -> str:
    """The header's value, or 400 naming the header."""
    if not KEY_RE.fullmatch(raw):
        raise InvalidInput(
            {HEADER: [_("须为 8 至 128 个字母、数字或 _ . : - 字符，例如一个 UUID。")]},
            message=_("Idempotency-Key 格式不正确。"),
        )
    return raw


def _file_digest(value) -> str:
    """An uploaded file (multipart) by its name and content; anything else as text."""
    if not hasattr(value, "chunks"):
        return str(value)
    digest = hashlib.sha256()
    for chunk in value.chunks():
        digest.update(chunk)
    value.seek(0)
    return f"{value.name}:{digest.hexdigest()}"


def fingerprint(*, method: str, path: str, data) -> str:
    """What the request asked for: method, path and body (key order does not matter)."""
    if hasattr(data, "lists"):  # a QueryDict
        data = dict(data.lists())
    body = json.dumps(data, sort_keys=True, ensure_ascii=False, default=_file_digest)
    return hashlib.sha256(f"{method} {path}\n{body}".encode()).hexdigest()


def claim(*, user, key: str, fingerprint: str, now: datetime) -> IdempotencyKey | Replay:
    """Inside the caller's transaction: the new row to ``record`` the answer on, or the
    first request's answer. Raises ``KeyReused`` (422) for another request's key."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("claim() runs inside the request's transaction")
    try:
        with transaction.atomic():
            return IdempotencyKey.objects.create(
                user=user, key=key, fingerprint=fingerprint, created_at=now
            )
    except IntegrityError:
        pass
    first = IdempotencyKey.objects.get(user=user, key=key)
    if first.fingerprint != fingerprint:
        raise KeyReused()
    if first.status_code is None:  # not reachable while rows commit with their answer
        raise Conflict(_("使用此 Idempotency-Key 的请求仍在处理中，请稍后重试。"))
    return Replay(status_code=first.status_code, body=first.body)


def record(*, row: IdempotencyKey, status_code: int, body) -> None:
    IdempotencyKey.objects.filter(pk=row.pk).update(status_code=status_code, body=body)


def purge_expired(*, now: datetime) -> int:
    """Forget keys older than ``IDEMPOTENCY_KEY_DAYS``; returns how many."""
    cutoff = now - timedelta(days=settings.IDEMPOTENCY_KEY_DAYS)
    deleted, _by_model = IdempotencyKey.objects.filter(created_at__lt=cutoff).delete()
    return deleted
