"""``/api/v1/reports/…`` (issue 6)."""

urlpatterns: list = []
