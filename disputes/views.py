"""Server-rendered pages. Every page starts from ``orders_visible_to``."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import render

from .models import Order
from .selectors import allowed_actions, order_for_page, orders_visible_to

PAGE_SIZE = 25


@login_required
def home(request):
    orders = orders_visible_to(request.user).select_related("category", "community", "lead_unit")
    page = Paginator(orders, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "disputes/home.html", {"page": page})


@login_required
def order_detail(request, pk: int):
    try:
        order = order_for_page(request.user, pk)
    except Order.DoesNotExist:
        raise Http404 from None
    return render(
        request,
        "disputes/order_detail.html",
        {"order": order, "actions": allowed_actions(request.user, order)},
    )
