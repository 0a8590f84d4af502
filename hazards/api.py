"""``/api/v1/hazards/`` and ``/api/v1/screenings/``. Every queryset starts from
``hazards_visible_to`` / ``screenings_visible_to`` (another's id is a 404); every write
calls a service, whose domain errors the project's handler turns into 400/403/404/409."""

import django_filters
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, parsers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from disputes.downloads import attachment_response
from shishi_mediation.api import (
    SafeLookupMixin,
    StrictCursorPagination,
    YesNoFilter,
    error_responses,
    parse_id,
)
from shishi_mediation.errors import NotFound

from . import services
from .models import HazardCategory, HazardPhoto, HazardState
from .selectors import hazards_visible_to, open_overdue_q, screenings_visible_to
from .serializers import (
    HazardCloseSerializer,
    HazardConflictSerializer,
    HazardCreateSerializer,
    HazardDetailSerializer,
    HazardNoteSerializer,
    HazardReasonSerializer,
    HazardSerializer,
    ScreeningCreateSerializer,
    ScreeningSerializer,
)

CONFLICT = (HazardConflictSerializer, _("当前状态不允许此操作；state 为隐患当前状态。"))


class NewestFirst(StrictCursorPagination):
    ordering = ("-id",)


class HazardFilter(django_filters.FilterSet):
    state = django_filters.MultipleChoiceFilter(choices=HazardState.choices)
    category = django_filters.ModelChoiceFilter(queryset=HazardCategory.objects.all())
    overdue = YesNoFilter(label=_("超期未整改"), predicate=lambda: open_overdue_q(timezone.now()))


