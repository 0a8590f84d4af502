"""The joint closing (结单确认): the handler proposes the closing with the agreement; each
party confirms through its own link or in person; the reporter and the center sign off;
the order closes when all are in. A refusal sends it back to mediation; past the
72-hour limit the center may close it with a reason."""

import io
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from pypdf import PdfReader

from disputes import services
from disputes.agreements import agreement_pdf
from disputes.chain import broken_link
from disputes.models import (
    Attachment,
    ClosingProposal,
    Duty,
    EventKind,
    Order,
    Party,
    PartyConfirmation,
    State,
)
from disputes.sweep import sla_sweep
from notifications.models import Notification
from shishi_mediation.errors import Conflict, Forbidden, InvalidInput, NotFound
from tests.conftest import needs_pdf
from tests.factories import (
    AGREEMENT,
    STEP_OFFSETS,
    T0,
    confirm_closing,
    propose_close,
    street_leader,
)
from tests.images import image_bytes

pytestmark = pytest.mark.django_db
PROPOSED_AT = T0 + STEP_OFFSETS[State.CONFIRMING]
US = timedelta(microseconds=1)
LIMIT = timedelta(hours=72)


@pytest.fixture
def confirming(world):
    """An order whose closing the police station proposed, mediated, with two parties."""
    order = world.order(State.CONFIRMING)
    assert order.parties.count() == 2
    return order


def proposal_of(order) -> ClosingProposal:
    return ClosingProposal.objects.get(order=order, status="pending")


def tokens(order) -> list[str]:
    return [c.token for c in proposal_of(order).confirmations.order_by("party_id")]


def photo(name="signed.jpg"):
    return SimpleUploadedFile(name, image_bytes("JPEG"), content_type="image/jpeg")


def state(order) -> str:
    return Order.objects.get(pk=order.pk).state


def test_proposing_owes_every_party_a_link_and_the_unit_a_72_hour_clock(world, confirming):
    proposal = proposal_of(confirming)
    assert (proposal.outcome, proposal.grade, proposal.terms) == (
        "mediated",
        "ordinary",
        AGREEMENT["terms"],
    )
    parties = set(confirming.parties.values_list("pk", flat=True))
    assert set(proposal.confirmations.values_list("party_id", flat=True)) == parties
    assert len(set(tokens(confirming))) == 2
    duty = Duty.objects.get(order=confirming, kind="closing")
    assert (duty.unit, duty.started_at, duty.due_at) == (
        world.hb_police,
        PROPOSED_AT,
        PROPOSED_AT + LIMIT,
    )
    event = confirming.events.order_by("seq").last()
    assert (event.kind, event.from_state, event.to_state) == ("close_proposed", "met", "confirming")
    # The reporter and the center are asked to sign off.
    told = Notification.objects.filter(order=confirming, subject__contains="待确认结单")
    assert {world.reporter, world.dispatcher} <= {n.recipient for n in told}


def test_the_order_closes_only_when_the_last_confirmation_is_in(world, confirming):
    first, second = tokens(confirming)
    at = PROPOSED_AT + timedelta(hours=1)
    services.closing_respond(token=first, confirm=True, now=at)
    services.order_closing_sign(order_id=confirming.pk, actor=world.reporter, now=at)
    services.order_closing_sign(order_id=confirming.pk, actor=world.dispatcher, now=at)
    assert state(confirming) == State.CONFIRMING
    assert services.closing_missing(proposal_of(confirming)) == [
        Party.objects.get(pk=proposal_of(confirming).confirmations.get(token=second).party_id).name
    ]
    services.closing_respond(token=second, confirm=True, now=at + US)
    order = Order.objects.get(pk=confirming.pk)
    assert (order.state, order.closed_at, order.outcome) == (State.CLOSED, at + US, "mediated")
    assert order.reviews.count() == 2
    duty = Duty.objects.get(order=order, kind="closing")
    assert (duty.met_at, duty.on_time) == (at + US, True)
    assert ClosingProposal.objects.get(order=order).status == "closed"
    assert broken_link(order, order.events.order_by("seq")) is None


def test_a_link_answers_once_for_its_own_party_only(world, confirming):
    first, _second = tokens(confirming)
    services.closing_respond(token=first, confirm=True, now=PROPOSED_AT)
    with pytest.raises(Conflict):
        services.closing_respond(token=first, confirm=True, now=PROPOSED_AT)
    with pytest.raises(Conflict):  # nor change its answer
        services.closing_respond(token=first, confirm=False, reason="反悔", now=PROPOSED_AT)
    with pytest.raises(NotFound):
        services.closing_respond(token=first[:-1] + "x", confirm=True, now=PROPOSED_AT)
    confirmed = PartyConfirmation.objects.filter(answer="confirmed")
    assert [c.token for c in confirmed] == [first]


