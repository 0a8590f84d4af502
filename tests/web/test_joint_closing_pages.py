"""The joint closing's pages: the proposal form, the order page's 结单确认 section with
each party's link (for the handling unit and the center only), the party's own page
without login, the in-person form with its photo, the sign-off button and the
agreement's page and PDF."""

import io
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from pypdf import PdfReader

from disputes.models import ClosingProposal, Order, PartyConfirmation, State
from tests.conftest import needs_pdf
from tests.factories import AGREEMENT, STEP_OFFSETS, T0
from tests.images import image_bytes

from .conftest import html

pytestmark = pytest.mark.django_db


def pending(order) -> ClosingProposal:
    return ClosingProposal.objects.get(order=order, status="pending")


def test_the_handler_proposes_the_closing_through_the_form(world, order_in, as_user):
    order = order_in(State.MET)
    url = reverse("order-close", args=[order.pk])
    client = as_user(world.handler)
    page = html(client.get(url))
    assert 'name="terms"' in page and 'name="perform_by"' in page
    # The agreement is required for a mediated case: the field is named.
    response = client.post(url, {"outcome": "mediated", "summary": "达成协议", "grade": "simple"})
    assert response.status_code == 400
    assert "terms" in response.context["form"].errors or "此字段" in html(response)
    assert Order.objects.get(pk=order.pk).state == State.MET
    response = client.post(
        url,
        {
            "outcome": "mediated",
            "summary": "达成协议",
            "grade": "simple",
            **AGREEMENT,
            "perform_by": "2026-12-31",
        },
    )
    assert response.status_code == 302
    assert Order.objects.get(pk=order.pk).state == State.CONFIRMING
    proposal = pending(order)
    assert str(proposal.perform_by) == "2026-12-31"

    detail = html(client.get(reverse("order-detail", args=[order.pk])))
    assert 'id="closing"' in detail
    for c in proposal.confirmations.all():
        assert reverse("confirm", args=[c.token]) in detail  # the handler hands the links out
    # A supervisor reads the order, never the parties' links.
    supervisor_page = html(as_user(world.supervisor).get(reverse("order-detail", args=[order.pk])))
    assert 'id="closing"' in supervisor_page
    for c in proposal.confirmations.all():
        assert c.token not in supervisor_page


def test_a_party_confirms_and_another_refuses_on_their_own_pages(
    world, order_in, client, time_machine
):
    order = order_in(State.CONFIRMING)
    time_machine.move_to(T0 + STEP_OFFSETS[State.CONFIRMING] + timedelta(hours=1))
    first, second = pending(order).confirmations.order_by("party_id")
    page = client.get(reverse("confirm", args=[first.token]))
    assert page.status_code == 200
    text = html(page)
    assert first.party.name in text and AGREEMENT["terms"] in text
    assert second.party.name not in text  # only its own party is named
    assert page["Cache-Control"].startswith("max-age=0") or "no-cache" in page["Cache-Control"]

    assert (
        client.post(reverse("confirm", args=[first.token]), {"answer": "confirm"}).status_code
        == 302
    )
    replay = client.post(
        reverse("confirm", args=[first.token]), {"answer": "refuse", "reason": "x"}
    )
    assert replay.status_code == 409
    assert PartyConfirmation.objects.get(pk=first.pk).answer == "confirmed"

    no_reason = client.post(reverse("confirm", args=[second.token]), {"answer": "refuse"})
    assert no_reason.status_code == 400
    refused = client.post(
        reverse("confirm", args=[second.token]), {"answer": "refuse", "reason": "金额不对"}
    )
    assert refused.status_code == 302
    assert Order.objects.get(pk=order.pk).state == State.MET
    assert client.get(reverse("confirm", args=["nonsense"])).status_code == 404
    # A week after the proposal the link no longer takes an answer.
    order = order_in(State.CONFIRMING)
    stale = pending(order).confirmations.first()
    time_machine.move_to(T0 + STEP_OFFSETS[State.CONFIRMING] + timedelta(days=7, seconds=1))
    assert "expired" in html(client.get(reverse("confirm", args=[stale.token])))
    late = client.post(reverse("confirm", args=[stale.token]), {"answer": "confirm"})
    assert late.status_code == 409
    assert PartyConfirmation.objects.get(pk=stale.pk).answer == ""


