"""API shapes for orders, their timeline and police incidents.

Input serializers check shape only (types, lengths, choices, id ranges); the services
check the business rules and raise domain errors. Output serializers mask party phone and
ID numbers but those the view says the user sees in full (``context["numbers_in_full"]``,
from ``party_numbers_in_full``).
"""

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.reverse import reverse

from dispatch.models import Area, Category, RiskLevel, Unit
from shishi_mediation.api import (
    BoundedDateTimeField,
    Choice,
    Flag,
    FormFlag,
    FormIdField,
    IdField,
    ModelSerializer,
    Text,
)
from shishi_mediation.text import display_name
from shishi_mediation.validators import mask_phone

from .colours import Colour
from .events import event_label
from .incidents import IncidentInput
from .merging import merged_duplicates
from .models import (
    REPORTER_SOURCES,
    Assistance,
    Attachment,
    ClockPause,
    ClosingProposal,
    ContactMethod,
    Directive,
    Escalation,
    EventKind,
    Grade,
    Incident,
    LocationSource,
    Order,
    OrderEvent,
    Outcome,
    Party,
    PartyConfirmation,
    Referral,
    ReferralOutcome,
    ReferralResult,
    ReturnRequest,
    ReturnVisit,
    ScheduledVisit,
    Source,
    State,
)
from .selectors import has_rows, party_numbers
from .services import PartyInput, ReportInput
from .stages import CLOCKS, PAUSABLE_CHOICES


class ConflictSerializer(serializers.Serializer):
    detail = serializers.CharField()
    state = serializers.ChoiceField(
        choices=State.choices, required=False, help_text=_("订单当前状态。")
    )


# --- small nested shapes -----------------------------------------------------------------------


class UserBriefSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    username = serializers.CharField(read_only=True)
    name = serializers.SerializerMethodField()

    def get_name(self, user) -> str:
        return display_name(user)


class UnitBriefSerializer(ModelSerializer):
    class Meta:
        model = Unit
        fields = ["id", "name", "kind"]


class AreaBriefSerializer(ModelSerializer):
    class Meta:
        model = Area
        fields = ["id", "name", "code"]


class CategoryBriefSerializer(ModelSerializer):
    class Meta:
        model = Category
        fields = ["id", "code", "name"]


# --- orders out ---------------------------------------------------------------------------------


class PartySerializer(ModelSerializer):
    is_vulnerable = serializers.BooleanField(read_only=True)

    class Meta:
        model = Party
        fields = [
            "id",
            "name",
            "role",
            "phone",
            "id_number",
            "is_elderly_alone",
            "is_disabled",
            "has_mental_illness",
            "is_minor",
            "is_vulnerable",
            "sms_consent",
            "sms_consent_at",
            "confirmed_at",
        ]

    def to_representation(self, instance):
        data = super().to_representation(instance)
        data.update(
            party_numbers(instance, in_full=self.context.get("numbers_in_full", frozenset()))
        )
        return data


class AttachmentSerializer(ModelSerializer):
    class Meta:
        model = Attachment
        fields = ["id", "original_name", "size", "uploaded_at"]


URL_OR_NULL = {"type": "string", "format": "uri", "nullable": True}


class OrderAttachmentSerializer(ModelSerializer):
    """An attachment in the order's list, with where to download it and its thumbnail."""

    name = serializers.CharField(source="original_name", read_only=True)
    content_type = serializers.CharField(read_only=True)
    uploaded_by = UserBriefSerializer(read_only=True)
    download_url = serializers.SerializerMethodField()
    thumbnail_url = serializers.SerializerMethodField(
        help_text=_("照片的缩略图（JPEG）；其他文件为 null。")
    )

    class Meta:
        model = Attachment
        fields = [
            "id",
            "name",
            "size",
            "content_type",
            "uploaded_at",
            "uploaded_by",
            "download_url",
            "thumbnail_url",
        ]

    @extend_schema_field(OpenApiTypes.URI)
    def get_download_url(self, attachment) -> str:
        return reverse(
            "api-attachment-detail", args=[attachment.pk], request=self.context.get("request")
        )

    @extend_schema_field(URL_OR_NULL)
    def get_thumbnail_url(self, attachment) -> str | None:
        if not attachment.thumbnail:
            return None
        return reverse(
            "api-attachment-thumbnail", args=[attachment.pk], request=self.context.get("request")
        )


class Degrees(serializers.FloatField):
    """A JSON number of degrees (not "24.7", not true), finite."""

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int | float):
            self.fail("invalid")
        if data != data or data in (float("inf"), float("-inf")):
            self.fail("invalid")
        return super().to_internal_value(data)


class LocationSerializer(serializers.Serializer):
    """A point, WGS-84 degrees (docs/MAP.md)."""

    lat = Degrees(min_value=-90, max_value=90, help_text=_("纬度，WGS-84。"))
    lng = Degrees(min_value=-180, max_value=180, help_text=_("经度，WGS-84。"))
    source = Choice(
        choices=LocationSource.choices,
        default=LocationSource.GPS,
        help_text=_("gps：设备定位（经当事人同意）；picked：在地图上选点。"),
    )


class OrderLocationSerializer(serializers.Serializer):
    lat = serializers.FloatField(source="latitude")
    lng = serializers.FloatField(source="longitude")
    source = serializers.CharField(source="location_source")


class ChoiceLabel(serializers.CharField):
    """A choice's label, as ``get_<field>_display`` gives it (the value itself if it is
    not a choice), from a dict: the model's method rebuilt its choices on every row."""

    def __init__(self, *, choices, **kwargs):
        self.labels = dict(choices)
        super().__init__(read_only=True, **kwargs)

    def to_representation(self, value):
        return str(self.labels.get(value, value))


