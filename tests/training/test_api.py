"""/api/v1/training/sessions/: the permission matrix, the 400s naming fields, the schema."""

import pytest

from training.models import TrainingSession

from .conftest import record

URL = "/api/v1/training/sessions/"


def body(world, **kwargs) -> dict:
    data = {
        "topic": "调解技巧实务",
        "kind": "mediation",
        "date": "2026-11-05",
        "start_time": "14:00",
        "end_time": "16:30",
        "trainer_name": "陈老师",
        "organizer": world.hb_center.pk,
        "area": world.hb.pk,
        "attendance": [
            {"user": world.handler.pk},
            {"user": world.head.pk, "status": "absent"},
        ],
        "headcounts": [{"unit": world.zk_residents.pk, "count": 6}],
    }
    return data | kwargs


def test_a_dispatcher_creates_reads_changes_and_deletes(world, api):
    client = api(world.dispatcher)
    r = client.post(URL, body(world), format="json")
    assert r.status_code == 201, r.json()
    data = r.json()
    assert data["hours"] == "2.50"
    assert {(a["user"], a["unit"], a["status"]) for a in data["attendance"]} == {
        (world.handler.pk, world.hb_police.pk, "attended"),
        (world.head.pk, world.hb_police.pk, "absent"),
    }
    assert data["headcounts"] == [
        {"unit": world.zk_residents.pk, "unit_name": "曾坑社区居委会", "count": 6}
    ]
    pk = data["id"]
    r = client.patch(f"{URL}{pk}/", {"topic": "调解技巧（二）"}, format="json")
    assert r.status_code == 200 and r.json()["topic"] == "调解技巧（二）"
    assert len(r.json()["attendance"]) == 2  # not named: kept
    r = client.put(
        f"{URL}{pk}/attendance/", {"attendance": [{"user": world.handler2.pk}]}, format="json"
    )
    assert r.status_code == 200
    assert [a["user"] for a in r.json()["attendance"]] == [world.handler2.pk]
    assert r.json()["headcounts"]  # not named: kept
    assert client.delete(f"{URL}{pk}/").status_code == 204
    assert not TrainingSession.objects.exists()


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("dispatcher", 200),  # the street's center
        ("hb_supervisor", 200),  # its jurisdiction
        ("supervisor", 200),  # the city
        ("handler", 200),  # attended
        ("head", 200),  # listed as absent: sees the record
        ("handler2", 404),  # same unit, not on the list
        ("fl_dispatcher", 404),  # another street
        ("fl_handler", 404),
        ("reporter", 404),
        ("nobody", 404),
        ("admin", 200),
    ],
)
def test_who_sees_a_session(world, api, who, status):
    s = record(world, attendance=[], headcounts=[])
    from training.services import AttendeeInput, session_input_of, session_update

    data = session_input_of(s)
    data.attendance = [
        AttendeeInput(user_id=world.handler.pk),
        AttendeeInput(user_id=world.head.pk, status="absent"),
    ]
    session_update(actor=world.dispatcher, session_id=s.pk, data=data)
    client = api(getattr(world, who))
    assert client.get(f"{URL}{s.pk}/").status_code == status
    listed = [row["id"] for row in client.get(URL).json()["results"]]
    assert listed == ([s.pk] if status == 200 else [])


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("dispatcher", 200),
        ("hb_supervisor", 200),
        ("supervisor", 200),
        ("handler", 403),  # sees it (attended) but may not change it
        ("fl_dispatcher", 404),
        ("nobody", 404),
    ],
)
def test_who_changes_a_session(world, api, hb_session, who, status):
    r = api(getattr(world, who)).patch(f"{URL}{hb_session.pk}/", {"place": "新址"}, format="json")
    assert r.status_code == status
    r = api(getattr(world, who)).delete(f"{URL}{hb_session.pk}/")
    assert r.status_code == (204 if status == 200 else status)


