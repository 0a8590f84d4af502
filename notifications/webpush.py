"""Web Push (RFC 8030) with VAPID (RFC 8292) and aes128gcm payloads (RFC 8291), through
pywebpush / py-vapid / http-ece. The keys come from settings (``make_vapid_keys``
makes a pair); without them the channel is off and the header hides its button."""

import base64
import binascii
import ipaddress
import json
import logging
from functools import lru_cache
from urllib.parse import urlsplit

import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from py_vapid import Vapid
from pywebpush import WebPushException, webpush

from shishi_mediation.errors import Conflict, InvalidInput

from .models import Delivery, Notification, PushSubscription
from .reach import is_critical

log = logging.getLogger(__name__)

# A push service answers these for a subscription that no longer exists: delete it.
GONE = frozenset({404, 410})
LOOPBACK_HOSTS = frozenset({"localhost"})


def webpush_enabled() -> bool:
    return bool(settings.WEBPUSH_VAPID_PRIVATE_KEY and settings.WEBPUSH_VAPID_PUBLIC_KEY)


@lru_cache(maxsize=4)
def _vapid(private_key: str) -> Vapid:
    return Vapid.from_string(private_key=private_key)


def generate_vapid_keys() -> tuple[str, str]:
    """A new P-256 key pair as (private, public): the raw private scalar and the
    uncompressed public point, base64url without padding (the browser's
    ``applicationServerKey``)."""
    vapid = Vapid()
    vapid.generate_keys()
    private = vapid.private_key.private_numbers().private_value.to_bytes(32, "big")
    return _b64(private), _b64(_public_point(vapid))


def _public_point(vapid: Vapid) -> bytes:
    return vapid.public_key.public_bytes(
        encoding=serialization.Encoding.X962, format=serialization.PublicFormat.UncompressedPoint
    )


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def b64url_decode(value: str) -> bytes | None:
    """base64url with or without padding; None if it is not."""
    if not value or len(value) > 200 or not value.isascii():
        return None
    try:
        return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    except (binascii.Error, ValueError):
        return None


def public_key_of(private_key: str) -> str:
    """The public key matching a private one (the system check compares the two)."""
    return _b64(_public_point(_vapid(private_key)))


# --- subscriptions: what a browser may register -------------------------------------------


def loopback_host(host: str) -> bool:
    if host in LOOPBACK_HOSTS:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_endpoint(endpoint: str) -> str | None:
    """Why this push endpoint is refused, or None. HTTPS only, to a known push service
    (``WEBPUSH_ENDPOINT_HOSTS``), never a private address: the server POSTs there, so
    an open list would let a user point it inside the network. Plain http to loopback
    only with WEBPUSH_ALLOW_LOOPBACK_HTTP (DEBUG and the tests' loopback push service)."""
    if len(endpoint) > 2048:
        return _("推送地址过长。")
    try:
        url = urlsplit(endpoint)
        host = url.hostname or ""
        url.port  # noqa: B018 - raises ValueError for a bad port
    except ValueError:
        return _("推送地址无效。")
    if url.username or url.password or not host or url.fragment:
        return _("推送地址无效。")
    if url.scheme == "http" and loopback_host(host) and settings.WEBPUSH_ALLOW_LOOPBACK_HTTP:
        return None
    if url.scheme != "https":
        return _("推送地址须为 https。")
    try:
        address = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        if "." not in host:
            return _("推送地址须为公网域名。")
        return None if known_push_service(host) else _("推送地址不是已知的推送服务。")
    if not address.is_global:
        return _("推送地址不能是内网或本机地址。")
    return None if not settings.WEBPUSH_ENDPOINT_HOSTS else _("推送地址不是已知的推送服务。")


def known_push_service(host: str) -> bool:
    """Whether ``host`` is one of ``WEBPUSH_ENDPOINT_HOSTS`` or below one (any host when
    the list is empty)."""
    allowed = settings.WEBPUSH_ENDPOINT_HOSTS
    host = host.lower().rstrip(".")
    return not allowed or any(host == h or host.endswith("." + h) for h in allowed)


def check_p256dh(value: str) -> str | None:
    raw = b64url_decode(value)
    if raw is None or len(raw) != 65 or raw[0] != 4:
        return _("须为 base64url 编码的 65 字节 P-256 公钥。")
    try:
        ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), raw)
    except ValueError:
        return _("不是 P-256 曲线上的点。")
    return None


def check_auth(value: str) -> str | None:
    raw = b64url_decode(value)
    if raw is None or len(raw) != 16:
        return _("须为 base64url 编码的 16 字节认证密钥。")
    return None