class OrderListSerializer(ModelSerializer):
    category = CategoryBriefSerializer(read_only=True)
    street = AreaBriefSerializer(read_only=True)
    community = AreaBriefSerializer(read_only=True)
    lead_unit = UnitBriefSerializer(read_only=True, allow_null=True)
    assignee = UserBriefSerializer(read_only=True, allow_null=True)
    state = serializers.ChoiceField(choices=State.choices, read_only=True)
    state_display = ChoiceLabel(choices=State.choices, source="state")

    class Meta:
        model = Order
        fields = [
            "id",
            "number",
            "title",
            "state",
            "state_display",
            "category",
            "source",
            "street",
            "community",
            "risk_level",
            "colour",
            "lead_unit",
            "assignee",
            "reported_at",
            "dispatched_at",
            "signed_at",
            "contacted_at",
            "met_at",
            "closed_at",
            "cancelled_at",
            "on_the_spot",
            *(c.due_field for c in CLOCKS),
        ]
        read_only_fields = fields


def blank_choice(choices) -> serializers.ChoiceField:
    """A read-only choice that may be empty (not yet set): "" is part of its enum."""
    return serializers.ChoiceField(choices=choices, allow_blank=True, read_only=True)


@extend_schema_field({"type": "string", "title": Incident._meta.get_field("number").verbose_name})
class IncidentNumbers(serializers.SlugRelatedField):
    """An incident's number, read from a list (``OrderChildren.incidents``), so the schema
    cannot follow the model: it says so itself."""


class ClockPauseSerializer(ModelSerializer):
    """A clock pause (暂停计时) of the order, as its detail lists them."""

    stage = serializers.ChoiceField(choices=PAUSABLE_CHOICES, read_only=True)
    reason = serializers.ChoiceField(choices=ClockPause.Reason.choices, read_only=True)
    state = serializers.ChoiceField(choices=ClockPause.PauseState.choices, read_only=True)
    requested_by = UserBriefSerializer(read_only=True)
    decided_by = UserBriefSerializer(read_only=True, allow_null=True)

    class Meta:
        model = ClockPause
        fields = [
            "id",
            "stage",
            "reason",
            "note",
            "requested_minutes",
            "requested_by",
            "requested_at",
            "state",
            "decided_by",
            "decided_at",
            "decision_note",
            "started_at",
            "ends_at",
            "ended_at",
            "paused_minutes",
        ]
        read_only_fields = fields


class DirectiveSerializer(ModelSerializer):
    """A 督办 on the order and its reply (督办回复)."""

    unit = UnitBriefSerializer(read_only=True)
    issued_by = UserBriefSerializer(read_only=True)
    replied_by = UserBriefSerializer(read_only=True, allow_null=True)
    on_time = serializers.BooleanField(
        read_only=True, allow_null=True, help_text=_("是否在回复期限内回复（未回复为 null）。")
    )
    awaiting_reply = serializers.BooleanField(
        source="is_awaiting_reply",
        read_only=True,
        help_text=_("是否仍待回复；责任单位变更或订单办结后不再需要回复。"),
    )

    class Meta:
        model = Directive
        fields = [
            "id",
            "unit",
            "issued_by",
            "issued_at",
            "demand",
            "reply_due_at",
            "awaiting_reply",
            "replied_by",
            "replied_at",
            "reply",
            "on_time",
        ]
        read_only_fields = fields


class ReturnRequestSerializer(ModelSerializer):
    """A lead unit's request to return the order (申请退单), awaiting the center's review."""

    unit = UnitBriefSerializer(read_only=True)
    requested_by = UserBriefSerializer(read_only=True)
    review_due_at = serializers.DateTimeField(
        source="duty.due_at",
        read_only=True,
        allow_null=True,
        help_text=_("审核截止时间（默认申请后30分钟）。"),
    )

    class Meta:
        model = ReturnRequest
        fields = ["id", "unit", "requested_by", "requested_at", "reason", "review_due_at"]
        read_only_fields = fields


class OrderLinkSerializer(ModelSerializer):
    """Another order named by this one (重新调解): its id and number."""

    class Meta:
        model = Order
        fields = ["id", "number"]
        read_only_fields = fields


class ScheduledVisitSerializer(ModelSerializer):
    """A return visit due (回访计划): its ``visit`` duty."""

    unit = UnitBriefSerializer(read_only=True, source="duty.unit")
    cause = serializers.ChoiceField(choices=ScheduledVisit.Cause.choices, read_only=True)
    started_at = serializers.DateTimeField(read_only=True, source="duty.started_at")
    due_at = serializers.DateTimeField(read_only=True, source="duty.due_at")
    met_at = serializers.DateTimeField(read_only=True, source="duty.met_at", allow_null=True)
    on_time = serializers.BooleanField(
        read_only=True, source="duty.on_time", allow_null=True, help_text=_("未回访为 null。")
    )
    ended_at = serializers.DateTimeField(
        read_only=True,
        source="duty.ended_at",
        allow_null=True,
        help_text=_("不再需要回访的时间（已重新调解）。"),
    )

    class Meta:
        model = ScheduledVisit
        fields = ["id", "unit", "cause", "second", "started_at", "due_at", "met_at", "on_time"]
        fields += ["ended_at"]
        read_only_fields = fields


