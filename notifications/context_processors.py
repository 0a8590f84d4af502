from django.conf import settings
from django.utils.functional import SimpleLazyObject

from .selectors import unread_count
from .webpush import webpush_enabled


def header(request):
    """The header's unread count, queried only if a page shows it, and the VAPID public
    key the push button subscribes with (empty while Web Push is off: no button)."""
    user = request.user
    return {
        "unread_count": SimpleLazyObject(lambda: unread_count(user)),
        "webpush_public_key": settings.WEBPUSH_VAPID_PUBLIC_KEY if webpush_enabled() else "",
    }
