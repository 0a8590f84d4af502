"""Notes and attachments through ``disputes.services``."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings

from disputes import services
from disputes.models import (
    Attachment,
    EventKind,
    State,
)
from shishi_mediation.errors import InvalidInput
from tests.disputes.lifecycle import (
    last_event,
    later,
    snapshot,
)

pytestmark = pytest.mark.django_db


# --- notes and attachments -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "assisting"),
    [
        ("reporter", False),  # its own report
        ("dispatcher", False),
        ("handler", False),
        ("committee_handler", True),  # an assisting unit
    ],
)
def test_notes_go_on_the_timeline(order_in, world, who, assisting):
    order = order_in(State.SIGNED, assisting_units=[world.hb_committee] if assisting else ())
    at = later(order)
    services.order_add_note(
        order_id=order.pk, actor=getattr(world, who), note=" 当事人情绪稳定 ", now=at
    )
    event = last_event(order)
    assert (event.kind, event.actor, event.at, event.note) == (
        EventKind.NOTE,
        getattr(world, who),
        at,
        "当事人情绪稳定",
    )
    assert (event.from_state, event.to_state) == ("", "")
    order.refresh_from_db()
    assert order.state == State.SIGNED


@pytest.mark.parametrize("state", [State.CLOSED, State.CANCELLED])
def test_notes_may_be_added_after_the_order_ends(order_in, world, state):
    order = order_in(state)
    services.order_add_note(order_id=order.pk, actor=world.reporter, note="回访：满意")
    assert last_event(order).kind == EventKind.NOTE


def test_an_empty_note_without_a_file_is_rejected(order_in, world):
    order = order_in(State.REPORTED)
    before = snapshot(order.pk)
    with pytest.raises(InvalidInput) as exc:
        services.order_add_note(order_id=order.pk, actor=world.reporter, note="  ")
    assert "note" in exc.value.errors
    assert snapshot(order.pk) == before


def test_an_attachment_is_stored_and_recorded(order_in, world, tmp_path):
    order = order_in(State.SIGNED)
    upload = SimpleUploadedFile("协议书.PDF", b"%PDF-1.4 agreement", content_type="application/pdf")
    with override_settings(MEDIA_ROOT=str(tmp_path)):
        services.order_add_note(
            order_id=order.pk, actor=world.handler, note="调解协议", upload=upload, now=later(order)
        )
        attachment = Attachment.objects.get(order=order)
        assert attachment.file.read() == b"%PDF-1.4 agreement"
    assert attachment.original_name == "协议书.PDF"
    assert attachment.size == len(b"%PDF-1.4 agreement")
    assert attachment.uploaded_by == world.handler
    assert (tmp_path / "orders" / str(order.pk) / "协议书.PDF").exists()
    event = last_event(order)
    assert event.kind == EventKind.ATTACHMENT
    assert event.note == "调解协议"
    assert event.data == {"attachment_id": attachment.pk, "name": "协议书.PDF"}


@pytest.mark.parametrize(
    ("name", "size", "code_word"),
    [
        ("virus.exe", 10, ".exe"),
        ("script.html", 10, ".html"),
        ("noextension", 10, None),
        ("photo.jpg", 2049, "2,049 B"),  # just over the 2 KiB limit below
    ],
)
def test_a_disallowed_or_oversized_file_is_rejected(
    order_in, world, tmp_path, name, size, code_word
):
    order = order_in(State.SIGNED)
    before = snapshot(order.pk)
    upload = SimpleUploadedFile(name, b"x" * size)
    small = override_settings(MEDIA_ROOT=str(tmp_path), ATTACHMENT_MAX_BYTES=2048)
    with small, pytest.raises(InvalidInput) as exc:
        services.order_add_note(order_id=order.pk, actor=world.handler, note="附件", upload=upload)
    assert "file" in exc.value.errors
    if code_word:
        assert code_word in " ".join(str(m) for m in exc.value.errors["file"])
    assert snapshot(order.pk) == before
    assert not Attachment.objects.exists()
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == [], "nothing stored"


def test_a_file_at_exactly_the_size_limit_is_accepted(order_in, world, tmp_path):
    order = order_in(State.SIGNED)
    with override_settings(MEDIA_ROOT=str(tmp_path), ATTACHMENT_MAX_BYTES=2048):
        services.order_add_note(
            order_id=order.pk,
            actor=world.handler,
            note="",
            upload=SimpleUploadedFile("scan.pdf", b"%PDF-" + b"x" * 2043),
        )
    assert Attachment.objects.get(order=order).size == 2048


def test_the_oversize_message_tells_the_size_apart_from_the_limit(order_in, world, tmp_path):
    order = order_in(State.SIGNED)
    upload = SimpleUploadedFile("photo.jpg", b"x" * (10 * 2**20 + 2**19))  # 10.5 MiB
    ten_mb = override_settings(MEDIA_ROOT=str(tmp_path), ATTACHMENT_MAX_BYTES=10 * 2**20)
    with ten_mb, pytest.raises(InvalidInput) as exc:
        services.order_add_note(order_id=order.pk, actor=world.handler, note="", upload=upload)
    [message] = exc.value.errors["file"]
    size, limit = re.findall(r"\d+(?:\.\d+)?", str(message))[:2]
    assert size != limit, message