def test_a_link_expires_after_its_time_to_live(settings, confirming):
    first, second = tokens(confirming)
    ttl = settings.CLOSING_LINK_TTL
    services.closing_respond(token=first, confirm=True, now=PROPOSED_AT + ttl)
    with pytest.raises(Conflict) as expired:
        services.closing_respond(token=second, confirm=True, now=PROPOSED_AT + ttl + US)
    assert "过期" in str(expired.value.message)


def test_a_refusal_sends_the_order_back_to_mediation_and_kills_every_link(world, confirming):
    first, second = tokens(confirming)
    with pytest.raises(InvalidInput) as missing:
        services.closing_respond(token=first, confirm=False, reason="  ", now=PROPOSED_AT)
    assert set(missing.value.errors) == {"reason"}
    at = PROPOSED_AT + timedelta(hours=2)
    services.closing_respond(token=first, confirm=False, reason="赔偿金额不同意", now=at)
    order = Order.objects.get(pk=confirming.pk)
    assert order.state == State.MET
    assert ClosingProposal.objects.get(order=order).status == "refused"
    duty = Duty.objects.get(order=order, kind="closing")
    assert (duty.ended_at, duty.met_at) == (at, None)
    with pytest.raises(Conflict):  # the other party's link died with the proposal
        services.closing_respond(token=second, confirm=True, now=at)
    event = order.events.order_by("seq").last()
    assert (event.kind, event.from_state, event.to_state, event.note) == (
        "party_refused",
        "confirming",
        "met",
        "赔偿金额不同意",
    )
    told = Notification.objects.filter(order=order, subject__contains="不同意结单")
    assert world.handler in {n.recipient for n in told} or world.handler2 in {
        n.recipient for n in told
    }

    # Mediation goes on; a new proposal has new links, and may close.
    propose_close(order, world.handler, now=at + timedelta(hours=1))
    assert set(tokens(order)).isdisjoint({first, second})
    closed = confirm_closing(order, now=at + timedelta(hours=2))
    assert closed.state == State.CLOSED
    assert broken_link(closed, closed.events.order_by("seq")) is None


def test_in_person_confirmation_needs_the_signed_agreement_photo(world, confirming):
    party = confirming.parties.first()
    with pytest.raises(InvalidInput) as no_photo:
        services.order_closing_confirm(
            order_id=confirming.pk, actor=world.handler, party_id=party.pk, upload=None
        )
    assert set(no_photo.value.errors) == {"file"}
    stranger = world.report().parties.first()
    with pytest.raises(InvalidInput) as foreign:
        services.order_closing_confirm(
            order_id=confirming.pk, actor=world.handler, party_id=stranger.pk, upload=photo()
        )
    assert set(foreign.value.errors) == {"party"}
    assert not Attachment.objects.filter(order=confirming).exists()  # nothing half-kept

    services.order_closing_confirm(
        order_id=confirming.pk,
        actor=world.handler,
        party_id=party.pk,
        upload=photo(),
        now=PROPOSED_AT + timedelta(minutes=5),
    )
    confirmation = PartyConfirmation.objects.get(party=party)
    assert (confirmation.answer, confirmation.how, confirmation.recorded_by) == (
        "confirmed",
        "in_person",
        world.handler,
    )
    assert confirmation.photo.order == confirming
    # The handler is not the center: a handler may not sign off.
    with pytest.raises(Forbidden):
        services.order_closing_sign(order_id=confirming.pk, actor=world.handler)


def test_who_may_act_on_a_proposed_closing(world, confirming):
    party = confirming.parties.first()
    with pytest.raises(NotFound):  # another street's handler does not see it
        services.order_closing_confirm(
            order_id=confirming.pk, actor=world.fl_handler, party_id=party.pk, upload=photo()
        )
    with pytest.raises(Forbidden):  # the city's supervisor reads it, may not act
        services.order_closing_sign(order_id=confirming.pk, actor=world.supervisor)
    with pytest.raises(Forbidden):
        services.order_close_overdue(order_id=confirming.pk, actor=world.handler, reason="久未确认")
    services.order_closing_sign(order_id=confirming.pk, actor=world.reporter)
    with pytest.raises(Conflict):  # signed once
        services.order_closing_sign(order_id=confirming.pk, actor=world.reporter)


