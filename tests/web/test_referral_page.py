"""移交跟踪 on the order page: the lead unit's form posted as a browser posts it, the due
time and whether it was followed on time, the results, and who sees the form."""

import pytest
from django.urls import reverse

from disputes.models import Duty, Outcome, ReferralResult, State

from .conftest import html

pytestmark = pytest.mark.django_db


def test_the_lead_unit_records_results_on_the_order_page(world, as_user):
    order = world.order(State.CLOSED, outcome=Outcome.FAILED)  # referred to court
    detail = reverse("order-detail", args=[order.pk])
    url = reverse("order-referral-result", args=[order.pk])
    handler = as_user(world.handler2)  # a handler of the lead unit, not its assignee
    page = html(handler.get(detail))
    assert 'id="referral"' in page and 'id="referral-form"' in page and url in page
    assert 'type="date"' in page and 'name="case_number"' in page
    assert "2026-12-11 10:00" in page  # due 30 days after the closing (11-11 10:00)
    assert "尚未记录结果" in page

    # A date before the closing: the form again, with the error on its field.
    refused = handler.post(
        url,
        {
            "body": "石狮市人民法院",
            "outcome": "accepted",
            "case_number": "(2026)闽0581民初88号",
            "decided_on": "2026-11-10",
            "note": "",
        },
    )
    assert refused.status_code == 400 and "结果日期不能早于结单日期" in html(refused)
    assert not ReferralResult.objects.exists()

    response = handler.post(
        url,
        {
            "body": "石狮市人民法院",
            "outcome": "accepted",
            "case_number": "(2026)闽0581民初88号",
            "decided_on": "2026-11-20",
            "note": "已立案，排期开庭",
        },
    )
    assert response.status_code == 302 and response["Location"] == detail + "#referral"
    page = html(handler.get(detail))
    assert "(2026)闽0581民初88号" in page and "已立案，排期开庭" in page
    assert 'id="referral-state"' in page and "按时跟踪" in page
    assert "待最终结果" in page and 'id="referral-form"' in page  # more may follow
    assert Duty.objects.get(order=order, kind="referral").on_time is True
    assert "已立案/受理 · 石狮市人民法院 · (2026)闽0581民初88号 · 按时跟踪" in page  # the timeline

    handler.post(
        url,
        {"body": "石狮市人民法院", "outcome": "withdrawn", "decided_on": "2026-12-01"},
    )
    page = html(handler.get(detail))
    assert "已有最终结果" in page and 'id="referral-form"' not in page


def test_others_see_the_follow_up_but_not_the_form(world, as_user):
    order = world.order(State.CLOSED, outcome=Outcome.FAILED)
    detail = reverse("order-detail", args=[order.pk])
    url = reverse("order-referral-result", args=[order.pk])
    center = as_user(world.dispatcher)
    page = html(center.get(detail))
    assert 'id="referral"' in page and 'id="referral-form"' not in page
    assert (
        center.post(
            url, {"body": "法院", "outcome": "other", "decided_on": "2026-11-20"}
        ).status_code
        == 403
    )
    assert as_user(world.fl_handler).post(url, {}).status_code == 404
    assert not ReferralResult.objects.exists()


def test_a_case_without_referral_has_no_follow_up(world, as_user):
    order = world.order(State.CLOSED)  # mediated
    page = html(as_user(world.handler).get(reverse("order-detail", args=[order.pk])))
    assert 'id="referral"' not in page
