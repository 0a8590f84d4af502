"""The training API's shapes: a session with its attendance out, and the input a recorder
sends (checked strictly here, then by ``services``, which names each bad field)."""

import re

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from shishi_mediation.api import Choice, IdField, Text
from shishi_mediation.text import display_name

from .models import Attendance, Kind, TrainingSession, UnitHeadcount

TIME_PATTERN = r"^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9])?$"


@extend_schema_field({"type": "string", "pattern": TIME_PATTERN, "example": "14:30"})
class LocalTime(serializers.TimeField):
    """A local (Asia/Shanghai) time of day, ``HH:MM`` (seconds allowed in, never out): not
    JSON Schema's "time", which needs an offset a session's times do not have."""

    def __init__(self, **kwargs):
        kwargs.setdefault("format", "%H:%M")
        super().__init__(**kwargs)

    def to_internal_value(self, value):
        if not isinstance(value, str) or not re.match(TIME_PATTERN, value):
            self.fail("invalid", format="HH:MM")
        return super().to_internal_value(value)


class AttendanceSerializer(serializers.ModelSerializer):
    user_name = serializers.SerializerMethodField()
    unit_name = serializers.CharField(source="unit.name", read_only=True)

    class Meta:
        model = Attendance
        fields = ["user", "user_name", "unit", "unit_name", "status"]

    def get_user_name(self, obj) -> str:
        return display_name(obj.user)


class HeadcountSerializer(serializers.ModelSerializer):
    unit_name = serializers.CharField(source="unit.name", read_only=True)

    class Meta:
        model = UnitHeadcount
        fields = ["unit", "unit_name", "count"]


class SessionSerializer(serializers.ModelSerializer):
    organizer_name = serializers.CharField(source="organizer.name", read_only=True)
    area_name = serializers.CharField(source="area.name", read_only=True)
    attendance = AttendanceSerializer(source="attendances", many=True, read_only=True)
    headcounts = HeadcountSerializer(many=True, read_only=True)
    start_time = LocalTime(read_only=True, allow_null=True)
    end_time = LocalTime(read_only=True, allow_null=True)

    class Meta:
        model = TrainingSession
        fields = [
            "id",
            "topic",
            "kind",
            "date",
            "start_time",
            "end_time",
            "hours",
            "place",
            "trainer_name",
            "trainer_unit",
            "organizer",
            "organizer_name",
            "area",
            "area_name",
            "note",
            "attendance",
            "headcounts",
            "created_at",
            "updated_at",
        ]


class AttendeeInSerializer(serializers.Serializer):
    user = IdField()
    unit = IdField(
        required=False,
        allow_null=True,
        help_text=_("此人参训时所在的单位；省略时取其在培训范围内的第一个单位。"),
    )
    status = Choice(choices=Attendance.Status.choices, default=Attendance.Status.ATTENDED)


class Count(serializers.IntegerField):
    """A JSON integer (not "3", not 3.0, not true)."""

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return super().to_internal_value(data)


class HeadcountInSerializer(serializers.Serializer):
    unit = IdField()
    count = Count(min_value=1, max_value=999)


class AttendanceInSerializer(serializers.Serializer):
    attendance = serializers.ListField(
        child=AttendeeInSerializer(), max_length=500, help_text=_("参训人员名单（整体替换）。")
    )
    headcounts = serializers.ListField(
        child=HeadcountInSerializer(),
        max_length=200,
        required=False,
        help_text=_("无账号人员按单位计人数（整体替换；省略则不变）。"),
    )


class SessionInSerializer(serializers.Serializer):
    topic = Text(max_length=120)
    kind = Choice(choices=Kind.choices)
    date = serializers.DateField(help_text=_("北京时间的日期，按此计入月份。"))
    start_time = LocalTime(required=False, allow_null=True)
    end_time = LocalTime(required=False, allow_null=True)
    hours = serializers.DecimalField(
        max_digits=4,
        decimal_places=2,
        required=False,
        allow_null=True,
        help_text=_("学时，大于0且不超过24；给出起止时间时可省略（由时间计算）。"),
    )
    place = Text(max_length=120, required=False, allow_blank=True)
    trainer_name = Text(max_length=64)
    trainer_unit = Text(max_length=64, required=False, allow_blank=True)
    organizer = IdField(help_text=_("组织单位 id：您登记范围内的单位。"))
    area = IdField(help_text=_("培训范围（区域 id）：您的街道或管辖范围内。"))
    note = Text(max_length=2000, required=False, allow_blank=True)
    attendance = serializers.ListField(
        child=AttendeeInSerializer(),
        max_length=500,
        required=False,
        help_text=_("参训人员名单（整体替换；修改时省略则不变）。"),
    )
    headcounts = serializers.ListField(
        child=HeadcountInSerializer(),
        max_length=200,
        required=False,
        help_text=_("无账号人员按单位计人数（整体替换；修改时省略则不变）。"),
    )


class ListsInSerializer(serializers.Serializer):
    """The lists of a partial change, checked whole (see ``api.SessionViewSet.update``)."""

    attendance = serializers.ListField(child=AttendeeInSerializer(), max_length=500, required=False)
    headcounts = serializers.ListField(
        child=HeadcountInSerializer(), max_length=200, required=False
    )
