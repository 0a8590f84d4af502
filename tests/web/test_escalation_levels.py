"""Escalation levels as people see them: the overview's counts, the order page's banner
and timeline, and the timeline API, each naming a level by its one label."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from disputes.models import State
from disputes.notices import notify_raised
from disputes.sweep import sla_sweep
from tests.factories import T0

from .conftest import html

pytestmark = pytest.mark.django_db

# Orders are dispatched 5 min after their start; sign is due 30 min later:
# warning at start + 29 min, level 1 at + 35 min, level 2 at + 65 min.
SWEPT_AT = T0 + timedelta(hours=2)
LEVEL2_START = T0  # 55 min past level 2
LEVEL1_START = T0 + timedelta(hours=1)  # due 10:35, level 2 at 11:05
WARNING_START = T0 + timedelta(hours=1, minutes=28)  # due 11:03


def sweep_and_notify(now):
    sla_sweep(now=now)
    notify_raised(now=now)


@pytest.fixture
def four_escalated(world, order_in):
    """Two orders in warning, one at level 1, one at level 2, after one sweep."""
    orders = {
        "level2": order_in(State.DISPATCHED, start=LEVEL2_START),
        "level1": order_in(State.DISPATCHED, start=LEVEL1_START),
        "warning_a": order_in(State.DISPATCHED, start=WARNING_START),
        "warning_b": order_in(State.DISPATCHED, start=WARNING_START),
    }
    sweep_and_notify(SWEPT_AT)
    return orders


def level_counts(page: str) -> dict[str, str]:
    block = page.split('id="escalations"')[1].split("</p>")[0]
    return dict(re.findall(r'data-level="(\d)">.*?<span class="n">(\d+)</span>', block))


def test_the_overview_counts_each_stage_once_at_its_level(world, four_escalated, as_user):
    with time_machine.travel(SWEPT_AT, tick=False):
        page = html(as_user(world.supervisor).get(reverse("overview")))
    # Seven escalation rows are open (3 + 2 + 1 + 1); two stages are overdue.
    assert "未解除的超时督办：2 件" in page
    assert level_counts(page) == {"0": "2", "1": "1", "2": "1"}
    block = page.split('id="escalations"')[1].split("</p>")[0]
    for label in ("临期预警", "一级督办", "二级督办"):
        assert label in block


def test_the_timeline_names_each_escalation_by_its_level(world, four_escalated, as_user):
    order = four_escalated["level2"]
    page = html(as_user(world.dispatcher).get(reverse("order-detail", args=[order.pk])))
    timeline = page.split('id="timeline"')[1]
    kinds = re.findall(
        r'data-kind="escalated">.*?<strong class="kind">(.*?)</strong>', timeline, re.S
    )
    assert kinds == ["临期预警", "一级督办", "二级督办"]
    assert "超时预警" not in page


def test_the_order_page_shows_one_banner_per_stage_at_its_highest_level(
    world, four_escalated, as_user
):
    order = four_escalated["level2"]
    page = html(as_user(world.dispatcher).get(reverse("order-detail", args=[order.pk])))
    banners = re.findall(r'<p class="msg warning escalation lvl-(\d)">(.*?)</p>', page, re.S)
    assert [level for level, _text in banners] == ["2"]
    assert "二级督办" in banners[0][1] and "签收" in banners[0][1]


def test_the_timeline_api_names_each_escalation_by_its_level(world, four_escalated):
    order = four_escalated["level1"]
    client = APIClient()
    client.credentials(
        HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=world.dispatcher)[0].key}"
    )
    events = client.get(f"/api/v1/orders/{order.pk}/timeline/").json()
    assert [e["kind_display"] for e in events if e["kind"] == "escalated"] == [
        "临期预警",
        "一级督办",
    ]
    assert events[0]["kind_display"] == "报单"
