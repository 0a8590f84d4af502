"""The list pages' cheaper parts: the search list's pages are not counted, the filter
form renders as Django would, and names of units, areas and categories come from the
per-process copy (``disputes.reference``) yet follow an edit at once."""

from datetime import timedelta

import pytest
import time_machine
from django import forms
from django.urls import reverse

from disputes.filters import OrderFilter, QuickSelect, QuickSelectMultiple
from disputes.models import State
from tests.factories import T0, party_input

from .conftest import html

pytestmark = pytest.mark.django_db


def test_the_search_list_is_paged_without_a_count(world, order_in, as_user):
    for _ in range(12):
        order_in(State.REPORTED)
    client = as_user(world.dispatcher)

    def page(n):
        return html(client.get(reverse("order-list"), {"per_page": 10, "page": n}))

    first, last = page(1), page(2)
    assert 'rel="next"' in first and 'rel="prev"' not in first and "共" not in first
    assert 'rel="prev"' in last and 'rel="next"' not in last
    assert "共 12 条" in last  # known on the last page without counting
    beyond = client.get(reverse("order-list"), {"per_page": 10, "page": 9})
    assert beyond.status_code == 200 and "没有符合条件的订单" in html(beyond)
    for bad in ["0", "-3", "abc", "99999999999999999999999999"]:
        assert client.get(reverse("order-list"), {"page": bad}).status_code == 200


def test_the_quick_selects_render_as_django_does(world):
    filterset = OrderFilter(
        {"state": ["signed", "met"], "category": str(world.wages.pk), "risk_level": "high"}
    )
    filterset.form.is_valid()
    for name in ["state", "category", "unit", "street", "community", "risk_level", "source"]:
        field = filterset.form[name]
        widget = field.field.widget
        assert isinstance(widget, QuickSelect | QuickSelectMultiple)
        quick = field.as_widget()
        widget.__class__ = (
            forms.SelectMultiple if isinstance(widget, QuickSelectMultiple) else forms.Select
        )
        assert quick == field.as_widget(), name
    assert f'<option value="{world.wages.pk}" selected>' in filterset.form["category"].as_widget()


def test_filter_choices_are_validated_like_a_queryset(world, order_in, as_user):
    order_in(State.SIGNED)
    client = as_user(world.dispatcher)
    for bad in ["abc", "99999999999999999999999", str(world.fl_community.pk + 1000)]:
        response = client.get(reverse("board"), {"community": bad})
        assert response.status_code == 200
        assert "errorlist" in html(response)  # a field error, never a 500
    world.hb_labour.is_active = False  # the form offers active units only
    world.hb_labour.save()
    response = client.get(reverse("board"), {"unit": world.hb_labour.pk})
    assert "errorlist" in html(response)


def test_an_edited_unit_shows_its_new_name_at_once(world, order_in, as_user):
    order = order_in(State.SIGNED)
    client = as_user(world.dispatcher)
    assert world.hb_police.name in html(client.get(reverse("board")))
    world.hb_police.name = "湖滨派出所（新址）"
    world.hb_police.save()
    page = html(client.get(reverse("board")))
    row = page.split(f'data-order="{order.number}"')[1].split("</tr>")[0]
    assert "湖滨派出所（新址）" in row
    filters = page.split('name="unit"')[1].split("</select>")[0]
    assert "湖滨派出所（新址）" in filters


def test_a_party_phone_finds_its_orders(world, order_in, as_user):
    mobile = order_in(State.SIGNED, parties=[party_input(name="施秀琴", phone="13860712235")])
    landline = order_in(State.REPORTED, parties=[party_input(phone="0595-88881234")])
    other = order_in(State.REPORTED, parties=[party_input(phone="13912345678")])
    client = as_user(world.dispatcher)

    def found(q):
        page = html(client.get(reverse("order-list"), {"q": q}))
        return {o for o in (mobile, landline, other) if o.number in page}

    for typed in ["13860712235", "138 6071 2235", "138-6071-2235", "+86 138 6071 2235"]:
        assert found(typed) == {mobile}, typed
    for typed in ["0595-88881234", "059588881234", "0595 8888 1234"]:
        assert found(typed) == {landline}, typed
    assert found("1386071223") == set()  # a part of a number finds nothing by phone
    assert found("施秀琴") == {mobile}


def test_the_overdue_filter_offers_all_yes_and_no(world, as_user):
    page = html(as_user(world.dispatcher).get(reverse("order-list")))
    select = page.split('name="overdue"')[1].split("</select>")[0]
    assert '<option value="unknown" selected>全部</option>' in select
    assert "未知" not in select


def card_numbers(page: str) -> list[str]:
    """The numbers on the handler list's cards in order, "|" where the section of the
    orders the unit only assists begins."""
    own, _, assisting = page.partition('<h2 id="assisting-head">协办订单')

    def numbers(part: str) -> list[str]:
        cards = part.split('<li class="card')[1:]
        return [card.split('data-order="', 1)[1].split('"')[0] for card in cards]

    return [*numbers(own), *(["|"] if assisting else []), *numbers(assisting)]


def test_orders_the_unit_only_assists_come_apart_after_its_own(world, order_in, as_user):
    # Assisted orders, one long overdue; the unit's own, one overdue at +40 min.
    late_assist = order_in(
        State.DISPATCHED,
        start=T0 - timedelta(days=1),
        lead_unit=world.hb_committee,
        assisting_units=[world.hb_police],
    )
    assist = order_in(State.SIGNED, lead_unit=world.hb_committee, assisting_units=[world.hb_police])
    own = [order_in(State.DISPATCHED), order_in(State.SIGNED), order_in(State.MET)]
    with time_machine.travel(T0 + timedelta(minutes=40), tick=False):
        page = html(as_user(world.handler).get(reverse("handling")))
    shown = card_numbers(page)
    assert shown[3:] == ["|", late_assist.number, assist.number]
    assert set(shown[:3]) == {o.number for o in own}
    late_card = page.split(f'data-order="{late_assist.number}"')[0].rsplit("<li", 1)[1]
    assert "urgency-overdue" not in late_card and "urgency-assist" in late_card
    own_card = page.split(f'data-order="{own[0].number}"')[0].rsplit("<li", 1)[1]
    assert "urgency-overdue" in own_card  # sign was due at +35 min
    # Counts: the unit leads 3 (1 overdue, 1 on time, 1 waiting to close), assists 2.
    counts = page.split('id="handling-counts"')[1].split("</p>")[0]
    for label, n in [("主办", 3), ("超时", 1), ("临期", 0), ("按时", 1), ("待派单/待结单", 1)]:
        assert f"{label} <b>{n}</b>" in counts, label
    assert "协办 <b>2</b>" in counts


def test_the_sections_are_paged_as_one_list(world, order_in, as_user):
    own = [order_in(State.DISPATCHED, start=T0 + timedelta(minutes=i)) for i in range(9)]
    assisted = [
        order_in(
            State.SIGNED,
            start=T0 + timedelta(minutes=i),
            lead_unit=world.hb_committee,
            assisting_units=[world.hb_police],
        )
        for i in range(2)
    ]
    client = as_user(world.handler)

    def page(n):
        return card_numbers(html(client.get(reverse("handling"), {"per_page": 10, "page": n})))

    assert page(1) == [o.number for o in own] + ["|", assisted[0].number]
    assert page(2) == ["|", assisted[1].number]
