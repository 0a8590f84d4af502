"""Orders are read-only here: every change goes through the transition services."""

from django.contrib import admin

from .models import (
    POLICY_LIMIT_FIELDS,
    Attachment,
    ClockPause,
    Directive,
    Invitation,
    Order,
    OrderEvent,
    Party,
    ReferralResult,
    ReturnRequest,
    ReturnVisit,
    Review,
    SlaPolicy,
)


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class PartyInline(ReadOnlyInline):
    model = Party
    fields = [
        "name",
        "role",
        "phone",
        "id_number",
        "is_elderly_alone",
        "is_disabled",
        "has_mental_illness",
        "is_minor",
        "sms_consent",
        "sms_consent_at",
        "confirmed_at",
    ]


class AttachmentInline(ReadOnlyInline):
    model = Attachment
    fields = ["original_name", "file", "size", "uploaded_by", "uploaded_at"]


class EventInline(ReadOnlyInline):
    model = OrderEvent
    fields = ["at", "kind", "actor", "from_state", "to_state", "note", "data"]
    ordering = ["at", "id"]


class ReturnRequestInline(ReadOnlyInline):
    model = ReturnRequest
    fk_name = "order"
    fields = [
        "unit",
        "requested_by",
        "requested_at",
        "reason",
        "decided_by",
        "decided_at",
        "approved",
        "decision_note",
        "closed_at",
    ]


class ReviewInline(ReadOnlyInline):
    model = Review
    fields = ["party", "rating", "comment", "created_at", "submitted_at"]


class ReturnVisitInline(ReadOnlyInline):
    model = ReturnVisit
    fields = ["visited_by", "visited_at", "satisfied", "agreement_kept", "follow_up", "note"]


class ClockPauseInline(ReadOnlyInline):
    model = ClockPause
    fields = [
        "stage",
        "reason",
        "requested_minutes",
        "requested_by",
        "requested_at",
        "state",
        "decided_by",
        "started_at",
        "ends_at",
        "ended_at",
        "paused_minutes",
    ]


class DirectiveInline(ReadOnlyInline):
    model = Directive
    fields = ["issued_by", "issued_at", "demand", "unit", "reply_due_at", "replied_by"]
    fields += ["replied_at", "reply"]


class ReferralResultInline(ReadOnlyInline):
    model = ReferralResult
    fields = ["recorded_by", "recorded_at", "body", "case_number", "outcome", "decided_on"]
    fields += ["note"]


class InvitationInline(ReadOnlyInline):
    """The mediation alliance's invitations to assist (written by their services)."""

    model = Invitation
    fields = ["unit", "member", "message", "invited_by", "invited_at", "withdrawn_at"]
    fields += ["contact_granted_at", "contact_granted_by"]


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    list_display = [
        "number",
        "title",
        "state",
        "category",
        "community",
        "lead_unit",
        "reported_at",
        "sign_due_at",
    ]
    list_filter = ["state", "colour", "category", "risk_level", "source", "street"]
    search_fields = ["number", "title", "parties__name"]
    list_select_related = ["category", "community", "lead_unit"]
    date_hierarchy = "reported_at"
    inlines = [
        PartyInline,
        AttachmentInline,
        ReviewInline,
        ReturnVisitInline,
        ClockPauseInline,
        ReturnRequestInline,
        DirectiveInline,
        ReferralResultInline,
        InvitationInline,
        EventInline,
    ]
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


# --- police incidents (issue 5) ----------------------------------------------------------------

from .models import Incident, IncidentType  # noqa: E402 - appended section


@admin.register(IncidentType)
class IncidentTypeAdmin(admin.ModelAdmin):
    """The configurable table: which command-system types become orders, in what category."""

    list_display = ["code", "name", "is_dispute", "category"]
    list_filter = ["is_dispute", "category"]
    search_fields = ["code", "name"]
    list_select_related = ["category"]


@admin.register(Incident)
class IncidentAdmin(admin.ModelAdmin):
    """Incidents are written by the API and the import only; here they are read."""

    list_display = ["number", "received_at", "type", "community", "order", "created_at"]
    list_filter = ["type__is_dispute", "type"]
    search_fields = ["number", "summary", "caller_name"]
    list_select_related = ["type", "community", "order"]
    date_hierarchy = "received_at"
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(SlaPolicy)
class SlaPolicyAdmin(admin.ModelAdmin):
    list_display = ["__str__", *POLICY_LIMIT_FIELDS]
    list_filter = ["colour", "risk_level"]
    list_select_related = ["category"]


# --- results back to the command system (issue 17) ----------------------------------------------

from django.utils import timezone  # noqa: E402 - appended section
from django.utils.translation import gettext  # noqa: E402
from django.utils.translation import gettext_lazy as _  # noqa: E402

from .models import IncidentResultMessage  # noqa: E402
from .results import incident_results_requeue  # noqa: E402


@admin.register(IncidentResultMessage)
class IncidentResultMessageAdmin(admin.ModelAdmin):
    """The outbox of results to the command system: read here; a failed one is sent again
    by the action (same id and body, so the receiver deduplicates)."""

    list_display = [
        "incident",
        "order",
        "event",
        "status",
        "attempts",
        "response_status",
        "created_at",
        "next_attempt_at",
        "sent_at",
        "short_error",
    ]
    list_filter = ["status", "event"]
    search_fields = ["incident__number", "order__number", "=message_id"]
    list_select_related = ["incident", "order"]
    date_hierarchy = "created_at"
    show_full_result_count = False
    actions = ["requeue"]
    readonly_fields = [f.name for f in IncidentResultMessage._meta.fields]

    @admin.display(description=_("最近错误"))
    def short_error(self, obj) -> str:
        return obj.last_error[:80]

    @admin.action(description=_("重新发送所选的发送失败的回传"))
    def requeue(self, request, queryset):
        count = incident_results_requeue(queryset, now=timezone.now())
        self.message_user(
            request,
            gettext("已重新排队的回传：%(count)d 条。") % {"count": count},
        )

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
