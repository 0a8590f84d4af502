"""``/api/v1/alliance/``: the mediation alliance's units, volunteers and joint activities
(社会力量大调解联盟), for the street centers and supervisors; phones masked. The
invitations to assist an order are ``disputes.alliance_api``."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from shishi_mediation.api import Choice, IdField, Text, error_responses, id_param, parse_id
from shishi_mediation.errors import Forbidden, NotFound

from . import services
from .models import ActivityKind, Dialect, JointActivity, Skill
from .selectors import (
    activities,
    alliance_units,
    can_record_activity,
    can_view_alliance,
    member_row,
    member_rows,
    volunteers,
)


class AllianceMemberSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text=_("志愿者身份（成员）id"))
    user_id = serializers.IntegerField()
    name = serializers.CharField()
    unit_id = serializers.IntegerField()
    unit = serializers.CharField()
    phone = serializers.CharField(help_text=_("掩码，例如 138****5678。"))
    skills = serializers.ListField(child=Choice(choices=Skill.choices))
    dialects = serializers.ListField(child=Choice(choices=Dialect.choices))
    weekdays = serializers.ListField(
        child=serializers.IntegerField(), help_text=_("1=周一 … 7=周日")
    )
    availability = serializers.CharField()
    is_active = serializers.BooleanField()


class AllianceUnitSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    name = serializers.CharField()
    alliance_kind = serializers.CharField()
    volunteers = serializers.IntegerField(help_text=_("在册志愿者人数"))


class AllianceUnitDetailSerializer(AllianceUnitSerializer):
    members = AllianceMemberSerializer(many=True)


class JointActivitySerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    date = serializers.DateField()
    kind = Choice(choices=ActivityKind.choices)
    title = Text(max_length=100)
    organiser = IdField(source="organiser_id", help_text=_("组织单位 id"))
    units = serializers.ListField(
        child=IdField(), source="unit_ids", default=list, help_text=_("参与联盟单位 id")
    )
    members = serializers.ListField(
        child=IdField(), source="member_ids", default=list, help_text=_("参与志愿者的用户 id")
    )
    people_served = serializers.IntegerField(min_value=0, max_value=services.PEOPLE_SERVED_MAX)
    place = Text(max_length=200, required=False, allow_blank=True, default="")
    note = Text(required=False, allow_blank=True, default="")


def _activity_data(a: JointActivity) -> dict:
    return {
        "id": a.pk,
        "date": a.date,
        "kind": a.kind,
        "title": a.title,
        "organiser_id": a.organiser_id,
        "unit_ids": [u.pk for u in a.units.all()],
        "member_ids": [u.pk for u in a.members.all()],
        "people_served": a.people_served,
        "place": a.place,
        "note": a.note,
    }


def _check(user) -> None:
    if not can_view_alliance(user):
        raise Forbidden(_("只有调处中心和督导员可以查看调解联盟。"))


class UnitsView(APIView):
    @extend_schema(
        summary=_("联盟单位列表"),
        description=_("启用的社会力量单位（行业协会、志愿者队伍、律师、五老等）及志愿者人数。"),
        responses={200: AllianceUnitSerializer(many=True), **error_responses(403)},
        tags=["alliance"],
    )
    def get(self, request):
        _check(request.user)
        return Response(AllianceUnitSerializer(alliance_units(), many=True).data)


class UnitView(APIView):
    @extend_schema(
        summary=_("联盟单位"),
        description=_("单位及其志愿者（电话为掩码）。"),
        parameters=[id_param(_("单位 id"))],
        responses={200: AllianceUnitDetailSerializer, **error_responses(403, 404)},
        tags=["alliance"],
    )
    def get(self, request, pk):
        _check(request.user)
        unit = alliance_units().filter(pk=parse_id(pk)).first()
        if unit is None:
            raise NotFound()
        unit.members = member_rows(unit_id=unit.pk)
        return Response(AllianceUnitDetailSerializer(unit).data)


class MembersView(APIView):
    @extend_schema(
        summary=_("联盟志愿者"),
        description=_("在册志愿者，可按方言（如 minnan 闽南话）、专长或单位筛选；电话为掩码。"),
        parameters=[
            OpenApiParameter("dialect", str, enum=Dialect.values),
            OpenApiParameter("skill", str, enum=Skill.values),
            OpenApiParameter("unit", int),
        ],
        responses={200: AllianceMemberSerializer(many=True), **error_responses(400, 403)},
        tags=["alliance"],
    )
    def get(self, request):
        _check(request.user)
        dialect = request.query_params.get("dialect")
        skill = request.query_params.get("skill")
        unit = request.query_params.get("unit")
        errors = {}
        # A parameter given is checked, even empty (``?unit=`` is not "any unit").
        if dialect is not None and dialect not in Dialect.values:
            errors["dialect"] = [_("不是有效的选项。")]
        if skill is not None and skill not in Skill.values:
            errors["skill"] = [_("不是有效的选项。")]
        unit_id = None
        if unit is not None:
            try:
                unit_id = parse_id(unit)
            except NotFound:
                errors["unit"] = [_("不是有效的 id。")]
        if errors:
            raise serializers.ValidationError(errors)
        rows = member_rows(unit_id=unit_id, dialect=dialect or "", skill=skill or "")
        return Response(AllianceMemberSerializer(rows, many=True).data)


class MemberView(APIView):
    @extend_schema(
        summary=_("志愿者资料"),
        parameters=[id_param(_("志愿者身份（成员）id"))],
        responses={200: AllianceMemberSerializer, **error_responses(403, 404)},
        tags=["alliance"],
    )
    def get(self, request, pk):
        membership = volunteers().filter(pk=parse_id(pk)).first()
        if membership is None:
            raise NotFound()
        if membership.user_id != request.user.pk:
            _check(request.user)
        return Response(AllianceMemberSerializer(member_row(membership)).data)


class ActivitiesView(APIView):
    @extend_schema(
        summary=_("联合活动列表"),
        responses={200: JointActivitySerializer(many=True), **error_responses(403)},
        tags=["alliance"],
    )
    def get(self, request):
        _check(request.user)
        rows = [_activity_data(a) for a in activities()[:200]]
        return Response(JointActivitySerializer(rows, many=True).data)

    @extend_schema(
        summary=_("登记联合活动"),
        description=_(
            "调处中心（派单员、负责人）登记与志愿者协会的联合活动：走访慰问、法治宣传、"
            "义诊、调解培训等；参与志愿者须属于参与单位。"
        ),
        request=JointActivitySerializer,
        responses={201: JointActivitySerializer, **error_responses(400, 403)},
        tags=["alliance"],
    )
    def post(self, request):
        if not can_record_activity(request.user):  # 403 before the body is read
            raise Forbidden(_("只有调处中心可以登记联合活动。"))
        serializer = JointActivitySerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        d = serializer.validated_data
        activity = services.activity_record(
            actor=request.user,
            day=d["date"],
            kind=d["kind"],
            title=d["title"],
            organiser_id=d["organiser_id"],
            unit_ids=d["unit_ids"],
            member_ids=d["member_ids"],
            people_served=d["people_served"],
            place=d["place"],
            note=d["note"],
        )
        data = JointActivitySerializer(_activity_data(activity)).data
        return Response(data, status=status.HTTP_201_CREATED)
