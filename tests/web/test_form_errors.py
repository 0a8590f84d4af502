"""Every error in one round, and nothing silently lost (issue 12): the report form names
the photos a browser cannot re-attach; the step forms check their time with the other
fields instead of after them."""

import base64
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from disputes.models import Attachment, Order, State

from .conftest import html
from .test_report import report_data

pytestmark = pytest.mark.django_db

# A real 1×1 PNG, so a content check on attachments has nothing to object to.
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)


def local(moment) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


def test_a_refused_report_names_the_photos_to_choose_again(world, as_user, media_root):
    photos = [
        SimpleUploadedFile("现场1.png", PNG, content_type="image/png"),
        SimpleUploadedFile("<i>门口.png", PNG, content_type="image/png"),
    ]
    data = report_data(world, narrative="", files=photos)  # the narrative is required
    response = as_user(world.reporter).post(reverse("report"), data)
    assert response.status_code == 400
    page = html(response)
    assert 'id="id_narrative_error"' in page
    assert "上次选择的照片未保存，请重新选择" in page
    assert "现场1.png" in page
    assert "&lt;i&gt;门口.png" in page and "<i>门口" not in page  # a name is text
    assert Order.objects.count() == 0 and Attachment.objects.count() == 0


def test_a_refused_report_without_photos_says_nothing_about_them(world, as_user):
    response = as_user(world.reporter).post(reverse("report"), report_data(world, narrative=""))
    assert response.status_code == 400
    assert "上次选择的照片" not in html(response)


def test_the_contact_form_shows_every_error_at_once(world, order_in, as_user):
    order = order_in(State.SIGNED)
    url = reverse("order-contact", args=[order.pk])
    police = as_user(world.handler)
    # No method, and a time in the future: both in the one answer.
    future = local(timezone.now() + timedelta(days=1))
    response = police.post(url, {"contacted_at": future, "note": "x"})
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert errors["method"] and errors["contacted_at"] == ["联系时间不能晚于现在。"]
    page = html(response)
    assert 'id="id_method_error"' in page and 'id="id_contacted_at_error"' in page
    # No method, and a time before the order was signed.
    before = local(order.signed_at - timedelta(hours=1))
    response = police.post(url, {"contacted_at": before})
    errors = response.context["form"].errors
    assert errors["method"] and errors["contacted_at"] == ["联系时间不能早于签收时间。"]
    assert Order.objects.get(pk=order.pk).state == State.SIGNED


def test_the_meeting_form_shows_every_error_at_once(world, order_in, as_user):
    order = order_in(State.CONTACTED)
    before = local(order.contacted_at - timedelta(hours=1))
    response = as_user(world.handler).post(
        reverse("order-meet", args=[order.pk]), {"place": "调解室", "met_at": before}
    )
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert errors["participants"] and errors["result"]
    assert errors["met_at"] == ["调解时间不能早于联系时间。"]


def test_a_form_sent_as_the_minute_turns_is_not_before_the_previous_step(world, order_in, as_user):
    """The meeting form was opened at 10:21 (its time reads 10:21), the contact was
    recorded at 10:21:59.6 and the form is sent at 10:22:00.2: the meeting is recorded
    right after the contact, not refused as earlier than it."""
    import time_machine

    order = order_in(State.SIGNED)
    contacted = timezone.now().replace(second=59, microsecond=600_000) + timedelta(hours=1)
    with time_machine.travel(contacted, tick=False):
        as_user(world.handler).post(
            reverse("order-contact", args=[order.pk]), {"method": "phone", "note": "x"}
        )
    order.refresh_from_db()
    assert order.state == State.CONTACTED and order.contacted_at == contacted
    with time_machine.travel(contacted + timedelta(seconds=0.6), tick=False):
        response = as_user(world.handler).post(
            reverse("order-meet", args=[order.pk]),
            {
                "met_at": local(contacted),  # 10:21, as the form was filled in
                "place": "调解室",
                "participants": "双方",
                "result": "达成协议",
            },
        )
    assert response.status_code == 302, response.context["form"].errors
    order.refresh_from_db()
    assert order.state == State.MET and order.met_at == contacted
