"""The inbox (one ``Notification`` per person and message) and the outbox (one
``Delivery`` per external channel). The tables are the ones the dispatch app created;
the models moved here without a change to them (migration 0001 is state-only)."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Notification(models.Model):
    """A message to one user. The row is the in-app inbox entry; it is written in the
    same transaction as its cause, with one ``Delivery`` per external channel."""

    # Indexed as the leading column of (recipient, -created_at).
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("接收人"),
        on_delete=models.CASCADE,
        related_name="notifications",
        db_index=False,
    )
    order = models.ForeignKey(
        "disputes.Order",
        verbose_name=_("订单"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    kind = models.CharField(_("类型"), max_length=24)
    subject = models.CharField(_("标题"), max_length=200)
    body = models.TextField(_("内容"), blank=True)
    # The page a notice about something other than an order opens (a care visit due, a
    # hazard's deadline: ``deadlines``); a path of this site, never user input.
    link = models.CharField(_("链接"), max_length=200, blank=True, default="", db_default="")
    created_at = models.DateTimeField(_("时间"))
    read_at = models.DateTimeField(_("已读时间"), null=True, blank=True)

    class Meta:
        db_table = "dispatch_notification"
        verbose_name = _("通知")
        verbose_name_plural = _("通知")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["recipient", "-created_at"]),
            models.Index(
                name="notification_unread", fields=["recipient"], condition=Q(read_at__isnull=True)
            ),
        ]

    def __str__(self) -> str:
        return self.subject


class Delivery(models.Model):
    """The outbox: one notification on one external channel (e-mail, webhook, SMS, Web Push).
    A worker sends it with retries and backoff; a sent delivery is never sent again."""

    class Status(models.TextChoices):
        PENDING = "pending", _("待发送")
        SENT = "sent", _("已发送")
        FAILED = "failed", _("发送失败")

    # Indexed as the leading column of ``delivery_once``.
    notification = models.ForeignKey(
        Notification, on_delete=models.CASCADE, related_name="deliveries", db_index=False
    )
    # The notification's ``created_at``, copied when the delivery is written: the
    # partition key (a delivery lives in its notification's month) and, with
    # ``notification``, the foreign key on PostgreSQL (docs/ARCHITECTURE.md,
    # "Partitioned tables").
    notification_created_at = models.DateTimeField(_("通知时间"), editable=False)
    channel = models.CharField(_("渠道"), max_length=16)
    status = models.CharField(
        _("状态"), max_length=8, choices=Status.choices, default=Status.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("尝试次数"), default=0)
    next_attempt_at = models.DateTimeField(_("下次尝试"))
    sent_at = models.DateTimeField(_("发送时间"), null=True, blank=True)
    last_error = models.TextField(_("最近错误"), blank=True)
    # What the provider said of the last attempt (SMS: Tencent's SerialNo, Code, Message).
    # A database default too: the bulk insert (``notify_rows``) names no provider columns.
    provider_id = models.CharField(
        _("服务商消息编号"), max_length=64, blank=True, default="", db_default=""
    )
    provider_status = models.CharField(
        _("服务商状态码"), max_length=64, blank=True, default="", db_default=""
    )
    provider_message = models.CharField(
        _("服务商说明"), max_length=255, blank=True, default="", db_default=""
    )

    class Meta:
        db_table = "dispatch_delivery"
        verbose_name = _("外发记录")
        verbose_name_plural = _("外发记录")
        constraints = [
            # On PostgreSQL (notification, channel, notification_created_at): the same
            # rule, as the notification fixes the third column.
            models.UniqueConstraint(fields=["notification", "channel"], name="delivery_once"),
        ]
        indexes = [
            # The outbox's batch order (``deliver_rows_due``: next_attempt_at, id) read
            # off the index: with next_attempt_at alone, every batch sorted the whole
            # backlog (at 10M orders a sweep's 235,000 notices took ~1 s a batch).
            models.Index(
                name="delivery_pending_due",
                fields=["next_attempt_at", "id"],
                condition=Q(status="pending"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.channel} #{self.notification_id} {self.status}"


class PushSubscription(models.Model):
    """One browser's Web Push subscription (a person may have several devices). The
    endpoint is the push service's URL for that browser: unique, so one device reaches one
    person; the keys encrypt what is sent to it (RFC 8291)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("用户"),
        on_delete=models.CASCADE,
        related_name="push_subscriptions",
    )
    endpoint = models.URLField(_("推送地址"), max_length=2048, unique=True)
    p256dh = models.CharField(_("公钥"), max_length=100)
    auth = models.CharField(_("认证密钥"), max_length=32)
    user_agent = models.CharField(_("设备"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("订阅时间"))
    last_success_at = models.DateTimeField(_("最近送达"), null=True, blank=True)

    class Meta:
        verbose_name = _("推送订阅")
        verbose_name_plural = _("推送订阅")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.user} · {self.user_agent or self.pk}"

    def subscription_info(self) -> dict:
        """The shape ``pywebpush.webpush`` takes (the browser's ``toJSON()``)."""
        return {"endpoint": self.endpoint, "keys": {"p256dh": self.p256dh, "auth": self.auth}}


