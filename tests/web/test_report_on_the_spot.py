"""The report form's 当场已化解: one post reports and closes the dispute."""

import pytest
from django.urls import reverse

from disputes.models import Order, Outcome, Review, State

from .conftest import html
from .test_report import report_data

pytestmark = pytest.mark.django_db

AGREED = "楼上铺设地垫，晚十点后不再跑跳；楼下不再投诉。"


def test_the_form_offers_settled_on_the_spot_with_the_agreement(world, as_user):
    page = html(as_user(world.reporter).get(reverse("report")))
    assert 'name="on_the_spot"' in page and "当场已化解" in page
    assert 'name="summary"' in page and "达成的协议" in page


def test_settled_on_the_spot_in_one_post(world, as_user):
    client = as_user(world.reporter)
    response = client.post(reverse("report"), report_data(world, on_the_spot="on", summary=AGREED))
    order = Order.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("order-detail", args=[order.pk])
    assert order.state == State.CLOSED and order.on_the_spot
    assert order.outcome == Outcome.MEDIATED and order.agreement_summary == AGREED
    assert order.lead_unit is None and order.dispatch_due_at is None

    page = html(client.get(response["Location"]))
    assert order.number in page and "已记录就地化解并结单" in page
    assert "就地化解" in page and AGREED in page
    # The reporter hands the parties their review links.
    for review in Review.objects.filter(order=order):
        assert review.token in page


def test_a_plain_report_is_not_settled_even_with_an_agreement_typed(world, as_user):
    as_user(world.reporter).post(reverse("report"), report_data(world, summary=AGREED))
    order = Order.objects.get()
    assert order.state == State.REPORTED and not order.on_the_spot


@pytest.mark.parametrize("summary", ["", "   ", "\u200b"])
def test_settled_without_an_agreement_is_refused_in_place(world, as_user, summary):
    response = as_user(world.reporter).post(
        reverse("report"), report_data(world, on_the_spot="on", summary=summary)
    )
    assert response.status_code == 400
    page = html(response)
    assert "请填写达成的协议。" in page
    assert not Order.objects.exists()


def test_review_links_show_to_the_center_not_to_a_supervisor(world, as_user):
    as_user(world.reporter).post(
        reverse("report"), report_data(world, on_the_spot="on", summary=AGREED)
    )
    order = Order.objects.get()
    page = html(as_user(world.dispatcher).get(reverse("order-detail", args=[order.pk])))
    # The street's center sees them as for any closed order; a supervisor does not.
    assert all(r.token in page for r in order.reviews.all())
    response = as_user(world.hb_supervisor).get(reverse("order-detail", args=[order.pk]))
    assert response.status_code == 200
    assert not any(r.token in html(response) for r in order.reviews.all())


def test_the_settler_records_the_return_visit_on_the_order_page(world, as_user):
    client = as_user(world.reporter)
    client.post(reverse("report"), report_data(world, on_the_spot="on", summary=AGREED))
    order = Order.objects.get()
    page = html(client.get(reverse("order-detail", args=[order.pk])))
    assert "尚未回访。" in page
    assert reverse("order-return-visit", args=[order.pk]) in page
