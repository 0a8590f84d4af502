"""``POST /api/v1/incidents/``: police incidents from the command system."""

import pytest
from django.db import connection

from dispatch.models import Role
from disputes.incidents import incident_types_seed, police_station_for, resolve_community
from disputes.models import Incident, IncidentType, Order, Source, State
from notifications.models import Notification
from tests.factories import AreaFactory, CategoryFactory, UnitFactory, user_with_role
from tests.threads import race_ok

pytestmark = pytest.mark.django_db

URL = "/api/v1/incidents/"


def incident(**overrides) -> dict:
    body = {
        "number": "J3505812026111000123",
        "received_at": "2026-11-10 09:30:00",
        "type": "JF-LZ",
        "summary": "工人报警称工地拖欠三个月工资",
        "address": "曾坑村 12 号",
        "community": "HB/ZK",
        "caller_name": "王某",
        "caller_phone": "+86 138 1234 5678",
    }
    return body | overrides


def test_a_dispute_incident_becomes_an_order_at_the_community_police(
    world, api, command_user, incident_types
):
    response = api(command_user).post(URL, incident(), format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["is_dispute"] is True
    assert body["caller_phone"] == "138****5678"  # in full only on the order, per role
    assert body["order"]["state"] == State.DISPATCHED
    assert body["order"]["lead_unit"]["name"] == "湖滨派出所"

    order = Order.objects.get(pk=body["order"]["id"])
    assert order.source == Source.POLICE_INCIDENT
    assert order.category == world.wages
    assert order.community == world.zk
    assert order.reporter == command_user
    assert order.reporter_unit.name == "石狮市公安局指挥中心"
    assert order.parties.get().phone == "13812345678"
    assert order.sign_due_at is not None
    dispatched = order.events.get(kind="dispatched")
    assert dispatched.actor == command_user
    assert "J3505812026111000123" in dispatched.note
    assert Incident.objects.get().order == order
    # The station's police are told once, as for any dispatch; the street's dispatchers
    # are not told of a report that never waits in their queue.
    told = Notification.objects.filter(order=order)
    assert sorted(told.values_list("kind", "recipient__username")) == [
        ("dispatched", "head"),
        ("dispatched", "police"),
        ("dispatched", "police2"),
    ]
    # The police see it as theirs to sign; the command room sees it as its report.
    assert api(world.handler).get(f"/api/v1/orders/{order.pk}/").json()["actions"] == [
        "return",
        "sign",
    ]
    assert api(command_user).get(f"/api/v1/orders/{order.pk}/").status_code == 200
    detail = api(world.dispatcher).get(f"/api/v1/orders/{order.pk}/").json()
    assert detail["incidents"] == ["J3505812026111000123"]


def test_a_repeat_returns_the_first_result_and_never_a_second_order(
    world, api, command_user, incident_types
):
    client = api(command_user)
    first = client.post(URL, incident(), format="json")
    again = client.post(URL, incident(summary="改过的摘要", type="QZ"), format="json")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()
    assert again.json()["caller_phone"] == "138****5678"
    # A second account of the same command room (a rotated integration key) too.
    colleague = user_with_role(Role.REPORTER, command_user.memberships.get().unit)
    from_colleague = api(colleague).post(URL, incident(), format="json")
    assert from_colleague.status_code == 200
    assert from_colleague.json() == first.json()
    assert Order.objects.count() == 1
    assert Incident.objects.count() == 1


@pytest.mark.parametrize("who", ["fl_reporter", "handler"])
def test_a_repeat_from_another_unit_is_409_and_shows_nothing_of_the_incident(
    world, api, command_user, incident_types, who
):
    first = api(command_user).post(URL, incident(), format="json").json()
    # 凤里派出所's officer, or even 湖滨派出所's (the order's own station): not the sender.
    response = api(getattr(world, who)).post(URL, incident(), format="json")
    assert response.status_code == 409
    assert list(response.json()) == ["detail"]
    text = response.content.decode()
    for secret in ["王某", "5678", "曾坑村", "拖欠", first["order"]["number"]]:
        assert secret not in text
    assert Order.objects.count() == 1
    assert Incident.objects.count() == 1


def test_other_types_are_stored_and_counted_only(world, api, command_user, incident_types):
    response = api(command_user).post(URL, incident(type="XS-DQ"), format="json")
    assert response.status_code == 201
    assert response.json()["order"] is None
    assert response.json()["is_dispute"] is False
    assert Order.objects.count() == 0
    assert Incident.objects.filter(type__is_dispute=False).count() == 1


@pytest.mark.parametrize(
    "who", ["dispatcher", "handler_of_committee", "supervisor", "nobody", "admin", "reporter"]
)
def test_only_police_accounts_may_submit(world, api, incident_types, who):
    user = world.committee_handler if who == "handler_of_committee" else getattr(world, who)
    response = api(user).post(URL, incident(), format="json")
    assert response.status_code == 403
    assert Incident.objects.count() == 0


def test_police_station_members_may_submit(world, api, incident_types):
    # 湖滨派出所's handler: a police-station member (not a supervisor).
    assert api(world.handler).post(URL, incident(), format="json").status_code == 201
    supervisor = user_with_role(Role.SUPERVISOR, world.hb_police)
    assert api(supervisor).post(URL, incident(number="N2"), format="json").status_code == 403


def test_unauthenticated_is_401(anon, incident_types):
    assert anon.post(URL, incident(), format="json").status_code == 401


@pytest.mark.parametrize(
    "overrides,field",
    [
        ({"received_at": "2026-13-45 25:00"}, "received_at"),
        ({"received_at": "yesterday"}, "received_at"),
        ({"received_at": "1899-01-01T00:00:00Z"}, "received_at"),
        ({"received_at": "2099-01-01T00:00:00Z"}, "received_at"),
        ({"type": "NO-SUCH"}, "type"),
        ({"community": "火星社区"}, "community"),
        ({"community": "HB"}, "community"),  # a street, not a community
        ({"caller_phone": "12345"}, "caller_phone"),
        ({"number": ""}, "number"),
        ({"number": "x" * 65}, "number"),
        ({"summary": ""}, "summary"),
        ({"summary": "x" * 5001}, "summary"),
        ({"type": 5}, None),  # a number where a code is expected is still a code
    ],
)
def test_bad_incidents_are_400_with_the_field(
    world, api, command_user, incident_types, overrides, field
):
    response = api(command_user).post(URL, incident(**overrides), format="json")
    if field is None:
        assert response.status_code == 400
        return
    assert response.status_code == 400, response.content
    assert field in response.json()["errors"]
    assert Incident.objects.count() == 0
    assert Order.objects.count() == 0


def test_community_by_name_or_code_path(world):
    assert resolve_community("曾坑社区") == world.zk
    assert resolve_community("HB/ZK") == world.zk
    assert resolve_community("SS/HB/ZK/") == world.zk
    assert resolve_community("ZK") == world.zk  # unique so far
    AreaFactory(community=True, parent=world.fl, name="曾坑社区", code="ZK")
    assert resolve_community("ZK") is None  # now ambiguous: needs the street
    assert resolve_community("曾坑社区") is None
    assert resolve_community("HB/ZK") == world.zk
    assert resolve_community("") is None
    assert resolve_community("HB") is None


def test_the_station_covering_the_community_wins_over_the_streets(world):
    assert police_station_for(world.zk) == world.hb_police  # area is the street
    zk_post = UnitFactory(
        police_station=True, name="曾坑警务室", area=world.hb, covered_areas=[world.zk]
    )
    assert police_station_for(world.zk) == zk_post
    assert police_station_for(world.sg) == world.hb_police


def test_without_a_police_station_the_order_waits_in_the_queue(
    world, api, command_user, incident_types
):
    world.fl_police.is_active = False
    world.fl_police.save()
    response = api(command_user).post(URL, incident(community="凤里社区"), format="json")
    assert response.status_code == 201
    assert response.json()["order"]["state"] == State.REPORTED
    assert response.json()["order"]["lead_unit"] is None
    order = Order.objects.get()
    assert Notification.objects.filter(order=order, kind="reported").exists()  # the center


def test_the_type_table_seed_adds_what_is_missing(world):
    CategoryFactory(code="neighbour", name="邻里")
    added = incident_types_seed()
    assert added == IncidentType.objects.count()
    assert IncidentType.objects.get(code="JF-LZ").category == world.wages
    assert IncidentType.objects.get(code="JF-LL").category.code == "neighbour"
    assert not IncidentType.objects.filter(code="JF-HJ").exists()  # no "family" category here
    assert incident_types_seed() == 0


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_repeats_make_one_order(world, command_user, incident_types, monkeypatch):
    monkeypatch.setattr("notifications.services.kick_delivery", lambda: None)
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: one connection per thread")
    from rest_framework.authtoken.models import Token
    from rest_framework.test import APIClient

    key = Token.objects.create(user=command_user).key

    def client():
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
        return client

    def submit(client):
        return client.post(URL, incident(), format="json").status_code

    codes = race_ok([(client, submit)] * 4)
    assert sorted(codes) == [200, 200, 200, 201]
    assert Order.objects.count() == 1
    assert Incident.objects.count() == 1


def test_incidents_are_counted(world, api, command_user, incident_types):
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from disputes.incidents import incident_counts

    client = api(command_user)
    client.post(URL, incident(number="A"), format="json")
    client.post(URL, incident(number="B", type="XS-DQ"), format="json")
    client.post(URL, incident(number="C", type="QZ", community="凤里社区"), format="json")
    assert (
        client.post(
            URL, incident(number="D", received_at="2026-10-31 23:59"), format="json"
        ).status_code
        == 201
    )
    tz = ZoneInfo("Asia/Shanghai")
    november = {
        "since": datetime(2026, 11, 1, tzinfo=tz),
        "until": datetime(2026, 12, 1, tzinfo=tz),
    }
    assert incident_counts(**november) == {
        "total": 3,
        "disputes": 1,
        "orders": 1,
        "by_type": {"JF-LZ": 1, "XS-DQ": 1, "QZ": 1},
    }
    assert incident_counts(**november, street_id=world.fl.pk)["by_type"] == {"QZ": 1}
