from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from disputes.web import error_page, safe_next
from shishi_mediation.errors import InvalidInput
from shishi_mediation.ids import id_from_text

from .selectors import notifications_of
from .services import notifications_mark_read


@login_required
def inbox(request):
    page = Paginator(notifications_of(request.user), 30).get_page(request.GET.get("page"))
    return render(request, "dispatch/inbox.html", {"page": page})


@require_POST
@login_required
def inbox_mark_read(request):
    """The ``id``s given (all unread ones when none is): one that is not an id is a 400
    that marks nothing, rather than dropping it and marking everything."""
    ids = [id_from_text(i) for i in request.POST.getlist("id")]
    if None in ids:
        message = _("通知编号无效。")
        return error_page(request, InvalidInput({"id": message}, message), 400)
    notifications_mark_read(user=request.user, ids=ids or None)
    return redirect(safe_next(request, reverse("inbox")))
