"""The queue's bulk dispatch: tick orders, press 派给首选单位, read the summary."""

import pytest
from django.test import Client
from django.urls import reverse

from disputes.models import EventKind, Order, OrderEvent, State

from .conftest import html

pytestmark = pytest.mark.django_db


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def test_the_queue_offers_a_tick_for_orders_with_a_suggestion(world, order_in, routing, as_user):
    suggested = order_in(State.REPORTED, category=world.neighbours)
    unsuggested = order_in(
        State.REPORTED,
        category=world.neighbours,
        community=world.fl_community,
        reporter=world.fl_reporter,
    )
    page = html(as_user(world.dispatcher).get(reverse("queue")))
    assert f'action="{reverse("queue-dispatch")}"' in page
    assert 'name="csrfmiddlewaretoken"' in page
    assert f'name="ids" value="{suggested.pk}"' in page
    assert "派给首选单位" in page
    # The per-order dispatch stays as it was.
    assert (
        reverse("order-dispatch", args=[suggested.pk]) + f"?lead_unit={world.hb_committee.pk}"
        in page
    )
    page = html(as_user(world.fl_dispatcher).get(reverse("queue")))
    assert unsuggested.number in page
    assert f'name="ids" value="{unsuggested.pk}"' not in page  # no rule: nothing to send it to


def test_ticked_orders_go_and_each_failure_is_listed(world, order_in, routing):
    a = order_in(State.REPORTED, category=world.neighbours)
    b = order_in(State.REPORTED, category=world.wages)
    gone = order_in(State.DISPATCHED, category=world.neighbours)
    fl = order_in(State.REPORTED, community=world.fl_community, reporter=world.fl_reporter)
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.dispatcher)
    queue = client.get(reverse("queue"))
    token = queue.cookies["csrftoken"].value

    response = client.post(
        reverse("queue-dispatch"),
        {"csrfmiddlewaretoken": token, "ids": [a.pk, gone.pk, b.pk, fl.pk]},
        follow=True,
    )

    assert response.redirect_chain == [(reverse("queue"), 302)]
    said = messages_of(response)
    sent = f"{a.number} → {world.hb_committee.name}；{b.number} → {world.hb_labour.name}"
    assert said[0] == f"已派出 2 张订单：{sent}"
    assert said[1] == f"{gone.number} 未派出：当前状态“待签收”不能执行此操作。"
    assert said[2] == f"#{fl.pk} 未派出：订单不存在或无权查看。"
    assert fl.number not in html(response)
    assert Order.objects.get(pk=a.pk).lead_unit == world.hb_committee
    assert Order.objects.get(pk=b.pk).state == State.DISPATCHED
    assert Order.objects.get(pk=fl.pk).state == State.REPORTED
    assert OrderEvent.objects.filter(order=gone, kind=EventKind.DISPATCHED).count() == 1
    # Sent orders leave the queue.
    assert a.number not in html(client.get(reverse("queue")))


def test_without_the_csrf_token_nothing_is_sent(world, order_in, routing):
    order = order_in(State.REPORTED, category=world.neighbours)
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.dispatcher)
    response = client.post(reverse("queue-dispatch"), {"ids": [order.pk]})
    assert response.status_code == 403
    assert Order.objects.get(pk=order.pk).state == State.REPORTED


@pytest.mark.parametrize(
    "ids, message",
    [
        ([], "请至少选择一张订单。"),
        (["abc"], "订单 id 须为整数。"),
        (["1", "2", "3"], "一次最多派 2 张订单。"),
    ],
)
def test_a_bad_selection_is_a_message_on_the_queue(world, as_user, settings, ids, message):
    settings.BULK_DISPATCH_MAX = 2
    response = as_user(world.dispatcher).post(reverse("queue-dispatch"), {"ids": ids}, follow=True)
    assert response.redirect_chain == [(reverse("queue"), 302)]
    assert messages_of(response) == [message]


def test_not_a_dispatcher_is_refused(world, order_in, routing, as_user):
    order = order_in(State.REPORTED, category=world.neighbours)
    for user in (world.reporter, world.handler, world.supervisor):
        response = as_user(user).post(reverse("queue-dispatch"), {"ids": [order.pk]})
        assert response.status_code == 403
    assert Order.objects.get(pk=order.pk).state == State.REPORTED
    assert as_user(world.dispatcher).get(reverse("queue-dispatch")).status_code == 405


def test_next_brings_the_dispatcher_back_to_the_same_page_only_inside_the_site(
    world, order_in, routing, as_user
):
    order_in(State.REPORTED, category=world.neighbours)
    client = as_user(world.dispatcher)
    back = client.post(reverse("queue-dispatch"), {"ids": [], "next": "/queue/?page=2"})
    assert back["Location"] == "/queue/?page=2"
    away = client.post(reverse("queue-dispatch"), {"ids": [], "next": "https://evil.example/"})
    assert away["Location"] == reverse("queue")
