from django.urls import path

from . import views

app_name = "hazards"

urlpatterns = [
    path("", views.hazard_list, name="list"),
    path("new/", views.HazardReportView.as_view(), name="report"),
    path("screenings/", views.screening_list, name="screenings"),
    path("screenings/new/", views.ScreeningCreateView.as_view(), name="screening-new"),
    path("photos/<str:pk>/", views.photo, name="photo"),
    path("photos/<str:pk>/thumbnail/", views.photo, {"thumbnail": True}, name="photo-thumbnail"),
    path("<str:pk>/", views.HazardDetailView.as_view(), name="detail"),
    path(
        "<str:pk>/acknowledge/",
        views.HazardActionView.as_view(action="acknowledge"),
        name="acknowledge",
    ),
    path("<str:pk>/close/", views.HazardActionView.as_view(action="close"), name="close"),
    path("<str:pk>/reject/", views.HazardActionView.as_view(action="reject"), name="reject"),
]