class NotificationPreference(models.Model):
    """Who gets what: the external channels a person wants and their quiet hours
    (Asia/Shanghai; a window may wrap midnight). No row: every channel, no quiet hours.
    The inbox always gets everything."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("用户"),
        on_delete=models.CASCADE,
        related_name="notification_preference",
    )
    email = models.BooleanField(_("电子邮件"), default=True)
    sms = models.BooleanField(_("短信"), default=True)
    webpush = models.BooleanField(_("浏览器推送"), default=True)
    quiet_start = models.TimeField(_("免打扰开始"), null=True, blank=True)
    quiet_end = models.TimeField(_("免打扰结束"), null=True, blank=True)

    class Meta:
        verbose_name = _("通知偏好")
        verbose_name_plural = _("通知偏好")
        constraints = [
            models.CheckConstraint(
                name="quiet_hours_both_or_neither",
                condition=Q(quiet_start__isnull=True, quiet_end__isnull=True)
                | Q(quiet_start__isnull=False, quiet_end__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user}"


class SmsMessage(models.Model):
    """The outbox of texts to people without a login (a party's review code): one row
    per ``key`` (e.g. "review:<id>"), so a message is queued once whatever retries its
    cause. Written in the cause's transaction, sent after commit by the delivery worker
    with the same retries and backoff as ``Delivery``; the provider's message id and
    status are recorded."""

    Status = Delivery.Status

    key = models.CharField(_("去重键"), max_length=64, unique=True)
    order = models.ForeignKey(
        "disputes.Order",
        verbose_name=_("订单"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="sms_messages",
    )
    phone = models.CharField(_("手机号"), max_length=20)
    kind = models.CharField(_("类型"), max_length=24)
    params = models.JSONField(_("模板参数"), default=list)
    status = models.CharField(
        _("状态"), max_length=8, choices=Delivery.Status.choices, default=Delivery.Status.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("尝试次数"), default=0)
    created_at = models.DateTimeField(_("时间"))
    next_attempt_at = models.DateTimeField(_("下次尝试"))
    sent_at = models.DateTimeField(_("发送时间"), null=True, blank=True)
    last_error = models.TextField(_("最近错误"), blank=True)
    provider_id = models.CharField(_("服务商消息编号"), max_length=64, blank=True)
    provider_status = models.CharField(_("服务商状态码"), max_length=64, blank=True)
    provider_message = models.CharField(_("服务商说明"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("短信")
        verbose_name_plural = _("短信")
        indexes = [
            models.Index(  # as ``delivery_pending_due``
                name="sms_pending_due",
                fields=["next_attempt_at", "id"],
                condition=Q(status="pending"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.key} {self.status}"
