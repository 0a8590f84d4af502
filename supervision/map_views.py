"""The map page (``/map/``) and its data (``/api/v1/map/``); docs/MAP.md.

Supervisors (their jurisdiction) and street centers' dispatchers (their street); anyone
else 403, a street outside the scope 404, a bad filter 400 naming it. The page lists the
counts per community in a table (no JS needed); its map draws the same endpoint's points.
"""

from __future__ import annotations

import re
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_safe
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.authentication import SessionAuthentication, TokenAuthentication
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from dispatch.models import Category
from disputes.colours import Colour
from disputes.locations import map_settings
from disputes.models import State
from shishi_mediation.api import ErrorSerializer, ValidationErrorSerializer
from shishi_mediation.errors import Forbidden, NotFound

from .maps import STATE_FILTERS, STATE_OPEN, MapFilters, can_view_map, map_data, map_scope
from .reports import parse_month

MAX_ID = 2**63 - 1
SLUG_RE = re.compile(r"^[-a-zA-Z0-9_]+\Z")


class MapQuery(serializers.Serializer):
    """The map's filters, the page's and the endpoint's alike; every one optional."""

    street = serializers.IntegerField(
        required=False, min_value=1, max_value=MAX_ID, help_text="a street of the scope"
    )
    month = serializers.CharField(
        required=False, allow_blank=True, help_text="YYYY-MM: reported in this month"
    )
    category = serializers.CharField(
        required=False, allow_blank=True, max_length=32, help_text="a category code"
    )
    state = serializers.ChoiceField(
        choices=["", *STATE_FILTERS], required=False, help_text="a state, or open"
    )
    colour = serializers.ChoiceField(choices=["", *Colour.values], required=False)

    def validate_month(self, value: str):
        if not value:
            return None
        try:
            return parse_month(value)
        except ValueError as e:
            raise serializers.ValidationError(str(e)) from None

    def validate_category(self, value: str):
        if not value:
            return None
        if not SLUG_RE.match(value):  # a code is a slug: nothing else reaches the database
            raise serializers.ValidationError(_("类别不存在。"))
        category = Category.objects.filter(code=value).first()
        if category is None:
            raise serializers.ValidationError(_("类别不存在。"))
        return category

    def filters(self) -> MapFilters:
        d = self.validated_data
        return MapFilters(
            month=d.get("month"),
            category=d.get("category"),
            state=d.get("state") or "",
            colour=d.get("colour") or "",
        )


def _first_error(errors: dict) -> tuple[str, str]:
    field, messages = next(iter(errors.items()))
    return field, str(messages[0] if isinstance(messages, list) else messages)


@require_safe
@login_required
def map_page(request: HttpRequest) -> HttpResponse:
    """地图: the scope's orders on a map and the counts per community in a table."""
    if not can_view_map(request.user):
        raise PermissionDenied(_("只有督导员和街道调处中心可以查看地图。"))
    query = MapQuery(data=request.GET)
    if not query.is_valid():
        field, message = _first_error(query.errors)
        return render(
            request, "maps/bad_request.html", {"field": field, "message": message}, status=400
        )
    try:
        scope = map_scope(request.user, street_id=query.validated_data.get("street"))
    except Forbidden as e:  # pragma: no cover - can_view_map said yes
        raise PermissionDenied(str(e.message)) from None
    except NotFound as e:
        raise Http404(str(e.message)) from None
    filters = query.filters()
    data = map_data(scope, filters)
    params = {k: v for k, v in request.GET.items() if k in MapQuery().fields and v}
    return render(
        request,
        "maps/map.html",
        {
            "scope": scope,
            "data": data,
            "filters": filters,
            "params": params,
            "api_url": "/api/v1/map/" + (f"?{urlencode(params)}" if params else ""),
            "map": map_settings(),
            "categories": Category.objects.filter(is_active=True).order_by("code"),
            "states": [(STATE_OPEN, _("未结（全部）")), *State.choices],
            "colours": Colour.choices,
            "totals": {
                k: sum(c[k] for c in data["communities"])
                for k in ("total", "open", "red", "located")
            },
        },
    )


class CanViewMap(BasePermission):
    message = gettext_lazy("只有督导员和街道调处中心可以查看地图。")

    def has_permission(self, request, view) -> bool:
        return can_view_map(request.user)


