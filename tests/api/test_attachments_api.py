"""``/api/v1/orders/{id}/attachments/`` (upload, list) and ``/api/v1/attachments/{id}/``
(download, thumbnail): the web's checks and permissions, over multipart, and every
answer as the published OpenAPI schema says."""

import json

import pytest
import requests
import schemathesis
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import ExifTags
from schemathesis.core.transport import Response as SchemaResponse

from disputes.models import Attachment, EventKind, OrderEvent, State
from tests.images import GPS, MAKE, SERIAL, camera_jpeg, opened, png_claiming

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n" + bytes(range(256)) * 8
UPLOAD = "/api/v1/orders/{id}/attachments/"
DOWNLOAD = "/api/v1/attachments/{id}/"
THUMBNAIL = "/api/v1/attachments/{id}/thumbnail/"


@pytest.fixture
def schema(db):
    body = Client().get("/api/schema/", HTTP_ACCEPT="application/json").content
    return schemathesis.openapi.from_dict(json.loads(body))


@pytest.fixture
def conforms(schema):
    """``conforms(response, "POST", UPLOAD, path)``: the response's status, content type
    and body are the schema's for that operation."""

    def check(response, method: str, template: str, path: str):
        operation = schema[template][method]
        assert str(response.status_code) in operation.definition.raw["responses"], (
            template,
            response.status_code,
        )
        content = (
            b"".join(response.streaming_content)
            if getattr(response, "streaming", False)
            else response.content
        )
        operation.validate_response(
            SchemaResponse(
                status_code=response.status_code,
                headers={k: [v] for k, v in response.headers.items()},
                content=content,
                request=requests.Request(method, "http://testserver" + path).prepare(),
                elapsed=0.0,
                verify=True,
            )
        )
        return content

    return check


@pytest.fixture
def photos(settings, media_root):
    settings.ATTACHMENT_IMAGE_MAX_EDGE = 600
    settings.ATTACHMENT_THUMBNAIL_EDGE = 120
    return media_root


def upload(client, order_id, name: str, content: bytes, **fields):
    data = {"file": SimpleUploadedFile(name, content), **fields}
    return client.post(UPLOAD.format(id=order_id), data, format="multipart")


def body(response) -> bytes:
    return b"".join(response.streaming_content)


# --- upload, list, download --------------------------------------------------------------------


