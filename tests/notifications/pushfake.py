"""A push service on loopback and a browser's half of a subscription, for the Web Push
tests and ``bench.push_latency``. The receiver holds the subscription's private key and
auth secret, so it decrypts what arrives (aes128gcm, RFC 8291) and checks the VAPID JWT
(RFC 8292) the way a push service does: ES256 over the token against ``k``, ``aud`` the
endpoint's origin, ``exp`` within 24 hours, ``sub`` a contact."""

import base64
import json
import os
import re
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import http_ece
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, utils


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class Device:
    """One browser's subscription: its key pair and auth secret, and its endpoint path."""

    path: str
    private_key: ec.EllipticCurvePrivateKey = field(
        default_factory=lambda: ec.generate_private_key(ec.SECP256R1())
    )
    auth: bytes = field(default_factory=lambda: os.urandom(16))

    @property
    def p256dh(self) -> str:
        return b64url(
            self.private_key.public_key().public_bytes(
                serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
            )
        )

    def subscription(self, origin: str) -> dict:
        """What ``PushSubscription.toJSON()`` gives the page."""
        return {
            "endpoint": origin + self.path,
            "expirationTime": None,
            "keys": {"p256dh": self.p256dh, "auth": b64url(self.auth)},
        }

    def decrypt(self, body: bytes) -> dict:
        plain = http_ece.decrypt(
            body, private_key=self.private_key, auth_secret=self.auth, version="aes128gcm"
        )
        return json.loads(plain)


@dataclass
class Received:
    path: str
    headers: dict  # names in lower case
    body: bytes
    at: float  # time.time() when the request arrived


class VapidError(AssertionError):
    pass


def verify_vapid(authorization: str, *, audience: str, now: float | None = None) -> dict:
    """The claims of a ``vapid t=<jwt>, k=<key>`` header, after checking its ES256
    signature against ``k`` and its aud/exp/sub; raises VapidError otherwise."""
    match = re.fullmatch(r"vapid t=([\w-]+\.[\w-]+\.[\w-]+)\s*,\s*k=([\w-]+)", authorization)
    if not match:
        raise VapidError(f"not a vapid header: {authorization[:40]}")
    token, key = match.groups()
    head, claims, signature = token.split(".")
    if json.loads(unb64url(head)) != {"typ": "JWT", "alg": "ES256"}:
        raise VapidError("not an ES256 JWT")
    raw = unb64url(signature)
    if len(raw) != 64:
        raise VapidError("an ES256 signature is 64 bytes")
    der = utils.encode_dss_signature(int.from_bytes(raw[:32]), int.from_bytes(raw[32:]))
    public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), unb64url(key))
    try:
        public.verify(der, f"{head}.{claims}".encode(), ec.ECDSA(hashes.SHA256()))
    except InvalidSignature as exc:
        raise VapidError("bad signature") from exc
    body = json.loads(unb64url(claims))
    now = time.time() if now is None else now
    if body.get("aud") != audience:
        raise VapidError(f"aud {body.get('aud')!r} is not {audience!r}")
    if not now < body.get("exp", 0) <= now + 24 * 3600:
        raise VapidError("exp is not within the next 24 hours")
    if not str(body.get("sub", "")).startswith(("mailto:", "https://")):
        raise VapidError("sub is not a mailto: or https: contact")
    return {**body, "k": key}


class PushService:
    """A push service on 127.0.0.1: records each POST and answers, per endpoint path, the
    next status of ``answers[path]`` (201 once they run out); the word "timeout" holds the
    request open for ``hang`` seconds first."""

    def __init__(self, *, hang: float = 2.0):
        self.received: list[Received] = []
        self.answers: dict[str, list] = {}
        self.hang = hang
        self.arrived = threading.Condition()
        service = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):  # noqa: N802 - http.server's name
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                queue = service.answers.get(self.path) or []
                answer = queue.pop(0) if queue else 201
                if answer == "timeout":
                    time.sleep(service.hang)
                    answer = 201
                with service.arrived:
                    service.received.append(
                        Received(
                            self.path,
                            {k.lower(): v for k, v in self.headers.items()},
                            body,
                            time.time(),
                        )
                    )
                    service.arrived.notify_all()
                self.send_response(answer)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):  # quiet
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.origin = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

    def at(self, path: str) -> list[Received]:
        return [r for r in self.received if r.path == path]