class ReturnVisitOutSerializer(ModelSerializer):
    """A return visit made."""

    visited_by = UserBriefSerializer(read_only=True)
    agreement_kept = blank_choice(ReturnVisit.AgreementKept.choices)
    follow_up = blank_choice(ReturnVisit.FollowUp.choices)

    class Meta:
        model = ReturnVisit
        fields = ["id", "visited_by", "visited_at", "satisfied", "agreement_kept", "follow_up"]
        fields += ["note"]
        read_only_fields = fields


class RadarMatchSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(
        choices=["order", "incident"], help_text=_("order：订单；incident：警情。")
    )
    id = serializers.IntegerField(source="pk")
    number = serializers.CharField()
    at = serializers.DateTimeField(help_text=_("报单时间（订单）或接警时间（警情）。"))
    state = serializers.CharField(help_text=_("订单状态代码；警情为其类型名称。"))
    order_id = serializers.IntegerField(
        allow_null=True, help_text=_("警情转成的订单 id（订单本身为 null）。")
    )
    reasons = serializers.ListField(
        child=serializers.ChoiceField(choices=["phone", "id_number", "address", "name"]),
        source="reason_codes",
        help_text=_(
            "相同之处：phone 同一电话，id_number 同一身份证，address 同一地址，name 同名当事人。"
        ),
    )


class RadarSerializer(serializers.Serializer):
    """The repeat radar of an order as the caller may see it (``disputes.radar``)."""

    is_repeat = serializers.BooleanField(help_text=_("报单时发现早先的纠纷（重复纠纷）。"))
    repeat_reasons = serializers.ListField(
        child=serializers.CharField(), help_text=_("报单时发现的相同之处。")
    )
    window_days = serializers.IntegerField(help_text=_("回看天数（报单前）。"))
    matches = RadarMatchSerializer(
        many=True, help_text=_("调用者可查看的早先订单和警情，新的在前。")
    )
    hidden = serializers.IntegerField(help_text=_("不在调用者查看范围内的匹配条数（不含详情）。"))


class OrderDetailSerializer(OrderListSerializer):
    contact_method = blank_choice(ContactMethod.choices)
    outcome = blank_choice(Outcome.choices)
    referral = blank_choice(Referral.choices)
    grade = blank_choice(Grade.choices)
    reporter = UserBriefSerializer(read_only=True)
    reporter_unit = UnitBriefSerializer(read_only=True, allow_null=True)
    # Read with the order (``selectors.OrderChildren``).
    assisting_units = UnitBriefSerializer(
        many=True, read_only=True, source="children.assisting_units"
    )
    parties = PartySerializer(many=True, read_only=True, source="children.parties")
    attachments = AttachmentSerializer(many=True, read_only=True, source="children.attachments")
    incidents = IncidentNumbers(
        slug_field="number",
        many=True,
        read_only=True,
        source="children.incidents",
        help_text=_("来源警情编号（警情转办的订单）。"),
    )
    actions = serializers.SerializerMethodField(
        help_text=_("当前用户此刻可执行的操作（角色与状态均允许）。")
    )
    pauses = serializers.SerializerMethodField(help_text=_("暂停计时的申请与记录，先申请的在前。"))
    pending_return = serializers.SerializerMethodField(
        help_text=_("待审核的退单申请（无则为 null）。")
    )
    directives = serializers.SerializerMethodField(help_text=_("督办及其回复，按督办时间先后。"))
    case_leader = UserBriefSerializer(
        read_only=True, allow_null=True, help_text=_("红色订单的包案领导。")
    )
    reopened_from = OrderLinkSerializer(
        read_only=True, allow_null=True, help_text=_("本单重新调解自的原订单（无则为 null）。")
    )
    reopened_as = serializers.SerializerMethodField(help_text=_("由本单重新调解而新报的订单。"))
    merged_into = OrderLinkSerializer(
        read_only=True,
        allow_null=True,
        help_text=_("本单作为重复报单合并至的订单（未合并为 null）。"),
    )
    merged = serializers.SerializerMethodField(
        help_text=_("合并至本单的重复报单（含其已合并的重复报单），先合并的在前。")
    )
    scheduled_visits = serializers.SerializerMethodField(
        help_text=_("回访计划：结单后到期的回访及二次回访，先到期的在前。")
    )
    return_visits = serializers.SerializerMethodField(help_text=_("回访记录，按回访时间先后。"))
    location = serializers.SerializerMethodField(
        help_text=_("纠纷地点，WGS-84（未记录则为 null）。")
    )
    radar = serializers.SerializerMethodField(
        help_text=_("重复纠纷雷达：报单时的判定，以及调用者可查看的早先订单和警情。")
    )

    class Meta(OrderListSerializer.Meta):
        fields = [
            *OrderListSerializer.Meta.fields,
            "case_leader",
            "leader_reviewed_at",
            "narrative",
            "address",
            "location",
            "reporter",
            "reporter_unit",
            "assisting_units",
            "parties",
            "attachments",
            "incidents",
            *(c.on_time_field for c in CLOCKS),
            "contact_method",
            "contact_note",
            "meeting_place",
            "meeting_participants",
            "meeting_result",
            "outcome",
            "referral",
            "agreement_summary",
            "grade",
            "cancel_reason",
            "final_assignment",
            "pending_return",
            "directives",
            "actions",
            "pauses",
            "reopened_from",
            "reopened_as",
            "merged_into",
            "merged_at",
            "merge_reason",
            "merged",
            "scheduled_visits",
            "return_visits",
            "radar",
        ]
        read_only_fields = fields

    @extend_schema_field(OrderLocationSerializer(allow_null=True))
    def get_location(self, order) -> dict | None:
        if order.latitude is None:
            return None
        return OrderLocationSerializer(order).data

    @extend_schema_field(RadarSerializer(allow_null=True))
    def get_radar(self, order) -> dict | None:
        view = self.context.get("radar", {}).get(order.pk)
        if view is None:
            return None
        return RadarSerializer(
            {
                "is_repeat": order.is_repeat,
                "repeat_reasons": order.repeat_reason_list,
                "window_days": settings.RADAR_WINDOW_DAYS,
                "matches": view.matches,
                "hidden": view.hidden,
            }
        ).data

    @extend_schema_field(OrderLinkSerializer(many=True))
    def get_reopened_as(self, order) -> list[dict]:
        if not has_rows(order, "reopened_as"):
            return []
        return OrderLinkSerializer(order.reopened_as.order_by("pk"), many=True).data

    @extend_schema_field(OrderLinkSerializer(many=True))
    def get_merged(self, order) -> list[dict]:
        if not has_rows(order, "merged_duplicates"):
            return []
        return OrderLinkSerializer(merged_duplicates(order), many=True).data

    @extend_schema_field(ScheduledVisitSerializer(many=True))
    def get_scheduled_visits(self, order) -> list[dict]:
        if not has_rows(order, "scheduled_visits"):
            return []
        rows = order.scheduled_visits.select_related("duty__unit").order_by("duty__due_at", "pk")
        return ScheduledVisitSerializer(rows, many=True).data

    @extend_schema_field(ReturnVisitOutSerializer(many=True))
    def get_return_visits(self, order) -> list[dict]:
        if not has_rows(order, "return_visits"):
            return []
        rows = order.return_visits.select_related("visited_by")
        return ReturnVisitOutSerializer(rows, many=True).data

    def get_actions(self, order) -> list[str]:
        return sorted(self.context.get("actions", {}).get(order.pk, ()))

    @extend_schema_field(ClockPauseSerializer(many=True))
    def get_pauses(self, order) -> list[dict]:
        pauses = self.context.get("pauses", {}).get(order.pk, ())
        return ClockPauseSerializer(pauses, many=True).data

    @extend_schema_field(ReturnRequestSerializer(allow_null=True))
    def get_pending_return(self, order) -> dict | None:
        request = self.context.get("pending_return", {}).get(order.pk)
        return ReturnRequestSerializer(request).data if request is not None else None

    @extend_schema_field(DirectiveSerializer(many=True))
    def get_directives(self, order) -> list[dict]:
        if not has_rows(order, "directives"):
            return []
        rows = order.directives.select_related("duty", "unit", "issued_by", "replied_by")
        return DirectiveSerializer(rows, many=True).data


