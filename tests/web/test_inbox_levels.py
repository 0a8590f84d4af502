"""The inbox marks escalations by level and filters by level (``?level=``)."""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from disputes.models import State
from disputes.notices import notify_raised
from disputes.sweep import sla_sweep
from tests.factories import T0

from .conftest import html

pytestmark = pytest.mark.django_db


def sweep_and_notify(now):
    sla_sweep(now=now)
    notify_raised(now=now)


@pytest.fixture
def heads_inbox(world, order_in):
    """The station head's inbox: two new-order notices, a level 1 told in time and a
    level 2 that a catch-up sweep announced."""
    in_time = order_in(State.DISPATCHED, start=T0)
    caught_up = order_in(State.DISPATCHED, start=T0 + timedelta(hours=3))
    for minutes in (29, 35):
        sweep_and_notify(T0 + timedelta(minutes=minutes))
    sweep_and_notify(T0 + timedelta(hours=3, minutes=66))
    return in_time, caught_up


def kinds_shown(page: str) -> list[str]:
    return re.findall(r'<li class="card[^"]*" data-kind="([^"]+)"', page)


@pytest.mark.parametrize(
    ("level", "kinds"),
    [
        ("", ["escalation_2", "escalation_1", "dispatched", "dispatched"]),
        ("1", ["escalation_1"]),
        ("2", ["escalation_2"]),
        ("0", []),
        ("other", ["dispatched", "dispatched"]),
        ("bogus", ["escalation_2", "escalation_1", "dispatched", "dispatched"]),
    ],
)
def test_the_inbox_filters_by_level(world, heads_inbox, as_user, level, kinds):
    page = html(as_user(world.head).get(reverse("inbox"), {"level": level}))
    assert sorted(kinds_shown(page)) == sorted(kinds)


def test_the_inbox_marks_each_escalation_with_its_level(world, heads_inbox, as_user):
    in_time, caught_up = heads_inbox
    page = html(as_user(world.head).get(reverse("inbox")))
    cards = page.split('<ul class="inbox cards">')[1].split("</ul>")[0].split("</li>")
    level1 = next(c for c in cards if 'data-kind="escalation_1"' in c)
    level2 = next(c for c in cards if 'data-kind="escalation_2"' in c)
    routine = [c for c in cards if 'data-kind="dispatched"' in c]
    assert '<span class="escalated lvl-1">一级督办</span>' in level1 and in_time.number in level1
    assert '<span class="escalated lvl-2">二级督办</span>' in level2
    assert caught_up.number in level2 and "超时" in level2
    assert routine and not any("escalated" in c for c in routine)
    # The filter row offers each level by its label.
    nav = page.split('class="filters inbox-filter"')[1].split("</nav>")[0]
    for text in ("全部", "临期预警", "一级督办", "二级督办", "其他通知"):
        assert text in nav


def test_the_inbox_filter_costs_no_extra_query(world, heads_inbox, as_user):
    client = as_user(world.head)
    counts = []
    for level in ("", "1", "other"):
        with CaptureQueriesContext(connection) as ctx:
            client.get(reverse("inbox"), {"level": level})
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1] == counts[2]


def test_the_notifications_api_gives_each_escalation_its_level(world, heads_inbox):
    client = APIClient()
    token = Token.objects.get_or_create(user=world.head)[0]
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    body = client.get("/api/v1/notifications/").json()
    rows = body["results"] if isinstance(body, dict) else body
    levels = sorted(((r["kind"], r["level"], r["level_display"]) for r in rows), key=lambda r: r[0])
    assert levels == [
        ("dispatched", None, ""),
        ("dispatched", None, ""),
        ("escalation_1", 1, "一级督办"),
        ("escalation_2", 2, "二级督办"),
    ]
