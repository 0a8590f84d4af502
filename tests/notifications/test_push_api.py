"""``/api/v1/push/subscriptions/`` and the "通知设置" page: who may do what, what an
outsider sees, and what a bad body gets."""

import io
import json

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from dispatch.models import Profile
from notifications.checks import webpush_keys
from notifications.models import NotificationPreference, PushSubscription
from notifications.webpush import generate_vapid_keys, public_key_of
from tests.notifications.pushfake import Device, b64url

URL = "/api/v1/push/subscriptions/"
ORIGIN = "https://fcm.googleapis.com"


@pytest.fixture(autouse=True)
def _push_on(settings):
    settings.WEBPUSH_VAPID_PRIVATE_KEY, settings.WEBPUSH_VAPID_PUBLIC_KEY = generate_vapid_keys()
    settings.WEBPUSH_ALLOW_LOOPBACK_HTTP = False


def api(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def body(path="/fcm/send/abc", **changes):
    data = Device(path).subscription(ORIGIN)
    for key, value in changes.items():
        if key in ("p256dh", "auth"):
            data["keys"][key] = value
        else:
            data[key] = value
    return data


def test_subscribe_list_and_remove_own_devices(world):
    client = api(world.handler)
    first = client.post(
        URL,
        body("/a"),
        format="json",
        HTTP_USER_AGENT="Mozilla/5.0 (Linux; Android 14) Chrome/130.0",
    )
    assert first.status_code == 201
    assert first.json()["user_agent"] == "Chrome · Android"
    assert client.post(URL, body("/b"), format="json").status_code == 201
    listed = client.get(URL).json()
    assert {d["endpoint"] for d in listed} == {ORIGIN + "/a", ORIGIN + "/b"}
    assert "p256dh" not in listed[0] and "auth" not in listed[0]  # keys never go back out
    assert client.delete(f"{URL}{first.json()['id']}/").status_code == 204
    assert [d["endpoint"] for d in client.get(URL).json()] == [ORIGIN + "/b"]


def test_resubscribing_the_same_endpoint_updates_it(world):
    client = api(world.handler)
    first = client.post(URL, body("/same"), format="json").json()
    again = client.post(URL, body("/same"), format="json")  # new keys, same endpoint
    assert again.status_code == 200 and again.json()["id"] == first["id"]
    assert PushSubscription.objects.filter(endpoint=ORIGIN + "/same").count() == 1
    sent = body("/same")
    client.post(URL, sent, format="json")
    stored = PushSubscription.objects.get()
    assert (stored.p256dh, stored.auth) == (sent["keys"]["p256dh"], sent["keys"]["auth"])


def test_an_endpoint_moves_to_whoever_subscribes_it_on_the_device(world):
    """A shared phone: the person now logged in subscribes; the old holder loses it."""
    old = api(world.handler).post(URL, body("/shared"), format="json").json()
    moved = api(world.handler2).post(URL, body("/shared"), format="json")
    assert moved.status_code == 201 and moved.json()["id"] != old["id"]
    assert api(world.handler).get(URL).json() == []
    assert api(world.handler).delete(f"{URL}{old['id']}/").status_code == 404
    assert PushSubscription.objects.get().user == world.handler2


def test_someone_elses_device_is_a_404_and_stays(world):
    mine = api(world.handler).post(URL, body("/mine"), format="json").json()
    intruder = api(world.handler2)
    assert intruder.delete(f"{URL}{mine['id']}/").status_code == 404
    assert intruder.get(URL).json() == []
    for guess in ("999999", "0", "-1", "abc", "9" * 40):
        assert intruder.delete(f"{URL}{guess}/").status_code == 404
    assert PushSubscription.objects.filter(pk=mine["id"]).exists()


def test_anonymous_gets_401(world):
    assert api().get(URL).status_code == 401
    assert api().post(URL, body(), format="json").status_code == 401
    sub = api(world.handler).post(URL, body(), format="json").json()
    assert api().delete(f"{URL}{sub['id']}/").status_code == 401


def test_the_session_api_needs_the_csrf_token(world):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.handler)
    data = json.dumps(body())
    assert client.post(URL, data, content_type="application/json").status_code == 403
    client.get(reverse("notification-settings"))
    token = client.cookies["csrftoken"].value
    resp = client.post(URL, data, content_type="application/json", HTTP_X_CSRFTOKEN=token)
    assert resp.status_code == 201


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"endpoint": "http://push.example.com/x"}, "endpoint"),  # not https
        ({"endpoint": "http://127.0.0.1:9/x"}, "endpoint"),  # loopback http: tests/DEBUG only
        ({"endpoint": "https://10.0.0.8/x"}, "endpoint"),  # inside the network
        ({"endpoint": "https://127.0.0.1/x"}, "endpoint"),
        ({"endpoint": "https://[::1]/x"}, "endpoint"),
        ({"endpoint": "https://localhost/x"}, "endpoint"),
        # Not a known push service: the server would POST wherever a user pointed it.
        ({"endpoint": "https://intranet.example.gov.cn/api"}, "endpoint"),
        ({"endpoint": "https://fcm.googleapis.com.evil.example/x"}, "endpoint"),
        ({"endpoint": "https://8.8.8.8/x"}, "endpoint"),
        ({"endpoint": "https://u:p@push.example.com/x"}, "endpoint"),
        ({"endpoint": "https://push.example.com/" + "a" * 3000}, "endpoint"),
        ({"endpoint": 12}, "endpoint"),
        ({"endpoint": ""}, "endpoint"),
        ({"p256dh": b64url(b"\x04" + b"\x01" * 64)}, "keys.p256dh"),  # not on the curve
        ({"p256dh": b64url(b"\x04" * 33)}, "keys.p256dh"),  # wrong length
        ({"p256dh": "not base64!"}, "keys.p256dh"),
        ({"auth": b64url(b"x" * 15)}, "keys.auth"),
        ({"auth": ["x"]}, "keys.auth"),
        ({"keys": None}, "keys"),
        ({"keys": "x"}, "keys"),
        ({"expirationTime": "soon"}, "expirationTime"),
        ({"extra": 1}, "extra"),
    ],
)
def test_a_bad_body_is_a_400_naming_the_field(world, changes, field):
    resp = api(world.handler).post(URL, body(**changes), format="json")
    assert resp.status_code == 400, resp.content
    assert field in resp.json()["errors"], resp.json()
    assert not PushSubscription.objects.exists()


def test_loopback_http_is_allowed_only_when_configured(world, settings):
    settings.WEBPUSH_ALLOW_LOOPBACK_HTTP = True
    resp = api(world.handler).post(URL, body(endpoint="http://127.0.0.1:9/x"), format="json")
    assert resp.status_code == 201
    resp = api(world.handler).post(URL, body(endpoint="http://10.1.1.1/x"), format="json")
    assert resp.status_code == 400


def test_a_huge_or_deep_body_is_refused_not_a_500(world):
    client = api(world.handler)
    huge = body(endpoint="https://push.example.com/" + "a" * (3 * 1024 * 1024))
    assert client.post(URL, huge, format="json").status_code == 413
    deep: dict = {}
    for _ in range(200):
        deep = {"keys": deep}
    assert client.post(URL, deep, format="json").status_code == 400
    assert client.post(URL, [1, 2], format="json").status_code == 400
    assert client.post(URL, "null", content_type="application/json").status_code == 400
    assert not PushSubscription.objects.exists()


def test_a_person_keeps_at_most_the_configured_devices(world, settings):
    settings.WEBPUSH_MAX_DEVICES = 3
    client = api(world.handler)
    for i in range(5):
        client.post(URL, body(f"/d{i}"), format="json")
    kept = {d["endpoint"] for d in client.get(URL).json()}
    assert kept == {ORIGIN + "/d2", ORIGIN + "/d3", ORIGIN + "/d4"}


# --- the settings page -------------------------------------------------------------------


def test_the_settings_page_needs_a_login(client):
    resp = client.get(reverse("notification-settings"))
    assert resp.status_code == 302 and "/accounts/login/" in resp["Location"]


def test_settings_are_saved_and_the_phone_shown_masked(world, client):
    client.force_login(world.handler)
    resp = client.post(
        reverse("notification-settings"),
        {
            "phone": "138 1234 5678",
            "email": "on",
            "webpush": "on",
            "quiet_start": "22:00",
            "quiet_end": "07:00",
        },
    )
    assert resp.status_code == 302
    pref = NotificationPreference.objects.get(user=world.handler)
    assert (pref.email, pref.sms, pref.webpush) == (True, False, True)
    assert str(pref.quiet_start) == "22:00:00" and str(pref.quiet_end) == "07:00:00"
    assert Profile.objects.get(user=world.handler).phone == "13812345678"
    page = client.get(reverse("notification-settings")).content.decode()
    assert "138****5678" in page and "13812345678" not in page
    # A blank phone keeps it; "删除手机号" removes it.
    client.post(reverse("notification-settings"), {"phone": "", "sms": "on"})
    assert Profile.objects.get(user=world.handler).phone == "13812345678"
    client.post(reverse("notification-settings"), {"clear_phone": "on"})
    assert Profile.objects.get(user=world.handler).phone == ""


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"phone": "0595-88881234"}, "11位手机号"),  # a landline cannot get SMS
        ({"phone": "1381234567x"}, "11位手机号"),
        ({"quiet_start": "22:00"}, "同时填写"),
        ({"quiet_start": "22:00", "quiet_end": "22:00"}, "不能与开始时间相同"),
        ({"quiet_start": "25:00", "quiet_end": "07:00"}, "免打扰开始"),
    ],
)
def test_bad_settings_are_a_400_with_the_reason(world, client, data, message):
    client.force_login(world.handler)
    resp = client.post(reverse("notification-settings"), data)
    assert resp.status_code == 400
    assert message in resp.content.decode()
    assert not NotificationPreference.objects.filter(user=world.handler).exists()


