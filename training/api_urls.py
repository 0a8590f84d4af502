"""``/api/v1/training/`` (included by ``shishi_mediation.api_urls``)."""

from rest_framework.routers import DefaultRouter

from .api import SessionViewSet

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("sessions", SessionViewSet, basename="api-training-session")

urlpatterns = router.urls
