"""The public review page reached by a per-order token link (issue 5)."""

urlpatterns: list = []