@pytest.mark.parametrize("who", ["handler", "head", "reporter", "nobody", "fl_handler"])
def test_only_recorders_create(world, api, who):
    assert api(getattr(world, who)).post(URL, body(world), format="json").status_code == 403


def test_anonymous_is_401(client):
    from rest_framework.test import APIClient

    assert APIClient().get(URL).status_code == 401


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"start_time": "16:00", "end_time": "15:00"}, "end_time"),
        ({"start_time": None, "end_time": None, "hours": "0"}, "hours"),
        ({"start_time": None, "end_time": None, "hours": "-2"}, "hours"),
        ({"start_time": None, "end_time": None, "hours": "24.5"}, "hours"),
        ({"area": 999999}, "area"),
        ({"organizer": 999999}, "organizer"),
        ({"date": "2026-13-01"}, "date"),
        ({"topic": 5}, "topic"),
    ],
)
def test_bad_input_is_400_naming_the_field(world, api, change, field):
    r = api(world.dispatcher).post(URL, body(world, **change), format="json")
    assert r.status_code == 400
    assert field in r.json()["errors"]


def test_attendees_outside_the_scope_or_twice_are_400(world, api):
    client = api(world.dispatcher)
    r = client.post(URL, body(world, attendance=[{"user": world.fl_handler.pk}]), format="json")
    assert r.status_code == 400 and list(r.json()["errors"]) == ["attendance[0].user"]
    twice = [{"user": world.handler.pk}, {"user": world.handler.pk, "status": "absent"}]
    r = client.post(URL, body(world, attendance=twice), format="json")
    assert r.status_code == 400 and list(r.json()["errors"]) == ["attendance[1].user"]
    r = client.post(URL, body(world, attendance=[{"user": "x"}]), format="json")
    assert r.status_code == 400
    assert not TrainingSession.objects.exists()


def test_filters(world, api, hb_session):
    from datetime import date

    record(world, date=date(2026, 12, 1), attendance=[])
    client = api(world.dispatcher)
    got = client.get(URL, {"month": "2026-11"}).json()["results"]
    assert [r["id"] for r in got] == [hb_session.pk]
    assert client.get(URL, {"month": "2026-1"}).status_code == 400
    assert "month" in client.get(URL, {"month": "nope"}).json()["errors"]
    got = client.get(URL, {"unit": world.hb_police.pk}).json()["results"]
    assert [r["id"] for r in got] == [hb_session.pk]
    assert client.get(URL, {"unit": world.fl_police.pk}).json()["results"] == []
    got = api(world.handler).get(URL, {"mine": "true"}).json()["results"]
    assert [r["id"] for r in got] == [hb_session.pk]


def test_the_schema_documents_the_training_api(world, api):
    r = api(world.dispatcher).get("/api/schema/", {"format": "json"})
    paths = r.json()["paths"]
    assert "/api/v1/training/sessions/" in paths
    assert "/api/v1/training/sessions/{id}/attendance/" in paths


def test_a_partial_change_checks_the_lists_items_whole(world, api, hb_session):
    client = api(world.dispatcher)
    url = f"{URL}{hb_session.pk}/"
    r = client.patch(url, {"attendance": [{"status": "absent"}]}, format="json")
    assert r.status_code == 400 and "attendance" in r.json()["errors"]
    r = client.patch(url, {"headcounts": [{"unit": world.zk_residents.pk}]}, format="json")
    assert r.status_code == 400 and "headcounts" in r.json()["errors"]
    r = client.patch(url, {"attendance": [{"user": world.handler2.pk}]}, format="json")
    assert r.status_code == 200
    assert [(a["user"], a["status"]) for a in r.json()["attendance"]] == [
        (world.handler2.pk, "attended")
    ]


def test_a_bad_cursor_is_a_documented_404(world, api):
    r = api(world.dispatcher).get(URL, {"cursor": "garbage"})
    assert r.status_code == 404
    schema = api(world.dispatcher).get("/api/schema/", {"format": "json"}).json()
    assert "404" in schema["paths"][URL]["get"]["responses"]
