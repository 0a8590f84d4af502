"""Production hardening (issue 8): deploy checks, SECRET_KEY, Content-Security-Policy, login
lockout (django-axes) and request limits."""

import os
import re
import secrets
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import cache
from django.urls import reverse
from rest_framework.test import APIClient

from notifications.webpush import generate_vapid_keys

BASE_DIR = Path(__file__).resolve().parent.parent
TOKEN_URL = "/api/v1/auth/token/"


def run_manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    """``manage.py`` in a fresh process with the given environment on top of a clean one
    (no DJANGO_ENV, SECRET_KEY, DEBUG... inherited from the test run's environment, nor the
    DJANGO_ALLOW_ASYNC_UNSAFE that the browser tests' conftest sets)."""
    inherited = {
        "DJANGO_ENV",
        "SECRET_KEY",
        "TIMELINE_CHAIN_KEY",
        "TIMELINE_CHAIN_KEY_ID",
        "TIMELINE_CHAIN_OLD_KEYS",
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
    private, public = generate_vapid_keys()  # without them --deploy warns: push is off
    return {
        "DJANGO_ENV": "production",
        "WEBPUSH_VAPID_PRIVATE_KEY": private,
        "WEBPUSH_VAPID_PUBLIC_KEY": public,
        "WEBPUSH_VAPID_SUBJECT": "mailto:ops@example.cn",
        "SECRET_KEY": secrets.token_urlsafe(50)[:50],
        "TIMELINE_CHAIN_KEY": secrets.token_urlsafe(32),
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


@pytest.mark.parametrize(
    "chain_key",
    [None, "change-me-to-a-long-random-string-too", "too-short"],
    ids=["unset", "placeholder", "short"],
)
def test_production_refuses_to_start_without_a_timeline_chain_key(tmp_path, chain_key):
    """Production signs the timeline with a key of its own, never a derived default
    (docs/TIMELINE.md)."""
    env = production_env(tmp_path)
    del env["TIMELINE_CHAIN_KEY"]
    if chain_key is not None:
        env["TIMELINE_CHAIN_KEY"] = chain_key
    result = run_manage("check", **env)
    assert result.returncode != 0
    assert "needs TIMELINE_CHAIN_KEY" in result.stderr


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


def test_no_page_is_excluded_from_the_csp():
    assert not settings.CONTENT_SECURITY_POLICY.get("EXCLUDE_URL_PREFIXES")


INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)


@pytest.mark.parametrize("logged_in", [False, True], ids=["anonymous", "dispatcher"])
def test_swagger_ui_works_under_the_strict_csp(world, client, logged_in):
    """/api/docs/ carries the same policy as every page, so it must need nothing inline:
    its start-up script comes from ?script, its style from a file."""
    if logged_in:
        client.force_login(world.dispatcher)
    page = client.get("/api/docs/")
    assert page.status_code == 200
    assert_strict_csp(page)
    html = page.content.decode()
    assert not INLINE_SCRIPT.search(html), "an inline <script> would be blocked by the CSP"
    assert "<style" not in html.lower() and " style=" not in html.lower()
    sources = re.findall(r'<script[^>]*\bsrc="([^"]+)"', html)
    assert any("swagger-ui-bundle.js" in src for src in sources)
    start_up = next(src for src in sources if "script" in src.split("?", 1)[-1])
    assert start_up.startswith("/api/docs/?")  # same origin: allowed by script-src 'self'

    script = client.get(start_up.replace("&amp;", "&"))
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")
    assert "SwaggerUIBundle(" in script.content.decode()
    assert "/api/schema/" in script.content.decode()
    stylesheets = re.findall(r'<link rel="stylesheet" href="([^"]+)"', html)
    assert all(href.startswith("/static/") for href in stylesheets), stylesheets
    for href in stylesheets:
        assert client.get(href).status_code == 200, href


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


def test_the_locked_login_page_is_the_login_page_with_how_long(world, client):
    """Not axes' one unstyled line: the site's page and form, the lock's length and when
    to come back, still 429 with Retry-After."""
    for _ in range(5):
        login(client, "center", "wrong")
    locked = login(client, "center", "wrong")
    assert locked.status_code == 429
    assert 0 < int(locked["Retry-After"]) <= 15 * 60
    page = locked.content.decode()
    assert re.search(r'<link rel="stylesheet" href="/static/css/app[^"]*\.css"', page)
    assert 'name="username"' in page and 'value="center"' in page
    assert 'name="password"' in page and 'type="submit"' in page
    assert "账号已暂时锁定 15分钟" in page
    assert "请在 15分钟后再试" in page
    assert "wrong" not in page  # the password typed is not echoed
    assert_strict_csp(locked)


def test_the_lock_length_reads_in_hours(world, client, settings):
    settings.AXES_COOLOFF_TIME = timedelta(hours=2)
    for _ in range(5):
        login(client, "center", "wrong")
    locked = login(client, "center", "pw")
    assert locked.status_code == 429 and int(locked["Retry-After"]) > 60 * 60
    assert "账号已暂时锁定 2小时" in locked.content.decode()


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


def assert_locked(response):
    """429 in the API's error shape, with the lockout message and when to come back."""
    assert response.status_code == 429, response.content
    body = response.json()
    assert set(body) == {"detail"} and "token" not in body
    assert str(settings.AXES_COOLOFF_MESSAGE) in body["detail"]
    wait = int(response["Retry-After"])
    assert 0 < wait <= settings.AXES_COOLOFF_TIME.total_seconds()
    assert_strict_csp(response)


def test_five_wrong_passwords_lock_the_token_endpoint(world):
    for _ in range(4):
        wrong = token("center", "wrong")
        assert wrong.status_code == 400 and "errors" in wrong.json()
    # The 5th failure locks: answered 429 already, as on the login page.
    assert_locked(token("center", "wrong"))
    # Locked: the right password gets no token but 429, not a "bad credentials" 400.
    assert_locked(token("center", "pw"))
    # Another user from the same address, and the same user elsewhere, still get theirs.
    assert token("supervisor", "pw").status_code == 200
    assert token("center", "pw", address="10.0.0.2").status_code == 200


def test_web_and_api_failures_count_together(world, client):
    for _ in range(3):
        login(client, "center", "wrong")
    for _ in range(2):
        token("center", "wrong")
    assert login(client, "center", "pw").status_code == 429
    assert_locked(token("center", "pw"))


def test_the_token_lock_expires_after_the_cool_off(world):
    import time_machine
    from django.utils import timezone

    start = timezone.now()
    with time_machine.travel(start, tick=False):
        for _ in range(5):
            token("center", "wrong")
        locked = token("center", "pw")
        assert_locked(locked)
        assert int(locked["Retry-After"]) == settings.AXES_COOLOFF_TIME.total_seconds()
    with time_machine.travel(start + timedelta(minutes=5), tick=False):
        cache.clear()  # the per-address throttle, not the lock, is not under test here
        assert int(token("center", "pw")["Retry-After"]) == 10 * 60
    with time_machine.travel(start + settings.AXES_COOLOFF_TIME - timedelta(seconds=1), tick=False):
        cache.clear()
        assert int(token("center", "pw")["Retry-After"]) == 1  # the lock's last second
    with time_machine.travel(start + settings.AXES_COOLOFF_TIME + timedelta(seconds=1)):
        cache.clear()
        assert token("center", "pw").status_code == 200


def test_client_address_behind_proxies(rf, settings):
    from shishi_mediation.clientip import client_ip

    request = rf.get("/", REMOTE_ADDR="172.18.0.5", HTTP_X_FORWARDED_FOR="6.6.6.6, 1.2.3.4")
    settings.NUM_PROXIES = 0
    assert client_ip(request) == "172.18.0.5"  # the header is ignored without a proxy
    settings.NUM_PROXIES = 1
    assert client_ip(request) == "1.2.3.4"  # the address our proxy saw, not a forged one


# --- Request limits ------------------------------------------------------------------------


def test_upload_limits():
    assert settings.DATA_UPLOAD_MAX_MEMORY_SIZE == 2 * 1024 * 1024
    assert settings.FILE_UPLOAD_MAX_MEMORY_SIZE <= settings.ATTACHMENT_MAX_BYTES
    assert settings.DATA_UPLOAD_MAX_NUMBER_FIELDS == 500
    assert settings.DATA_UPLOAD_MAX_NUMBER_FILES == 20


@pytest.mark.parametrize(
    "url",
    ["/api/v1/orders/", TOKEN_URL, "/api/v1/incidents/"],
    ids=["orders", "token", "incidents"],
)
def test_an_oversized_api_body_is_413_in_the_api_error_shape(world, url):
    too_big = "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)
    api = APIClient()
    api.force_authenticate(world.dispatcher)
    # Refused before parsing (RequestDataTooBig), not by the serializer's validation.
    response = api.post(url, {"title": too_big}, format="json")
    assert response.status_code == 413
    assert response["Content-Type"] == "application/json"
    assert set(response.json()) == {"detail"}
    assert "2.0" in response.json()["detail"]  # names the limit (2 MiB)
    assert_strict_csp(response)
    english = api.post(url, {"title": too_big}, format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert english.json()["detail"].startswith("The request body is too large")
    # Just under the limit the body is read and judged on its content as usual.
    fits = "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE - 1000)
    assert api.post(url, {"title": fits}, format="json").status_code == 400


def test_an_oversized_form_body_is_still_a_plain_400_page(world, client):
    too_big = "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)
    form = client.post(reverse("login"), {"username": too_big, "password": "pw"})
    assert form.status_code == 400 and b"Bad Request (400)" in form.content