class OrderEventSerializer(ModelSerializer):
    actor = UserBriefSerializer(read_only=True, allow_null=True)
    kind_display = serializers.SerializerMethodField()
    kind = serializers.ChoiceField(choices=EventKind.choices, read_only=True)
    from_state = blank_choice(State.choices)
    to_state = blank_choice(State.choices)
    data = serializers.JSONField(read_only=True)

    class Meta:
        model = OrderEvent
        fields = ["id", "kind", "kind_display", "at", "actor", "from_state", "to_state", "note"]
        fields += ["data"]
        read_only_fields = fields

    def get_kind_display(self, event) -> str:
        return event_label(event)


# --- orders in ----------------------------------------------------------------------------------


class PartyInputSerializer(serializers.Serializer):
    name = Text(max_length=64)
    role = Choice(choices=Party.PartyRole.choices, default="applicant")
    phone = Text(max_length=20, allow_blank=True, default="")
    id_number = Text(max_length=18, allow_blank=True, default="")
    is_elderly_alone = Flag(default=False)
    is_disabled = Flag(default=False)
    has_mental_illness = Flag(default=False)
    is_minor = Flag(default=False)
    sms_consent = Flag(
        default=False, help_text=_("当事人同意接收短信通知（结单后的评价码）；须填手机号。")
    )


class OrderReportSerializer(serializers.Serializer):
    """报单: a new order with its parties."""

    title = Text(max_length=120)
    narrative = Text(max_length=5000)
    category = IdField(help_text=_("类别 id（/api/v1/categories/）。"))
    community = IdField(help_text=_("社区 id（/api/v1/areas/?level=community）。"))
    risk_level = Choice(choices=RiskLevel.choices, default=RiskLevel.LOW)
    source = Choice(choices=REPORTER_SOURCES, default=Source.PATROL)
    address = Text(max_length=200, allow_blank=True, default="")
    reporter_unit = IdField(
        required=False, allow_null=True, help_text=_("以哪个单位的名义报单；默认第一个。")
    )
    parties = serializers.ListField(
        child=PartyInputSerializer(), min_length=1, max_length=20, allow_empty=False
    )
    on_the_spot = Flag(
        default=False,
        help_text=_(
            "当场已化解（就地化解）：报单人已在现场调解成功，报单即以“调解成功”结单，"
            "不进派单队列；须填 summary。"
        ),
    )
    summary = Text(
        max_length=5000,
        allow_blank=True,
        default="",
        help_text=_("达成的协议（仅就地化解时填写，必填）。"),
    )
    location = LocationSerializer(
        required=False,
        allow_null=True,
        help_text=_("纠纷地点（可选），WGS-84 经纬度；若底图为 GCJ-02，须先换算回 WGS-84。"),
    )

    def validate(self, attrs):
        if attrs["on_the_spot"] and not attrs["summary"].strip():
            raise serializers.ValidationError({"summary": _("请填写达成的协议。")})
        if attrs["summary"] and not attrs["on_the_spot"]:
            raise serializers.ValidationError({"summary": _("仅就地化解的报单填写协议。")})
        return attrs

    def to_input(self) -> ReportInput:
        d = self.validated_data
        return ReportInput(
            title=d["title"],
            narrative=d["narrative"],
            category_id=d["category"],
            community_id=d["community"],
            risk_level=d["risk_level"],
            source=d["source"],
            address=d["address"],
            reporter_unit_id=d.get("reporter_unit"),
            parties=[PartyInput(**p) for p in d["parties"]],
            **location_input(d.get("location")),
        )