class MapPointSerializer(serializers.Serializer):
    type = serializers.CharField(default="Point")
    coordinates = serializers.ListField(
        child=serializers.FloatField(), help_text="[lng, lat], WGS-84"
    )


class MapOrderPropertiesSerializer(serializers.Serializer):
    number = serializers.CharField()
    title = serializers.CharField()
    state = serializers.ChoiceField(choices=State.choices)
    state_label = serializers.CharField()
    open = serializers.BooleanField()
    colour = serializers.ChoiceField(choices=Colour.choices)
    colour_label = serializers.CharField()
    category = serializers.CharField()
    category_name = serializers.CharField()
    community = serializers.IntegerField()
    reported_at = serializers.DateTimeField()


class MapFeatureSerializer(serializers.Serializer):
    type = serializers.CharField(default="Feature")
    id = serializers.IntegerField(help_text="the order's id")
    geometry = MapPointSerializer()
    properties = MapOrderPropertiesSerializer()


class MapCommunitySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    path = serializers.CharField(help_text="the area path; the outlines' area_path")
    street = serializers.CharField()
    total = serializers.IntegerField(help_text="orders matching the filters")
    open = serializers.IntegerField(help_text="of which open")
    red = serializers.IntegerField(help_text="of which red")
    located = serializers.IntegerField(help_text="of which with a point")


class MapDataSerializer(serializers.Serializer):
    type = serializers.CharField(default="FeatureCollection")
    features = MapFeatureSerializer(many=True)
    scope = serializers.CharField()
    total = serializers.IntegerField(help_text="orders matching the filters")
    located = serializers.IntegerField(help_text="of which with a point")
    limit = serializers.IntegerField(help_text="at most this many features (newest first)")
    truncated = serializers.BooleanField(help_text="whether points were left out")
    communities = MapCommunitySerializer(many=True)


class MapAPI(APIView):
    """The map's data: a GeoJSON FeatureCollection with the counts per community."""

    authentication_classes = [TokenAuthentication, SessionAuthentication]  # 401, not 403
    permission_classes = [CanViewMap]

    @extend_schema(
        operation_id="map_orders",
        tags=["map"],
        summary="Orders on the map (地图)",
        description=(
            "The orders of the caller's scope (a supervisor's jurisdiction, a street "
            "center dispatcher's street) that have a point, as a GeoJSON FeatureCollection "
            "(WGS-84, [lng, lat]; newest first, at most `limit`), with the count of orders "
            "per community (all, open, red, with a point) over every order matching the "
            "filters. Filters: street, month (reported in), category (code), state (or "
            "`open`), colour. See docs/MAP.md."
        ),
        parameters=[
            OpenApiParameter("street", int, description="a street of the scope"),
            OpenApiParameter("month", str, description="YYYY-MM"),
            OpenApiParameter("category", str, description="category code"),
            OpenApiParameter("state", str, enum=list(STATE_FILTERS)),
            OpenApiParameter("colour", str, enum=list(Colour.values)),
        ],
        responses={
            (200, "application/json"): MapDataSerializer,
            (400, "application/json"): OpenApiResponse(
                ValidationErrorSerializer, description="a bad filter (named)"
            ),
            (401, "application/json"): OpenApiResponse(
                ErrorSerializer, description="not authenticated"
            ),
            (403, "application/json"): OpenApiResponse(
                ErrorSerializer, description="neither a supervisor nor a street dispatcher"
            ),
            (404, "application/json"): OpenApiResponse(
                ErrorSerializer, description="street outside the scope"
            ),
        },
    )
    def get(self, request):
        # As strict as the other endpoints' filters: a filter given twice or empty is a
        # 400 naming it (the page's form, which sends empty ones, is lenient).
        errors = {}
        for name in MapQuery().fields:
            values = request.query_params.getlist(name)
            if len(values) > 1:
                errors[name] = [_("只能给一个值。")]
            elif values == [""]:
                errors[name] = [_("不能为空。")]
        if errors:
            raise serializers.ValidationError(errors)
        query = MapQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        scope = map_scope(request.user, street_id=query.validated_data.get("street"))
        return Response(map_data(scope, query.filters()))
