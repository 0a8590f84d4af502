"""The order page's assisting units (协办): the assisting unit signs with one tap and
files its opinion there; the lead unit reads both; the center adds a unit after signing."""

import pytest
from django.urls import reverse

from disputes.models import Assistance, State
from tests.web.conftest import html
from tests.web.test_queries import queries

pytestmark = pytest.mark.django_db


def page(client, order) -> str:
    return html(client.get(reverse("order-detail", args=[order.pk])))


def test_the_assisting_unit_signs_and_files_its_opinion_on_the_page(world, order_in, as_user):
    order = order_in(State.SIGNED, assisting_units=[world.hb_committee])
    committee = as_user(world.committee_handler)
    text = page(committee, order)
    assert 'id="assistances"' in text and "曾坑社区人民调解委员会" in text
    assert reverse("order-assist-sign", args=[order.pk]) in text
    assert 'id="opinion-form"' not in text  # sign first
    response = committee.post(reverse("order-assist-sign", args=[order.pk]))
    assert response.status_code == 302
    text = page(committee, order)
    assert reverse("order-assist-sign", args=[order.pk]) not in text  # signed: no button
    assert 'id="opinion-form"' in text
    empty = committee.post(reverse("order-assist-opinion", args=[order.pk]), {"opinion": " "})
    assert empty.status_code == 400 and "该字段是必填项" in html(empty)
    committee.post(reverse("order-assist-opinion", args=[order.pk]), {"opinion": "建议<b>分期</b>"})
    lead = page(as_user(world.handler), order)
    assert "建议&lt;b&gt;分期&lt;/b&gt;" in lead  # escaped, shown to the lead unit
    assert 'id="opinion-form"' not in lead
    again = as_user(world.committee_handler).post(reverse("order-assist-sign", args=[order.pk]))
    assert again.status_code == 302  # a conflict message back on the page, nothing changed
    assert Assistance.objects.get(order=order).signed_by == world.committee_handler


def test_only_the_assisting_unit_may_sign_its_part(world, order_in, as_user):
    order = order_in(State.DISPATCHED, assisting_units=[world.hb_committee])
    assert (
        as_user(world.handler).post(reverse("order-assist-sign", args=[order.pk])).status_code
        == 403
    )
    assert (
        as_user(world.fl_handler).post(reverse("order-assist-sign", args=[order.pk])).status_code
        == 404
    )
    assert (
        as_user(world.committee_handler)
        .get(reverse("order-assist-sign", args=[order.pk]))
        .status_code
        == 405
    )


def test_the_center_adds_an_assisting_unit_after_signing(world, order_in, as_user):
    order = order_in(State.SIGNED)
    center = as_user(world.dispatcher)
    url = reverse("order-add-assisting", args=[order.pk])
    form = html(center.get(url))
    assert f'value="{world.hb_labour.pk}"' in form
    assert f'value="{world.hb_police.pk}"' not in form  # the lead unit is not offered
    assert center.post(url, {}).status_code == 400
    response = center.post(url, {"units": [world.hb_labour.pk], "note": "需劳动保障所协助"})
    assert response.status_code == 302
    assert list(order.assisting_units.all()) == [world.hb_labour]
    assert as_user(world.handler).get(url).status_code == 403


def test_the_order_page_reads_the_parts_in_constant_queries(world, order_in, as_user):
    client = as_user(world.dispatcher)
    one = order_in(State.SIGNED, assisting_units=[world.hb_committee])
    three = order_in(
        State.SIGNED, assisting_units=[world.hb_committee, world.hb_labour, world.zk_residents]
    )
    queries(client, reverse("order-detail", args=[one.pk]))
    assert queries(client, reverse("order-detail", args=[one.pk])) == queries(
        client, reverse("order-detail", args=[three.pk])
    )
