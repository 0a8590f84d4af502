"""A party's consent to SMS, recorded with the report (web form and API), shown on the
order page; consent needs a mobile number."""

import pytest
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from disputes.models import Order, Party
from tests.factories import T0

pytestmark = pytest.mark.django_db


def api(user) -> APIClient:
    token, _ = Token.objects.get_or_create(user=user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def field_names(errors: dict, prefix: str = "") -> set[str]:
    """The fields an error body names: the service's "parties[0].phone" as it is, the
    serializer's nested {"parties": {"0": {"phone": …}}} spelled the same way."""
    names = set()
    for key, value in errors.items():
        name = f"{prefix}[{key}]" if key.isdigit() else f"{prefix}.{key}" if prefix else key
        names |= field_names(value, name) if isinstance(value, dict) else {name}
    return names


def report_body(world, *parties) -> dict:
    return {
        "title": "邻居噪音",
        "narrative": "楼上夜间装修噪音扰民。",
        "category": world.neighbours.pk,
        "community": world.zk.pk,
        "parties": list(parties),
    }


def form_data(world, *parties) -> dict:
    data = {
        "category": world.neighbours.pk,
        "community": world.zk.pk,
        "address": "金曾花园3幢",
        "risk_level": "medium",
        "narrative": "楼上孩子夜间跑跳，楼下多次交涉未果。",
        "source": "patrol",
        "parties-TOTAL_FORMS": str(len(parties)),
        "parties-INITIAL_FORMS": "0",
        "parties-MIN_NUM_FORMS": "1",
        "parties-MAX_NUM_FORMS": "20",
    }
    for i, party in enumerate(parties):
        data.update({f"parties-{i}-{k}": v for k, v in party.items()})
    return data


def test_the_api_records_consent_with_its_time(world, time_machine):
    time_machine.move_to(T0, tick=False)
    response = api(world.reporter).post(
        "/api/v1/orders/",
        report_body(
            world,
            {"name": "陈某", "phone": "13900001111", "sms_consent": True},
            {"name": "林某", "role": "respondent", "phone": "13900002222"},
        ),
        format="json",
    )
    assert response.status_code == 201, response.json()
    chen, lin = response.json()["parties"]
    assert chen["sms_consent"] is True and chen["sms_consent_at"] is not None
    assert lin["sms_consent"] is False and lin["sms_consent_at"] is None
    party = Party.objects.get(name="陈某")
    assert party.sms_consent and party.sms_consent_at == T0


@pytest.mark.parametrize(
    "party",
    [
        {"name": "陈某", "phone": "0595-88881234", "sms_consent": True},  # a landline
        {"name": "陈某", "sms_consent": True},  # no phone
        {"name": "陈某", "phone": "13900001111", "sms_consent": "yes"},  # not a JSON boolean
        {"name": "陈某", "phone": "13900001111", "sms_consent": {"a": [1]}},
    ],
)
def test_the_api_refuses_bad_consent_with_the_field_named(world, party):
    response = api(world.reporter).post("/api/v1/orders/", report_body(world, party), format="json")
    assert response.status_code == 400
    assert "parties[0].sms_consent" in field_names(response.json()["errors"])
    assert not Order.objects.exists()


def test_the_form_has_the_consent_box_beside_the_phone(world, client):
    client.force_login(world.reporter)
    page = client.get(reverse("report")).content.decode()
    assert 'name="parties-0-sms_consent"' in page and "当事人同意接收短信通知" in page
    assert page.index('name="parties-0-phone"') < page.index('name="parties-0-sms_consent"')


def test_the_form_records_consent_and_the_order_page_shows_it(world, client):
    client.force_login(world.reporter)
    response = client.post(
        reverse("report"),
        form_data(
            world,
            {"name": "施秀琴", "role": "applicant", "phone": "13860712235", "sms_consent": "on"},
            {"name": "邱建伟", "role": "respondent", "phone": "13860712236"},
        ),
    )
    assert response.status_code == 302
    order = Order.objects.get()
    assert [(p.name, p.sms_consent, p.sms_consent_at is not None) for p in order.parties.all()] == [
        ("施秀琴", True, True),
        ("邱建伟", False, False),
    ]
    page = client.get(reverse("order-detail", args=[order.pk])).content.decode()
    assert page.count("sms-consent") == 1 and "同意短信" in page


def test_the_form_refuses_consent_without_a_mobile(world, client):
    client.force_login(world.reporter)
    response = client.post(
        reverse("report"),
        form_data(world, {"name": "施秀琴", "phone": "0595-88881234", "sms_consent": "on"}),
    )
    assert response.status_code == 400
    assert response.context["parties"].forms[0].errors["sms_consent"] == [
        "同意接收短信须填写手机号。"
    ]
    assert "同意接收短信须填写手机号。" in response.content.decode()
    assert not Order.objects.exists()
