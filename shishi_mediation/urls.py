from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from notifications import views as inbox_views
from supervision import map_views

from . import health, pwa

urlpatterns = [
    path("", include("disputes.urls")),
    path("inbox/", inbox_views.inbox, name="inbox"),
    path("inbox/read/", inbox_views.inbox_mark_read, name="inbox-read"),
    path(
        "settings/notifications/", inbox_views.notification_settings, name="notification-settings"
    ),
    path(
        "settings/notifications/devices/<str:pk>/remove/",
        inbox_views.push_device_remove,
        name="push-device-remove",
    ),
    path("reports/", include("supervision.urls")),
    path("incidents/", include("disputes.desk_urls")),  # the incident desk (警情工作台)
    path("map/", map_views.map_page, name="map"),  # docs/MAP.md
    path("alliance/", include("alliance.urls")),  # the mediation alliance (issue 18)
    path("hazards/", include("hazards.urls")),  # 隐患排查 (issue 18)
    path("care/", include("care.urls")),  # the care register (关爱对象, issue 18)
    path("training/", include("training.urls")),  # issue 18: 培训
    path("review/", include("disputes.review_urls")),
    path("confirm/", include("disputes.confirm_urls")),
    path("api/", include("shishi_mediation.api_urls")),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    # The installable app: at the root, so the service worker's scope is the whole site.
    path("manifest.webmanifest", pwa.manifest, name="manifest"),
    path("sw.js", pwa.service_worker, name="service-worker"),
    path("offline/", pwa.offline, name="offline"),
]
