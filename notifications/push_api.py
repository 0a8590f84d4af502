"""``/api/v1/push/subscriptions/``: the user's own Web Push devices. Subscribing posts
the browser's ``PushSubscription`` JSON; the same endpoint again updates it."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from shishi_mediation.api import SafeLookupMixin, error_responses, id_param

from .models import PushSubscription
from .serializers import PushSubscribeSerializer, PushSubscriptionSerializer
from .webpush import push_subscribe


def flat_errors(errors, prefix: str = "") -> dict:
    """DRF's nested errors as ``keys.p256dh`` → messages, the way the API names fields."""
    if not isinstance(errors, dict):
        return {prefix or "non_field_errors": errors}
    flat = {}
    for name, value in errors.items():
        key = (
            str(name)
            if not prefix
            else prefix
            if name == "non_field_errors"
            else f"{prefix}.{name}"
        )
        flat.update(flat_errors(value, key) if isinstance(value, dict) else {key: value})
    return flat


@extend_schema_view(
    list=extend_schema(
        summary=_("我的推送设备"),
        responses={200: PushSubscriptionSerializer(many=True), **error_responses()},
        tags=["push"],
    ),
    destroy=extend_schema(
        summary=_("删除推送设备"),
        description=_("只能删除自己的设备；别人的 id 与不存在的一样是 404。"),
        parameters=[id_param(_("设备 id"))],
        responses={204: None, **error_responses(404)},
        tags=["push"],
    ),
)
class PushSubscriptionViewSet(
    SafeLookupMixin,
    mixins.ListModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = PushSubscriptionSerializer
    pagination_class = None  # at most WEBPUSH_MAX_DEVICES rows

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no user
            return PushSubscription.objects.none()
        return PushSubscription.objects.filter(user=self.request.user).order_by("-created_at")

    @extend_schema(
        summary=_("订阅推送"),
        description=_(
            "提交浏览器 PushSubscription 的 JSON。同一推送地址再次提交只更新密钥（200），"
            "不会重复；该地址原属他人时转给当前用户（201，原记录删除）。"
        ),
        request=PushSubscribeSerializer,
        responses={
            200: PushSubscriptionSerializer,
            201: PushSubscriptionSerializer,
            **error_responses(400),
        },
        tags=["push"],
    )
    def create(self, request):
        serializer = PushSubscribeSerializer(data=request.data)
        if not serializer.is_valid():
            raise ValidationError(flat_errors(serializer.errors))
        data = serializer.validated_data
        sub, created = push_subscribe(
            user=request.user,
            endpoint=data["endpoint"],
            p256dh=data["keys"]["p256dh"],
            auth=data["keys"]["auth"],
            user_agent=data.get("user_agent") or request.headers.get("User-Agent", ""),
        )
        return Response(
            PushSubscriptionSerializer(sub).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )
