"""A party who agreed to SMS gets one text with their review code when the order is
closed: queued in the closing transaction, sent after it through the SMS outbox (with
retries), never twice; the code, typed at the template's constant link, opens that
party's own review page."""

import logging
import re
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.urls import reverse

from disputes import services
from disputes.models import Grade, Outcome, PartyConfirmation, Review
from disputes.notices import text_review_codes
from notifications.delivery import backoff, deliver_sms_due
from notifications.models import SmsMessage
from shishi_mediation.errors import Conflict
from tests.factories import T0, close_jointly, party_input, propose_close

from .conftest import REVIEW_ENTRY

pytestmark = pytest.mark.django_db

CLOSED_AT = T0 + timedelta(days=1, hours=1)  # when ``order_in_state`` closes

CONSENTING = "13812345678"
NOT_CONSENTING = "13987654321"
LANDLINE = "0595-88881234"


@pytest.fixture(autouse=True)
def _fresh_rate_counts():
    cache.clear()  # the review pages' per-address counts


def parties():
    return [
        party_input(name="王某", phone=CONSENTING, sms_consent=True),
        party_input(name="李某", role="respondent", phone=NOT_CONSENTING),
        party_input(name="张某", role="other", phone=LANDLINE),
    ]


def test_one_text_per_consenting_party_with_their_own_code(tencent, world, client, caplog):
    with caplog.at_level(logging.DEBUG):  # even at DEBUG (the SDK logs requests there)
        order = world.order("closed", parties=parties())
        [message] = SmsMessage.objects.all()  # queued with the closing, not yet sent
        assert message.status == SmsMessage.Status.PENDING and tencent.requests == []
        deliver_sms_due(now=CLOSED_AT)

    [(phone, text)] = tencent.texts
    assert phone == f"+86{CONSENTING}"
    number = order.number.rsplit("-", 1)[1]
    code = re.search(r"评价码 (\w+) ", text).group(1)
    assert text == (
        f"【石狮调处】您的纠纷（单号{number}）已办结，请打开 {REVIEW_ENTRY} "
        f"输入评价码 {code} 作出评价。"
    )
    assert len(code) == 6
    [seen] = tencent.requests
    assert seen.body["TemplateId"] == "2001"
    assert seen.body["TemplateParamSet"] == [number, code]  # no link in a variable

    message.refresh_from_db()
    assert message.status == SmsMessage.Status.SENT and message.sent_at == CLOSED_AT
    assert message.provider_id.startswith("2433:") and message.provider_status == "Ok"

    # The code, typed at the constant link, opens the consenting party's own review.
    review = Review.objects.get(order=order, party__name="王某")
    response = client.post(reverse("review-code"), {"code": code.lower()})
    assert response.status_code == 302
    assert response["Location"] == reverse("review", args=[review.token])
    page = client.get(response["Location"])
    assert page.status_code == 200 and order.number in page.content.decode()

    # Nothing more: no second text on the next runs, nor for the other parties.
    deliver_sms_due(now=CLOSED_AT + timedelta(days=1))
    assert len(tencent.requests) == 1
    assert Review.objects.filter(order=order, sms_code__isnull=False).count() == 1
    for full in (CONSENTING, f"+86{CONSENTING}"):
        assert full not in caplog.text
    assert code not in caplog.text

    # The order page tells the handling side the code went out.
    client.force_login(world.dispatcher)
    page = client.get(reverse("order-detail", args=[order.pk])).content.decode()
    assert page.count("评价码短信：已发送") == 1


def test_closing_again_never_queues_a_second_text(tencent, world):
    order = world.order("closed", parties=parties())
    with pytest.raises(Conflict):
        close_jointly(
            order,
            world.handler,
            outcome=Outcome.MEDIATED,
            summary="再次结单",
            grade=Grade.ORDINARY,
            now=CLOSED_AT,
        )
    # Even a second run of the queuing itself writes nothing new.
    assert text_review_codes(order=order, reviews=list(order.reviews.all()), now=CLOSED_AT) == 0
    assert SmsMessage.objects.count() == 1
    deliver_sms_due(now=CLOSED_AT)
    assert len(tencent.texts) == 1


def test_no_text_without_consent_a_mobile_or_a_public_address(tencent, world, settings):
    world.order(
        "closed",
        parties=[
            party_input(name="李某", phone=NOT_CONSENTING),
            party_input(name="张某", role="respondent", phone=LANDLINE),
        ],
    )
    settings.PUBLIC_BASE_URL = ""
    world.order("closed", parties=[party_input(name="王某", phone=CONSENTING, sms_consent=True)])
    deliver_sms_due(now=CLOSED_AT)
    assert SmsMessage.objects.count() == 0 and tencent.requests == []


