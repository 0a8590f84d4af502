"""The public review page reached by a per-order token link (issue 5)."""

from django.urls import path

from . import review_views

urlpatterns = [
    path("", review_views.review_code_page, name="review-code"),
    path("<str:token>/", review_views.review_page, name="review"),
]
