"""The incident desk's API: ``GET /api/v1/incidents/`` (beside the intake's POST),
``GET /api/v1/incidents/{number}/`` and the ``push`` and ``link`` actions.

Every read starts from ``desk.incidents_visible_to``; the actions call ``desk``'s
services, whose domain errors the project's handler turns into 400 / 403 / 404 / 409.
A number that names no incident the caller may see (or is malformed) is a JSON 404.
"""

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, mixins
from rest_framework.response import Response
from rest_framework.views import APIView

from shishi_mediation import api
from shishi_mediation.api import (
    ErrorSerializer,
    IdFilter,
    StrictCursorPagination,
    StrictFilterBackend,
    YesNoFilter,
)
from shishi_mediation.errors import Forbidden

from .api import IncidentView
from .desk import (
    day_bounds,
    desk_scope,
    incident_for,
    incident_link,
    incident_push,
    incidents_visible_to,
)
from .desk import search_q as desk_search_q
from .models import Incident
from .serializers import IncidentLinkSerializer, IncidentPushSerializer, IncidentSerializer

NUMBER = OpenApiParameter(
    "number", OpenApiTypes.STR, OpenApiParameter.PATH, description=_("警情编号")
)
CONFLICT = OpenApiResponse(ErrorSerializer, description=_("此警情已推送或关联订单。"))


class IncidentFilter(django_filters.FilterSet):
    date = django_filters.DateFilter(
        method="on_day", help_text=_("接警日期（北京时间），如 2026-11-10。")
    )
    type = django_filters.CharFilter(
        field_name="type__code", max_length=32, help_text=_("警情类型代码。")
    )
    community = IdFilter(field_name="community_id", help_text=_("社区 id。"))
    dispute = YesNoFilter(predicate=lambda: Q(type__is_dispute=True), help_text=_("纠纷类警情。"))
    pushed = YesNoFilter(
        predicate=lambda: Q(order__isnull=False), help_text=_("已推送或关联订单。")
    )
    q = django_filters.CharFilter(
        method="search",
        max_length=64,
        help_text=_("按警情编号、摘要、地址查找；报警电话须完整（规范化后精确匹配）。"),
    )

    class Meta:
        model = Incident
        fields: list[str] = []

    def on_day(self, queryset, name, value):
        since, until = day_bounds(value)
        return queryset.filter(received_at__gte=since, received_at__lt=until)

    def search(self, queryset, name, value):
        return queryset.filter(desk_search_q(value))


class IncidentPagination(StrictCursorPagination):
    ordering = ("-id",)  # unique: a stable cursor


def _desk_only(user) -> None:
    if desk_scope(user) is None:
        raise Forbidden(_("只有派出所（含指挥中心）和督导账号可以查看警情。"))


class IncidentsView(mixins.ListModelMixin, generics.GenericAPIView, IncidentView):
    """``/api/v1/incidents/``: the desk's list (GET) and the intake (POST)."""

    serializer_class = IncidentSerializer
    filter_backends = [StrictFilterBackend]
    filterset_class = IncidentFilter
    pagination_class = IncidentPagination

    def get_queryset(self):
        return incidents_visible_to(self.request.user).select_related(
            "type", "community", "order__lead_unit"
        )

    @extend_schema(
        summary=_("警情列表"),
        description=_(
            "警情工作台：派出所成员看本所辖区的警情，指挥中心看全部，督导看其辖区（只读）；"
            "其他账号 403。最新登记在前。报警电话打码。"
        ),
        # 404: a cursor that is not one of ours (DRF's "无效游标"), as on every cursor list.
        responses={200: IncidentSerializer(many=True), **api.error_responses(400, 403, 404)},
        tags=["incidents"],
    )
    def get(self, request):
        _desk_only(request.user)
        return self.list(request)


class IncidentDetailView(APIView):
    @extend_schema(
        summary=_("警情详情"),
        description=_("范围外或不存在的编号为 404。其订单的状态、结果与责任单位在 order 中。"),
        parameters=[NUMBER],
        responses={200: IncidentSerializer, **api.error_responses(404)},
        tags=["incidents"],
    )
    def get(self, request, number: str):
        return Response(IncidentSerializer(incident_for(request.user, number)).data)


def _answer(request, incident: Incident) -> Response:
    return Response(IncidentSerializer(incident_for(request.user, incident.number)).data)


class IncidentPushView(APIView):
    throttle_scope = "incidents"

    @extend_schema(
        summary=_("推送警情给社区民警"),
        description=_(
            "任何类型的警情（包括群众求助等非纠纷类）生成订单（来源：警情），立即派至社区所属"
            "派出所。警情类型没有对应纠纷类别时须给 category（否则 400）。范围内的派出所"
            "（含指挥中心）非督导成员可推送；督导 403；范围外 404；已推送或关联 409。"
        ),
        parameters=[NUMBER],
        request=IncidentPushSerializer,
        responses={
            200: IncidentSerializer,
            **api.error_responses(400, 403, 404),
            409: CONFLICT,
        },
        tags=["incidents"],
    )
    def post(self, request, number: str):
        serializer = IncidentPushSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        incident = incident_push(
            actor=request.user,
            number=number,
            category_id=serializer.validated_data.get("category"),
        )
        return _answer(request, incident)


class IncidentLinkView(APIView):
    throttle_scope = "incidents"

    @extend_schema(
        summary=_("警情关联已有订单"),
        description=_(
            "按订单编号把警情关联到已有订单（可见的订单，或本单位辖区内的订单；否则 400）。"
            "权限与推送相同；已推送或关联 409。"
        ),
        parameters=[NUMBER],
        request=IncidentLinkSerializer,
        responses={
            200: IncidentSerializer,
            **api.error_responses(400, 403, 404),
            409: CONFLICT,
        },
        tags=["incidents"],
    )
    def post(self, request, number: str):
        serializer = IncidentLinkSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        incident = incident_link(
            actor=request.user, number=number, order_number=serializer.validated_data["order"]
        )
        return _answer(request, incident)