def test_devices_are_listed_and_removed_only_by_their_owner(world, client):
    sub = api(world.handler).post(URL, body("/x"), format="json").json()
    client.force_login(world.handler2)
    remove = reverse("push-device-remove", args=[sub["id"]])
    assert client.post(remove).status_code == 404
    assert client.post(reverse("push-device-remove", args=["9" * 30])).status_code == 404
    assert client.get(remove).status_code == 405
    client.force_login(world.handler)
    page = client.get(reverse("notification-settings")).content.decode()
    assert f'data-device="{sub["id"]}"' in page
    assert client.post(remove).status_code == 302
    assert not PushSubscription.objects.exists()


def test_the_header_offers_push_only_with_keys(world, client, settings):
    client.force_login(world.handler)
    page = client.get(reverse("inbox")).content.decode()
    assert "data-push-toggle" in page and settings.WEBPUSH_VAPID_PUBLIC_KEY in page
    assert reverse("notification-settings") in page
    settings.WEBPUSH_VAPID_PRIVATE_KEY = settings.WEBPUSH_VAPID_PUBLIC_KEY = ""
    page = client.get(reverse("inbox")).content.decode()
    assert "data-push-toggle" not in page and "push.js" not in page


# --- keys ----------------------------------------------------------------------------------


def test_make_vapid_keys_prints_a_working_pair(tmp_path):
    out = io.StringIO()
    call_command("make_vapid_keys", "--subject", "mailto:ops@shishi.example", stdout=out)
    lines = dict(line.split("=", 1) for line in out.getvalue().splitlines())
    assert public_key_of(lines["WEBPUSH_VAPID_PRIVATE_KEY"]) == lines["WEBPUSH_VAPID_PUBLIC_KEY"]
    assert lines["WEBPUSH_VAPID_SUBJECT"] == "mailto:ops@shishi.example"
    env = tmp_path / "vapid.env"
    call_command("make_vapid_keys", "--env-file", str(env), stdout=io.StringIO())
    first = env.read_text()
    call_command("make_vapid_keys", "--env-file", str(env), stdout=io.StringIO())
    assert env.read_text() == first  # kept, not replaced
    assert env.stat().st_mode & 0o077 == 0


def test_the_system_check_catches_bad_keys(settings):
    assert webpush_keys(None) == []
    _other_private, other_public = generate_vapid_keys()
    settings.WEBPUSH_VAPID_PUBLIC_KEY = other_public
    assert [e.id for e in webpush_keys(None)] == ["notifications.E002"]
    settings.WEBPUSH_VAPID_PRIVATE_KEY = ""
    assert [e.id for e in webpush_keys(None)] == ["notifications.E001"]
    settings.WEBPUSH_VAPID_PUBLIC_KEY = ""
    settings.PRODUCTION = True
    assert [e.id for e in webpush_keys(None)] == ["notifications.W001"]


@pytest.mark.parametrize(
    "endpoint",
    [
        "https://fcm.googleapis.com/fcm/send/abc",
        "https://updates.push.services.mozilla.com/wpush/v2/abc",
        "https://wns2-by3p.notify.windows.com/w/?token=abc",
        "https://web.push.apple.com/QGx",
    ],
)
def test_the_browsers_push_services_are_accepted(world, endpoint):
    resp = api(world.handler).post(URL, body(endpoint=endpoint), format="json")
    assert resp.status_code == 201, resp.content


def test_an_empty_list_of_push_services_takes_any_public_host(world, settings):
    settings.WEBPUSH_ENDPOINT_HOSTS = []
    ok = api(world.handler).post(URL, body(endpoint="https://push.example.com/x"), format="json")
    assert ok.status_code == 201
    inside = api(world.handler).post(URL, body(endpoint="https://10.0.0.8/x"), format="json")
    assert inside.status_code == 400


def test_the_devices_list_and_the_settings_page_do_not_grow_with_the_devices(world, client):
    """One device or eight: the API list and the settings page run the same queries."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    user = world.handler
    client.force_login(user)
    rest = api(user)

    def counts() -> tuple[int, int]:
        with CaptureQueriesContext(connection) as listed:
            assert rest.get(URL).status_code == 200
        with CaptureQueriesContext(connection) as page:
            assert client.get(reverse("notification-settings")).status_code == 200
        return len(listed.captured_queries), len(page.captured_queries)

    assert rest.post(URL, body(path="/fcm/send/0"), format="json").status_code == 201
    one = counts()
    for i in range(1, 8):
        assert rest.post(URL, body(path=f"/fcm/send/{i}"), format="json").status_code == 201
    assert counts() == one