def location_input(location: dict | None) -> dict:
    """The report's point as ``ReportInput`` fields (none: no point)."""
    if not location:
        return {}
    return {
        "latitude": location["lat"],
        "longitude": location["lng"],
        "location_source": location["source"],
    }


class RouteSerializer(serializers.Serializer):
    """派单 / 改派."""

    lead_unit = IdField(help_text=_("责任单位 id。"))
    assignee = IdField(
        required=False, allow_null=True, help_text=_("责任人（责任单位的办理人）用户 id。")
    )
    assisting_units = serializers.ListField(child=IdField(), max_length=20, default=list)
    note = Text(max_length=2000, allow_blank=True, default="")


class GradeReviewSerializer(serializers.Serializer):
    """等级审核."""

    grade = Choice(choices=Grade.choices, help_text=_("审核后的等级；与拟定等级不同须写明理由。"))
    reason = Text(max_length=2000, allow_blank=True, default="")


class ReferralResultInputSerializer(serializers.Serializer):
    """移交结果: what the receiving body made of the referral."""

    body = Text(max_length=120, help_text=_("接收机关：法院、仲裁委员会或信访部门的名称。"))
    case_number = Text(
        max_length=64,
        allow_blank=True,
        default="",
        help_text=_("案号；立案/受理、判决/裁决和司法确认的结果必填。"),
    )
    outcome = Choice(
        choices=ReferralOutcome.choices,
        help_text=_("accepted（已立案/受理）为阶段性结果，其余为最终结果。"),
    )
    decided_on = serializers.DateField(
        help_text=_("结果日期（YYYY-MM-DD）：不晚于今天，不早于结单日期。")
    )
    note = Text(max_length=2000, allow_blank=True, default="")


class ReferralResultSerializer(ModelSerializer):
    """One recorded result of a referral."""

    recorded_by = UserBriefSerializer(read_only=True)
    final = serializers.BooleanField(source="is_final", read_only=True)

    class Meta:
        model = ReferralResult
        fields = [
            "id",
            "body",
            "case_number",
            "outcome",
            "decided_on",
            "note",
            "final",
            "recorded_by",
            "recorded_at",
        ]


class ReferralFollowUpSerializer(serializers.Serializer):
    """A closed order's referral and its follow-up (移交跟踪)."""

    referral = serializers.ChoiceField(
        choices=[("", "—"), *Referral.choices],
        read_only=True,
        help_text=_("移交途径；空为未移交。"),
    )
    due_at = serializers.DateTimeField(
        read_only=True, allow_null=True, help_text=_("跟踪截止时间（结单起算）。")
    )
    on_time = serializers.BooleanField(
        read_only=True,
        allow_null=True,
        help_text=_("首个结果是否在截止时间前记录；null 为尚未记录。"),
    )
    finished = serializers.BooleanField(read_only=True, help_text=_("已记录最终结果。"))
    results = ReferralResultSerializer(many=True, read_only=True)


class AddAssistingSerializer(serializers.Serializer):
    """增派协办."""

    units = serializers.ListField(
        child=IdField(), min_length=1, max_length=20, help_text=_("协办单位 id。")
    )
    note = Text(max_length=2000, allow_blank=True, default="")


class AssistOpinionSerializer(serializers.Serializer):
    """协办意见."""

    opinion = Text(max_length=4000)


class AssistanceSerializer(ModelSerializer):
    """An assisting unit's part: its signing and its opinion, each with its due time and
    whether it was on time (null: not yet, or no clock)."""

    unit = UnitBriefSerializer(read_only=True)
    signed_by = UserBriefSerializer(read_only=True, allow_null=True)
    opinion_by = UserBriefSerializer(read_only=True, allow_null=True)
    sign_due_at = serializers.DateTimeField(
        source="sign_duty.due_at", read_only=True, allow_null=True, default=None
    )
    sign_on_time = serializers.BooleanField(
        source="sign_duty.on_time", read_only=True, allow_null=True, default=None
    )
    opinion_due_at = serializers.DateTimeField(
        source="opinion_duty.due_at", read_only=True, allow_null=True, default=None
    )
    opinion_on_time = serializers.BooleanField(
        source="opinion_duty.on_time", read_only=True, allow_null=True, default=None
    )

    class Meta:
        model = Assistance
        fields = [
            "id",
            "unit",
            "started_at",
            "sign_due_at",
            "signed_at",
            "signed_by",
            "sign_on_time",
            "opinion_due_at",
            "opinion",
            "opinion_at",
            "opinion_by",
            "opinion_on_time",
            "ended_at",
        ]
        read_only_fields = fields


class DispatchSerializer(RouteSerializer):
    """派单: also the order's colour, confirmed or overridden, and a red one's leader."""

    colour = Choice(
        choices=Colour.choices,
        required=False,
        allow_blank=True,
        default="",
        help_text=_(
            "颜色等级；留空为系统判定（风险与弱势当事人）。与判定不同时须填 colour_reason。"
        ),
    )
    colour_reason = Text(max_length=2000, allow_blank=True, default="")
    case_leader = IdField(
        required=False,
        allow_null=True,
        help_text=_("包案领导（本街道的包案领导）用户 id；红色订单必填。"),
    )