@pytest.mark.parametrize("who", ["reporter", "handler", "dispatcher", "committee_handler"])
def test_who_may_add_a_note_uploads_lists_and_downloads(world, api, order_in, photos, who):
    order = order_in(State.SIGNED, assisting_units=[world.hb_committee])
    client = api(getattr(world, who))
    response = upload(client, order.pk, "协议.pdf", PDF, note="调解协议")
    assert response.status_code == 201, response.content
    made = response.json()
    attachment = Attachment.objects.get()
    assert made == {
        "id": attachment.pk,
        "name": "协议.pdf",
        "size": len(PDF),
        "content_type": "application/pdf",
        "uploaded_at": made["uploaded_at"],
        "uploaded_by": {
            "id": client.user.pk,
            "username": client.user.username,
            "name": made["uploaded_by"]["name"],
        },
        "download_url": f"http://testserver/api/v1/attachments/{attachment.pk}/",
        "thumbnail_url": None,
    }
    assert made["uploaded_by"]["name"]
    event = OrderEvent.objects.filter(order=order).latest("seq")
    assert (event.kind, event.actor, event.note) == (EventKind.ATTACHMENT, client.user, "调解协议")

    listed = client.get(UPLOAD.format(id=order.pk))
    assert listed.status_code == 200 and listed.json() == [made]

    got = client.get(made["download_url"])
    assert got.status_code == 200
    assert body(got) == PDF  # byte for byte
    assert got["Content-Type"] == "application/pdf"
    assert got["Content-Disposition"].startswith("attachment;")
    assert "filename*=utf-8''%E5%8D%8F%E8%AE%AE.pdf" in got["Content-Disposition"]
    assert got["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in got["Cache-Control"]


def test_a_photo_over_the_api_is_processed_and_has_a_thumbnail(world, api, order_in, photos):
    order = order_in(State.SIGNED)
    client = api(world.handler)
    response = upload(client, order.pk, "现场.jpg", camera_jpeg(size=(1200, 800)))
    assert response.status_code == 201, response.content
    made = response.json()
    assert made["content_type"] == "image/jpeg"
    assert made["thumbnail_url"] == f"http://testserver/api/v1/attachments/{made['id']}/thumbnail/"

    got = client.get(made["download_url"])
    data = body(got)
    assert got["Content-Type"] == "image/jpeg"
    assert got["Content-Disposition"].startswith("attachment;")
    assert made["size"] == len(data)
    with Attachment.objects.get().file.open("rb") as f:
        assert f.read() == data  # what is stored is what is served
    image = opened(data)
    assert image.size == (400, 600)  # upright (orientation 6), long edge 600
    assert MAKE.encode() not in data and SERIAL.encode() not in data
    assert not image.getexif().get_ifd(ExifTags.IFD.GPSInfo)

    thumb = client.get(made["thumbnail_url"])
    assert thumb.status_code == 200 and thumb["Content-Type"] == "image/jpeg"
    assert thumb["X-Content-Type-Options"] == "nosniff"
    assert opened(body(thumb)).size == (80, 120)


def test_keep_location_true_keeps_only_the_gps(world, api, order_in, photos):
    order = order_in(State.SIGNED)
    client = api(world.reporter)
    response = upload(client, order.pk, "现场.jpg", camera_jpeg(), keep_location="true")
    assert response.status_code == 201, response.content
    data = body(client.get(response.json()["download_url"]))
    exif = opened(data).getexif()
    assert exif.get_ifd(ExifTags.IFD.GPSInfo) == GPS
    assert set(exif) == {ExifTags.IFD.GPSInfo}
    assert SERIAL.encode() not in data


# --- who may not -------------------------------------------------------------------------------


def test_outside_the_scope_everything_is_404(world, api, order_in, photos):
    order = order_in(State.SIGNED)
    mine = api(world.handler)
    made = upload(mine, order.pk, "现场.jpg", camera_jpeg()).json()
    for user in [world.fl_dispatcher, world.other_reporter, world.fl_handler, world.nobody]:
        client = api(user)
        assert upload(client, order.pk, "x.pdf", PDF).status_code == 404
        assert client.get(UPLOAD.format(id=order.pk)).status_code == 404
        assert client.get(DOWNLOAD.format(id=made["id"])).status_code == 404
        assert client.get(THUMBNAIL.format(id=made["id"])).status_code == 404
    assert Attachment.objects.count() == 1


def test_a_supervisor_sees_and_downloads_but_does_not_upload(world, api, order_in, photos):
    order = order_in(State.SIGNED)
    made = upload(api(world.handler), order.pk, "现场.jpg", camera_jpeg()).json()
    supervisor = api(world.supervisor)
    response = upload(supervisor, order.pk, "x.pdf", PDF)
    assert response.status_code == 403
    assert supervisor.get(UPLOAD.format(id=order.pk)).json()[0]["id"] == made["id"]
    assert supervisor.get(DOWNLOAD.format(id=made["id"])).status_code == 200
    assert supervisor.get(THUMBNAIL.format(id=made["id"])).status_code == 200
    assert Attachment.objects.count() == 1


def test_guessed_ids_of_other_orders_attachments_are_404(world, api, order_in, photos):
    hb = order_in(State.SIGNED)
    fl = order_in(State.REPORTED, reporter=world.fl_reporter, community=world.fl_community)
    hb_file = upload(api(world.handler), hb.pk, "现场.jpg", camera_jpeg()).json()
    fl_file = upload(api(world.fl_reporter), fl.pk, "凤里.pdf", PDF).json()
    hb_handler = api(world.handler)
    assert hb_handler.get(DOWNLOAD.format(id=hb_file["id"])).status_code == 200
    for attempt in [fl_file["id"], fl_file["id"] + 100, 0, -1, "x", 2**63, "1.0"]:
        response = hb_handler.get(DOWNLOAD.format(id=attempt))
        assert response.status_code == 404, attempt
        assert response["Content-Type"] == "application/json"
        assert hb_handler.get(THUMBNAIL.format(id=attempt)).status_code == 404
    # The list under an order one sees never shows another order's files.
    assert [a["id"] for a in hb_handler.get(UPLOAD.format(id=hb.pk)).json()] == [hb_file["id"]]
    assert hb_handler.get(UPLOAD.format(id=fl.pk)).status_code == 404


def test_anonymous_is_401(anon, world, order_in, photos):
    order = order_in(State.SIGNED)
    for response in [
        upload(anon, order.pk, "x.pdf", PDF),
        anon.get(UPLOAD.format(id=order.pk)),
        anon.get(DOWNLOAD.format(id=1)),
        anon.get(THUMBNAIL.format(id=1)),
    ]:
        assert response.status_code == 401
    assert not Attachment.objects.exists()


# --- bad files and bad bodies -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content", "says"),
    [
        ("virus.exe", b"MZ\x90\x00", "不支持的文件类型"),
        ("page.jpg", b"<html><script>alert(1)</script></html>", "文件内容与扩展名 .jpg 不符"),
        ("假.jpg", b"\xff\xd8\xff\xe0 not a picture", "无法读取此图片"),
        ("bomb.png", png_claiming(100_000, 100_000), "像素过多"),
        ("空.pdf", b"", ""),  # DRF's own "empty file" message
    ],
)
def test_a_bad_file_is_400_naming_file(world, api, order_in, photos, name, content, says):
    order = order_in(State.SIGNED)
    response = upload(api(world.handler), order.pk, name, content)
    assert response.status_code == 400, response.content
    errors = response.json()["errors"]
    assert list(errors) == ["file"]
    assert says in " ".join(errors["file"]) and errors["file"]
    assert not Attachment.objects.exists()
    assert not [p for p in photos.rglob("*") if p.is_file()]


