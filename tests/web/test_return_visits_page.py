"""The order page's 回访: the visits due with their due times and state, the form with
satisfaction, the agreement kept and, when unsatisfied, the choice of a second visit or
reopening; both orders link to each other."""

import re

import pytest
from django.urls import reverse
from django.utils import timezone

from disputes.models import Order, ReturnVisit, State
from tests.web.conftest import html

pytestmark = pytest.mark.django_db


def browser_post(client, order, **fields):
    """The form as a browser sends it: every radio group's checked value (the hidden
    follow-up choice's default too), the time typed to the minute."""
    body = {
        "satisfied": "yes",
        "follow_up": "second_visit",
        "agreement_kept": "",
        "note": "",
        "visited_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
        **fields,
    }
    return client.post(reverse("order-return-visit", args=[order.pk]), body)


def test_the_page_shows_the_visits_due_and_records_one(world, order_in, as_user):
    order = order_in(State.CLOSED)
    police = as_user(world.handler)
    page = html(police.get(reverse("order-detail", args=[order.pk])))
    assert 'class="plain scheduled-visits"' in page and "2026-11-18 10:00" in page  # due
    assert "逾期未回访" in page  # the order closed in November: overdue now
    assert 'name="agreement_kept"' in page and 'name="follow_up"' in page
    # Satisfied: the follow-up's default radio is sent along and ignored.
    response = browser_post(police, order, agreement_kept="yes", note="已按期付款")
    assert response.status_code == 302
    visit = order.return_visits.get()
    assert (visit.satisfied, visit.agreement_kept, visit.follow_up) == (True, "yes", "")
    page = html(police.get(reverse("order-detail", args=[order.pk])))
    assert "超时回访" in page and "正在履行" in page


def test_unsatisfied_with_reopen_links_the_two_orders(world, order_in, as_user):
    old = order_in(State.CLOSED)
    police = as_user(world.handler)
    response = browser_post(police, old, satisfied="no", follow_up="reopen", note="又起争执")
    assert response.status_code == 302
    new = Order.objects.get(reopened_from=old)
    page = html(police.get(reverse("order-detail", args=[old.pk])))
    assert reverse("order-detail", args=[new.pk]) in page and new.number in page
    assert f"不满意 · 超时回访 · 重新调解为新订单 {new.number}" in page  # the timeline
    page = html(as_user(world.dispatcher).get(reverse("order-detail", args=[new.pk])))
    old_url = reverse("order-detail", args=[old.pk])
    assert re.search(rf'id="reopened-from"[^<]*<a href="{old_url}">', page)
    assert f"重新调解自原订单 {old.number}" in page  # its reported event


def test_unsatisfied_by_default_schedules_a_second_visit(world, order_in, as_user):
    order = order_in(State.CLOSED)
    police = as_user(world.handler)
    assert browser_post(police, order, satisfied="no").status_code == 302
    assert order.return_visits.get().follow_up == ReturnVisit.FollowUp.SECOND_VISIT
    page = html(police.get(reverse("order-detail", args=[order.pk])))
    assert "data-second" in page and "二次回访（回访不满意）" in page
    assert "不满意 · 超时回访 · 安排二次回访，截止" in page  # the timeline


def test_a_bad_choice_is_shown_on_the_form(world, order_in, as_user):
    order = order_in(State.CLOSED)
    response = browser_post(as_user(world.handler), order, satisfied="no", follow_up="x")
    assert response.status_code == 400 and 'name="follow_up"' in html(response)
    assert not order.return_visits.exists()


def test_no_agreement_no_agreement_field(world, order_in, as_user):
    order = order_in(State.CLOSED, outcome="failed")
    page = html(as_user(world.handler).get(reverse("order-detail", args=[order.pk])))
    assert 'name="follow_up"' in page and 'name="agreement_kept"' not in page


def test_outsiders_get_404_and_other_roles_403(world, order_in, as_user):
    order = order_in(State.CLOSED)
    assert browser_post(as_user(world.fl_handler), order).status_code == 404
    assert browser_post(as_user(world.dispatcher), order).status_code == 403
    assert not order.return_visits.exists()