def push_subscribe(
    *, user, endpoint: str, p256dh: str, auth: str, user_agent: str = "", now=None
) -> tuple[PushSubscription, bool]:
    """Store the browser's subscription for ``user``; (subscription, created).

    Subscribing the same endpoint again updates its keys, never duplicates it. An
    endpoint another person holds moves to this one: a browser has one subscription per
    site, so the person now logged in on that device is the one it should reach (a
    shared or handed-over phone), and the old holder's notices stop showing on it. The
    endpoint is a secret of that browser and its push service, so only someone holding
    the device can present it. The move is a new row (the old id is gone)."""
    errors = {
        name: [message]
        for name, message in (
            ("endpoint", check_endpoint(endpoint)),
            ("keys.p256dh", check_p256dh(p256dh)),
            ("keys.auth", check_auth(auth)),
        )
        if message
    }
    if errors:
        raise InvalidInput(errors)
    now = now or timezone.now()
    label = device_label(user_agent)
    with transaction.atomic():
        current = PushSubscription.objects.select_for_update().filter(endpoint=endpoint).first()
        if current is not None and current.user_id == user.pk:
            current.p256dh, current.auth, current.user_agent = p256dh, auth, label
            current.save(update_fields=["p256dh", "auth", "user_agent"])
            return current, False
        if current is not None:
            log.info("push endpoint moved from user %s to user %s", current.user_id, user.pk)
            current.delete()
        try:
            with transaction.atomic():
                sub = PushSubscription.objects.create(
                    user=user,
                    endpoint=endpoint,
                    p256dh=p256dh,
                    auth=auth,
                    user_agent=label,
                    created_at=now,
                )
        except IntegrityError:  # a concurrent subscribe of the same endpoint won
            sub = PushSubscription.objects.filter(endpoint=endpoint).first()
            if sub is None or sub.user_id != user.pk:
                raise Conflict(_("该设备同时在另一账号订阅推送，请重试。")) from None
            return sub, False
        # At most WEBPUSH_MAX_DEVICES per person: the oldest beyond that are dropped.
        stale = PushSubscription.objects.filter(user=user).order_by("-created_at", "-id")
        stale_ids = list(stale.values_list("pk", flat=True)[settings.WEBPUSH_MAX_DEVICES :])
        if stale_ids:
            PushSubscription.objects.filter(pk__in=stale_ids).delete()
        return sub, True


_OSES = (
    ("Android", "Android"),
    ("iPhone", "iPhone"),
    ("iPad", "iPad"),
    ("Windows", "Windows"),
    ("Mac OS", "macOS"),
    ("HarmonyOS", "HarmonyOS"),
    ("Linux", "Linux"),
)
_BROWSERS = (
    ("MicroMessenger", "WeChat"),
    ("HuaweiBrowser", "Huawei"),
    ("EdgA", "Edge"),
    ("Edg/", "Edge"),
    ("Firefox", "Firefox"),
    ("Chrome", "Chrome"),
    ("Safari", "Safari"),
)


def device_label(user_agent: str) -> str:
    """A short name for a device in the settings list: browser · system (else the
    agent's start)."""
    found = [
        next((name for token, name in table if token in user_agent), "")
        for table in (_BROWSERS, _OSES)
    ]
    return " · ".join(f for f in found if f) or user_agent[:60]


def push_unsubscribe(*, user, subscription_id: int) -> bool:
    """Remove one of the user's own devices; someone else's id removes nothing."""
    deleted, _rows = PushSubscription.objects.filter(user=user, pk=subscription_id).delete()
    return bool(deleted)


# --- sending -------------------------------------------------------------------------------


def push_payload(note: Notification) -> dict:
    """The agreed payload the service worker shows: title, body, the page to open (the
    order, else the inbox) and the notification id as tag, so a resend replaces."""
    if note.order_id:
        url = reverse("order-detail", args=[note.order_id])
    else:
        url = note.link or reverse("inbox")
    return {"title": note.subject, "body": note.body, "url": url, "tag": str(note.pk)}


class PushFailed(RuntimeError):
    """Some devices could not be reached for a reason other than 'gone': retried."""


def send_webpush(delivery: Delivery) -> None:
    """The ``webpush`` channel: the notice to each of the recipient's devices. A device
    the push service answers 404/410 for is deleted (not an error); any other failure
    raises after the others were tried, so the outbox retries with its backoff. A retry
    sends again to the devices that already had it: the tag makes it replace, not add."""
    if not webpush_enabled():
        raise PushFailed("WEBPUSH_VAPID_PRIVATE_KEY / WEBPUSH_VAPID_PUBLIC_KEY are not set")
    note = delivery.notification
    data = json.dumps(push_payload(note), ensure_ascii=False)
    critical = is_critical(note.kind)
    headers = {"Urgency": "high" if critical else "normal"}
    vapid = _vapid(settings.WEBPUSH_VAPID_PRIVATE_KEY)
    reached, gone, failures = [], [], []
    with requests.Session() as session:
        for sub in PushSubscription.objects.filter(user_id=note.recipient_id).order_by("id"):
            try:
                webpush(
                    subscription_info=sub.subscription_info(),
                    data=data,
                    vapid_private_key=vapid,
                    vapid_claims={"sub": settings.WEBPUSH_VAPID_SUBJECT},
                    content_encoding="aes128gcm",
                    ttl=settings.WEBPUSH_TTL,
                    headers=headers,
                    timeout=settings.WEBPUSH_TIMEOUT,
                    requests_session=session,
                )
            except WebPushException as exc:
                if exc.status_code in GONE:
                    gone.append(sub.pk)
                else:
                    failures.append(f"device {sub.pk}: HTTP {exc.status_code or '-'}")
            except (requests.RequestException, ValueError) as exc:
                failures.append(f"device {sub.pk}: {type(exc).__name__}")
            else:
                reached.append(sub.pk)
    if gone:
        PushSubscription.objects.filter(pk__in=gone).delete()
        log.info(
            "push: removed %d expired subscription(s) of user %s", len(gone), note.recipient_id
        )
    if reached:
        PushSubscription.objects.filter(pk__in=reached).update(last_success_at=timezone.now())
    if failures:
        raise PushFailed("; ".join(failures))
