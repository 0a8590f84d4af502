"""A signed JSON POST, the channel behind results sent to other systems (the command
system's results, ``disputes.results``): HMAC-SHA256 over the timestamp and the exact
body, an ``Idempotency-Key``, no redirects followed, and an error that says whether a
retry can help. The contract a receiver implements is in docs/API.md ("Results back to
the command system")."""

from __future__ import annotations

import hashlib
import hmac
import time
import urllib.error
import urllib.request

SIGNATURE_HEADER = "X-Shishi-Signature"
TIMESTAMP_HEADER = "X-Shishi-Timestamp"
EVENT_HEADER = "X-Shishi-Event"
# 4xx answers a retry may cure: the receiver timed out or asks us to slow down.
RETRYABLE_4XX = frozenset({408, 429})


class PostRejected(Exception):
    """The receiver refused the message (a 4xx other than 408/429): a retry cannot help."""

    permanent = True


class PostFailed(Exception):
    """The receiver answered an error a retry may cure (3xx, 5xx, 408, 429)."""


def signature(*, secret: str, timestamp: str, body: bytes) -> str:
    """``sha256=`` and the hex HMAC-SHA256, keyed by the secret, of the timestamp, a dot
    and the body."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirect is not followed (urllib would resend a POST as a bodiless GET): the
    3xx is an error, retried like a 5xx until the URL is corrected."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


_opener = urllib.request.build_opener(_NoRedirect)


def post_signed(*, url: str, secret: str, body: bytes, key: str, event: str, timeout: float) -> int:
    """POST ``body`` (UTF-8 JSON) signed at the current time; returns the 2xx status.
    Raises ``PostRejected`` (fail at once) or anything else (retry): ``PostFailed``,
    ``URLError``, a timeout. Both HTTP errors carry ``status``."""
    timestamp = str(int(time.time()))
    request = urllib.request.Request(
        url,
        data=body,
        headers={
            "Content-Type": "application/json; charset=utf-8",
            "Idempotency-Key": key,
            EVENT_HEADER: event,
            TIMESTAMP_HEADER: timestamp,
            SIGNATURE_HEADER: signature(secret=secret, timestamp=timestamp, body=body),
        },
        method="POST",
    )
    try:
        with _opener.open(request, timeout=timeout) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        error_class = (
            PostRejected if 400 <= exc.code < 500 and exc.code not in RETRYABLE_4XX else PostFailed
        )
        error = error_class(f"HTTP {exc.code}")
        error.status = exc.code
        raise error from None
