"""Staff notices by SMS through Tencent Cloud's SDK, against a loopback fake of its API
that checks the request as the provider does (tests/notifications/tencent_fake.py)."""

import logging
import re
from datetime import timedelta
from pathlib import Path

import pytest

from dispatch.models import Profile
from disputes import services
from notifications.delivery import backoff, deliver_due
from notifications.models import Delivery
from tests.factories import T0

from . import tencent_fake

pytestmark = pytest.mark.django_db

HANDLER_PHONE = "13905950001"


@pytest.fixture
def sms_channel(settings, world):
    settings.NOTIFICATION_CHANNELS = ["sms"]
    Profile.objects.create(user=world.handler, phone=HANDLER_PHONE)
    return world


def dispatch_to_handler(world):
    order = world.report(now=T0)
    services.order_dispatch(
        order_id=order.pk,
        actor=world.dispatcher,
        lead_unit_id=world.hb_police.pk,
        assignee_id=world.handler.pk,
        now=T0,
    )
    return order


def handler_sms(world) -> Delivery:
    return Delivery.objects.get(
        channel="sms", notification__recipient=world.handler, notification__kind="dispatched"
    )


def test_a_new_order_reaches_the_handlers_phone(tencent, sms_channel, caplog):
    world = sms_channel
    order = dispatch_to_handler(world)
    with caplog.at_level(logging.INFO):
        deliver_due(now=T0)

    [seen] = [s for s in tencent.requests if s.answer == "Ok"]
    assert seen.headers["x-tc-action"] == "SendSms"
    assert seen.headers["x-tc-version"] == "2021-01-11"
    assert seen.headers["authorization"].startswith(
        f"TC3-HMAC-SHA256 Credential={tencent_fake.SECRET_ID}/"
    )
    assert seen.body["SmsSdkAppId"] == tencent_fake.APP_ID
    assert seen.body["SignName"] == "石狮调处"
    assert seen.body["TemplateId"] == "1001"
    number = order.number.rsplit("-", 1)[1]  # HB-202611-00001 is over 6 characters
    assert seen.body["TemplateParamSet"] == ["新派单", number]
    assert seen.body["PhoneNumberSet"] == [f"+86{HANDLER_PHONE}"]
    assert tencent.texts == [
        (
            f"+86{HANDLER_PHONE}",
            f"【石狮调处】您有一条新派单（单号{number}），请及时登录系统签收处理。",
        )
    ]

    delivery = handler_sms(world)
    assert delivery.status == Delivery.Status.SENT and delivery.sent_at == T0
    assert delivery.provider_id.startswith("2433:") and delivery.provider_status == "Ok"
    assert delivery.provider_message == "send success"
    # Phones are logged masked only.
    assert HANDLER_PHONE not in caplog.text and "139****0001" in caplog.text

    deliver_due(now=T0 + timedelta(hours=1))  # a sent delivery is never sent again
    assert len([s for s in tencent.requests if s.answer == "Ok"]) == 1


def test_a_whole_number_fits_when_the_account_allows_longer_variables(
    tencent, sms_channel, settings
):
    settings.SMS_PARAM_MAX_LENGTH = tencent.max_param = 20
    order = dispatch_to_handler(sms_channel)
    deliver_due(now=T0)
    [seen] = [s for s in tencent.requests if s.answer == "Ok"]
    assert seen.body["TemplateParamSet"] == ["新派单", order.number]


def test_a_wrong_secret_is_refused_by_the_signature_check_and_retried(
    tencent, sms_channel, settings
):
    world = sms_channel
    settings.SMS_SECRET_KEY = "not-the-secret"
    dispatch_to_handler(world)
    deliver_due(now=T0)

    assert [s.answer for s in tencent.requests] == ["AuthFailure.SignatureFailure"]
    assert tencent.texts == []
    delivery = handler_sms(world)
    assert delivery.status == Delivery.Status.PENDING and delivery.attempts == 1
    assert delivery.next_attempt_at == T0 + backoff(1)
    assert delivery.provider_status == "AuthFailure.SignatureFailure"

    settings.SMS_SECRET_KEY = tencent_fake.SECRET_KEY  # the operator fixes the key
    deliver_due(now=T0 + timedelta(seconds=30))  # not due yet: nothing sent
    assert len(tencent.requests) == 1
    deliver_due(now=delivery.next_attempt_at)
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.SENT and delivery.attempts == 2
    assert delivery.provider_status == "Ok" and len(tencent.texts) == 1


