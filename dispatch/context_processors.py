from django.utils.functional import SimpleLazyObject

from .selectors import memberships_of


def header(request):
    """The header's memberships, queried only if a page shows them."""
    user = request.user
    return {"memberships": SimpleLazyObject(lambda: memberships_of(user))}