def test_a_file_over_the_limit_is_400(world, api, order_in, photos, settings):
    settings.ATTACHMENT_MAX_BYTES = 4096
    order = order_in(State.SIGNED)
    response = upload(api(world.handler), order.pk, "大.pdf", b"%PDF-1.4" + b"x" * 4089)
    assert response.status_code == 400
    assert "文件过大" in " ".join(response.json()["errors"]["file"])
    assert not Attachment.objects.exists()


def test_bad_bodies(world, api, order_in, photos):
    order = order_in(State.SIGNED)
    client = api(world.handler)
    path = UPLOAD.format(id=order.pk)
    no_file = client.post(path, {"note": "x"}, format="multipart")
    assert no_file.status_code == 400 and "file" in no_file.json()["errors"]
    as_text = client.post(path, {"file": "not a file"}, format="multipart")
    assert as_text.status_code == 400 and "file" in as_text.json()["errors"]
    flag = upload(client, order.pk, "x.pdf", PDF, keep_location="yes")
    assert flag.status_code == 400 and "keep_location" in flag.json()["errors"]
    two = client.post(
        path,
        {"file": [SimpleUploadedFile("a.pdf", PDF), SimpleUploadedFile("b.pdf", PDF)]},
        format="multipart",
    )
    assert two.status_code == 400 and "file" in two.json()["errors"]
    as_json = client.post(path, {"file": "x"}, format="json")
    assert as_json.status_code == 415
    assert not Attachment.objects.exists()


# --- the schema ----------------------------------------------------------------------------------


def test_every_answer_is_the_schemas(world, api, order_in, photos, conforms):
    order = order_in(State.SIGNED)
    path = UPLOAD.format(id=order.pk)
    handler = api(world.handler)
    made = upload(handler, order.pk, "现场.jpg", camera_jpeg())
    conforms(made, "POST", UPLOAD, path)
    pdf = upload(handler, order.pk, "协议.pdf", PDF)
    conforms(pdf, "POST", UPLOAD, path)
    conforms(upload(handler, order.pk, "x.exe", b"MZ"), "POST", UPLOAD, path)
    conforms(upload(api(world.supervisor), order.pk, "x.pdf", PDF), "POST", UPLOAD, path)
    conforms(upload(api(world.fl_dispatcher), order.pk, "x.pdf", PDF), "POST", UPLOAD, path)
    conforms(handler.post(path, {}, format="json"), "POST", UPLOAD, path)
    conforms(handler.get(path), "GET", UPLOAD, path)
    for made_id in (made.json()["id"], pdf.json()["id"]):
        conforms(handler.get(DOWNLOAD.format(id=made_id)), "GET", DOWNLOAD, f"/{made_id}/")
    photo_id = made.json()["id"]
    thumb = THUMBNAIL.format(id=photo_id)
    conforms(handler.get(thumb), "GET", THUMBNAIL, thumb)
    no_thumb = THUMBNAIL.format(id=pdf.json()["id"])
    conforms(handler.get(no_thumb), "GET", THUMBNAIL, no_thumb)
    conforms(handler.get(DOWNLOAD.format(id=0)), "GET", DOWNLOAD, DOWNLOAD.format(id=0))


# --- Idempotency-Key ------------------------------------------------------------------------


def test_an_upload_replayed_with_its_key_is_stored_once(world, api, order_in, photos):
    """A phone that resends an upload after a dropped answer gets the first answer back;
    the same key with another file is refused."""
    order = order_in(State.SIGNED)
    client = api(world.handler)
    key = {"HTTP_IDEMPOTENCY_KEY": "upload-0001-aaaa"}
    first = client.post(
        UPLOAD.format(id=order.pk),
        {"file": SimpleUploadedFile("协议.pdf", PDF)},
        format="multipart",
        **key,
    )
    again = client.post(
        UPLOAD.format(id=order.pk),
        {"file": SimpleUploadedFile("协议.pdf", PDF)},
        format="multipart",
        **key,
    )
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() and again["Idempotent-Replayed"] == "true"
    assert Attachment.objects.count() == 1
    assert OrderEvent.objects.filter(order=order, kind=EventKind.ATTACHMENT).count() == 1

    other = client.post(
        UPLOAD.format(id=order.pk),
        {"file": SimpleUploadedFile("协议.pdf", PDF + b"changed")},
        format="multipart",
        **key,
    )
    assert other.status_code == 422
    assert Attachment.objects.count() == 1


def test_the_list_does_not_grow_with_the_attachments(world, api, order_in, photos):
    """One file or six (photos with thumbnails among them): the same queries."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    order = order_in(State.SIGNED)
    client = api(world.handler)

    def listed() -> int:
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(UPLOAD.format(id=order.pk))
        assert response.status_code == 200
        return len(ctx.captured_queries)

    assert upload(client, order.pk, "协议.pdf", PDF).status_code == 201
    one = listed()
    for i in range(5):
        made = upload(client, order.pk, f"现场{i}.jpg", camera_jpeg(size=(300, 200)))
        assert made.status_code == 201
    assert listed() == one