def test_a_failed_text_is_retried_with_backoff(tencent, world):
    tencent.fail_next = [("http500", "")]
    world.order("closed", parties=parties())
    deliver_sms_due(now=CLOSED_AT)
    message = SmsMessage.objects.get()
    assert message.status == SmsMessage.Status.PENDING and message.attempts == 1
    assert message.next_attempt_at == CLOSED_AT + backoff(1)
    assert tencent.texts == []

    deliver_sms_due(now=message.next_attempt_at)
    message.refresh_from_db()
    assert message.status == SmsMessage.Status.SENT and message.attempts == 2
    assert len(tencent.texts) == 1


def test_a_refused_number_is_failed_without_retries(tencent, world):
    tencent.fail_next = [("number", "InvalidParameterValue.IncorrectPhoneNumber")]
    world.order("closed", parties=parties())
    deliver_sms_due(now=CLOSED_AT)
    message = SmsMessage.objects.get()
    assert message.status == SmsMessage.Status.FAILED and message.attempts == 1
    assert message.provider_status == "InvalidParameterValue.IncorrectPhoneNumber"
    deliver_sms_due(now=CLOSED_AT + timedelta(days=1))
    assert len(tencent.requests) == 1


def test_a_wrong_or_missing_code_opens_nothing(tencent, world, client):
    world.order("closed", parties=parties())
    wrong = client.post(reverse("review-code"), {"code": "ZZZZZZ"})
    assert wrong.status_code == 404 and "评价码无效" in wrong.content.decode()
    empty = client.post(reverse("review-code"), {"code": ""})
    assert empty.status_code == 400
    page = client.get(reverse("review-code"))
    assert page.status_code == 200 and 'name="code"' in page.content.decode()


def test_guessing_codes_is_rate_limited(tencent, world, client, settings):
    settings.REVIEW_RATE_PER_IP = 3
    statuses = [
        client.post(reverse("review-code"), {"code": f"ZZZZZ{i}"}).status_code for i in range(5)
    ]
    assert statuses == [404, 404, 404, 429, 429]


def test_a_parameter_over_the_limit_never_leaves(tencent, world, settings, caplog):
    settings.SMS_PARAM_MAX_LENGTH = 8  # codes made 8 long, then the limit is lowered
    world.order("closed", parties=parties())
    settings.SMS_PARAM_MAX_LENGTH = 6
    deliver_sms_due(now=CLOSED_AT)
    message = SmsMessage.objects.get()
    assert message.status == SmsMessage.Status.FAILED and message.attempts == 1
    assert message.provider_status == "ParameterTooLong"
    assert tencent.requests == []
    assert message.params[1] not in caplog.text  # the code is not logged


def test_a_dispute_settled_on_the_spot_texts_the_consenting_party_too(tencent, world):
    from tests.factories import report_input

    order = services.order_settle_on_the_spot(
        actor=world.reporter,
        data=report_input(community=world.zk, category=world.wages, parties=parties()),
        summary="双方和解。",
        now=CLOSED_AT,
    )
    [message] = SmsMessage.objects.all()
    assert message.phone.endswith(CONSENTING)
    deliver_sms_due(now=CLOSED_AT)
    [(phone, text)] = tencent.texts
    assert phone == f"+86{CONSENTING}" and order.number.rsplit("-", 1)[1] in text


def test_a_proposed_closing_texts_each_consenting_party_its_confirmation_code(
    tencent, settings, world, client
):
    """结单确认: the same rule as the review code, under its own template and page."""
    settings.SMS_TEMPLATES = {**settings.SMS_TEMPLATES, "closing_link": "2002"}
    order = world.order("confirming", parties=parties())
    [message] = SmsMessage.objects.all()
    confirmation = PartyConfirmation.objects.get(party__phone=CONSENTING)
    assert (message.key, message.phone, message.kind) == (
        f"closing:{confirmation.pk}",
        CONSENTING,
        "closing_link",
    )
    assert message.params == [order.number.rsplit("-", 1)[1], confirmation.sms_code]
    # Proposing again (after a withdrawal) texts the new codes, once each.
    services.order_closing_withdraw(order_id=order.pk, actor=world.handler)
    propose_close(order, world.handler)
    assert SmsMessage.objects.filter(kind="closing_link").count() == 2
    # The code, typed at /confirm/, opens that party's own page.
    fresh = PartyConfirmation.objects.get(party__phone=CONSENTING, proposal__status="pending")
    response = client.post(reverse("confirm-code"), {"code": fresh.sms_code.lower()})
    assert response.status_code == 302
    assert response["Location"] == reverse("confirm", args=[fresh.token])
    wrong = client.post(reverse("confirm-code"), {"code": "ZZZZZZ"})
    assert wrong.status_code == 404
