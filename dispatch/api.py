"""``/api/v1/`` areas, units and categories: the configuration, readable by any
signed-in user, read-only."""

import django_filters
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import viewsets

from shishi_mediation.api import IdFilter, SafeLookupMixin, error_responses, id_param

from .models import Area, Category, Unit
from .serializers import AreaSerializer, CategorySerializer, UnitSerializer

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
        parameters=[id_param(_("区域 id"))],
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
        parameters=[id_param(_("单位 id"))],
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
        parameters=[id_param(_("类别 id"))],
        responses={200: CategorySerializer, **error_responses(404)},
        tags=["reference"],
    ),
)
class CategoryViewSet(SafeLookupMixin, viewsets.ReadOnlyModelViewSet):
    queryset = Category.objects.filter(is_active=True).order_by("code")
    serializer_class = CategorySerializer
    filter_backends: list = []