class RecolourSerializer(serializers.Serializer):
    """改色."""

    colour = Choice(choices=Colour.choices)
    reason = Text(max_length=2000)
    case_leader = IdField(
        required=False,
        allow_null=True,
        help_text=_("包案领导（本街道的包案领导）用户 id；改为红色且尚无包案领导时必填。"),
    )


class LeaderReviewSerializer(serializers.Serializer):
    """包案审核."""

    note = Text(max_length=5000)


class BulkIdsField(serializers.ListField):
    """Order ids, at least one and at most ``BULK_DISPATCH_MAX``: the count is checked
    before the items, so a huge list costs nothing."""

    default_error_messages = {"too_many": _("一次最多派 %(max)d 张订单。")}

    def __init__(self, **kwargs):
        super().__init__(child=IdField(), allow_empty=False, **kwargs)

    def to_internal_value(self, data):
        cap = settings.BULK_DISPATCH_MAX
        if isinstance(data, list) and len(data) > cap:
            raise serializers.ValidationError(self.error_messages["too_many"] % {"max": cap})
        return super().to_internal_value(data)


class BulkDispatchSerializer(serializers.Serializer):
    """批量派单."""

    ids = BulkIdsField(
        help_text=_("订单 id，至少 1 个，最多 BULK_DISPATCH_MAX（默认 50）个；重复的 id 只派一次。")
    )


class BulkDispatchResultSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="order_id", help_text=_("请求中的订单 id。"))
    number = serializers.CharField(help_text=_("订单编号；不存在或无权查看的订单为空。"))
    dispatched = serializers.BooleanField(help_text=_("是否已派出。"))
    lead_unit = serializers.IntegerField(
        source="lead_unit.pk", allow_null=True, help_text=_("派往的单位 id；未派出为 null。")
    )
    lead_unit_name = serializers.CharField(
        source="lead_unit.name", default="", help_text=_("派往的单位名称；未派出为空。")
    )
    reason = serializers.CharField(help_text=_("未派出的原因；已派出为空。"))


class BulkDispatchAnswerSerializer(serializers.Serializer):
    dispatched = serializers.IntegerField(help_text=_("派出的订单数。"))
    failed = serializers.IntegerField(help_text=_("未派出的订单数。"))
    results = BulkDispatchResultSerializer(many=True, help_text=_("逐单结果，按请求顺序。"))


class PauseSerializer(serializers.Serializer):
    """申请暂停计时."""

    stage = Choice(
        choices=PAUSABLE_CHOICES,
        help_text=_("暂停的环节：contact 联系当事人、meet 见面调解。"),
    )
    reason = Choice(choices=ClockPause.Reason.choices)
    requested_minutes = IdField(
        help_text=_("暂停时长（分钟），1 至 PAUSE_MAX_MINUTES（默认 10080，即 7 天）。")
    )
    note = Text(
        max_length=2000, allow_blank=True, default="", help_text=_("原因为 other（其他）时必填。")
    )


class PauseDecideSerializer(serializers.Serializer):
    """审批暂停."""

    approve = Flag(help_text=_("true 批准，false 驳回。"))
    note = Text(max_length=2000, allow_blank=True, default="", help_text=_("驳回时必填。"))
    stage = Choice(
        choices=PAUSABLE_CHOICES,
        required=False,
        help_text=_("两个环节都有待审批的申请时必填。"),
    )


class ResumeSerializer(serializers.Serializer):
    """恢复计时."""

    note = Text(max_length=2000, allow_blank=True, default="")
    stage = Choice(
        choices=PAUSABLE_CHOICES,
        required=False,
        help_text=_("两个环节都在暂停中时必填。"),
    )


class ReasonSerializer(serializers.Serializer):
    """退单 / 撤销."""

    reason = Text(max_length=2000)


class MergeSerializer(serializers.Serializer):
    """重复报单合并: the kept order's number and the reason."""

    into = Text(
        max_length=32,
        help_text=_("保留订单的编号（本街道的订单）；若该订单已被合并，则合并至其保留订单。"),
    )
    reason = Text(max_length=2000)


class ReturnReviewSerializer(serializers.Serializer):
    """退单审核: approve, or reject with the reason why."""

    approve = Flag(help_text=_("true 批准（订单退回派单队列），false 驳回（须填写 note）。"))
    note = Text(max_length=2000, required=False, allow_blank=True, default="")


class AskAssistanceSerializer(serializers.Serializer):
    """申请协办."""

    note = Text(max_length=2000, help_text=_("需要哪些单位、什么协助。"))


class AttachmentUploadSerializer(serializers.Serializer):
    """One file, as multipart/form-data."""

    file = serializers.FileField(
        help_text=_("照片或文件。类型、大小和内容的检查与网页相同；照片会转正、缩小并去除 EXIF。")
    )
    keep_location = FormFlag(
        required=False,
        default=False,
        help_text=_("照片是否保留拍摄位置（GPS），true 或 false，默认 false。"),
    )
    note = Text(max_length=2000, allow_blank=True, default="", help_text=_("随附件的备注。"))


class ContactSerializer(serializers.Serializer):
    method = Choice(choices=ContactMethod.choices)
    note = Text(max_length=5000, allow_blank=True, default="")
    contacted_at = BoundedDateTimeField(
        required=False, allow_null=True, help_text=_("默认为现在；不能晚于现在或早于签收。")
    )


