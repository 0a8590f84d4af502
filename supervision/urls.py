"""Supervisor report pages under ``/reports/`` (issue 6)."""

from django.urls import path

from . import views

app_name = "reports"
urlpatterns = [
    path("", views.index, name="index"),
    path("monthly/", views.monthly, name="monthly"),
    path("bulletin/", views.bulletin, name="bulletin"),
    path("bulletin/publish/", views.bulletin_publish_view, name="bulletin-publish"),
    path("subsidy/", views.subsidy, name="subsidy"),
    path("standing/", views.standing, name="standing"),
]
