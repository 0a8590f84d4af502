"""A party's page for a proposed closing, reached by its own link (结单确认)."""

from django.urls import path

from . import confirm_views

urlpatterns = [
    path("", confirm_views.confirm_code_page, name="confirm-code"),
    path("<str:token>/", confirm_views.confirm_page, name="confirm"),
    path("<str:token>/agreement.pdf", confirm_views.confirm_pdf, name="confirm-pdf"),
]
