"""``/api/v1/`` areas, units, categories, escalations and the user's notifications.

Configuration (areas, units, categories) is readable by any signed-in user; escalations
only for orders the user may see (``orders_visible_to``); notifications only the user's
own. All read-only, except marking one's notifications read.
"""

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from disputes.api import (
    IdFilter,
    StrictCursorPagination,
    StrictFilterBackend,
    error_responses,
    parse_id,
)
from disputes.selectors import orders_visible_to
from shishi_mediation.errors import NotFound

from .models import Area, Category, Escalation, EscalationLevel, Notification, Stage, Unit
from .selectors import notifications_of
from .serializers import (
    AreaSerializer,
    CategorySerializer,
    EscalationSerializer,
    MarkReadResultSerializer,
    MarkReadSerializer,
    NotificationSerializer,
    UnitSerializer,
)
from .services import notifications_mark_read


class YesNoFilter(django_filters.ChoiceFilter):
    """``true`` / ``false`` only: anything else is a 400, not silently ignored."""

    def __init__(self, *args, predicate=None, **kwargs):
        kwargs.setdefault("choices", [("true", "true"), ("false", "false")])
        kwargs.setdefault("method", self.apply)
        self.predicate = predicate
        super().__init__(*args, **kwargs)

    def apply(self, queryset, name, value):
        if value in ("", None):
            return queryset
        q = self.predicate()
        return queryset.filter(q) if value == "true" else queryset.exclude(q)


class SafeLookupMixin:
    """Any id in the URL reaches ``get_object``; a bad or unknown one is a JSON 404.
    Query parameters go through the strict filter backend."""

    lookup_value_regex = "[^/]+"
    filter_backends = [StrictFilterBackend]

    def get_object(self):
        obj = self.get_queryset().filter(pk=parse_id(self.kwargs["pk"])).first()
        if obj is None:
            raise NotFound(_("不存在或无权查看。"))
        return obj


def _id_param(what: str) -> OpenApiParameter:
    return OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH, description=what)


# --- configuration ----------------------------------------------------------------------------


class AreaFilter(django_filters.FilterSet):
    level = django_filters.ChoiceFilter(choices=Area.Level.choices)
    parent = IdFilter(field_name="parent_id")

    class Meta:
        model = Area
        fields: list[str] = []


@extend_schema_view(
    list=extend_schema(
        summary=_("区域列表"),
        description=_("市 → 街道/镇 → 社区/村，按路径排序。"),
        responses={200: AreaSerializer(many=True), **error_responses(400)},
        tags=["reference"],
    ),
    retrieve=extend_schema(
        summary=_("区域"),
        parameters=[_id_param(_("区域 id"))],
        responses={200: AreaSerializer, **error_responses(404)},
        tags=["reference"],
    ),
)
class AreaViewSet(SafeLookupMixin, viewsets.ReadOnlyModelViewSet):
    queryset = Area.objects.order_by("path")
    serializer_class = AreaSerializer
    filterset_class = AreaFilter


class UnitFilter(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(choices=Unit.Kind.choices)
    area = IdFilter(field_name="area_id")

    class Meta:
        model = Unit
        fields: list[str] = []


@extend_schema_view(
    list=extend_schema(
        summary=_("单位列表"),
        description=_("启用的单位，含责任区域和职责类别。"),
        responses={200: UnitSerializer(many=True), **error_responses(400)},
        tags=["reference"],
    ),
    retrieve=extend_schema(
        summary=_("单位"),
        parameters=[_id_param(_("单位 id"))],
        responses={200: UnitSerializer, **error_responses(404)},
        tags=["reference"],
    ),
)
class UnitViewSet(SafeLookupMixin, viewsets.ReadOnlyModelViewSet):
    queryset = (
        Unit.objects.filter(is_active=True)
        .order_by("area__path", "name")
        .prefetch_related("covered_areas", "categories")
    )
    serializer_class = UnitSerializer
    filterset_class = UnitFilter


@extend_schema_view(
    list=extend_schema(
        summary=_("纠纷类别列表"),
        responses={200: CategorySerializer(many=True), **error_responses()},
        tags=["reference"],
    ),
    retrieve=extend_schema(
        summary=_("纠纷类别"),
        parameters=[_id_param(_("类别 id"))],
        responses={200: CategorySerializer, **error_responses(404)},
        tags=["reference"],
    ),
)
class CategoryViewSet(SafeLookupMixin, viewsets.ReadOnlyModelViewSet):
    queryset = Category.objects.filter(is_active=True).order_by("code")
    serializer_class = CategorySerializer
    filter_backends: list = []


# --- escalations ------------------------------------------------------------------------------


class EscalationFilter(django_filters.FilterSet):
    open = YesNoFilter(predicate=lambda: Q(resolved_at=None))
    stage = django_filters.ChoiceFilter(choices=Stage.choices)
    level = django_filters.TypedChoiceFilter(choices=EscalationLevel.choices, coerce=int)

    class Meta:
        model = Escalation
        fields: list[str] = []


class EscalationPagination(StrictCursorPagination):
    ordering = ("-id",)  # unique: a stable cursor


@extend_schema_view(
    list=extend_schema(
        summary=_("超时督办列表"),
        description=_("可见订单的预警与督办，最新在前；open=true 只看未解除的。"),
        responses={200: EscalationSerializer(many=True), **error_responses(400, 404)},
        tags=["escalations"],
    ),
    retrieve=extend_schema(
        summary=_("超时督办"),
        parameters=[_id_param(_("督办 id"))],
        responses={200: EscalationSerializer, **error_responses(404)},
        tags=["escalations"],
    ),
)
class EscalationViewSet(SafeLookupMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = EscalationSerializer
    filterset_class = EscalationFilter
    pagination_class = EscalationPagination

    def get_queryset(self):
        visible = orders_visible_to(self.request.user).values("pk")
        return Escalation.objects.filter(order_id__in=visible).select_related("order")


# --- notifications ----------------------------------------------------------------------------


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
        parameters=[_id_param(_("通知 id"))],
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
