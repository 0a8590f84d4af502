from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from dispatch import views as dispatch_views
from disputes import views as dispute_views

urlpatterns = [
    path("", dispute_views.home, name="home"),
    path("orders/<int:pk>/", dispute_views.order_detail, name="order-detail"),
    path("inbox/", dispatch_views.inbox, name="inbox"),
    path("inbox/read/", dispatch_views.inbox_mark_read, name="inbox-read"),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
