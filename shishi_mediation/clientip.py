"""The client's address, by one rule for everything that counts per address: the API
throttles, the review page's rate limit and the login lockout (django-axes).

X-Forwarded-For is whatever the client wrote unless our own proxies appended to it, so
it is read only when ``NUM_PROXIES`` says how many proxies stand in front of gunicorn;
by default (0) the address is REMOTE_ADDR and the header is ignored.
"""

from django.conf import settings
from rest_framework import throttling


def client_ip(request) -> str:
    """REMOTE_ADDR; behind ``NUM_PROXIES`` = N proxies, the Nth address from the right of
    X-Forwarded-For (the one our outermost proxy saw; DRF's rule), so that the entries a
    client writes itself, on the left, are never taken."""
    proxies = settings.NUM_PROXIES or 0
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if proxies > 0 and forwarded:
        addresses = [part.strip() for part in forwarded.split(",") if part.strip()]
        if addresses:
            return addresses[-min(proxies, len(addresses))]
    return request.META.get("REMOTE_ADDR") or ""


class ClientAddressMixin:
    """A DRF throttle counting anonymous requests per ``client_ip``."""

    def get_ident(self, request) -> str:
        return client_ip(request)


class AnonRateThrottle(ClientAddressMixin, throttling.AnonRateThrottle):
    pass


class UserRateThrottle(ClientAddressMixin, throttling.UserRateThrottle):
    pass


class ScopedRateThrottle(ClientAddressMixin, throttling.ScopedRateThrottle):
    pass
