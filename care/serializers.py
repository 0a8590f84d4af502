"""The care register's API shapes. A list row is masked (``name`` as 张*, nothing
else about the person) unless the user sees the subject's community in full."""

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from deadlines.selectors import urgency
from shishi_mediation.api import BoundedDateTimeField, Choice, IdField, Text

from .models import AidKind, CareAid, CareKind, CareSubject, CareVisit
from .selectors import mask_name


class VisitClockSerializer(serializers.Serializer):
    due_at = serializers.DateTimeField()
    urgency = serializers.ChoiceField(choices=["ok", "warning", "overdue"])


def _clock(subject, clocks) -> dict | None:
    clock = clocks.get(subject.pk)
    if clock is None:
        return None
    return {"due_at": clock.due_at, "urgency": urgency(clock, timezone.now())}


class SubjectRowSerializer(serializers.Serializer):
    """A list row: full for the community's police and committees, else masked."""

    id = serializers.IntegerField()
    name = serializers.CharField(help_text=_("脱敏时只留姓，如 张*"))
    masked = serializers.BooleanField()
    kind = serializers.ChoiceField(choices=CareKind.choices)
    community = serializers.IntegerField(source="community_id")
    community_name = serializers.CharField(source="community.name")
    is_active = serializers.BooleanField()
    next_visit = VisitClockSerializer(allow_null=True)

    def to_representation(self, subject):
        scope, clocks = self.context["scope"], self.context["clocks"]
        full = scope.sees_in_full(subject.community_id)
        return {
            "id": subject.pk,
            "name": subject.name if full else mask_name(subject.name),
            "masked": not full,
            "kind": subject.kind,
            "community": subject.community_id,
            "community_name": subject.community.name,
            "is_active": subject.is_active,
            "next_visit": VisitClockSerializer(_clock(subject, clocks)).data
            if clocks.get(subject.pk)
            else None,
        }


class VisitSerializer(serializers.ModelSerializer):
    visited_by = serializers.CharField(source="visited_by.get_full_name", read_only=True)

    class Meta:
        model = CareVisit
        fields = ["id", "visited_at", "visited_by", "condition", "needs_found", "on_time"]


class AidSerializer(serializers.ModelSerializer):
    recorded_by = serializers.CharField(source="recorded_by.get_full_name", read_only=True)

    class Meta:
        model = CareAid
        fields = ["id", "kind", "amount", "given_on", "outcome", "recorded_by"]


class LinkedOrderSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.CharField()
    title = serializers.CharField()
    reported_at = serializers.DateTimeField()


class SubjectDetailSerializer(serializers.ModelSerializer):
    community_name = serializers.CharField(source="community.name", read_only=True)
    next_visit = serializers.SerializerMethodField()
    visits = VisitSerializer(many=True, read_only=True)
    aids = AidSerializer(many=True, read_only=True)
    linked_orders = serializers.SerializerMethodField()

    class Meta:
        model = CareSubject
        fields = [
            "id",
            "name",
            "kind",
            "community",
            "community_name",
            "address",
            "phone",
            "id_number",
            "guardian_name",
            "guardian_phone",
            "needs",
            "is_active",
            "created_at",
            "next_visit",
            "visits",
            "aids",
            "linked_orders",
        ]

    def get_next_visit(self, subject) -> VisitClockSerializer(allow_null=True):  # type: ignore[valid-type]
        clock = _clock(subject, self.context["clocks"])
        return VisitClockSerializer(clock).data if clock else None

    def get_linked_orders(self, subject) -> LinkedOrderSerializer(many=True):  # type: ignore[valid-type]
        return LinkedOrderSerializer(self.context["orders"], many=True).data


class SubjectCreateSerializer(serializers.Serializer):
    name = Text(max_length=64)
    kind = Choice(choices=CareKind.choices)
    community = IdField()
    address = Text(max_length=200, required=False, allow_blank=True, default="")
    phone = Text(max_length=20, required=False, allow_blank=True, default="")
    id_number = Text(max_length=18, required=False, allow_blank=True, default="")
    guardian_name = Text(max_length=64, required=False, allow_blank=True, default="")
    guardian_phone = Text(max_length=20, required=False, allow_blank=True, default="")
    needs = Text(max_length=2000, required=False, allow_blank=True, default="")


class VisitCreateSerializer(serializers.Serializer):
    visited_at = BoundedDateTimeField()
    condition = Text(max_length=2000)
    needs_found = Text(max_length=2000, required=False, allow_blank=True, default="")


class Yuan(serializers.DecimalField):
    """An amount in yuan as a JSON string ("2000.00"), as the schema says: not a number,
    whose binary fraction would not be the amount meant."""

    default_error_messages = {"not_a_string": _('金额须为字符串，例如 "2000.00"。')}

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("not_a_string")
        return super().to_internal_value(data)


class AidCreateSerializer(serializers.Serializer):
    kind = Choice(choices=AidKind.choices)
    amount = Yuan(max_digits=12, decimal_places=2, min_value=0, required=False, allow_null=True)
    given_on = serializers.DateField()
    outcome = Text(max_length=2000, required=False, allow_blank=True, default="")
