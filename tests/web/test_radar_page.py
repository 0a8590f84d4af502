"""The repeat radar on the web (issue 17): the report form flags a repeat and says so; the
order page lists the earlier disputes the viewer may open and only counts the others."""

from datetime import timedelta

import pytest
from django.urls import reverse

from disputes.models import Order
from tests.factories import party_input, report_order

from .conftest import html
from .test_report import report_data

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("radar_on")]


def test_the_report_form_flags_a_repeat(world, as_user, t0):
    earlier = report_order(
        world,
        now=t0 - timedelta(days=20),
        parties=[party_input(name="别人", phone="13800000000", id_number="")],
        address="金曾花园三栋",
    )
    client = as_user(world.reporter)
    response = client.post(reverse("report"), report_data(world), follow=True)
    order = Order.objects.exclude(pk=earlier.pk).get()
    assert order.is_repeat and order.repeat_reason_list == ["address"]
    page = html(response)
    assert "已标记为重复纠纷" in page
    assert 'id="repeat-flag"' in page and 'href="#radar"' in page
    assert reverse("order-detail", args=[earlier.pk]) in page and "同一地址" in page


def test_the_order_page_counts_what_the_viewer_may_not_open(world, as_user, t0):
    fl = report_order(
        world,
        now=t0,
        parties=[party_input(phone="13812345678", id_number="")],
        community=world.fl_community,
        actor=world.fl_reporter,
        address="凤里路 1 号",
    )
    hb = report_order(
        world, now=t0 + timedelta(days=1), parties=[party_input(name="林某", id_number="")]
    )
    order = report_order(
        world,
        now=t0 + timedelta(days=2),
        parties=[party_input(name="陈某", id_number="")],
        address="别处",
    )
    page = html(as_user(world.dispatcher).get(reverse("order-detail", args=[order.pk])))
    assert 'id="radar"' in page and "重复纠纷" in page
    assert hb.number in page and "同一电话" in page
    assert fl.number not in page and reverse("order-detail", args=[fl.pk]) not in page
    assert "另有 1 条记录不在您的查看范围内" in page


def test_no_radar_section_without_earlier_disputes(world, as_user, t0):
    order = report_order(world, now=t0, parties=[party_input(id_number="")])
    page = html(as_user(world.dispatcher).get(reverse("order-detail", args=[order.pk])))
    assert 'id="radar"' not in page
