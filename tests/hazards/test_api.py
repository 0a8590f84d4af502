"""/api/v1/hazards/ and /api/v1/screenings/: scoped reads (404 outside), the roles that
may act (403), evidence on closing (400 naming ``photos``), and the schema."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from hazards.models import Hazard
from tests.hazards.conftest import photo

pytestmark = pytest.mark.django_db

SEES = ["reporter", "labour_handler", "dispatcher", "hb_supervisor", "supervisor", "admin"]
BLIND = ["other_reporter", "handler", "fl_dispatcher", "fl_handler", "fl_reporter", "nobody"]


@pytest.mark.parametrize("who", SEES + BLIND)
def test_a_hazard_is_seen_by_its_reporter_department_center_and_supervisors_only(
    world, report, api, who
):
    hazard = report(at=timezone.now())
    client = api(getattr(world, who))
    detail = client.get(f"/api/v1/hazards/{hazard.pk}/")
    listed = [h["id"] for h in client.get("/api/v1/hazards/").json()["results"]]
    photo_id = hazard.photos.get().pk
    served = client.get(f"/api/v1/hazards/{hazard.pk}/photos/{photo_id}/")
    if who in SEES:
        assert detail.status_code == 200 and listed == [hazard.pk]
        assert served.status_code == 200 and served["Content-Type"] == "image/jpeg"
    else:
        assert detail.status_code == 404 and listed == []
        assert served.status_code == 404


@pytest.mark.parametrize(
    ("who", "code"),
    [
        ("reporter", 403),
        ("hb_supervisor", 403),
        ("fl_dispatcher", 404),
        ("handler", 404),
        ("labour_handler", 200),
        ("dispatcher", 200),
    ],
)
def test_only_the_department_or_the_center_closes_with_a_photo(world, report, api, who, code):
    hazard = report(at=timezone.now())
    response = api(getattr(world, who)).post(
        f"/api/v1/hazards/{hazard.pk}/close/",
        {"note": "杂物已清理，通道畅通。", "photos": [photo("after.jpg")]},
        format="multipart",
    )
    assert response.status_code == code, response.content
    if code == 200:
        body = response.json()
        assert (body["state"], body["on_time"]) == ("fixed", True)
        assert [p["stage"] for p in body["photos"]] == ["before", "after"]
        again = api(getattr(world, who)).post(
            f"/api/v1/hazards/{hazard.pk}/reject/", {"reason": "x"}, format="json"
        )
        assert again.status_code == 409


def test_closing_without_an_after_photo_is_a_400_naming_photos(world, report, api):
    hazard = report(at=timezone.now())
    response = api(world.labour_handler).post(
        f"/api/v1/hazards/{hazard.pk}/close/", {"note": "已整改"}, format="multipart"
    )
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"photos"}
    bad = api(world.labour_handler).post(
        f"/api/v1/hazards/{hazard.pk}/close/",
        {"note": "已整改", "photos": [SimpleUploadedFile("after.jpg", b"not an image")]},
        format="multipart",
    )
    assert bad.status_code == 400 and "photos" in bad.json()["errors"]
    assert Hazard.objects.get().state == "reported"


def test_reporting_over_the_api_with_photos_and_a_point(world, categories, api, media_root):
    client = api(world.reporter)
    response = client.post(
        "/api/v1/hazards/",
        {
            "category": str(categories.housing.pk),
            "community": str(world.zk.pk),
            "address": "曾坑村 3 号危房",
            "description": "外墙开裂。",
            "latitude": "24.731",
            "longitude": "118.640",
            "photos": [photo("a.jpg"), photo("b.png", "PNG")],
        },
        format="multipart",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["department_id"] == world.hb_committee.pk
    assert body["urgency"] == "ok" and len(body["photos"]) == 2
    assert body["latitude"] == "24.731000"
    # A supervisor may not report; a bad category and point are named.
    assert api(world.supervisor).post("/api/v1/hazards/", {}, format="json").status_code in (
        400,
        403,
    )
    bad = client.post(
        "/api/v1/hazards/",
        {
            "category": 999,
            "community": world.zk.pk,
            "address": "x",
            "description": "y",
            "latitude": 95,
            "longitude": 118,
        },
        format="json",
    )
    assert bad.status_code == 400
    assert set(bad.json()["errors"]) == {"category", "location"}


def test_a_supervisor_may_not_report(world, categories, api):
    response = api(world.supervisor).post(
        "/api/v1/hazards/",
        {
            "category": categories.fire.pk,
            "community": world.zk.pk,
            "address": "x",
            "description": "y",
        },
        format="json",
    )
    assert response.status_code == 403


def test_screenings_are_logged_and_scoped(world, categories, api):
    created = api(world.reporter).post(
        "/api/v1/screenings/",
        {
            "community": world.zk.pk,
            "place": "曾坑菜市场",
            "visited_at": "2026-11-10T09:00:00+08:00",
            "checked": [categories.fire.pk],
            "note": "未发现问题",
        },
        format="json",
    )
    assert created.status_code == 201, created.content
    pk = created.json()["id"]
    assert created.json()["outcome"] == "nothing"
    for who, code in [("dispatcher", 200), ("hb_supervisor", 200), ("fl_dispatcher", 404)]:
        assert api(getattr(world, who)).get(f"/api/v1/screenings/{pk}/").status_code == code
    future = api(world.reporter).post(
        "/api/v1/screenings/",
        {
            "community": world.zk.pk,
            "place": "x",
            "visited_at": "2099-01-01T09:00:00+08:00",
            "checked": [categories.fire.pk],
        },
        format="json",
    )
    assert future.status_code == 400 and set(future.json()["errors"]) == {"visited_at"}


def test_the_schema_documents_the_hazard_endpoints(world, api):
    schema = api(world.admin).get("/api/schema/", HTTP_ACCEPT="application/json").json()
    paths = schema["paths"]
    assert "/api/v1/hazards/{id}/close/" in paths
    assert (
        "multipart/form-data"
        in paths["/api/v1/hazards/{id}/close/"]["post"]["requestBody"]["content"]
    )
    assert {"/api/v1/screenings/", "/api/v1/hazards/{id}/reject/"} <= set(paths)