@extend_schema_view(
    list=extend_schema(
        summary=_("隐患列表"),
        responses={200: HazardSerializer(many=True), **error_responses(400, 404)},
        tags=["hazards"],
    ),
    retrieve=extend_schema(
        summary=_("隐患详情"),
        responses={200: HazardDetailSerializer, **error_responses(404)},
        tags=["hazards"],
    ),
)
class HazardViewSet(
    SafeLookupMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Hazards the user sees: its reports, its department's, its street center's, its
    jurisdiction's."""

    serializer_class = HazardSerializer
    filterset_class = HazardFilter
    pagination_class = NewestFirst

    def get_queryset(self):
        rows = hazards_visible_to(self.request.user).select_related(
            "category", "community", "department", "reporter"
        )
        if self.action == "retrieve":
            rows = rows.prefetch_related("photos", "events__actor")
        return rows

    def get_serializer_class(self):
        return HazardDetailSerializer if self.action == "retrieve" else HazardSerializer

    def _detail(self, hazard, code=status.HTTP_200_OK):
        hazard = self.get_queryset().prefetch_related("photos", "events__actor").get(pk=hazard.pk)
        context = self.get_serializer_context()
        return Response(HazardDetailSerializer(hazard, context=context).data, status=code)

    @extend_schema(
        summary=_("上报隐患"),
        description=_(
            "报单权限的用户（网格员、社区民警、街道干部）上报；按隐患类别交由责任部门，"
            "整改期限为类别的天数。照片用 multipart/form-data 的 photos 字段（可多张）。"
        ),
        request={
            "multipart/form-data": HazardCreateSerializer,
            "application/json": HazardCreateSerializer,
        },
        responses={201: HazardDetailSerializer, **error_responses(400, 403)},
        tags=["hazards"],
    )
    def create(self, request):
        serializer = HazardCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        d = serializer.validated_data
        hazard = services.hazard_report(
            actor=request.user,
            data=services.HazardInput(
                category_id=d["category"],
                community_id=d["community"],
                address=d["address"],
                description=d["description"],
                latitude=d.get("latitude"),
                longitude=d.get("longitude"),
                location_source=d.get("location_source", ""),
                screening_id=d.get("screening"),
            ),
            photos=request.FILES.getlist("photos"),
        )
        return self._detail(hazard, status.HTTP_201_CREATED)

    parser_classes = [parsers.JSONParser, parsers.MultiPartParser]

    @extend_schema(
        summary=_("受理整改"),
        request=HazardNoteSerializer,
        responses={
            200: HazardDetailSerializer,
            **error_responses(400, 403, 404, 409, conflict=CONFLICT),
        },
        tags=["hazards"],
    )
    @action(detail=True, methods=["post"])
    def acknowledge(self, request, pk=None):
        serializer = HazardNoteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        hazard = services.hazard_acknowledge(
            hazard_id=parse_id(pk), actor=request.user, note=serializer.validated_data["note"]
        )
        return self._detail(hazard)

    @extend_schema(
        summary=_("整改完成（办结）"),
        description=_(
            "责任部门或街道调处中心办结：multipart/form-data，photos 至少一张整改后照片，"
            "note 整改说明。期限内（含到期时刻）办结为按时整改。"
        ),
        request={"multipart/form-data": HazardCloseSerializer},
        responses={
            200: HazardDetailSerializer,
            **error_responses(400, 403, 404, 409, conflict=CONFLICT),
        },
        tags=["hazards"],
    )
    @action(detail=True, methods=["post"], parser_classes=[parsers.MultiPartParser])
    def close(self, request, pk=None):
        hazard = services.hazard_close(
            hazard_id=parse_id(pk),
            actor=request.user,
            note=str(request.data.get("note", "")),
            photos=request.FILES.getlist("photos"),
        )
        return self._detail(hazard)

    @extend_schema(
        summary=_("认定不属隐患"),
        request=HazardReasonSerializer,
        responses={
            200: HazardDetailSerializer,
            **error_responses(400, 403, 404, 409, conflict=CONFLICT),
        },
        tags=["hazards"],
    )
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        serializer = HazardReasonSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        hazard = services.hazard_reject(
            hazard_id=parse_id(pk), actor=request.user, reason=serializer.validated_data["reason"]
        )
        return self._detail(hazard)

    @extend_schema(
        summary=_("隐患照片"),
        parameters=[
            OpenApiParameter("photo_id", OpenApiTypes.INT, OpenApiParameter.PATH),
            OpenApiParameter("thumbnail", OpenApiTypes.BOOL, description=_("缩略图（JPEG）")),
        ],
        responses={(200, "image/*"): OpenApiTypes.BINARY, **error_responses(404)},
        tags=["hazards"],
    )
    @action(
        detail=True,
        methods=["get"],
        url_path=r"photos/(?P<photo_id>[^/]+)",
        url_name="photo",
        filterset_class=None,
        pagination_class=None,
    )
    def photo(self, request, pk=None, photo_id=None):
        photo = HazardPhoto.objects.filter(
            pk=parse_id(photo_id),
            hazard_id=parse_id(pk),
            hazard__in=hazards_visible_to(request.user),
        ).first()
        if photo is None:
            raise NotFound()
        thumbnail = request.query_params.get("thumbnail") == "true"
        return attachment_response(photo, thumbnail=thumbnail, inline=True)

    def perform_content_negotiation(self, request, force=False):
        # A photo answers whatever the client accepts; errors are JSON.
        return super().perform_content_negotiation(request, force=self.action == "photo")


class ScreeningFilter(django_filters.FilterSet):
    outcome = django_filters.ChoiceFilter(choices=[("nothing", "nothing"), ("found", "found")])


@extend_schema_view(
    list=extend_schema(
        summary=_("排查台账"),
        responses={200: ScreeningSerializer(many=True), **error_responses(400, 404)},
        tags=["hazards"],
    ),
    retrieve=extend_schema(
        summary=_("排查记录"),
        responses={200: ScreeningSerializer, **error_responses(404)},
        tags=["hazards"],
    ),
)
class ScreeningViewSet(
    SafeLookupMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Screening visits the user sees: its own, its unit's, its street center's, its
    jurisdiction's."""

    serializer_class = ScreeningSerializer
    filterset_class = ScreeningFilter
    pagination_class = NewestFirst

    def get_queryset(self):
        return (
            screenings_visible_to(self.request.user)
            .select_related("officer", "unit", "community")
            .prefetch_related("checked", "hazards")
        )

    @extend_schema(
        summary=_("登记排查"),
        description=_("登记一次排查（未发现隐患也登记）；排查时间不能晚于现在。"),
        request=ScreeningCreateSerializer,
        responses={201: ScreeningSerializer, **error_responses(400, 403)},
        tags=["hazards"],
    )
    def create(self, request):
        serializer = ScreeningCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        d = serializer.validated_data
        visit = services.screening_record(
            actor=request.user,
            data=services.ScreeningInput(
                community_id=d["community"],
                place=d["place"],
                visited_at=d["visited_at"],
                checked_ids=d["checked"],
                note=d["note"],
            ),
        )
        visit = self.get_queryset().get(pk=visit.pk)
        return Response(ScreeningSerializer(visit).data, status=status.HTTP_201_CREATED)
