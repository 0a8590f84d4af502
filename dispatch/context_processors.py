from django.utils.functional import SimpleLazyObject

from .selectors import memberships_of, unread_count


def header(request):
    """The header's memberships and unread count, queried only if a page shows them."""
    user = request.user
    return {
        "memberships": SimpleLazyObject(lambda: memberships_of(user)),
        "unread_count": SimpleLazyObject(lambda: unread_count(user)),
    }
