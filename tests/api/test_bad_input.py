"""Hostile input never gets a 500: ids that overflow, wrong types, huge strings, NUL and
lone surrogates, bad dates, malformed JSON. (CI fuzzes the whole schema as well.)"""

import json
import logging

import pytest

from disputes.models import Order

pytestmark = pytest.mark.django_db

HUGE = 10**30
BAD_VALUES = [
    None,
    HUGE,
    -HUGE,
    2**63,
    1.5,
    "1",
    "",
    "x" * 100_000,
    "\x00",
    "\ud800",
    [],
    {},
    [HUGE],
    {"a": [1, {"b": None}]},
    True,
    "2026-02-30T25:61:00",
    "0001-01-01T00:00:00+14:00",
    "9999-12-31T23:59:59-14:00",
]
BODY_FIELDS = {
    "orders": ["title", "category", "community", "parties", "reporter_unit", "risk_level"],
    "dispatch": ["lead_unit", "assignee", "assisting_units", "note"],
    "contact": ["method", "contacted_at", "note"],
    "meet": ["place", "met_at"],
    "close": ["outcome", "grade", "terms", "perform_by"],
    "cancel": ["reason"],
    "incidents": ["number", "received_at", "type", "community", "caller_phone"],
}


@pytest.fixture
def center(world, api):
    return api(world.dispatcher)


@pytest.mark.parametrize("value", BAD_VALUES, ids=range(len(BAD_VALUES)))
def test_bad_body_values_are_never_a_server_error(
    world, api, center, order_in, command_user, value
):
    order = order_in("met")
    police = api(world.handler)
    targets = [
        (center, "/api/v1/orders/", "orders"),
        (center, f"/api/v1/orders/{order.pk}/dispatch/", "dispatch"),
        (police, f"/api/v1/orders/{order.pk}/contact/", "contact"),
        (police, f"/api/v1/orders/{order.pk}/meet/", "meet"),
        (police, f"/api/v1/orders/{order.pk}/close/", "close"),
        (center, f"/api/v1/orders/{order.pk}/cancel/", "cancel"),
        (api(command_user), "/api/v1/incidents/", "incidents"),
    ]
    for client, path, kind in targets:
        for field in BODY_FIELDS[kind]:
            # json.dumps escapes lone surrogates; the test client's renderer cannot.
            body = json.dumps({field: value})
            response = client.generic("POST", path, body, content_type="application/json")
            # Only a well-formed cancel reason succeeds (then the next ones are 409).
            assert response.status_code < 500, (path, field, response.content[:200])
            if not (kind == "cancel" and isinstance(value, str) and value.strip()):
                assert response.status_code >= 400, (path, field, response.content[:200])
    assert Order.objects.count() == 1


@pytest.mark.parametrize(
    "body",
    [b"{", b"[]", b"null", b'"x"', b"\xff\xfe", b'{"title": NaN}', b"1" * 10_000],
)
def test_malformed_json_is_400(center, body):
    response = center.generic("POST", "/api/v1/orders/", body, content_type="application/json")
    assert response.status_code == 400


DEEP = 100_000
NESTED_BODIES = {
    "lists": "[" * DEEP + "]" * DEEP,
    "objects": '{"a":' * DEEP + "1" + "}" * DEEP,
    # Shallow enough for the decoder, deep enough to exhaust the stack in validation.
    "parties": '{"title": "x", "parties": ' + "[" * 900 + "]" * 900 + "}",
}


@pytest.mark.parametrize("shape", NESTED_BODIES)
def test_deeply_nested_json_is_400_before_and_after_login(
    world, anon, center, command_user, api, caplog, shape
):
    body = NESTED_BODIES[shape]
    targets = [
        (anon, "/api/v1/auth/token/"),
        (center, "/api/v1/orders/"),
        (api(command_user), "/api/v1/incidents/"),
    ]
    for client, path in targets:
        response = client.generic("POST", path, body, content_type="application/json")
        assert response.status_code == 400, (path, response.content[:200])
        assert response["Content-Type"] == "application/json"
        assert "嵌套" in response.json()["detail"]
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert Order.objects.count() == 0


def test_other_content_types_are_415(center):
    response = center.post("/api/v1/orders/", "title=x", content_type="text/plain")
    assert response.status_code == 415


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/orders/%00/",
        "/api/v1/orders/%ED%A0%80/",
        "/api/v1/orders/1e3/",
        "/api/v1/orders/9223372036854775808/",
        "/api/v1/orders/00000000000000000000001/",
        "/api/v1/orders/ 1/",
        "/api/v1/areas/-1/",
        "/api/v1/escalations/9223372036854775808/",
        "/api/v1/notifications/%F0%9F%98%80/",
    ],
)
def test_bad_ids_in_paths_are_404(center, path):
    assert center.get(path).status_code == 404


@pytest.mark.parametrize(
    "query",
    [
        "q=%00",
        "q=" + "x" * 5000,
        "state=%00",
        "category=9223372036854775808",
        "unit=-1",
        "reported_after=0000-00-00",
        "dispatched_before=99999-01-01",
        "cursor=%ED%A0%80",
        "cursor=" + "A" * 3000,
        "page_size=99999999999999999999",
    ],
)
def test_bad_query_strings_are_4xx(center, query):
    response = center.get("/api/v1/orders/?" + query)
    assert response.status_code in (200, 400, 404), response.content[:200]
