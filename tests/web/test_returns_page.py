"""The order page's reviewed returns: the handler asks (申请退单), the center sees the
request with its review countdown and approves or rejects; under final assignment the
handler's button is 申请协办."""

import pytest
from django.urls import reverse
from django.utils import timezone

from disputes import services
from disputes.models import Order, ReturnRequest, State
from tests.web.conftest import html

pytestmark = pytest.mark.django_db


def page(client, order) -> str:
    return html(client.get(reverse("order-detail", args=[order.pk])))


def test_ask_review_and_reject_on_the_order_page(world, order_in, as_user):
    order = order_in(State.SIGNED, assignee=world.handler)
    handler = as_user(world.handler)
    text = page(handler, order)
    assert "申请退单" in text and "申请协办" not in text
    form = handler.get(reverse("order-return", args=[order.pk]))
    assert "提交退单申请" in html(form)
    response = handler.post(reverse("order-return", args=[order.pk]), {"reason": "不属本所职责"})
    assert response.status_code == 302
    assert response["Location"] == reverse("order-detail", args=[order.pk])  # still theirs
    text = page(handler, order)
    assert 'id="pending-return"' in text and "不属本所职责" in text
    assert 'id="review-approve"' not in text  # the unit does not review its own request
    assert reverse("order-return", args=[order.pk]) not in text  # one request at a time

    center = as_user(world.dispatcher)
    text = page(center, order)
    assert 'id="review-approve"' in text and 'id="review-reject"' in text
    assert "审核截止" in text and "clock" in text  # the review clock's countdown
    url = reverse("order-return-review", args=[order.pk])
    refused = center.post(url, {"decision": "reject", "note": ""})
    assert refused.status_code == 400 and "驳回须填写理由" in html(refused)
    response = center.post(url, {"decision": "reject", "note": "属本所辖区治安范围"})
    assert response.status_code == 302
    order = Order.objects.get(pk=order.pk)
    assert order.state == State.SIGNED and order.lead_unit == world.hb_police
    assert ReturnRequest.objects.get(order=order).approved is False
    text = page(center, order)
    assert 'id="pending-return"' not in text and "驳回退单" in text


def test_others_may_not_review(world, order_in, as_user):
    order = order_in(State.SIGNED, assisting_units=[world.hb_committee])
    services.order_return_request(order_id=order.pk, actor=world.handler, reason="x")
    url = reverse("order-return-review", args=[order.pk])
    for who, status in [
        (world.handler, 403),
        (world.committee_handler, 403),  # assisting
        (world.supervisor, 403),
        (world.fl_dispatcher, 404),
    ]:
        assert as_user(who).post(url, {"decision": "approve"}).status_code == status, who
    assert Order.objects.get(pk=order.pk).state == State.SIGNED


def test_under_final_assignment_the_handler_asks_for_assistance(world, order_in, as_user, settings):
    settings.FINAL_ASSIGNMENT_AFTER_RETURNS = 1
    order = order_in(State.DISPATCHED)
    now = timezone.now()
    services.order_return(order_id=order.pk, actor=world.dispatcher, reason="派错", now=now)
    services.order_dispatch(
        order_id=order.pk, actor=world.dispatcher, lead_unit_id=world.hb_police.pk, now=now
    )
    handler = as_user(world.handler)
    text = page(handler, order)
    assert 'id="final-assignment"' in text and "终审派单" in text
    assert "申请退单" not in text and "申请协办" in text
    refused = handler.post(reverse("order-return", args=[order.pk]), {"reason": "x"}, follow=True)
    assert "终审派单，不能退单，可申请协办" in html(refused)
    response = handler.post(
        reverse("order-ask-assistance", args=[order.pk]), {"note": "需要人社局协助核算工资"}
    )
    assert response.status_code == 302
    assert "需要人社局协助核算工资" in page(handler, order)
