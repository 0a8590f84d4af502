"""``/api/``: the versioned REST API, its schema and docs (issue 5)."""

from django.urls import include, path

urlpatterns = [
    path("v1/reports/", include("dispatch.report_api_urls")),
]
