"""The hazard pages as a browser posts them: report with a photo, detail with its
countdown, close with a photo (and without: the field named), photos served only to
those who see the hazard, the screening log."""

import pytest
from django.utils import timezone

from hazards.models import Hazard, ScreeningVisit
from tests.hazards.conftest import photo

pytestmark = pytest.mark.django_db


def test_reporting_on_the_page_routes_it_and_shows_the_countdown(world, categories, client):
    client.force_login(world.reporter)
    form = client.get("/hazards/new/")
    assert form.status_code == 200 and 'name="photos"' in form.content.decode()
    response = client.post(
        "/hazards/new/",
        {
            "category": categories.fire.pk,
            "community": world.zk.pk,
            "address": "曾坑村 8 号楼道",
            "description": "楼道堆放杂物。",
            "photos": [photo()],
        },
    )
    hazard = Hazard.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/hazards/{hazard.pk}/"
    page = client.get(response["Location"]).content.decode()
    assert "湖滨劳动保障所" in page and "clock clock-ok" in page and "剩余" in page
    assert f"/hazards/photos/{hazard.photos.get().pk}/thumbnail/" in page
    # The reporter may not close: no form for it.
    assert 'id="close-form"' not in page
    listed = client.get("/hazards/").content.decode()
    assert "曾坑村 8 号楼道" in listed


def test_a_report_without_a_place_names_the_field(world, categories, client):
    client.force_login(world.reporter)
    response = client.post(
        "/hazards/new/", {"category": categories.fire.pk, "community": world.zk.pk}
    )
    assert response.status_code == 400
    assert "请填写地点" in response.content.decode()
    assert not Hazard.objects.exists()


def test_the_department_closes_with_a_photo_and_without_one_is_told(world, report, client):
    hazard = report(at=timezone.now())
    client.force_login(world.labour_handler)
    page = client.get(f"/hazards/{hazard.pk}/").content.decode()
    assert 'id="close-form"' in page
    missing = client.post(f"/hazards/{hazard.pk}/close/", {"note": "已清理"})
    assert missing.status_code == 400
    assert "请上传至少一张整改后照片" in missing.content.decode()
    done = client.post(f"/hazards/{hazard.pk}/close/", {"note": "已清理", "photos": [photo()]})
    assert done.status_code == 302
    hazard.refresh_from_db()
    assert (hazard.state, hazard.on_time) == ("fixed", True)
    page = client.get(f"/hazards/{hazard.pk}/").content.decode()
    assert "整改后照片" in page and "按时整改" in page


def test_outsiders_get_404_and_a_reporter_403_on_closing(world, report, client):
    hazard = report()
    photo_id = hazard.photos.get().pk
    client.force_login(world.fl_dispatcher)
    assert client.get(f"/hazards/{hazard.pk}/").status_code == 404
    assert client.get(f"/hazards/photos/{photo_id}/").status_code == 404
    assert client.get(f"/hazards/photos/{photo_id}/thumbnail/").status_code == 404
    client.force_login(world.reporter)
    assert client.get(f"/hazards/photos/{photo_id}/").status_code == 200
    closing = client.post(f"/hazards/{hazard.pk}/close/", {"note": "x", "photos": [photo()]})
    assert closing.status_code == 403
    client.force_login(world.supervisor)
    assert client.get("/hazards/new/").status_code == 403


def test_the_screening_log_on_the_page(world, categories, client):
    client.force_login(world.reporter)
    assert client.get("/hazards/screenings/new/").status_code == 200
    response = client.post(
        "/hazards/screenings/new/",
        {
            "community": world.zk.pk,
            "place": "曾坑菜市场",
            "visited_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
            "checked": [categories.fire.pk, categories.housing.pk],
            "note": "",
            "found": "yes",
        },
    )
    visit = ScreeningVisit.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/hazards/new/?screening={visit.pk}"
    log = client.get("/hazards/screenings/").content.decode()
    assert "曾坑菜市场" in log and "消防安全" in log
    future = client.post(
        "/hazards/screenings/new/",
        {
            "community": world.zk.pk,
            "place": "x",
            "visited_at": "2099-01-01T09:00",
            "checked": [categories.fire.pk],
        },
    )
    assert future.status_code == 400 and "排查时间不能晚于现在" in future.content.decode()
