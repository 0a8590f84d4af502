"""``/api/``: the versioned REST API, its schema and docs (issue 5)."""

from axes.helpers import get_lockout_message
from django.urls import include, path, re_path
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework import parsers, serializers
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.exceptions import Throttled, ValidationError
from rest_framework.routers import DefaultRouter

from alliance import api as alliance_api
from care import api as care_api
from dispatch import api as dispatch_api
from disputes import alliance_api as invitations_api
from disputes import api as disputes_api
from disputes import desk_api
from hazards import api as hazards_api
from notifications import api as notifications_api
from notifications import push_api
from supervision.map_views import MapAPI

from .api import ErrorSerializer, ValidationErrorSerializer
from .api_errors import JSONParser
from .clientip import ScopedRateThrottle
from .lockout import lockout_wait


class TokenView(ObtainAuthToken):
    """Username and password in, the user's API token out (created on first use).
    Revoke a token by deleting it in the admin (认证令牌); the next call makes a new one.

    Locked out by django-axes (too many wrong passwords for this username from this
    address): 429 with ``Retry-After``, like the login page, whatever the password.
    """

    throttle_classes = [ScopedRateThrottle]  # ObtainAuthToken has none by default
    parser_classes = [parsers.FormParser, parsers.MultiPartParser, JSONParser]
    throttle_scope = "auth"
    authentication_classes: list = []

    @extend_schema(
        summary=_("获取 API 令牌"),
        description=_(
            "用户名和密码换取令牌；之后的请求带上 `Authorization: Token <令牌>`。"
            "令牌可在管理后台删除以吊销。"
        ),
        auth=[],
        request=inline_serializer(
            "TokenRequest",
            {
                "username": serializers.CharField(max_length=150),
                "password": serializers.CharField(max_length=128),
            },
        ),
        responses={
            200: inline_serializer("TokenResponse", {"token": serializers.CharField()}),
            400: OpenApiResponse(ValidationErrorSerializer, description=_("用户名或密码错误。")),
            429: OpenApiResponse(
                ErrorSerializer, description=_("请求过于频繁，或登录失败次数过多、账号已暂时锁定。")
            ),
        },
        tags=["auth"],
    )
    def post(self, request, *args, **kwargs):
        try:
            return super().post(request, *args, **kwargs)
        except ValidationError:
            # django-axes flags the request that authenticate() was given, DRF's wrapper,
            # which AxesMiddleware never sees: without this a lock looked like a bad password.
            if getattr(request, "axes_locked_out", False):
                username = str(request.data.get("username", ""))
                wait = lockout_wait(request, username)
                raise Throttled(wait=wait, detail=str(get_lockout_message())) from None
            raise


# Route names carry an "api-" prefix so they never clash with the web pages' names.
router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("orders", disputes_api.OrderViewSet, basename="api-order")
router.register("areas", dispatch_api.AreaViewSet, basename="api-area")
router.register("units", dispatch_api.UnitViewSet, basename="api-unit")
router.register("categories", dispatch_api.CategoryViewSet, basename="api-category")
router.register("escalations", disputes_api.EscalationViewSet, basename="api-escalation")
router.register("attachments", disputes_api.AttachmentViewSet, basename="api-attachment")
router.register("notifications", notifications_api.NotificationViewSet, basename="api-notification")
router.register("push/subscriptions", push_api.PushSubscriptionViewSet, basename="api-push-sub")
# 隐患排查 (issue 18)
router.register("hazards", hazards_api.HazardViewSet, basename="api-hazard")
router.register("screenings", hazards_api.ScreeningViewSet, basename="api-screening")
# The care register (关爱对象, issue 18).
router.register("care/subjects", care_api.CareSubjectViewSet, basename="api-care-subject")

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves Swagger UI's start-up script at ?script instead of inline, so
    # the page works under the same strict Content-Security-Policy as every other page.
    path(
        "docs/",
        SpectacularSwaggerSplitView.as_view(
            url_name="api-schema", template_name="api/swagger_ui.html"
        ),
        name="api-docs",
    ),
    path("v1/auth/token/", TokenView.as_view(), name="api-token"),
    # The mediation alliance (issue 18): units, volunteers, joint activities, invitations.
    path("v1/alliance/units/", alliance_api.UnitsView.as_view(), name="api-alliance-units"),
    path("v1/alliance/units/<str:pk>/", alliance_api.UnitView.as_view(), name="api-alliance-unit"),
    path("v1/alliance/members/", alliance_api.MembersView.as_view(), name="api-alliance-members"),
    path(
        "v1/alliance/members/<str:pk>/",
        alliance_api.MemberView.as_view(),
        name="api-alliance-member",
    ),
    path(
        "v1/alliance/activities/",
        alliance_api.ActivitiesView.as_view(),
        name="api-alliance-activities",
    ),
    path(
        "v1/alliance/invitations/",
        invitations_api.InvitationsView.as_view(),
        name="api-invitations",
    ),
    path(
        "v1/alliance/invitations/<str:pk>/withdraw/",
        invitations_api.InvitationWithdrawView.as_view(),
        name="api-invitation-withdraw",
    ),
    path(
        "v1/alliance/invitations/<str:pk>/contact/",
        invitations_api.InvitationContactView.as_view(),
        name="api-invitation-contact",
    ),
    path(
        "v1/alliance/invitations/<str:pk>/notes/",
        invitations_api.InvitationNoteView.as_view(),
        name="api-invitation-notes",
    ),
    # The intake (POST) and the incident desk's list (GET), detail and actions.
    path("v1/incidents/", desk_api.IncidentsView.as_view(), name="api-incidents"),
    re_path(
        r"^v1/incidents/(?P<number>[^/]+)/$",
        desk_api.IncidentDetailView.as_view(),
        name="api-incident-detail",
    ),
    re_path(
        r"^v1/incidents/(?P<number>[^/]+)/push/$",
        desk_api.IncidentPushView.as_view(),
        name="api-incident-push",
    ),
    re_path(
        r"^v1/incidents/(?P<number>[^/]+)/link/$",
        desk_api.IncidentLinkView.as_view(),
        name="api-incident-link",
    ),
    # Any number, even one with a slash: a malformed one is the API's JSON 404.
    re_path(
        r"^v1/incidents/(?P<number>.+)/result/$",
        disputes_api.IncidentResultView.as_view(),
        name="api-incident-result",
    ),
    path("v1/reports/", include("supervision.api_urls")),
    path("v1/map/", MapAPI.as_view(), name="api-map"),  # docs/MAP.md
    path("v1/training/", include("training.api_urls")),  # issue 18: 培训
    path("v1/", include(router.urls)),
]
