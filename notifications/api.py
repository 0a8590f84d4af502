"""``/api/v1/notifications/``: the user's own notices, read-only but for marking them read."""

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from shishi_mediation.api import (
    SafeLookupMixin,
    StrictCursorPagination,
    YesNoFilter,
    error_responses,
    id_param,
)

from .models import Notification
from .selectors import notifications_of
from .serializers import MarkReadResultSerializer, MarkReadSerializer, NotificationSerializer
from .services import notifications_mark_read


class NotificationFilter(django_filters.FilterSet):
    unread = YesNoFilter(predicate=lambda: Q(read_at=None))

    class Meta:
        model = Notification
        fields: list[str] = []


class NotificationPagination(StrictCursorPagination):
    ordering = ("-id",)  # unique: a stable cursor


@extend_schema_view(
    list=extend_schema(
        summary=_("我的通知"),
        description=_("当前用户的通知，最新在前；unread=true 只看未读。"),
        responses={200: NotificationSerializer(many=True), **error_responses(400, 404)},
        tags=["notifications"],
    ),
    retrieve=extend_schema(
        summary=_("通知"),
        parameters=[id_param(_("通知 id"))],
        responses={200: NotificationSerializer, **error_responses(404)},
        tags=["notifications"],
    ),
)
class NotificationViewSet(SafeLookupMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = NotificationSerializer
    filterset_class = NotificationFilter
    pagination_class = NotificationPagination

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no user
            return Notification.objects.none()
        return notifications_of(self.request.user)

    @extend_schema(
        summary=_("标记已读"),
        description=_("把自己的通知标记为已读：ids 指定的几条，或省略 ids 标记全部。"),
        request=MarkReadSerializer,
        responses={200: MarkReadResultSerializer, **error_responses(400)},
        tags=["notifications"],
    )
    @action(
        detail=False,
        methods=["post"],
        url_path="mark-read",
        url_name="mark-read",
        filterset_class=None,
        pagination_class=None,
    )
    def mark_read(self, request):
        serializer = MarkReadSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        marked = notifications_mark_read(
            user=request.user, ids=serializer.validated_data.get("ids")
        )
        return Response({"marked": marked})
