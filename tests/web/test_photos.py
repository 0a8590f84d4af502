"""Photos through the web forms (the note form and the report form): processed like the
API's, shown as thumbnails on the order page, to those who may see the order only."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import ExifTags

from disputes.models import Attachment, Order, State
from tests.images import GPS, MAKE, camera_jpeg, opened

from .conftest import html
from .test_report import report_data

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n%%EOF\n"


@pytest.fixture
def photos(settings, media_root):
    settings.ATTACHMENT_IMAGE_MAX_EDGE = 600
    settings.ATTACHMENT_THUMBNAIL_EDGE = 120
    return media_root


def body(response) -> bytes:
    return b"".join(response.streaming_content)


def note(client, order, name: str, content: bytes, **fields):
    return client.post(
        reverse("order-note", args=[order.pk]),
        {"note": "", "file": SimpleUploadedFile(name, content), **fields},
    )


def test_the_order_page_shows_a_photos_thumbnail_linking_to_it(world, order_in, as_user, photos):
    order = order_in(State.SIGNED)
    reporter = as_user(world.reporter)
    assert note(reporter, order, "<门口>.jpg", camera_jpeg()).status_code == 302
    assert note(reporter, order, "协议.pdf", PDF).status_code == 302
    photo, pdf = Attachment.objects.order_by("pk")
    page = html(reporter.get(reverse("order-detail", args=[order.pk])))
    download, thumbnail = (
        reverse("attachment", args=[photo.pk]),
        reverse("attachment-thumbnail", args=[photo.pk]),
    )
    link = re.search(rf'<a href="{download}">(.*?)</a>', page).group(1)
    assert f'<img class="thumb" src="{thumbnail}" alt="&lt;门口&gt;.jpg"' in link
    # The PDF is listed by name, without a picture.
    pdf_link = re.search(rf'<a href="{reverse("attachment", args=[pdf.pk])}">(.*?)</a>', page)
    assert pdf_link.group(1) == "协议.pdf"

    got = reporter.get(thumbnail)
    assert got.status_code == 200
    assert got["Content-Type"] == "image/jpeg" and got["X-Content-Type-Options"] == "nosniff"
    assert opened(body(got)).size == (80, 120)
    full = reporter.get(download)
    assert full["Content-Type"] == "image/jpeg" and "inline" in full["Content-Disposition"]
    data = body(full)
    assert opened(data).size == (400, 600) and MAKE.encode() not in data
    assert as_user(world.dispatcher).get(thumbnail).status_code == 200
    for outsider in [world.fl_dispatcher, world.other_reporter]:
        assert as_user(outsider).get(thumbnail).status_code == 404
        assert as_user(outsider).get(download).status_code == 404
    assert (
        as_user(world.reporter).get(reverse("attachment-thumbnail", args=[pdf.pk])).status_code
        == 404
    )


def test_the_note_form_keeps_the_location_only_when_asked(world, order_in, as_user, photos):
    order = order_in(State.SIGNED)
    police = as_user(world.handler)
    page = html(police.get(reverse("order-detail", args=[order.pk])))
    assert 'name="keep_location"' in page
    assert note(police, order, "a.jpg", camera_jpeg()).status_code == 302
    assert note(police, order, "b.jpg", camera_jpeg(), keep_location="on").status_code == 302
    plain, located = Attachment.objects.order_by("pk")
    assert not opened(plain.file.read()).getexif().get_ifd(ExifTags.IFD.GPSInfo)
    assert opened(located.file.read()).getexif().get_ifd(ExifTags.IFD.GPSInfo) == GPS


def test_the_report_form_processes_its_photos(world, as_user, photos):
    photo = SimpleUploadedFile("现场.jpg", camera_jpeg(), content_type="image/jpeg")
    data = report_data(world, files=[photo]) | {"keep_location": "on"}
    response = as_user(world.reporter).post(reverse("report"), data)
    assert response.status_code == 302
    attachment = Order.objects.get().attachments.get()
    image = opened(attachment.file.read())
    assert image.size == (400, 600)
    assert image.getexif().get_ifd(ExifTags.IFD.GPSInfo) == GPS
    assert attachment.thumbnail


def test_a_refused_photo_is_named_on_the_note_form(world, order_in, as_user, photos):
    order = order_in(State.SIGNED)
    response = note(as_user(world.handler), order, "坏.jpg", b"\xff\xd8\xff\xe0 broken")
    assert response.status_code == 400
    assert "无法读取此图片" in html(response)
    assert not Attachment.objects.exists()


def test_a_refused_photo_refuses_the_report_and_says_why_at_the_photos(world, as_user, photos):
    photo = SimpleUploadedFile("坏.png", b"\x89PNG\r\n\x1a\n broken", content_type="image/png")
    response = as_user(world.reporter).post(reverse("report"), report_data(world, files=[photo]))
    assert response.status_code == 400
    assert "无法读取此图片" in str(response.context["form"].errors["files"])
    assert "坏.png" in html(response)  # named among the photos to choose again
    assert not Order.objects.exists() and not Attachment.objects.exists()
