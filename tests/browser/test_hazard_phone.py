"""On a 390 px phone: the grid worker reports a hazard with a photo, the department
opens it, closes it with a photo after, and the page shows it fixed on time; nothing
wider than the screen."""

import pytest

from hazards.models import Hazard, HazardCategory
from tests.images import camera_jpeg

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def fits(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth") <= 390


def test_a_hazard_is_reported_fixed_and_closed_with_a_photo(world, media_root, open_as, screenshot):
    HazardCategory.objects.create(
        code="fire", name="消防安全", department=world.hb_labour, fix_days=7
    )
    phone = open_as(world.reporter, phone=True)
    phone.goto("/hazards/new/")
    phone.select_option("#id_category", label="消防安全")
    phone.select_option("#id_community", label="曾坑社区")
    phone.fill("#id_address", "曾坑村 8 号楼道")
    phone.fill("#id_description", "楼道堆放杂物，堵塞消防通道。")
    phone.set_input_files(
        "#id_photos",
        files=[{"name": "楼道.jpg", "mimeType": "image/jpeg", "buffer": camera_jpeg()}],
    )
    assert fits(phone)
    with phone.expect_navigation():
        phone.get_by_role("button", name="上报").click()
    hazard = Hazard.objects.get()
    assert phone.url.endswith(f"/hazards/{hazard.pk}/")
    assert "湖滨劳动保障所" in phone.locator("#hazard-summary").inner_text()
    assert fits(phone)

    dept = open_as(world.labour_handler, phone=True)
    dept.goto(f"/hazards/{hazard.pk}/")
    assert dept.locator(".clock").count() == 1
    dept.set_input_files(
        "#close-form input[name=photos]",
        files=[{"name": "整改后.jpg", "mimeType": "image/jpeg", "buffer": camera_jpeg()}],
    )
    dept.fill("#close-form textarea[name=note]", "杂物已清理，通道畅通。")
    assert fits(dept)
    with dept.expect_navigation():
        dept.get_by_role("button", name="办结").click()
    summary = dept.locator("#hazard-summary").inner_text()
    assert "已整改" in summary and "按时整改" in summary
    img = dept.locator(".photos img").last
    img.scroll_into_view_if_needed()
    dept.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=img.element_handle())
    assert fits(dept)
    screenshot(dept, "hazard_phone")
    dept.goto("/hazards/")
    assert fits(dept)
    screenshot(dept, "hazard_list_phone")
    hazard.refresh_from_db()
    assert (hazard.state, hazard.on_time) == ("fixed", True)
