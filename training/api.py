"""``/api/v1/training/``: training sessions within the caller's scope, with attendance.

Reads go through ``selectors.sessions_visible_to`` (404 outside it); writes through
``services`` (403 for one who may see but not record, 400 naming each field)."""

from __future__ import annotations

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from shishi_mediation.api import (
    IdFilter,
    SafeLookupMixin,
    StrictCursorPagination,
    error_responses,
    id_param,
    parse_id,
)

from .models import Attendance, TrainingSession
from .selectors import month_bounds, sessions_visible_to
from .serializers import (
    AttendanceInSerializer,
    ListsInSerializer,
    SessionInSerializer,
    SessionSerializer,
)
from .services import (
    AttendeeInput,
    HeadcountInput,
    SessionInput,
    session_create,
    session_delete,
    session_input_of,
    session_update,
)

TAGS = ["training"]


class SessionFilter(django_filters.FilterSet):
    month = django_filters.CharFilter(
        method="in_month", help_text=_("YYYY-MM：该月（北京时间）的培训。")
    )
    unit = IdFilter(method="of_unit", help_text=_("该单位组织或有人员参训的培训。"))
    mine = django_filters.ChoiceFilter(
        choices=[("true", "true"), ("false", "false")],
        method="of_mine",
        help_text=_("true：只看自己在名单上的培训。"),
    )

    class Meta:
        model = TrainingSession
        fields: list[str] = []

    def in_month(self, queryset, name, value):
        bounds = month_bounds(value)
        if bounds is None:
            raise ValidationError({"month": [_("月份格式应为 YYYY-MM，例如 2026-11。")]})
        return queryset.filter(date__gte=bounds[0], date__lt=bounds[1])

    def of_unit(self, queryset, name, value):
        return queryset.filter(
            Q(organizer_id=value)
            | Q(pk__in=Attendance.objects.filter(unit_id=value).values("session_id"))
            | Q(headcounts__unit_id=value)
        ).distinct()

    def of_mine(self, queryset, name, value):
        if value != "true":
            return queryset
        return queryset.filter(
            pk__in=Attendance.objects.filter(user=self.request.user).values("session_id")
        )


class SessionPagination(StrictCursorPagination):
    ordering = ("-date", "-id")


def _lists(data: dict) -> dict:
    out = {}
    if "attendance" in data:
        out["attendance"] = [
            AttendeeInput(
                user_id=a["user"],
                unit_id=a.get("unit"),
                status=a.get("status", Attendance.Status.ATTENDED),
            )
            for a in data["attendance"]
        ]
    if "headcounts" in data:
        out["headcounts"] = [
            HeadcountInput(unit_id=h["unit"], count=h["count"]) for h in data["headcounts"]
        ]
    return out


def _input(data: dict, base: SessionInput | None = None) -> SessionInput:
    names = {
        "organizer": "organizer_id",
        "area": "area_id",
    }
    scalar = {names.get(k, k): v for k, v in data.items() if k not in ("attendance", "headcounts")}
    if base is None:
        return SessionInput(**{"attendance": [], "headcounts": [], **scalar, **_lists(data)})
    for key, value in {**scalar, **_lists(data)}.items():
        setattr(base, key, value)
    if "start_time" in data or "end_time" in data:
        # New times: the hours follow them unless given too.
        base.hours = data.get("hours")
    return base


SESSION_404 = error_responses(404)


@extend_schema_view(
    list=extend_schema(
        summary=_("培训列表"),
        description=_(
            "您可见的培训，日期新的在前：调处中心的派单员、负责人看本街道，督导员看管辖范围，"
            "其他人只看自己在名单上的。可按 month、unit、mine 筛选。"
        ),
        responses={200: SessionSerializer(many=True), **error_responses(400, 404)},
        tags=TAGS,
    ),
    retrieve=extend_schema(
        summary=_("培训详情"),
        parameters=[id_param(_("培训 id"))],
        responses={200: SessionSerializer, **SESSION_404},
        tags=TAGS,
    ),
    create=extend_schema(
        summary=_("登记培训"),
        description=_(
            "街道调处中心的派单员、负责人（本街道）和督导员（管辖范围）可登记。"
            "结束时间早于开始时间、学时不在 (0, 24]、参训人员不在培训范围内或重复，"
            "均为 400，并指出字段。"
        ),
        request=SessionInSerializer,
        responses={201: SessionSerializer, **error_responses(400, 403)},
        tags=TAGS,
    ),
    update=extend_schema(
        summary=_("修改培训"),
        parameters=[id_param(_("培训 id"))],
        request=SessionInSerializer,
        responses={200: SessionSerializer, **error_responses(400, 403, 404)},
        tags=TAGS,
    ),
    partial_update=extend_schema(
        summary=_("修改培训（部分字段）"),
        parameters=[id_param(_("培训 id"))],
        request=SessionInSerializer(partial=True),
        responses={200: SessionSerializer, **error_responses(400, 403, 404)},
        tags=TAGS,
    ),
    destroy=extend_schema(
        summary=_("删除培训"),
        parameters=[id_param(_("培训 id"))],
        responses={204: OpenApiResponse(description=_("已删除。")), **error_responses(403, 404)},
        tags=TAGS,
    ),
)
class SessionViewSet(
    SafeLookupMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = SessionSerializer
    filterset_class = SessionFilter
    pagination_class = SessionPagination

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no user
            return TrainingSession.objects.none()
        return (
            sessions_visible_to(self.request.user)
            .select_related("organizer", "area")
            .prefetch_related("attendances__user", "attendances__unit", "headcounts__unit")
        )

    def _out(self, session_id: int, status_code=status.HTTP_200_OK) -> Response:
        session = self.get_queryset().get(pk=session_id)
        return Response(SessionSerializer(session).data, status=status_code)

    def create(self, request, *args, **kwargs):
        serializer = SessionInSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        session = session_create(actor=request.user, data=_input(serializer.validated_data))
        return self._out(session.pk, status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        partial = kwargs.pop("partial", False)
        session = self.get_object()  # 404 outside the scope, before the body is read
        serializer = SessionInSerializer(data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        given = dict(serializer.validated_data)
        if partial and isinstance(request.data, dict):
            # A partial body skips required fields even inside the lists' items: the
            # lists it names are checked whole.
            named = {k: request.data[k] for k in ("attendance", "headcounts") if k in request.data}
            lists = ListsInSerializer(data=named)
            lists.is_valid(raise_exception=True)
            given.update(lists.validated_data)
        data = _input(given, session_input_of(session))
        session_update(actor=request.user, session_id=session.pk, data=data)
        return self._out(session.pk)

    def destroy(self, request, *args, **kwargs):
        session_delete(actor=request.user, session_id=parse_id(kwargs["pk"]))
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        summary=_("替换参训名单"),
        description=_("整体替换一次培训的参训人员（和可选的按单位人数）。"),
        parameters=[id_param(_("培训 id"))],
        request=AttendanceInSerializer,
        responses={200: SessionSerializer, **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    @action(detail=True, methods=["put"], filterset_class=None, pagination_class=None)
    def attendance(self, request, pk=None):
        session = self.get_object()
        serializer = AttendanceInSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = session_input_of(session)
        for key, value in _lists(serializer.validated_data).items():
            setattr(data, key, value)
        session_update(actor=request.user, session_id=session.pk, data=data)
        return self._out(session.pk)