class ReturnVisitSerializer(serializers.Serializer):
    """回访."""

    satisfied = Flag(allow_null=True, default=None, help_text=_("当事人是否满意；null 为未表态。"))
    agreement_kept = Choice(
        choices=ReturnVisit.AgreementKept.choices,
        allow_blank=True,
        allow_null=True,
        default="",
        help_text=_("协议履行情况；未达成协议的案件须为空（null 或空字符串）。"),
    )
    follow_up = Choice(
        choices=ReturnVisit.FollowUp.choices,
        allow_blank=True,
        default="",
        help_text=_(
            "仅当 satisfied 为 false：second_visit 安排二次回访（默认），"
            "reopen 重新调解（以原当事人和类别新报一单，与原订单互相关联）。"
        ),
    )
    note = Text(max_length=5000, allow_blank=True, default="")
    visited_at = BoundedDateTimeField(
        required=False, allow_null=True, help_text=_("默认为现在；不能晚于现在或早于结单。")
    )


class DirectSerializer(serializers.Serializer):
    """督办."""

    demand = Text(max_length=2000, help_text=_("督办要求。"))
    reply_due_at = BoundedDateTimeField(
        help_text=_("回复期限：须晚于现在，至多30天后；责任单位负责人须在此前回复。")
    )


class DirectReplySerializer(serializers.Serializer):
    """督办回复."""

    directive = IdField(help_text=_("所回复督办的 id（订单详情 directives 中）。"))
    reply = Text(max_length=2000, help_text=_("回复内容。"))


class MeetingSerializer(serializers.Serializer):
    place = Text(max_length=200)
    participants = Text(max_length=2000)
    result = Text(max_length=5000)
    met_at = BoundedDateTimeField(required=False, allow_null=True)


class CloseSerializer(serializers.Serializer):
    """提交结单: the outcome, and for a mediated case the agreement (人民调解协议书)."""

    outcome = Choice(choices=Outcome.choices)
    summary = Text(max_length=5000)
    grade = Choice(choices=Grade.choices, allow_blank=True, default="")
    referral = Choice(choices=Referral.choices, allow_blank=True, default="")
    facts = Text(
        max_length=5000, allow_blank=True, default="", help_text=_("纠纷事实（调解成功时必填）。")
    )
    terms = Text(
        max_length=5000, allow_blank=True, default="", help_text=_("协议内容（调解成功时必填）。")
    )
    performance = Text(
        max_length=5000, allow_blank=True, default="", help_text=_("履行方式（调解成功时必填）。")
    )
    perform_by = serializers.DateField(
        required=False, allow_null=True, default=None, help_text=_("履行期限（日期）。")
    )


class ClosingConfirmSerializer(serializers.Serializer):
    """记录当面确认: a party's answer given in person (JSON: a refusal; a confirmation
    needs the photo, so it comes as multipart)."""

    party = IdField(help_text=_("当事人 id。"))
    confirm = Flag(default=True, help_text=_("true 确认（须上传签字协议书照片），false 拒绝。"))
    reason = Text(max_length=1000, allow_blank=True, default="", help_text=_("拒绝的理由。"))
    file = serializers.FileField(
        required=False, allow_null=True, default=None, help_text=_("当事人签字的协议书照片。")
    )


class MultipartClosingConfirmSerializer(ClosingConfirmSerializer):
    """The same as ``multipart/form-data``, whose fields are text."""

    party = FormIdField(help_text=_("当事人 id。"))
    confirm = FormFlag(default=True, help_text=_("true 确认（须上传签字协议书照片），false 拒绝。"))


class OptionalReasonSerializer(serializers.Serializer):
    reason = Text(max_length=2000, allow_blank=True, default="")


class PartyConfirmationSerializer(ModelSerializer):
    party = serializers.IntegerField(source="party_id", read_only=True)
    party_name = serializers.CharField(source="party.name", read_only=True)
    answer = blank_choice(PartyConfirmation.Answer.choices)
    how = blank_choice(PartyConfirmation.How.choices)

    class Meta:
        model = PartyConfirmation
        fields = ["party", "party_name", "answer", "answered_at", "how", "reason"]
        read_only_fields = fields


class ClosingSerializer(ModelSerializer):
    """The order's proposed closings (结单确认), the latest last."""

    status = Choice(choices=ClosingProposal.Status.choices, read_only=True)
    outcome = Choice(choices=Outcome.choices, read_only=True)
    grade = blank_choice(Grade.choices)
    referral = blank_choice(Referral.choices)
    proposed_by = UserBriefSerializer(read_only=True)
    confirmations = PartyConfirmationSerializer(many=True, read_only=True)
    agreement_pdf = serializers.SerializerMethodField(help_text=_("协议书 PDF 地址。"))

    class Meta:
        model = ClosingProposal
        fields = [
            "id",
            "status",
            "proposed_by",
            "proposed_at",
            "outcome",
            "summary",
            "grade",
            "referral",
            "facts",
            "terms",
            "performance",
            "perform_by",
            "reporter_needed",
            "reporter_signed_at",
            "center_signed_at",
            "confirmations",
            "ended_at",
            "end_reason",
            "forced",
            "agreement_pdf",
        ]
        read_only_fields = fields

    def get_agreement_pdf(self, obj) -> str | None:
        if not obj.has_agreement:
            return None
        return reverse(
            "api-order-agreement",
            kwargs={"pk": obj.order_id, "proposal_id": obj.pk},
            request=self.context.get("request"),
        )


# --- police incidents ----------------------------------------------------------------------------


