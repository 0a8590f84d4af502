from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from disputes.web import safe_next

from .selectors import notifications_of
from .services import notifications_mark_read


@login_required
def inbox(request):
    page = Paginator(notifications_of(request.user), 30).get_page(request.GET.get("page"))
    return render(request, "dispatch/inbox.html", {"page": page})


@require_POST
@login_required
def inbox_mark_read(request):
    ids = [int(i) for i in request.POST.getlist("id") if i.isdigit()] or None
    notifications_mark_read(user=request.user, ids=ids)
    return redirect(safe_next(request, reverse("inbox")))
