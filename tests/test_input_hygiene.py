"""Hostile input over HTTP (issue 12): ids that are not ids, invisible characters in
names, files whose content is not what their extension says.

- Hand-parsed ids (the inbox's mark-read form, the dispatch form's unit, list filters):
  ``"²"`` and ``"１２"`` are digits to Python, 25 digits overflow the database. A 400 (or
  nothing found), never a 500, and nothing changed.
- Party names, titles and addresses lose bidi overrides and zero-width characters; one
  left empty is a field error.
- An attachment's first bytes must match its extension.
"""

import pytest
from django.conf import settings
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from disputes.models import Attachment, Order, Party, State
from notifications.models import Notification
from tests.images import image_bytes

pytestmark = pytest.mark.django_db

NOT_IDS = ["²", "１２", "9" * 25, "-1", "", "0", " 1", "1e3"]
JSON_NOT_IDS = ["²", "１２", "1", 10**25, -1, 0, "", None, 1.5, True]


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()  # the API throttles count in it
    yield
    cache.clear()


def api(user) -> APIClient:
    token, _ = Token.objects.get_or_create(user=user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def unread(user) -> int:
    return Notification.objects.filter(recipient=user, read_at=None).count()


# --- ids -------------------------------------------------------------------------------------


@pytest.mark.parametrize("bad", NOT_IDS)
def test_the_inbox_form_refuses_an_id_that_is_not_one(world, client, bad):
    world.order(State.REPORTED)
    world.order(State.REPORTED)
    mine = Notification.objects.filter(recipient=world.dispatcher)
    first = mine.earliest("pk")
    assert unread(world.dispatcher) == 2
    client.force_login(world.dispatcher)
    response = client.post("/inbox/read/", {"id": [str(first.pk), bad]})
    assert response.status_code == 400
    assert "通知编号无效" in response.content.decode()
    assert unread(world.dispatcher) == 2  # neither the valid one nor (as before) all of them
    # A good id still marks just that one.
    assert client.post("/inbox/read/", {"id": str(first.pk)}).status_code == 302
    assert unread(world.dispatcher) == 1


def test_leading_zeros_do_not_hit_ints_length_limit(world, client):
    world.order(State.REPORTED)
    first = Notification.objects.filter(recipient=world.dispatcher).get()
    client.force_login(world.dispatcher)
    response = client.post("/inbox/read/", {"id": "0" * 5000 + str(first.pk)})
    assert response.status_code == 302
    assert unread(world.dispatcher) == 0


@pytest.mark.parametrize("bad", JSON_NOT_IDS)
def test_the_api_mark_read_refuses_an_id_that_is_not_one(world, bad):
    world.order(State.REPORTED)
    response = api(world.dispatcher).post(
        "/api/v1/notifications/mark-read/", {"ids": [bad]}, format="json"
    )
    assert response.status_code == 400
    assert "ids" in response.json()["errors"]
    assert unread(world.dispatcher) == 1


@pytest.mark.parametrize("bad", ["", "²", [], {"ids": 1}])
def test_the_api_mark_read_refuses_ids_that_are_not_a_list(world, bad):
    world.order(State.REPORTED)
    response = api(world.dispatcher).post(
        "/api/v1/notifications/mark-read/", {"ids": bad}, format="json"
    )
    if bad == []:  # an empty list names nothing: nothing is marked
        assert response.status_code == 200 and response.json() == {"marked": 0}
    else:
        assert response.status_code == 400
    assert unread(world.dispatcher) == 1


@pytest.mark.parametrize("bad", NOT_IDS)
def test_the_dispatch_form_and_its_assignee_list_take_any_unit_text(world, client, bad):
    order = world.order(State.REPORTED)
    client.force_login(world.dispatcher)
    form = client.get(reverse("order-dispatch", args=[order.pk]), {"lead_unit": bad})
    assert form.status_code == 200
    sent = client.post(reverse("order-dispatch", args=[order.pk]), {"lead_unit": bad})
    assert sent.status_code == 400
    assert Order.objects.get(pk=order.pk).state == State.REPORTED
    options = client.get(reverse("assignee-options"), {"lead_unit": bad})
    assert options.status_code == 200 and 'value=""' in options.content.decode()
    assert options.content.decode().count("<option") == 1  # only "nobody in particular"


@pytest.mark.parametrize("bad", NOT_IDS)
def test_list_filters_by_id_take_only_ascii_digits(world, client, bad):
    order = world.order(State.REPORTED)
    client.force_login(world.dispatcher)
    full_width = "".join(chr(ord(d) + 0xFEE0) for d in str(order.category_id))
    for value in (bad, full_width):
        response = client.get(reverse("order-list"), {"category": value})
        assert response.status_code == 200, value
        # Not read as the category with that number: the filter says the choice is wrong.
        assert ("category" in response.context["filter"].errors) == bool(value), value


@pytest.mark.parametrize("bad", ["²", "１", "9" * 25])
def test_api_paths_with_ids_that_are_not_ones_are_404(world, bad):
    client = api(world.dispatcher)
    assert client.get(f"/api/v1/orders/{bad}/").status_code == 404
    assert client.get(f"/api/v1/notifications/{bad}/").status_code == 404


# --- invisible characters in names, titles, addresses -------------------------------------


def report_form(world, name: str, **fields) -> dict:
    return {
        "category": world.neighbours.pk,
        "community": world.zk.pk,
        "risk_level": "low",
        "narrative": "楼上夜间噪音。",
        "source": "patrol",
        "parties-TOTAL_FORMS": "1",
        "parties-INITIAL_FORMS": "0",
        "parties-MIN_NUM_FORMS": "1",
        "parties-MAX_NUM_FORMS": "20",
        "parties-0-name": name,
        "parties-0-role": "applicant",
        **fields,
    }


def report_body(world, name: str, **fields) -> dict:
    return {
        "title": "邻居噪音",
        "narrative": "楼上夜间噪音。",
        "category": world.neighbours.pk,
        "community": world.zk.pk,
        "parties": [{"name": name}],
        **fields,
    }


def test_the_report_form_drops_invisible_characters(world, client):
    client.force_login(world.reporter)
    response = client.post(
        reverse("report"),
        report_form(
            world,
            "\u202eevil\u200b",
            title="\ufeff噪音\u2066纠纷\u2069",
            address="金曾\u200d花园\u00ad3幢",
        ),
    )
    assert response.status_code == 302
    order = Order.objects.get()
    assert order.parties.get().name == "evil"
    assert (order.title, order.address) == ("噪音纠纷", "金曾花园3幢")


@pytest.mark.parametrize("name", ["\u200b\u200b", "\u202e", "\ufeff\u2060\u3164", "\u200f "])
def test_the_report_form_refuses_a_name_that_is_only_invisible(world, client, name):
    client.force_login(world.reporter)
    response = client.post(reverse("report"), report_form(world, name))
    assert response.status_code == 400
    assert response.context["parties"].forms[0].errors["name"] == ["此字段不能为空。"]
    assert 'id="id_parties-0-name_error"' in response.content.decode()
    assert not Order.objects.exists()


def test_the_api_drops_invisible_characters(world):
    response = api(world.reporter).post(
        "/api/v1/orders/",
        report_body(world, "\u202eevil", title="\u200b噪音", address="\u2067曾坑\u2069"),
        format="json",
    )
    assert response.status_code == 201, response.json()
    order = Order.objects.get()
    assert order.parties.get().name == "evil"
    assert (order.title, order.address) == ("噪音", "曾坑")
    assert response.json()["parties"][0]["name"] == "evil"


def test_the_api_refuses_a_name_or_title_that_is_only_invisible(world):
    response = api(world.reporter).post(
        "/api/v1/orders/", report_body(world, "\u200b\u200b", title="\u202e"), format="json"
    )
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert errors["parties[0].name"] and errors["title"]
    assert not Order.objects.exists() and not Party.objects.exists()


# --- attachment content ---------------------------------------------------------------------

HTML = b"<html><script>alert(document.cookie)</script></html>"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9"
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def test_every_allowed_extension_has_a_content_check():
    from shishi_mediation.validators import CONTENT_SIGNATURES

    assert set(CONTENT_SIGNATURES) == set(settings.ATTACHMENT_EXTENSIONS)


def upload(name: str, content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/octet-stream")


@pytest.mark.parametrize(
    "name,content",
    [
        ("x.jpg", HTML),
        ("x.png", JPEG),
        ("x.pdf", b"MZ\x90\x00 a program"),
        ("x.docx", HTML),
        ("x.txt", b"\x00\x01binary\x00"),
        ("x.gif", PNG),
        ("x.mp3", HTML),
    ],
)
def test_a_file_whose_content_is_not_its_type_is_refused(world, client, media_root, name, content):
    client.force_login(world.reporter)
    response = client.post(
        reverse("report"), report_form(world, "甲", files=[upload(name, content)])
    )
    assert response.status_code == 400
    ext = name.rsplit(".", 1)[1]
    assert f"文件内容与扩展名 .{ext} 不符" in str(response.context["form"].errors["files"])
    assert not Order.objects.exists() and not Attachment.objects.exists()


def test_the_note_form_refuses_html_named_jpg(world, client, media_root):
    order = world.order(State.SIGNED)
    client.force_login(world.handler)
    response = client.post(
        reverse("order-note", args=[order.pk]), {"note": "照片", "file": upload("x.jpg", HTML)}
    )
    assert response.status_code == 400
    assert "文件内容与扩展名 .jpg 不符" in response.content.decode()
    assert not Attachment.objects.exists()


def test_real_files_pass(world, client, media_root):
    files = [
        upload("现场.jpg", image_bytes("JPEG")),  # photos are decoded: real ones
        upload("现场.PNG", image_bytes("PNG")),
        upload("协议.pdf", PDF),
        upload("说明.txt", "调解记录\r\n双方同意。".encode("gb18030")),
        upload("记录.txt", "\ufeff调解记录".encode()),
        upload("表.xlsx", b"PK\x03\x04" + b"\x00" * 26),
        upload("旧.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 8),
        upload("图.webp", image_bytes("WEBP")),
        upload("录音.m4a", b"\x00\x00\x00\x20ftypM4A "),
        upload("录音.mp3", b"ID3\x04\x00"),
    ]
    client.force_login(world.reporter)
    response = client.post(reverse("report"), report_form(world, "甲", files=files))
    assert response.status_code == 302
    assert Attachment.objects.count() == len(files)
