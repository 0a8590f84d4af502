"""Supervisor report pages (issue 6)."""

app_name = "reports"
urlpatterns: list = []
