"""API shapes of the user's notifications."""

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from shishi_mediation.api import IdField

from .levels import EscalationLevel, notice_level
from .models import Notification


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
