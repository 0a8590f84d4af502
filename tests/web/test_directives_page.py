"""督办 on the order page: the supervisor's form, the head's reply, what everyone sees."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from disputes.models import Directive, EventKind, State

from .conftest import html

pytestmark = pytest.mark.django_db


def local_input(moment) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


def test_a_supervisor_directs_from_the_order_page_and_the_head_replies(world, as_user):
    order = world.order(State.SIGNED, assignee=world.handler)
    detail = reverse("order-detail", args=[order.pk])
    supervisor = as_user(world.supervisor)
    page = html(supervisor.get(detail))
    # Its one form: no other action is offered.
    assert 'id="direct-form"' in page and 'name="reply_due_at"' in page
    assert 'type="datetime-local"' in page
    assert reverse("order-note", args=[order.pk]) not in page
    assert reverse("order-contact", args=[order.pk]) not in page

    due = timezone.now() + timedelta(hours=6)
    response = supervisor.post(
        reverse("order-direct", args=[order.pk]),
        {"demand": "请今日内联系双方当事人", "reply_due_at": local_input(due)},
    )
    assert response.status_code == 302 and response["Location"] == detail
    page = html(supervisor.get(detail))
    assert "请今日内联系双方当事人" in page and "已督办" in page
    assert 'class="clock clock-ok"' in page  # the countdown to the deadline
    assert 'id="direct-form"' not in page  # one awaiting its reply at a time

    # The handler sees it but cannot answer; the head answers from the same page.
    assert 'id="direct-reply-form"' not in html(as_user(world.handler).get(detail))
    head = as_user(world.head)
    page = html(head.get(detail))
    assert 'id="direct-reply-form"' in page and "请今日内联系双方当事人" in page
    directive = Directive.objects.get()
    response = head.post(
        reverse("order-direct-reply", args=[order.pk]),
        {"directive": directive.pk, "reply": "已约定明早调解"},
    )
    assert response.status_code == 302
    page = html(head.get(detail))
    assert "已约定明早调解" in page and "按时回复" in page
    assert 'id="direct-reply-form"' not in page
    kinds = list(order.events.values_list("kind", flat=True))
    assert kinds[-2:] == [EventKind.DIRECTED, EventKind.DIRECT_REPLIED]


def test_a_deadline_in_the_past_is_shown_on_its_field(world, as_user):
    order = world.order(State.SIGNED)
    response = as_user(world.supervisor).post(
        reverse("order-direct", args=[order.pk]),
        {"demand": "请处理", "reply_due_at": local_input(timezone.now() - timedelta(hours=1))},
    )
    assert response.status_code == 400
    page = html(response)
    assert "回复期限必须晚于当前时间" in page and 'name="demand"' in page
    assert not Directive.objects.exists()


def test_the_reply_page_without_a_directive_goes_back_to_the_order(world, as_user):
    order = world.order(State.SIGNED)
    response = as_user(world.head).get(reverse("order-direct-reply", args=[order.pk]))
    assert response.status_code == 302
    assert response["Location"] == reverse("order-detail", args=[order.pk])


def test_a_reported_order_offers_no_directive(world, as_user):
    order = world.order(State.REPORTED)
    page = html(as_user(world.supervisor).get(reverse("order-detail", args=[order.pk])))
    assert 'id="direct-form"' not in page
