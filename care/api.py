"""``/api/v1/care/subjects/``: the care register for machine clients. The list is masked
per row as the pages are; a subject's detail, visits and aids are a 404 outside the
user's communities in full (``selectors``)."""

import django_filters
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from shishi_mediation.api import (
    IdFilter,
    SafeLookupMixin,
    StrictCursorPagination,
    YesNoFilter,
    error_responses,
    id_param,
    parse_id,
)
from shishi_mediation.errors import NotFound

from . import services
from .models import CareKind, CareSubject
from .selectors import (
    care_scope,
    linked_orders,
    open_deadlines,
    subjects_in_full,
    subjects_listed,
    visit_overdue_q,
)
from .serializers import (
    AidCreateSerializer,
    AidSerializer,
    SubjectCreateSerializer,
    SubjectDetailSerializer,
    SubjectRowSerializer,
    VisitCreateSerializer,
    VisitSerializer,
)

TAGS = ["care"]


class SubjectFilter(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(choices=CareKind.choices)
    community = IdFilter(field_name="community_id")
    overdue = YesNoFilter(predicate=lambda: visit_overdue_q(timezone.now()))
    active = YesNoFilter(predicate=lambda: Q(is_active=True))

    class Meta:
        model = CareSubject
        fields: list[str] = []


class SubjectPagination(StrictCursorPagination):
    ordering = ("-id",)


@extend_schema_view(
    list=extend_schema(
        summary=_("关爱对象列表"),
        description=_(
            "本社区民警、居委会和调委会成员看到全部信息；街道调处中心和督导员只看到脱敏名单"
            "（姓名只留姓，无电话、身份证号、住址、需求）。"
        ),
        responses={200: SubjectRowSerializer(many=True), **error_responses(400, 404)},
        tags=TAGS,
    ),
    retrieve=extend_schema(
        summary=_("关爱对象详情"),
        parameters=[id_param(_("关爱对象 id"))],
        responses={200: SubjectDetailSerializer, **error_responses(404)},
        tags=TAGS,
    ),
    create=extend_schema(
        summary=_("登记关爱对象"),
        request=SubjectCreateSerializer,
        responses={201: SubjectDetailSerializer, **error_responses(400)},
        tags=TAGS,
    ),
)
class CareSubjectViewSet(SafeLookupMixin, viewsets.GenericViewSet):
    filterset_class = SubjectFilter
    pagination_class = SubjectPagination
    serializer_class = SubjectRowSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return CareSubject.objects.none()
        return subjects_listed(self.request.user).select_related("community")

    def _detail(self, subject) -> dict:
        context = {
            "clocks": open_deadlines([subject.pk]),
            "orders": list(linked_orders(subject, self.request.user)[:50]),
        }
        return SubjectDetailSerializer(subject, context=context).data

    def _full(self, pk) -> CareSubject:
        subject = (
            subjects_in_full(self.request.user)
            .select_related("community")
            .filter(pk=parse_id(pk))
            .first()
        )
        if subject is None:
            raise NotFound(_("关爱对象不存在或无权查看。"))
        return subject

    def list(self, request):
        rows = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        context = {"scope": care_scope(request.user), "clocks": open_deadlines(s.pk for s in rows)}
        return self.get_paginated_response(
            SubjectRowSerializer(rows, many=True, context=context).data
        )

    def retrieve(self, request, pk=None):
        return Response(self._detail(self._full(pk)))

    def create(self, request):
        serializer = SubjectCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        d = dict(serializer.validated_data)
        d["community_id"] = d.pop("community")
        subject = services.care_subject_register(
            actor=request.user, data=services.SubjectInput(**d)
        )
        return Response(self._detail(subject), status=status.HTTP_201_CREATED)

    @extend_schema(
        summary=_("关爱走访记录"),
        description=_(
            "GET 列出走访；POST 记录一次走访（不晚于现在），按时与否计入走访期限，并开始下一周期。"
        ),
        parameters=[id_param(_("关爱对象 id"))],
        request=VisitCreateSerializer,
        responses={
            200: VisitSerializer(many=True),
            201: VisitSerializer,
            **error_responses(400, 404),
        },
        tags=TAGS,
    )
    @action(detail=True, methods=["get", "post"], filterset_class=None, pagination_class=None)
    def visits(self, request, pk=None):
        subject = self._full(pk)
        if request.method == "GET":
            return Response(
                VisitSerializer(subject.visits.select_related("visited_by"), many=True).data
            )
        serializer = VisitCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        visit = services.care_visit_record(
            actor=request.user, subject_id=subject.pk, **serializer.validated_data
        )
        return Response(VisitSerializer(visit).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary=_("帮扶记录"),
        description=_("GET 列出帮扶记录；POST 添加一条（募捐须填金额，金额不小于 0）。"),
        parameters=[id_param(_("关爱对象 id"))],
        request=AidCreateSerializer,
        responses={200: AidSerializer(many=True), 201: AidSerializer, **error_responses(400, 404)},
        tags=TAGS,
    )
    @action(detail=True, methods=["get", "post"], filterset_class=None, pagination_class=None)
    def aids(self, request, pk=None):
        subject = self._full(pk)
        if request.method == "GET":
            return Response(
                AidSerializer(subject.aids.select_related("recorded_by"), many=True).data
            )
        serializer = AidCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        aid = services.care_aid_record(
            actor=request.user, subject_id=subject.pk, **serializer.validated_data
        )
        return Response(AidSerializer(aid).data, status=status.HTTP_201_CREATED)
