"""The incident desk's pages (``disputes.desk_views``), under ``/incidents/``."""

from django.urls import path

from . import desk_views

urlpatterns = [
    path("", desk_views.desk, name="incident-desk"),
    path("<str:number>/", desk_views.incident_detail, name="incident-detail"),
    path("<str:number>/push/", desk_views.PushView.as_view(), name="incident-push"),
    path("<str:number>/link/", desk_views.LinkView.as_view(), name="incident-link"),
]
