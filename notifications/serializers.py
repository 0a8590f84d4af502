"""API shapes of the user's notifications."""

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from shishi_mediation.api import IdField, Text

from .levels import EscalationLevel, notice_level
from .models import Notification, PushSubscription


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


# --- Web Push subscriptions ------------------------------------------------------------------


class PushKeysSerializer(serializers.Serializer):
    p256dh = Text(max_length=100, help_text=_("P-256 公钥，base64url（65 字节）。"))
    auth = Text(max_length=32, help_text=_("认证密钥，base64url（16 字节）。"))


class PushSubscribeSerializer(serializers.Serializer):
    """The browser's ``PushSubscription.toJSON()``; unknown keys are refused."""

    endpoint = Text(max_length=2048, help_text=_("推送服务给出的地址，须为 https。"))
    expirationTime = serializers.IntegerField(  # noqa: N815 - the browser's own name
        required=False, allow_null=True, min_value=0, max_value=2**53
    )
    keys = PushKeysSerializer()
    user_agent = Text(required=False, allow_blank=True, max_length=200)

    def to_internal_value(self, data):
        if isinstance(data, dict):
            unknown = sorted(set(data) - set(self.fields))[:5]
            if unknown:
                raise serializers.ValidationError(
                    {name[:50]: [_("不认识的字段。")] for name in unknown}
                )
        return super().to_internal_value(data)


class PushSubscriptionSerializer(serializers.ModelSerializer):
    class Meta:
        model = PushSubscription
        fields = ["id", "endpoint", "user_agent", "created_at", "last_success_at"]
        read_only_fields = fields
