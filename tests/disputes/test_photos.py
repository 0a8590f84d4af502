"""Photos through ``services.order_attach`` (the web forms and the API upload call it):
stored upright, shrunk, without EXIF but the GPS position the uploader chose to keep,
with a thumbnail; unreadable photos and decompression bombs refused."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import ExifTags

from disputes import services
from disputes.models import Attachment, EventKind, State
from shishi_mediation.errors import Forbidden, InvalidInput, NotFound
from tests.disputes.lifecycle import last_event, snapshot
from tests.images import (
    BLUE,
    COMMENT,
    GPS,
    MAKE,
    MODEL,
    RED,
    SERIAL,
    XMP_SECRET,
    camera_jpeg,
    image_bytes,
    opened,
    png_claiming,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def small_photos(settings, media_root):
    settings.ATTACHMENT_IMAGE_MAX_EDGE = 600
    settings.ATTACHMENT_THUMBNAIL_EDGE = 120
    return media_root


def attach(order, user, name: str, content: bytes, **kwargs) -> Attachment:
    return services.order_attach(
        order_id=order.pk, actor=user, upload=SimpleUploadedFile(name, content), **kwargs
    )


def stored(attachment: Attachment) -> bytes:
    with attachment.file.open("rb") as f:
        return f.read()


def near(pixel, colour) -> bool:
    return all(abs(a - b) < 40 for a, b in zip(pixel, colour, strict=True))


def test_a_phone_photo_is_stored_upright_shrunk_and_without_exif(world, order_in, small_photos):
    order = order_in(State.SIGNED)
    original = camera_jpeg(size=(1200, 800), orientation=6)
    attachment = attach(order, world.handler, "现场.jpg", original, note="门口")

    data = stored(attachment)
    image = opened(data)
    # Orientation 6: the 1200×800 sensor image is shown 800×1200; shrunk to 600 high.
    assert image.format == "JPEG" and image.size == (400, 600)
    width, height = image.size
    assert near(image.getpixel((width - width // 16, height // 16)), RED), "top-right is red"
    assert near(image.getpixel((width // 16, height // 16)), BLUE)
    exif = image.getexif()
    assert ExifTags.Base.Make not in exif and ExifTags.Base.Model not in exif
    assert ExifTags.Base.Orientation not in exif  # applied, not left for the viewer
    assert not exif.get_ifd(ExifTags.IFD.GPSInfo)
    for secret in (MAKE.encode(), MODEL.encode(), SERIAL.encode(), COMMENT, XMP_SECRET.encode()):
        assert secret not in data
    assert attachment.size == len(data) == attachment.file.size
    assert attachment.original_name == "现场.jpg"

    thumbnail = opened(attachment.thumbnail.read())
    assert thumbnail.format == "JPEG" and thumbnail.size == (80, 120)
    assert not thumbnail.getexif()

    event = last_event(order)
    assert (event.kind, event.note) == (EventKind.ATTACHMENT, "门口")
    assert event.data == {"attachment_id": attachment.pk, "name": "现场.jpg"}


def test_a_shared_location_keeps_the_gps_and_nothing_else(world, order_in, small_photos):
    order = order_in(State.SIGNED)
    attachment = attach(order, world.reporter, "现场.jpg", camera_jpeg(), keep_location=True)
    data = stored(attachment)
    exif = opened(data).getexif()
    assert exif.get_ifd(ExifTags.IFD.GPSInfo) == GPS
    assert set(exif) == {ExifTags.IFD.GPSInfo}  # no maker, model, orientation, Exif IFD
    for secret in (MAKE.encode(), MODEL.encode(), SERIAL.encode()):
        assert secret not in data
    assert last_event(order).data["keep_location"] is True


@pytest.mark.parametrize(("name", "fmt"), [("截图.png", "PNG"), ("图.webp", "WEBP")])
def test_png_and_webp_lose_their_exif_too(world, order_in, small_photos, name, fmt):
    order = order_in(State.SIGNED)
    original = image_bytes(fmt, size=(900, 300))
    assert MAKE.encode() in original
    attachment = attach(order, world.handler, name, original)
    data = stored(attachment)
    image = opened(data)
    assert image.format == fmt and image.size == (600, 200)
    assert MAKE.encode() not in data and SERIAL.encode() not in data
    assert not image.getexif().get_ifd(ExifTags.IFD.GPSInfo)
    assert opened(attachment.thumbnail.read()).size == (120, 40)


def test_a_small_photo_keeps_its_size(world, order_in, small_photos):
    order = order_in(State.SIGNED)
    attachment = attach(order, world.handler, "小.jpg", camera_jpeg(size=(300, 200), orientation=1))
    assert opened(stored(attachment)).size == (300, 200)


@pytest.mark.parametrize(
    ("name", "content", "max_pixels"),
    [
        # 100000 × 100000 claimed in 100 bytes: refused from its header.
        ("bomb.png", png_claiming(100_000, 100_000), None),
        # Above our limit and Pillow's own (its DecompressionBombError).
        ("bomb.png", png_claiming(30_000, 30_000), 10**12),
    ],
)
def test_a_decompression_bomb_is_refused(
    world, order_in, small_photos, settings, name, content, max_pixels
):
    if max_pixels:
        settings.ATTACHMENT_IMAGE_MAX_PIXELS = max_pixels
    order = order_in(State.SIGNED)
    before = snapshot(order.pk)
    with pytest.raises(InvalidInput) as exc:
        attach(order, world.handler, name, content)
    assert "像素过多" in " ".join(exc.value.errors["file"])
    assert snapshot(order.pk) == before
    assert [p for p in small_photos.rglob("*") if p.is_file()] == [], "nothing stored"


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("假.jpg", b"\xff\xd8\xff\xe0 not really a jpeg"),
        ("断.png", image_bytes("PNG", size=(200, 200))[:120]),  # cut off mid-file
    ],
)
def test_a_photo_that_cannot_be_read_is_refused(world, order_in, small_photos, name, content):
    order = order_in(State.SIGNED)
    before = snapshot(order.pk)
    with pytest.raises(InvalidInput) as exc:
        attach(order, world.handler, name, content)
    assert "无法读取此图片" in " ".join(exc.value.errors["file"])
    assert snapshot(order.pk) == before


def test_other_files_are_kept_as_uploaded_without_a_thumbnail(world, order_in, small_photos):
    order = order_in(State.SIGNED)
    pdf = b"%PDF-1.4\n" + bytes(range(256)) * 4
    attachment = attach(order, world.handler, "协议.pdf", pdf, keep_location=True)
    assert stored(attachment) == pdf and not attachment.thumbnail
    gif = b"GIF89a" + b"\x00" * 20
    assert stored(attach(order, world.handler, "动图.gif", gif)) == gif
    assert "keep_location" not in last_event(order).data


def test_who_may_not_attach_is_refused_before_the_file_is_read(world, order_in, small_photos):
    order = order_in(State.SIGNED)
    bomb = png_claiming(100_000, 100_000)
    with pytest.raises(NotFound):  # another street's dispatcher does not see it
        attach(order, world.fl_dispatcher, "bomb.png", bomb)
    with pytest.raises(Forbidden):  # a supervisor sees it but adds nothing
        attach(order, world.supervisor, "bomb.png", bomb)
    assert not Attachment.objects.exists()