@pytest.mark.parametrize(
    "failure",
    [
        ("http500", ""),
        ("error", "InternalError.Timeout"),
        ("error", "LimitExceeded.AppDailyLimit"),
        ("number", "LimitExceeded.PhoneNumberOneHourLimit"),
    ],
)
def test_a_passing_failure_is_retried_with_the_outbox_backoff(tencent, sms_channel, failure):
    world = sms_channel
    tencent.fail_next = [failure, failure]
    dispatch_to_handler(world)

    deliver_due(now=T0)
    first = handler_sms(world)
    assert first.status == Delivery.Status.PENDING and first.attempts == 1
    assert first.next_attempt_at == T0 + timedelta(minutes=1)
    deliver_due(now=first.next_attempt_at)
    second = handler_sms(world)
    assert second.status == Delivery.Status.PENDING and second.attempts == 2
    assert second.next_attempt_at == first.next_attempt_at + timedelta(minutes=2)
    assert tencent.texts == []

    deliver_due(now=second.next_attempt_at)
    third = handler_sms(world)
    assert third.status == Delivery.Status.SENT and third.attempts == 3
    assert len(tencent.texts) == 1 and len(tencent.requests) == 3


def test_a_failure_is_given_up_after_the_last_attempt(tencent, sms_channel, settings):
    settings.NOTIFICATION_MAX_ATTEMPTS = 2
    tencent.fail_next = [("http500", "")] * 5
    dispatch_to_handler(sms_channel)
    deliver_due(now=T0)
    deliver_due(now=T0 + timedelta(minutes=1))
    delivery = handler_sms(sms_channel)
    assert delivery.status == Delivery.Status.FAILED and delivery.attempts == 2
    assert "ServerNetworkError" in delivery.last_error
    deliver_due(now=T0 + timedelta(days=1))
    assert len(tencent.requests) == 2


@pytest.mark.parametrize(
    "code",
    ["InvalidParameterValue.IncorrectPhoneNumber", "FailedOperation.PhoneNumberInBlacklist"],
)
def test_a_number_the_provider_refuses_fails_at_once(tencent, sms_channel, code):
    world = sms_channel
    tencent.fail_next = [("number", code)]
    dispatch_to_handler(world)
    deliver_due(now=T0)

    delivery = handler_sms(world)
    assert delivery.status == Delivery.Status.FAILED and delivery.attempts == 1
    assert delivery.provider_status == code and code in delivery.last_error
    deliver_due(now=T0 + timedelta(days=1))
    assert len(tencent.requests) == 1  # never tried again


def test_no_mobile_or_no_template_is_failed_without_a_request(tencent, sms_channel, world):
    Profile.objects.filter(user=world.handler).update(phone="0595-88881234")  # a landline
    Profile.objects.create(user=world.dispatcher, phone="13905950002")
    dispatch_to_handler(world)  # also tells the dispatcher of the report: no template
    deliver_due(now=T0)

    assert tencent.requests == []
    rows = {
        (d.notification.recipient.username, d.notification.kind): (d.status, d.provider_status)
        for d in Delivery.objects.filter(channel="sms").select_related("notification__recipient")
    }
    assert rows[("center", "reported")] == (Delivery.Status.FAILED, "NoTemplate")
    # (``channels_for`` may not even give a landline the channel; if it does, it fails.)
    failed = (Delivery.Status.FAILED, "NotMobile")
    assert rows.get(("police", "dispatched"), failed) == failed


def test_the_sdk_is_pointed_only_at_the_configured_endpoint(tencent, sms_channel):
    dispatch_to_handler(sms_channel)
    deliver_due(now=T0)
    assert tencent.requests and all(s.headers["host"] == tencent.host for s in tencent.requests)


def test_the_default_endpoint_is_tencents():
    from django.conf import settings

    assert settings.SMS_ENDPOINT == "sms.tencentcloudapi.com"
    assert settings.SMS_PROVIDER == "notifications.tencent_sms.send"
    assert settings.NOTIFICATION_SENDERS["sms"] == "notifications.sms.send_notice_sms"


def test_only_the_tencent_module_imports_the_sdk():
    root = Path(__file__).resolve().parents[2]
    importers = {
        str(path.relative_to(root))
        for app in ("dispatch", "disputes", "notifications", "shishi_mediation", "supervision")
        for path in (root / app).rglob("*.py")
        if re.search(r"^\s*(from|import) tencentcloud", path.read_text(), re.M)
    }
    assert importers == {"notifications/tencent_sms.py"}


def test_a_channel_without_a_sender_does_not_stop_the_batch(tencent, sms_channel, settings):
    world = sms_channel
    dispatch_to_handler(world)
    note = handler_sms(world).notification
    Delivery.objects.create(
        notification=note,
        notification_created_at=note.created_at,
        channel="fax",
        next_attempt_at=T0,
    )
    deliver_due(now=T0)
    fax = Delivery.objects.get(channel="fax")
    assert fax.status == Delivery.Status.PENDING and fax.attempts == 1
    assert "KeyError" in fax.last_error
    assert handler_sms(world).status == Delivery.Status.SENT  # the batch went on
