"""Supervisor report pages under ``/reports/`` (issue 6)."""

from django.urls import path

from . import report_views

app_name = "reports"
urlpatterns = [
    path("", report_views.index, name="index"),
    path("monthly/", report_views.monthly, name="monthly"),
    path("bulletin/", report_views.bulletin, name="bulletin"),
    path("subsidy/", report_views.subsidy, name="subsidy"),
]