def test_the_center_closes_past_the_limit_with_a_reason(world, confirming):
    first, _second = tokens(confirming)
    services.closing_respond(token=first, confirm=True, now=PROPOSED_AT)
    with pytest.raises(InvalidInput):
        services.order_close_overdue(order_id=confirming.pk, actor=world.dispatcher, reason="")
    with pytest.raises(Conflict):  # at the due time itself the parties still may
        services.order_close_overdue(
            order_id=confirming.pk,
            actor=world.dispatcher,
            reason="当事人失联",
            now=PROPOSED_AT + LIMIT,
        )
    at = PROPOSED_AT + LIMIT + US
    services.order_close_overdue(
        order_id=confirming.pk, actor=world.dispatcher, reason="当事人失联", now=at
    )
    order = Order.objects.get(pk=confirming.pk)
    assert (order.state, order.closed_at) == (State.CLOSED, at)
    proposal = ClosingProposal.objects.get(order=order)
    assert (proposal.status, proposal.forced, proposal.end_reason) == ("closed", True, "当事人失联")
    event = order.events.order_by("seq").last()
    assert event.kind == EventKind.CLOSED and event.data["forced"] is True
    assert len(event.data["missing"]) == 3  # one party, the reporter, the center
    duty = Duty.objects.get(order=order, kind="closing")
    assert (duty.met_at, duty.ended_at) == (None, at)  # counted overdue, not on time
    # Only the party who confirmed is marked so.
    assert order.parties.filter(confirmed_at__isnull=False).count() == 1


def test_an_unconfirmed_closing_escalates_to_the_unit(world, confirming):
    sla_sweep(now=PROPOSED_AT + LIMIT + US)
    escalation = confirming.escalations.get(stage="closing", level=1)
    assert escalation.duty == Duty.objects.get(order=confirming, kind="closing").pk


def test_the_withdrawn_closing_returns_to_mediation(world, confirming):
    services.order_closing_withdraw(
        order_id=confirming.pk, actor=world.handler, reason="协议金额写错", now=PROPOSED_AT
    )
    assert state(confirming) == State.MET
    assert ClosingProposal.objects.get(order=confirming).status == "withdrawn"
    with pytest.raises(Conflict):
        services.closing_respond(token=tokens_any(confirming), confirm=True, now=PROPOSED_AT)


def tokens_any(order) -> str:
    return PartyConfirmation.objects.filter(proposal__order=order).first().token


def test_a_police_incident_needs_no_reporter_sign_off(world, confirming):
    Order.objects.filter(pk=confirming.pk).update(source="police_incident")
    services.order_closing_withdraw(order_id=confirming.pk, actor=world.handler, now=PROPOSED_AT)
    order = Order.objects.get(pk=confirming.pk)
    propose_close(order, world.handler, now=PROPOSED_AT + US)
    assert proposal_of(order).reporter_needed is False
    for token in tokens(order):
        services.closing_respond(token=token, confirm=True, now=PROPOSED_AT + US)
    services.order_closing_sign(order_id=order.pk, actor=world.dispatcher, now=PROPOSED_AT + US)
    assert state(order) == State.CLOSED


def test_a_red_order_is_proposed_only_after_its_leader_reviews(world, order_in):
    order = order_in(State.MET, risk_level="high")
    with pytest.raises(Conflict):
        propose_close(order, world.handler)
    services.order_leader_review(order_id=order.pk, actor=street_leader(world.hb), note="同意")
    assert propose_close(order, world.handler).state == State.CONFIRMING


@needs_pdf
def test_the_agreement_pdf_carries_its_text(confirming):
    pdf = agreement_pdf(proposal_of(confirming))
    assert pdf.startswith(b"%PDF")
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    text = "".join(text.split())
    assert "人民调解协议书" in text
    assert AGREEMENT["terms"].rstrip("。") in text
    for party in confirming.parties.all():
        assert party.name in text


def test_cancelling_a_confirming_order_kills_its_links(world, confirming):
    services.order_cancel(
        order_id=confirming.pk, actor=world.dispatcher, reason="重复报单", now=PROPOSED_AT
    )
    assert ClosingProposal.objects.get(order=confirming).status == "withdrawn"
    assert Duty.objects.get(order=confirming, kind="closing").ended_at == PROPOSED_AT
    with pytest.raises(Conflict):
        services.closing_respond(token=tokens_any(confirming), confirm=True, now=PROPOSED_AT)


@needs_pdf
def test_rendering_a_pdf_leaves_uploads_read_as_before(confirming):
    from PIL import ImageFile

    agreement_pdf(proposal_of(confirming))
    assert ImageFile.LOAD_TRUNCATED_IMAGES is False  # WeasyPrint would turn it on
