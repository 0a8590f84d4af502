"""``/api/v1/reports/…`` (issue 6): the monthly report (JSON, CSV, XLSX); a unit's standing."""

from django.urls import path

from .views import MonthlyReportAPI, StandingAPI

urlpatterns = [
    path("monthly/", MonthlyReportAPI.as_view(), name="api-report-monthly"),
    path("standing/", StandingAPI.as_view(), name="api-report-standing"),
]
