"""The incident desk's pages: who gets the desk, the day's figures and list, the push
and link forms posted as a browser posts them, and incident and order linked both ways."""

import pytest
import time_machine
from django.urls import reverse

from disputes.models import Incident, Order, Source, State
from tests.desk_world import command_room, desk_types, desk_user, local, make_incident
from tests.web.conftest import html

pytestmark = pytest.mark.django_db

DESK = "/incidents/"


@pytest.fixture
def types(world):
    return desk_types(world)


@pytest.fixture
def duty(world):
    return desk_user(command_room(world))


@pytest.fixture
def day(world, types):
    """10 November 2026: four incidents in 湖滨 (three not police matters), one in 凤里."""
    return {
        "help": make_incident(
            types,
            "QZ",
            world.zk,
            local(2026, 11, 10, 9, 0),
            number="J20261110QZ01",
            summary="独居老人求助：楼上漏水",
            caller_phone="13812345678",
        ),
        "wages": make_incident(types, "JF-LZ", world.zk, local(2026, 11, 10, 10, 0)),
        "void": make_incident(types, "WX", world.sg, local(2026, 11, 10, 11, 0)),
        "theft": make_incident(types, "XS", world.zk, local(2026, 11, 10, 12, 0)),
        "fl": make_incident(types, "ZA", world.fl_community, local(2026, 11, 10, 13, 0)),
    }


@pytest.mark.parametrize(
    "who, status",
    [
        ("duty", 200),
        ("handler", 200),
        ("supervisor", 200),
        ("admin", 200),
        ("dispatcher", 403),
        ("committee_handler", 403),
        ("reporter", 403),
        ("nobody", 403),
    ],
)
def test_who_gets_the_desk(world, as_user, duty, day, who, status):
    user = duty if who == "duty" else getattr(world, who)
    response = as_user(user).get(DESK, {"date": "2026-11-10"})
    assert response.status_code == status
    nav = f'href="{reverse("incident-desk")}"' in html(as_user(user).get("/", follow=True))
    assert nav is (status == 200)


def test_the_day_shows_its_share_counts_and_incidents(world, as_user, duty, day):
    page = html(as_user(duty).get(DESK, {"date": "2026-11-10"}))
    assert "警情 5 起，非警务类 3 起" in page and "60.0%" in page
    assert "2026-11 全月" in page
    assert 'id="by-community"' in page and 'id="by-type"' in page
    for incident in day.values():
        assert f'data-incident="{incident.number}"' in page
    assert "138****5678" in page and "13812345678" not in page  # masked on the page
    # 湖滨派出所 sees its street only.
    station = html(as_user(world.handler).get(DESK, {"date": "2026-11-10"}))
    assert "警情 4 起，非警务类 3 起" in station and "75.0%" in station
    assert day["fl"].number not in station


def test_today_is_the_default_day_in_shanghai(world, as_user, duty, day):
    # 2026-11-10 01:30 in Shanghai is still the 9th in UTC.
    with time_machine.travel(local(2026, 11, 10, 1, 30), tick=False):
        page = html(as_user(duty).get(DESK))
    assert day["help"].number in page


def test_filters_and_search_on_the_page(world, as_user, duty, day):
    client = as_user(duty)
    page = html(client.get(DESK, {"date": "2026-11-10", "q": "+86 13812345678"}))
    assert day["help"].number in page and day["wages"].number not in page
    page = html(client.get(DESK, {"date": "2026-11-10", "type": "JF-LZ"}))
    assert day["wages"].number in page and day["help"].number not in page
    page = html(client.get(DESK, {"date": "2026-11-10", "pushed": "no", "dispute": "yes"}))
    assert day["wages"].number in page and day["help"].number not in page
    page = html(client.get(DESK, {"date": "2026-11-10", "community": world.sg.pk}))
    assert day["void"].number in page and day["wages"].number not in page
    # A bad date falls back to today and says so; never a 500.
    response = client.get(DESK, {"date": "2026-02-30", "community": "x"})
    assert response.status_code == 200


def test_the_incident_page_is_scoped(world, as_user, duty, day):
    url = reverse("incident-detail", args=[day["help"].number])
    assert as_user(duty).get(url).status_code == 200
    assert as_user(world.handler).get(url).status_code == 200
    assert as_user(world.fl_handler).get(url).status_code == 404
    assert as_user(world.dispatcher).get(url).status_code == 404
    assert as_user(duty).get(reverse("incident-detail", args=["x" * 80])).status_code == 404
    # A supervisor reads it, without the forms.
    page = html(as_user(world.supervisor).get(url))
    assert 'id="push"' not in page


def test_push_from_the_page_and_the_order_shows_its_incident(world, as_user, duty, day):
    client = as_user(duty)
    incident = day["help"]
    url = reverse("incident-push", args=[incident.number])
    missing = client.post(url, {"category": ""})
    assert missing.status_code == 400
    assert "该字段是必填项" in html(missing)

    response = client.post(url, {"category": str(world.neighbours.pk)}, follow=True)
    assert response.status_code == 200
    order = Order.objects.get(source=Source.POLICE_INCIDENT)
    assert order.state == State.DISPATCHED
    page = html(response)
    assert "已推送" in page and order.number in page and "湖滨派出所" in page
    assert 'id="push"' not in page

    again = client.post(url, {"category": str(world.neighbours.pk)}, follow=True)
    assert "不能重复推送" in html(again)
    assert Order.objects.filter(source=Source.POLICE_INCIDENT).count() == 1

    # The officer's order page names the incident and links to the desk's page of it.
    officer = html(as_user(world.handler).get(reverse("order-detail", args=[order.pk])))
    assert 'id="order-incidents"' in officer
    assert reverse("incident-detail", args=[incident.number]) in officer
    assert "关联警情" in officer  # the timeline's event
    # The desk shows the order's state and unit on the incident's card.
    desk = html(as_user(duty).get(DESK, {"date": "2026-11-10"}))
    assert order.number in desk
    assert "共 5 条" in desk
    assert "待签收" in desk


def test_a_supervisor_may_not_push(world, as_user, day):
    url = reverse("incident-push", args=[day["help"].number])
    response = as_user(world.supervisor).post(url, {"category": str(world.wages.pk)})
    assert response.status_code == 403
    assert Incident.objects.get(pk=day["help"].pk).order is None


def test_link_from_the_page(world, as_user, duty, day):
    order = world.order("signed")
    client = as_user(duty)
    url = reverse("incident-link", args=[day["void"].number])
    bad = client.post(url, {"order": "HB-000000-99999"})
    assert bad.status_code == 400 and "未找到该订单" in html(bad)
    response = client.post(url, {"order": order.number}, follow=True)
    assert "已关联订单" in html(response)
    assert Incident.objects.get(pk=day["void"].pk).order == order
    # An order page shows the incident as a number only to someone without its desk.
    page = html(as_user(world.dispatcher).get(reverse("order-detail", args=[order.pk])))
    assert day["void"].number in page
    assert reverse("incident-detail", args=[day["void"].number]) not in page


def test_the_desk_reads_a_page_in_a_constant_number_of_queries(world, as_user, duty, types):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = as_user(duty)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(DESK, {"date": "2026-11-10"}).status_code == 200
        return len(captured)

    at = local(2026, 11, 10, 9, 0)
    first = make_incident(types, "QZ", world.zk, at)
    first.order = world.order("signed")
    first.save()
    few = queries()
    for i in range(12):
        incident = make_incident(types, "QZ" if i % 2 else "XS", world.sg, at)
        if i % 3 == 0:
            incident.order = world.order("met")
            incident.save()
    assert queries() == few