@needs_pdf
def test_the_party_pdf_and_the_order_agreement_page(world, order_in, client, as_user, time_machine):
    order = order_in(State.CONFIRMING)
    proposed = T0 + STEP_OFFSETS[State.CONFIRMING]
    time_machine.move_to(proposed + timedelta(days=1))
    proposal = pending(order)
    token = proposal.confirmations.first().token
    pdf = client.get(reverse("confirm-pdf", args=[token]))
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    text = "".join(
        "".join(p.extract_text().split()) for p in PdfReader(io.BytesIO(pdf.content)).pages
    )
    assert "人民调解协议书" in text and order.number in text
    time_machine.move_to(proposed + timedelta(days=7, seconds=1))  # the link's time is up
    assert client.get(reverse("confirm-pdf", args=[token])).status_code == 404

    url = reverse("order-agreement", args=[order.pk, proposal.pk])
    assert AGREEMENT["facts"] in html(as_user(world.handler).get(url))
    # Outside the viewer's scope: not found, page and PDF alike.
    assert as_user(world.fl_handler).get(url).status_code == 404
    pdf_url = reverse("order-agreement-pdf", args=[order.pk, proposal.pk])
    assert as_user(world.fl_handler).get(pdf_url).status_code == 404
    assert as_user(world.handler).get(pdf_url).status_code == 200


def test_in_person_confirmation_and_the_sign_offs_close_the_order(world, order_in, as_user):
    order = order_in(State.CONFIRMING)
    proposal = pending(order)
    client = as_user(world.handler)
    url = reverse("order-closing-confirm", args=[order.pk])
    for c in proposal.confirmations.all():
        no_photo = client.post(url, {"party": c.party_id, "answer": "confirm"})
        assert no_photo.status_code == 400
        upload = SimpleUploadedFile("signed.jpg", image_bytes("JPEG"), content_type="image/jpeg")
        response = client.post(url, {"party": c.party_id, "answer": "confirm", "file": upload})
        assert response.status_code == 302, html(response)
    sign = reverse("order-closing-sign", args=[order.pk])
    assert 'id="closing-sign"' not in html(client.get(reverse("order-detail", args=[order.pk])))
    assert client.post(sign).status_code == 403  # a handler does not sign off

    reporter = as_user(world.reporter)
    assert 'id="closing-sign"' in html(reporter.get(reverse("order-detail", args=[order.pk])))
    assert reporter.post(sign).status_code == 302
    assert as_user(world.dispatcher).post(sign).status_code == 302
    assert Order.objects.get(pk=order.pk).state == State.CLOSED


def test_overdue_close_is_offered_only_past_the_limit(world, order_in, as_user, time_machine):
    order = order_in(State.CONFIRMING)
    detail = reverse("order-detail", args=[order.pk])
    center = as_user(world.dispatcher)
    proposed = T0 + STEP_OFFSETS[State.CONFIRMING]
    time_machine.move_to(proposed + pending(order).order.duties.get(kind="closing").limit / 2)
    assert "order-close-overdue" not in html(center.get(detail)) and reverse(
        "order-close-overdue", args=[order.pk]
    ) not in html(center.get(detail))
    time_machine.move_to(proposed + pending(order).order.duties.get(kind="closing").limit * 2)
    assert reverse("order-close-overdue", args=[order.pk]) in html(center.get(detail))
    response = center.post(
        reverse("order-close-overdue", args=[order.pk]), {"reason": "当事人失联"}
    )
    assert response.status_code == 302
    assert Order.objects.get(pk=order.pk).state == State.CLOSED


def test_without_a_chinese_font_the_pdf_is_503_and_the_page_still_prints(
    world, order_in, client, as_user, monkeypatch, time_machine
):
    """A PDF of empty boxes is worse than none: the party is told to print the page."""
    monkeypatch.setattr("disputes.agreements._chinese_font", lambda: False)
    order = order_in(State.CONFIRMING)
    time_machine.move_to(T0 + STEP_OFFSETS[State.CONFIRMING] + timedelta(days=1))
    proposal = pending(order)
    token = proposal.confirmations.first().token
    answer = client.get(reverse("confirm-pdf", args=[token]))
    assert answer.status_code == 503
    assert "请使用协议书页面打印" in answer.content.decode()
    page = as_user(world.handler).get(reverse("order-agreement", args=[order.pk, proposal.pk]))
    assert page.status_code == 200 and AGREEMENT["facts"] in html(page)