class IncidentInputSerializer(serializers.Serializer):
    number = Text(max_length=64, help_text=_("警情编号，唯一；重复报送返回首次结果。"))
    received_at = BoundedDateTimeField(help_text=_("接警时间；不带时区按北京时间。"))
    type = Text(max_length=32, help_text=_("警情类型代码（警情类型表）。"))
    summary = Text(max_length=5000)
    address = Text(max_length=200, allow_blank=True, default="")
    community = Text(
        max_length=100, help_text=_("社区：代码路径（如 HB/ZK）或唯一的社区名称（如 曾坑社区）。")
    )
    caller_name = Text(max_length=64, allow_blank=True, default="")
    caller_phone = Text(max_length=32, allow_blank=True, default="")

    def to_input(self) -> IncidentInput:
        d = self.validated_data
        return IncidentInput(
            number=d["number"],
            received_at=d["received_at"],
            type_code=d["type"],
            summary=d["summary"],
            community=d["community"],
            address=d["address"],
            caller_name=d["caller_name"],
            caller_phone=d["caller_phone"],
        )


class IncidentOrderSerializer(ModelSerializer):
    state = Choice(choices=State.choices, read_only=True)
    outcome = blank_choice(Outcome.choices)
    lead_unit = UnitBriefSerializer(read_only=True, allow_null=True)

    class Meta:
        model = Order
        fields = ["id", "number", "state", "outcome", "lead_unit"]
        read_only_fields = fields


class IncidentSerializer(ModelSerializer):
    type = serializers.CharField(source="type.code", read_only=True)
    type_name = serializers.CharField(source="type.name", read_only=True)
    is_dispute = serializers.BooleanField(source="type.is_dispute", read_only=True)
    is_police_matter = serializers.BooleanField(
        source="type.is_police_matter",
        read_only=True,
        help_text=_("警情类型是否属警务类；否则计入非警务类警情占比。"),
    )
    link_kind = serializers.ChoiceField(
        choices=[("push", "push"), ("link", "link")],
        allow_blank=True,
        read_only=True,
        help_text=_("警情工作台推送（push）或关联已有订单（link）；空为自动转单或未推送。"),
    )
    community = AreaBriefSerializer(read_only=True)
    order = IncidentOrderSerializer(read_only=True, allow_null=True)

    class Meta:
        model = Incident
        fields = [
            "id",
            "number",
            "received_at",
            "type",
            "type_name",
            "is_dispute",
            "summary",
            "address",
            "community",
            "caller_name",
            "caller_phone",
            "order",
            "created_at",
            "is_police_matter",
            "link_kind",
            "linked_at",
        ]
        read_only_fields = fields

    def to_representation(self, instance):
        # Always masked: the full number lives on the order's party, shown per role.
        data = super().to_representation(instance)
        data["caller_phone"] = mask_phone(instance.caller_phone)
        return data


class IncidentPushSerializer(serializers.Serializer):
    category = IdField(
        required=False,
        allow_null=True,
        help_text=_("纠纷类别 id；警情类型没有对应类别时（如群众求助）必填，否则默认其对应类别。"),
    )


class IncidentLinkSerializer(serializers.Serializer):
    order = Text(max_length=32, help_text=_("已有订单的编号，如 HB-202611-00042。"))


# --- escalations ------------------------------------------------------------------------


class EscalationOrderSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    number = serializers.CharField(read_only=True)
    title = serializers.CharField(read_only=True)


class EscalationSerializer(serializers.ModelSerializer):
    order = EscalationOrderSerializer(read_only=True)
    unit = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)
    level_display = serializers.CharField(source="get_level_display", read_only=True)
    is_open = serializers.SerializerMethodField()

    class Meta:
        model = Escalation
        fields = [
            "id",
            "order",
            "stage",
            "duty",
            "level",
            "level_display",
            "stage_due_at",
            "fire_at",
            "raised_at",
            "resolved_at",
            "is_open",
            "unit",
        ]
        read_only_fields = fields

    def get_is_open(self, escalation) -> bool:
        return escalation.resolved_at is None


# --- results back to the command system (``disputes.results``) ----------------------------------
# The shape of ``results.incident_result``, for the schema: the view answers the dict.


class CodeLabelSerializer(serializers.Serializer):
    code = serializers.CharField(help_text=_("代码"))
    label = serializers.CharField(help_text=_("中文名称"))


class ResultUnitSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class ResultIncidentSerializer(serializers.Serializer):
    number = serializers.CharField()
    received_at = serializers.DateTimeField()


class ResultOrderSerializer(serializers.Serializer):
    number = serializers.CharField()
    state = CodeLabelSerializer()
    outcome = CodeLabelSerializer(allow_null=True, help_text=_("结单结果；未结单为 null。"))
    lead_unit = ResultUnitSerializer(allow_null=True)
    reported_at = serializers.DateTimeField()
    dispatched_at = serializers.DateTimeField(allow_null=True)
    signed_at = serializers.DateTimeField(allow_null=True)
    closed_at = serializers.DateTimeField(allow_null=True)
    cancelled_at = serializers.DateTimeField(allow_null=True)
    ended_at = serializers.DateTimeField(allow_null=True, help_text=_("结单、撤销或合并的时间。"))
    merged_into = serializers.CharField(allow_null=True, help_text=_("被合并时，保留订单的编号。"))


class IncidentResultSerializer(serializers.Serializer):
    incident = ResultIncidentSerializer()
    order = ResultOrderSerializer(allow_null=True, help_text=_("尚未生成订单时为 null。"))
