from django.urls import path

from . import views

app_name = "training"

urlpatterns = [
    path("", views.session_list, name="list"),
    path("mine/", views.my_training, name="mine"),
    path("new/", views.SessionFormView.as_view(), name="new"),
    path("<int:pk>/", views.session_detail, name="detail"),
    path("<int:pk>/edit/", views.SessionFormView.as_view(), name="edit"),
    path("<int:pk>/delete/", views.session_delete_view, name="delete"),
]
