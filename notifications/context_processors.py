from django.utils.functional import SimpleLazyObject

from .selectors import unread_count


def header(request):
    """The header's unread count, queried only if a page shows it."""
    user = request.user
    return {"unread_count": SimpleLazyObject(lambda: unread_count(user))}
