"""The project's URLs plus ``/bench/bare/``: the cheapest Django JSON answer the same
server can give (full middleware, no database), the ceiling the API is compared with."""

from django.http import JsonResponse
from django.urls import include, path


def bare(request):
    return JsonResponse({"id": 1, "number": "HB-202611-00001", "state": "signed"})


urlpatterns = [
    path("bench/bare/", bare, name="bench-bare"),
    path("", include("shishi_mediation.urls")),
]
