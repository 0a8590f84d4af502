"""Production hardening (issue 8): deploy checks, SECRET_KEY, Content-Security-Policy, login
lockout (django-axes) and request limits."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import cache
from django.urls import reverse
from rest_framework.test import APIClient

BASE_DIR = Path(__file__).resolve().parent.parent
TOKEN_URL = "/api/v1/auth/token/"


def run_manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    """``manage.py`` in a fresh process with the given environment on top of a clean one
    (no DJANGO_ENV, SECRET_KEY, DEBUG... inherited from the test run's environment, nor the
    DJANGO_ALLOW_ASYNC_UNSAFE that the browser tests' conftest sets)."""
    inherited = {
        "DJANGO_ENV",
        "SECRET_KEY",
        "DEBUG",
        "ALLOWED_HOSTS",
        "DATABASE_URL",
        "DJANGO_ALLOW_ASYNC_UNSAFE",
    }
    clean = {
        key: value
        for key, value in os.environ.items()
        if key not in inherited and not key.startswith(("SECURE_", "AXES_", "CSP_"))
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def production_env(tmp_path, **overrides: str) -> dict[str, str]:
    return {
        "DJANGO_ENV": "production",
        "SECRET_KEY": secrets.token_urlsafe(50)[:50],
        "ALLOWED_HOSTS": "example.cn",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite3'}",
        **overrides,
    }


# --- Production settings ------------------------------------------------------------------


def test_production_settings_pass_check_deploy(tmp_path):
    result = run_manage("check", "--deploy", **production_env(tmp_path))
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout, result.stdout + result.stderr
    assert "WARNINGS" not in result.stdout + result.stderr


@pytest.mark.parametrize(
    "secret_key",
    [None, "", "change-me-to-a-long-random-string", "too-short-" * 4],
    ids=["unset", "empty", "placeholder", "short"],
)
def test_production_refuses_to_start_without_a_real_secret_key(tmp_path, secret_key):
    env = production_env(tmp_path)
    del env["SECRET_KEY"]
    if secret_key is not None:
        env["SECRET_KEY"] = secret_key
    result = run_manage("check", **env)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "needs SECRET_KEY" in result.stderr


def test_development_needs_no_secret_key(tmp_path):
    result = run_manage("check", DATABASE_URL=f"sqlite:///{tmp_path / 'x.sqlite3'}")
    assert result.returncode == 0, result.stderr


# --- Content-Security-Policy -----------------------------------------------------------------

STRICT_DIRECTIVES = [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "object-src 'none'",
    "frame-ancestors 'none'",
    "base-uri 'self'",
    "form-action 'self'",
]


def assert_strict_csp(response):
    policy = response.headers.get("Content-Security-Policy")
    assert policy, f"no Content-Security-Policy on {response.request['PATH_INFO']}"
    directives = {part.strip() for part in policy.split(";")}
    for directive in STRICT_DIRECTIVES:
        assert directive in directives, (directive, policy)
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy


def test_csp_on_pages(world, client):
    assert_strict_csp(client.get(reverse("login")))
    client.force_login(world.dispatcher)
    response = client.get(reverse("home"), follow=True)
    assert response.status_code == 200
    assert_strict_csp(response)


def test_csp_on_the_api(world):
    anon = APIClient()
    assert_strict_csp(anon.get("/api/v1/orders/"))  # 401
    assert_strict_csp(anon.get("/api/schema/"))
    api = APIClient()
    api.force_authenticate(world.dispatcher)
    response = api.get("/api/v1/orders/")
    assert response.status_code == 200
    assert_strict_csp(response)


def test_swagger_ui_is_the_only_page_without_csp(world, client):
    # SpectacularSwaggerView inlines its script; see CONTENT_SECURITY_POLICY in settings.
    assert settings.CONTENT_SECURITY_POLICY["EXCLUDE_URL_PREFIXES"] == ["/api/docs/"]
    client.force_login(world.dispatcher)
    assert client.get("/api/docs/").status_code == 200


# --- Login lockout -------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()  # the token endpoint's throttle counts in the cache
    yield
    cache.clear()


def login(client, username, password, address="10.0.0.1"):
    return client.post(
        reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=address
    )


def test_lockout_settings():
    assert settings.AUTHENTICATION_BACKENDS[0] == "axes.backends.AxesStandaloneBackend"
    assert settings.MIDDLEWARE[-1] == "axes.middleware.AxesMiddleware"
    assert settings.AXES_FAILURE_LIMIT == 5
    assert settings.AXES_LOCKOUT_PARAMETERS == [["username", "ip_address"]]
    assert settings.AXES_COOLOFF_TIME.total_seconds() == 15 * 60
    assert settings.AXES_RESET_ON_SUCCESS


def test_five_wrong_passwords_lock_the_login_page(world, client):
    for _ in range(4):
        response = login(client, "center", "wrong")
        assert response.status_code == 200 and "errorlist" in response.content.decode()
    # The 5th failure locks: axes answers it with 429 already.
    assert login(client, "center", "wrong").status_code == 429
    # The 6th attempt, with the right password, is refused: locked.
    locked = login(client, "center", "pw")
    assert locked.status_code == 429
    assert "_auth_user_id" not in client.session
    assert_strict_csp(locked)
    # Another user from the same address is not affected...
    other = login(client.__class__(), "supervisor", "pw")
    assert other.status_code == 302
    # ...nor the same user from another address.
    elsewhere = login(client.__class__(), "center", "pw", address="10.0.0.2")
    assert elsewhere.status_code == 302


def test_the_lock_expires_after_the_cool_off(world, client):
    import time_machine
    from django.utils import timezone

    for _ in range(5):
        login(client, "center", "wrong")
    assert login(client, "center", "pw").status_code == 429
    with time_machine.travel(timezone.now() + settings.AXES_COOLOFF_TIME, tick=False):
        assert login(client, "center", "pw").status_code == 302


def test_a_success_resets_the_count(world, client):
    for _ in range(4):
        login(client, "center", "wrong")
    assert login(client, "center", "pw").status_code == 302
    client.post(reverse("logout"))
    for _ in range(4):
        login(client, "center", "wrong")
    assert login(client, "center", "pw").status_code == 302


def test_the_admin_login_is_covered_too(world, client):
    for _ in range(5):
        client.post(
            "/admin/login/", {"username": "admin", "password": "wrong"}, REMOTE_ADDR="10.0.0.9"
        )
    locked = client.post(
        "/admin/login/", {"username": "admin", "password": "pw"}, REMOTE_ADDR="10.0.0.9"
    )
    assert locked.status_code == 429


def token(username, password, address="10.0.0.1"):
    return APIClient().post(
        TOKEN_URL, {"username": username, "password": password}, format="json", REMOTE_ADDR=address
    )


def test_five_wrong_passwords_lock_the_token_endpoint(world):
    for _ in range(5):
        assert token("center", "wrong").status_code == 400
    # Locked: the right password gets no token (DRF reports it as bad credentials, 400,
    # because axes flags DRF's request wrapper, which AxesMiddleware does not see).
    locked = token("center", "pw")
    assert locked.status_code == 400 and "token" not in locked.json()
    assert_strict_csp(locked)
    # Another user from the same address, and the same user elsewhere, still get theirs.
    assert token("supervisor", "pw").status_code == 200
    assert token("center", "pw", address="10.0.0.2").status_code == 200


def test_web_and_api_failures_count_together(world, client):
    for _ in range(3):
        login(client, "center", "wrong")
    for _ in range(2):
        token("center", "wrong")
    assert login(client, "center", "pw").status_code == 429
    assert token("center", "pw").status_code == 400


def test_client_address_behind_proxies(rf, settings):
    from shishi_mediation.settings import client_ip

    request = rf.get("/", REMOTE_ADDR="172.18.0.5", HTTP_X_FORWARDED_FOR="6.6.6.6, 1.2.3.4")
    import shishi_mediation.settings as project_settings

    original = project_settings.NUM_PROXIES
    try:
        project_settings.NUM_PROXIES = None
        assert client_ip(request) == "172.18.0.5"  # the header is ignored without a proxy
        project_settings.NUM_PROXIES = 1
        assert client_ip(request) == "1.2.3.4"  # the address our proxy saw, not a forged one
    finally:
        project_settings.NUM_PROXIES = original


# --- Request limits ------------------------------------------------------------------------


def test_upload_limits():
    assert settings.DATA_UPLOAD_MAX_MEMORY_SIZE == 2 * 1024 * 1024
    assert settings.FILE_UPLOAD_MAX_MEMORY_SIZE <= settings.ATTACHMENT_MAX_BYTES
    assert settings.DATA_UPLOAD_MAX_NUMBER_FIELDS == 500
    assert settings.DATA_UPLOAD_MAX_NUMBER_FILES == 20


def test_an_oversized_body_is_refused(world, client):
    too_big = "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)
    api = APIClient()
    api.force_authenticate(world.dispatcher)
    # Refused before parsing (RequestDataTooBig), not by the serializer's validation.
    response = api.post("/api/v1/orders/", {"title": too_big}, format="json")
    assert response.status_code == 400 and b"Bad Request (400)" in response.content
    form = client.post(reverse("login"), {"username": too_big, "password": "pw"})
    assert form.status_code == 400 and b"Bad Request (400)" in form.content
