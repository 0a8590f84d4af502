"""A handler on a 390 px phone adds a photo to an order through the note form, as
Chromium posts it (multipart, its own CSRF and Origin headers), and sees its thumbnail:
upright (the camera's EXIF orientation applied), inside the screen, named by its alt
text, linking to the photo."""

import re

import pytest

from disputes.models import Attachment, State
from tests.images import camera_jpeg

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_photo_added_on_the_phone_shows_as_a_thumbnail(world, order_in, media_root, open_as):
    order = order_in(State.SIGNED)
    phone = open_as(world.handler, phone=True)
    phone.goto(f"/orders/{order.pk}/")
    # Taken with the phone upright: the sensor's 1200×800 picture, EXIF orientation 6.
    phone.set_input_files(
        "#id_file",
        files=[{"name": "现场.jpg", "mimeType": "image/jpeg", "buffer": camera_jpeg()}],
    )
    with phone.expect_navigation():
        phone.get_by_role("button", name="添加备注/附件").click()
    assert phone.locator(".messages").inner_text().startswith("已添加")
    attachment = Attachment.objects.get(order=order)

    thumb = phone.locator(".attachments img.thumb")
    thumb.scroll_into_view_if_needed()
    phone.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=thumb.element_handle()
    )
    assert thumb.get_attribute("alt") == "现场.jpg"
    natural = thumb.evaluate("img => [img.naturalWidth, img.naturalHeight]")
    assert natural == [213, 320]  # portrait: turned upright, 320 px long edge
    box = thumb.bounding_box()
    assert box["width"] > 0 and box["x"] >= 0 and box["x"] + box["width"] <= 390
    link = thumb.locator("xpath=..")  # the thumbnail opens the photo
    assert re.fullmatch(rf"/attachments/{attachment.pk}/", link.get_attribute("href"))
