"""API shapes for areas, units, categories, escalations and notifications (read-only)."""

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from disputes.serializers import IdField

from .models import (
    Area,
    Category,
    Escalation,
    EscalationLevel,
    Notification,
    Unit,
    notice_level,
)


class AreaSerializer(serializers.ModelSerializer):
    class Meta:
        model = Area
        fields = ["id", "name", "code", "level", "parent", "path"]
        read_only_fields = fields


class CategorySerializer(serializers.ModelSerializer):
    class Meta:
        model = Category
        fields = ["id", "code", "name", "name_en"]
        read_only_fields = fields


class UnitSerializer(serializers.ModelSerializer):
    covered_areas = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    categories = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)

    class Meta:
        model = Unit
        fields = ["id", "name", "kind", "area", "covered_areas", "categories", "phone"]
        read_only_fields = fields


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


class NotificationSerializer(serializers.ModelSerializer):
    order = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)
    order_number = serializers.CharField(
        source="order.number", read_only=True, allow_null=True, default=None
    )
    is_read = serializers.SerializerMethodField()
    level = serializers.SerializerMethodField(help_text=_("督办级别；非督办通知为 null。"))
    level_display = serializers.SerializerMethodField()

    class Meta:
        model = Notification
        fields = [
            "id",
            "kind",
            "level",
            "level_display",
            "subject",
            "body",
            "order",
            "order_number",
            "created_at",
            "read_at",
            "is_read",
        ]
        read_only_fields = fields

    def get_is_read(self, notification) -> bool:
        return notification.read_at is not None

    def get_level(self, notification) -> int | None:
        return notice_level(notification.kind)

    def get_level_display(self, notification) -> str:
        level = notice_level(notification.kind)
        return "" if level is None else str(EscalationLevel(level).label)


class MarkReadSerializer(serializers.Serializer):
    ids = serializers.ListField(
        child=IdField(),
        required=False,
        allow_null=True,
        max_length=500,
        help_text=_("要标记为已读的通知 id；省略则标记全部未读通知。"),
    )


class MarkReadResultSerializer(serializers.Serializer):
    marked = serializers.IntegerField(help_text=_("本次标记为已读的条数。"))
