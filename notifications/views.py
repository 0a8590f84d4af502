from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Q
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from shishi_mediation.errors import InvalidInput
from shishi_mediation.ids import id_from_text
from shishi_mediation.web import error_page, safe_next

from .levels import EscalationLevel, escalation_notice_kind, notice_level
from .selectors import notifications_of
from .services import notifications_mark_read

# The inbox's filter (?level=): value → (label, the notices it keeps).
INBOX_FILTERS = {
    **{
        str(level.value): (level.label, Q(kind=escalation_notice_kind(level.value)))
        for level in EscalationLevel
    },
    "other": (_("其他通知"), ~Q(kind__startswith="escalation_")),
}


@login_required
def inbox(request):
    """The user's notices, newest first; ``?level=`` keeps one escalation level's
    notices (0 warning, 1, 2) or the other notices, and each escalation wears its
    level's badge."""
    chosen = request.GET.get("level", "")
    notices = notifications_of(request.user)
    if chosen in INBOX_FILTERS:
        notices = notices.filter(INBOX_FILTERS[chosen][1])
    else:
        chosen = ""
    page = Paginator(notices, 30).get_page(request.GET.get("page"))
    for note in page:
        note.level = notice_level(note.kind)
    filters = [("", _("全部"))] + [(value, label) for value, (label, _q) in INBOX_FILTERS.items()]
    return render(
        request, "notifications/inbox.html", {"page": page, "filters": filters, "chosen": chosen}
    )


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
