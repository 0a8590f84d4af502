from django.urls import path

from . import views

app_name = "alliance"

urlpatterns = [
    path("", views.units, name="units"),
    path("units/<str:pk>/", views.unit_detail, name="unit"),
    path("members/<str:pk>/", views.member_detail, name="member"),
    path("activities/", views.activity_list, name="activities"),
    path("activities/new/", views.activity_create, name="activity-new"),
]
