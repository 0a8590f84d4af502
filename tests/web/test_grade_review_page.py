"""The order page's 等级审核: the center confirms the proposed grade or changes it with a
reason; the page says whether a paid case's grade is confirmed."""

import pytest
from django.urls import reverse

from disputes.models import Order, State
from tests.web.conftest import html

pytestmark = pytest.mark.django_db


def test_the_center_reviews_the_grade_on_the_page(world, order_in, as_user):
    order = order_in(State.CLOSED, lead_unit=world.hb_committee)
    url = reverse("order-grade-review", args=[order.pk])
    center = as_user(world.dispatcher)
    page = html(center.get(reverse("order-detail", args=[order.pk])))
    assert url in page and 'id="grade-pending"' in page
    refused = center.post(url, {"grade": "complex", "reason": ""})
    assert refused.status_code == 400 and "改定等级须写明理由" in html(refused)
    assert center.post(url, {"grade": "complex", "reason": "多方参与"}).status_code == 302
    order = Order.objects.get(pk=order.pk)
    assert (order.grade, order.proposed_grade) == ("complex", "ordinary")
    page = html(center.get(reverse("order-detail", args=[order.pk])))
    assert 'id="grade-confirmed"' in page and url not in page
    assert as_user(world.committee_head).get(url).status_code == 403
