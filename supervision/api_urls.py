"""``/api/v1/reports/…`` (issue 6): the monthly report as JSON, CSV or XLSX."""

from django.urls import path

from .views import MonthlyReportAPI

urlpatterns = [
    path("monthly/", MonthlyReportAPI.as_view(), name="api-report-monthly"),
]
