"""Token auth, the OpenAPI schema and the Swagger UI (served from vendored assets)."""

import pytest
import yaml
from django.contrib.staticfiles import finders
from rest_framework.authtoken.models import Token

pytestmark = pytest.mark.django_db

TOKEN_URL = "/api/v1/auth/token/"


def test_a_token_for_username_and_password(world, anon):
    response = anon.post(TOKEN_URL, {"username": "center", "password": "pw"}, format="json")
    assert response.status_code == 200
    key = response.json()["token"]
    assert Token.objects.get(key=key).user == world.dispatcher
    # Form encoding works too (curl -d), and the same token comes back.
    form = anon.post(TOKEN_URL, {"username": "center", "password": "pw"})
    assert form.json()["token"] == key
    anon.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert anon.get("/api/v1/orders/").status_code == 200


def test_wrong_password_is_400(world, anon):
    response = anon.post(TOKEN_URL, {"username": "center", "password": "nope"}, format="json")
    assert response.status_code == 400
    assert "errors" in response.json()
    assert anon.post(TOKEN_URL, {}, format="json").status_code == 400


def test_a_revoked_token_is_401(world, api):
    client = api(world.dispatcher)
    assert client.get("/api/v1/orders/").status_code == 200
    Token.objects.filter(user=world.dispatcher).delete()  # what the admin's delete does
    assert client.get("/api/v1/orders/").status_code == 401


def test_a_deactivated_users_token_is_refused_on_its_next_request(world, api, order_in):
    order = order_in("signed")
    client = api(world.dispatcher)
    assert client.get(f"/api/v1/orders/{order.pk}/").status_code == 200
    world.dispatcher.is_active = False
    world.dispatcher.save(update_fields=["is_active"])
    assert client.get(f"/api/v1/orders/{order.pk}/").status_code == 401


def test_token_requests_are_throttled(world, anon):
    # A different username each time: the throttle counts per address, while five wrong
    # passwords for one username would lock it (429 from django-axes, tests/test_security.py).
    codes = [
        anon.post(TOKEN_URL, {"username": f"guess{i}", "password": "x"}, format="json").status_code
        for i in range(12)
    ]
    assert codes[:10] == [400] * 10
    assert codes[10:] == [429, 429]


def test_a_forged_forwarded_address_does_not_reset_the_token_throttle(world, anon):
    # No proxy configured (NUM_PROXIES 0): a new X-Forwarded-For per guess changes nothing.
    codes = [
        anon.post(
            TOKEN_URL,
            {"username": f"guess{i}", "password": "x"},
            format="json",
            HTTP_X_FORWARDED_FOR=f"10.{i}.0.1",
        ).status_code
        for i in range(12)
    ]
    assert codes[:10] == [400] * 10
    assert codes[10:] == [429, 429]


def test_behind_one_proxy_the_token_throttle_counts_the_forwarded_address(world, anon, settings):
    settings.NUM_PROXIES = 1

    def guess(i: int, forwarded: str) -> int:
        body = {"username": f"guess{i}", "password": "x"}
        return anon.post(
            TOKEN_URL, body, format="json", REMOTE_ADDR="172.18.0.5", HTTP_X_FORWARDED_FOR=forwarded
        ).status_code

    # What the client writes left of the proxy's entry does not matter.
    codes = [guess(i, f"6.6.{i}.6, 1.2.3.4") for i in range(11)]
    assert codes == [400] * 10 + [429]
    # Another client behind the same proxy is counted apart.
    assert guess(11, "5.6.7.8") == 400


def test_tokens_are_revocable_in_the_admin(world, client):
    client.force_login(world.admin)
    assert client.get("/admin/authtoken/tokenproxy/").status_code == 200


@pytest.fixture
def schema(anon):
    response = anon.get("/api/schema/")
    assert response.status_code == 200
    return yaml.safe_load(response.content)


def test_the_schema_describes_every_endpoint_and_its_errors(schema):
    paths = schema["paths"]
    expected = {
        "/api/v1/auth/token/": {"post"},
        "/api/v1/orders/": {"get", "post"},
        "/api/v1/orders/{id}/": {"get"},
        "/api/v1/orders/{id}/timeline/": {"get"},
        "/api/v1/incidents/": {"post"},
        "/api/v1/areas/": {"get"},
        "/api/v1/units/": {"get"},
        "/api/v1/categories/": {"get"},
        "/api/v1/escalations/": {"get"},
        "/api/v1/notifications/": {"get"},
        "/api/v1/notifications/mark-read/": {"post"},
    } | {
        f"/api/v1/orders/{{id}}/{a}/": {"post"}
        for a in ["dispatch", "reassign", "sign", "return", "contact", "meet", "close", "cancel"]
    }
    for path, methods in expected.items():
        assert methods <= set(paths[path]), path
    for path, operations in paths.items():
        for method, operation in operations.items():
            codes = set(operation["responses"])
            if (
                path != "/api/v1/auth/token/"
                and path.startswith("/api/v1/")
                and "reports" not in path
            ):
                assert "401" in codes, (path, method)
            if "{id}" in path:
                assert "404" in codes, (path, method)
    for action in ["dispatch", "reassign", "sign", "return", "contact", "meet", "close", "cancel"]:
        codes = set(paths[f"/api/v1/orders/{{id}}/{action}/"]["post"]["responses"])
        assert {"200", "403", "404", "409"} <= codes
        conflict = paths[f"/api/v1/orders/{{id}}/{action}/"]["post"]["responses"]["409"]
        assert conflict["content"]["application/json"]["schema"]["$ref"].endswith("/Conflict")
    assert {"200", "201", "400", "403"} <= set(paths["/api/v1/incidents/"]["post"]["responses"])
    assert {"201", "400", "403"} <= set(paths["/api/v1/orders/"]["post"]["responses"])
    assert "tokenAuth" in schema["components"]["securitySchemes"]


def test_swagger_ui_uses_vendored_assets_only(anon):
    response = anon.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in html
    assert "cdn" not in html.lower() and "jsdelivr" not in html.lower()
    assert finders.find("drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js")
