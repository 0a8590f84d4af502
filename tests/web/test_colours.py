"""Colour grades and 包案 on the pages: the badge in words, the dispatch form's colour
and leader, 改色 and 包案审核, the board's colour filter and red-first sort."""

from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from disputes.models import EventKind, Order, State
from tests.factories import T0, party_input, report_order, street_leader

from .conftest import html

pytestmark = pytest.mark.django_db


def row_of(page: str, order) -> str:
    return page.split(f'data-order="{order.number}"')[1].split("</tr>")[0]


def test_the_dispatch_form_takes_the_colour_and_the_leader(world, as_user):
    order = report_order(world, now=T0, risk_level="high")
    leader = street_leader(world.hb)
    client = as_user(world.dispatcher)
    form = html(client.get(reverse("order-dispatch", args=[order.pk])))
    assert "系统判定：红" in form and "包案领导" in form and leader.first_name in form

    url = reverse("order-dispatch", args=[order.pk])
    refused = client.post(url, {"lead_unit": world.hb_police.pk})
    assert refused.status_code == 400 and "红色订单须指定包案领导" in html(refused)
    assert Order.objects.get(pk=order.pk).state == State.REPORTED

    client.post(url, {"lead_unit": world.hb_police.pk, "case_leader": leader.pk})
    order.refresh_from_db()
    assert (order.state, order.colour, order.case_leader) == ("dispatched", "red", leader)


def test_the_order_page_shows_the_colour_in_words_and_the_leaders_review(world, order_in):
    order = order_in(State.DISPATCHED, risk_level="high")
    leader = street_leader(world.hb)
    client = Client()
    client.force_login(leader)
    page = html(client.get(reverse("order-detail", args=[order.pk])))
    assert '<span class="colour colour-red" title="颜色等级">红</span>' in page
    assert "待审核" in page and reverse("order-leader-review", args=[order.pk]) in page

    response = client.post(
        reverse("order-leader-review", args=[order.pk]), {"note": "已了解，跟进中"}
    )
    assert response.status_code == 302
    page = html(client.get(reverse("order-detail", args=[order.pk])))
    assert "已审核" in page and "已了解，跟进中" in page  # on the timeline too


def test_recolour_on_the_web_needs_a_reason(world, as_user):
    order = report_order(world, now=T0)
    client = as_user(world.dispatcher)
    url = reverse("order-recolour", args=[order.pk])
    refused = client.post(url, {"colour": "yellow", "reason": ""})
    assert refused.status_code == 400
    assert client.post(url, {"colour": "yellow", "reason": "涉及未成年人"}).status_code == 302
    order.refresh_from_db()
    assert order.colour == "yellow"
    assert order.events.filter(kind=EventKind.RECOLOURED, note="涉及未成年人").exists()
    page = html(client.get(reverse("order-detail", args=[order.pk])))
    assert "绿 → 黄" in page and "涉及未成年人" in page


def test_the_board_filters_by_colour_and_sorts_red_first(world, order_in, as_user):
    green = order_in(State.DISPATCHED)  # due first: dispatched first
    yellow = order_in(
        State.DISPATCHED,
        start=T0 + timedelta(minutes=1),
        parties=[party_input(has_mental_illness=True)],
    )
    red = order_in(State.DISPATCHED, start=T0 + timedelta(minutes=2), risk_level="high")
    client = as_user(world.dispatcher)
    with time_machine.travel(T0 + timedelta(minutes=10), tick=False):
        by_due = html(client.get(reverse("board")))
        by_colour = html(client.get(reverse("board"), {"sort": "colour"}))
        only_red = html(client.get(reverse("board"), {"colour": "red"}))

    def order_of(page):
        return sorted((green, yellow, red), key=lambda o: page.index(f'data-order="{o.number}"'))

    assert order_of(by_due) == [green, yellow, red]
    assert order_of(by_colour) == [red, yellow, green]
    assert red.number in only_red and green.number not in only_red
    assert yellow.number not in only_red
    assert ">红</span>" in row_of(by_due, red) and ">黄</span>" in row_of(by_due, yellow)
    assert ">绿</span>" in row_of(by_due, green)
    # The sort links keep the filters.
    assert 'data-sort="colour" aria-current="true"' in by_colour


def test_the_queue_shows_red_first_with_its_badge(world, as_user):
    green = report_order(world, now=T0)
    red = report_order(world, now=T0 + timedelta(minutes=5), risk_level="high")
    page = html(as_user(world.dispatcher).get(reverse("queue")))
    assert page.index(red.number) < page.index(green.number)
    assert ">红</span>" in page.split(f'data-order="{red.number}"')[1].split("</li>")[0]
