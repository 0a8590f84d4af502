from django.urls import path

from . import views

app_name = "care"

urlpatterns = [
    path("", views.subject_list, name="list"),
    path("new/", views.subject_register, name="register"),
    path("<int:pk>/", views.subject_detail, name="detail"),
    path("<int:pk>/visit/", views.visit_record, name="visit"),
    path("<int:pk>/aid/", views.aid_record, name="aid"),
    path("<int:pk>/active/", views.subject_set_active, name="active"),
]
