"""The hazard and screening API's shapes (``hazards.api``)."""

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from shishi_mediation.api import (
    BoundedDateTimeField,
    FormIdField,
    IdField,
    ModelSerializer,
    Text,
)

from .models import Hazard, HazardEvent, HazardPhoto, HazardState, ScreeningVisit
from .selectors import hazard_actions, urgency


class PhotoSerializer(ModelSerializer):
    url = serializers.SerializerMethodField()
    thumbnail_url = serializers.SerializerMethodField()

    class Meta:
        model = HazardPhoto
        fields = ["id", "stage", "original_name", "size", "uploaded_at", "url", "thumbnail_url"]

    def get_url(self, obj) -> str:
        return reverse("api-hazard-photo", args=[obj.hazard_id, obj.pk])

    def get_thumbnail_url(self, obj) -> str:
        return reverse("api-hazard-photo", args=[obj.hazard_id, obj.pk]) + "?thumbnail=true"


class EventSerializer(ModelSerializer):
    actor = serializers.CharField(source="actor.username", default=None)

    class Meta:
        model = HazardEvent
        fields = ["kind", "actor", "at", "from_state", "to_state", "note"]


class HazardSerializer(ModelSerializer):
    category = serializers.CharField(source="category.name")
    category_id = serializers.IntegerField()
    community = serializers.CharField(source="community.name")
    community_id = serializers.IntegerField()
    street_id = serializers.IntegerField()
    department = serializers.CharField(source="department.name")
    department_id = serializers.IntegerField()
    reporter = serializers.CharField(source="reporter.username")
    screening_id = serializers.IntegerField(allow_null=True)
    urgency = serializers.SerializerMethodField(
        help_text=_("ok、warning（已过时限的80%）、overdue；办结后为空。")
    )
    actions = serializers.SerializerMethodField(help_text=_("当前用户现在可执行的操作。"))

    class Meta:
        model = Hazard
        fields = [
            "id",
            "category",
            "category_id",
            "street_id",
            "community",
            "community_id",
            "address",
            "description",
            "latitude",
            "longitude",
            "location_source",
            "state",
            "department",
            "department_id",
            "reporter",
            "screening_id",
            "reported_at",
            "due_at",
            "acknowledged_at",
            "closed_at",
            "on_time",
            "close_note",
            "urgency",
            "actions",
        ]

    def get_urgency(self, obj) -> str:
        return urgency(obj, timezone.now())

    def get_actions(self, obj) -> list[str]:
        return sorted(hazard_actions(self.context["request"].user, obj))


class HazardDetailSerializer(HazardSerializer):
    photos = PhotoSerializer(many=True, read_only=True)
    events = EventSerializer(many=True, read_only=True)

    class Meta(HazardSerializer.Meta):
        fields = [*HazardSerializer.Meta.fields, "photos", "events"]


class HazardCreateSerializer(serializers.Serializer):
    category = FormIdField()
    community = FormIdField()
    address = Text(max_length=200)
    description = Text(max_length=4000)
    latitude = serializers.CharField(required=False, allow_null=True, allow_blank=True)
    longitude = serializers.CharField(required=False, allow_null=True, allow_blank=True)
    location_source = Text(required=False, allow_blank=True, default="")
    screening = FormIdField(required=False, allow_null=True)
    photos = serializers.ListField(
        child=serializers.FileField(),
        required=False,
        help_text=_("整改前照片（multipart，可多张，jpg/png/webp）。"),
    )


class HazardConflictSerializer(serializers.Serializer):
    detail = serializers.CharField()
    state = serializers.ChoiceField(
        choices=HazardState.choices, required=False, help_text=_("隐患当前状态。")
    )


class HazardCloseSerializer(serializers.Serializer):
    note = Text(max_length=4000, help_text=_("整改说明。"))
    photos = serializers.ListField(
        child=serializers.FileField(), help_text=_("整改后照片，至少一张（multipart）。")
    )


class HazardReasonSerializer(serializers.Serializer):
    reason = Text(max_length=2000)


class HazardNoteSerializer(serializers.Serializer):
    note = Text(max_length=2000, required=False, allow_blank=True, default="")


class ScreeningSerializer(ModelSerializer):
    officer = serializers.CharField(source="officer.username")
    unit = serializers.CharField(source="unit.name")
    community = serializers.CharField(source="community.name")
    community_id = serializers.IntegerField()
    checked = serializers.SerializerMethodField()
    hazards = serializers.SerializerMethodField()

    class Meta:
        model = ScreeningVisit
        fields = [
            "id",
            "officer",
            "unit",
            "street_id",
            "community",
            "community_id",
            "place",
            "visited_at",
            "checked",
            "note",
            "outcome",
            "hazards",
            "recorded_at",
        ]

    def get_checked(self, obj) -> list[str]:
        return [c.code for c in obj.checked.all()]

    def get_hazards(self, obj) -> list[int]:
        return [h.pk for h in obj.hazards.all()]


class ScreeningCreateSerializer(serializers.Serializer):
    community = IdField()
    place = Text(max_length=200)
    visited_at = BoundedDateTimeField()
    checked = serializers.ListField(
        child=IdField(), allow_empty=False, help_text=_("排查内容：隐患类别 id 列表。")
    )
    note = Text(required=False, allow_blank=True, default="")
