"""The installable app: the web app manifest, the service worker at ``/sw.js`` (served
from the root so its scope is the whole site) and the page it shows offline.

The service worker's cache is named after a hash of what it precaches, so a change to
any of those files (or to the offline page) makes a new ``sw.js``, which the browser
installs in place of the old one.
"""

import functools
import hashlib
import json

from django.conf import settings
from django.contrib.staticfiles import finders
from django.contrib.staticfiles.storage import ManifestFilesMixin, staticfiles_storage
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.template.loader import get_template
from django.templatetags.static import static
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

# app.css's --brand (the header) and --bg (the page).
THEME_COLOR = "#102a43"
BACKGROUND_COLOR = "#f5f7fa"
ICONS = (
    ("icons/icon-192.png", "192x192", "any"),
    ("icons/icon-512.png", "512x512", "any"),
    ("icons/icon-maskable-512.png", "512x512", "maskable"),
)
# The app shell: what the report form and the offline page need, all served from here.
SHELL_STATIC = (
    "css/app.css",
    "vendor/htmx/htmx.min.js",
    "js/nav.js",
    "js/outbox.js",
    "js/pwa.js",
    "js/report-offline.js",
    *(name for name, _size, _purpose in ICONS),
)


def _static_bytes(name: str) -> bytes:
    path = finders.find(name)
    if path is None:  # collected only (production without the sources): the URL says it
        return static(name).encode()
    with open(path, "rb") as f:
        return f.read()


def _shell_version() -> str:
    digest = hashlib.sha256()
    for name in SHELL_STATIC:
        digest.update(static(name).encode() + b"\0" + _static_bytes(name))
    digest.update(get_template("pwa/offline.html").template.source.encode())
    return digest.hexdigest()[:16]


_cached_shell_version = functools.cache(_shell_version)


def shell_version() -> str:
    """Computed once per process, or on every request in development (files change)."""
    return _shell_version() if settings.DEBUG else _cached_shell_version()


@require_GET
def manifest(request):
    data = {
        "id": "/",
        "name": _("石狮订单分包调处平台"),
        "short_name": _("石狮调处"),
        "description": _("矛盾纠纷报单、派单、签收和办理"),
        "lang": get_language(),
        "start_url": "/",
        "scope": "/",
        "display": "standalone",
        "orientation": "portrait",
        "theme_color": THEME_COLOR,
        "background_color": BACKGROUND_COLOR,
        "icons": [
            {"src": static(name), "sizes": sizes, "type": "image/png", "purpose": purpose}
            for name, sizes, purpose in ICONS
        ],
    }
    response = JsonResponse(data, json_dumps_params={"ensure_ascii": False})
    response["Content-Type"] = "application/manifest+json"
    response["Cache-Control"] = "no-cache"
    return response


@never_cache  # the browser checks for a new worker on each visit
@require_GET
def service_worker(request):
    offline = reverse("offline")
    config = {
        "version": shell_version(),
        "precache": [offline, *(static(name) for name in SHELL_STATIC)],
        "offlineUrl": offline,
        "reportUrl": reverse("report"),
        "staticUrl": static(""),
        # Production's file names carry a hash of their content: any may be cached for good.
        "hashedStatic": isinstance(staticfiles_storage, ManifestFilesMixin),
        "outboxJs": static("js/outbox.js"),
        "icon": static("icons/icon-192.png"),
        "name": _("石狮调处"),
    }
    body = get_template("pwa/sw.js").render({"config": json.dumps(config, ensure_ascii=False)})
    return HttpResponse(body, content_type="application/javascript; charset=utf-8")


@require_GET
def offline(request):
    """Shown by the service worker for a page that cannot be fetched. It is cached for
    everyone on the device, so it names no one."""
    return render(request, "pwa/offline.html")
