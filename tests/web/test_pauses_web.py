"""Clock pauses (暂停计时) on the web: the handler asks on a phone form, the center
approves on the order page, the board shows the order as paused, the handler resumes."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from disputes import services
from disputes.models import ClockPause, Order, State
from tests.web.test_queries import MAX_QUERIES, assert_constant, queries

pytestmark = pytest.mark.django_db


@pytest.fixture
def signed(world, order_in):
    return order_in(State.SIGNED, assignee=world.handler, start=timezone.now() - timedelta(hours=1))


def paused(world, order, minutes=24 * 60):
    services.order_pause(
        order_id=order.pk, actor=world.handler, stage="meet", reason="hospital", minutes=minutes
    )
    services.order_pause_decide(order_id=order.pk, actor=world.dispatcher, approve=True)
    return ClockPause.objects.get(order=order, state="approved")


def test_ask_approve_show_and_resume_through_the_pages(world, signed, as_user):
    client = as_user(world.handler)
    page = client.get(reverse("order-detail", args=[signed.pk])).content.decode()
    assert reverse("order-pause", args=[signed.pk]) in page
    form = client.get(reverse("order-pause", args=[signed.pk]))
    assert form.status_code == 200
    assert 'value="meet"' in form.content.decode() and 'value="contact"' in form.content.decode()
    # 其他 without a note: the form comes back with the error, nothing asked.
    bad = client.post(
        reverse("order-pause", args=[signed.pk]),
        {"stage": "meet", "reason": "other", "minutes": "1440", "note": ""},
    )
    assert bad.status_code == 400 and not ClockPause.objects.exists()
    ok = client.post(
        reverse("order-pause", args=[signed.pk]),
        {"stage": "meet", "reason": "hospital", "minutes": "1440", "note": "住院"},
    )
    assert ok.status_code == 302
    assert ClockPause.objects.get().state == "requested"

    center = as_user(world.dispatcher)
    page = center.get(reverse("order-detail", args=[signed.pk])).content.decode()
    decide = reverse("order-pause-decide", args=[signed.pk])
    assert f"{decide}?stage=meet" in page
    assert center.get(f"{decide}?stage=meet").status_code == 200
    # A rejection without a reason is refused on the form.
    assert center.post(decide, {"stage": "meet", "decision": "reject"}).status_code == 400
    due = signed.meet_due_at
    assert center.post(decide, {"stage": "meet", "decision": "approve"}).status_code == 302
    assert Order.objects.get(pk=signed.pk).meet_due_at == due + timedelta(days=1)

    board = center.get(reverse("board")).content.decode()
    ends = timezone.localtime(ClockPause.objects.get().ends_at).strftime("%m-%d %H:%M")
    # Markup, not its escaped text (a row without an escalation once showed "<span …").
    assert f'<span class="state state-paused">暂停中 至 {ends}</span>' in board

    client = as_user(world.handler)
    page = client.get(reverse("order-detail", args=[signed.pk])).content.decode()
    assert reverse("order-resume", args=[signed.pk]) in page
    resumed = client.post(reverse("order-resume", args=[signed.pk]), {"stage": "meet"})
    assert resumed.status_code == 302
    assert ClockPause.objects.get().state == "ended"
    assert "暂停中" not in center.get(reverse("board")).content.decode()


def test_the_pause_pages_refuse_who_may_not(world, signed, as_user):
    assert (
        as_user(world.fl_dispatcher).get(reverse("order-pause", args=[signed.pk])).status_code
        == 404
    )
    assert (
        as_user(world.dispatcher).get(reverse("order-pause", args=[signed.pk])).status_code == 403
    )
    assert (
        as_user(world.handler).get(reverse("order-pause-decide", args=[signed.pk])).status_code
        == 403
    )
    # Nothing asked for: the center is sent back to the order page with the message.
    answer = as_user(world.dispatcher).get(reverse("order-pause-decide", args=[signed.pk]))
    assert answer.status_code == 302


def test_a_paused_order_is_found_on_the_board_by_its_moved_deadline(world, signed, as_user):
    paused(world, signed)
    page = as_user(world.dispatcher).get(reverse("board")).content.decode()
    assert "state-paused" in page and signed.number in page


def test_the_board_with_paused_orders_runs_constant_queries(
    world, order_in, as_user, django_assert_max_num_queries
):
    client = as_user(world.dispatcher)
    start = timezone.now() - timedelta(hours=1)
    paused(world, order_in(State.SIGNED, assignee=world.handler, start=start))

    def more():
        for _ in range(12):
            paused(world, order_in(State.SIGNED, assignee=world.handler, start=start))

    assert_constant(client, reverse("board"), more, django_assert_max_num_queries)
    assert queries(client, reverse("board")) <= MAX_QUERIES
