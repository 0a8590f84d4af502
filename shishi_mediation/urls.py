from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from dispatch import views as dispatch_views

from . import health

urlpatterns = [
    path("", include("disputes.urls")),
    path("inbox/", dispatch_views.inbox, name="inbox"),
    path("inbox/read/", dispatch_views.inbox_mark_read, name="inbox-read"),
    path("reports/", include("dispatch.report_urls")),
    path("review/", include("disputes.review_urls")),
    path("api/", include("shishi_mediation.api_urls")),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
]
