"""The installable app's files over HTTP: the manifest, the service worker at /sw.js and
the offline page, as a browser fetches them (the browser test drives the real thing)."""

import json
import re

import pytest

from shishi_mediation import pwa

pytestmark = pytest.mark.django_db


def worker_config(client) -> dict:
    response = client.get("/sw.js")
    assert response.status_code == 200
    match = re.search(r"^const CONFIG = (\{.*\});$", response.content.decode(), re.M)
    return json.loads(match.group(1))


def test_manifest_is_served_as_a_manifest_to_anyone(client):
    response = client.get("/manifest.webmanifest")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/manifest+json"
    manifest = json.loads(response.content)
    assert manifest["name"] == "石狮订单分包调处平台"
    assert manifest["short_name"] == "石狮调处"
    assert manifest["start_url"] == manifest["scope"] == "/"
    assert manifest["display"] == "standalone"
    assert manifest["theme_color"] == "#102a43"
    for icon in manifest["icons"]:
        image = client.get(icon["src"])
        assert image.status_code == 200, icon
        assert image["Content-Type"] == "image/png"
    assert {i["purpose"] for i in manifest["icons"]} == {"any", "maskable"}


def test_service_worker_is_javascript_never_cached_and_its_shell_exists(client):
    response = client.get("/sw.js")
    assert response["Content-Type"].startswith("application/javascript")
    assert "no-cache" in response["Cache-Control"]
    # Same CSP as every page: the worker may fetch and import from this origin only.
    assert "script-src 'self'" in response["Content-Security-Policy"]
    config = worker_config(client)
    assert "/offline/" in config["precache"]
    assert "/static/css/app.css" in config["precache"]
    for url in config["precache"] + [config["outboxJs"]]:
        assert client.get(url).status_code == 200, url
    assert all(u.startswith("/") and not u.startswith("//") for u in config["precache"])


def test_worker_version_follows_the_shell_files(client, monkeypatch, settings):
    settings.DEBUG = True  # recomputed on every request, as in development
    before = worker_config(client)["version"]
    assert worker_config(client)["version"] == before
    real = pwa._static_bytes

    def edited(name: str) -> bytes:
        return real(name) + (b"/* new */" if name.endswith(".css") else b"")

    monkeypatch.setattr(pwa, "_static_bytes", edited)
    assert worker_config(client)["version"] != before


def test_offline_page_names_no_one(world, as_user):
    client = as_user(world.reporter)
    response = client.get("/offline/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "网络未连接" in page
    assert world.reporter.username not in page
    assert "csrfmiddlewaretoken" not in page


def test_pages_link_the_manifest_and_register_the_worker(world, as_user):
    page = as_user(world.reporter).get("/report/").content.decode()
    assert '<link rel="manifest" href="/manifest.webmanifest">' in page
    assert "/static/js/pwa.js" in page
    assert "/static/js/report-offline.js" in page
    assert f'data-user="{world.reporter.pk}"' in page
    assert 'id="outbox"' in page
